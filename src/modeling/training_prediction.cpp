#include "modeling/training_prediction.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "error.h"
#include "models/zoo.h"
#include "stats/stats.h"

namespace nicenergy {

const std::vector<TrainingSchedule>& training_schedules() {
  static const std::vector<TrainingSchedule> schedules = {
      {"compressai", 4'000'000, 5'000'000, {16, 32}, 256,
       "CompressAI model zoo, section Training (https://interdigitalinc.github.io/CompressAI/zoo.html)",
       "networks were trained for 4-5M steps on 256x256 image patches randomly cropped and extracted from the "
       "Vimeo90K dataset ... with a batch size of 16 or 32"}};
  return schedules;
}

const TrainingSchedule& find_training_schedule(const std::string& name) {
  std::string known;
  for (const TrainingSchedule& s : training_schedules()) {
    if (s.name == name) return s;
    known += (known.empty() ? "" : ", ") + s.name;
  }
  throw Error("unknown --schedule '" + name + "': the known schedules are " + known +
              "; or give the number with --iterations N");
}

const std::string& training_prediction_method() {
  // Each window's energy per iteration is a mean over its iterations, so its
  // variance is sigma^2 / n_i. The weighted mean sum(E_i) / sum(n_i) then has
  // variance sigma^2 / sum(n_i), with sigma^2 estimated from the windows'
  // weighted scatter; Student's t with k - 1 degrees of freedom for the
  // interval. For equal windows this is the plain t interval of window means.
  static const std::string method =
      "energy per iteration = sum of dynamic energy / sum of iterations over the windows after warm-up; interval: "
      "Student t (k-1 dof) on the window means weighted by iterations, half-width t*sqrt(s2/sum n) with "
      "s2 = sum n_i (e_i - e)^2 / (k-1); E_train = e x N, its interval (e -/+ half-width) x N";
  return method;
}

static std::string codec_key(const TrainingWindow& w) {
  const NetworkSpec* spec = lookup_network(w.network.empty() ? w.abbr : w.network);
  return (spec ? spec->name : (w.network.empty() ? w.abbr : w.network)) + " q" + std::to_string(w.quality);
}

std::vector<std::vector<TrainingWindow>> group_training_windows(const std::vector<TrainingWindow>& windows,
                                                                const std::string& source) {
  std::vector<std::string> keys;
  std::map<std::string, std::vector<TrainingWindow>> groups;
  for (const TrainingWindow& w : windows) {
    const std::string key = codec_key(w);
    if (!groups.count(key)) keys.push_back(key);
    std::vector<TrainingWindow>& g = groups[key];
    if (!g.empty() && (g.front().device != w.device || g.front().batch_size != w.batch_size ||
                       g.front().crop_px != w.crop_px))
      throw Error(source + ": the windows of " + key + " mix devices, batch sizes or crops ('" + g.front().device +
                  "' batch " + std::to_string(g.front().batch_size) + " crop " + std::to_string(g.front().crop_px) +
                  " and '" + w.device + "' batch " + std::to_string(w.batch_size) + " crop " +
                  std::to_string(w.crop_px) + "): give one training run per file");
    g.push_back(w);
  }
  std::vector<std::vector<TrainingWindow>> out;
  for (const std::string& k : keys) out.push_back(groups[k]);
  return out;
}

TrainingEnergy training_energy(const std::vector<TrainingWindow>& input, const TrainingPredictionOptions& options,
                               const std::string& source) {
  if (input.empty()) throw Error(source + " holds no training windows: run `nicenergy train` first");
  if (!(options.confidence > 0 && options.confidence < 1))
    throw Error("confidence " + std::to_string(options.confidence) + " is not between 0 and 1");
  if (options.warmup_iterations && *options.warmup_iterations < 0)
    throw Error("--warmup-iterations " + std::to_string(*options.warmup_iterations) + " is negative");
  std::vector<TrainingWindow> windows = input;
  std::stable_sort(windows.begin(), windows.end(),
                   [](const TrainingWindow& a, const TrainingWindow& b) { return a.iteration_begin < b.iteration_begin; });
  TrainingEnergy t;
  t.source = source;
  t.network = windows.front().network;
  t.abbr = windows.front().abbr;
  t.quality = windows.front().quality;
  t.device = windows.front().device;
  t.batch_size = windows.front().batch_size;
  t.crop_px = windows.front().crop_px;
  t.confidence = options.confidence;
  t.windows = windows.size();
  for (const TrainingWindow& w : windows) {
    if (codec_key(w) != codec_key(windows.front()))
      throw Error(source + ": windows of " + codec_key(w) + " and " + codec_key(windows.front()) +
                  " together: one codec at a time");
    t.measured_iterations += w.iterations();
    t.measured_training_energy_j += w.dynamic_energy_j;
    t.estimate = t.estimate || w.estimate;
  }
  const int64_t warmup_end =
      options.warmup_iterations ? *options.warmup_iterations : windows.front().iteration_end;
  std::vector<const TrainingWindow*> used;
  for (const TrainingWindow& w : windows) {
    if (w.iteration_begin >= warmup_end && (options.warmup_iterations || &w != &windows.front()))
      used.push_back(&w);
    else
      t.warmup_iterations += w.iterations();
  }
  t.windows_used = used.size();
  if (used.size() < 2) return t;  // the measured total only
  double energy = 0;
  int64_t iterations = 0;
  for (const TrainingWindow* w : used) {
    energy += w->dynamic_energy_j;
    iterations += w->iterations();
  }
  const double e = energy / static_cast<double>(iterations);
  double s2 = 0;
  for (const TrainingWindow* w : used) {
    const double ei = w->dynamic_energy_j / static_cast<double>(w->iterations());
    s2 += static_cast<double>(w->iterations()) * (ei - e) * (ei - e);
  }
  const double k = static_cast<double>(used.size());
  s2 /= k - 1;
  const double t_quantile = student_t_quantile((1 + options.confidence) / 2, k - 1);
  t.iterations_used = iterations;
  t.energy_per_iteration_j = e;
  t.energy_per_iteration_ci_j = t_quantile * std::sqrt(s2 / static_cast<double>(iterations));
  return t;
}

TrainingPrediction predict_training_energy(const TrainingEnergy& measured, int64_t iterations) {
  if (iterations < 1)
    throw Error("--iterations " + std::to_string(iterations) + " is not a positive number of iterations");
  if (measured.windows_used < 2)
    throw Error(measured.source + ": " + measured.abbr + " q" + std::to_string(measured.quality) + " has " +
                std::to_string(measured.windows_used) + " window(s) after a warm-up of " +
                std::to_string(measured.warmup_iterations) +
                " iterations, and a prediction with an interval needs at least 2: train longer, lower "
                "--warmup-iterations, or use the measured total");
  TrainingPrediction p;
  p.measured = measured;
  p.iterations = p.iterations_min = p.iterations_max = iterations;
  const double n = static_cast<double>(iterations);
  p.training_energy_j = measured.energy_per_iteration_j * n;
  p.training_energy_low_j = (measured.energy_per_iteration_j - measured.energy_per_iteration_ci_j) * n;
  p.training_energy_high_j = (measured.energy_per_iteration_j + measured.energy_per_iteration_ci_j) * n;
  p.method = training_prediction_method();
  if (iterations < measured.measured_iterations)
    p.notes.push_back("the schedule of " + std::to_string(iterations) + " iterations is shorter than the " +
                      std::to_string(measured.measured_iterations) + " measured");
  return p;
}

TrainingRescale parse_training_rescale(const std::string& text) {
  if (text == "pixels") return TrainingRescale::pixels;
  if (text == "none") return TrainingRescale::none;
  throw Error("unknown --rescale '" + text + "': give pixels (scale the energy per iteration to the schedule's "
              "batch x crop^2) or none (keep it as measured)");
}

const std::string& pixel_rescale_model() {
  static const std::string model =
      "MODEL: energy per iteration x (schedule's batch x crop^2) / (measured batch x crop^2), as Eq. (2) is linear "
      "in pixels; it leaves out what does not grow with pixels (the optimizer step) and how the device's "
      "efficiency changes with the work per iteration (docs/lifecycle.md gives its measured error)";
  return model;
}

TrainingPrediction predict_training_energy(const TrainingEnergy& measured, const TrainingSchedule& schedule,
                                           TrainingRescale rescale) {
  TrainingPrediction p = predict_training_energy(measured, (schedule.iterations_min + schedule.iterations_max) / 2);
  p.schedule = schedule.name;
  p.iterations_min = schedule.iterations_min;
  p.iterations_max = schedule.iterations_max;
  const auto [batch_min, batch_max] = std::minmax_element(schedule.batch_sizes.begin(), schedule.batch_sizes.end());
  std::string batches;
  for (int64_t b : schedule.batch_sizes) batches += (batches.empty() ? "" : " or ") + std::to_string(b);
  const bool same = std::find(schedule.batch_sizes.begin(), schedule.batch_sizes.end(), measured.batch_size) !=
                        schedule.batch_sizes.end() &&
                    measured.crop_px == schedule.crop_px;
  const std::string geometry = "measured at batch " + std::to_string(measured.batch_size) + " and " +
                               std::to_string(measured.crop_px) + "x" + std::to_string(measured.crop_px) +
                               " crops, the schedule used batch " + batches + " and " +
                               std::to_string(schedule.crop_px) + "x" + std::to_string(schedule.crop_px);
  if (!same && rescale == TrainingRescale::pixels && measured.batch_size > 0 && measured.crop_px > 0) {
    const double measured_px = static_cast<double>(measured.batch_size) * measured.crop_px * measured.crop_px;
    const double crop_px2 = static_cast<double>(schedule.crop_px) * schedule.crop_px;
    p.rescaled = true;
    p.pixel_scale_min = static_cast<double>(*batch_min) * crop_px2 / measured_px;
    p.pixel_scale_max = static_cast<double>(*batch_max) * crop_px2 / measured_px;
    p.pixel_scale = (p.pixel_scale_min + p.pixel_scale_max) / 2;
  }
  const double e = measured.energy_per_iteration_j, ci = measured.energy_per_iteration_ci_j;
  p.training_energy_j = e * p.pixel_scale * static_cast<double>(p.iterations);
  p.training_energy_low_j = (e - ci) * p.pixel_scale_min * static_cast<double>(schedule.iterations_min);
  p.training_energy_high_j = (e + ci) * p.pixel_scale_max * static_cast<double>(schedule.iterations_max);
  p.notes.push_back("schedule '" + schedule.name + "': " + std::to_string(schedule.iterations_min) + " to " +
                    std::to_string(schedule.iterations_max) + " iterations (" + schedule.source + ": \"" +
                    schedule.quote + "\"); E_train at the midpoint, the interval spans the range");
  if (p.rescaled) {
    char factors[96];
    std::snprintf(factors, sizeof factors, "x%.4g (batch %lld) to x%.4g (batch %lld), x%.4g in E_train",
                  p.pixel_scale_min, static_cast<long long>(*batch_min), p.pixel_scale_max,
                  static_cast<long long>(*batch_max), p.pixel_scale);
    p.notes.push_back(geometry + ": the energy per iteration is scaled by pixels per iteration, " + factors +
                      " (a MODEL; --rescale none keeps it as measured)");
  } else if (!same) {
    p.notes.push_back(geometry + ": the energy per iteration is not rescaled (--rescale none), so E_train is that "
                      "of this schedule's iterations at the measured batch and crop");
  }
  return p;
}

}  // namespace nicenergy
