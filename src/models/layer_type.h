// The kinds of layer the recording calls of models/layers.cpp report. Text
// ("conv", "masked_conv", ...) only at the edges: the per-layer CSV, JSON and
// table of `nicenergy complexity`.
#pragma once
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

}  // namespace nicenergy
