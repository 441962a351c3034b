// The NVML meter end to end on a scripted fake libnvidia-ml (tests/fake_nvml/),
// loaded through the real dlopen path with NICENERGY_NVML_LIBRARY: `meters`,
// the protocol against a known dynamic energy, `measure` and `campaign` through
// the CLI, every failure and degradation, and the CUDA-device-to-NVML mapping.
#include <dlfcn.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "test_util.h"
#include "error.h"
#include "meters/external_meter.h"
#include "meters/power_meter.h"
#include "meters/sampler.h"
#include "protocol/codec_measurement.h"
#include "protocol/protocol.h"
#include "protocol/results_csv.h"
#include "protocol/validation.h"

#if defined(NICENERGY_WITH_CUDA)
#include <torch/cuda.h>
#endif

namespace fs = std::filesystem;
using namespace nicenergy;

namespace {

// Sets environment variables for one test (the CLI inherits them) and puts the
// old values back.
class Env {
 public:
  Env(std::initializer_list<std::pair<const char*, const char*>> vars) {
    for (const auto& [name, value] : vars) set(name, value);
  }
  void set(const char* name, const char* value) {
    if (!saved_.count(name)) {
      const char* old = std::getenv(name);
      saved_[name] = old ? std::optional<std::string>(old) : std::nullopt;
    }
    if (value) ::setenv(name, value, 1);
    else ::unsetenv(name);
  }
  ~Env() {
    for (const auto& [name, old] : saved_) {
      if (old) ::setenv(name.c_str(), old->c_str(), 1);
      else ::unsetenv(name.c_str());
    }
  }

