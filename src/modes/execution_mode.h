// Energy modes (`nicenergy modes`): ways of running the same chain that change
// its speed and energy, and for some its output. A mode is a set of flags,
// written joined by '+' ("channels_last+subpixel"); the empty set is the
// reference, "float32": deterministic float32, contiguous tensors, no-grad.
// Every record and report names its mode.
#pragma once
#include <torch/torch.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "models/subpixel_deconv.h"

namespace nicenergy {

struct ExecutionMode {
  bool channels_last = false;    // NHWC tensors and weights
  bool subpixel = false;         // stride-2 transposed convolutions in their sub-pixel form
  bool inference_mode = false;   // c10::InferenceMode instead of NoGradGuard
  std::string autocast;          // "" (float32), "bf16" or "fp16": autocast to that type
  bool tf32 = false;             // TF32 tensor cores for float32 convolutions and matmuls (CUDA)
  bool cudnn_benchmark = false;  // cuDNN autotuning: fastest algorithms, not deterministic (CUDA)

  bool operator==(const ExecutionMode&) const = default;
};

// "float32" for the reference, else the flags in a fixed order joined by '+'.
std::string mode_name(const ExecutionMode& mode);
// The inverse of mode_name; throws Error naming the flag and the known ones.
ExecutionMode parse_mode(const std::string& text);
// Every flag with a line of what it does, for help texts and `modes`.
struct ModeFlag {
  std::string name;
  bool cuda_only = false;
  // by_design: "exact" (the same products in another order or layout: equal
  // to float32 rounding, which `modes` checks), "lower precision" or
  // "non-deterministic".
  std::string by_design;
  std::string help;
};
const std::vector<ModeFlag>& mode_flags();

// Why the mode cannot run on this device and build, or nullopt when it can.
std::optional<std::string> mode_unavailable(const ExecutionMode& mode, const torch::Device& device);
// Whether the mode can change the output beyond float32 rounding by design.
bool mode_lower_precision(const ExecutionMode& mode);
bool mode_deterministic(const ExecutionMode& mode);

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
