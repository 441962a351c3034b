#include "complexity/torchscript_count.h"

#include <torch/csrc/jit/runtime/graph_executor.h>

namespace nicenergy {

OpCount count_torchscript(const std::string& path, const TorchScriptOptions& options, const torch::Device& device,
                          const torch::Tensor& x) {
  // A graph executor is chosen when a method first runs, so a fresh load under
  // the simple executor leaves a codec already loaded (and run) as it was.
  struct ModeGuard {
    bool saved = torch::jit::getExecutorMode();
    ~ModeGuard() { torch::jit::getExecutorMode() = saved; }
  } guard;
  torch::jit::getExecutorMode() = false;
  TorchScriptCodec codec(path, options, device);
  codec.check(x);  // a wrong shape or method fails here, not in the middle of the count
  return count_operators([&]() { (void)codec.run(x); });
}

double kmac_per_px(const OpCount& count, const torch::Tensor& x) {
  return count.macs() / static_cast<double>(x.size(2) * x.size(3)) / 1e3;
}

}  // namespace nicenergy
