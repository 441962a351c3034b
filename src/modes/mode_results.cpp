#include "modes/mode_results.h"

#include "io/appended_csv.h"
#include "io/numbers.h"

namespace nicenergy {

namespace {

// The run's identity, by_design, the protocol's figures, then the deviation.
const std::vector<std::string>& deviation_columns() {
  static const std::vector<std::string> c = {"max_abs_diff", "tolerance", "exact", "psnr_db", "psnr_db_float32",
                                             "bpp", "bpp_float32"};
  return c;
}

const std::vector<std::string>& columns() {
  static const std::vector<std::string> c = [] {
    std::vector<std::string> all = run_identity_columns();
    all.push_back("by_design");
    for (const auto& v : {run_result_columns(), deviation_columns()}) all.insert(all.end(), v.begin(), v.end());
    return all;
  }();
  return c;
}

}  // namespace

std::string ModeRow::key() const { return run_key(); }

std::vector<ModeRow> read_mode_rows(const std::string& path, std::string* note) {
  std::vector<ModeRow> rows;
  for (const AppendedRow& row :
       read_appended_csv(path, "modes file '" + path + "'", columns(), "nicenergy modes --output", note)) {
    ModeRow r;
    read_run_fields(row, r);
    r.by_design = row.text("by_design");
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
  std::vector<std::string> values = run_identity_values(r);
  values.push_back(r.by_design);
  for (const auto& v : {run_result_values(r),
                        std::vector<std::string>{number_text(r.max_abs_diff), number_text(r.tolerance),
                                                 r.exact ? "1" : "0", number_text(r.psnr_db),
                                                 number_text(r.psnr_db_float32), number_text(r.bpp),
                                                 number_text(r.bpp_float32)}})
    values.insert(values.end(), v.begin(), v.end());
  append_csv_row(path, columns(), values, "modes file '" + path + "'");
}

}  // namespace nicenergy
