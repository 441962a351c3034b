#include "modes/mode_results.h"

#include "io/appended_csv.h"
#include "io/numbers.h"

namespace nicenergy {

namespace {

// The run's identity, by_design, the protocol's figures, the deviation, then
// why the mode failed (the newest column: files without it are still read).
const std::vector<std::string>& deviation_columns() {
  static const std::vector<std::string> c = {"max_abs_diff", "tolerance", "exact", "psnr_db", "psnr_db_float32",
                                             "bpp", "bpp_float32"};
  return c;
}

AppendedFormat format(const std::string& path) {
  static const std::vector<std::string> columns = [] {
    std::vector<std::string> all = run_identity_columns();
    all.push_back("by_design");
    for (const auto& v : {run_result_columns(), deviation_columns()}) all.insert(all.end(), v.begin(), v.end());
    all.push_back("error");
    return all;
  }();
  return {"modes file '" + path + "'", columns, "nicenergy modes --output", 1};
}

ModeRow mode_row(const AppendedRow& row) {
  ModeRow r;
  read_run_identity(row, r);
  r.by_design = row.text("by_design");
  r.error = row.text("error");
  if (r.failed()) return r;  // no figures
  read_run_results(row, r);
  r.max_abs_diff = row.number("max_abs_diff");
  r.tolerance = row.number("tolerance");
  r.exact = row.whole("exact") != 0;
  r.psnr_db = row.number("psnr_db");
  r.psnr_db_float32 = row.number("psnr_db_float32");
  r.bpp = row.number("bpp");
  r.bpp_float32 = row.number("bpp_float32");
  return r;
}

std::vector<ModeRow> mode_rows(const std::vector<AppendedRow>& rows, bool failed_too) {
  std::vector<ModeRow> out;
  for (const AppendedRow& row : rows) {
    ModeRow r = mode_row(row);
    if (failed_too || !r.failed()) out.push_back(std::move(r));
  }
  return out;
}

}  // namespace

std::string ModeRow::key() const { return run_key(); }

std::vector<ModeRow> read_mode_rows(const std::string& path, bool failed_too) {
  return mode_rows(read_appended_csv(path, format(path)), failed_too);
}

std::vector<ModeRow> resume_mode_rows(const std::string& path, std::string* note) {
  return mode_rows(resume_appended_csv(path, format(path), note), false);
}

void append_mode_row(const std::string& path, const ModeRow& r) {
  std::vector<std::string> values = run_identity_values(r);
  values.push_back(r.by_design);
  if (r.failed()) {
    // Nothing was measured: the figures stay empty, the reason says why.
    values.resize(values.size() + run_result_columns().size() + deviation_columns().size());
  } else {
    for (const auto& v : {run_result_values(r),
                          std::vector<std::string>{number_text(r.max_abs_diff), number_text(r.tolerance),
                                                   r.exact ? "1" : "0", number_text(r.psnr_db),
                                                   number_text(r.psnr_db_float32), number_text(r.bpp),
                                                   number_text(r.bpp_float32)}})
      values.insert(values.end(), v.begin(), v.end());
  }
  values.push_back(r.error);
  append_csv_row(path, format(path), values);
}

}  // namespace nicenergy
