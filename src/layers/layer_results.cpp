#include "layers/layer_results.h"

#include "error.h"
#include "io/appended_csv.h"
#include "io/numbers.h"

namespace nicenergy {

namespace {

const std::vector<std::string>& columns() {
  static const std::vector<std::string> c = {
      "network", "abbr",   "quality",     "image",        "width",  "height",   "device",     "meter",
      "estimate", "threads", "weights",   "mode",         "index",  "layer",    "kind",       "transform",
      "input_shape", "output_shape", "macs", "in_2nd",    "duration_s", "energy_j", "energy_ci_j", "k", "m"};
  return c;
}

bool is_convolution_kind(const std::string& kind) {
  return kind == "conv" || kind == "deconv" || kind == "masked_conv";
}

}  // namespace

std::string LayerRow::key() const {
  return network + "|" + std::to_string(quality) + "|" + image + "|" + std::to_string(width) + "x" +
         std::to_string(height) + "|" + device + "|" + weights + "|" + std::to_string(threads) + "|" + mode + "|" +
         std::to_string(index) + "|" + layer;
}

std::vector<LayerRow> read_layer_rows(const std::string& path, std::string* note) {
  std::vector<LayerRow> rows;
  for (const AppendedRow& row :
       read_appended_csv(path, "layers file '" + path + "'", columns(), "nicenergy layers --output", note)) {
    LayerRow r;
    r.network = row.text("network");
    r.abbr = row.text("abbr");
    r.quality = static_cast<int>(row.whole("quality"));
    r.image = row.text("image");
    r.width = static_cast<int>(row.whole("width"));
    r.height = static_cast<int>(row.whole("height"));
    r.device = row.text("device");
    r.meter = row.text("meter");
    r.estimate = row.whole("estimate") != 0;
    r.threads = static_cast<int>(row.whole("threads"));
    r.weights = row.text("weights");
    r.mode = row.text("mode");
    r.index = static_cast<int>(row.whole("index"));
    r.layer = row.text("layer");
    r.kind = row.text("kind");
    r.transform = row.text("transform");
    r.input_shape = row.text("input_shape");
    r.output_shape = row.text("output_shape");
    r.macs = row.number("macs");
    r.in_2nd = row.whole("in_2nd") != 0;
    r.duration_s = row.number("duration_s");
    r.energy_j = row.number("energy_j");
    r.energy_ci_j = row.number("energy_ci_j");
    r.k = static_cast<int>(row.whole("k"));
    r.m = row.whole("m");
    rows.push_back(std::move(r));
  }
  return rows;
}

void append_layer_row(const std::string& path, const LayerRow& r) {
  append_csv_row(path, columns(),
                 {r.network, r.abbr, std::to_string(r.quality), r.image, std::to_string(r.width),
                  std::to_string(r.height), r.device, r.meter, r.estimate ? "1" : "0", std::to_string(r.threads),
                  r.weights, r.mode, std::to_string(r.index), r.layer, r.kind, r.transform, r.input_shape,
                  r.output_shape, number_text(r.macs), r.in_2nd ? "1" : "0", number_text(r.duration_s),
                  number_text(r.energy_j), number_text(r.energy_ci_j), std::to_string(r.k), std::to_string(r.m)},
                 "layers file '" + path + "'");
}

LayerSummary summarise_layers(const std::vector<LayerRow>& rows) {
  LayerSummary s;
  double conv_energy = 0, conv_energy_2nd = 0, energy_2nd = 0;
  for (const LayerRow& r : rows) {
    if (r.is_chain()) {
      s.chain_energy_j = r.energy_j;
      s.chain_duration_s = r.duration_s;
      continue;
    }
    s.layers_energy_j += r.energy_j;
    s.layers_duration_s += r.duration_s;
    if (r.in_2nd) energy_2nd += r.energy_j;
    if (is_convolution_kind(r.kind)) {
      conv_energy += r.energy_j;
      s.macs += r.macs;
      if (r.in_2nd) {
        conv_energy_2nd += r.energy_j;
        s.macs_2nd += r.macs;
      }
    }
  }
  if (s.chain_energy_j) {
    s.gap_energy_j = *s.chain_energy_j - s.layers_energy_j;
    if (*s.chain_energy_j > 0) {
      s.gap_share = *s.gap_energy_j / *s.chain_energy_j;
      s.share_2nd_chain_energy = energy_2nd / *s.chain_energy_j;
    }
  }
  if (s.macs > 0) s.share_2nd_kmac = s.macs_2nd / s.macs;
  if (conv_energy > 0) s.share_2nd_conv_energy = conv_energy_2nd / conv_energy;
  if (s.layers_energy_j > 0) s.share_2nd_energy = energy_2nd / s.layers_energy_j;
  return s;
}

}  // namespace nicenergy
