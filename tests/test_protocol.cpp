// Protocol: Student-t and confidence intervals, trapezoidal integration, the
// stopping rule, each protocol step on virtual time, and full runs on replay
// traces whose dynamic energy is known.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <chrono>
#include <functional>
#include <thread>
#include <map>
#include <random>
#include <time.h>
#include <unistd.h>
#include <sstream>

#include <gtest/gtest.h>

#include "error.h"
#include "meters/power_meter.h"
#include "protocol/measurement_session.h"
#include "protocol/progress.h"
#include "protocol/protocol.h"
#include "meters/power_integral.h"
#include "protocol/stop_rule.h"
#include "report/record_json.h"
#include "test_util.h"

using namespace nicenergy;

// --- statistics ---------------------------------------------------------------

TEST(Stats, StudentTQuantileMatchesTables) {
  EXPECT_NEAR(student_t_quantile(0.975, 2), 4.303, 5e-4);
  EXPECT_NEAR(student_t_quantile(0.975, 9), 2.262, 5e-4);
  EXPECT_NEAR(student_t_quantile(0.975, 29), 2.045, 5e-4);
  EXPECT_NEAR(student_t_quantile(0.95, 1), 6.314, 5e-4);
  EXPECT_NEAR(student_t_quantile(0.995, 5), 4.032, 5e-4);
  EXPECT_NEAR(student_t_quantile(0.975, 1e6), 1.960, 5e-4);  // the normal limit
  EXPECT_NEAR(student_t_quantile(0.025, 9), -2.262, 5e-4);
  EXPECT_DOUBLE_EQ(student_t_quantile(0.5, 4), 0);
  EXPECT_THROW(student_t_quantile(1.0, 4), Error);
  EXPECT_THROW(student_t_quantile(0.9, 0), Error);
}

// Two-sided 95 % and 99 % critical values from printed Student-t tables.
TEST(Stats, StudentTQuantileTabulatedValues) {
  EXPECT_NEAR(student_t_quantile(0.975, 1), 12.706, 5e-4);
  EXPECT_NEAR(student_t_quantile(0.975, 2), 4.303, 5e-4);
  EXPECT_NEAR(student_t_quantile(0.975, 10), 2.228, 5e-4);
  EXPECT_NEAR(student_t_quantile(0.995, 5), 4.032, 5e-4);
  EXPECT_NEAR(student_t_quantile(0.975, 1000), 1.962, 5e-4);
  EXPECT_NEAR(student_t_quantile(0.9995, 1), 636.619, 5e-3);  // the far tail at one dof
  // Cauchy (dof 1) in closed form: t_p = tan(pi (p - 1/2)).
  EXPECT_NEAR(student_t_quantile(0.9, 1), std::tan(M_PI * 0.4), 1e-9);
}

TEST(Stats, IncompleteBetaAndCdf) {
  EXPECT_NEAR(regularized_incomplete_beta(1, 1, 0.3), 0.3, 1e-12);
  EXPECT_NEAR(regularized_incomplete_beta(3, 1, 0.6), 0.216, 1e-12);  // x^a
  EXPECT_NEAR(regularized_incomplete_beta(2.5, 2.5, 0.5), 0.5, 1e-12);
  EXPECT_NEAR(student_t_cdf(0, 3), 0.5, 1e-12);
  EXPECT_NEAR(student_t_cdf(1, 1), 0.75, 1e-12);  // Cauchy: 1/2 + atan(1)/pi
}

TEST(Stats, MeanStddevAndInterval) {
  const std::vector<double> v = {1, 2, 3};
  EXPECT_DOUBLE_EQ(mean(v), 2);
  EXPECT_DOUBLE_EQ(sample_stddev(v), 1);
  const ConfidenceInterval ci = mean_confidence_interval(v, 0.95);
  EXPECT_NEAR(ci.half_width, 4.3027 / std::sqrt(3.0), 1e-3);
  EXPECT_TRUE(std::isinf(mean_confidence_interval({5}, 0.95).half_width));
}

TEST(Stats, IntegrationOfSampledPower) {
  const std::vector<PowerSample> constant = {{0, 50}, {1, 50}, {2, 50}};
  EXPECT_NEAR(integrate_power_j(constant, 0.3, 1.7), 70, 1e-12);
  // Ramp P = 10 t on uneven samples; edges between samples are interpolated.
  const std::vector<PowerSample> ramp = {{0, 0}, {0.1, 1}, {0.45, 4.5}, {0.5, 5}, {1.7, 17}, {3, 30}};
  auto exact = [](double a, double b) { return 5 * (b * b - a * a); };
  EXPECT_NEAR(integrate_power_j(ramp, 0.05, 2.2), exact(0.05, 2.2), 1e-12);
  EXPECT_NEAR(integrate_power_j(ramp, 0.46, 0.48), exact(0.46, 0.48), 1e-12);  // no sample inside
  // A burst: 100 W between two samples, the window edge inside the rise.
  const std::vector<PowerSample> burst = {{0, 0}, {1, 0}, {1.01, 100}, {2, 100}, {2.01, 0}, {3, 0}};
  EXPECT_NEAR(integrate_power_j(burst, 1.005, 2.5), 0.005 * 75 + 99 + 0.5, 1e-9);
  // Past the samples: the nearest value is held.
  EXPECT_NEAR(integrate_power_j(constant, -1, 3), 200, 1e-12);
  EXPECT_DOUBLE_EQ(integrate_power_j(constant, 1, 1), 0);
  EXPECT_THROW(integrate_power_j({}, 0, 1), Error);
}

// --- the stopping rule -----------------------------------------------------------

namespace {

// 10, 12, 10, 12, ...; relative half-widths by hand (t table):
// K=5 0.126, 6 0.1045, 7 0.0911, 8 0.0813.
std::vector<double> alternating(int n) {
  std::vector<double> v;
  for (int i = 0; i < n; ++i) v.push_back(i % 2 ? 12 : 10);
  return v;
}

// The K at which windows stop: feed values one by one as the protocol does.
int stopping_k(const std::vector<double>& values, double ci_target, int k_min, int k_max, StopOutcome* outcome) {
  std::vector<double> seen;
  for (double v : values) {
    seen.push_back(v);
    const StopDecision d = stop_decision(seen, 0.95, ci_target, k_min, k_max);
    if (d.outcome != StopOutcome::more) {
      *outcome = d.outcome;
      return static_cast<int>(seen.size());
    }
  }
  *outcome = StopOutcome::more;
  return -1;
}

}  // namespace

TEST(StopRule, StopsWhereTheIntervalIsNarrowEnough) {
  StopOutcome outcome;
  EXPECT_EQ(stopping_k(alternating(40), 0.10, 3, 30, &outcome), 7);
  EXPECT_EQ(outcome, StopOutcome::converged);
  EXPECT_EQ(stopping_k(alternating(40), 0.09, 3, 30, &outcome), 8);
  EXPECT_EQ(outcome, StopOutcome::converged);
  const StopDecision d = stop_decision(alternating(8), 0.95, 0.09, 3, 30);
  EXPECT_NEAR(d.relative_half_width, 0.0813, 5e-4);
  EXPECT_NEAR(d.ci.half_width, 2.3646 / std::sqrt(7.0), 1e-3);
}

TEST(StopRule, RespectsKMinAndKMax) {
  StopOutcome outcome;
  EXPECT_EQ(stopping_k(std::vector<double>(40, 3.5), 0.02, 5, 30, &outcome), 5);  // no noise: at k_min
  EXPECT_EQ(outcome, StopOutcome::converged);
  EXPECT_EQ(stopping_k(alternating(40), 0.10, 9, 30, &outcome), 9);
  EXPECT_EQ(stopping_k(alternating(40), 0.01, 3, 12, &outcome), 12);
  EXPECT_EQ(outcome, StopOutcome::k_max_reached);
  EXPECT_EQ(stopping_k(std::vector<double>(40, 3.5), 0.02, 1, 30, &outcome), 2);  // a CI needs 2 values
}

