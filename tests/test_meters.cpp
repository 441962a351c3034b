// Meters: replay playback and its counter, trace CSV reading, RAPL on a fake
// powercap tree (wrap-around, missing tree, unreadable counter), NVML and `auto`
// where there is no driver, the CPU estimate, open_meter specs, and the sampler
// thread (rate, stop, no leaked thread).
#include <dirent.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "error.h"
#include "meters/power_meter.h"
#include "meters/sampler.h"
#include "meters/trace_csv.h"
#include "platform/host.h"

extern char** environ;

using namespace nicenergy;

namespace {

std::string make_temp_dir() {
  char pattern[] = "/tmp/nicenergy_meters_XXXXXX";
  const char* dir = mkdtemp(pattern);
  if (!dir) throw std::runtime_error("mkdtemp failed");
  return dir;
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
}

void remove_tree(const std::string& path) { (void)!std::system(("rm -rf '" + path + "'").c_str()); }

int thread_count() {
  int n = 0;
  if (DIR* d = opendir("/proc/self/task")) {
    while (dirent* e = readdir(d)) n += e->d_name[0] != '.';
    closedir(d);
  }
  return n;
}

double cpu_s() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

}  // namespace

// --- replay -----------------------------------------------------------------

TEST(Replay, LinearInterpolationAndStepHold) {
  VirtualClock clock;
  const std::vector<PowerSample> trace = {{0, 10}, {1, 30}, {3, 30}, {4, 0}};
  auto linear = make_replay_meter(trace, &clock, {});
  ReplayOptions step_options;
  step_options.linear = false;
  auto step = make_replay_meter(trace, &clock, step_options);
  clock.advance_s(0.25);
  EXPECT_DOUBLE_EQ(*linear->power_w(), 15);
  EXPECT_DOUBLE_EQ(*step->power_w(), 10);
  clock.advance_s(3.25);  // t = 3.5
  EXPECT_DOUBLE_EQ(*linear->power_w(), 15);
  EXPECT_DOUBLE_EQ(*step->power_w(), 30);
  EXPECT_FALSE(linear->has_energy_counter());
  EXPECT_FALSE(linear->energy_j().has_value());
}

TEST(Replay, LoopsOrHoldsPastTheEnd) {
  VirtualClock clock;
  const std::vector<PowerSample> trace = {{0, 0}, {2, 20}};
  auto looping = make_replay_meter(trace, &clock, {});
  ReplayOptions hold;
  hold.loop = false;
  auto holding = make_replay_meter(trace, &clock, hold);
  clock.advance_s(2.5);
  EXPECT_NEAR(*looping->power_w(), 5, 1e-9);  // 0.5 s into the second lap
  EXPECT_DOUBLE_EQ(*holding->power_w(), 20);
}

TEST(Replay, CounterIsTheExactIntegral) {
  VirtualClock clock(100);  // the trace starts at the clock's time when made
  // Ramp 0 -> 100 W over 10 s, then 100 W; uneven point spacing.
  const std::vector<PowerSample> trace = {{5, 0}, {6, 10}, {8.5, 35}, {15, 100}, {15.3, 100}, {20, 100}};
  ReplayOptions options;
  options.energy_counter = true;
  options.loop = false;
  auto meter = make_replay_meter(trace, &clock, options);
  const double e0 = *meter->energy_j();
  clock.advance_s(7.3);  // inside the ramp: 10 * t^2 / 2 / ... P = 10 t
  EXPECT_NEAR(*meter->energy_j() - e0, 5.0 * 7.3 * 7.3, 1e-9);
  clock.advance_s(12.7);  // t = 20: 500 J ramp + 100 W * 10 s
  EXPECT_NEAR(*meter->energy_j() - e0, 500 + 1000, 1e-9);
  clock.advance_s(5);  // held at 100 W past the end
  EXPECT_NEAR(*meter->energy_j() - e0, 2000, 1e-9);
}

