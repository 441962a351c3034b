// Training-energy prediction (modeling/training_prediction.h) on synthetic
// per-iteration energies, read back through the training CSV (training/training_csv.h).
#include <cmath>
#include <cstdio>
#include <random>

#include "modeling/training_prediction.h"
#include "stats/stats.h"
#include "test_util.h"
#include "training/training_csv.h"

using namespace nicenergy;

namespace {

// One window over the per-iteration energies [begin, end) of `series`, with an
// idle power so that Eq. (1) has something to subtract.
TrainingWindow window_over(const std::vector<double>& series, int64_t begin, int64_t end, bool estimate = false) {
  TrainingWindow w;
  w.network = "bmshj2018_factorized";
  w.abbr = "Bfac";
  w.quality = 1;
  w.device = "cpu";
  w.meter = estimate ? "estimate" : "rapl";
  w.energy_method = estimate ? "estimate" : "counter";
  w.estimate = estimate;
  w.batch_size = 8;
  w.crop_px = 256;
  w.iteration_begin = begin;
  w.iteration_end = end;
  w.idle_power_w = 20;
  w.duration_s = 0.1 * static_cast<double>(w.iterations());
  double dynamic = 0;
  for (int64_t i = begin; i < end; ++i) dynamic += series[static_cast<size_t>(i)];
  w.dynamic_energy_j = dynamic;
  w.energy_j = dynamic + w.idle_power_w * w.duration_s;
  w.energy_per_iteration_j = dynamic / static_cast<double>(w.iterations());
  w.loss = 1.5;
  return w;
}

// Per-iteration energy: mean_j with Gaussian noise, the first warmup iterations
// dearer (caches, allocator, clocks ramping up).
std::vector<double> synthetic_series(size_t n, double mean_j, double noise_j, size_t warmup, double warmup_extra_j,
                                     unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(0, noise_j);
  std::vector<double> series(n);
  for (size_t i = 0; i < n; ++i) series[i] = mean_j + noise(rng) + (i < warmup ? warmup_extra_j : 0);
  return series;
}

}  // namespace

// Carbontracker's idea on a known series: measure 1000 of 20000 iterations,
// predict the whole; the interval holds the true total and is informative.
TEST(TrainingPrediction, ScheduleRecoversKnownTotalWithinInterval) {
  const size_t total_iterations = 20000, window = 50, measured = 1000, warmup = 50;
  for (unsigned seed : {1u, 2u, 3u}) {
    const auto series = synthetic_series(total_iterations, 2.5, 0.6, warmup, 3.0, seed);
    std::vector<TrainingWindow> windows;
    for (size_t b = 0; b < measured; b += window) windows.push_back(window_over(series, b, b + window));
    double true_total = 0;
    for (double e : series) true_total += e;

    const TrainingEnergy t = training_energy(windows, {}, "synthetic");
    EXPECT_EQ(t.windows, 20u);
    EXPECT_EQ(t.windows_used, 19u);  // the first window is warm-up
    EXPECT_EQ(t.warmup_iterations, 50);
    const TrainingPrediction p = predict_training_energy(t, static_cast<int64_t>(total_iterations));
    EXPECT_EQ(p.iterations, 20000);
    EXPECT_LE(p.training_energy_low_j, true_total) << "seed " << seed;
    EXPECT_GE(p.training_energy_high_j, true_total) << "seed " << seed;
    // Informative: an interval narrower than 5 % of the total, not the whole axis.
    EXPECT_LT(p.training_energy_high_j - p.training_energy_low_j, 0.05 * true_total);
    EXPECT_GT(p.training_energy_high_j - p.training_energy_low_j, 0);
    EXPECT_NEAR(p.training_energy_j, 2.5 * 20000, 0.03 * 2.5 * 20000);
    // The warm-up, left in, biases the mean upwards: the reason to skip it.
    TrainingPredictionOptions all;
    all.warmup_iterations = 0;
    const TrainingEnergy with_warmup = training_energy(windows, all, "synthetic");
    EXPECT_EQ(with_warmup.windows_used, 20u);
    EXPECT_GT(with_warmup.energy_per_iteration_j, t.energy_per_iteration_j + 0.1);
  }
}

// Equal windows: the weighted interval is the plain Student-t interval of the
// window means (stats/stats.h), scaled to one iteration.
TEST(TrainingPrediction, EqualWindowsGiveTheStudentTIntervalOfWindowMeans) {
  const auto series = synthetic_series(900, 1.7, 0.4, 100, 2.0, 7);
  std::vector<TrainingWindow> windows;
  std::vector<double> means;
  for (int64_t b = 0; b < 900; b += 100) {
    windows.push_back(window_over(series, b, b + 100));
    if (b > 0) means.push_back(windows.back().energy_per_iteration_j);
  }
  const TrainingEnergy t = training_energy(windows, {}, "synthetic");
  const ConfidenceInterval ci = mean_confidence_interval(means, 0.95);
  EXPECT_NEAR(t.energy_per_iteration_j, ci.mean, 1e-12);
  EXPECT_NEAR(t.energy_per_iteration_ci_j, ci.half_width, 1e-9 * ci.half_width);
  EXPECT_GT(t.energy_per_iteration_ci_j, 0);
}

