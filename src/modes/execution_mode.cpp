#include "modes/execution_mode.h"

#include <ATen/autocast_mode.h>

#include <sstream>

#include "error.h"
#include "platform/torch_compat.h"

namespace nicenergy {

const std::vector<ModeFlag>& mode_flags() {
  static const std::vector<ModeFlag> flags = {
      {"channels_last", false, "exact", "NHWC tensors and weights (channels innermost)"},
      {"subpixel", false, "exact",
       "each stride-2 transposed convolution as one stride-1 convolution and a pixel shuffle"},
      {"inference_mode", false, "exact", "LibTorch's InferenceMode instead of no-grad (no version counters or views)"},
      {"bf16", false, "lower precision", "autocast to bfloat16 (convolutions and matmuls)"},
      {"fp16", true, "lower precision", "autocast to float16 (convolutions and matmuls)"},
      {"tf32", true, "lower precision", "TF32 tensor cores for float32 convolutions and matmuls"},
      {"cudnn_benchmark", true, "non-deterministic", "cuDNN autotuning picks the fastest algorithm per shape"},
  };
  return flags;
}

std::string mode_name(const ExecutionMode& m) {
  std::vector<std::string> parts;
  if (m.channels_last) parts.push_back("channels_last");
  if (m.subpixel) parts.push_back("subpixel");
  if (m.inference_mode) parts.push_back("inference_mode");
  if (!m.autocast.empty()) parts.push_back(m.autocast);
  if (m.tf32) parts.push_back("tf32");
  if (m.cudnn_benchmark) parts.push_back("cudnn_benchmark");
  if (parts.empty()) return "float32";
  std::string name = parts.front();
  for (size_t i = 1; i < parts.size(); ++i) name += "+" + parts[i];
  return name;
}

static std::string known_flags() {
  std::string known = "float32";
  for (const ModeFlag& f : mode_flags()) known += ", " + f.name;
  return known;
}

ExecutionMode parse_mode(const std::string& text) {
  ExecutionMode m;
  if (text == "float32") return m;
  if (text.empty()) throw Error("empty mode: use float32 or flags joined by '+' (" + known_flags() + ")");
  std::stringstream in(text);
  std::string flag;
  while (std::getline(in, flag, '+')) {
    bool* target = nullptr;
    if (flag == "channels_last") target = &m.channels_last;
    else if (flag == "subpixel") target = &m.subpixel;
    else if (flag == "inference_mode") target = &m.inference_mode;
    else if (flag == "tf32") target = &m.tf32;
    else if (flag == "cudnn_benchmark") target = &m.cudnn_benchmark;
    else if (flag == "bf16" || flag == "fp16") {
      if (!m.autocast.empty())
        throw Error("mode '" + text + "' asks for two autocast types: choose bf16 or fp16");
      m.autocast = flag;
      continue;
    } else {
      throw Error("mode '" + text + "' has an unknown flag '" + flag + "': use " + known_flags() + ", joined by '+'");
    }
    if (*target) throw Error("mode '" + text + "' names " + flag + " twice");
    *target = true;
  }
  if (text.back() == '+') throw Error("mode '" + text + "' ends with '+': remove it");
  return m;
}

std::optional<std::string> mode_unavailable(const ExecutionMode& m, const torch::Device& device) {
  if (device.is_cuda()) return std::nullopt;
  for (const ModeFlag& f : mode_flags())
    if (f.cuda_only && mode_name(m).find(f.name) != std::string::npos)
      return mode_name(m) + ": " + f.name + " is for CUDA devices; run it with --device cuda";
  return std::nullopt;
}

bool mode_lower_precision(const ExecutionMode& m) { return !m.autocast.empty() || m.tf32; }
bool mode_deterministic(const ExecutionMode& m) { return !m.cudnn_benchmark; }

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
