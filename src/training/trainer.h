// `nicenergy train`: CompressAI's training recipe (examples/train.py) on our
// networks, with the energy of every window of iterations measured by the same
// meters and windows as inference, and checkpoints that resume.
#pragma once
#include <cstdint>
#include <functional>
#include <string>

#include "meters/power_meter.h"
#include "training/crops.h"
#include "training/training_csv.h"

namespace nicenergy {

// Defaults are CompressAI's example settings where it has one.
struct TrainSettings {
  std::string model;                  // name or abbreviation
  int quality = 1;
  std::string data;                   // folder of photographs
  int64_t max_data_megapixels = kDefaultMaxDataMegapixels;  // decoded pixels of the whole folder, at most
  std::string output;                 // checkpoint (.safetensors); PATH.optimizer beside it
  std::string log;                    // training CSV; "" = output with .csv for .safetensors
  int64_t iterations = 1000;          // total, counting those of a resumed checkpoint
  int64_t batch_size = 16;
  int crop_px = 256;
  double lambda = 0;                  // 0 = the zoo's lambda for the quality
  double learning_rate = 1e-4;
  double aux_learning_rate = 1e-3;
  double clip_max_norm = 1.0;         // 0 = no clipping
  int64_t window_iterations = 10;     // iterations per energy window (one CSV row)
  int64_t checkpoint_iterations = 100;
  double idle_s = 10;                 // idle reference before training (0 = none: dynamic = total)
  std::string device = "cpu";
  uint64_t seed = 0;
  bool resume = false;                // continue `output` where it stopped
  std::string init_weights;           // start from these weights (fine-tuning)
};

std::string default_training_log(const std::string& output);

struct TrainResult {
  int64_t iteration_begin = 0, iteration_end = 0;  // of this run
  double energy_j = 0, dynamic_energy_j = 0, duration_s = 0;  // whole log, earlier runs included
  bool estimate = false;
  bool interrupted = false;  // SIGINT/SIGTERM: stopped after a checkpoint
  TrainingWindow last;
};

// Called after each window: the row, the total iterations, this run's elapsed
// seconds and the ETA (< 0 unknown).
using TrainProgressFn = std::function<void(const TrainingWindow&, int64_t total, double elapsed_s, double eta_s)>;

// Throws Error for bad settings before anything runs (one line naming the setting).
void check_train_settings(const TrainSettings& settings);

TrainResult train(const TrainSettings& settings, PowerMeter& meter, const TrainProgressFn& progress = {});
// The same on images already loaded (the CLI loads them before it opens the
// meter, so that bad data is one line and the images are decoded once).
TrainResult train(const TrainSettings& settings, const CropSampler& crops, PowerMeter& meter,
                  const TrainProgressFn& progress = {});

}  // namespace nicenergy
