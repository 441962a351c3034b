// The few places where LibTorch's API differs between the versions we build
// against: Debian's libtorch-dev 1.13 (the CPU fallback) and PyTorch 2.x.
// Everything version-dependent lives here so the rest of the code has no #ifs.
#pragma once
#include <ATen/autocast_mode.h>
#include <torch/torch.h>
#include <torch/version.h>

#include <variant>

namespace nicenergy::compat {

// Symmetric padding of a conv's options as one number. LibTorch < 2.2 keeps
// the padding in c10::variant; 2.2 and later in std::variant (c10::variant and
// c10::get are gone there).
template <typename Padding>
int64_t padding_of(const Padding& padding) {
#if TORCH_VERSION_MAJOR < 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR < 2)
  return (*c10::get<torch::ExpandingArray<2>>(padding))[0];
#else
  return (*std::get<torch::ExpandingArray<2>>(padding))[0];
#endif
}

// Autocast's per-device switch and type (the energy modes). LibTorch 2.4 made
// them one call per device type; before, CPU and CUDA had calls of their own.
#if TORCH_VERSION_MAJOR < 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR < 4)
inline bool autocast_enabled(at::DeviceType type) {
  return type == at::kCPU ? at::autocast::is_cpu_enabled() : at::autocast::is_enabled();
}
inline at::ScalarType autocast_dtype(at::DeviceType type) {
  return type == at::kCPU ? at::autocast::get_autocast_cpu_dtype() : at::autocast::get_autocast_gpu_dtype();
}
inline void set_autocast(at::DeviceType type, bool enabled, at::ScalarType dtype) {
  if (type == at::kCPU) {
    at::autocast::set_cpu_enabled(enabled);
    at::autocast::set_autocast_cpu_dtype(dtype);
  } else {
    at::autocast::set_enabled(enabled);
    at::autocast::set_autocast_gpu_dtype(dtype);
  }
}
#else
inline bool autocast_enabled(at::DeviceType type) { return at::autocast::is_autocast_enabled(type); }
inline at::ScalarType autocast_dtype(at::DeviceType type) { return at::autocast::get_autocast_dtype(type); }
inline void set_autocast(at::DeviceType type, bool enabled, at::ScalarType dtype) {
  at::autocast::set_autocast_enabled(type, enabled);
  at::autocast::set_autocast_dtype(type, dtype);
}
#endif

}  // namespace nicenergy::compat
