// The NVML meter end to end on a scripted fake libnvidia-ml (tests/fake_nvml/),
// loaded through the real dlopen path with NICENERGY_NVML_LIBRARY: `meters`,
// the protocol against a known dynamic energy, `measure` and `campaign` through
// the CLI, every failure and degradation, and the CUDA-device-to-NVML mapping.
#include <dlfcn.h>
#include <stdlib.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "test_util.h"
#include "error.h"
#include "meters/power_meter.h"
#include "meters/sampler.h"
#include "protocol/codec_measurement.h"
#include "protocol/protocol.h"
#include "protocol/results_csv.h"

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
  // The accepted windows are the last K x M executions.
  const size_t n = static_cast<size_t>(r.k * r.m);
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
