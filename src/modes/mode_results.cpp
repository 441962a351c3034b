#include "modes/mode_results.h"

#include "io/appended_csv.h"
#include "io/numbers.h"

namespace nicenergy {

namespace {

const std::vector<std::string>& columns() {
  static const std::vector<std::string> c = {
      "network", "abbr",     "quality",    "image",       "width",        "height",    "device",
      "meter",   "estimate", "threads",    "weights",     "mode",         "by_design", "duration_s",
      "energy_j", "energy_ci_j", "k",      "m",           "max_abs_diff", "tolerance", "exact",
      "psnr_db", "psnr_db_float32", "bpp", "bpp_float32"};
  return c;
}

}  // namespace

std::string ModeRow::key() const {
  return network + "|" + std::to_string(quality) + "|" + image + "|" + device + "|" + weights + "|" +
         std::to_string(threads) + "|" + mode;
}

std::vector<ModeRow> read_mode_rows(const std::string& path, std::string* note) {
  std::vector<ModeRow> rows;
  for (const AppendedRow& row :
       read_appended_csv(path, "modes file '" + path + "'", columns(), "nicenergy modes --output", note)) {
    ModeRow r;
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
    r.by_design = row.text("by_design");
    r.duration_s = row.number("duration_s");
    r.energy_j = row.number("energy_j");
    r.energy_ci_j = row.number("energy_ci_j");
    r.k = static_cast<int>(row.whole("k"));
    r.m = row.whole("m");
    r.max_abs_diff = row.number("max_abs_diff");
    r.tolerance = row.number("tolerance");
    r.exact = row.whole("exact") != 0;
    r.psnr_db = row.number("psnr_db");
    r.psnr_db_float32 = row.number("psnr_db_float32");
    r.bpp = row.number("bpp");
    r.bpp_float32 = row.number("bpp_float32");
    rows.push_back(std::move(r));
  }
  return rows;
}

void append_mode_row(const std::string& path, const ModeRow& r) {
  append_csv_row(path, columns(),
                 {r.network, r.abbr, std::to_string(r.quality), r.image, std::to_string(r.width),
                  std::to_string(r.height), r.device, r.meter, r.estimate ? "1" : "0", std::to_string(r.threads),
                  r.weights, r.mode, r.by_design, number_text(r.duration_s), number_text(r.energy_j),
                  number_text(r.energy_ci_j), std::to_string(r.k), std::to_string(r.m), number_text(r.max_abs_diff),
                  number_text(r.tolerance), r.exact ? "1" : "0", number_text(r.psnr_db),
                  number_text(r.psnr_db_float32), number_text(r.bpp), number_text(r.bpp_float32)},
                 "modes file '" + path + "'");
}

}  // namespace nicenergy
