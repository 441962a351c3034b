#include "layers/layer_results.h"

#include <cmath>

#include "io/appended_csv.h"
#include "io/numbers.h"

namespace nicenergy {

namespace {

// The run's identity, the layer's own columns, then the protocol's figures.
const std::vector<std::string>& layer_columns() {
  static const std::vector<std::string> c = {"index", "layer", "kind", "transform", "input_shape", "output_shape",
                                             "macs", "in_2nd"};
  return c;
}

AppendedFormat format(const std::string& path) {
  static const std::vector<std::string> columns = [] {
    std::vector<std::string> all = run_identity_columns();
    for (const auto& v : {layer_columns(), run_result_columns()}) all.insert(all.end(), v.begin(), v.end());
    return all;
  }();
  return {"layers file '" + path + "'", columns, "nicenergy layers --output", 0};
}

bool is_convolution_kind(const std::string& kind) {
  return kind == "conv" || kind == "deconv" || kind == "masked_conv";
}

std::vector<LayerRow> layer_rows(const std::vector<AppendedRow>& appended) {
  std::vector<LayerRow> rows;
  for (const AppendedRow& row : appended) {
    LayerRow r;
    read_run_fields(row, r);
    r.index = static_cast<int>(row.whole("index"));
    r.layer = row.text("layer");
    r.kind = row.text("kind");
    r.transform = row.text("transform");
    r.input_shape = row.text("input_shape");
    r.output_shape = row.text("output_shape");
    r.macs = row.number("macs");
    r.in_2nd = row.whole("in_2nd") != 0;
    rows.push_back(std::move(r));
  }
  return rows;
}

}  // namespace

std::string LayerRow::key() const { return run_key() + "|" + std::to_string(index) + "|" + layer; }

std::vector<LayerRow> read_layer_rows(const std::string& path) {
  return layer_rows(read_appended_csv(path, format(path)));
}

std::vector<LayerRow> resume_layer_rows(const std::string& path, std::string* note) {
  return layer_rows(resume_appended_csv(path, format(path), note));
}

void append_layer_row(const std::string& path, const LayerRow& r) {
  std::vector<std::string> values = run_identity_values(r);
  for (const auto& v : {std::vector<std::string>{std::to_string(r.index), r.layer, r.kind, r.transform, r.input_shape,
                                                 r.output_shape, number_text(r.macs), r.in_2nd ? "1" : "0"},
                        run_result_values(r)})
    values.insert(values.end(), v.begin(), v.end());
  append_csv_row(path, format(path), values);
}

LayerSummary summarise_layers(const std::vector<LayerRow>& rows) {
  LayerSummary s;
  double conv_energy = 0, conv_energy_2nd = 0, energy_2nd = 0, layers_variance = 0;
  for (const LayerRow& r : rows) {
    if (r.is_chain()) {
      s.chain_energy_j = r.energy_j;
      s.chain_energy_ci_j = r.energy_ci_j;
      s.chain_duration_s = r.duration_s;
      continue;
    }
    s.layers_energy_j += r.energy_j;
    layers_variance += r.energy_ci_j * r.energy_ci_j;
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
  // Each layer is measured apart: their intervals add in quadrature.
  s.layers_energy_ci_j = std::sqrt(layers_variance);
  if (s.chain_energy_j) {
    s.gap_energy_j = *s.chain_energy_j - s.layers_energy_j;
    s.gap_energy_ci_j = std::hypot(*s.chain_energy_ci_j, s.layers_energy_ci_j);
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
