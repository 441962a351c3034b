#include "bandwidth/bandwidth_json.h"

#include <nlohmann/json.hpp>

#include "error.h"
#include "io/files.h"

namespace nicenergy {

namespace {

ActivationBytes bytes_of(const nlohmann::json& j) {
  ActivationBytes b;
  b.float32 = j.at("float32_bytes").get<double>();
  b.int8 = j.at("int8_bytes").get<double>();
  b.exp_golomb = j.at("exp_golomb_bytes").get<double>();
  for (int k = 0; k < exp_golomb_orders; ++k)
    b.exp_golomb_order[k] = j.at("exp_golomb_k" + std::to_string(k) + "_bytes").get<double>();
  b.gaussian_ideal = j.at("gaussian_ideal_bytes").get<double>();
  return b;
}

}  // namespace

BandwidthFile read_bandwidth_json(const std::string& path) {
  const std::string what = "bandwidth file '" + path + "'";
  const std::string text = read_input_file(path, what, "write it with `nicenergy bandwidth --format json > FILE`", 1ull << 28);
  BandwidthFile f;
  try {
    const nlohmann::json j = nlohmann::json::parse(text);
    ActivationBandwidth& a = f.bandwidth;
    a.network = j.at("network").get<std::string>();
    a.abbr = j.at("abbr").get<std::string>();
    a.quality = j.at("quality").get<int>();
    a.padded_width = j.at("padded_width").get<int64_t>();
    a.padded_height = j.at("padded_height").get<int64_t>();
    f.trained = j.at("trained").get<bool>();
    for (const auto& l : j.at("layers")) {
      LayerBandwidth layer;
      layer.name = l.at("layer").get<std::string>();
      layer.kind = l.at("kind").get<std::string>();
      layer.transform = l.at("transform").get<std::string>();
      layer.channels = l.at("channels").get<int64_t>();
      layer.height = l.at("height").get<int64_t>();
      layer.width = l.at("width").get<int64_t>();
      layer.in_2nd = l.at("in_2nd").get<bool>();
      layer.bytes = bytes_of(l);
      a.layers.push_back(std::move(layer));
    }
    a.total = bytes_of(j.at("total"));
    a.total_2nd = bytes_of(j.at("total_2nd"));
    if (j.contains("energy_model")) {
      const auto& e = j.at("energy_model");
      const double pixels = static_cast<double>(a.padded_width * a.padded_height);
      if (pixels > 0) {
        a.kmac_per_px = e.at("macs").get<double>() / 1000.0 / pixels;
        a.kmac_per_px_2nd = e.at("macs_2nd").get<double>() / 1000.0 / pixels;
      }
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(what + " is not what `nicenergy bandwidth --format json` writes (" + std::string(e.what()) +
                "): write it again with that command");
  }
  if (f.bandwidth.layers.empty()) throw Error(what + " lists no layers: write it again with `nicenergy bandwidth --format json`");
  return f;
}

}  // namespace nicenergy
