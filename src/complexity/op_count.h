// What the operator counter (complexity/op_counter.h, the LibTorch side) saw,
// as plain data: the core's side, which the report's tables read.
#pragma once
#include <cstdint>
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

}  // namespace nicenergy
