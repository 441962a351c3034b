// The cuda_graph energy mode: the chain captured once as a CUDA graph at its
// fixed input size, then replayed, so that one launch replaces the hundreds of
// kernel launches of an eager forward pass. Exact by design: the same kernels
// on the same addresses in the same order (`modes` checks it).
#pragma once
#include <torch/torch.h>

#include <memory>

#include "models/network.h"
#include "models/subpixel_deconv.h"
#include "modes/mode_name.h"

namespace nicenergy {

class ChainGraph {
 public:
  // Warms the chain up on a side stream, then captures network->forward(x)
  // under the mode's guard (autocast's weight cache off, as capture needs).
  // x stays the graph's input: replay reads it where it is. Throws Error on a
  // build without CUDA, a CPU tensor, or a chain that cannot be captured.
  ChainGraph(Network network, torch::Tensor x, const ExecutionMode& mode, std::shared_ptr<SubpixelRewrite> rewrite);
  ~ChainGraph();
  ChainGraph(const ChainGraph&) = delete;
  ChainGraph& operator=(const ChainGraph&) = delete;

  // One execution: the captured kernels again, on the same input and output memory.
  void replay();
  // The outputs of the last replay (the graph's own tensors: copy them to keep them).
  const ChainOutput& output() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace nicenergy