TEST(Replay, LoopingCounterAddsWholeLaps) {
  VirtualClock clock;
  ReplayOptions options;
  options.energy_counter = true;
  auto meter = make_replay_meter({{0, 10}, {1, 30}}, &clock, options);  // 20 J per lap
  clock.advance_s(3.5);  // 3 laps + half a lap (10 -> 20 W: 7.5 J)
  EXPECT_NEAR(*meter->energy_j(), 3 * 20 + 7.5, 1e-9);
}

TEST(Replay, QuantisedCounterUpdatesOnItsGrid) {
  VirtualClock clock;
  ReplayOptions options;
  options.energy_counter = true;
  options.counter_period_s = 0.1;
  auto meter = make_replay_meter({{0, 50}, {100, 50}}, &clock, options);
  clock.advance_s(0.05);
  EXPECT_DOUBLE_EQ(*meter->energy_j(), 0);
  clock.advance_s(0.1);  // t = 0.15: the counter shows t = 0.1
  EXPECT_NEAR(*meter->energy_j(), 5, 1e-9);
  clock.advance_s(0.05);  // t = 0.2
  EXPECT_NEAR(*meter->energy_j(), 10, 1e-9);
}

TEST(Replay, RejectsBadTraces) {
  EXPECT_THROW(make_replay_meter({}, nullptr, {}), Error);
  EXPECT_THROW(make_replay_meter({{1, 1}, {0, 1}}, nullptr, {}), Error);
}

TEST(ReplayCsv, ReadsNamedColumnsAndIgnoresOthers) {
  const std::string dir = make_temp_dir();
  write_file(dir + "/t.csv", "window,power_w,time_s\r\n-1,50.5,0\r\n0,60,0.1\n\n1,70.25,0.3\n");
  const std::vector<PowerSample> trace = read_power_trace_csv(dir + "/t.csv");
  ASSERT_EQ(trace.size(), 3u);
  EXPECT_DOUBLE_EQ(trace[0].power_w, 50.5);
  EXPECT_DOUBLE_EQ(trace[2].t_s, 0.3);
  EXPECT_DOUBLE_EQ(trace[2].power_w, 70.25);

  write_file(dir + "/nocol.csv", "time_s,watts\n0,1\n");
  try {
    read_power_trace_csv(dir + "/nocol.csv");
    FAIL() << "no error for a missing column";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("power_w"), std::string::npos) << e.what();
  }
  write_file(dir + "/bad.csv", "time_s,power_w\n0,1\n0.1,abc\n");
  try {
    read_power_trace_csv(dir + "/bad.csv");
    FAIL() << "no error for a bad number";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("line 3"), std::string::npos) << e.what();
  }
  write_file(dir + "/back.csv", "time_s,power_w\n1,1\n0.5,1\n");
  EXPECT_THROW(read_power_trace_csv(dir + "/back.csv"), Error);
  EXPECT_THROW(read_power_trace_csv(dir + "/absent.csv"), Error);
  remove_tree(dir);
}

// The replay meter and the report read traces through the same reader.
TEST(TraceCsv, WindowsSpacesQuotesAndALastLineWithoutNewline) {
  const std::string dir = make_temp_dir();
  write_file(dir + "/w.csv", "time_s, power_w ,window\n0, 50 ,-1\n\"0.1\",60,0\n  \n0.2,70,0");
  const std::vector<TracePoint> trace = read_trace_csv(dir + "/w.csv");
  ASSERT_EQ(trace.size(), 3u);
  EXPECT_EQ(trace[0].window, -1);
  EXPECT_DOUBLE_EQ(trace[1].time_s, 0.1);
  EXPECT_EQ(trace[1].window, 0);
  EXPECT_DOUBLE_EQ(trace[2].power_w, 70);
  EXPECT_EQ(read_power_trace_csv(dir + "/w.csv").size(), 3u);

  write_file(dir + "/nowindow.csv", "time_s,power_w\n0,1\n1,2\n");
  const std::vector<TracePoint> plain = read_trace_csv(dir + "/nowindow.csv");
  ASSERT_EQ(plain.size(), 2u);
  EXPECT_EQ(plain[1].window, -1);

  write_file(dir + "/junk.csv", "time_s,power_w,window\n0,1,-1\n0.1,2x,-1\n");
  write_file(dir + "/badwindow.csv", "time_s,power_w,window\n0,1,0.5\n");
  write_file(dir + "/back.csv", "time_s,power_w,window\n1,1,0\n0.5,1,0\n");
  write_file(dir + "/header_only.csv", "time_s,power_w,window\n");
  write_file(dir + "/empty.csv", "");
  for (const char* name : {"junk.csv", "badwindow.csv", "back.csv", "header_only.csv", "empty.csv", "absent.csv"}) {
    try {
      read_trace_csv(dir + "/" + name);
      ADD_FAILURE() << "no error for " << name;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
    }
  }
  try {
    read_trace_csv(dir + "/back.csv");
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("line 3"), std::string::npos) << e.what();
  }
  remove_tree(dir);
}