TEST(StopRule, GaussianNoiseStopsNearTheExpectedK) {
  // sd 5 % of the mean, target 2 %: K ~ (1.96 * 5 / 2)^2 ~ 24 (t pushes it up a bit).
  std::mt19937 rng(7);
  std::normal_distribution<double> noise(100, 5);
  std::vector<double> values;
  for (int i = 0; i < 200; ++i) values.push_back(noise(rng));
  StopOutcome outcome;
  const int k = stopping_k(values, 0.02, 3, 200, &outcome);
  EXPECT_EQ(outcome, StopOutcome::converged);
  EXPECT_GE(k, 10);
  EXPECT_LE(k, 60);
  const std::vector<double> first(values.begin(), values.begin() + k);
  EXPECT_LE(stop_decision(first, 0.95, 0.02, 3, 200).relative_half_width, 0.02);
}

// --- protocol steps on virtual time ---------------------------------------------------

namespace {

// A workload taking `exec_s` of virtual time per execution.
Workload virtual_workload(VirtualClock& clock, double exec_s, int* runs = nullptr) {
  return {[&clock, exec_s, runs] {
            clock.advance_s(exec_s);
            if (runs) ++*runs;
          },
          [] {}};
}

ProtocolConfig fast_config() {
  ProtocolConfig c;
  c.idle_s = 10;
  c.window_s = 1;
  c.preheat_no_sensor_s = 2;
  c.preheat_max_s = 20;
  c.preheat_stable_window_s = 5;
  // The replay traces here are functions of time, not of the device's state: a
  // hot idle reference would read the busy level. Hardening.* tests it.
  c.hot_idle_s = 0;
  return c;
}

// Idle 40 W until t = 12 s, then the busy level for good.
std::vector<PowerSample> idle_then_busy(double busy_w) {
  return {{0, 40}, {12, 40}, {12, 40}, {12.001, busy_w}, {1e6, busy_w}};
}

// A replay meter with a temperature that follows a function of time.
class HeatingMeter : public PowerMeter {
 public:
  HeatingMeter(VirtualClock& clock, std::function<double(double)> temperature_c)
      : clock_(clock), replay_(make_replay_meter({{0, 100}, {1, 100}}, &clock, {})), temperature_c_(temperature_c) {}
  std::string name() const override { return "heating"; }
  bool available() const override { return true; }
  std::string unavailable_reason() const override { return ""; }
  bool samples_power() const override { return true; }
  bool has_energy_counter() const override { return false; }
  std::optional<double> power_w() override { return replay_->power_w(); }
  std::optional<double> energy_j() override { return std::nullopt; }
  DeviceState device_state() override {
    DeviceState s;
    s.temperature_c = temperature_c_(clock_.now_s());
    return s;
  }
  std::map<std::string, std::string> metadata() const override { return {}; }

 private:
  VirtualClock& clock_;
  std::unique_ptr<PowerMeter> replay_;
  std::function<double(double)> temperature_c_;
};

}  // namespace

TEST(ProtocolSteps, IdleReferenceFromCounterAndSamples) {
  VirtualClock clock;
  ReplayOptions options;
  options.energy_counter = true;
  auto meter = make_replay_meter({{0, 30}, {5, 50}, {10, 30}}, &clock, options);  // triangle, mean 40 W
  ProtocolConfig config = fast_config();
  config.idle_s = 20;
  Protocol protocol(*meter, config, &clock);
  const IdleReference idle = protocol.measure_idle();
  EXPECT_EQ(idle.method, EnergyMethod::counter);
  EXPECT_GE(idle.end_s - idle.start_s, 20);
  ASSERT_TRUE(idle.counter_power_w && idle.samples_power_w);
  // Not whole periods (the edges are 0.2 s in): compare with the exact mean over them.
  auto exact_j = [](double t) {  // integral of the looping triangle from 0 to t
    const double lap = std::floor(t / 10), x = t - 10 * lap;
    const double in_lap = x <= 5 ? 30 * x + 2 * x * x : 200 + 50 * (x - 5) - 2 * (x - 5) * (x - 5);
    return 400 * lap + in_lap;
  };
  const double expected_w = (exact_j(idle.end_s) - exact_j(idle.start_s)) / (idle.end_s - idle.start_s);
  EXPECT_NEAR(*idle.counter_power_w, expected_w, 1e-9);
  EXPECT_NEAR(*idle.samples_power_w, expected_w, 1e-3 * expected_w);
  EXPECT_DOUBLE_EQ(idle.idle_power_w, *idle.counter_power_w);
  EXPECT_NEAR(expected_w, 40, 0.5);
}

TEST(ProtocolSteps, PreheatWithoutSensorRunsForTheSetTime) {
  VirtualClock clock;
  auto meter = make_replay_meter({{0, 100}, {1, 100}}, &clock, {});
  Protocol protocol(*meter, fast_config(), &clock);
  int runs = 0;
  const PreheatResult r = protocol.preheat(virtual_workload(clock, 0.01, &runs));
  EXPECT_EQ(r.outcome, PreheatOutcome::no_sensor);
  EXPECT_EQ(to_string(r.outcome), "no temperature sensor");
  EXPECT_NEAR(r.duration_s, 2, 0.02);
  EXPECT_EQ(r.executions, runs);
  EXPECT_NEAR(runs, 200, 2);

  ProtocolConfig skip = fast_config();
  skip.preheat_no_sensor_s = 0;
  Protocol skipping(*meter, skip, &clock);
  runs = 0;
  EXPECT_EQ(skipping.preheat(virtual_workload(clock, 0.01, &runs)).outcome, PreheatOutcome::skipped);
  EXPECT_EQ(runs, 0);
}

TEST(ProtocolSteps, PreheatEndsOnTargetStabilityOrTimeLimit) {
  VirtualClock clock;
  const Workload work = virtual_workload(clock, 0.05);
  {
    HeatingMeter meter(clock, [t0 = clock.now_s()](double t) { return 40 + 5 * (t - t0); });  // 80 C after 8 s
    const PreheatResult r = Protocol(meter, fast_config(), &clock).preheat(work);
    EXPECT_EQ(r.outcome, PreheatOutcome::target_reached);
    EXPECT_GE(*r.end_temperature_c, 80);
    EXPECT_NEAR(r.duration_s, 8, 1.1);
  }
  {
    HeatingMeter meter(clock, [](double) { return 65.0; });  // flat: stable after the 5 s window
    const PreheatResult r = Protocol(meter, fast_config(), &clock).preheat(work);
    EXPECT_EQ(r.outcome, PreheatOutcome::stable);
    EXPECT_NEAR(r.duration_s, 5, 1.1);
  }
  {
    const double t0 = clock.now_s();
    HeatingMeter meter(clock, [t0](double t) { return 40 + 0.5 * (t - t0); });  // 2.5 C per 5 s: not stable
    const PreheatResult r = Protocol(meter, fast_config(), &clock).preheat(work);
    EXPECT_EQ(r.outcome, PreheatOutcome::time_limit);
    EXPECT_NEAR(r.duration_s, 20, 1.1);
  }
  {
    HeatingMeter meter(clock, [](double) { return 85.0; });  // already hot
    int runs = 0;
    const PreheatResult r = Protocol(meter, fast_config(), &clock).preheat(virtual_workload(clock, 0.05, &runs));
    EXPECT_EQ(r.outcome, PreheatOutcome::target_reached);
    EXPECT_EQ(runs, 0);
  }
}