// Unequal windows weigh by iterations: the mean is total dynamic energy over iterations.
TEST(TrainingPrediction, UnequalWindowsWeighByIterations) {
  const auto series = synthetic_series(1000, 3.0, 0.5, 10, 4.0, 11);
  std::vector<TrainingWindow> windows = {window_over(series, 0, 10), window_over(series, 10, 110),
                                         window_over(series, 110, 610), window_over(series, 610, 1000)};
  const TrainingEnergy t = training_energy(windows, {}, "synthetic");
  double sum = 0;
  for (size_t i = 10; i < 1000; ++i) sum += series[i];
  EXPECT_NEAR(t.energy_per_iteration_j, sum / 990, 1e-12);
  EXPECT_EQ(t.iterations_used, 990);
}

TEST(TrainingPrediction, MeasuredTotalCountsEveryWindowWarmupIncluded) {
  const auto series = synthetic_series(300, 2.0, 0.3, 100, 5.0, 5);
  std::vector<TrainingWindow> windows = {window_over(series, 200, 300), window_over(series, 0, 100),
                                         window_over(series, 100, 200, true)};
  const TrainingEnergy t = training_energy(windows, {}, "synthetic");
  double sum = 0;
  for (double e : series) sum += e;
  EXPECT_NEAR(t.measured_training_energy_j, sum, 1e-9 * sum);
  EXPECT_EQ(t.measured_iterations, 300);
  EXPECT_TRUE(t.estimate);  // one window came from the CPU estimate
  // Sorted by iteration: the window at 0 is the warm-up, whatever the file's order.
  EXPECT_EQ(t.warmup_iterations, 100);
  EXPECT_EQ(t.windows_used, 2u);
}

TEST(TrainingPrediction, WarmupIterationsLeaveOutWindowsBeginningBeforeThem) {
  const auto series = synthetic_series(500, 2.0, 0.3, 200, 5.0, 9);
  std::vector<TrainingWindow> windows;
  for (int64_t b = 0; b < 500; b += 100) windows.push_back(window_over(series, b, b + 100));
  TrainingPredictionOptions options;
  options.warmup_iterations = 200;
  const TrainingEnergy t = training_energy(windows, options, "synthetic");
  EXPECT_EQ(t.windows_used, 3u);
  EXPECT_EQ(t.warmup_iterations, 200);
  double sum = 0;
  for (size_t i = 200; i < 500; ++i) sum += series[i];
  EXPECT_NEAR(t.energy_per_iteration_j, sum / 300, 1e-12);
}

TEST(TrainingPrediction, OneWindowAfterWarmupGivesTotalButNoPrediction) {
  const auto series = synthetic_series(200, 2.0, 0.3, 100, 5.0, 3);
  const std::vector<TrainingWindow> windows = {window_over(series, 0, 100), window_over(series, 100, 200)};
  const TrainingEnergy t = training_energy(windows, {}, "t.csv");
  EXPECT_GT(t.measured_training_energy_j, 0);
  const std::string e = test_util::error_of([&] { predict_training_energy(t, 1000); });
  EXPECT_NE(e.find("t.csv"), std::string::npos) << e;
  EXPECT_NE(e.find("at least 2"), std::string::npos) << e;
  const std::string zero = test_util::error_of([&] { predict_training_energy(t, 0); });
  EXPECT_NE(zero.find("--iterations 0"), std::string::npos) << zero;
}