 private:
  std::map<std::string, std::optional<std::string>> saved_;
};

// The fake's test-only controls, from the same loaded copy the meter uses.
struct FakeControls {
  void* lib = dlopen(NICENERGY_FAKE_NVML, RTLD_NOW | RTLD_LOCAL);
  void (*set_dynamic_w)(double) = lib ? reinterpret_cast<void (*)(double)>(dlsym(lib, "fake_nvml_set_dynamic_w")) : nullptr;
  double (*dynamic_energy_j)() = lib ? reinterpret_cast<double (*)()>(dlsym(lib, "fake_nvml_dynamic_energy_j")) : nullptr;
  ~FakeControls() {
    if (lib) dlclose(lib);
  }
};

fs::path scratch(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("nicenergy_fake_nvml_" + std::to_string(::getpid())) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// Short protocol settings: machinery, not precision.
const std::string kQuick = " --idle-s 0.3 --window-s 0.3 --k-min 2 --k-max 2 --no-preheat";
const std::string kMeasure = "measure --model Bfac --quality 1 --size 64x64 --meter nvml --json" + kQuick;

double distance_to_tick_s(double t_s, double period_s) {
  const double phase = std::fmod(t_s, period_s);
  return std::min(phase, period_s - phase);
}

bool cuda_runtime_present() {
#if defined(NICENERGY_WITH_CUDA)
  return torch::cuda::is_available();
#else
  return false;
#endif
}

}  // namespace

// --- the meter on the fake ----------------------------------------------------

TEST(FakeNvmlCli, MetersShowsTheFakeGpuWithCounterAndInstantField) {
  Env env{{"NICENERGY_NVML_LIBRARY", NICENERGY_FAKE_NVML}, {"NICENERGY_FAKE_NVML", "devices=2"}};
  Result r = run_cli("meters --json");
  ASSERT_EQ(r.code, 0) << r.err;
  bool seen = false;
  for (const auto& m : nlohmann::json::parse(r.out)) {
    if (m["name"] != "nvml") continue;
    seen = true;
    EXPECT_TRUE(m["available"].get<bool>()) << m.dump();
    const std::string detail = m["detail"];
    EXPECT_NE(detail.find("Fake NVML GPU 0"), std::string::npos) << detail;
    EXPECT_NE(detail.find("driver 999.99-fake"), std::string::npos) << detail;
    EXPECT_NE(detail.find("energy counter + power samples"), std::string::npos) << detail;
    EXPECT_NE(detail.find("NVML_FI_DEV_POWER_INSTANT"), std::string::npos) << detail;
  }
  EXPECT_TRUE(seen) << r.out;
  Result text = run_cli("meters");
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_NE(text.out.find("Fake NVML GPU 0"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("NVML_FI_DEV_POWER_INSTANT"), std::string::npos) << text.out;
}

TEST(FakeNvmlMeter, ReportsStateAndPrefersTemperatureV) {
  Env env{{"NICENERGY_NVML_LIBRARY", NICENERGY_FAKE_NVML}, {"NICENERGY_FAKE_NVML", "devices=2,idle_w=30,cpu_w=0"}};
  auto meter = open_meter("nvml:1");
  ASSERT_TRUE(meter->available());
  EXPECT_TRUE(meter->has_energy_counter());
  EXPECT_TRUE(meter->samples_power());
  const DeviceState s = meter->device_state();
  EXPECT_EQ(s.name, "Fake NVML GPU 1");
  EXPECT_EQ(s.driver_version, "999.99-fake");
  EXPECT_EQ(s.temperature_c, 35);
  EXPECT_EQ(s.sm_clock_mhz, 345);
  EXPECT_EQ(s.mem_clock_mhz, 2619);
  EXPECT_EQ(s.performance_state, 8);
  EXPECT_EQ(s.gpu_utilization_pct, 0);
  EXPECT_EQ(s.power_limit_w, 700);
  const auto meta = meter->metadata();
  EXPECT_EQ(meta.at("device_selection"), "index");
  EXPECT_EQ(meta.at("device_index"), "1");
  EXPECT_EQ(meta.at("device_uuid"), "GPU-fa4e0000-0000-4000-8000-000000000001");
  EXPECT_EQ(meta.at("device_pci_bus_id"), "00000000:37:00.0");
  EXPECT_EQ(meta.at("temperature_source"), "nvmlDeviceGetTemperatureV");
  EXPECT_EQ(meta.at("power_source"), "NVML_FI_DEV_POWER_INSTANT");
  EXPECT_EQ(meta.at("library"), NICENERGY_FAKE_NVML);
  EXPECT_EQ(meta.count("notes"), 0u) << meta.at("notes");
  EXPECT_NEAR(*meter->power_w(), 30, 0.01);
}

TEST(FakeNvmlMeter, PartTimeSensorMissesBurstsTheCounterSees) {
  // 400 ms periods, the sensor looking at the first 100 ms of each: a burst in
  // the other 300 ms moves the counter but not the instantaneous field.
  Env env{{"NICENERGY_NVML_LIBRARY", NICENERGY_FAKE_NVML}, {"NICENERGY_FAKE_NVML", "period_ms=400,idle_w=20,cpu_w=0"}};
  FakeControls fake;
  ASSERT_TRUE(fake.set_dynamic_w) << dlerror();
  auto meter = open_meter("nvml");
  auto wait_tick = [&] {
    const double first = *meter->energy_j();
    while (*meter->energy_j() == first) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return *meter->energy_j();
  };
  const double e0 = wait_tick();
  std::this_thread::sleep_for(std::chrono::milliseconds(150));  // past the seen part
  fake.set_dynamic_w(200);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  fake.set_dynamic_w(0);
  const double e1 = wait_tick();
  EXPECT_NEAR(*meter->power_w(), 20, 0.5) << "the burst fell outside the sensed quarter";
  EXPECT_GT(e1 - e0, 20 * 0.4 + 200 * 0.1 * 0.9) << "the counter integrates everything";
  // A load over a whole period is seen (two ticks: the first period began before it).
  fake.set_dynamic_w(200);
  wait_tick();
  wait_tick();
  fake.set_dynamic_w(0);
  EXPECT_NEAR(*meter->power_w(), 220, 1);
}

// --- the protocol against a known dynamic energy --------------------------------

TEST(FakeNvmlProtocol, EquationOneGivesTheScriptedDynamicEnergyWithEdgesOnTicks) {
  Env env{{"NICENERGY_NVML_LIBRARY", NICENERGY_FAKE_NVML}, {"NICENERGY_FAKE_NVML", "idle_w=20,cpu_w=0,period_ms=100"}};
  FakeControls fake;
  ASSERT_TRUE(fake.set_dynamic_w && fake.dynamic_energy_j) << dlerror();
  auto meter = open_meter("nvml");
  ASSERT_TRUE(meter->has_energy_counter());

  // Each execution draws 200 W above idle for ~20 ms; the fake integrates exactly
  // what it drew, so the truth per execution is known whatever the scheduler did.
  std::vector<double> truth_j;
  Workload w;
  w.run_once = [&] {
    const double before = fake.dynamic_energy_j();
    fake.set_dynamic_w(200);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    fake.set_dynamic_w(0);
    truth_j.push_back(fake.dynamic_energy_j() - before);
  };
  ProtocolConfig config;
  config.idle_s = 0.5;
  config.window_s = 0.5;
  config.k_min = 3;
  config.k_max = 3;
  Protocol protocol(*meter, config);
  const ProtocolResult r = protocol.run(w, std::nullopt, false);

  EXPECT_EQ(r.method, EnergyMethod::counter);
  EXPECT_NEAR(r.counter_update_s, 0.1, 0.01) << "the protocol timed the fake's ticks";
  EXPECT_NEAR(r.idle_power_w, 20, 0.2);
  ASSERT_EQ(r.k, 3);
  // The accepted windows are the last executions (M of each window).
  size_t n = 0;
  for (const WindowMeasurement& win : r.windows) n += static_cast<size_t>(win.m);
  ASSERT_GE(truth_j.size(), n);
  double truth = 0;
  for (size_t i = truth_j.size() - n; i < truth_j.size(); ++i) truth += truth_j[i];
  truth /= static_cast<double>(n);
  EXPECT_NEAR(truth, 200 * 0.020, 200 * 0.020 * 0.25) << "sanity of the scripted workload";
  EXPECT_NEAR(r.energy_j, truth, 0.01 * truth) << "Eq. (1) against the fake's exact integral";
  for (const WindowMeasurement& win : r.windows) {
    ASSERT_TRUE(win.counter_dynamic_j);
    // Each window alone carries its edges' timing noise (a loaded machine); the mean must be within 1 %.
    EXPECT_NEAR(*win.counter_dynamic_j, truth, 0.05 * truth) << "window " << win.index;
    // Edges are put half-way between the reads around a tick: within a few ms of it.
    EXPECT_LT(distance_to_tick_s(win.start_s, 0.1), 0.01) << "start of window " << win.index;
    EXPECT_LT(distance_to_tick_s(win.end_s, 0.1), 0.01) << "end of window " << win.index;
    EXPECT_GE(win.length_s(), config.window_s);
  }
}

TEST(FakeNvmlProtocol, TimeAndEnergyPerExecutionWhenMGrowsBetweenWindows) {
  // Executions of 40 ms at 200 W above idle until the second window is in,
  // then of 20 ms: the third window runs short and is redone with a larger M.
  // Per execution, time and energy are the accepted windows' totals over their
  // executions, against the workload's own clock and the fake's exact integral.
  Env env{{"NICENERGY_NVML_LIBRARY", NICENERGY_FAKE_NVML}, {"NICENERGY_FAKE_NVML", "idle_w=20,cpu_w=0,period_ms=100"}};
  FakeControls fake;
  ASSERT_TRUE(fake.set_dynamic_w && fake.dynamic_energy_j) << dlerror();
  auto meter = open_meter("nvml");
  struct Execution {
    double start_s, time_s, energy_j;
  };
  std::vector<Execution> executions;
  bool fast = false;
  Workload w;
  w.run_once = [&] {
    const double t0 = steady_clock_instance().now_s(), e0 = fake.dynamic_energy_j();
    fake.set_dynamic_w(200);
    std::this_thread::sleep_for(std::chrono::milliseconds(fast ? 20 : 40));
    fake.set_dynamic_w(0);
    executions.push_back({t0, steady_clock_instance().now_s() - t0, fake.dynamic_energy_j() - e0});
  };
  ProtocolConfig config;
  config.idle_s = 0.5;
  config.window_s = 0.5;
  config.k_min = 3;
  config.k_max = 3;
  config.progress = [&](const std::string& stage, double fraction) {
    if (stage == "measure" && fraction >= 2.0 / 3 - 1e-9) fast = true;  // after the second window
  };
  const ProtocolResult r = Protocol(*meter, config).run(w, std::nullopt, false);
  ASSERT_EQ(r.k, 3);
  ASSERT_GT(r.windows[2].m, r.windows[0].m) << "the scenario: M grew for the last window";
  // The truth: the executions inside the accepted windows, by their start times.
  double time_s = 0, energy_j = 0;
  int64_t n = 0;
  for (const WindowMeasurement& win : r.windows) {
    int64_t in_window = 0;
    for (const Execution& e : executions)
      if (e.start_s >= win.exec_start_s && e.start_s < win.exec_end_s) time_s += e.time_s, energy_j += e.energy_j, ++in_window;
    EXPECT_EQ(in_window, win.m) << "window " << win.index;
    n += in_window;
  }
  EXPECT_NEAR(r.duration_s, time_s / n, 0.01 * time_s / n) << "the executions' own time";
  EXPECT_NEAR(r.energy_j, energy_j / n, 0.02 * energy_j / n) << "the fake's integral over the executions";
  EXPECT_NEAR(r.energy_j / r.duration_s, 200, 0.03 * 200) << "energy over time: the scripted 200 W";
}

// --- measure and campaign through the CLI -------------------------------------------

TEST(FakeNvmlCli, MeasureRunsOnTheFakeWithPowerFollowingTheNetwork) {
  Env env{{"NICENERGY_NVML_LIBRARY", NICENERGY_FAKE_NVML}, {"NICENERGY_FAKE_NVML", "idle_w=40,cpu_w=150"}};
  Result r = run_cli(kMeasure);
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["meter"], "nvml");
  EXPECT_EQ(j["method"], "counter");
  EXPECT_FALSE(j["estimate"].get<bool>());
  EXPECT_GT(j["energy_j"].get<double>(), 0);
  EXPECT_GT(j["mean_power_w"].get<double>(), j["idle_power_w"].get<double>()) << "the network's CPU time raises the fake's power";
  const auto& meta = j["protocol"]["meter_metadata"];
  EXPECT_EQ(meta["device_name"], "Fake NVML GPU 0");
  EXPECT_EQ(meta["power_source"], "NVML_FI_DEV_POWER_INSTANT");
  EXPECT_NEAR(j["protocol"]["counter_update_s"].get<double>(), 0.1, 0.02);
}

TEST(FakeNvmlCli, CampaignWithMeterNvmlWritesCounterRows) {
  Env env{{"NICENERGY_NVML_LIBRARY", NICENERGY_FAKE_NVML}, {"NICENERGY_FAKE_NVML", "idle_w=40,cpu_w=150"}};
  const fs::path dir = scratch("campaign");
  const std::string config = (dir / "nvml.toml").string(), csv = (dir / "nvml.csv").string();
  std::ofstream(config) << "[campaign]\nname = \"nvml\"\noutput = \"" << csv << "\"\n"
                        << "device = \"cpu\"\nmeter = \"nvml\"\nmodels = [\"Bfac\"]\nqualities = [1]\n"
                        << "[protocol]\nidle_s = 0.3\nwindow_s = 0.3\nk_min = 2\nk_max = 2\npreheat_max_s = 0\n"
                        << "[[images]]\nsizes = [\"64x64\"]\nfrom = \"" << fs::absolute("data/images").string()
                        << "\"\nmethod = \"mosaic\"\n";
  Result r = run_cli("campaign " + config);
  ASSERT_EQ(r.code, 0) << r.err;
  const auto rows = read_results(csv);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].meter, "nvml");
  EXPECT_EQ(rows[0].method, "counter");
  EXPECT_GT(rows[0].energy_j, 0);
  EXPECT_EQ(r.err.find("ESTIMATE"), std::string::npos) << "a measurement, not the estimate: " << r.err;
}