TEST(ProtocolSteps, CalibrationChoosesMForTheWindow) {
  VirtualClock clock;
  auto meter = make_replay_meter({{0, 100}, {1, 100}}, &clock, {});
  Protocol protocol(*meter, fast_config(), &clock);
  const Calibration fast = protocol.calibrate(virtual_workload(clock, 0.013));
  EXPECT_NEAR(fast.duration_s, 0.013, 1e-9);
  EXPECT_EQ(fast.m, static_cast<int64_t>(std::ceil(1 / 0.013)));
  EXPECT_GE(fast.timed_s, 0.2);
  EXPECT_EQ(protocol.calibrate(virtual_workload(clock, 2.5)).m, 1);  // slower than a window
  EXPECT_THROW(protocol.calibrate(Workload{}), Error);
}

TEST(ProtocolSteps, SlowFirstExecutionDoesNotShrinkM) {
  // The first run of a network pays for warm-up; timed alone it gave M = 1 and
  // windows far shorter than window_s.
  VirtualClock clock;
  auto meter = make_replay_meter({{0, 100}, {1, 100}}, &clock, {});
  Protocol protocol(*meter, fast_config(), &clock);
  int runs = 0;
  const Workload warming{[&] { clock.advance_s(runs++ == 0 ? 0.5 : 0.05); }, [] {}};
  const Calibration cal = protocol.calibrate(warming);
  EXPECT_NEAR(cal.duration_s, 0.05, 1e-9);
  EXPECT_EQ(cal.m, 20);
}

TEST(ProtocolRun, WindowsShorterThanWindowSAreRedoneWithALargerM) {
  // Executions speed up after calibration (a clock boost, a warmer cache): the
  // first windows run short, M grows and only full-length windows count.
  VirtualClock clock;
  auto meter = make_replay_meter({{0, 100}, {1, 100}}, &clock, {});
  ProtocolConfig config = fast_config();
  config.k_min = 3;
  config.k_max = 3;
  Protocol protocol(*meter, config, &clock);
  int runs = 0;
  const Workload speeding{[&] { clock.advance_s(++runs <= 8 ? 0.1 : 0.04); }, [] {}};
  const ProtocolResult r = protocol.run(speeding, idle_from_power(50), false);
  ASSERT_EQ(r.k, 3);
  EXPECT_GE(r.calibration.recalibrations, 1);
  EXPECT_GT(r.m, 10);  // calibrated at 0.1 s per execution: M = 10
  for (const auto& w : r.windows) EXPECT_GE(w.exec_s, config.window_s - 1e-9);
}

// --- full runs ---------------------------------------------------------------------

namespace {

struct RunCase {
  const char* name;
  bool counter;
  double counter_period_s;
};

// A device that draws busy_w while an execution runs and idle_w otherwise, with
// an energy counter that, like NVML's, updates only every update_s.
class BusyIdleMeter : public PowerMeter {
 public:
  BusyIdleMeter(VirtualClock& clock, double idle_w, double busy_w, double update_s)
      : clock_(clock), idle_w_(idle_w), busy_w_(busy_w), update_s_(update_s) {
    changes_.push_back({clock.now_s(), 0, idle_w});
  }
  void set_busy(bool busy) {
    const Change& last = changes_.back();
    const double t = clock_.now_s();
    changes_.push_back({t, last.energy_j + last.power_w * (t - last.t_s), busy ? busy_w_ : idle_w_});
  }
  std::string name() const override { return "busy-idle"; }
  bool available() const override { return true; }
  std::string unavailable_reason() const override { return ""; }
  bool samples_power() const override { return true; }
  bool has_energy_counter() const override { return true; }
  std::optional<double> power_w() override { return changes_.back().power_w; }
  std::optional<double> energy_j() override {
    const double q = std::floor(clock_.now_s() / update_s_ + 1e-9) * update_s_;
    size_t i = changes_.size() - 1;
    while (i > 0 && changes_[i].t_s > q) --i;
    return changes_[i].energy_j + changes_[i].power_w * (q - changes_[i].t_s);
  }
  DeviceState device_state() override { return {}; }
  std::map<std::string, std::string> metadata() const override { return {}; }

 private:
  struct Change {
    double t_s, energy_j, power_w;
  };
  VirtualClock& clock_;
  double idle_w_, busy_w_, update_s_;
  std::vector<Change> changes_;
};

}  // namespace

TEST(ProtocolRun, KnownDynamicEnergyOnReplay) {
  // Idle 40 W, busy 100 W, 10 ms per execution: E_dyn = 60 W * 0.01 s = 0.6 J.
  for (const RunCase& c : {RunCase{"samples", false, 0}, RunCase{"counter", true, 0}}) {
    SCOPED_TRACE(c.name);
    VirtualClock clock;
    ReplayOptions options;
    options.loop = false;
    options.energy_counter = c.counter;
    options.counter_period_s = c.counter_period_s;
    auto meter = make_replay_meter(idle_then_busy(100), &clock, options);
    std::vector<std::string> stages;
    ProtocolConfig config = fast_config();
    config.progress = [&](const std::string& stage, double fraction) {
      EXPECT_GE(fraction, 0);
      EXPECT_LE(fraction, 1);
      if (stages.empty() || stages.back() != stage) stages.push_back(stage);
    };
    Protocol protocol(*meter, config, &clock);
    const ProtocolResult r = protocol.run(virtual_workload(clock, 0.01));
    EXPECT_EQ(r.method, c.counter ? EnergyMethod::counter : EnergyMethod::samples);
    EXPECT_NEAR(r.idle_power_w, 40, 40e-3);
    EXPECT_EQ(r.preheat.outcome, PreheatOutcome::no_sensor);
    EXPECT_EQ(r.m, 100);
    EXPECT_EQ(r.k, 3);  // noiseless: converged at k_min
    EXPECT_EQ(r.stop, StopOutcome::converged);
    EXPECT_NEAR(r.energy_j, 0.6, 0.6e-3);
    EXPECT_NEAR(r.duration_s, 0.01, 1e-9);
    EXPECT_NEAR(r.mean_power_w, 100, 0.1);
    EXPECT_LT(r.energy_ci_j, 0.6e-3);
    for (const WindowMeasurement& w : r.windows) {
      EXPECT_GE(w.length_s(), 1 - 1e-9);  // M x 10 ms, rounding aside
      EXPECT_NEAR(w.dynamic_energy_j, 0.6, 0.6e-3);
      ASSERT_TRUE(w.samples_energy_j.has_value());
      EXPECT_EQ(w.counter_energy_j.has_value(), c.counter);
      if (c.counter) {
        EXPECT_NEAR(*w.samples_dynamic_j, *w.counter_dynamic_j, 0.6e-3);
      }
      EXPECT_GE(w.samples, 9u);
    }
    EXPECT_EQ(stages, (std::vector<std::string>{"idle", "preheat", "calibrate", "measure"}));
    EXPECT_FALSE(r.samples.empty());
  }
}