TEST(TrainingPrediction, CompressAISchedulePredictsOverItsRangeWithSource) {
  const TrainingSchedule& s = find_training_schedule("compressai");
  EXPECT_EQ(s.iterations_min, 4000000);
  EXPECT_EQ(s.iterations_max, 5000000);
  EXPECT_NE(s.source.find("interdigitalinc.github.io/CompressAI/zoo.html"), std::string::npos);
  const auto series = synthetic_series(1000, 2.0, 0.3, 100, 5.0, 13);
  std::vector<TrainingWindow> windows;
  for (int64_t b = 0; b < 1000; b += 100) windows.push_back(window_over(series, b, b + 100));
  const TrainingEnergy t = training_energy(windows, {}, "synthetic");
  auto said = [](const TrainingPrediction& p, const std::string& text) {
    for (const std::string& n : p.notes)
      if (n.find(text) != std::string::npos) return true;
    return false;
  };
  // Measured at batch 8 of 256x256 crops, the schedule's 16 or 32: by default the
  // energy per iteration is scaled by pixels per iteration, x2 to x4 (x3 in E_train).
  const TrainingPrediction p = predict_training_energy(t, s);
  EXPECT_EQ(p.iterations, 4500000);
  EXPECT_TRUE(p.rescaled);
  EXPECT_DOUBLE_EQ(p.pixel_scale_min, 2.0);
  EXPECT_DOUBLE_EQ(p.pixel_scale_max, 4.0);
  EXPECT_DOUBLE_EQ(p.pixel_scale, 3.0);
  EXPECT_NEAR(p.training_energy_j, t.energy_per_iteration_j * 3 * 4.5e6, 1e-6 * p.training_energy_j);
  EXPECT_NEAR(p.training_energy_low_j, (t.energy_per_iteration_j - t.energy_per_iteration_ci_j) * 2 * 4e6, 1e-3);
  EXPECT_NEAR(p.training_energy_high_j, (t.energy_per_iteration_j + t.energy_per_iteration_ci_j) * 4 * 5e6, 1e-3);
  EXPECT_TRUE(said(p, "batch 8")) << "the measured batch is said, not hidden";
  EXPECT_TRUE(said(p, "scaled by pixels per iteration, x2 (batch 16) to x4 (batch 32)"));
  EXPECT_TRUE(said(p, "a MODEL"));

  // --rescale none: as measured, and said so.
  const TrainingPrediction kept = predict_training_energy(t, s, TrainingRescale::none);
  EXPECT_FALSE(kept.rescaled);
  EXPECT_NEAR(kept.training_energy_j, t.energy_per_iteration_j * 4.5e6, 1e-6 * kept.training_energy_j);
  EXPECT_NEAR(kept.training_energy_low_j, (t.energy_per_iteration_j - t.energy_per_iteration_ci_j) * 4e6, 1e-3);
  EXPECT_NEAR(kept.training_energy_high_j, (t.energy_per_iteration_j + t.energy_per_iteration_ci_j) * 5e6, 1e-3);
  EXPECT_TRUE(said(kept, "not rescaled"));

  // Measured at one of the schedule's own geometries: nothing to scale, nothing said.
  std::vector<TrainingWindow> at_16 = windows;
  for (TrainingWindow& w : at_16) w.batch_size = 16;
  const TrainingPrediction own = predict_training_energy(training_energy(at_16, {}, "synthetic"), s);
  EXPECT_FALSE(own.rescaled);
  EXPECT_DOUBLE_EQ(own.pixel_scale, 1.0);
  EXPECT_FALSE(said(own, "measured at batch"));
  EXPECT_EQ(parse_training_rescale("none"), TrainingRescale::none);
  EXPECT_NE(test_util::error_of([] { parse_training_rescale("crops"); }).find("unknown --rescale 'crops'"),
            std::string::npos);
  const std::string e = test_util::error_of([] { find_training_schedule("imagenet"); });
  EXPECT_NE(e.find("compressai"), std::string::npos) << e;
}

// What `nicenergy train` writes is what the prediction reads: the windows come
// back through the CSV with the numbers the prediction needs.
TEST(TrainingCsv, PredictionReadsWhatTrainWrites) {
  test_util::TempDir dir("training_csv");
  const auto series = synthetic_series(300, 2.0, 0.3, 100, 5.0, 17);
  std::vector<TrainingWindow> written;
  std::string text = training_csv_header();
  for (int64_t b = 0; b < 300; b += 100) {
    written.push_back(window_over(series, b, b + 100, b == 0));
    text += training_csv_row(written.back());
  }
  test_util::spit(dir.file("t.csv"), text);
  const auto windows = read_training_csv(dir.file("t.csv"));
  ASSERT_EQ(windows.size(), 3u);
  EXPECT_EQ(windows[1].iteration_begin, 100);
  EXPECT_EQ(windows[2].iterations(), 100);
  EXPECT_TRUE(windows[0].estimate);
  EXPECT_FALSE(windows[1].estimate);
  const TrainingEnergy from_file = training_energy(windows, {}, "t.csv");
  const TrainingEnergy direct = training_energy(written, {}, "t.csv");
  EXPECT_NEAR(from_file.measured_training_energy_j, direct.measured_training_energy_j,
              1e-6 * direct.measured_training_energy_j);
  EXPECT_NEAR(from_file.energy_per_iteration_j, direct.energy_per_iteration_j, 1e-6 * direct.energy_per_iteration_j);
  EXPECT_TRUE(from_file.estimate);
}

// One training CSV may hold one run per codec; a codec's windows from different
// devices or batch sizes are refused, not averaged.
TEST(TrainingPrediction, GroupsByCodecAndRefusesMixedRuns) {
  const auto series = synthetic_series(300, 2.0, 0.3, 0, 0, 19);
  TrainingWindow a = window_over(series, 0, 100), b = window_over(series, 100, 200);
  TrainingWindow other = window_over(series, 0, 100);
  other.network = "mbt2018_mean";
  other.abbr = "Mmean";
  const auto groups = group_training_windows({a, other, b}, "t.csv");
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].size(), 2u);
  EXPECT_EQ(groups[1].front().abbr, "Mmean");
  b.batch_size = 16;
  const std::string e = test_util::error_of([&] { group_training_windows({a, b}, "t.csv"); });
  EXPECT_NE(e.find("t.csv"), std::string::npos) << e;
  EXPECT_NE(e.find("batch 8"), std::string::npos) << e;
}
