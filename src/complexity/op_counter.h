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

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace nicenergy {

enum class OpKind { convolution, transposed_convolution, linear, matmul };
std::string to_string(OpKind kind);  // "conv", "conv_transpose", "linear", "matmul"

// One operator with one set of shapes; `calls` executions of it.
struct CountedOp {
  std::string op;  // "aten::conv2d"
  OpKind kind = OpKind::convolution;
  std::vector<int64_t> input_shape, weight_shape, output_shape;  // weight: the second operand for matmuls
  int64_t calls = 0;
  double macs = 0;  // all calls together
};

struct OpCount {
  std::vector<CountedOp> ops;                  // in order of first execution
  std::map<std::string, int64_t> other_calls;  // operators seen but not counted
  double macs() const;
  double macs(OpKind kind) const;
  double convolution_macs() const { return macs(OpKind::convolution) + macs(OpKind::transposed_convolution); }
};

// Runs `run` once with the counter installed and returns what it executed on
// this thread (and threads it started through ATen). One count at a time per
// process; a second concurrent one throws Error.
OpCount count_operators(const std::function<void()>& run);

}  // namespace nicenergy