TEST(ProtocolRun, CoarseCounterEdgesAreAligned) {
  // Idle 40 W, 100 W while executing 10 ms: E_dyn = 0.6 J, with a 100 ms counter.
  VirtualClock clock;
  BusyIdleMeter meter(clock, 40, 100, 0.1);
  Protocol protocol(meter, fast_config(), &clock);
  const Workload work{[&] {
                        meter.set_busy(true);
                        clock.advance_s(0.01);
                        meter.set_busy(false);
                      },
                      [] {}};
  const ProtocolResult r = protocol.run(work);
  EXPECT_EQ(r.method, EnergyMethod::counter);
  EXPECT_NEAR(r.counter_update_s, 0.1, 0.002);
  EXPECT_NEAR(r.idle_power_w, 40, 40e-3);
  EXPECT_NEAR(r.energy_j, 0.6, 0.6e-3);
  for (const WindowMeasurement& w : r.windows) {
    EXPECT_NEAR(w.dynamic_energy_j, 0.6, 0.6e-3);
    EXPECT_GT(w.length_s(), w.exec_s);  // the edges waited for counter ticks
    EXPECT_NEAR(*w.samples_dynamic_j, 0.6, 0.1 * 0.6);  // 10 Hz samples see the tails coarsely
  }

  // Without aligned edges the same counter is off by up to 100 ms x P per edge.
  VirtualClock clock2;
  BusyIdleMeter meter2(clock2, 40, 100, 0.1);
  ProtocolConfig unaligned = fast_config();
  unaligned.counter_edge_wait_s = 0;
  Protocol protocol2(meter2, unaligned, &clock2);
  const Workload work2{[&] {
                         meter2.set_busy(true);
                         clock2.advance_s(0.01);
                         meter2.set_busy(false);
                       },
                       [] {}};
  const ProtocolResult r2 = protocol2.run(work2);
  double worst = 0;
  for (const WindowMeasurement& w : r2.windows) worst = std::max(worst, std::fabs(w.dynamic_energy_j - 0.6));
  EXPECT_GT(worst, 0.6e-3);
}

TEST(ProtocolRun, TimeAndEnergyPerExecutionCountEveryWindowsOwnM) {
  // Executions of 0.1 s at 100 W against a 40 W idle (6 J each) until the
  // second window is in; then 0.04 s (2.4 J). The third window runs short, M
  // grows from 10 to 27 and it is redone: windows of M = 10, 10, 27. Per
  // execution: (20 x 0.1 + 27 x 0.04) s / 47 and 60 W x that, not the last
  // M's 3.08 s / (3 x 27).
  VirtualClock clock;
  BusyIdleMeter meter(clock, 40, 100, 0.1);
  ProtocolConfig config = fast_config();
  config.k_min = 3;
  config.k_max = 3;
  bool fast = false;
  config.progress = [&](const std::string& stage, double fraction) {
    if (stage == "measure" && fraction >= 2.0 / 3 - 1e-9) fast = true;  // after the second window
  };
  const Workload work{[&] {
                        meter.set_busy(true);
                        clock.advance_s(fast ? 0.04 : 0.1);
                        meter.set_busy(false);
                      },
                      [] {}};
  const ProtocolResult r = Protocol(meter, config, &clock).run(work, idle_from_power(40), false);
  ASSERT_EQ(r.k, 3);
  ASSERT_EQ(r.windows[0].m, 10);
  ASSERT_EQ(r.windows[1].m, 10);
  ASSERT_EQ(r.windows[2].m, 27) << "the short window was redone with a larger M";
  EXPECT_EQ(r.calibration.recalibrations, 1);
  const double exec_s = 20 * 0.1 + 27 * 0.04;
  EXPECT_NEAR(r.duration_s, exec_s / 47, 1e-9);
  double windows_s = 0;
  for (const WindowMeasurement& w : r.windows) windows_s += w.exec_s;
  EXPECT_NEAR(r.duration_s, windows_s / 47, 1e-12) << "the windows' own times over their executions";
  EXPECT_NEAR(r.energy_j, 60 * exec_s / 47, 1e-3) << "the windows' dynamic energy over their executions";
  // Energy over time is the dynamic power: the meter's 60 W, never above it.
  EXPECT_NEAR(r.energy_j / r.duration_s, 60, 0.05);
  MeasurementRecord record;
  fill_record(r, record);
  EXPECT_NEAR(record.duration_s, exec_s / 47, 1e-9);
  EXPECT_EQ(record.m, 27);
}

namespace {

// 60 W with bursts to 160 W (1 ms rise and fall) every 0.37 s, 0.13 s long:
// they cross window edges. Breakpoints on a 1 ms grid.
std::vector<PowerSample> bursts() {
  std::vector<PowerSample> t;
  for (int i = 0; i < 60; ++i) {
    const double s = 0.37 * i;
    t.push_back({s, 60});
    t.push_back({s + 0.1, 60});
    t.push_back({s + 0.101, 160});
    t.push_back({s + 0.231, 160});
    t.push_back({s + 0.232, 60});
  }
  t.push_back({0.37 * 60, 60});
  return t;
}

// Exact energy of a piecewise-linear trace over [a, b], independently of the
// code under test: fine midpoint rule.
double reference_energy_j(const std::vector<PowerSample>& trace, double a, double b) {
  const int n = 200000;
  double sum = 0;
  for (int i = 0; i < n; ++i) sum += power_at(trace, a + (i + 0.5) * (b - a) / n);
  return sum * (b - a) / n;
}

}  // namespace

TEST(ProtocolRun, BurstsAcrossWindowEdges) {
  VirtualClock clock;
  ReplayOptions options;
  options.loop = false;
  options.energy_counter = true;
  const std::vector<PowerSample> trace = bursts();
  auto meter = make_replay_meter(trace, &clock, options);
  ProtocolConfig config = fast_config();
  config.sample_hz = 1000;
  config.k_min = 4;
  config.k_max = 4;
  config.window_s = 0.95;  // windows do not line up with the 0.37 s bursts
  Protocol protocol(*meter, config, &clock);
  const IdleReference idle = idle_from_power(60);
  const ProtocolResult r = protocol.run(virtual_workload(clock, 0.01), idle, /*preheat=*/false);
  ASSERT_EQ(r.k, 4);
  EXPECT_EQ(r.stop, StopOutcome::k_max_reached);
  EXPECT_EQ(r.preheat.outcome, PreheatOutcome::skipped);
  double spread = 0;
  for (const WindowMeasurement& w : r.windows) {
    const double expected_j = reference_energy_j(trace, w.start_s, w.end_s);
    EXPECT_NEAR(*w.counter_energy_j, expected_j, 1e-3 * expected_j);
    EXPECT_NEAR(*w.samples_energy_j, expected_j, 1e-3 * expected_j);
    const double expected_dynamic_j = (expected_j - 60 * w.length_s()) / w.m;
    EXPECT_NEAR(w.dynamic_energy_j, expected_dynamic_j, 1e-3 * expected_dynamic_j);
    spread = std::max(spread, std::fabs(w.dynamic_energy_j - r.windows[0].dynamic_energy_j));
  }
  EXPECT_GT(spread, 0);  // the windows really cut the bursts differently
}

TEST(ProtocolRun, EstimateMeterIsLabelled) {
  auto meter = make_estimate_meter();
  ProtocolConfig config = fast_config();
  config.sample_hz = 200;
  Protocol protocol(*meter, config);
  EXPECT_EQ(protocol.method(), EnergyMethod::estimate);
}

// The session around the protocol, against the estimate's own truth: TDP /
// logical cores per busy core, over the CPU time the workload really took.
TEST(MeasurementSession, EstimateGivesTdpShareTimesTheWorkloadsCpuTime) {
  auto thread_cpu_s = [] {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
  };
  double spent_s = 0;
  int64_t runs = 0;
  Workload work;
  work.run_once = [&] {
    const double t0 = thread_cpu_s();
    volatile double x = 0;
    while (thread_cpu_s() - t0 < 0.01) x = x + 1;
    spent_s += thread_cpu_s() - t0;
    ++runs;
  };
  work.synchronize = [] {};
  SessionOptions options;
  options.meter = "estimate:64";
  options.protocol = fast_config();
  options.protocol.idle_s = 1;
  options.protocol.preheat_no_sensor_s = 0;
  options.protocol.lag_probe_s = 0;
  options.preheat = false;
  MeasurementSession session(options);
  EXPECT_NE(session.note().find("ESTIMATE"), std::string::npos) << session.note();
  MeasurementRecord identity;
  identity.network = identity.abbr = "busy10ms";
  identity.width = 32;
  identity.height = 16;
  const MeasurementRecord r = session.measure(work, identity);
  EXPECT_EQ(r.network, "busy10ms");
  EXPECT_EQ(r.width, 32);
  EXPECT_EQ(r.meter, "estimate");
  EXPECT_EQ(r.device.rfind("cpu", 0), 0u) << r.device;
  const long cores = sysconf(_SC_NPROCESSORS_ONLN);
  ASSERT_GT(runs, 0);
  const double truth_j = 64.0 / cores * spent_s / runs;
  EXPECT_NEAR(r.energy_j, truth_j, 0.1 * truth_j) << "runs " << runs;
  EXPECT_GT(r.energy_ci_j, 0);
  EXPECT_FALSE(r.started_at.empty());
}

