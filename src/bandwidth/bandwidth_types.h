// What each layer output of a chain run moves to memory, as plain data: the
// core's side of activation bandwidth (the report and `bandwidth --format json`
// read it), measured by the LibTorch side (bandwidth/activation_bandwidth.h).
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace nicenergy {

constexpr int exp_golomb_orders = 5;  // k = 0..4

struct ActivationBytes {
  double float32 = 0, int8 = 0;
  double exp_golomb = 0;  // the symmetric exp-Golomb code (order 0), as encoded
  std::array<double, exp_golomb_orders> exp_golomb_order{};  // order k, closed form
  double gaussian_ideal = 0;
  ActivationBytes& operator+=(const ActivationBytes& o);
};

struct LayerBandwidth {
  std::string name;       // state_dict prefix, e.g. "g_a.0"
  std::string kind;       // conv, deconv, masked_conv, gdn, igdn or block
  std::string transform;  // g_a, h_a, h_s, context_prediction, entropy_parameters, g_s
  int64_t channels = 0, height = 0, width = 0;
  bool in_2nd = false;    // in the block range src/complexity marks "up to the 2nd downsampling"
  ActivationBytes bytes;
};

struct ActivationBandwidth {
  std::string network, abbr;
  int quality = 0;
  int64_t padded_height = 0, padded_width = 0;
  double kmac_per_px = 0, kmac_per_px_2nd = 0;  // src/complexity's, per padded pixel
  std::vector<LayerBandwidth> layers;  // in execution order
  ActivationBytes total, total_2nd;
  double macs() const { return kmac_per_px * 1000.0 * padded_height * padded_width; }
  double macs_2nd() const { return kmac_per_px_2nd * 1000.0 * padded_height * padded_width; }
};

}  // namespace nicenergy