// --- RAPL -------------------------------------------------------------------

namespace {

struct FakePowercap {
  std::string root = make_temp_dir();
  void domain(const std::string& entry, const std::string& name, unsigned long long energy_uj,
              unsigned long long max_uj) {
    mkdir((root + "/" + entry).c_str(), 0755);
    write_file(root + "/" + entry + "/name", name + "\n");
    set(entry, energy_uj);
    write_file(root + "/" + entry + "/max_energy_range_uj", std::to_string(max_uj) + "\n");
  }
  void set(const std::string& entry, unsigned long long energy_uj) {
    write_file(root + "/" + entry + "/energy_uj", std::to_string(energy_uj) + "\n");
  }
  ~FakePowercap() { remove_tree(root); }
};

}  // namespace

TEST(Rapl, SumsPackagesAndDramAndHandlesWrapAround) {
  FakePowercap tree;
  tree.domain("intel-rapl:0", "package-0", 900000, 1000000);
  tree.domain("intel-rapl:0:0", "core", 5, 1000000);    // inside the package: ignored
  tree.domain("intel-rapl:0:1", "dram", 1000, 1000000);
  tree.domain("intel-rapl:1", "psys", 7, 1000000);      // overlaps packages: ignored
  tree.domain("intel-rapl-mmio:0", "package-0", 0, 1000000);  // duplicate interface: ignored
  auto meter = make_rapl_meter(tree.root, tree.root + "/no-hwmon");
  ASSERT_TRUE(meter->available()) << meter->unavailable_reason();
  EXPECT_FALSE(meter->samples_power());
  EXPECT_EQ(meter->metadata()["domains"], "package-0+dram");
  const double e0 = *meter->energy_j();
  tree.set("intel-rapl:0", 950000);  // +0.05 J
  tree.set("intel-rapl:0:1", 3000);  // +0.002 J
  tree.set("intel-rapl:0:0", 999999);
  tree.set("intel-rapl:1", 999999);
  EXPECT_NEAR(*meter->energy_j() - e0, 0.052, 1e-12);
  tree.set("intel-rapl:0", 100000);  // wrapped: 50000 to the top, then 100000
  EXPECT_NEAR(*meter->energy_j() - e0, 0.052 + 0.15, 1e-12);
  tree.set("intel-rapl:0", 100000);  // no change, no wrap
  EXPECT_NEAR(*meter->energy_j() - e0, 0.202, 1e-12);
}

TEST(Rapl, MissingTreeSaysWhatToDo) {
  auto meter = make_rapl_meter("/nonexistent/powercap", "/nonexistent/hwmon");
  EXPECT_FALSE(meter->available());
  EXPECT_NE(meter->unavailable_reason().find("/nonexistent/powercap"), std::string::npos);
  EXPECT_NE(meter->unavailable_reason().find("--meter estimate"), std::string::npos);
  EXPECT_FALSE(meter->energy_j().has_value());
}

TEST(Rapl, NoPackageDomain) {
  FakePowercap tree;
  tree.domain("intel-rapl:1", "psys", 7, 1000000);
  auto meter = make_rapl_meter(tree.root, tree.root);
  EXPECT_FALSE(meter->available());
  EXPECT_NE(meter->unavailable_reason().find("no package domain"), std::string::npos);
}