TEST(MeasurementSession, RefusesAnUnknownMeterAndABadDevice) {
  SessionOptions options;
  options.meter = "watts";
  EXPECT_NE(test_util::error_of([&] { MeasurementSession s(options); }).find("unknown meter"), std::string::npos);
  EXPECT_NE(test_util::error_of([] { parse_measured_device("gpu0"); }).find("use cpu, cuda or cuda:N"), std::string::npos);
  EXPECT_EQ(parse_measured_device("cuda:3").index, 3);
  EXPECT_TRUE(parse_measured_device("cuda").cuda);
}

TEST(ProtocolRun, RejectsImpossibleSettings) {
  auto meter = make_estimate_meter();
  ProtocolConfig c = fast_config();
  c.k_max = 2;
  c.k_min = 3;
  EXPECT_THROW(validate(c), Error);
  c = fast_config();
  c.window_s = 0;
  EXPECT_THROW(validate(c), Error);
  c = fast_config();
  c.confidence = 1;
  EXPECT_THROW(validate(c), Error);
  EXPECT_NO_THROW(validate(fast_config()));
}

// --- outputs -----------------------------------------------------------------------

TEST(ProtocolOutput, JsonTraceAndRecord) {
  VirtualClock clock;
  auto meter = make_replay_meter(idle_then_busy(70), &clock, {});
  ProtocolConfig config = fast_config();
  config.k_max = 3;
  Protocol protocol(*meter, config, &clock);
  const ProtocolResult r = protocol.run(virtual_workload(clock, 0.02));

  const nlohmann::json j = to_json(r);
  EXPECT_EQ(j["meter"], "replay");
  EXPECT_EQ(j["method"], "samples");
  EXPECT_EQ(j["k"], r.k);
  EXPECT_EQ(j["windows"].size(), static_cast<size_t>(r.k));
  EXPECT_DOUBLE_EQ(j["energy_j"].get<double>(), r.energy_j);
  EXPECT_EQ(j["preheat"]["outcome"], "no temperature sensor");
  EXPECT_EQ(j["stop"], "converged");
  EXPECT_TRUE(j["windows"][0]["counter_energy_j"].is_null());
  EXPECT_TRUE(j["state_before"]["temperature_c"].is_null());

  MeasurementRecord record;
  record.network = "bmshj2018_factorized";
  fill_record(r, record);
  EXPECT_EQ(record.network, "bmshj2018_factorized");  // left alone
  EXPECT_DOUBLE_EQ(record.energy_j, r.energy_j);
  EXPECT_NEAR(record.energy_j, 30 * 0.02, 1e-3 * 0.6);
  EXPECT_EQ(record.k, r.k);
  EXPECT_EQ(record.m, r.m);
  EXPECT_EQ(record.meter, "replay");
  EXPECT_EQ(record.method, "samples");
  EXPECT_DOUBLE_EQ(record.idle_power_w, r.idle_power_w);
  EXPECT_DOUBLE_EQ(record.mean_power_w, r.mean_power_w);
  EXPECT_DOUBLE_EQ(record.duration_s, r.duration_s);
  EXPECT_DOUBLE_EQ(record.energy_ci_j, r.energy_ci_j);

  char dir_pattern[] = "/tmp/nicenergy_trace_XXXXXX";
  const std::string dir = mkdtemp(dir_pattern);
  const std::string path = dir + "/trace.csv";
  write_trace_csv(path, r.samples, r.windows);
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "time_s,power_w,window");
  std::vector<int> in_window(r.k, 0);
  size_t rows = 0;
  while (std::getline(in, line)) {
    double t = 0, p = 0;
    int w = 0;
    ASSERT_EQ(std::sscanf(line.c_str(), "%lf,%lf,%d", &t, &p, &w), 3) << line;
    const double abs_t = t + r.samples.front().t_s;
    int expected = -1;
    for (const WindowMeasurement& win : r.windows)
      if (abs_t >= win.start_s - 1e-6 && abs_t <= win.end_s + 1e-6) expected = win.index;
    if (std::fabs(abs_t - r.windows[0].start_s) > 1e-5 && std::fabs(abs_t - r.windows.back().end_s) > 1e-5) {
      EXPECT_EQ(w, expected) << line;
    }
    if (w >= 0) ++in_window[w];
    ++rows;
  }
  EXPECT_EQ(rows, r.samples.size());
  for (int n : in_window) EXPECT_GE(n, 9);
  EXPECT_EQ(read_power_trace_csv(path).size(), r.samples.size());  // replayable
  EXPECT_THROW(write_trace_csv(dir + "/missing/trace.csv", r.samples, r.windows), Error);
  (void)!std::system(("rm -rf '" + dir + "'").c_str());
}

// --- hardening against the sensor's failure modes (issue 10) ------------------------

namespace {

// A device whose power is set by the test (piecewise constant in virtual time),
// with an energy counter that updates every update_s. In part-time mode the
// sensor, like an A100/H100's, looks only at the first `duty` of each period:
// power_w() is the mean over that part of the last finished period, and the
// counter adds reading x period per finished period.
class PiecewiseMeter : public PowerMeter {
 public:
  PiecewiseMeter(VirtualClock& clock, double power_w, double update_s, double duty = 1, bool part_time = false)
      : clock_(clock), update_s_(update_s), duty_(duty), part_time_(part_time) {
    changes_.push_back({clock.now_s(), 0, power_w});
  }
  void set_power(double w) {
    const Change& last = changes_.back();
    const double t = clock_.now_s();
    changes_.push_back({t, last.energy_j + last.power_w * (t - last.t_s), w});
  }
  double energy_at(double t) const {  // the exact integral
    size_t i = changes_.size() - 1;
    while (i > 0 && changes_[i].t_s > t) --i;
    return changes_[i].energy_j + changes_[i].power_w * (t - changes_[i].t_s);
  }
  std::function<double(double)> counter_scale = [](double j) { return j; };  // a counter that lies
  std::function<std::optional<double>(double)> power_override;             // a sensor that glitches
  std::string name() const override { return "piecewise"; }
  bool available() const override { return true; }
  std::string unavailable_reason() const override { return ""; }
  bool samples_power() const override { return true; }
  bool has_energy_counter() const override { return true; }
  std::optional<double> power_w() override {
    const double t = clock_.now_s();
    if (power_override)
      if (auto w = power_override(t)) return w;
    if (!part_time_) {
      size_t i = changes_.size() - 1;
      while (i > 0 && changes_[i].t_s > t) --i;
      return changes_[i].power_w;
    }
    const double n = std::floor(t / update_s_ + 1e-9);
    return reading_w(n - 1);
  }
  std::optional<double> energy_j() override {
    const double n = std::floor(clock_.now_s() / update_s_ + 1e-9);
    if (!part_time_) return counter_scale(energy_at(n * update_s_));
    while (summed_ < n) sensed_j_ += reading_w(summed_++) * update_s_;
    return counter_scale(sensed_j_);
  }
  DeviceState device_state() override { return {}; }
  std::map<std::string, std::string> metadata() const override { return {}; }