// Issue 13: a GPU's stage whose entropy coding runs on the CPU records both
// sides. The fake NVML stands in for the GPU (the networks run on the CPU
// here), the estimate meter for the host, labelled as such.
TEST(FakeNvmlCli, AStageRecordsTheHostCpuBesideTheDevice) {
  Env env{{"NICENERGY_NVML_LIBRARY", NICENERGY_FAKE_NVML}, {"NICENERGY_FAKE_NVML", "idle_w=40,cpu_w=150"}};
  Result r = run_cli("measure --model Mcont --quality 1 --size 64x64 --meter nvml --host-meter estimate "
                     "--stage entropy-encode --threads 1 --json" + kQuick);
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["meter"], "nvml");
  EXPECT_EQ(j["stage"], "entropy-encode");
  EXPECT_EQ(j["host_meter"], "estimate");
  ASSERT_TRUE(j["host_energy_j"].is_number()) << j.dump();
  EXPECT_GT(j["host_energy_j"].get<double>(), 0) << "the serial coding's CPU time, charged by the estimate";
  EXPECT_TRUE(j["host_idle_power_w"].is_number());
  EXPECT_TRUE(j["protocol"]["host_estimate"].get<bool>());
  for (const auto& w : j["protocol"]["windows"]) EXPECT_TRUE(w["host_dynamic_j"].is_number()) << w.dump();
  EXPECT_NE(r.err.find("host meter 'estimate'"), std::string::npos) << "the estimate is said: " << r.err;

  // On the CPU the default adds none: the device's meter already is the host's.
  Result plain = run_cli(kMeasure);
  ASSERT_EQ(plain.code, 0) << plain.err;
  const auto p = nlohmann::json::parse(plain.out);
  EXPECT_EQ(p["host_meter"], "");
  EXPECT_TRUE(p["host_energy_j"].is_null());
  expect_one_line_error(kMeasure + " --host-meter nvml", "host meter 'nvml' is unknown");
}

// --- failures: one line, or a degraded meter that says so ------------------------------

TEST(FakeNvmlFailures, MissingLibraryIsOneLineNamingTheOverride) {
  Env env{{"NICENERGY_NVML_LIBRARY", "/nonexistent/libnvidia-ml.so.1"}};
  expect_one_line_error(kMeasure, "NICENERGY_NVML_LIBRARY=/nonexistent/libnvidia-ml.so.1");
  Result r = run_cli("meters --json");
  ASSERT_EQ(r.code, 0) << r.err;
  for (const auto& m : nlohmann::json::parse(r.out))
    if (m["name"] == "nvml") {
      EXPECT_FALSE(m["available"].get<bool>());
      EXPECT_NE(m["detail"].get<std::string>().find("/nonexistent/"), std::string::npos) << m.dump();
    }
}

TEST(FakeNvmlFailures, InitFailingIsOneLine) {
  Env env{{"NICENERGY_NVML_LIBRARY", NICENERGY_FAKE_NVML}, {"NICENERGY_FAKE_NVML", "fail=init"}};
  expect_one_line_error(kMeasure, "nvmlInit_v2 failed: Driver Not Loaded");
}

TEST(FakeNvmlFailures, MissingRequiredSymbolIsOneLine) {
  Env env{{"NICENERGY_NVML_LIBRARY", NICENERGY_FAKE_NVML_NO_INIT}};
  expect_one_line_error(kMeasure, "nvmlInit_v2 missing from");
}

TEST(FakeNvmlFailures, NeitherPowerNorEnergyIsOneLine) {
  Env env{{"NICENERGY_NVML_LIBRARY", NICENERGY_FAKE_NVML}, {"NICENERGY_FAKE_NVML", "fail=counter+instant+power"}};
  expect_one_line_error(kMeasure, "reports neither power nor energy");
}

TEST(FakeNvmlFailures, NoEnergyCounterMeasuresBySamplesAndSaysSo) {
  Env env{{"NICENERGY_NVML_LIBRARY", NICENERGY_FAKE_NVML}, {"NICENERGY_FAKE_NVML", "fail=counter,idle_w=40,cpu_w=150"}};
  Result r = run_cli(kMeasure);
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["meter"], "nvml");
  EXPECT_EQ(j["method"], "samples");
  EXPECT_GT(j["energy_j"].get<double>(), 0);
  const auto& meta = j["protocol"]["meter_metadata"];
  EXPECT_NE(meta["energy_counter"].get<std::string>().find("none"), std::string::npos) << meta.dump();
  EXPECT_NE(meta["notes"].get<std::string>().find("Not Supported"), std::string::npos) << meta.dump();
}

TEST(FakeNvmlFailures, MissingCounterSymbolMeasuresBySamples) {
  // nvmlDeviceGetTotalEnergyConsumption absent (pre-Volta drivers): optional.
  Env env{{"NICENERGY_NVML_LIBRARY", NICENERGY_FAKE_NVML_NO_ENERGY}, {"NICENERGY_FAKE_NVML", "idle_w=20,cpu_w=0"}};
  auto meter = open_meter("nvml");
  EXPECT_FALSE(meter->has_energy_counter());
  EXPECT_TRUE(meter->samples_power());
  EXPECT_NE(meter->metadata().at("notes").find("nvmlDeviceGetTotalEnergyConsumption missing"), std::string::npos);
  ProtocolConfig config;
  config.idle_s = 0.3;
  config.window_s = 0.2;
  config.k_min = config.k_max = 2;
  config.sample_hz = 50;
  Workload w;
  w.run_once = [] { std::this_thread::sleep_for(std::chrono::milliseconds(10)); };
  Protocol protocol(*meter, config);
  const ProtocolResult r = protocol.run(w, std::nullopt, false);
  EXPECT_EQ(r.method, EnergyMethod::samples);
  EXPECT_NEAR(r.idle_power_w, 20, 0.1);
  EXPECT_NEAR(r.energy_j, 0, 0.05) << "a workload that draws nothing costs nothing";
}

TEST(FakeNvmlFailures, NoInstantFieldFallsBackToPowerUsage) {
  Env env{{"NICENERGY_NVML_LIBRARY", NICENERGY_FAKE_NVML}, {"NICENERGY_FAKE_NVML", "fail=instant,idle_w=25,cpu_w=0"}};
  auto meter = open_meter("nvml");
  ASSERT_TRUE(meter->samples_power());
  const auto meta = meter->metadata();
  EXPECT_EQ(meta.at("power_source").rfind("nvmlDeviceGetPowerUsage", 0), 0u) << meta.at("power_source");
  EXPECT_NE(meta.at("notes").find("no instantaneous power field"), std::string::npos) << meta.at("notes");
  EXPECT_NEAR(*meter->power_w(), 25, 0.01);
}

TEST(FakeNvmlFailures, WithoutOptionalStateSymbolsItStillMeasures) {
  Env env{{"NICENERGY_NVML_LIBRARY", NICENERGY_FAKE_NVML_MINIMAL}, {"NICENERGY_FAKE_NVML", "idle_w=40,cpu_w=150"}};
  Result r = run_cli(kMeasure);
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["method"], "counter");
  EXPECT_GT(j["energy_j"].get<double>(), 0);
  const auto& meta = j["protocol"]["meter_metadata"];
  EXPECT_EQ(meta["temperature_source"], "none");
  const std::string notes = meta["notes"];
  for (const char* symbol : {"nvmlDeviceGetTemperatureV", "nvmlDeviceGetTemperature", "nvmlDeviceGetClockInfo",
                             "nvmlDeviceGetPerformanceState", "nvmlDeviceGetUtilizationRates",
                             "nvmlDeviceGetEnforcedPowerLimit", "nvmlDeviceGetName"})
    EXPECT_NE(notes.find(symbol), std::string::npos) << symbol << " in " << notes;
  EXPECT_TRUE(j["protocol"]["state_after"]["temperature_c"].is_null());
}

