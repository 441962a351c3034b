// The results of `nicenergy modes`, one CSV row per (network, quality, image,
// device, weights, threads, mode), appended as each mode finishes: an
// interrupted run keeps what it finished, and the next run with the same
// --output measures only the modes still missing.
#pragma once
#include <string>
#include <vector>

namespace nicenergy {

struct ModeRow {
  std::string network, abbr;
  int quality = 0;
  std::string image;
  int width = 0, height = 0;
  std::string device, meter;
  bool estimate = false;       // the meter is the CPU-time ESTIMATE
  int threads = 0;
  std::string weights;         // the file, or "seeded N"
  std::string mode;            // "float32", "channels_last+subpixel", ...
  std::string by_design;       // "reference", "exact", "lower precision", "non-deterministic"
  double duration_s = 0;       // per execution
  double energy_j = 0;         // dynamic energy per execution, Eq. (1)
  double energy_ci_j = 0;
  int k = 0;
  int64_t m = 0;
  double max_abs_diff = 0, tolerance = 0;
  bool exact = false;          // output within float32 rounding of the reference's
  double psnr_db = 0, psnr_db_float32 = 0, bpp = 0, bpp_float32 = 0;

  // What makes two rows the same measurement (all but the results).
  std::string key() const;
};

// The rows of a file written by append_mode_row; none when it does not exist.
// A torn last row (an interrupted write) is dropped from the file, said in
// *note. Errors name the file and the line.
std::vector<ModeRow> read_mode_rows(const std::string& path, std::string* note = nullptr);
// Appends one row (and the header to a new file), synced to disk.
void append_mode_row(const std::string& path, const ModeRow& row);

}  // namespace nicenergy
