// Complexity of any model from what actually runs: a global RecordFunction
// callback (LibTorch's dispatcher-level hook, the one its profiler uses) sees
// every ATen operator with its inputs and outputs and counts multiply-
// accumulates, so a TorchScript file is counted without knowing its modules.
// Counted, each at the outermost counted operator (conv2d, not also the
// convolution it calls; linear, not also its addmm):
//   convolution:            output elements x (C_in / groups) x kernel area
//                           (the paper's rule: the kernel at each output position)
//   transposed convolution: input elements x (C_out / groups) x kernel area
//                           (the kernel at each input position, as PyTorch's
//                           FLOP counter, torch.utils.flop_counter)
//   linear, mm, addmm, matmul, bmm, baddbmm: output elements x inner dimension
// Grouped and depthwise convolutions are covered by the per-group channels of
// the weight. Everything else (element-wise, pooling, einsum, ...) is listed by
// name and call count but not counted.
#pragma once
#include <torch/torch.h>

#include <functional>

#include "complexity/op_count.h"

namespace nicenergy {

// Runs `run` once with the counter installed and returns what it executed on
// this thread (and threads it started through ATen). One count at a time per
// process; a second concurrent one throws Error.
OpCount count_operators(const std::function<void()>& run);

}  // namespace nicenergy