// --- which GPU: CUDA device to NVML device ------------------------------------------------

TEST(FakeNvmlCudaMapping, CudaVisibleDevicesPicksTheAllocatedGpu) {
  if (cuda_runtime_present()) GTEST_SKIP() << "with a CUDA runtime the PCI bus id decides, not the fake's devices";
  Env env{{"NICENERGY_NVML_LIBRARY", NICENERGY_FAKE_NVML}, {"NICENERGY_FAKE_NVML", "devices=4,cpu_w=0"}};
  auto name_of = [](int cuda) {
    auto meter = make_nvml_meter_for_cuda_device(cuda);
    return meter->available() ? meter->device_state().name : "unavailable: " + meter->unavailable_reason();
  };

  env.set("CUDA_VISIBLE_DEVICES", nullptr);
  EXPECT_EQ(name_of(1), "Fake NVML GPU 1");

  env.set("CUDA_VISIBLE_DEVICES", "2,0");  // one of Slurm's allocations
  EXPECT_EQ(name_of(0), "Fake NVML GPU 2");
  EXPECT_EQ(name_of(1), "Fake NVML GPU 0");
  auto by_index = make_nvml_meter_for_cuda_device(0);
  EXPECT_EQ(by_index->metadata().at("device_selection"), "index");
  EXPECT_EQ(by_index->metadata().at("device_index"), "2");
  EXPECT_NE(by_index->metadata().at("device_selection_detail").find("CUDA_VISIBLE_DEVICES entry 0 (2)"), std::string::npos);

  env.set("CUDA_VISIBLE_DEVICES", "GPU-fa4e0000-0000-4000-8000-000000000003,GPU-fa4e0000-0000-4000-8000-000000000001");
  EXPECT_EQ(name_of(1), "Fake NVML GPU 1");
  auto by_uuid = make_nvml_meter_for_cuda_device(0);
  ASSERT_TRUE(by_uuid->available()) << by_uuid->unavailable_reason();
  const auto meta = by_uuid->metadata();
  EXPECT_EQ(meta.at("device_selection"), "uuid");
  EXPECT_EQ(meta.at("device_uuid"), "GPU-fa4e0000-0000-4000-8000-000000000003");
  EXPECT_EQ(meta.at("device_index"), "3");
  EXPECT_EQ(meta.at("device_pci_bus_id"), "00000000:77:00.0");

  // Through open_meter_for, as measure and campaign reach it: auto and plain nvml
  // follow the CUDA device, nvml:INDEX stays an NVML index.
  env.set("CUDA_VISIBLE_DEVICES", "3,1");
  EXPECT_EQ(open_meter_for(torch::Device("cuda:1"), "auto", false, nullptr)->device_state().name, "Fake NVML GPU 1");
  EXPECT_EQ(open_meter_for(torch::Device("cuda:0"), "nvml", false, nullptr)->device_state().name, "Fake NVML GPU 3");
  EXPECT_EQ(open_meter_for(torch::Device("cuda:0"), "nvml:2", false, nullptr)->device_state().name, "Fake NVML GPU 2");
}

TEST(FakeNvmlCudaMapping, DevicesOutsideTheAllocationAreClearErrors) {
  if (cuda_runtime_present()) GTEST_SKIP() << "with a CUDA runtime the PCI bus id decides, not the fake's devices";
  Env env{{"NICENERGY_NVML_LIBRARY", NICENERGY_FAKE_NVML}, {"NICENERGY_FAKE_NVML", "devices=4,cpu_w=0"}};
  env.set("CUDA_VISIBLE_DEVICES", "1,bogus,2");  // CUDA stops at the first bad entry
  auto outside = make_nvml_meter_for_cuda_device(1);
  EXPECT_FALSE(outside->available());
  EXPECT_NE(outside->unavailable_reason().find("cuda:1 is not visible"), std::string::npos) << outside->unavailable_reason();
  EXPECT_THROW(open_meter_for(torch::Device("cuda:1"), "auto", false, nullptr), Error);

  env.set("CUDA_VISIBLE_DEVICES", "GPU-00000000-dead-beef-0000-000000000000");
  auto unknown = make_nvml_meter_for_cuda_device(0);
  EXPECT_FALSE(unknown->available());
  EXPECT_NE(unknown->unavailable_reason().find("nvmlDeviceGetHandleByUUID failed: Not Found"), std::string::npos)
      << unknown->unavailable_reason();
  try {
    open_meter_for(torch::Device("cuda:0"), "nvml", false, nullptr);
    ADD_FAILURE() << "an unknown UUID must not open";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("GPU-00000000-dead-beef"), std::string::npos) << e.what();
  }
}

// --- hardening against the sensor's failure modes (issue 10) ---------------------

TEST(FakeNvmlHardening, StepResponseGivesEachFieldsLagAndAHotIdle) {
  Env env{{"NICENERGY_NVML_LIBRARY", NICENERGY_FAKE_NVML}, {"NICENERGY_FAKE_NVML", "idle_w=20,cpu_w=0,period_ms=100"}};
  FakeControls fake;
  ASSERT_TRUE(fake.set_dynamic_w) << dlerror();
  auto meter = open_meter("nvml");
  const auto fields = meter->read_power_fields();
  EXPECT_EQ(fields.count("instant"), 1u);
  EXPECT_EQ(fields.count("average"), 1u);
  // 200 W while the "network" runs; back to idle at synchronisation.
  Workload w;
  w.run_once = [&] {
    fake.set_dynamic_w(200);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  };
  w.synchronize = [&] { fake.set_dynamic_w(0); };
  ProtocolConfig config;
  config.idle_s = 0.3;
  config.lag_probe_s = 2;
  config.preheat_max_s = 0.3;
  config.hot_idle_s = 0.5;
  config.window_s = 0.3;
  config.k_min = 2;
  config.k_max = 2;
  Protocol protocol(*meter, config);
  const ProtocolResult r = protocol.run(w);
  std::map<std::string, FieldLag> lags;
  for (const FieldLag& l : r.field_lags) lags[l.field] = l;
  ASSERT_TRUE(lags["instant"].lag_s && lags["average"].lag_s);
  // The instant field shows the last finished period: about one period late.
  EXPECT_GT(*lags["instant"].lag_s, 0.01);
  EXPECT_LT(*lags["instant"].lag_s, 0.25);
  // The 1 s average crosses half-way about half a second after that.
  EXPECT_GT(*lags["average"].lag_s, *lags["instant"].lag_s + 0.3);
  EXPECT_LT(*lags["average"].lag_s, 0.85);
  EXPECT_NEAR(lags["instant"].before_w, 20, 1);
  EXPECT_NEAR(lags["instant"].after_w, 220, 5);
  EXPECT_GT(lags["instant"].readings, 100u);
  ASSERT_TRUE(r.idle_hot);
  EXPECT_EQ(r.idle_reference, "hot");
  EXPECT_NEAR(r.idle_hot->idle_power_w, 20, 0.5);
  for (const std::string& text : r.warnings) EXPECT_EQ(text.find("implausible"), std::string::npos) << text;
}

