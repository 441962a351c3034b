#include "models/layer_type.h"

#include <array>
#include <utility>

#include "error.h"

namespace nicenergy {

static constexpr std::array<std::pair<LayerType, const char*>, 6> kNames = {{
    {LayerType::conv, "conv"},
    {LayerType::deconv, "deconv"},
    {LayerType::masked_conv, "masked_conv"},
    {LayerType::gdn, "gdn"},
    {LayerType::igdn, "igdn"},
    {LayerType::pixel_shuffle, "pixel_shuffle"},
}};

std::string to_string(LayerType type) {
  for (const auto& [value, name] : kNames)
    if (value == type) return name;
  return "";
}

std::optional<LayerType> layer_type_from_string(const std::string& text) {
  for (const auto& [value, name] : kNames)
    if (text == name) return value;
  return std::nullopt;
}

LayerType parse_layer_type(const std::string& text) {
  if (const auto type = layer_type_from_string(text)) return *type;
  std::string known;
  for (const auto& [value, name] : kNames) known += (known.empty() ? "" : ", ") + std::string(name);
  throw Error("unknown layer type '" + text + "': the recorded layers are " + known);
}

bool is_convolution(LayerType type) {
  return type == LayerType::conv || type == LayerType::deconv || type == LayerType::masked_conv;
}

}  // namespace nicenergy
