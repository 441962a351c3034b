#include "platform/runtime.h"

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <torch/torch.h>
#include <torch/version.h>

#include <cstdio>
#include <cstdlib>
#include <thread>

#if defined(NICENERGY_WITH_CUDA)
#include <ATen/cuda/CUDAContext.h>
#include <torch/cuda.h>
#endif

#include "error.h"

namespace nicenergy {
namespace {

// 13000 -> "13.0"; cuDNN 91900 -> "9.19.0" (major*10000 + minor*100 + patch since cuDNN 9).
std::string cuda_text(long v) { return std::to_string(v / 1000) + "." + std::to_string(v % 1000 / 10); }
std::string cudnn_text(long v) {
  if (v >= 90000) return std::to_string(v / 10000) + "." + std::to_string(v % 10000 / 100) + "." + std::to_string(v % 100);
  return std::to_string(v / 1000) + "." + std::to_string(v % 1000 / 100) + "." + std::to_string(v % 100);
}

}  // namespace

RuntimeInfo runtime_info() {
  RuntimeInfo info;
  info.libtorch = TORCH_VERSION;
  info.threads = at::get_num_threads();
  // The CUDA hooks exist only where LibTorch was built with CUDA; they answer
  // without a GPU (the versions are those of the libraries LibTorch loaded).
  try {
    const auto& hooks = at::detail::getCUDAHooks();
    if (hooks.versionCUDART() > 0) info.cuda = cuda_text(hooks.versionCUDART());
    if (hooks.hasCuDNN()) info.cudnn = cudnn_text(hooks.versionCuDNN());
  } catch (const std::exception&) {
  }
  return info;
}

void set_threads(int threads) {
  if (threads < 0) throw Error("--threads " + std::to_string(threads) + ": give a count >= 1, or 0 for one per core");
  if (threads == 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  at::set_num_threads(threads);
}

void prepare_cublas_determinism() { setenv("CUBLAS_WORKSPACE_CONFIG", ":4096:8", /*overwrite=*/0); }

void set_deterministic(bool deterministic) {
  if (deterministic) prepare_cublas_determinism();
  at::globalContext().setDeterministicCuDNN(deterministic);
  at::globalContext().setBenchmarkCuDNN(!deterministic);
  at::globalContext().setDeterministicAlgorithms(deterministic, /*warn_only=*/false);
}

std::string cuda_pci_bus_id(int cuda_index) {
#if defined(NICENERGY_WITH_CUDA)
  if (torch::cuda::is_available() && cuda_index >= 0 && cuda_index < static_cast<int>(torch::cuda::device_count())) {
    const cudaDeviceProp* p = at::cuda::getDeviceProperties(cuda_index);
    char bus_id[32];
    std::snprintf(bus_id, sizeof bus_id, "%08x:%02x:%02x.0", static_cast<unsigned>(p->pciDomainID),
                  static_cast<unsigned>(p->pciBusID), static_cast<unsigned>(p->pciDeviceID));
    return bus_id;
  }
#endif
  (void)cuda_index;
  return "";
}

}  // namespace nicenergy