TEST(FakeNvmlHardening, OneSecondAverageIsFlaggedForShortWindows) {
  for (const bool instant : {true, false}) {
    Env env{{"NICENERGY_NVML_LIBRARY", NICENERGY_FAKE_NVML},
            {"NICENERGY_FAKE_NVML", instant ? "cpu_w=0" : "cpu_w=0,fail=instant"}};
    auto meter = open_meter("nvml");
    EXPECT_EQ(meter->power_averaging_s(), instant ? 0 : 1);
    ProtocolConfig config;
    config.idle_s = 0.2;
    config.window_s = 0.2;
    config.k_min = 2;
    config.k_max = 2;
    Workload w;
    w.run_once = [] { std::this_thread::sleep_for(std::chrono::milliseconds(10)); };
    const ProtocolResult r = Protocol(*meter, config).run(w, std::nullopt, false);
    std::string all;
    for (const std::string& text : r.warnings) all += text + "\n";
    EXPECT_EQ(all.find("unsuitable for windows under 5 s") != std::string::npos, !instant) << all;
  }
}

TEST(FakeNvmlCli, IdleShorterThanTwoCounterUpdatesIsRefused) {
  Env env{{"NICENERGY_NVML_LIBRARY", NICENERGY_FAKE_NVML}, {"NICENERGY_FAKE_NVML", "idle_w=40,cpu_w=150"}};
  expect_one_line_error("measure --model Bfac --quality 1 --size 64x64 --meter nvml --idle-s 0.1 --window-s 0.3 "
                        "--k-min 2 --k-max 2 --no-preheat --sample-hz 100",
                        "idle_s = 0.1 s is too short for meter nvml: an idle reference needs at least 0.2 s (2 "
                        "readings; its counter updates every 0.1 s); set --idle-s 0.2 or more");
}

TEST(FakeNvmlHardening, CounterDisagreementAndImplausibleWattsAreWarnedThroughTheCli) {
  // The fake's counter reports half the energy, and every 3rd instant read is 100 kW.
  Env env{{"NICENERGY_NVML_LIBRARY", NICENERGY_FAKE_NVML},
          {"NICENERGY_FAKE_NVML", "idle_w=40,cpu_w=150,counter_scale=0.5,spike_every=3"}};
  Result r = run_cli(kMeasure);
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  const std::string warnings = j["warnings"];
  EXPECT_NE(warnings.find("disagree by"), std::string::npos) << warnings;
  EXPECT_NE(warnings.find("implausible"), std::string::npos) << warnings;
  EXPECT_FALSE(j["protocol"]["warnings"].empty());
  EXPECT_NE(r.err.find("warning: window 0:"), std::string::npos) << "never silent: " << r.err;
  // Without the faults, none of these two. (A lagging instant field can make
  // samples and counter disagree over windows this short: that warning may stay.)
  Env clean{{"NICENERGY_FAKE_NVML", "idle_w=40,cpu_w=150"}};
  Result ok = run_cli(kMeasure);
  ASSERT_EQ(ok.code, 0) << ok.err;
  const std::string clean_warnings = nlohmann::json::parse(ok.out)["warnings"];
  EXPECT_EQ(clean_warnings.find("implausible"), std::string::npos) << clean_warnings;
}

TEST(FakeNvmlHardening, MemorySplitClockReasonsAndOtherProcessesPerWindow) {
  // 20 W idle, 200 W while running; memory draws 15 W + 30 % of the rest's rise.
  Env env{{"NICENERGY_NVML_LIBRARY", NICENERGY_FAKE_NVML},
          {"NICENERGY_FAKE_NVML", "idle_w=20,cpu_w=0,memory_w=15,memory_share=0.3,reasons=0x4,processes=2"}};
  FakeControls fake;
  ASSERT_TRUE(fake.set_dynamic_w) << dlerror();
  auto meter = open_meter("nvml");
  ASSERT_TRUE(meter->has_memory_power());
  EXPECT_EQ(meter->metadata().at("memory_power_source"), "NVML_FI_DEV_POWER_AVERAGE, memory scope (a 1 s average)");
  const DeviceState state = meter->device_state();
  EXPECT_EQ(state.clock_event_reasons, 4u);
  EXPECT_EQ(clock_event_reasons_text(*state.clock_event_reasons), "sw_power_cap");
  EXPECT_EQ(state.other_processes, 2) << "the caller's own process is not counted";
  Workload w;
  w.run_once = [&] {
    fake.set_dynamic_w(200);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  };
  w.synchronize = [&] { fake.set_dynamic_w(0); };
  ProtocolConfig config;
  config.idle_s = 0.3;
  config.window_s = 1;
  config.k_min = 2;
  config.k_max = 2;
  const ProtocolResult r = Protocol(*meter, config).run(w, std::nullopt, false);
  for (const WindowMeasurement& win : r.windows) {
    ASSERT_TRUE(win.memory_energy_j && win.rest_energy_j) << "window " << win.index;
    // 15 + 0.3 x 200 = 75 W over the executions, smeared by the field's lag at the edges.
    EXPECT_NEAR(*win.memory_energy_j, 75 * win.exec_s, 0.2 * 75 * win.exec_s) << "window " << win.index;
    EXPECT_NEAR(*win.rest_energy_j, win.exec_energy_j - *win.memory_energy_j, 1e-9);
    EXPECT_EQ(win.clock_event_reasons, 4u);
    EXPECT_EQ(win.other_processes, 2);
  }
  ASSERT_TRUE(r.memory_share);
  EXPECT_NEAR(*r.memory_share, 75.0 / 220, 0.2 * 75 / 220);
  std::string all;
  for (const std::string& text : r.warnings) all += text + "\n";
  EXPECT_NE(all.find("window 0: clocks held back (sw_power_cap)"), std::string::npos) << all;
  EXPECT_NE(all.find("window 1: 2 other compute process(es) on the GPU: the measurement is not exclusive"),
            std::string::npos) << all;
  MeasurementRecord record;
  fill_record(r, record);
  EXPECT_EQ(record.memory_share, r.memory_share);

  // Where the driver has none of it: recorded as absent, no split, no warning.
  Env none{{"NICENERGY_NVML_LIBRARY", NICENERGY_FAKE_NVML_MINIMAL}, {"NICENERGY_FAKE_NVML", "cpu_w=0,fail=memory"}};
  auto bare = open_meter("nvml");
  EXPECT_FALSE(bare->has_memory_power());
  EXPECT_EQ(bare->metadata().at("memory_power_source"), "none");
  const std::string notes = bare->metadata().at("notes");
  EXPECT_NE(notes.find("no memory-scope power"), std::string::npos) << notes;
  EXPECT_NE(notes.find("nvmlDeviceGetCurrentClocksEventReasons"), std::string::npos) << notes;
  EXPECT_NE(notes.find("nvmlDeviceGetComputeRunningProcesses_v3"), std::string::npos) << notes;
  EXPECT_FALSE(bare->device_state().other_processes);
  EXPECT_FALSE(bare->device_state().clock_event_reasons);
}

TEST(FakeNvmlHardening, NonMonotoneCounterIsRejectedBySampler) {
  Env env{{"NICENERGY_NVML_LIBRARY", NICENERGY_FAKE_NVML}, {"NICENERGY_FAKE_NVML", "cpu_w=0,backstep_s=0.3,backstep_j=50"}};
  auto meter = open_meter("nvml");
  Sampler sampler(*meter, 20);
  sampler.start();
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  sampler.stop();
  const auto rejected = sampler.rejections(-1e300, 1e300);
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_NE(rejected[0].what.find("energy counter went backwards by"), std::string::npos) << rejected[0].what;
}

