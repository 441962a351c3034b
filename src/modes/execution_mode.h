// Energy modes (`nicenergy modes`): ways of running the same chain that change
// its speed and energy, and for some its output (their names: mode_name.h).
// The reference, "float32", is deterministic float32, contiguous tensors,
// no-grad. Every record and report names its mode.
#pragma once
#include <torch/torch.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "models/subpixel_deconv.h"
#include "modes/mode_name.h"

namespace nicenergy {

// Why the mode cannot run on this device and build, or nullopt when it can.
std::optional<std::string> mode_unavailable(const ExecutionMode& mode, const torch::Device& device);
// What `modes` measures on a device: the reference, each available flag alone,
// every exact flag together ("the best exact mode"), and that with each
// lower-precision flag.
std::vector<ExecutionMode> standard_modes(const torch::Device& device);

// Puts a module's 4-d parameters and buffers in the mode's memory format.
void apply_memory_format(torch::nn::Module& module, const ExecutionMode& mode);
// The input of a chain in the mode's memory format.
torch::Tensor in_memory_format(const torch::Tensor& x, const ExecutionMode& mode);

// While alive on this thread: the mode's grad mode, autocast, TF32 and cuDNN
// flags and sub-pixel rewrite; everything is put back as it was on exit.
// `rewrite` keeps the converted weights between executions (one per network).
class ModeGuard {
 public:
  ModeGuard(const ExecutionMode& mode, SubpixelRewrite* rewrite);
  ~ModeGuard();
  ModeGuard(const ModeGuard&) = delete;
  ModeGuard& operator=(const ModeGuard&) = delete;

 private:
  std::optional<c10::InferenceMode> inference_;
  std::optional<torch::NoGradGuard> no_grad_;
  std::optional<SubpixelScope> subpixel_;
  struct Saved;
  std::unique_ptr<Saved> saved_;
};

}  // namespace nicenergy
