// The LibTorch runtime a measurement ran on: versions, threads, determinism.
// Every record carries this, since the same network costs different joules on
// another LibTorch, CUDA, cuDNN or thread count.
#pragma once
#include <string>

namespace nicenergy {

struct RuntimeInfo {
  std::string libtorch;  // "2.11.0"
  std::string cuda;      // CUDA runtime LibTorch was built with, "13.0"; "" without CUDA
  std::string cudnn;     // "9.19.0"; "" where LibTorch has no cuDNN
  int threads = 0;       // LibTorch intra-op threads in use
};
RuntimeInfo runtime_info();

// Intra-op threads for the networks on the CPU. 0 = one per logical core (the
// machine's, as PyTorch does). Throws Error for a negative count.
void set_threads(int threads);

// Deterministic kernels or the fastest ones. Deterministic means: cuDNN
// deterministic, no cuDNN benchmark autotuning, deterministic algorithms, and
// CUBLAS_WORKSPACE_CONFIG set (cuBLAS reads it when its first handle is made, so
// call this before any CUDA work; the CLI also sets it at start-up).
void set_deterministic(bool deterministic);

// Sets CUBLAS_WORKSPACE_CONFIG=:4096:8 unless the user has set it: cuBLAS is
// deterministic only with a fixed workspace (the attention blocks' matmuls).
void prepare_cublas_determinism();

// CUDA device `cuda_index`'s PCI bus id as NVML writes it ("00000000:41:00.0"),
// "" where the build has no CUDA or the device is not visible.
std::string cuda_pci_bus_id(int cuda_index);

}  // namespace nicenergy