TEST(Rapl, UnreadableCounterSaysRootOnly) {
  FakePowercap tree;
  tree.domain("intel-rapl:0", "package-0", 1, 1000000);
  const std::string counter = tree.root + "/intel-rapl:0/energy_uj";
  if (geteuid() != 0) {
    chmod(counter.c_str(), 0);
  } else {  // root reads mode-000 files: a dangling link fails to open for anyone
    std::remove(counter.c_str());
    ASSERT_EQ(symlink("/nonexistent/energy_uj", counter.c_str()), 0);
  }
  auto meter = make_rapl_meter(tree.root, tree.root);
  EXPECT_FALSE(meter->available());
  const std::string reason = meter->unavailable_reason();
  EXPECT_NE(reason.find("cannot read " + counter), std::string::npos) << reason;
  EXPECT_NE(reason.find("root"), std::string::npos) << reason;
  EXPECT_NE(reason.find("--meter estimate"), std::string::npos) << reason;
}

TEST(Rapl, CpuTemperatureFromHwmon) {
  FakePowercap tree;
  tree.domain("intel-rapl:0", "package-0", 1, 1000000);
  const std::string hwmon = make_temp_dir();
  mkdir((hwmon + "/hwmon0").c_str(), 0755);
  write_file(hwmon + "/hwmon0/name", "acpitz\n");
  write_file(hwmon + "/hwmon0/temp1_input", "20000\n");
  mkdir((hwmon + "/hwmon1").c_str(), 0755);
  write_file(hwmon + "/hwmon1/name", "coretemp\n");
  write_file(hwmon + "/hwmon1/temp1_input", "61500\n");
  auto meter = make_rapl_meter(tree.root, hwmon);
  ASSERT_TRUE(meter->device_state().temperature_c.has_value());
  EXPECT_DOUBLE_EQ(*meter->device_state().temperature_c, 61.5);
  remove_tree(hwmon);
}

// --- NVML and auto ------------------------------------------------------------

TEST(Nvml, WithoutDriverSaysWhy) {
  auto meter = make_nvml_meter(0);
  if (meter->available()) GTEST_SKIP() << "this machine has an NVIDIA driver";
  EXPECT_EQ(meter->name(), "nvml");
  EXPECT_FALSE(meter->unavailable_reason().empty());
  EXPECT_NE(meter->unavailable_reason().find("NVML"), std::string::npos);
  EXPECT_FALSE(meter->power_w().has_value());
  EXPECT_FALSE(meter->energy_j().has_value());
  try {
    open_meter("nvml");
    FAIL() << "open_meter(\"nvml\") did not throw";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--meter nvml"), std::string::npos) << e.what();
  }
}

TEST(Nvml, WithDriverReadsPowerAndState) {
  auto meter = make_nvml_meter(0);
  if (!meter->available()) GTEST_SKIP() << meter->unavailable_reason();
  ASSERT_TRUE(meter->power_w().has_value());
  EXPECT_GT(*meter->power_w(), 1);
  EXPECT_LT(*meter->power_w(), 2000);
  const DeviceState state = meter->device_state();
  EXPECT_FALSE(state.name.empty());
  EXPECT_TRUE(state.temperature_c.has_value());
  if (meter->has_energy_counter()) {
    EXPECT_GT(*meter->energy_j(), 0);
  }
}

TEST(OpenMeter, AutoFallsThroughNvmlThenRaplThenTheEstimate) {
  const bool nvml = make_nvml_meter(0)->available();
  const bool rapl = make_rapl_meter()->available();
  if (nvml || rapl) {
    EXPECT_EQ(open_meter("auto")->name(), nvml ? "nvml" : "rapl");
    return;
  }
  // Neither: the estimate, and one warning line on stderr saying why and what it is.
  testing::internal::CaptureStderr();
  const auto meter = open_meter("auto");
  const std::string said = testing::internal::GetCapturedStderr();
  EXPECT_EQ(meter->name(), "estimate");
  EXPECT_TRUE(meter->is_estimate());
  EXPECT_EQ(std::count(said.begin(), said.end(), '\n'), 1) << said;
  EXPECT_NE(said.find("warning: --meter auto"), std::string::npos) << said;
  EXPECT_NE(said.find(make_rapl_meter()->unavailable_reason()), std::string::npos) << said;
  EXPECT_NE(said.find("ESTIMATE"), std::string::npos) << said;
}

