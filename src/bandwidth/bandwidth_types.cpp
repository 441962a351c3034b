#include "bandwidth/bandwidth_types.h"

namespace nicenergy {

ActivationBytes& ActivationBytes::operator+=(const ActivationBytes& o) {
  float32 += o.float32;
  int8 += o.int8;
  exp_golomb += o.exp_golomb;
  for (int k = 0; k < exp_golomb_orders; ++k) exp_golomb_order[k] += o.exp_golomb_order[k];
  gaussian_ideal += o.gaussian_ideal;
  return *this;
}


}  // namespace nicenergy
