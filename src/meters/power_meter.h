// Power meters: one small interface, one backend per file (nvml_meter.cpp,
// rapl_meter.cpp, estimate_meter.cpp, replay_meter.cpp). A meter gives
// instantaneous power (W), a cumulative energy counter (J), or both; the
// protocol prefers the counter and integrates sampled power otherwise.
// Times are monotonic seconds from a Clock (steady_clock unless one is given).
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "meters/clock.h"

namespace nicenergy {

struct PowerSample {
  double t_s = 0;
  double power_w = 0;
};

struct EnergySample {
  double t_s = 0;
  double energy_j = 0;  // counter value, from an arbitrary origin
};

// What the device says about itself; any field may be missing.
struct DeviceState {
  std::optional<double> temperature_c;
  std::optional<double> sm_clock_mhz;
  std::optional<double> mem_clock_mhz;
  std::optional<int> performance_state;  // NVML P-state, 0 = fastest
  std::optional<double> gpu_utilization_pct;
  std::optional<double> mem_utilization_pct;
  std::optional<double> power_limit_w;
  std::optional<uint64_t> clock_event_reasons;  // NVML's clocks event (throttle) reasons, a bitmask; 0: none
  std::optional<int> other_processes;           // compute processes on the device besides this one
  std::string name;            // "NVIDIA H100 80GB HBM3", CPU model, ...
  std::string driver_version;
};

// GPM metrics (NVML, Hopper and later): the device's means between two
// snapshots, in percent; absent where not measured.
struct GpmMetrics {
  std::optional<double> dram_bw_util_pct;  // DRAM bandwidth used, of the theoretical maximum
  std::optional<double> sm_util_pct;       // SMs busy
  std::optional<double> tensor_util_pct;   // time the SMs did any tensor-core operation
  bool any() const { return dram_bw_util_pct || sm_util_pct || tensor_util_pct; }
};
// One GPM sample, owned by the meter's library: free it before the meter goes.
class GpmSnapshot {
 public:
  virtual ~GpmSnapshot() = default;
};

class PowerMeter {
 public:
  virtual ~PowerMeter() = default;
  // "nvml", "rapl", "estimate", "replay".
  virtual std::string name() const = 0;
  // False with a one-line reason (what is missing and what to do) when the
  // meter cannot measure here; the other calls then return nothing.
  virtual bool available() const = 0;
  virtual std::string unavailable_reason() const = 0;
  // True for modelled energy (the CPU estimate): results must say so.
  virtual bool is_estimate() const { return false; }

