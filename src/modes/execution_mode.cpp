#include "modes/execution_mode.h"

#include <ATen/autocast_mode.h>

#include "error.h"
#include "platform/torch_compat.h"

namespace nicenergy {

std::optional<std::string> mode_unavailable(const ExecutionMode& m, const torch::Device& device) {
  return mode_unavailable_on(m, device.is_cuda());
}

std::vector<ExecutionMode> standard_modes(const torch::Device& device) {
  const bool cuda = device.is_cuda();
  std::vector<ExecutionMode> modes;
  modes.push_back({});
  ExecutionMode m;
  m.channels_last = true;
  modes.push_back(m);
  m = {};
  m.subpixel = true;
  modes.push_back(m);
  m = {};
  m.inference_mode = true;
  modes.push_back(m);
  if (cuda) {
    m = {};
    m.cudnn_benchmark = true;
    modes.push_back(m);
    m = {};
    m.cuda_graph = true;
    modes.push_back(m);
  }
  ExecutionMode best;
  best.channels_last = best.subpixel = best.inference_mode = true;
  modes.push_back(best);
  std::vector<std::string> casts = {"bf16"};
  if (cuda) casts.push_back("fp16");
  for (const std::string& cast : casts) {
    m = best;
    m.autocast = cast;
    modes.push_back(m);
  }
  if (cuda) {
    m = best;
    m.tf32 = true;
    modes.push_back(m);
  }
  return modes;
}

void apply_memory_format(torch::nn::Module& module, const ExecutionMode& mode) {
  const auto format = mode.channels_last ? torch::MemoryFormat::ChannelsLast : torch::MemoryFormat::Contiguous;
  torch::NoGradGuard no_grad;
  for (torch::Tensor& p : module.parameters())
    if (p.dim() == 4) p.set_data(p.data().contiguous(format));
  for (torch::Tensor& b : module.buffers())
    if (b.dim() == 4) b.set_data(b.data().contiguous(format));
}

torch::Tensor in_memory_format(const torch::Tensor& x, const ExecutionMode& mode) {
  return x.dim() == 4 && mode.channels_last ? x.contiguous(torch::MemoryFormat::ChannelsLast) : x.contiguous();
}

struct ModeGuard::Saved {
  bool cpu_autocast = false, cuda_autocast = false;
  at::ScalarType cpu_dtype = at::kBFloat16, cuda_dtype = at::kHalf;
  bool tf32_cudnn = false, tf32_cublas = false, cudnn_benchmark = false;
  bool deterministic_cudnn = false, deterministic_algorithms = false, deterministic_warn_only = false;
};

ModeGuard::ModeGuard(const ExecutionMode& mode, SubpixelRewrite* rewrite) : saved_(std::make_unique<Saved>()) {
  if (mode.inference_mode)
    inference_.emplace();
  else
    no_grad_.emplace();
  if (mode.subpixel) {
    if (rewrite == nullptr) throw Error("the subpixel mode needs a SubpixelRewrite to keep its weights in");
    subpixel_.emplace(*rewrite);
  }
  Saved& s = *saved_;
  s.cpu_autocast = compat::autocast_enabled(at::kCPU);
  s.cuda_autocast = compat::autocast_enabled(at::kCUDA);
  s.cpu_dtype = compat::autocast_dtype(at::kCPU);
  s.cuda_dtype = compat::autocast_dtype(at::kCUDA);
  auto& context = at::globalContext();
  s.tf32_cudnn = context.allowTF32CuDNN();
  s.tf32_cublas = context.allowTF32CuBLAS();
  s.cudnn_benchmark = context.benchmarkCuDNN();
  s.deterministic_cudnn = context.deterministicCuDNN();
  s.deterministic_algorithms = context.deterministicAlgorithms();
  s.deterministic_warn_only = context.deterministicAlgorithmsWarnOnly();

  const bool cast = !mode.autocast.empty();
  const at::ScalarType dtype = mode.autocast == "fp16" ? at::kHalf : at::kBFloat16;
  compat::set_autocast(at::kCPU, cast, dtype);
  compat::set_autocast(at::kCUDA, cast, dtype);
  // The reference is strict float32: LibTorch's own default lets cuDNN use TF32.
  context.setAllowTF32CuDNN(mode.tf32);
  context.setAllowTF32CuBLAS(mode.tf32);
  if (mode.cudnn_benchmark) {
    // Autotuning is only free to pick the fastest algorithm without the
    // deterministic ones imposed.
    context.setBenchmarkCuDNN(true);
    context.setDeterministicCuDNN(false);
    context.setDeterministicAlgorithms(false, false);
  }
}

ModeGuard::~ModeGuard() {
  const Saved& s = *saved_;
  compat::set_autocast(at::kCPU, s.cpu_autocast, s.cpu_dtype);
  compat::set_autocast(at::kCUDA, s.cuda_autocast, s.cuda_dtype);
  // Autocast keeps casted weights while enabled; they are not needed after it.
  at::autocast::clear_cache();
  auto& context = at::globalContext();
  context.setAllowTF32CuDNN(s.tf32_cudnn);
  context.setAllowTF32CuBLAS(s.tf32_cublas);
  context.setBenchmarkCuDNN(s.cudnn_benchmark);
  context.setDeterministicCuDNN(s.deterministic_cudnn);
  context.setDeterministicAlgorithms(s.deterministic_algorithms, s.deterministic_warn_only);
}

}  // namespace nicenergy
