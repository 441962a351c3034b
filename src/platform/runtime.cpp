#include "platform/runtime.h"

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <torch/torch.h>
#include <torch/version.h>

#include <cstdlib>
#include <thread>

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

}  // namespace nicenergy