TEST(OpenMeter, SpecsAndErrors) {
  auto estimate = open_meter("estimate");
  EXPECT_EQ(estimate->name(), "estimate");
  EXPECT_TRUE(estimate->is_estimate());
  EXPECT_EQ(open_meter("estimate:65")->metadata()["tdp_w"], "65");
  EXPECT_THROW(open_meter("estimate:-3"), Error);
  EXPECT_THROW(open_meter("estimate:lots"), Error);
  EXPECT_THROW(open_meter("nvml:x"), Error);
  EXPECT_THROW(open_meter("replay:"), Error);
  EXPECT_THROW(open_meter("wattmeter"), Error);
  const std::string dir = make_temp_dir();
  write_file(dir + "/t.csv", "time_s,power_w\n0,42\n1,42\n");
  auto replay = open_meter("replay:" + dir + "/t.csv");
  EXPECT_EQ(replay->name(), "replay");
  EXPECT_DOUBLE_EQ(*replay->power_w(), 42);
  remove_tree(dir);
}

// Issue 19, defect 7: "nan" power replayed to "nan J" with exit 0. Non-finite,
// out-of-range and trailing-garbage cells are refused with line and column.
TEST(TraceCsv, NonFiniteAndOutOfRangeCellsAreRefusedWithLineAndColumn) {
  const std::string dir = make_temp_dir();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"0.1,nan,0", "column power_w"}, {"0.1,inf,0", "column power_w"},   {"nan,1,0", "column time_s"},
      {"0.1,-inf,0", "column power_w"}, {"0.1,1e999,0", "column power_w"}, {"1e300,1,0", "column time_s"},
      {"0.1,1,4294967296", "column window"}, {"0.1,1,-2", "column window"}, {"0.1,50x,0", "column power_w"}};
  for (const auto& [row, column] : cases) {
    write_file(dir + "/t.csv", "time_s,power_w,window\n0,1,-1\n" + row + "\n");
    try {
      read_trace_csv(dir + "/t.csv");
      ADD_FAILURE() << "accepted " << row;
    } catch (const Error& e) {
      const std::string message = e.what();
      EXPECT_NE(message.find("line 3 " + column), std::string::npos) << row << ": " << message;
      EXPECT_NE(message.find(dir + "/t.csv"), std::string::npos) << message;
    }
  }
  // Programmatic traces are checked by the meter itself.
  EXPECT_THROW(make_replay_meter({{0, 1}, {1, std::nan("")}}, nullptr, {}), Error);
  // A TDP of nan gave nan joules.
  EXPECT_THROW(open_meter("estimate:nan"), Error);
  EXPECT_THROW(open_meter("estimate:inf"), Error);
  EXPECT_THROW(open_meter("estimate:65x"), Error);
  remove_tree(dir);
}

// Issue 19, defect 13: a FIFO given as a replay trace hung forever; a directory
// was "not found". Both are refused before anything is opened.
TEST(TraceCsv, FifosAndDirectoriesAreRefusedBeforeOpening) {
  const std::string dir = make_temp_dir();
  ASSERT_EQ(::mkfifo((dir + "/fifo.csv").c_str(), 0644), 0);
  try {
    open_meter("replay:" + dir + "/fifo.csv");
    ADD_FAILURE() << "a FIFO was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not a regular file"), std::string::npos) << e.what();
  }
  try {
    read_trace_csv(dir);
    ADD_FAILURE() << "a directory was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("is a directory"), std::string::npos) << e.what();
  }
  remove_tree(dir);
}

TEST(ListMeters, OneRowPerBackend) {
  const std::vector<MeterInfo> rows = list_meters();
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[0].name, "nvml");
  EXPECT_EQ(rows[4].name, "external");
  EXPECT_EQ(rows[1].name, "rapl");
  EXPECT_EQ(rows[2].name, "estimate");
  EXPECT_TRUE(rows[2].available);
  EXPECT_NE(rows[2].detail.find("ESTIMATE"), std::string::npos);
  for (const MeterInfo& row : rows) EXPECT_FALSE(row.detail.empty()) << row.name;
}