// Issue 18: each record names its GPU, through the NVML meter, and through NVML
// alone when another meter (estimate, replay) measures a CUDA device.
TEST(FakeNvmlMeter, MeasurementSiteNamesTheGpuAndItsUuid) {
  if (cuda_runtime_present()) GTEST_SKIP() << "a real GPU is mapped by PCI bus id, which the fake does not have";
  // On a Slurm node CUDA_VISIBLE_DEVICES=1 makes NVML's device 1 the task's cuda:0.
  Env env{{"NICENERGY_NVML_LIBRARY", NICENERGY_FAKE_NVML}, {"NICENERGY_FAKE_NVML", "devices=2"},
          {"CUDA_VISIBLE_DEVICES", "1"}};
  const auto estimate = open_meter("estimate");
  const MeasurementSite site = measurement_site(torch::Device(torch::kCUDA, 0), *estimate);
  EXPECT_EQ(site.gpu, "Fake NVML GPU 1");
  EXPECT_EQ(site.gpu_uuid, "GPU-fa4e0000-0000-4000-8000-000000000001");
  EXPECT_FALSE(site.node.empty());
  const auto nvml = make_nvml_meter_for_cuda_device(0);
  ASSERT_TRUE(nvml->available()) << nvml->unavailable_reason();
  const MeasurementSite same = measurement_site(torch::Device(torch::kCUDA, 0), *nvml);
  EXPECT_EQ(same.gpu, "Fake NVML GPU 1");
  EXPECT_EQ(same.gpu_uuid, site.gpu_uuid);
  EXPECT_EQ(measurement_site(torch::Device(torch::kCPU), *nvml).gpu, "") << "a CPU run names no GPU";
  MeasurementRecord record;
  fill_site(record, site);
  EXPECT_EQ(record.gpu, "Fake NVML GPU 1");
  EXPECT_EQ(record.node, site.node);
}

// --- GPM metrics per window (issue 10) -------------------------------------------

namespace {

// A workload busy (200 W scripted) for half of each 20 ms execution.
Workload half_busy(FakeControls& fake) {
  Workload w;
  w.run_once = [&fake] {
    fake.set_dynamic_w(200);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    fake.set_dynamic_w(0);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  };
  return w;
}

ProtocolConfig short_windows() {
  ProtocolConfig config;
  config.idle_s = 0.3;
  config.window_s = 0.5;
  config.k_min = 2;
  config.k_max = 2;
  return config;
}

}  // namespace

TEST(FakeNvmlGpm, WindowMeansFollowTheScriptedUtilisation) {
  Env env{{"NICENERGY_NVML_LIBRARY", NICENERGY_FAKE_NVML},
          {"NICENERGY_FAKE_NVML", "idle_w=20,cpu_w=0,sm_util=80,dram_util=50,tensor_util=30"}};
  FakeControls fake;
  ASSERT_TRUE(fake.set_dynamic_w) << dlerror();
  auto meter = open_meter("nvml");
  ASSERT_TRUE(meter->has_gpm());
  EXPECT_NE(meter->metadata().at("gpm").find("nvmlGpmMetricsGet"), std::string::npos);
  const ProtocolResult r = Protocol(*meter, short_windows()).run(half_busy(fake), std::nullopt, false);
  ASSERT_EQ(r.k, 2);
  for (const WindowMeasurement& w : r.windows) {
    ASSERT_TRUE(w.gpm.sm_util_pct && w.gpm.dram_bw_util_pct && w.gpm.tensor_util_pct) << "window " << w.index;
    // Busy half the time: the window's mean, not the configured peak.
    EXPECT_GT(*w.gpm.sm_util_pct, 0.3 * 80) << "window " << w.index;
    EXPECT_LT(*w.gpm.sm_util_pct, 0.7 * 80) << "window " << w.index;
    // One busy fraction behind all three (the fake's exact integral between the two samples).
    EXPECT_NEAR(*w.gpm.dram_bw_util_pct / *w.gpm.sm_util_pct, 50.0 / 80, 1e-9);
    EXPECT_NEAR(*w.gpm.tensor_util_pct / *w.gpm.sm_util_pct, 30.0 / 80, 1e-9);
  }
  ASSERT_TRUE(r.gpm.sm_util_pct);
  EXPECT_GT(*r.gpm.sm_util_pct, 0.3 * 80);
  EXPECT_LT(*r.gpm.sm_util_pct, 0.7 * 80);
  MeasurementRecord record;
  fill_record(r, record);
  EXPECT_EQ(record.sm_util_pct, r.gpm.sm_util_pct);
  EXPECT_EQ(record.dram_bw_util_pct, r.gpm.dram_bw_util_pct);
  EXPECT_EQ(record.tensor_util_pct, r.gpm.tensor_util_pct);
  // A row of the results CSV carries them and reads them back.
  const fs::path dir = scratch("gpm_csv");
  record.network = "bmshj2018_factorized";
  record.abbr = "Bfac";
  record.level = "low";
  record.quality = 1;
  record.image = "mosaic 64x64";
  record.width = record.height = record.padded_width = record.padded_height = 64;
  record.pixels = 64 * 64;
  append_record((dir / "r.csv").string(), record);
  const auto rows = read_results((dir / "r.csv").string());
  ASSERT_EQ(rows.size(), 1u);
  ASSERT_TRUE(rows[0].sm_util_pct);
  EXPECT_NEAR(*rows[0].sm_util_pct, *record.sm_util_pct, 1e-6 * *record.sm_util_pct);
}

TEST(FakeNvmlGpm, UnsupportedOrMissingIsRecordedAsAbsent) {
  for (const bool symbols : {true, false}) {
    Env env{{"NICENERGY_NVML_LIBRARY", symbols ? NICENERGY_FAKE_NVML : NICENERGY_FAKE_NVML_MINIMAL},
            {"NICENERGY_FAKE_NVML", symbols ? "idle_w=20,cpu_w=0,gpm=0" : "idle_w=20,cpu_w=0"}};
    auto meter = open_meter("nvml");
    EXPECT_FALSE(meter->has_gpm());
    EXPECT_FALSE(meter->gpm_snapshot());
    const auto meta = meter->metadata();
    EXPECT_EQ(meta.at("gpm"), "none");
    EXPECT_NE(meta.at("notes").find("no GPM metrics"), std::string::npos) << meta.at("notes");
    if (!symbols) EXPECT_NE(meta.at("notes").find("nvmlGpmSampleGet"), std::string::npos) << meta.at("notes");
    Workload w;
    w.run_once = [] { std::this_thread::sleep_for(std::chrono::milliseconds(10)); };
    const ProtocolResult r = Protocol(*meter, short_windows()).run(w, std::nullopt, false);
    ASSERT_EQ(r.k, 2);
    for (const WindowMeasurement& win : r.windows) EXPECT_FALSE(win.gpm.any()) << "window " << win.index;
    EXPECT_FALSE(r.gpm.any());
    MeasurementRecord record;
    fill_record(r, record);
    EXPECT_FALSE(record.sm_util_pct || record.dram_bw_util_pct || record.tensor_util_pct);
  }
}

TEST(FakeNvmlGpm, MeasureJsonCarriesThemOrNull) {
  Env env{{"NICENERGY_NVML_LIBRARY", NICENERGY_FAKE_NVML}, {"NICENERGY_FAKE_NVML", "idle_w=40,cpu_w=150,sm_util=80"}};
  Result r = run_cli(kMeasure);
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_TRUE(j["sm_util_pct"].is_number()) << j.dump();
  EXPECT_GT(j["sm_util_pct"].get<double>(), 0) << "the network's CPU time is the fake's busy time";
  EXPECT_LE(j["sm_util_pct"].get<double>(), 80 + 1e-9);
  EXPECT_TRUE(j["protocol"]["windows"][0]["dram_bw_util_pct"].is_number());
  EXPECT_TRUE(j["protocol"]["tensor_util_pct"].is_number());
  Env off{{"NICENERGY_FAKE_NVML", "idle_w=40,cpu_w=150,gpm=0"}};
  Result none = run_cli(kMeasure);
  ASSERT_EQ(none.code, 0) << none.err;
  const auto k = nlohmann::json::parse(none.out);
  EXPECT_TRUE(k["sm_util_pct"].is_null());
  EXPECT_TRUE(k["protocol"]["windows"][0]["sm_util_pct"].is_null());
}

// --- the external meter (a wall-power log) and validate (issue 10, item 7) -------

