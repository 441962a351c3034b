// Complexity accounting computed from the modules: every convolution and GDN
// the chain executes reports itself (models/layers.h) during a shape-only run,
// and the figures below are sums over those records.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "coding/stage.h"
#include "complexity/complexity_types.h"
#include "models/network.h"

namespace nicenergy {

// Accounts the network on a shape-only run over a height x width input
// (a multiple of the network's padding; the default suits every network).
Complexity compute_complexity(NetworkImpl& network, int64_t height = 256, int64_t width = 256);
// Builds the network and accounts it; cached per network and parameter level,
// whose members share (N, M) and so every figure but the quality.
Complexity complexity_of(const std::string& name_or_abbr, int quality);
// What one execution of a stage counts (coding/stage.h): the chain, the
// encoder or decoder side, g_a, g_s, and the entropy sides as the rest of
// their side (hyper transforms, context model, entropy parameters; the rANS
// coder itself does no MACs).
double stage_kmac_per_px(const Complexity& complexity, Stage stage);

// "g_s.5.conv" -> ("g_s", 5): the transform and the top-level block of a
// layer; layers outside g_a and g_s have no block (-1).
std::pair<std::string, int> layer_block(const std::string& name);

// "Up to the 2nd downsampling" as a range of blocks: g_a's up to the last
// convolution compute_complexity marks, g_s's from the first one it marks. The
// GDN/IGDN and block outputs between marked convolutions belong to it too
// (they work on the same feature maps), which the bandwidth and per-layer
// energy figures need; the kMAC figure counts its convolutions only.
struct SecondDownsamplingRegion {
  int last_g_a = -1, first_g_s = 1 << 30;
  bool contains(const std::string& layer_name) const;
};
SecondDownsamplingRegion second_downsampling_region(const Complexity& complexity);

// Every network at every quality, in zoo order.
std::vector<Complexity> zoo_complexity();

}  // namespace nicenergy