// --- CPU estimate -------------------------------------------------------------

TEST(Estimate, CpuTimeTimesTdpShare) {
  auto meter = make_estimate_meter(80, 4);  // 20 W per busy core
  EXPECT_TRUE(meter->is_estimate());
  EXPECT_TRUE(meter->has_energy_counter());
  const double c0 = cpu_s();
  const double e0 = *meter->energy_j();
  volatile double sink = 0;
  while (cpu_s() - c0 < 0.05) sink = sink + std::sqrt(sink + 1);
  const double e1 = *meter->energy_j();
  const double c1 = cpu_s();
  EXPECT_GE(e1 - e0, 20 * 0.05 * 0.99);
  EXPECT_LE(e1 - e0, 20 * (c1 - c0) * 1.01);
  EXPECT_THROW(make_estimate_meter(0), Error);
}

// Defect: the estimate read this process's CPU time alone, so a command run by
// exec (a child) cost nothing. The child's CPU time, as wait4 reports it to its
// parent, is the truth the meter must charge at TDP / cores per second.
TEST(Estimate, ChargesTheCpuTimeOfTheChildrenItReaped) {
  auto meter = make_estimate_meter(80, 4);  // 20 W per busy core
  const double own0 = cpu_s();
  const double e0 = *meter->energy_j();
  char* argv[] = {const_cast<char*>("sh"), const_cast<char*>("-c"),
                  const_cast<char*>("i=0; while [ $i -lt 60000 ]; do i=$((i+1)); done"), nullptr};
  pid_t pid = 0;
  ASSERT_EQ(posix_spawn(&pid, "/bin/sh", nullptr, nullptr, argv, environ), 0);
  int status = 0;
  rusage usage{};
  ASSERT_EQ(wait4(pid, &status, 0, &usage), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  const double e1 = *meter->energy_j();
  const double own_s = cpu_s() - own0;
  const double child_s = usage.ru_utime.tv_sec + usage.ru_utime.tv_usec * 1e-6 + usage.ru_stime.tv_sec +
                         usage.ru_stime.tv_usec * 1e-6;
  ASSERT_GT(child_s, 0.02) << "the busy loop was too short to tell";
  EXPECT_GE(e1 - e0, 20 * child_s * 0.999) << "the child's CPU time is not charged";
  EXPECT_LE(e1 - e0, 20 * (child_s + own_s) * 1.001 + 1e-6);
}

// Both CPU meters name the CPU through one reader of /proc/cpuinfo.
TEST(Estimate, CpuModelFromCpuinfo) {
  const std::string dir = make_temp_dir();
  write_file(dir + "/cpuinfo", "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13  \n"
                               "processor\t: 1\nmodel name\t: AMD EPYC 7B13\n");
  EXPECT_EQ(cpu_model(dir + "/cpuinfo"), "AMD EPYC 7B13");
  write_file(dir + "/arm", "processor\t: 0\nBogoMIPS\t: 50.00\n");
  EXPECT_EQ(cpu_model(dir + "/arm"), "");
  EXPECT_EQ(cpu_model(dir + "/absent"), "");
  EXPECT_EQ(make_estimate_meter(80, 4)->device_state().name, cpu_model());
  remove_tree(dir);
}

// --- sampler ------------------------------------------------------------------

namespace {

// A meter with only a counter: energy = 100 W x virtual time.
class CounterOnlyMeter : public PowerMeter {
 public:
  explicit CounterOnlyMeter(Clock& clock) : clock_(clock) {}
  std::string name() const override { return "counter-only"; }
  bool available() const override { return true; }
  std::string unavailable_reason() const override { return ""; }
  bool samples_power() const override { return false; }
  bool has_energy_counter() const override { return true; }
  std::optional<double> power_w() override { return std::nullopt; }
  std::optional<double> energy_j() override { return 100 * clock_.now_s(); }
  DeviceState device_state() override { return {}; }
  std::map<std::string, std::string> metadata() const override { return {}; }

 private:
  Clock& clock_;
};

}  // namespace

TEST(Sampler, RealThreadAt100HzStopsAndJoins) {
  auto replay = make_replay_meter({{0, 5}, {1, 5}}, nullptr, {});
  const int threads_before = thread_count();
  Sampler sampler(*replay, 100);
  sampler.start();
  EXPECT_TRUE(sampler.running());
  EXPECT_EQ(thread_count(), threads_before + 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  sampler.stop();
  EXPECT_FALSE(sampler.running());
  EXPECT_EQ(thread_count(), threads_before);
  const size_t n = sampler.power_sample_count();
  EXPECT_GE(n, 20u);  // ~50 expected; wide bounds for a loaded machine
  EXPECT_LE(n, 80u);
  const std::vector<PowerSample> samples = sampler.power_samples();
  for (size_t i = 1; i < samples.size(); ++i) EXPECT_GT(samples[i].t_s, samples[i - 1].t_s);
  EXPECT_DOUBLE_EQ(samples.front().power_w, 5);
  // Stopped: no more samples.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(sampler.power_sample_count(), n);
}

TEST(Sampler, DestroyedWhileRunningJoinsItsThread) {
  const int threads_before = thread_count();
  {
    auto meter = make_estimate_meter();
    Sampler sampler(*meter, 1000);
    sampler.start();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_EQ(thread_count(), threads_before + 1);
  }
  EXPECT_EQ(thread_count(), threads_before);
}

TEST(Sampler, VirtualClockSamplesOnTheGrid) {
  VirtualClock clock;
  auto meter = make_replay_meter({{0, 0}, {10, 100}}, &clock, {});
  Sampler sampler(*meter, 10, &clock);
  sampler.start();
  clock.advance_s(1.05);
  const std::vector<PowerSample> samples = sampler.power_samples();
  ASSERT_EQ(samples.size(), 11u);  // t = 0, 0.1, ..., 1.0
  EXPECT_NEAR(samples[7].t_s, 0.7, 1e-12);
  EXPECT_NEAR(samples[7].power_w, 7, 1e-9);
  // Since a time: the sample at or before it comes first.
  EXPECT_NEAR(sampler.power_samples(0.45).front().t_s, 0.4, 1e-12);
  sampler.discard_before(0.45);
  EXPECT_EQ(sampler.power_sample_count(), 7u);
  sampler.stop();
  clock.advance_s(1);
  EXPECT_EQ(sampler.power_sample_count(), 7u);
}

TEST(Sampler, DerivesPowerFromACounter) {
  VirtualClock clock;
  CounterOnlyMeter meter(clock);
  Sampler sampler(meter, 20, &clock);
  sampler.start();
  clock.advance_s(1);
  const std::vector<PowerSample> power = sampler.power_samples();
  EXPECT_EQ(sampler.energy_samples().size(), 21u);
  ASSERT_EQ(power.size(), 20u);
  EXPECT_NEAR(power[0].t_s, 0.025, 1e-12);  // middle of the first interval
  for (const PowerSample& s : power) EXPECT_NEAR(s.power_w, 100, 1e-6);
}

TEST(Sampler, RejectsRatesOutOfRange) {
  auto meter = make_estimate_meter();
  EXPECT_THROW(Sampler(*meter, 0), Error);
  EXPECT_THROW(Sampler(*meter, 2000), Error);
  EXPECT_NO_THROW(Sampler(*meter, 1000));
}

namespace {

// Power reads that take 30 ms, as a slow driver call; each read's start and end are kept.
class SlowReadMeter : public PowerMeter {
 public:
  std::string name() const override { return "slow"; }
  bool available() const override { return true; }
  std::string unavailable_reason() const override { return ""; }
  bool samples_power() const override { return true; }
  bool has_energy_counter() const override { return false; }
  std::optional<double> power_w() override {
    const double t0 = steady_now_s();
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    std::lock_guard<std::mutex> lock(mutex);
    reads.push_back({t0, steady_now_s()});
    return 42.0;
  }
  std::optional<double> energy_j() override { return std::nullopt; }
  DeviceState device_state() override { return {}; }
  std::map<std::string, std::string> metadata() const override { return {}; }
  std::mutex mutex;
  std::vector<std::pair<double, double>> reads;
};

}  // namespace

TEST(Sampler, SamplesAreStampedAtTheMiddleOfTheRead) {
  SlowReadMeter meter;
  Sampler sampler(meter, 10);
  sampler.start();
  std::this_thread::sleep_for(std::chrono::milliseconds(350));
  sampler.stop();
  const std::vector<PowerSample> samples = sampler.power_samples();
  ASSERT_GE(samples.size(), 2u);
  std::lock_guard<std::mutex> lock(meter.mutex);
  ASSERT_EQ(samples.size(), meter.reads.size());
  for (size_t i = 0; i < samples.size(); ++i) {
    const auto [start_s, end_s] = meter.reads[i];
    EXPECT_GT(end_s - start_s, 0.025);
    // The middle of the call, not its start (15 ms earlier): a lagging read stamped early looks even later.
    EXPECT_NEAR(samples[i].t_s, (start_s + end_s) / 2, 0.006) << "sample " << i;
  }
}

TEST(Sampler, ImplausibleReadingsAreDroppedAndKept) {
  VirtualClock clock;
  CounterOnlyMeter meter(clock);  // 100 W
  Sampler sampler(meter, 20, &clock);
  sampler.set_max_power_w(50);
  sampler.start();
  clock.advance_s(0.5);
  EXPECT_TRUE(sampler.power_samples().empty()) << "100 W is above the 50 W allowed";
  const std::vector<SampleRejection> rejected = sampler.rejections(0, 1);
  ASSERT_EQ(rejected.size(), 10u);
  EXPECT_NE(rejected[0].what.find("W > max_power_w"), std::string::npos) << rejected[0].what;
}

TEST(Rapl, MirroredPackageCountersAreCountedOnce) {
  // Multi-die AMD (CodeCarbon issue 1274): the same package counter twice.
  FakePowercap tree;
  tree.domain("intel-rapl:0", "package-0", 500000, 1000000);
  tree.domain("intel-rapl:0:0", "dram", 1000, 1000000);
  tree.domain("intel-rapl:1", "package-0", 500000, 1000000);
  tree.domain("intel-rapl:1:0", "dram", 1000, 1000000);
  tree.domain("intel-rapl:2", "package-1", 7000, 1000000);  // a real second package
  auto meter = make_rapl_meter(tree.root, tree.root + "/no-hwmon");
  ASSERT_TRUE(meter->available()) << meter->unavailable_reason();
  EXPECT_EQ(meter->metadata()["domains"], "package-0+dram+package-1");
  EXPECT_NE(meter->metadata()["notes"].find("intel-rapl:1 mirrors intel-rapl:0 (both package-0): counted once"),
            std::string::npos)
      << meter->metadata()["notes"];
  const double e0 = *meter->energy_j();
  for (const char* d : {"intel-rapl:0", "intel-rapl:1"}) tree.set(d, 600000);  // +0.1 J, seen twice
  tree.set("intel-rapl:2", 8000);                                              // +0.001 J
  EXPECT_NEAR(*meter->energy_j() - e0, 0.101, 1e-12);
}

// --- the meters' table ----------------------------------------------------------

TEST(MeterTable, ListsEveryBackendOnceAndTheHelpNamesEachSpec) {
  const std::string specs = meter_spec_list();
  std::vector<std::string> listed;
  for (const MeterInfo& m : list_meters()) listed.push_back(m.name);
  ASSERT_EQ(listed.size(), meter_backends().size());
  for (const MeterBackend& b : meter_backends()) {
    EXPECT_NE(std::find(listed.begin(), listed.end(), b.name), listed.end()) << b.name;
    EXPECT_NE(specs.find(b.argument.empty() ? b.name : b.name + ":" + b.argument), std::string::npos) << specs;
  }
  for (const char* good : {"auto", "nvml", "nvml:1", "rapl", "estimate", "estimate:65", "replay:t.csv", "external:p"})
    EXPECT_NO_THROW(check_meter_spec(good)) << good;
  for (const char* bad : {"watts", "nvml:x", "estimate:nan", "estimate:-3", "rapl:1", "replay", "replay:"})
    EXPECT_THROW(check_meter_spec(bad), Error) << bad;
}