namespace {

double unix_now_s() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

// Unix seconds -> the steady clock, as the meter maps them (to a few microseconds).
double steady_of_unix(double unix_s) { return unix_s - unix_now_s() + steady_clock_instance().now_s(); }

void write_lines(const fs::path& path, const std::string& text) { std::ofstream(path) << text; }

// The house rule for bad input after progress lines: exit 1, and one error line, the last.
void expect_error_line(const Result& r, const std::string& fragment) {
  EXPECT_EQ(r.code, 1) << r.err;
  size_t errors = 0;
  for (size_t at = r.err.find("error:"); at != std::string::npos; at = r.err.find("error:", at + 1)) ++errors;
  EXPECT_EQ(errors, 1u) << r.err;
  const size_t last = r.err.rfind('\n', r.err.size() - 2);
  const std::string last_line = r.err.substr(last == std::string::npos ? 0 : last + 1);
  EXPECT_NE(last_line.find("nicenergy validate: error:"), std::string::npos) << r.err;
  EXPECT_NE(last_line.find(fragment), std::string::npos) << r.err;
}

}  // namespace

TEST(ExternalMeter, FileLogIsIntegratedOnTheProtocolsClockWithTheOffset) {
  const fs::path dir = scratch("external_file");
  // 100 W until Unix time u, 200 W after (a step within 1 ms), lines every 50 ms.
  const double u = std::floor(unix_now_s()) - 3;
  std::string text = "time_s,power_w\n# a comment\n\n";
  for (int i = -40; i <= 40; ++i) {
    char line[64];
    const double t = u + i * 0.05;
    std::snprintf(line, sizeof line, "%.6f,%d,extra\n", i == 0 ? t - 0.001 : t, i <= 0 ? 100 : 200);
    text += line;
    if (i == 0) {
      std::snprintf(line, sizeof line, "%.6f,200\n", t);
      text += line;
    }
  }
  write_lines(dir / "log.csv", text);
  auto meter = make_external_meter((dir / "log.csv").string());
  EXPECT_EQ(meter->name(), "external");
  EXPECT_EQ(meter->metadata().at("external_source"), "file");
  EXPECT_EQ(meter->points().size(), 82u);
  const double m = steady_of_unix(u);
  EXPECT_NEAR(meter->energy_between_j(m - 0.5, m + 0.5), 150, 0.2);
  EXPECT_NEAR(meter->energy_between_j(m - 1, m - 0.5), 50, 1e-6);
  // A logger 0.25 s late: its times + 0.25 s; the step comes later on our clock.
  ExternalMeterOptions late;
  late.clock_offset_s = 0.25;
  auto shifted = make_external_meter((dir / "log.csv").string(), nullptr, late);
  EXPECT_NEAR(shifted->energy_between_j(m - 0.5, m + 0.5), 100 * 0.75 + 200 * 0.25, 0.2);
  // Old lines only: the log is stale for an interval now, and does not reach back before its start.
  ExternalMeterOptions quick;
  quick.wait_s = 0.2;
  quick.stale_s = 0.5;
  auto stale = make_external_meter((dir / "log.csv").string(), nullptr, quick);
  const double now = steady_clock_instance().now_s();
  try {
    stale->energy_between_j(now - 0.5, now);
    ADD_FAILURE() << "a stale log must not give an energy";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("is stale"), std::string::npos) << e.what();
  }
  EXPECT_THROW(stale->energy_between_j(m - 10, m), Error);
  EXPECT_FALSE(stale->power_w()) << "no power from a stale log";
}

TEST(ExternalMeter, BadLogsAreOneLineErrors) {
  const fs::path dir = scratch("external_bad");
  auto message = [&](const std::string& text) -> std::string {
    write_lines(dir / "bad.csv", text);
    try {
      make_external_meter((dir / "bad.csv").string());
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
      return e.what();
    }
    return "(no error)";
  };
  EXPECT_NE(message("time_s,power_w\n1700000000.0,50\n1700000000.1,fifty\n").find("line 3"), std::string::npos);
  EXPECT_NE(message("1700000000.0,50\nwatts\n").find("line 2"), std::string::npos);
  EXPECT_NE(message("1700000000.0\n").find("a file's lines need a time"), std::string::npos);
  EXPECT_NE(message("1700000000.5,50\n1700000000.0,50\n").find("the time goes back"), std::string::npos);
  EXPECT_NE(message("1700000000.5,-5\n").find("negative"), std::string::npos);
  EXPECT_NE(message("1700000000.5,nan\n").find("line 1"), std::string::npos);
  try {
    make_external_meter((dir / "missing.csv").string());
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot open the log"), std::string::npos) << e.what();
  }
  // A gap longer than stale_s inside an interval.
  const double u = unix_now_s() - 5;
  char text[200];
  std::snprintf(text, sizeof text, "%.3f,10\n%.3f,10\n%.3f,10\n", u, u + 0.1, u + 3.1);
  write_lines(dir / "gap.csv", text);
  auto gap = make_external_meter((dir / "gap.csv").string());
  const double m = steady_of_unix(u);
  EXPECT_NEAR(gap->energy_between_j(m + 0.01, m + 0.09), 0.8, 1e-6);
  try {
    gap->energy_between_j(m + 0.01, m + 3);
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("gap of 3"), std::string::npos) << e.what();
  }
}