 private:
  double reading_w(double period) const {
    const double a = period * update_s_, b = a + duty_ * update_s_;
    return (energy_at(b) - energy_at(a)) / (b - a);
  }
  struct Change {
    double t_s, energy_j, power_w;
  };
  VirtualClock& clock_;
  double update_s_, duty_;
  bool part_time_;
  std::vector<Change> changes_;
  double summed_ = 0, sensed_j_ = 0;
};

// A meter with only the counter of `source` (like RAPL or the estimate): the
// sampler derives its power samples from the counter.
class CounterOnlyMeter : public PowerMeter {
 public:
  explicit CounterOnlyMeter(PowerMeter& source) : source_(source) {}
  std::string name() const override { return "counter-only"; }
  bool available() const override { return true; }
  std::string unavailable_reason() const override { return ""; }
  bool samples_power() const override { return false; }
  bool has_energy_counter() const override { return true; }
  std::optional<double> power_w() override { return std::nullopt; }
  std::optional<double> energy_j() override { return source_.energy_j(); }
  DeviceState device_state() override { return {}; }
  std::map<std::string, std::string> metadata() const override { return {}; }

 private:
  PowerMeter& source_;
};

ProtocolConfig hardening_config() {
  ProtocolConfig c = fast_config();
  c.hot_idle_s = 0;
  c.k_min = 10;
  c.k_max = 10;
  return c;
}

}  // namespace

TEST(Hardening, HotIdleReferenceIsUsedAndBothAreRecorded) {
  // 40 W cold; once the model has run the chip idles at 55 W (leakage of a hot
  // chip, the context's P-state). Executions add 60 W for 10 ms: 0.6 J each.
  VirtualClock clock;
  PiecewiseMeter meter(clock, 40, 0.1);
  double idle_w = 40;
  const Workload work{[&] {
                        idle_w = 55;
                        meter.set_power(idle_w + 60);
                        clock.advance_s(0.01);
                        meter.set_power(idle_w);
                      },
                      [] {}};
  ProtocolConfig config = hardening_config();
  config.hot_idle_s = 5;
  config.k_min = 3;
  config.k_max = 3;
  Protocol protocol(meter, config, &clock);
  const ProtocolResult r = protocol.run(work);
  ASSERT_TRUE(r.idle_cold && r.idle_hot);
  EXPECT_EQ(r.idle_reference, "hot");
  EXPECT_NEAR(r.idle_cold->idle_power_w, 40, 0.05);
  EXPECT_NEAR(r.idle_hot->idle_power_w, 55, 0.05);
  EXPECT_GT(r.idle_hot->start_s, r.idle_cold->end_s);
  EXPECT_NEAR(r.energy_j, 0.6, 0.006) << "Eq. (1) against the hot idle";
  ASSERT_TRUE(r.energy_cold_j && r.energy_hot_j);
  EXPECT_DOUBLE_EQ(*r.energy_hot_j, r.energy_j);
  EXPECT_NEAR(*r.energy_cold_j, 0.6 + 15 * 0.01, 0.006) << "the cold idle charges the leakage to the network";
  MeasurementRecord record;
  fill_record(r, record);
  EXPECT_EQ(record.idle_reference, "hot");
  EXPECT_NEAR(*record.idle_cold_power_w, 40, 0.05);
  EXPECT_NEAR(*record.idle_hot_power_w, 55, 0.05);
  EXPECT_NEAR(*record.energy_cold_j, 0.75, 0.006);
  const nlohmann::json j = to_json(r);
  EXPECT_EQ(j["idle_reference"], "hot");
  EXPECT_NEAR(j["idle_hot"]["idle_power_w"].get<double>(), 55, 0.05);
  EXPECT_NEAR(j["windows"][0]["cold_dynamic_j"].get<double>(), 0.75, 0.006);

  // hot_idle_s = 0: only the paper's, which Eq. (1) then uses.
  VirtualClock clock2;
  PiecewiseMeter meter2(clock2, 40, 0.1);
  double idle2_w = 40;
  const Workload work2{[&] {
                         idle2_w = 55;
                         meter2.set_power(idle2_w + 60);
                         clock2.advance_s(0.01);
                         meter2.set_power(idle2_w);
                       },
                       [] {}};
  config.hot_idle_s = 0;
  const ProtocolResult r2 = Protocol(meter2, config, &clock2).run(work2);
  EXPECT_EQ(r2.idle_reference, "cold");
  EXPECT_FALSE(r2.idle_hot);
  EXPECT_NEAR(r2.energy_j, 0.75, 0.006);
}

TEST(Hardening, EdgeWaitsAreNotChargedToTheExecutions) {
  // Executions at 100 W against a 40 W idle (0.6 J per 10 ms execution); while
  // the host waits at the edges the device sits at 70 W. The wait for the
  // closing tick (and the phase delay) must not count as the network's.
  VirtualClock clock;
  PiecewiseMeter meter(clock, 40, 0.1);
  const Workload work{[&] {
                        meter.set_power(100);
                        clock.advance_s(0.01);
                      },
                      [&] { meter.set_power(70); }};
  ProtocolConfig config = hardening_config();
  Protocol protocol(meter, config, &clock);
  const ProtocolResult r = protocol.run(work, idle_from_power(40), false);
  ASSERT_EQ(r.k, 10);
  double uncorrected = 0, edge_s = 0;
  for (const WindowMeasurement& w : r.windows) {
    EXPECT_NEAR(w.dynamic_energy_j, 0.6, 0.6e-3) << "window " << w.index;
    EXPECT_GT(w.edge_s, 0) << "the edges waited for ticks";
    ASSERT_TRUE(w.edge_power_before_w && w.edge_power_after_w);
    EXPECT_NEAR(*w.edge_power_before_w, 70, 0.1);
    EXPECT_NEAR(*w.edge_power_after_w, 70, 0.1);
    EXPECT_NEAR(w.edge_energy_j, 70 * w.edge_s, 1e-6);
    uncorrected += (w.energy_j - 40 * w.length_s()) / static_cast<double>(w.m) / r.k;
    edge_s += w.edge_s / r.k;
  }
  EXPECT_NEAR(r.energy_j, 0.6, 0.3e-3);
  // What charging the waits would have given: (70 - 40) W x the mean wait / M more.
  EXPECT_GT(uncorrected - 0.6, 0.01 * 0.6) << "the scenario must show the effect";
  EXPECT_NEAR(uncorrected - 0.6, 30 * edge_s / static_cast<double>(r.m), 1e-4);
}

