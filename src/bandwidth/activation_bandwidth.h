// What each layer output of a real chain run would move to memory: float32,
// 8 bits, the symmetric exp-Golomb code (encoded and decoded back), order-k
// exp-Golomb (k = 0..4) and a per-channel Gaussian's ideal length
// (bandwidth/exp_golomb.h), with totals for the chain and for "up to the 2nd
// downsampling" as src/complexity marks it.
#pragma once
#include "bandwidth/bandwidth_types.h"
#include "models/network.h"

namespace nicenergy {

// Pads the 1x3xHxW image (in [0, 1]) as `run` does, runs the chain once on the
// CPU and codes every output that would go to memory. Throws nicenergy::Error
// if a coded output does not decode to its 8-bit values.
ActivationBandwidth measure_activation_bandwidth(NetworkImpl& network, const torch::Tensor& image);

}  // namespace nicenergy