TEST(ExternalMeter, FifoLinesAreReadAsTheyComeWithOrWithoutTimes) {
  const fs::path dir = scratch("external_fifo");
  const std::string fifo = (dir / "meter.fifo").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  ExternalMeterOptions options;
  options.stale_s = 0.3;
  auto meter = make_external_meter(fifo, nullptr, options);  // no writer yet: it must not block
  EXPECT_EQ(meter->metadata().at("external_source"), "fifo");
  std::atomic<bool> timed{false}, stop{false};
  std::thread logger([&] {
    std::ofstream out(fifo);
    bool switched = false;
    for (int i = 0; !stop; ++i) {
      // A pause at the switch: the read-time stamps of the last untimed lines must not pass the first timed one.
      if (timed && !switched) std::this_thread::sleep_for(std::chrono::milliseconds(50));
      switched = timed;
      if (timed) out << std::fixed << unix_now_s() << ",80\n";
      else out << "50\n";  // stamped when read
      out.flush();
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const double t0 = steady_clock_instance().now_s();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const double t1 = steady_clock_instance().now_s();
  ASSERT_TRUE(meter->power_w());
  EXPECT_EQ(*meter->power_w(), 50);
  EXPECT_NEAR(meter->energy_between_j(t0, t1), 50 * (t1 - t0), 1e-6);
  timed = true;
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const double t2 = steady_clock_instance().now_s();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const double t3 = steady_clock_instance().now_s();
  EXPECT_NEAR(meter->energy_between_j(t2, t3), 80 * (t3 - t2), 1e-6);
  stop = true;
  logger.join();
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  EXPECT_FALSE(meter->power_w()) << "a silent stream is stale";
}

TEST(Validation, SummaryRecoversTheLineAndNeedsThreePairs) {
  std::vector<ValidationPair> pairs;
  const double lengths[] = {2, 1, 1, 1.5};
  const double primary_w[] = {40, 180, 200, 260};
  for (int i = 0; i < 4; ++i) {
    ValidationPair p;
    p.run = "Bfac q1 64x64";
    p.interval = i == 0 ? "cold idle" : "window " + std::to_string(i - 1);
    p.start_s = 10 * i;
    p.end_s = p.start_s + lengths[i];
    p.primary_j = primary_w[i] * lengths[i];
    p.external_j = (1.1 * primary_w[i] + 25) * lengths[i];
    pairs.push_back(p);
  }
  const ValidationSummary s = summarize_validation(pairs);
  EXPECT_EQ(s.pairs, 4u);
  EXPECT_NEAR(s.slope, 1.1, 1e-9);
  EXPECT_NEAR(s.offset_w, 25, 1e-9);
  ASSERT_TRUE(s.power_pearson && s.energy_pearson);
  EXPECT_NEAR(*s.power_pearson, 1, 1e-12);
  EXPECT_GT(*s.energy_pearson, 0.9);
  double primary = 0, external = 0;
  for (const auto& p : pairs) primary += p.primary_j, external += p.external_j;
  EXPECT_NEAR(s.energy_ratio, external / primary, 1e-12);
  const std::string text = validation_text(pairs, s, "nvml", "external");
  EXPECT_NE(text.find("external_w = 1.10000 x nvml_w +25.0000 W"), std::string::npos) << text;
  pairs.resize(2);
  EXPECT_THROW(summarize_validation(pairs), Error);
}

namespace {

const std::string kValidate =
    "validate --model Bfac --quality 1 --size 64x64 --meter nvml --json --idle-s 0.5 --window-s 0.5 "
    "--k-min 3 --k-max 3 --no-preheat";

void expect_scale_and_offset_recovered(const Result& r) {
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["primary_meter"], "nvml");
  EXPECT_EQ(j["external_meter"], "external");
  ASSERT_EQ(j["pairs"].size(), 4u) << "the cold idle and three windows";
  EXPECT_EQ(j["pairs"][0]["interval"], "cold idle");
  const auto& s = j["summary"];
  // The log is 1.1 x the fake's true power + 25 W; the counter is the true energy.
  EXPECT_NEAR(s["slope"].get<double>(), 1.1, 0.03) << j["pairs"].dump();
  EXPECT_NEAR(s["offset_w"].get<double>(), 25, 4) << j["pairs"].dump();
  EXPECT_GT(s["power_pearson"].get<double>(), 0.999) << j["pairs"].dump();
  EXPECT_GT(s["energy_pearson"].get<double>(), 0.99) << j["pairs"].dump();
  for (const auto& p : j["pairs"]) {
    const double expected = 1.1 * p["primary_j"].get<double>() + 25 * p["length_s"].get<double>();
    EXPECT_NEAR(p["external_j"].get<double>(), expected, 0.03 * expected) << p.dump();
  }
}

}  // namespace

TEST(FakeNvmlValidate, ExternalFileLogRecoversScaleAndOffset) {
  const fs::path dir = scratch("validate_file");
  const std::string log = (dir / "wall.csv").string();
  write_lines(log, "");  // the logger's file exists before nicenergy starts
  const std::string fake = "idle_w=40,cpu_w=150,log=" + log + ",log_scale=1.1,log_offset_w=25";
  Env env{{"NICENERGY_NVML_LIBRARY", NICENERGY_FAKE_NVML}, {"NICENERGY_FAKE_NVML", fake.c_str()}};
  expect_scale_and_offset_recovered(run_cli(kValidate + " --external " + log));
  // The text table: a line per interval and the summary.
  Result text = run_cli("validate --model Bfac --quality 1 --size 64x64 --meter nvml --idle-s 0.5 --window-s 0.5 "
                        "--k-min 3 --k-max 3 --no-preheat --external " + log);
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_NE(text.out.find("cold idle"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("window 2"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("Pearson r of the energies"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("fit   external_w = "), std::string::npos) << text.out;
  EXPECT_NE(text.out.find(" x nvml_w "), std::string::npos) << text.out;
}

TEST(FakeNvmlValidate, ExternalFifoStreamRecoversScaleAndOffset) {
  const fs::path dir = scratch("validate_fifo");
  const std::string fifo = (dir / "wall.fifo").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const std::string fake = "idle_w=40,cpu_w=150,log=" + fifo + ",log_scale=1.1,log_offset_w=25";
  Env env{{"NICENERGY_NVML_LIBRARY", NICENERGY_FAKE_NVML}, {"NICENERGY_FAKE_NVML", fake.c_str()}};
  expect_scale_and_offset_recovered(run_cli(kValidate + " --external " + fifo));
}

TEST(FakeNvmlValidate, BadLogsAreOneErrorLine) {
  const fs::path dir = scratch("validate_bad");
  Env env{{"NICENERGY_NVML_LIBRARY", NICENERGY_FAKE_NVML}, {"NICENERGY_FAKE_NVML", "idle_w=40,cpu_w=150"}};
  expect_one_line_error(kValidate + " --external " + (dir / "none.csv").string(), "cannot open the log");
  write_lines(dir / "bad.csv", "time_s,power_w\n1700000000.0,50\n1700000000.1;50\n");
  expect_one_line_error(kValidate + " --external " + (dir / "bad.csv").string(), "line 3");
  expect_one_line_error("validate --model Bfac --quality 1 --size 64x64 --meter nvml", "--external PATH");
  // A log that stopped long ago does not cover the cold idle reference.
  write_lines(dir / "old.csv", "1700000000.0,50\n1700000000.1,50\n");
  expect_error_line(run_cli(kValidate + " --external-stale-s 0.3 --external " + (dir / "old.csv").string()),
                    "cold idle: external meter: the log '");
  // A logger that stops after 0.8 s: the windows are not covered.
  const std::string stops = "idle_w=40,cpu_w=150,log=" + (dir / "stops.csv").string() + ",log_stop_s=0.8";
  write_lines(dir / "stops.csv", "");
  Env stopping{{"NICENERGY_FAKE_NVML", stops.c_str()}};
  expect_error_line(run_cli(kValidate + " --external-stale-s 0.3 --external " + (dir / "stops.csv").string()),
                    "is stale");
}

namespace {

// An external log written in advance: `power` W every 20 ms from 2 s ago to 2 min ahead.
std::string log_ahead(const fs::path& dir, const std::string& power) {
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  const double t0 = static_cast<double>(now.tv_sec) + now.tv_nsec * 1e-9 - 2;
  std::string text = "time_s,power_w\n";
  for (int i = 0; i < 6100; ++i) text += std::to_string(t0 + 0.02 * i) + "," + power + "\n";
  const std::string path = (dir / ("log_" + power + ".csv")).string();
  write_lines(path, text);
  return path;
}

}  // namespace

TEST(FakeNvmlValidate, OverflowingLogIsRefusedAndAConstantOneHasNoCorrelation) {
  const fs::path dir = scratch("validate_extreme");
  Env env{{"NICENERGY_NVML_LIBRARY", NICENERGY_FAKE_NVML}, {"NICENERGY_FAKE_NVML", "idle_w=40,cpu_w=150"}};
  // 1e300 W: finite, but its square is not; refused at the cold idle reference, in one line.
  const Result huge = run_cli(kValidate + " --external " + log_ahead(dir, "1e300"));
  expect_error_line(huge, "too large to compute with (its square overflows); check the log's power column");
  EXPECT_NE(huge.err.find("the external meter's energy over cold idle is "), std::string::npos) << huge.err;
  EXPECT_NE(huge.err.find("e+299 J"), std::string::npos) << huge.err;
  // A constant log: the mean powers' r is 0/0, said so instead of a number.
  const std::string flat = log_ahead(dir, "50");
  Result json = run_cli(kValidate + " --external " + flat);
  ASSERT_EQ(json.code, 0) << json.err;
  const auto s = nlohmann::json::parse(json.out)["summary"];
  EXPECT_TRUE(s["power_pearson"].is_null()) << s.dump();
  EXPECT_EQ(s["power_pearson_undefined"], "the external meter's mean powers are all equal") << s.dump();
  EXPECT_NEAR(s["slope"].get<double>(), 0, 1e-9) << s.dump();
  EXPECT_NEAR(s["offset_w"].get<double>(), 50, 1e-6) << s.dump();
  Result text = run_cli("validate --model Bfac --quality 1 --size 64x64 --meter nvml --idle-s 0.5 --window-s 0.5 "
                        "--k-min 3 --k-max 3 --no-preheat --external " + flat);
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_NE(text.out.find("of the mean powers undefined (the external meter's mean powers are all equal)"),
            std::string::npos) << text.out;
  EXPECT_EQ(text.out.find("of the mean powers 0.00000"), std::string::npos) << text.out;
}