TEST(Hardening, RandomPhaseRemovesTheBiasOfAPhaseLockedLoad) {
  // A part-time sensor (a quarter of each 100 ms period) and executions of
  // exactly one period, 130 W for 25 ms then 100 W for 75 ms, against a 40 W
  // idle: 6.75 J each. In phase with the ticks, the sensor only ever sees the
  // 130 W part (9 J); random phases average that out.
  auto run = [](double phase_shift_periods, int seed) {
    VirtualClock clock;
    PiecewiseMeter meter(clock, 40, 0.1, 0.25, true);
    const Workload work{[&] {
                          meter.set_power(130);
                          clock.advance_s(0.025);
                          meter.set_power(100);
                          clock.advance_s(0.075);
                        },
                        [&] { meter.set_power(40); }};
    ProtocolConfig config = hardening_config();
    config.k_min = 30;
    config.k_max = 30;
    config.phase_shift_periods = phase_shift_periods;
    config.phase_seed = seed;
    return Protocol(meter, config, &clock).run(work, idle_from_power(40), false);
  };
  const ProtocolResult locked = run(0, 0);
  EXPECT_NEAR(locked.energy_j, 9, 0.2) << "in phase: the sensor sees only the 130 W part";
  for (const WindowMeasurement& w : locked.windows) EXPECT_EQ(w.phase_delay_s, 0);
  const ProtocolResult shifted = run(1, 7);
  EXPECT_NEAR(shifted.energy_j, 6.75, 0.08 * 6.75);
  double lo = 1, hi = 0;
  for (const WindowMeasurement& w : shifted.windows) {
    EXPECT_GE(w.phase_delay_s, 0);
    EXPECT_LT(w.phase_delay_s, 0.1 + 1e-9) << "at most one counter period";
    lo = std::min(lo, w.phase_delay_s);
    hi = std::max(hi, w.phase_delay_s);
  }
  EXPECT_GT(hi - lo, 0.05) << "the delays spread over the period";
  // Seeded: the same seed gives the same delays, another seed others.
  const ProtocolResult again = run(1, 7), other = run(1, 8);
  for (size_t i = 0; i < shifted.windows.size(); ++i)
    EXPECT_DOUBLE_EQ(again.windows[i].phase_delay_s, shifted.windows[i].phase_delay_s);
  EXPECT_NE(other.windows[0].phase_delay_s, shifted.windows[0].phase_delay_s);
  EXPECT_EQ(to_json(shifted)["config"]["phase_seed"], 7);
}

TEST(Hardening, SanityFindingsAreWarningsNeverSilent) {
  ProtocolConfig config = hardening_config();
  config.k_min = 3;
  config.k_max = 3;
  {
    // A counter that reports 60 % of the energy (Zeus issue 181): the samples
    // are 67 % above the counter.
    VirtualClock clock;
    PiecewiseMeter meter(clock, 100, 0.1);
    meter.counter_scale = [](double j) { return 0.6 * j; };
    const Workload work{[&] { clock.advance_s(0.01); }, [] {}};
    const ProtocolResult r = Protocol(meter, config, &clock).run(work, idle_from_power(50), false);
    ASSERT_EQ(r.windows.size(), 3u);
    for (const WindowMeasurement& w : r.windows) {
      ASSERT_EQ(w.warnings.size(), 1u);
      EXPECT_NE(w.warnings[0].find("disagree by 66."), std::string::npos) << w.warnings[0];
    }
    MeasurementRecord record;
    fill_record(r, record);
    EXPECT_NE(record.warnings.find("window 2: counter"), std::string::npos) << record.warnings;
    // Within the allowed fraction: no warning.
    config.disagreement_max = 0.7;
    VirtualClock clock2;
    PiecewiseMeter meter2(clock2, 100, 0.1);
    meter2.counter_scale = [](double j) { return 0.6 * j; };
    const Workload work2{[&] { clock2.advance_s(0.01); }, [] {}};
    EXPECT_TRUE(Protocol(meter2, config, &clock2).run(work2, idle_from_power(50), false).warnings.empty());
    config.disagreement_max = 0.1;
  }
  {
    // Readings of 100 kW for 0.12 s of every 0.35 s: dropped, the samples' energy unharmed.
    VirtualClock clock;
    PiecewiseMeter meter(clock, 100, 0.1);
    meter.power_override = [](double t) -> std::optional<double> {
      if (std::fmod(t, 0.35) < 0.12) return 1e5;
      return std::nullopt;
    };
    const Workload work{[&] { clock.advance_s(0.01); }, [] {}};
    const ProtocolResult r = Protocol(meter, config, &clock).run(work, idle_from_power(50), false);
    for (const WindowMeasurement& w : r.windows) {
      ASSERT_FALSE(w.warnings.empty()) << "window " << w.index;
      EXPECT_NE(w.warnings[0].find("implausible"), std::string::npos) << w.warnings[0];
      EXPECT_NE(w.warnings[0].find("100000 W outside [0, max_power_w 3000 W]"), std::string::npos) << w.warnings[0];
      EXPECT_NEAR(*w.samples_energy_j, 100 * w.length_s(), 1e-6 * 100 * w.length_s());
    }
  }
  {
    // A counter that steps back 1000 J inside the second window: that
    // window's counter is rejected, and the window is measured by samples.
    VirtualClock clock;
    PiecewiseMeter meter(clock, 100, 0.1);
    double back_at = 1e9;
    meter.counter_scale = [&](double j) { return clock.now_s() >= back_at ? j - 1000 : j; };
    const Workload work{[&] { clock.advance_s(0.01); }, [] {}};
    Protocol protocol(meter, config, &clock);
    const Calibration cal = protocol.calibrate(work);
    const WindowMeasurement w0 = protocol.measure_window(work, 0, cal.m, idle_from_power(50));
    back_at = clock.now_s() + 0.5;
    const WindowMeasurement w1 = protocol.measure_window(work, 1, cal.m, idle_from_power(50));
    EXPECT_TRUE(w0.warnings.empty());
    EXPECT_TRUE(w0.counter_energy_j);
    ASSERT_FALSE(w1.warnings.empty());
    EXPECT_NE(w1.warnings[0].find("went backwards"), std::string::npos) << w1.warnings[0];
    EXPECT_FALSE(w1.counter_energy_j) << "rejected";
    EXPECT_NEAR(w1.dynamic_energy_j, 0.5, 0.005) << "by samples: (100 - 50) W x 10 ms";
  }
}

TEST(Hardening, DynamicEnergyNotAboveZeroIsWarned) {
  // 100 W throughout against an idle power given as 101 W: each 10 ms
  // execution "draws" -0.01 J. Never a number like any other.
  ProtocolConfig config = hardening_config();
  config.k_min = 3;
  config.k_max = 3;
  VirtualClock clock;
  PiecewiseMeter meter(clock, 100, 0.1);
  const Workload work{[&] { clock.advance_s(0.01); }, [] {}};
  const ProtocolResult r = Protocol(meter, config, &clock).run(work, idle_from_power(101), false);
  EXPECT_NEAR(r.energy_j, -0.01, 1e-3);
  std::string all;
  for (const std::string& text : r.warnings) all += text + "\n";
  EXPECT_NE(all.find("dynamic energy -0.01"), std::string::npos) << all;
  EXPECT_NE(all.find("reaches zero or below"), std::string::npos) << all;
  EXPECT_NE(all.find("(101 W, given reference)"), std::string::npos) << all;
  MeasurementRecord record;
  fill_record(r, record);
  EXPECT_NE(record.warnings.find("reaches zero or below"), std::string::npos) << record.warnings;

  // 140 W against the same idle: 0.39 J, resolved, no such warning.
  VirtualClock clock2;
  PiecewiseMeter meter2(clock2, 140, 0.1);
  const Workload work2{[&] { clock2.advance_s(0.01); }, [] {}};
  const ProtocolResult r2 = Protocol(meter2, config, &clock2).run(work2, idle_from_power(101), false);
  EXPECT_NEAR(r2.energy_j, 0.39, 1e-3);
  for (const std::string& text : r2.warnings) EXPECT_EQ(text.find("reaches zero"), std::string::npos) << text;
}

