#include "training/trainer.h"

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <thread>

#include "error.h"
#include "io/files.h"
#include "meters/window.h"
#include "models/codec.h"
#include "models/network.h"
#include "models/weights.h"
#include "models/zoo.h"
#include "protocol/codec_measurement.h"
#include "training/checkpoint.h"
#include "training/crops.h"
#include "training/rate_distortion.h"

namespace nicenergy {

std::string default_training_log(const std::string& output) {
  std::filesystem::path p(output);
  p.replace_extension(".csv");
  return p.string();
}

void check_train_settings(const TrainSettings& s) {
  const QualityConfig config = quality_config(find_network(s.model), s.quality);
  if (s.lambda != 0) check_lambda(s.lambda);
  if (s.iterations < 1) throw Error("--iterations must be 1 or more");
  if (s.batch_size < 1 || s.batch_size > 4096) throw Error("--batch-size must be 1 to 4096");
  const int multiple = config.spec->hyperprior ? 64 : 16;
  if (s.crop_px < multiple || s.crop_px % multiple != 0)
    throw Error("--crop-px " + std::to_string(s.crop_px) + " must be a multiple of " + std::to_string(multiple) + " for " +
                config.spec->abbr + " (its transforms downsample by " + std::to_string(multiple) + ")");
  for (double lr : {s.learning_rate, s.aux_learning_rate})
    if (!std::isfinite(lr) || lr <= 0 || lr > 1) throw Error("learning rates must lie in (0, 1]");
  if (!std::isfinite(s.clip_max_norm) || s.clip_max_norm < 0) throw Error("--clip-max-norm must be 0 (none) or positive");
  if (s.window_iterations < 1) throw Error("--window-iterations must be 1 or more");
  if (s.checkpoint_iterations < 1) throw Error("--checkpoint-iterations must be 1 or more");
  if (!std::isfinite(s.idle_s) || s.idle_s < 0 || s.idle_s > 3600) throw Error("--idle-s must be 0 to 3600 seconds");
  if (s.output.empty()) throw Error("give --output CHECKPOINT.safetensors");
  if (s.resume && !s.init_weights.empty()) throw Error("--resume continues --output; --init-weights starts afresh: give one");
}

namespace {
std::atomic<bool> g_stop{false};
extern "C" void request_stop(int) { g_stop = true; }

// SIGINT/SIGTERM (Ctrl-C, Slurm's notice) finish the iteration, save, and stop.
class StopSignals {
 public:
  StopSignals() {
    g_stop = false;
    previous_int_ = std::signal(SIGINT, request_stop);
    previous_term_ = std::signal(SIGTERM, request_stop);
  }
  ~StopSignals() {
    std::signal(SIGINT, previous_int_);
    std::signal(SIGTERM, previous_term_);
  }

