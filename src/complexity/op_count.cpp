#include "complexity/op_count.h"

namespace nicenergy {

std::string to_string(OpKind kind) {
  switch (kind) {
    case OpKind::convolution: return "conv";
    case OpKind::transposed_convolution: return "conv_transpose";
    case OpKind::linear: return "linear";
    case OpKind::matmul: return "matmul";
  }
  return "?";
}

double OpCount::macs() const {
  double total = 0;
  for (const auto& op : ops) total += op.macs;
  return total;
}

double OpCount::macs(OpKind kind) const {
  double total = 0;
  for (const auto& op : ops)
    if (op.kind == kind) total += op.macs;
  return total;
}

}  // namespace nicenergy
