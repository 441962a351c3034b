// Training energy of a full schedule from its first measured windows, as
// Carbontracker (Anthony et al., arXiv 2007.03051) predicts a whole training
// from its first epochs: the energy per iteration after a warm-up, times the
// schedule's iterations, with a confidence interval. Also the measured total,
// for a training that ran to its end.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "training/training_csv.h"

namespace nicenergy {

// A published training schedule: how many iterations (optimizer steps) a
// network was trained for, with where that is said.
struct TrainingSchedule {
  std::string name;              // what --schedule takes
  int64_t iterations_min = 0;    // a range where the source gives one ("4-5M steps")
  int64_t iterations_max = 0;
  std::vector<int64_t> batch_sizes;  // the source's ("16 or 32")
  int crop_px = 0;               // training patch side
  std::string source;            // the document and its address
  std::string quote;             // what it says, briefly
};

// The known schedules; "compressai" is CompressAI's model zoo's, for all six networks.
const std::vector<TrainingSchedule>& training_schedules();
// Throws Error naming the known ones for an unknown name.
const TrainingSchedule& find_training_schedule(const std::string& name);

struct TrainingPredictionOptions {
  // Windows that begin before this iteration are warm-up and left out of the
  // mean; unset: the first window (lowest iteration_begin) is the warm-up.
  std::optional<int64_t> warmup_iterations;
  double confidence = 0.95;
};

// One codec's (network, quality) training windows.
struct TrainingEnergy {
  std::string source;  // the file, for messages
  std::string network;
  std::string abbr;
  int quality = 0;
  std::string device;
  int64_t batch_size = 0;
  int crop_px = 0;
  bool estimate = false;  // some window came from the CPU estimate meter
  // Measured: every window, warm-up included.
  size_t windows = 0;
  int64_t measured_iterations = 0;
  double measured_training_energy_j = 0;  // sum of the windows' dynamic energy, Eq. (1)
  // The mean over the windows after the warm-up.
  size_t windows_used = 0;
  int64_t iterations_used = 0;
  int64_t warmup_iterations = 0;           // iterations left out as warm-up
  double energy_per_iteration_j = 0;       // sum of dynamic energy / sum of iterations
  double energy_per_iteration_ci_j = 0;    // half-width of its interval
  double confidence = 0.95;
};

// The prediction for a schedule of `iterations` (or a range of them).
struct TrainingPrediction {
  TrainingEnergy measured;
  std::string schedule;                 // a schedule's name, or "" for --iterations
  int64_t iterations = 0;               // N (a range's midpoint)
  int64_t iterations_min = 0, iterations_max = 0;
  double training_energy_j = 0;         // energy_per_iteration_j x N
  double training_energy_low_j = 0;     // the interval's ends (at the range's ends)
  double training_energy_high_j = 0;
  std::string method;                   // how the interval is made, for outputs
  std::vector<std::string> notes;       // e.g. a batch size that differs from the schedule's
  // The energy per iteration scaled to the schedule's pixels per iteration
  // (a MODEL, TrainingRescale::pixels): the factors at the schedule's smallest,
  // middle and largest batch. All 1 when nothing was scaled.
  bool rescaled = false;
  double pixel_scale = 1, pixel_scale_min = 1, pixel_scale_max = 1;
};

// What a schedule's prediction does when the measured batch or crop is not the
// schedule's: scale the energy per iteration by the pixels per iteration
// (batch x crop^2), a labelled MODEL, or leave it as measured.
enum class TrainingRescale { pixels, none };
// "pixels" or "none"; throws Error naming the choices for other text.
TrainingRescale parse_training_rescale(const std::string& text);
// What the pixel rescale assumes, said once for outputs.
const std::string& pixel_rescale_model();

// How the interval is computed, said once for outputs.
const std::string& training_prediction_method();

// The windows grouped by (network, quality), in the order first seen; a
// group whose windows ran on different devices, batch sizes or crops is refused.
std::vector<std::vector<TrainingWindow>> group_training_windows(const std::vector<TrainingWindow>& windows,
                                                                const std::string& source);

// The measured total and the energy per iteration of one group's windows (the
// latter only with two windows or more after the warm-up: windows_used < 2
// leaves it at 0). Throws Error for no windows, options out of range, or
// windows of more than one codec.
TrainingEnergy training_energy(const std::vector<TrainingWindow>& windows, const TrainingPredictionOptions& options,
                               const std::string& source);

// E_train(N) = energy per iteration x N, with an interval. Throws Error for
// N < 1, or fewer than two windows after the warm-up (no interval from one).
TrainingPrediction predict_training_energy(const TrainingEnergy& measured, int64_t iterations);
// The same over a schedule's range: N at its midpoint, the interval from the
// lower end at iterations_min to the upper end at iterations_max. Measured at
// another batch or crop than the schedule's, the energy per iteration is scaled
// by pixels per iteration (`rescale` pixels: the middle batch for E_train, the
// smallest and largest for the interval's ends), or left as measured (none).
TrainingPrediction predict_training_energy(const TrainingEnergy& measured, const TrainingSchedule& schedule,
                                           TrainingRescale rescale = TrainingRescale::pixels);

}  // namespace nicenergy
