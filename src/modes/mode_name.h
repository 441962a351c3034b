// The names of energy modes (src/modes/execution_mode.h runs them): a mode is
// a set of flags written joined by '+' ("channels_last+subpixel"); the empty
// set is the reference, "float32". Torch-free, so that campaign configs are
// checked without LibTorch.
#pragma once
#include <optional>
#include <string>
#include <vector>

namespace nicenergy {

struct ExecutionMode {
  bool channels_last = false;    // NHWC tensors and weights
  bool subpixel = false;         // stride-2 transposed convolutions in their sub-pixel form
  bool inference_mode = false;   // c10::InferenceMode instead of NoGradGuard
  std::string autocast;          // "" (float32), "bf16" or "fp16": autocast to that type
  bool tf32 = false;             // TF32 tensor cores for float32 convolutions and matmuls (CUDA)
  bool cudnn_benchmark = false;  // cuDNN autotuning: fastest algorithms, not deterministic (CUDA)
  bool cuda_graph = false;       // the chain captured once as a CUDA graph and replayed (CUDA)

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

// Whether the mode can change the output beyond float32 rounding by design.
bool mode_lower_precision(const ExecutionMode& mode);
bool mode_deterministic(const ExecutionMode& mode);

// Why the mode cannot run on a CPU (cuda: false) or CUDA device, or nullopt.
std::optional<std::string> mode_unavailable_on(const ExecutionMode& mode, bool cuda);

}  // namespace nicenergy
