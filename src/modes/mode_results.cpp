#include "modes/mode_results.h"

#include <filesystem>
#include <map>

#include "error.h"
#include "io/csv.h"
#include "io/files.h"
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

std::string mode_csv_header() { return csv_line(columns()); }

std::string format_mode_row(const ModeRow& r) {
  return csv_line({
      r.network, r.abbr, std::to_string(r.quality), r.image, std::to_string(r.width),
      std::to_string(r.height), r.device, r.meter, r.estimate ? "1" : "0", std::to_string(r.threads),
      r.weights, r.mode, r.by_design, number_text(r.duration_s), number_text(r.energy_j),
      number_text(r.energy_ci_j), std::to_string(r.k), std::to_string(r.m), number_text(r.max_abs_diff),
      number_text(r.tolerance), r.exact ? "1" : "0", number_text(r.psnr_db), number_text(r.psnr_db_float32),
      number_text(r.bpp), number_text(r.bpp_float32)});
}

std::vector<ModeRow> read_mode_rows(const std::string& path, std::string* note) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return {};
  const std::string what = "modes file '" + path + "'";
  const std::string text = read_input_file(path, what, "check the path", 1ull << 30);
  CsvText csv = parse_csv(text, what);
  if (csv.unterminated) {
    // The last append was cut short: the row is dropped, the mode measured again.
    write_file_replacing(path, text.substr(0, csv.complete_end), what);
    if (note) *note = what + ": its last row (line " + std::to_string(csv.unterminated->line) +
                      ") was cut short by an interrupted write and is measured again";
  }
  if (csv.rows.empty()) return {};
  std::map<std::string, size_t> index;
  const CsvRow& header = csv.rows.front();
  for (size_t i = 0; i < header.fields.size(); ++i) index[header.fields[i]] = i;
  for (const std::string& c : columns())
    if (!index.count(c))
      throw Error(what + " has no column '" + c + "': it is not a file `nicenergy modes --output` wrote; "
                  "give another --output");
  std::vector<ModeRow> rows;
  for (size_t n = 1; n < csv.rows.size(); ++n) {
    const CsvRow& row = csv.rows[n];
    if (row.fields.size() != header.fields.size())
      throw Error(what + " line " + std::to_string(row.line) + " has " + std::to_string(row.fields.size()) +
                  " fields, the header " + std::to_string(header.fields.size()) + ": repair or remove the line");
    auto field = [&](const std::string& c) -> const std::string& { return row.fields[index.at(c)]; };
    const std::string where = what + " line " + std::to_string(row.line);
    auto number = [&](const std::string& c) { return parse_double(field(c), where + " column " + c); };
    auto whole = [&](const std::string& c) { return parse_int64(field(c), where + " column " + c); };
    ModeRow r;
    r.network = field("network");
    r.abbr = field("abbr");
    r.quality = static_cast<int>(whole("quality"));
    r.image = field("image");
    r.width = static_cast<int>(whole("width"));
    r.height = static_cast<int>(whole("height"));
    r.device = field("device");
    r.meter = field("meter");
    r.estimate = whole("estimate") != 0;
    r.threads = static_cast<int>(whole("threads"));
    r.weights = field("weights");
    r.mode = field("mode");
    r.by_design = field("by_design");
    r.duration_s = number("duration_s");
    r.energy_j = number("energy_j");
    r.energy_ci_j = number("energy_ci_j");
    r.k = static_cast<int>(whole("k"));
    r.m = whole("m");
    r.max_abs_diff = number("max_abs_diff");
    r.tolerance = number("tolerance");
    r.exact = whole("exact") != 0;
    r.psnr_db = number("psnr_db");
    r.psnr_db_float32 = number("psnr_db_float32");
    r.bpp = number("bpp");
    r.bpp_float32 = number("bpp_float32");
    rows.push_back(std::move(r));
  }
  return rows;
}

void append_mode_row(const std::string& path, const ModeRow& row) {
  std::error_code ec;
  const bool fresh = !std::filesystem::exists(path, ec) || std::filesystem::file_size(path, ec) == 0;
  append_text_synced(path, (fresh ? mode_csv_header() : std::string()) + format_mode_row(row), "modes file '" + path + "'");
}

}  // namespace nicenergy
