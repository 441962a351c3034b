// The measurement window API (meters/window.h): energy between two edges by
// counter and by samples, Eq. (1) in one place, edges on counter ticks, and
// misuse refused.
#include <gtest/gtest.h>

#include <cmath>

#include "error.h"
#include "meters/power_meter.h"
#include "meters/window.h"

using namespace nicenergy;

namespace {

// 20 W, then 120 W from t = 1 s to t = 2 s, then 20 W again.
std::vector<PowerSample> step_trace() {
  return {{0, 20}, {1, 20}, {1, 120}, {2, 120}, {2, 20}, {100, 20}};
}

}  // namespace

TEST(Window, EnergyByCounterAndBySamples) {
  VirtualClock clock;
  ReplayOptions options;
  options.energy_counter = true;
  options.linear = false;  // step-hold: the trace is exactly the steps above
  options.loop = false;
  auto meter = make_replay_meter(step_trace(), &clock, options);
  EnergyMonitor monitor(*meter, 100, &clock);
  EXPECT_EQ(monitor.method(), EnergyMethod::counter);
  clock.advance_s(0.5 - clock.now_s());
  const WindowEdge begin = monitor.begin_window("burst");
  clock.advance_s(2.5 - clock.now_s());
  const WindowEnergy w = monitor.end_window("burst");
  EXPECT_EQ(w.name, "burst");
  EXPECT_NEAR(begin.t_s, 0.5, 1e-9);
  EXPECT_NEAR(w.duration_s(), 2.0, 1e-9);
  ASSERT_TRUE(w.counter_energy_j && w.samples_energy_j);
  // 20 W x 1 s + 120 W x 1 s = 140 J; the integrated samples see the steps
  // within one sample period (10 ms) at each of the two edges of the burst.
  EXPECT_NEAR(*w.counter_energy_j, 140, 1e-9);
  EXPECT_NEAR(*w.samples_energy_j, 140, 2.0);
  EXPECT_GT(w.samples, 150u);
  EXPECT_DOUBLE_EQ(w.energy_j(), *w.counter_energy_j);
  EXPECT_NEAR(w.mean_power_w(), 70, 1e-9);
}

TEST(Window, WithoutCounterTheSamplesCount) {
  VirtualClock clock;
  auto meter = make_replay_meter({{0, 50}, {10, 50}}, &clock, {});
  EnergyMonitor monitor(*meter, 10, &clock);
  EXPECT_EQ(monitor.method(), EnergyMethod::samples);
  monitor.begin_window("a");
  clock.advance_s(3);
  const WindowEnergy w = monitor.end_window("a");
  EXPECT_FALSE(w.counter_energy_j);
  ASSERT_TRUE(w.samples_energy_j);
  EXPECT_NEAR(w.energy_j(), 150, 1e-6);
  EXPECT_FALSE(w.energy_j(EnergyMethod::counter));
}

TEST(Window, WindowsNestAndOverlap) {
  VirtualClock clock;
  ReplayOptions options;
  options.energy_counter = true;
  auto meter = make_replay_meter({{0, 10}, {100, 10}}, &clock, options);
  EnergyMonitor monitor(*meter, 10, &clock);
  monitor.begin_window("outer");
  clock.advance_s(1);
  monitor.begin_window("inner");
  clock.advance_s(2);
  const WindowEnergy inner = monitor.end_window("inner");
  clock.advance_s(1);
  const WindowEnergy outer = monitor.end_window("outer");
  EXPECT_NEAR(*inner.counter_energy_j, 20, 1e-9);
  // Closing the inner window waits for a power sample past its edge (at most a
  // few sample periods), so the outer one is that much longer than 4 s.
  EXPECT_GE(outer.duration_s(), 4);
  EXPECT_LT(outer.duration_s(), 4 + 3.0 / 10 + 0.11);
  EXPECT_NEAR(*outer.counter_energy_j, 10 * outer.duration_s(), 1e-9);
  EXPECT_LE(inner.begin.t_s - outer.begin.t_s, 1 + 1e-9);
  EXPECT_THROW(monitor.end_window("inner"), Error);  // closed already
  EXPECT_THROW(monitor.end_window("never"), Error);
}

TEST(Window, EdgesSitOnTicksOfACoarseCounter) {
  VirtualClock clock;
  ReplayOptions options;
  options.energy_counter = true;
  options.counter_period_s = 0.1;  // NVML-like: the counter moves every 100 ms
  auto meter = make_replay_meter({{0, 60}, {100, 60}}, &clock, options);
  EnergyMonitor monitor(*meter, 10, &clock);
  EXPECT_NEAR(monitor.counter_update_s(), 0.1, 0.005);
  clock.advance_s(0.037);
  const WindowEdge begin = monitor.begin_window("w");
  clock.advance_s(1.013);
  const WindowEnergy w = monitor.end_window("w");
  // Each edge is put half-way between the two 1 ms reads around a tick.
  auto off_grid = [](double t) { return std::fabs(t / 0.1 - std::round(t / 0.1)) * 0.1; };
  EXPECT_LT(off_grid(begin.t_s), 0.001);
  EXPECT_LT(off_grid(w.end.t_s), 0.001);
  // Whole counter periods: the counter energy is exact for them.
  EXPECT_NEAR(*w.counter_energy_j, 60 * w.duration_s(), 60 * 0.001);
}

TEST(Window, Equation1IsDynamicEnergyPerExecution) {
  // 140 J over 2 s at 20 W idle for 4 executions: (140 - 40) / 4.
  EXPECT_DOUBLE_EQ(dynamic_energy_j(140, 20, 2, 4), 25);
  EXPECT_DOUBLE_EQ(dynamic_energy_j(40, 20, 2, 1), 0);
  EXPECT_LT(dynamic_energy_j(30, 20, 2, 1), 0);  // below idle: negative, not hidden
  EXPECT_THROW(dynamic_energy_j(140, 20, 2, 0), Error);
}

TEST(Window, MethodsHaveOneSpellingAtTheEdges) {
  for (EnergyMethod m : {EnergyMethod::counter, EnergyMethod::samples, EnergyMethod::estimate})
    EXPECT_EQ(parse_energy_method(to_string(m)), m);
  EXPECT_THROW(parse_energy_method("guess"), Error);
  EXPECT_EQ(primary_method(*make_estimate_meter()), EnergyMethod::estimate);
}

TEST(Window, UnavailableMeterIsRefused) {
  class Absent : public PowerMeter {
   public:
    std::string name() const override { return "absent"; }
    bool available() const override { return false; }
    std::string unavailable_reason() const override { return "not plugged in"; }
    bool samples_power() const override { return false; }
    bool has_energy_counter() const override { return false; }
    std::optional<double> power_w() override { return std::nullopt; }
    std::optional<double> energy_j() override { return std::nullopt; }
    DeviceState device_state() override { return {}; }
    std::map<std::string, std::string> metadata() const override { return {}; }
  } absent;
  try {
    EnergyMonitor monitor(absent);
    FAIL() << "an unavailable meter was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not plugged in"), std::string::npos);
  }
}
