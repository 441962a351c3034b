// The kinds of layer the recording calls of models/layers.cpp report. Text
// ("conv", "masked_conv", ...) only at the edges: the per-layer CSV, JSON and
// table of `nicenergy complexity`.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

namespace nicenergy {

enum class LayerType { conv, deconv, masked_conv, gdn, igdn, pixel_shuffle };

std::string to_string(LayerType type);
std::optional<LayerType> layer_type_from_string(const std::string& text);  // nullopt for other text
// Throws nicenergy::Error naming the text and the known types.
LayerType parse_layer_type(const std::string& text);

// The paper's complexity counts these: convolutions, transposed and masked
// (dense) convolutions; GDN/IGDN and pixel shuffles are not.
bool is_convolution(LayerType type);

// One executed layer: what it is and what it cost on the tensors it saw.
struct LayerRecord {
  std::string name;   // state_dict prefix, e.g. "g_a.0" or "g_s.1.subpel_conv.0"
  LayerType type = LayerType::conv;
  int64_t in_channels = 0, out_channels = 0, kernel = 0, stride = 1;
  int64_t in_h = 0, in_w = 0, out_h = 0, out_w = 0;
  int64_t params = 0;            // weights + bias of this layer
  double macs = 0;               // multiply-accumulates for this call
  int64_t activation_bytes = 0;  // bytes of the output tensor
};

}  // namespace nicenergy
