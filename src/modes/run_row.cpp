#include "modes/run_row.h"

#include "io/numbers.h"

namespace nicenergy {

std::string RunRow::run_key() const {
  return network + "|" + std::to_string(quality) + "|" + image + "|" + std::to_string(width) + "x" +
         std::to_string(height) + "|" + device + "|" + weights + "|" + std::to_string(threads) + "|" + mode;
}

const std::vector<std::string>& run_identity_columns() {
  static const std::vector<std::string> c = {"network", "abbr",     "quality", "image",   "width", "height",
                                             "device",  "meter",    "estimate", "threads", "weights", "mode"};
  return c;
}

const std::vector<std::string>& run_result_columns() {
  static const std::vector<std::string> c = {"duration_s", "energy_j", "energy_ci_j", "k", "m"};
  return c;
}

std::vector<std::string> run_identity_values(const RunRow& r) {
  return {r.network, r.abbr,  std::to_string(r.quality), r.image,   std::to_string(r.width),
          std::to_string(r.height), r.device, r.meter, r.estimate ? "1" : "0", std::to_string(r.threads),
          r.weights, r.mode};
}

std::vector<std::string> run_result_values(const RunRow& r) {
  return {number_text(r.duration_s), number_text(r.energy_j), number_text(r.energy_ci_j), std::to_string(r.k),
          std::to_string(r.m)};
}

void read_run_identity(const AppendedRow& row, RunRow& r) {
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
}

void read_run_results(const AppendedRow& row, RunRow& r) {
  r.duration_s = row.number("duration_s");
  r.energy_j = row.number("energy_j");
  r.energy_ci_j = row.number("energy_ci_j");
  r.k = static_cast<int>(row.whole("k"));
  r.m = row.whole("m");
}

void read_run_fields(const AppendedRow& row, RunRow& r) {
  read_run_identity(row, r);
  read_run_results(row, r);
}

}  // namespace nicenergy
