// The training log: one row per measurement window of `nicenergy train`,
// appended and synced as training goes, so an interrupted run keeps every
// finished window. `lifecycle` reads it for the training energy.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace nicenergy {

struct TrainingWindow {
  std::string network, abbr;
  int quality = 0;
  std::string device, meter, energy_method;
  bool estimate = false;  // the meter is the labelled CPU estimate
  int64_t batch_size = 0;
  int crop_px = 0;
  int64_t iteration_begin = 0, iteration_end = 0;  // [begin, end)
  double duration_s = 0, energy_j = 0, idle_power_w = 0;
  double dynamic_energy_j = 0;        // Eq. (1), iterations as executions
  double energy_per_iteration_j = 0;  // dynamic_energy_j / iterations
  double loss = 0, mse = 0, psnr_db = 0, bpp = 0, aux_loss = 0;  // means over the window
  int64_t iterations() const { return iteration_end - iteration_begin; }
};

const std::vector<std::string>& training_csv_columns();
std::string training_csv_header();  // with its line break
std::string training_csv_row(const TrainingWindow& window);

// Every complete row; throws Error naming the file for other columns or a bad
// value. A torn last row (no line break: an interrupted append) is left out;
// a damaged row with rows after it (an unclosed quote) is refused naming its
// line, and so are two rows of one codec sharing an iteration (a window written
// twice), naming both lines.
std::vector<TrainingWindow> read_training_csv(const std::string& path);

// Before resuming at `iteration`: keeps the rows that end at or before it
// (later ones belong to work the checkpoint does not hold) and rewrites the
// file in place atomically. A missing file is started with its header.
std::vector<TrainingWindow> truncate_training_csv(const std::string& path, int64_t iteration);

}  // namespace nicenergy
