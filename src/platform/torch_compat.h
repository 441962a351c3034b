// The few places where LibTorch's API differs between the versions we build
// against: Debian's libtorch-dev 1.13 (the CPU fallback) and PyTorch 2.x.
// Everything version-dependent lives here so the rest of the code has no #ifs.
#pragma once
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

}  // namespace nicenergy::compat