TEST(Hardening, IdleReferenceShorterThanTheMeterResolvesIsRefused) {
  // Two readings at least: two 100 ms counter updates, or two samples at 10 Hz.
  auto message = [](double idle_s, double hot_idle_s, bool counter) {
    return test_util::error_of([&] {
      VirtualClock clock;
      ProtocolConfig config = fast_config();
      config.idle_s = idle_s;
      config.hot_idle_s = hot_idle_s;
      if (counter) {
        BusyIdleMeter meter(clock, 40, 100, 0.1);
        Protocol protocol(meter, config, &clock);
      } else {
        auto meter = make_replay_meter({{0, 50}, {1, 50}}, &clock, {});
        Protocol protocol(*meter, config, &clock);
      }
    });
  };
  const std::string zero = message(0, 0, false);
  EXPECT_NE(zero.find("idle_s = 0 s is too short for meter replay"), std::string::npos) << zero;
  EXPECT_NE(zero.find("at least 0.2 s (2 readings; a sample every 0.1 s at sample_hz 10)"), std::string::npos) << zero;
  EXPECT_NE(zero.find("set --idle-s 0.2 or more"), std::string::npos) << zero;
  const std::string coarse = message(0.15, 0, true);
  EXPECT_NE(coarse.find("its counter updates every 0.1 s"), std::string::npos) << coarse;
  const std::string hot = message(10, 0.1, false);
  EXPECT_NE(hot.find("hot_idle_s = 0.1 s is too short"), std::string::npos) << hot;
  EXPECT_NE(hot.find("(0: no hot idle reference)"), std::string::npos) << hot;
  EXPECT_EQ(message(0.2, 0, true), "(no error)");
  EXPECT_EQ(message(0.2, 0.2, false), "(no error)");
}

TEST(Hardening, NoCounterAgainstSamplesWarningWhereSamplesComeFromTheCounter) {
  // A counter-only meter (RAPL, the estimate): the sampler derives power from
  // the counter, stamped at the middle of each 0.5 s read interval, so the
  // derived samples smear a load that starts and stops at the window's edges.
  // Counter and samples are one reading: comparing them warns of nothing real.
  VirtualClock clock;
  PiecewiseMeter source(clock, 10, 0.001);
  CounterOnlyMeter meter(source);
  ProtocolConfig config = hardening_config();
  config.k_min = 3;
  config.k_max = 3;
  config.sample_hz = 2;
  config.phase_shift_periods = 0;  // executions right at the edges: the smear is all the samples'
  const Workload work{[&] {
                        source.set_power(200);
                        clock.advance_s(0.01);
                      },
                      [&] { source.set_power(10); }};
  const ProtocolResult r = Protocol(meter, config, &clock).run(work, idle_from_power(10), false);
  ASSERT_EQ(r.k, 3);
  double worst = 0;
  for (const WindowMeasurement& w : r.windows) {
    ASSERT_TRUE(w.counter_energy_j && w.samples_energy_j);
    worst = std::max(worst, std::fabs(*w.samples_energy_j - *w.counter_energy_j) / *w.counter_energy_j);
    EXPECT_NEAR(w.dynamic_energy_j, 1.9, 0.02) << "the counter: 190 W x 10 ms";
  }
  EXPECT_GT(worst, config.disagreement_max) << "the scenario must show the derived samples' smear";
  for (const std::string& text : r.warnings) EXPECT_EQ(text.find("disagree"), std::string::npos) << text;
}

TEST(Hardening, FieldLagsFromAStepResponse) {
  // Readings every 5 ms around a step at t = 1 s: one field follows at once,
  // one 120 ms late, one is a 1 s moving average, one never moves.
  std::map<std::string, std::vector<PowerSample>> readings;
  for (double t = 0; t < 3.5; t += 0.005) {
    const double load = t >= 1 ? 200 : 0;
    readings["instant"].push_back({t, 50 + load});
    readings["late"].push_back({t, 50.0 + (t >= 1.12 ? 200 : 0)});
    readings["average"].push_back({t, 50 + 200 * std::clamp(t - 1, 0.0, 1.0)});
    readings["flat"].push_back({t, 50});
  }
  std::map<std::string, FieldLag> lags;
  for (const FieldLag& l : estimate_field_lags(readings, 1.0)) lags[l.field] = l;
  ASSERT_TRUE(lags["instant"].lag_s && lags["late"].lag_s && lags["average"].lag_s);
  EXPECT_NEAR(*lags["instant"].lag_s, 0, 0.006);
  EXPECT_NEAR(*lags["late"].lag_s, 0.12, 0.006);
  EXPECT_NEAR(*lags["average"].lag_s, 0.5, 0.006);
  EXPECT_FALSE(lags["flat"].lag_s) << "no step seen: no lag claimed";
  EXPECT_NEAR(lags["late"].before_w, 50, 1e-9);
  EXPECT_NEAR(lags["late"].after_w, 250, 1e-9);
}

TEST(Hardening, LagProbeStopsItsReaderWhenAnExecutionFails) {
  // The probe reads the fields in a thread; a failing execution must come out
  // as its error, not as std::terminate on a thread left running.
  auto meter = make_replay_meter({{0, 50}, {1, 50}}, nullptr, {});
  ProtocolConfig config = fast_config();
  config.lag_probe_s = 0.5;
  config.sample_hz = 50;
  Protocol protocol(*meter, config);
  int runs = 0;
  const Workload failing{[&] {
                           std::this_thread::sleep_for(std::chrono::milliseconds(5));
                           if (++runs == 3) throw Error("execution failed: out of memory");
                         },
                         [] {}};
  EXPECT_THROW(protocol.probe_field_lags(failing), Error);
  EXPECT_EQ(runs, 3);
}

// --- the protocol's progress ------------------------------------------------------

// Under Python (and a TOML) the settings are keys, not CLI options.
TEST(ProtocolProgress, NamesTheSettingsAsTheUserGivesThem) {
  ProtocolConfig config;
  std::ostringstream log;
  const ProgressFn progress = protocol_progress(config, log, false, SettingNames::keys);
  for (const char* stage : {"idle", "preheat", "hot idle", "measure"}) progress(stage, 0);
  const std::string text = log.str();
  EXPECT_NE(text.find("with nothing else running (idle_s)\n"), std::string::npos) << text;
  EXPECT_NE(text.find("(preheat_max_s, preheat_no_sensor_s)"), std::string::npos) << text;
  EXPECT_NE(text.find("(window_s, k_max)"), std::string::npos) << text;
  EXPECT_EQ(text.find("--"), std::string::npos) << text;
}

TEST(ProtocolProgress, PhasesAreAnnouncedWithTheirLengthsOnceEach) {
  // Not a terminal (a log): a line as each phase begins, with its length.
  ProtocolConfig config;
  std::ostringstream log;
  const ProgressFn progress = protocol_progress(config, log, false);
  for (const char* stage : {"idle", "lag probe", "preheat", "hot idle", "calibrate", "measure"})
    for (double f : {0.0, 0.25, 0.5, 1.0}) progress(stage, f);
  const std::string text = log.str();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 6) << text;
  EXPECT_NE(text.find("idle reference: 120 s with nothing else running (--idle-s)\n"), std::string::npos) << text;
  EXPECT_NE(text.find("preheat: up to 600 s (ends at 80 C or when stable; 60 s without a temperature sensor)"),
            std::string::npos) << text;
  EXPECT_NE(text.find("hot idle reference: 30 s (--hot-idle-s)\n"), std::string::npos) << text;
  EXPECT_NE(text.find("windows: 3 to 30 of at least 5 s"), std::string::npos) << text;

  // A terminal: the line redrawn in place, the seconds counted, a newline at the end.
  std::ostringstream tty;
  const ProgressFn redrawn = protocol_progress(config, tty, true);
  redrawn("idle", 0);
  redrawn("idle", 37.0 / 120);
  redrawn("idle", 1);
  redrawn("measure", 0.5);
  EXPECT_EQ(tty.str().rfind("\ridle reference: 0 s of 120 s", 0), 0u) << tty.str();
  EXPECT_NE(tty.str().find("\ridle reference: 37 s of 120 s"), std::string::npos) << tty.str();
  EXPECT_NE(tty.str().find("idle reference: 120 s of 120 s\n"), std::string::npos) << tty.str();
  EXPECT_NE(tty.str().find("\rwindows:  50 %"), std::string::npos) << tty.str();
}
