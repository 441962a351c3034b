// A network's complexity as plain data (the paper's Table 1 and the per-layer
// records): the core's side, which reports and models read. The LibTorch side
// (complexity/complexity.h) computes it from the modules.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "models/layer_type.h"

namespace nicenergy {

struct LayerComplexity {
  LayerRecord layer;
  std::string transform;        // g_a, h_a, h_s, context_prediction, entropy_parameters, g_s
  double scale = 0;             // input resolution of the layer relative to the image (1, 1/2, ...)
  double kmac_per_px = 0;    // per image pixel
  double activation_bytes_per_pixel = 0;
  bool in_2nd = false;          // part of the "up to the 2nd downsampling" figure
};

struct Complexity {
  std::string network, abbr, level;
  int quality = 0, n = 0, m = 0, padding = 0;
  int64_t params = 0;
  // The paper's rule: convolutions only, a convolution at its output positions,
  // a transposed convolution at its input positions; per input pixel, in kMAC.
  double kmac_per_px = 0;          // the full chain (forward)
  double kmac_per_px_2nd = 0;      // g_a up to the 2nd downsampling + g_s from its 2nd-to-last upsampling
  double kmac_per_px_encoder = 0;  // what the sender runs (encode)
  double kmac_per_px_decoder = 0;  // what the receiver runs (decode)
  double kmac_per_px_analysis = 0;   // g_a alone
  double kmac_per_px_synthesis = 0;  // g_s alone
  double kmac_per_px_entropy_encode = 0;  // the encoder's side but g_a: hyper transforms, context model, entropy parameters
  double kmac_per_px_entropy_decode = 0;  // the decoder's side but g_s
  double kmac_per_px_with_gdn = 0; // full chain, GDN/IGDN counted as the 1x1 convolutions they are
  double activation_bytes_per_pixel = 0;  // bytes written by the counted layers, full chain
  std::vector<LayerComplexity> layers;    // full chain, in execution order
};

// The complexity of one network at one quality, as the complexity module reports it.
struct ComplexityRow {
  std::string abbr;
  std::string network;
  std::string level;
  int quality = 0;
  int n = 0;                    // CompressAI's N
  int m = 0;                    // CompressAI's M
  int64_t params = 0;           // learnable parameters
  double kmac_per_px = 0;
  double kmac_per_px_2nd = 0;  // MACs up to the 2nd downsampling, per input pixel
  bool has_2nd = true;            // false outside the zoo: "the 2nd downsampling" is our modules' notion
};

}  // namespace nicenergy