 private:
  void (*previous_int_)(int);
  void (*previous_term_)(int);
};

std::string text(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.9g", v);
  return b;
}
}  // namespace

TrainResult train(const TrainSettings& s, PowerMeter& meter, const TrainProgressFn& progress) {
  check_train_settings(s);
  return train(s, CropSampler(s.data, s.crop_px, s.max_data_megapixels), meter, progress);
}

namespace {

// The checkpoint and the log: refused where they exist without --resume, their folders made.
void prepare_training_outputs(const TrainSettings& s, const std::string& log) {
  std::error_code ec;
  if (!s.resume && std::filesystem::exists(s.output, ec))
    throw Error("checkpoint '" + s.output + "' exists: pass --resume to continue it, or choose another --output");
  if (!s.resume && std::filesystem::exists(log, ec))
    throw Error("training log '" + log + "' exists: pass --resume to continue it, or choose another --output/--log");
  check_output_file(s.output, "checkpoint '" + s.output + "'");
  check_output_file(log, "training log '" + log + "'");
  for (const std::string& file : {s.output, log}) {
    const std::filesystem::path folder = std::filesystem::path(file).parent_path();
    if (!folder.empty()) std::filesystem::create_directories(folder);
  }
}

// The iteration a --resume goes on from (0 without a checkpoint); its settings
// must be this run's.
int64_t resume_checkpoint(const TrainSettings& s, Network& network, torch::optim::Adam& optimizer,
                          torch::optim::Adam& aux_optimizer, const std::map<std::string, std::string>& settings_meta,
                          const torch::Device& device) {
  std::error_code ec;
  if (!s.resume || !std::filesystem::exists(s.output, ec)) return 0;
  std::map<std::string, std::string> meta;
  const int64_t start = load_checkpoint(s.output, *network, optimizer, aux_optimizer, &meta);
  network->to(device);
  for (const auto& [key, value] : settings_meta)
    if (meta.count(key) && meta.at(key) != value)
      throw Error("checkpoint '" + s.output + "' was trained with " + key + " " + meta.at(key) + ", not " + value +
                  ": resume with the same settings" + (key == "training_data_folder" ? " (--data)" : "") +
                  " or choose another --output");
  return start;
}

// The entropy bottleneck's quantiles train apart, with the auxiliary loss (CompressAI's rule).
void split_parameters(Network& network, std::vector<torch::Tensor>& params, std::vector<torch::Tensor>& aux_params) {
  for (const auto& item : network->named_parameters()) {
    const std::string& name = item.key();
    const bool is_quantiles = name.size() >= 9 && name.compare(name.size() - 9, 9, "quantiles") == 0;
    (is_quantiles ? aux_params : params).push_back(item.value());
  }
}

// The settings a checkpoint records, and a resume must match.
std::map<std::string, std::string> settings_metadata(const TrainSettings& s, const QualityConfig& config,
                                                     double lambda) {
  std::error_code ec;
  return {{"network", config.spec->name},         {"abbr", config.spec->abbr},
          {"quality", std::to_string(s.quality)}, {"lambda", text(lambda)},
          {"batch_size", std::to_string(s.batch_size)}, {"crop_px", std::to_string(s.crop_px)},
          {"learning_rate", text(s.learning_rate)}, {"aux_learning_rate", text(s.aux_learning_rate)},
          {"clip_max_norm", text(s.clip_max_norm)}, {"seed", std::to_string(s.seed)},
          // A resume on other photographs would be another training: the folder is a setting.
          {"training_data_folder", std::filesystem::weakly_canonical(s.data, ec).string()}};
}

// What a checkpoint says of the training so far: its settings, photographs, energy and meter.
std::map<std::string, std::string> checkpoint_metadata(const std::map<std::string, std::string>& settings_meta,
                                                       const CropSampler& crops, const TrainResult& result,
                                                       const PowerMeter& meter, const std::string& device_text) {
  std::map<std::string, std::string> meta = settings_meta;
  std::string names;
  for (const std::string& n : crops.names()) names += (names.empty() ? "" : " ") + n;
  meta["training_data"] = names;
  meta["training_energy_j"] = text(result.energy_j);
  meta["training_dynamic_energy_j"] = text(result.dynamic_energy_j);
  meta["training_duration_s"] = text(result.duration_s);
  meta["training_meter"] = meter.name() + (meter.is_estimate() && meter.name() != "estimate" ? " (estimate)" : "");
  meta["training_device"] = device_text;
  meta["trained_with"] = "nicenergy train";
  return meta;
}

// The idle power the training's dynamic energy is taken against (0: none measured).
double training_idle_power_w(EnergyMonitor& monitor, double idle_s) {
  if (!(idle_s > 0)) return 0;
  monitor.begin_window("idle");
  std::this_thread::sleep_for(std::chrono::duration<double>(idle_s));
  return monitor.end_window("idle").mean_power_w();
}

// What every window of this run shares.
TrainingWindow first_window(const TrainSettings& s, const QualityConfig& config, const std::string& device_text,
                            PowerMeter& meter, EnergyMonitor& monitor, double idle_power_w) {
  TrainingWindow window;
  window.network = config.spec->name;
  window.abbr = config.spec->abbr;
  window.quality = s.quality;
  window.device = device_text;
  window.meter = meter.name();
  window.energy_method = to_string(monitor.method());
  window.estimate = meter.is_estimate();
  window.batch_size = s.batch_size;
  window.crop_px = s.crop_px;
  window.idle_power_w = idle_power_w;
  return window;
}

// One window's iterations: their summed losses and where they stopped (a stop signal ends them early).
struct WindowSums {
  double loss = 0, mse = 0, bpp = 0, aux = 0;
  int64_t done = 0;
};

WindowSums train_iterations(const TrainSettings& s, const CropSampler& crops, Network& network,
                            torch::optim::Adam& optimizer, torch::optim::Adam& aux_optimizer,
                            std::vector<torch::Tensor>& params, double lambda, const torch::Device& device,
                            int64_t begin, int64_t end) {
  WindowSums sums;
  sums.done = begin;
  for (; sums.done < end && !g_stop; ++sums.done) {
    const int64_t done = sums.done;
    // Noise and crops are functions of (seed, iteration): a resume repeats nothing and skips nothing.
    torch::manual_seed(s.seed * 1000003ULL + static_cast<uint64_t>(done));
    const torch::Tensor x = crops.batch(s.batch_size, s.seed, done).to(device);
    optimizer.zero_grad();
    const RateDistortionLoss rd = rate_distortion_loss(network->forward_training(x), x, lambda);
    rd.loss.backward();
    if (s.clip_max_norm > 0) torch::nn::utils::clip_grad_norm_(params, s.clip_max_norm);
    optimizer.step();
    aux_optimizer.zero_grad();
    const torch::Tensor aux_loss = network->entropy_bottleneck->aux_loss();
    aux_loss.backward();
    aux_optimizer.step();
    sums.loss += rd.loss.item<double>();
    sums.mse += rd.mse.item<double>();
    sums.bpp += rd.bpp.item<double>();
    sums.aux += aux_loss.item<double>();
    if (!std::isfinite(sums.loss))
      throw Error("training diverged at iteration " + std::to_string(done) + " (loss is not finite): lower --learning-rate or resume from the last checkpoint");
  }
  return sums;
}

// The window's row: its energy (Eq. (1) per iteration) and mean losses.
void fill_window(TrainingWindow& window, const WindowEnergy& w, const WindowSums& sums, int64_t begin,
                 double idle_power_w) {
  const int64_t n = sums.done - begin;
  window.iteration_begin = begin;
  window.iteration_end = sums.done;
  window.duration_s = w.duration_s();
  window.energy_j = w.energy_j();
  window.dynamic_energy_j = dynamic_energy_j(window.energy_j, idle_power_w, window.duration_s, 1);
  window.energy_per_iteration_j = dynamic_energy_j(window.energy_j, idle_power_w, window.duration_s, n);
  window.loss = sums.loss / n;
  window.mse = sums.mse / n;
  window.psnr_db = psnr_from_mse(window.mse);
  window.bpp = sums.bpp / n;
  window.aux_loss = sums.aux / n;
}

}  // namespace

TrainResult train(const TrainSettings& s, const CropSampler& crops, PowerMeter& meter, const TrainProgressFn& progress) {
  check_train_settings(s);
  if (crops.crop_px() != s.crop_px) throw Error("the crop sampler's crops differ from --crop-px");
  const torch::Device device = parse_device(s.device);
  const QualityConfig config = quality_config(find_network(s.model), s.quality);
  const double lambda = s.lambda != 0 ? s.lambda : zoo_lambda(s.quality);
  const std::string log = s.log.empty() ? default_training_log(s.output) : s.log;
  prepare_training_outputs(s, log);
  Network network = make_network(s.model, s.quality, s.seed);
  if (!s.init_weights.empty()) load_weights(*network, s.init_weights);
  network->to(device);
  network->train();
  std::vector<torch::Tensor> params, aux_params;
  split_parameters(network, params, aux_params);
  torch::optim::Adam optimizer(params, torch::optim::AdamOptions(s.learning_rate));
  torch::optim::Adam aux_optimizer(aux_params, torch::optim::AdamOptions(s.aux_learning_rate));

  const std::map<std::string, std::string> settings_meta = settings_metadata(s, config, lambda);
  const int64_t start = resume_checkpoint(s, network, optimizer, aux_optimizer, settings_meta, device);
  if (start >= s.iterations)
    throw Error("checkpoint '" + s.output + "' already has " + std::to_string(start) + " iterations: raise --iterations to train on");
  const std::vector<TrainingWindow> earlier = truncate_training_csv(log, start);

  TrainResult result;
  result.iteration_begin = start;
  for (const TrainingWindow& w : earlier) {
    result.energy_j += w.energy_j;
    result.dynamic_energy_j += w.dynamic_energy_j;
    result.duration_s += w.duration_s;
  }
  result.estimate = meter.is_estimate();
  const auto synchronize = device_synchronizer(device);
  EnergyMonitor monitor(meter);
  const double idle_power_w = training_idle_power_w(monitor, s.idle_s);
  auto checkpoint = [&](int64_t iteration) {
    save_checkpoint(s.output, *network, optimizer, aux_optimizer, iteration,
                    checkpoint_metadata(settings_meta, crops, result, meter, describe_device(device, meter)));
  };

  const StopSignals signals;
  const auto run_start = std::chrono::steady_clock::now();
  TrainingWindow window = first_window(s, config, describe_device(device, meter), meter, monitor, idle_power_w);
  int64_t since_checkpoint = 0;
  for (int64_t begin = start; begin < s.iterations;) {
    const int64_t end = std::min(s.iterations, begin + s.window_iterations);
    monitor.begin_window("train");
    const WindowSums sums = train_iterations(s, crops, network, optimizer, aux_optimizer, params, lambda, device, begin, end);
    const int64_t done = sums.done;
    if (synchronize) synchronize();
    const WindowEnergy w = monitor.end_window("train");
    if (done == begin) break;  // stopped before the first iteration of this window
    const int64_t n = done - begin;
    fill_window(window, w, sums, begin, idle_power_w);
    append_text_synced(log, training_csv_row(window), "training log");
    result.energy_j += window.energy_j;
    result.dynamic_energy_j += window.dynamic_energy_j;
    result.duration_s += window.duration_s;
    since_checkpoint += n;
    begin = done;
    const bool last = done >= s.iterations || g_stop;
    if (last || since_checkpoint >= s.checkpoint_iterations) {
      checkpoint(done);
      since_checkpoint = 0;
    }
    result.iteration_end = done;
    result.last = window;
    if (progress) {
      const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - run_start).count();
      const double eta = elapsed / static_cast<double>(done - start) * static_cast<double>(s.iterations - done);
      progress(window, s.iterations, elapsed, eta);
    }
    if (g_stop) {
      result.interrupted = true;
      break;
    }
  }
  network->eval();
  return result;
}

}  // namespace nicenergy
