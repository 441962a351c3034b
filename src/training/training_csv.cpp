#include "training/training_csv.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>

#include "error.h"
#include "io/csv.h"
#include "io/files.h"
#include "io/numbers.h"

namespace nicenergy {

const std::vector<std::string>& training_csv_columns() {
  static const std::vector<std::string> columns = {
      "network",  "abbr",        "quality", "device",   "meter", "energy_method", "estimate", "batch_size",
      "crop_px",  "iteration_begin", "iteration_end", "iterations", "duration_s", "energy_j", "idle_power_w",
      "dynamic_energy_j", "energy_per_iteration_j", "loss", "mse", "psnr_db", "bpp", "aux_loss"};
  return columns;
}

std::string training_csv_header() {
  std::string line;
  for (const auto& c : training_csv_columns()) line += (line.empty() ? "" : ",") + c;
  return line + "\n";
}


static std::string num(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.9g", value);
  return buffer;
}

std::string training_csv_row(const TrainingWindow& w) {
  const std::vector<std::string> fields = {
      csv_field(w.network), csv_field(w.abbr), std::to_string(w.quality), csv_field(w.device), csv_field(w.meter),
      csv_field(w.energy_method), w.estimate ? "1" : "0", std::to_string(w.batch_size), std::to_string(w.crop_px),
      std::to_string(w.iteration_begin), std::to_string(w.iteration_end), std::to_string(w.iterations()),
      num(w.duration_s), num(w.energy_j), num(w.idle_power_w), num(w.dynamic_energy_j), num(w.energy_per_iteration_j),
      num(w.loss), num(w.mse), num(w.psnr_db), num(w.bpp), num(w.aux_loss)};
  std::string line;
  for (size_t i = 0; i < fields.size(); ++i) line += (i ? "," : "") + fields[i];
  return line + "\n";
}

// parse_csv stops at an unclosed quote and leaves the rest out. Only a torn
// last row (an interrupted append: no line break after it) may be dropped; a
// damaged row with rows after it would silently cut finished windows.
static void check_no_damage_after(const std::string& text, size_t complete_end, const std::string& what) {
  const size_t rest = text.find('\n', complete_end);
  if (rest == std::string::npos || text.find_first_not_of("\r\n \t", rest) == std::string::npos) return;
  const long line = 1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(complete_end), '\n');
  throw Error(what + " line " + std::to_string(line) +
              " is damaged (an unclosed quote or a cut row) and rows follow it: fix or delete that row "
              "(only a torn last row is left out)");
}

// A window written twice (logs joined, a row copied) would count its energy
// twice: the windows of one codec must not share an iteration. Refused, not
// counted once, since two rows for one iteration need not agree.
static void check_windows_disjoint(const std::vector<TrainingWindow>& windows, const std::vector<int>& lines,
                                   const std::string& what) {
  std::map<std::string, std::vector<size_t>> by_codec;
  for (size_t i = 0; i < windows.size(); ++i)
    by_codec[windows[i].network + "\n" + windows[i].abbr + "\n" + std::to_string(windows[i].quality)].push_back(i);
  for (auto& [key, rows] : by_codec) {
    std::stable_sort(rows.begin(), rows.end(), [&](size_t a, size_t b) {
      return windows[a].iteration_begin < windows[b].iteration_begin;
    });
    for (size_t k = 1; k < rows.size(); ++k) {
      const TrainingWindow &a = windows[rows[k - 1]], &b = windows[rows[k]];
      if (b.iteration_begin < a.iteration_end)
        throw Error(what + " lines " + std::to_string(std::min(lines[rows[k - 1]], lines[rows[k]])) + " and " +
                    std::to_string(std::max(lines[rows[k - 1]], lines[rows[k]])) + " both hold iterations " +
                    std::to_string(b.iteration_begin) + " to " + std::to_string(std::min(a.iteration_end, b.iteration_end)) +
                    " of " + (a.abbr.empty() ? a.network : a.abbr) + " q" + std::to_string(a.quality) +
                    ": a window is written twice; delete the duplicate row (its energy would count twice)");
    }
  }
}

std::vector<TrainingWindow> read_training_csv(const std::string& path) {
  const std::string what = "training log '" + path + "'";
  const std::string text = read_input_file(path, what, "give the CSV that 'nicenergy train' writes", uint64_t{1} << 30);
  const CsvText csv = parse_csv(text, what);
  if (csv.rows.empty() || csv.rows[0].fields != training_csv_columns())
    throw Error(what + " does not have the training log's columns (" + training_csv_header().substr(0, 40) +
                "...): give the CSV that 'nicenergy train' writes");
  check_no_damage_after(text, csv.complete_end, what);
  std::vector<TrainingWindow> windows;
  std::vector<int> lines;
  for (size_t r = 1; r < csv.rows.size(); ++r) {
    const auto& f = csv.rows[r].fields;
    const std::string at = what + " line " + std::to_string(csv.rows[r].line);
    if (f.size() != training_csv_columns().size())
      throw Error(at + " has " + std::to_string(f.size()) + " fields, not " + std::to_string(training_csv_columns().size()));
    TrainingWindow w;
    w.network = f[0];
    w.abbr = f[1];
    w.quality = parse_integer<int>(f[2], at + " quality", 1, 8);
    w.device = f[3];
    w.meter = f[4];
    w.energy_method = f[5];
    w.estimate = parse_integer<int>(f[6], at + " estimate", 0, 1) == 1;
    w.batch_size = parse_integer<int64_t>(f[7], at + " batch_size", 1, 1 << 20);
    w.crop_px = parse_integer<int>(f[8], at + " crop_px", 1, 1 << 16);
    w.iteration_begin = parse_integer<int64_t>(f[9], at + " iteration_begin", 0);
    w.iteration_end = parse_integer<int64_t>(f[10], at + " iteration_end", w.iteration_begin + 1);
    if (parse_int64(f[11], at + " iterations") != w.iterations())
      throw Error(at + ": iterations is not iteration_end - iteration_begin");
    double* values[] = {&w.duration_s, &w.energy_j, &w.idle_power_w, &w.dynamic_energy_j, &w.energy_per_iteration_j,
                        &w.loss, &w.mse, &w.psnr_db, &w.bpp, &w.aux_loss};
    for (size_t i = 0; i < std::size(values); ++i) *values[i] = parse_double(f[12 + i], at + " " + training_csv_columns()[12 + i]);
    windows.push_back(w);
    lines.push_back(csv.rows[r].line);
  }
  check_windows_disjoint(windows, lines, what);
  return windows;
}

std::vector<TrainingWindow> truncate_training_csv(const std::string& path, int64_t iteration) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    write_file_replacing(path, training_csv_header(), "training log");
    return {};
  }
  std::vector<TrainingWindow> kept;
  std::string text = training_csv_header();
  for (const TrainingWindow& w : read_training_csv(path))
    if (w.iteration_end <= iteration) {
      kept.push_back(w);
      text += training_csv_row(w);
    }
  write_file_replacing(path, text, "training log");
  return kept;
}

}  // namespace nicenergy
