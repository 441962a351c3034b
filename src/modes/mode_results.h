// The results of `nicenergy modes`, one CSV row per (network, quality, image,
// device, weights, threads, mode), appended as each mode finishes: an
// interrupted run keeps what it finished, and the next run with the same
// --output measures only the modes still missing. A mode that failed gets a
// row too, with its reason in `error` and no figures; a rerun tries it again.
#pragma once
#include <string>
#include <vector>

#include "modes/run_row.h"

namespace nicenergy {

struct ModeRow : RunRow {
  std::string by_design;       // "reference", "exact", "lower precision", "non-deterministic"
  double max_abs_diff = 0, tolerance = 0;
  bool exact = false;          // output within float32 rounding of the reference's
  double psnr_db = 0, psnr_db_float32 = 0, bpp = 0, bpp_float32 = 0;
  std::string error;           // why the mode failed, one line; empty when it was measured

  bool failed() const { return !error.empty(); }
  // What makes two rows the same measurement (all but the results).
  std::string key() const;
};

// The rows of a file written by append_mode_row, changing nothing; none when it
// does not exist. Failed modes are left out unless failed_too. A file that
// `modes` did not write, or damaged before its last row, is refused in one
// line naming the file (and the line).
std::vector<ModeRow> read_mode_rows(const std::string& path, bool failed_too = false);
// For `modes --output` about to append, holding its lock: the measured rows,
// a torn last row (an interrupted write) cut from the file and said in *note.
std::vector<ModeRow> resume_mode_rows(const std::string& path, std::string* note);
// Appends one row (and the header to a new file), synced to disk.
void append_mode_row(const std::string& path, const ModeRow& row);

}  // namespace nicenergy