  virtual bool samples_power() const = 0;       // power_w() gives values
  virtual bool has_energy_counter() const = 0;  // energy_j() gives values
  // Instantaneous power, W. Safe to call from the sampler thread while the
  // protocol thread calls energy_j() and device_state().
  virtual std::optional<double> power_w() = 0;
  // Cumulative energy, J, from an arbitrary origin; wrap-around handled.
  virtual std::optional<double> energy_j() = 0;
  virtual DeviceState device_state() = 0;
  // Key/value facts for records: source of the power reading, TDP used, ...
  virtual std::map<std::string, std::string> metadata() const = 0;
  // Every power field readable now, by name ("instant", "average", ...), in W:
  // the lag probe times each one's step response. Default: power_w() as "power".
  virtual std::map<std::string, double> read_power_fields() {
    std::map<std::string, double> fields;
    if (samples_power())
      if (const std::optional<double> w = power_w()) fields["power"] = *w;
    return fields;
  }
  // How long the device averages what power_w() returns (NVML's
  // nvmlDeviceGetPowerUsage on A100/H100: 1 s); 0 for an instantaneous value.
  virtual double power_averaging_s() const { return 0; }
  // Power of the device's memory alone (NVML: NVML_FI_DEV_POWER_AVERAGE with the
  // memory scope, on H100), for the memory/rest split of a window's energy.
  virtual bool has_memory_power() const { return false; }
  virtual std::optional<double> memory_power_w() { return std::nullopt; }
  // GPM metrics where the device supports them (nvmlGpmQueryDeviceSupport):
  // a snapshot at a window's start and one at its end give its means.
  virtual bool has_gpm() const { return false; }
  virtual std::unique_ptr<GpmSnapshot> gpm_snapshot() { return nullptr; }  // null: not supported or failed
  virtual GpmMetrics gpm_between(const GpmSnapshot& /*first*/, const GpmSnapshot& /*second*/) { return {}; }
};

// "sw_power_cap+hw_thermal", "" for none: the bits that mean the clocks were held back.
std::string clock_event_reasons_text(uint64_t reasons);

// --- backends -------------------------------------------------------------

// NVIDIA GPU through NVML, loaded at run time (dlopen), device `index`.
std::unique_ptr<PowerMeter> make_nvml_meter(unsigned index = 0);
// The NVML device behind CUDA device `cuda_index`: by `pci_bus_id` where the
// CUDA runtime gave one (cuda_pci_bus_id in platform/runtime.h, the LibTorch
// side), else through CUDA_VISIBLE_DEVICES (indices or GPU-/MIG- UUIDs), else
// NVML index cuda_index. metadata() says which and how.
std::unique_ptr<PowerMeter> make_nvml_meter_for_cuda_device(int cuda_index, const std::string& pci_bus_id = "");

// RAPL through the powercap tree: package domains and their dram subdomains.
// CPU temperature (for preheat) from hwmon coretemp/k10temp when present.
std::unique_ptr<PowerMeter> make_rapl_meter(const std::string& powercap_root = "/sys/class/powercap",
                                            const std::string& hwmon_root = "/sys/class/hwmon");

// CodeCarbon-style estimate: process CPU time x (TDP / logical cores).
// logical_cores <= 0: std::thread::hardware_concurrency().
constexpr double kDefaultTdpW = 85;  // CodeCarbon's default when the CPU is unknown
std::unique_ptr<PowerMeter> make_estimate_meter(double tdp_w = kDefaultTdpW, int logical_cores = 0);

// Plays back a recorded power trace. Trace time t_first maps to the clock's
// time when the meter is made (or to origin_s when given).
struct ReplayOptions {
  bool linear = true;         // linear interpolation between points; false: step-hold (value of the last point <= t)
  bool loop = true;           // past the end, start again (the seam is a step); false: hold the last value
  bool energy_counter = false;  // also offer a counter: the exact integral of the played-back power
  double counter_period_s = 0;  // > 0: the counter only updates on this grid (emulates NVML's ~100 ms)
  std::optional<double> origin_s;
};
std::unique_ptr<PowerMeter> make_replay_meter(std::vector<PowerSample> trace, Clock* clock = nullptr,
                                              ReplayOptions options = {});
// Reads `time_s,power_w` (header first; extra columns ignored; times increasing).
std::vector<PowerSample> read_power_trace_csv(const std::string& path);

// --- choosing one -----------------------------------------------------------

// "nvml", "nvml:INDEX", "rapl", "estimate", "estimate:TDP_W", "replay:FILE",
// "external:PATH" (a wall-power meter's log, meters/external_meter.h),
// "auto" (nvml if available, then rapl). Throws Error when the meter named is
// unavailable, or for "auto" when none is, suggesting `--meter estimate`.
std::unique_ptr<PowerMeter> open_meter(const std::string& spec, Clock* clock = nullptr);

struct MeterInfo {
  std::string name;
  bool available = false;
  std::string detail;  // what it measures here, or why it cannot
};
// One row per backend, for `nicenergy meters`.
std::vector<MeterInfo> list_meters();

// The meter backends, one row each: the one table behind open_meter,
// list_meters, the --meter help and the campaign config's check.
struct MeterBackend {
  std::string name;       // "nvml"
  std::string argument;   // after a colon: "INDEX", "TDP_W", "FILE", "PATH"; "" for none
  bool argument_required = false;
  std::string help;       // one line
};
const std::vector<MeterBackend>& meter_backends();
// "auto, nvml, nvml:INDEX, rapl, estimate, estimate:TDP_W, replay:FILE, external:PATH"
std::string meter_spec_list();
// Throws Error for a spec that no backend takes or a bad argument; opens nothing.
void check_meter_spec(const std::string& spec);

}  // namespace nicenergy
