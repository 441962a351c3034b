// NVIDIA GPUs through NVML, opened at run time with dlopen (as nvtop does) so
// nicenergy builds and runs where there is no driver. Only reads: never changes
// clocks, power limits or modes.
//
// About the sensor (Yang et al., "Part-time Power Measurements: nvidia-smi's Lack
// of Attention"): on A100/H100 nvmlDeviceGetPowerUsage is a 1 s average and the
// sensor behind it samples only ~25% of the time, so short bursts can be missed
// and window edges are smeared over a second. The total-energy counter
// (nvmlDeviceGetTotalEnergyConsumption, Volta+) accumulates the sensor over time
// and updates every ~100 ms: for windows of a few seconds it is the better source,
// and the protocol uses it first. For the sampled trace we read the instantaneous
// power field (NVML_FI_DEV_POWER_INSTANT) where the driver has it and fall back
// to GetPowerUsage, recording which one in metadata()["power_source"].
//
// The library is libnvidia-ml.so.1, or the file named by the environment variable
// NICENERGY_NVML_LIBRARY (the tests point it at a scripted fake,
// tests/fake_nvml/). Required symbols: nvmlInit_v2, nvmlShutdown,
// nvmlErrorString, the handle lookup used, and one of power usage, field values
// or total energy. Everything that only describes state (name, temperature,
// clocks, P-state, utilisation, power limit) is optional, as in nvtop: a driver
// without it still measures, and metadata()["notes"] says what is missing.
//
// Which GPU: a CUDA device is matched to its NVML device by PCI bus id where the
// build has CUDA and the device is visible to it, else through
// CUDA_VISIBLE_DEVICES (indices or GPU-/MIG- UUIDs), so that one GPU of a Slurm
// allocation is measured, not the whole node (CodeCarbon issue 567).
#include <dlfcn.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <vector>

#include "error.h"
#include "meters/nvml_api.h"
#include "meters/nvml_target.h"
#include "meters/power_meter.h"

namespace nicenergy {
namespace {

using namespace nvml;

struct NvmlApi {
  Init_v2_fn* Init_v2 = nullptr;
  Shutdown_fn* Shutdown = nullptr;
  ErrorString_fn* ErrorString = nullptr;
  DeviceGetHandleByIndex_v2_fn* DeviceGetHandleByIndex_v2 = nullptr;
  DeviceGetHandleByUUID_fn* DeviceGetHandleByUUID = nullptr;
  DeviceGetHandleByPciBusId_v2_fn* DeviceGetHandleByPciBusId_v2 = nullptr;
  DeviceGetIndex_fn* DeviceGetIndex = nullptr;
  DeviceGetName_fn* DeviceGetName = nullptr;
  DeviceGetUUID_fn* DeviceGetUUID = nullptr;
  DeviceGetPciInfo_v3_fn* DeviceGetPciInfo_v3 = nullptr;
  SystemGetDriverVersion_fn* SystemGetDriverVersion = nullptr;
  DeviceGetPowerUsage_fn* DeviceGetPowerUsage = nullptr;
  DeviceGetFieldValues_fn* DeviceGetFieldValues = nullptr;
  DeviceGetTotalEnergyConsumption_fn* DeviceGetTotalEnergyConsumption = nullptr;
  DeviceGetTemperatureV_fn* DeviceGetTemperatureV = nullptr;
  DeviceGetTemperature_fn* DeviceGetTemperature = nullptr;
  DeviceGetClockInfo_fn* DeviceGetClockInfo = nullptr;
  DeviceGetPerformanceState_fn* DeviceGetPerformanceState = nullptr;
  DeviceGetUtilizationRates_fn* DeviceGetUtilizationRates = nullptr;
  DeviceGetEnforcedPowerLimit_fn* DeviceGetEnforcedPowerLimit = nullptr;
  DeviceGetCurrentClocksEventReasons_fn* DeviceGetCurrentClocksEventReasons = nullptr;
  DeviceGetComputeRunningProcesses_v3_fn* DeviceGetComputeRunningProcesses_v3 = nullptr;
  GpmQueryDeviceSupport_fn* GpmQueryDeviceSupport = nullptr;
  GpmSampleAlloc_fn* GpmSampleAlloc = nullptr;
  GpmSampleFree_fn* GpmSampleFree = nullptr;
  GpmSampleGet_fn* GpmSampleGet = nullptr;
  GpmMetricsGet_fn* GpmMetricsGet = nullptr;
};

// A GPM sample buffer, freed through the library that allocated it.
class NvmlGpmSnapshot : public GpmSnapshot {
 public:
  NvmlGpmSnapshot(nvmlGpmSample_t sample, GpmSampleFree_fn* free) : sample(sample), free_(free) {}
  ~NvmlGpmSnapshot() override { free_(sample); }
  nvmlGpmSample_t sample;

 private:
  GpmSampleFree_fn* free_;
};

std::string library_path() {
  const char* path = std::getenv("NICENERGY_NVML_LIBRARY");
  return path && *path ? path : "libnvidia-ml.so.1";
}

class NvmlMeter : public PowerMeter {
 public:
  explicit NvmlMeter(NvmlTarget target) : target_(std::move(target)) {
    if (!target_.error.empty()) {
      reason_ = target_.error;
      return;
    }
    open();
  }
  ~NvmlMeter() override {
    if (initialized_) api_.Shutdown();
    if (lib_) dlclose(lib_);
  }

  std::string name() const override { return "nvml"; }
  bool available() const override { return reason_.empty(); }
  std::string unavailable_reason() const override { return reason_; }
  bool samples_power() const override { return available() && power_source_ != PowerSource::none; }
  bool has_energy_counter() const override { return available() && has_counter_; }

  std::optional<double> power_w() override {
    if (!available()) return std::nullopt;
    if (power_source_ == PowerSource::instant) {
      if (auto w = instant_power_w()) return w;
    }
    if (!api_.DeviceGetPowerUsage) return std::nullopt;
    unsigned mw = 0;
    if (api_.DeviceGetPowerUsage(device_, &mw) != NVML_SUCCESS) return std::nullopt;
    return mw / 1000.0;
  }

  std::optional<double> energy_j() override {
    if (!has_counter_ || !available()) return std::nullopt;
    unsigned long long mj = 0;
    if (api_.DeviceGetTotalEnergyConsumption(device_, &mj) != NVML_SUCCESS) return std::nullopt;
    return mj / 1000.0;  // 64-bit mJ since driver load: no wrap in practice
  }

  // Both power fields where the driver has them, for the lag probe.
  std::map<std::string, double> read_power_fields() override {
    std::map<std::string, double> fields;
    if (!available()) return fields;
    if (auto w = instant_power_w()) fields["instant"] = *w;
    unsigned mw = 0;
    if (api_.DeviceGetPowerUsage && api_.DeviceGetPowerUsage(device_, &mw) == NVML_SUCCESS) fields["average"] = mw / 1000.0;
    return fields;
  }

  bool has_memory_power() const override { return available() && has_memory_power_; }
  std::optional<double> memory_power_w() override {
    if (!has_memory_power()) return std::nullopt;
    return memory_field_w();
  }

  bool has_gpm() const override { return available() && has_gpm_; }
  std::unique_ptr<GpmSnapshot> gpm_snapshot() override {
    if (!has_gpm()) return nullptr;
    nvmlGpmSample_t sample = nullptr;
    if (api_.GpmSampleAlloc(&sample) != NVML_SUCCESS || !sample) return nullptr;
    auto snapshot = std::make_unique<NvmlGpmSnapshot>(sample, api_.GpmSampleFree);
    if (api_.GpmSampleGet(device_, sample) != NVML_SUCCESS) return nullptr;
    return snapshot;
  }
  GpmMetrics gpm_between(const GpmSnapshot& first, const GpmSnapshot& second) override {
    GpmMetrics out;
    const auto* a = dynamic_cast<const NvmlGpmSnapshot*>(&first);
    const auto* b = dynamic_cast<const NvmlGpmSnapshot*>(&second);
    if (!has_gpm() || !a || !b) return out;
    // Large (333 metrics): on the heap.
    auto get = std::make_unique<nvmlGpmMetricsGet_t>();
    get->version = NVML_GPM_METRICS_GET_VERSION;
    get->numMetrics = 3;
    get->sample1 = a->sample;
    get->sample2 = b->sample;
    get->metrics[0].metricId = NVML_GPM_METRIC_DRAM_BW_UTIL;
    get->metrics[1].metricId = NVML_GPM_METRIC_SM_UTIL;
    get->metrics[2].metricId = NVML_GPM_METRIC_ANY_TENSOR_UTIL;
    if (api_.GpmMetricsGet(get.get()) != NVML_SUCCESS) return out;
    auto value = [&](int i) -> std::optional<double> {
      const nvmlGpmMetric_t& m = get->metrics[i];
      if (m.nvmlReturn != NVML_SUCCESS || !std::isfinite(m.value)) return std::nullopt;
      return m.value;
    };
    out.dram_bw_util_pct = value(0);
    out.sm_util_pct = value(1);
    out.tensor_util_pct = value(2);
    return out;
  }

  // nvmlDeviceGetPowerUsage is a 1 s average on Ampere and later (GA100 excepted).
  double power_averaging_s() const override { return power_source_ == PowerSource::average ? 1.0 : 0.0; }

  DeviceState device_state() override {
    DeviceState state;
    if (!available()) return state;
    state.name = device_name_;
    state.driver_version = driver_version_;
    state.temperature_c = temperature_c();
    unsigned value = 0;
    if (api_.DeviceGetClockInfo) {
      if (api_.DeviceGetClockInfo(device_, NVML_CLOCK_SM, &value) == NVML_SUCCESS) state.sm_clock_mhz = value;
      if (api_.DeviceGetClockInfo(device_, NVML_CLOCK_MEM, &value) == NVML_SUCCESS) state.mem_clock_mhz = value;
    }
    int pstate = 0;
    if (api_.DeviceGetPerformanceState && api_.DeviceGetPerformanceState(device_, &pstate) == NVML_SUCCESS &&
        pstate >= 0 && pstate <= 15)
      state.performance_state = pstate;
    nvmlUtilization_t util{};
    if (api_.DeviceGetUtilizationRates && api_.DeviceGetUtilizationRates(device_, &util) == NVML_SUCCESS) {
      state.gpu_utilization_pct = util.gpu;
      state.mem_utilization_pct = util.memory;
    }
    if (api_.DeviceGetEnforcedPowerLimit && api_.DeviceGetEnforcedPowerLimit(device_, &value) == NVML_SUCCESS)
      state.power_limit_w = value / 1000.0;
    unsigned long long reasons = 0;
    if (api_.DeviceGetCurrentClocksEventReasons &&
        api_.DeviceGetCurrentClocksEventReasons(device_, &reasons) == NVML_SUCCESS)
      state.clock_event_reasons = reasons;
    state.other_processes = other_processes();
    return state;
  }

  std::map<std::string, std::string> metadata() const override {
    std::map<std::string, std::string> meta{{"meter", "nvml"},
                                            {"device_selection", target_.method()},
                                            {"device_selection_detail", target_.how}};
    if (initialized_ || !lib_path_.empty()) meta["library"] = lib_path_;
    if (!available()) return meta;
    meta["device_index"] = index_known_ ? std::to_string(index_) : "unknown (nvmlDeviceGetIndex missing)";
    if (!uuid_.empty()) meta["device_uuid"] = uuid_;
    if (!pci_bus_id_.empty()) meta["device_pci_bus_id"] = pci_bus_id_;
    meta["device_name"] = device_name_;
    meta["driver_version"] = driver_version_;
    meta["power_source"] = power_source_ == PowerSource::instant ? "NVML_FI_DEV_POWER_INSTANT"
                           : power_source_ == PowerSource::average
                               ? "nvmlDeviceGetPowerUsage (1 s average on A100/H100)"
                               : "none (energy counter only)";
    meta["energy_counter"] = has_counter_ ? "nvmlDeviceGetTotalEnergyConsumption (updates ~100 ms)"
                                          : "none: energy integrated from power samples";
    meta["temperature_source"] = temperature_source_;
    meta["memory_power_source"] =
        has_memory_power_ ? "NVML_FI_DEV_POWER_AVERAGE, memory scope (a 1 s average)" : "none";
    meta["gpm"] = has_gpm_ ? "nvmlGpmMetricsGet: DRAM bandwidth, SM and tensor utilisation per window" : "none";
    if (!notes_.empty()) {
      std::string text;
      for (const std::string& n : notes_) text += (text.empty() ? "" : "; ") + n;
      meta["notes"] = text;
    }
    return meta;
  }

 private:
  enum class PowerSource { instant, average, none };

  template <typename F>
  bool bind_required(F*& fn, const char* symbol) {
    fn = reinterpret_cast<F*>(dlsym(lib_, symbol));
    if (!fn)
      reason_ = "NVML: " + std::string(symbol) + " missing from " + lib_path_ +
                " (driver too old or not NVML; update the NVIDIA driver, or use --meter estimate)";
    return fn != nullptr;
  }
  template <typename F>
  void bind_optional(F*& fn, const char* symbol) {
    fn = reinterpret_cast<F*>(dlsym(lib_, symbol));
    if (!fn) missing_optional_.push_back(symbol);
  }

  std::string error(const char* what, nvmlReturn_t rc) const {
    const char* text = api_.ErrorString ? api_.ErrorString(rc) : nullptr;
    return std::string("NVML: ") + what + " failed: " + (text ? text : "error " + std::to_string(rc));
  }

  static double field_value(const nvmlFieldValue_t& f) {
    switch (f.valueType) {
      case NVML_VALUE_TYPE_DOUBLE: return f.value.dVal;
      case NVML_VALUE_TYPE_UNSIGNED_INT: return f.value.uiVal;
      case NVML_VALUE_TYPE_UNSIGNED_LONG: return static_cast<double>(f.value.ulVal);
      case NVML_VALUE_TYPE_UNSIGNED_LONG_LONG: return static_cast<double>(f.value.ullVal);
      case NVML_VALUE_TYPE_SIGNED_LONG_LONG: return static_cast<double>(f.value.sllVal);
      case NVML_VALUE_TYPE_SIGNED_INT: return f.value.siVal;
    }
    return f.value.uiVal;
  }

  std::optional<double> instant_power_w() {
    if (!api_.DeviceGetFieldValues) return std::nullopt;
    nvmlFieldValue_t field{};
    field.fieldId = NVML_FI_DEV_POWER_INSTANT;
    if (api_.DeviceGetFieldValues(device_, 1, &field) != NVML_SUCCESS || field.nvmlReturn != NVML_SUCCESS)
      return std::nullopt;
    return field_value(field) / 1000.0;  // mW
  }

  std::optional<double> memory_field_w() {
    if (!api_.DeviceGetFieldValues) return std::nullopt;
    nvmlFieldValue_t field{};
    field.fieldId = NVML_FI_DEV_POWER_AVERAGE;
    field.scopeId = NVML_POWER_SCOPE_MEMORY;
    if (api_.DeviceGetFieldValues(device_, 1, &field) != NVML_SUCCESS || field.nvmlReturn != NVML_SUCCESS)
      return std::nullopt;
    return field_value(field) / 1000.0;  // mW
  }

  // Compute processes on the GPU other than this one: the measurement is not
  // exclusive where there are any.
  std::optional<int> other_processes() {
    if (!api_.DeviceGetComputeRunningProcesses_v3) return std::nullopt;
    std::vector<nvmlProcessInfo_t> infos(64);
    unsigned count = static_cast<unsigned>(infos.size());
    nvmlReturn_t rc = api_.DeviceGetComputeRunningProcesses_v3(device_, &count, infos.data());
    if (rc == NVML_ERROR_INSUFFICIENT_SIZE && count > infos.size()) {
      infos.resize(count + 16);
      count = static_cast<unsigned>(infos.size());
      rc = api_.DeviceGetComputeRunningProcesses_v3(device_, &count, infos.data());
    }
    if (rc != NVML_SUCCESS) return std::nullopt;
    const unsigned self = static_cast<unsigned>(::getpid());
    int others = 0;
    for (unsigned i = 0; i < count && i < infos.size(); ++i) others += infos[i].pid != self;
    return others;
  }

  bool gpm_supported() {
    if (!api_.GpmQueryDeviceSupport || !api_.GpmSampleAlloc || !api_.GpmSampleFree || !api_.GpmSampleGet ||
        !api_.GpmMetricsGet)
      return false;
    nvmlGpmSupport_t support{};
    support.version = NVML_GPM_SUPPORT_VERSION;
    return api_.GpmQueryDeviceSupport(device_, &support) == NVML_SUCCESS && support.isSupportedDevice;
  }

  std::optional<double> temperature_c() {
    if (api_.DeviceGetTemperatureV) {
      nvmlTemperature_v1_t t{};
      t.version = nvmlTemperature_v1;
      t.sensorType = NVML_TEMPERATURE_GPU;
      if (api_.DeviceGetTemperatureV(device_, &t) == NVML_SUCCESS) return t.temperature;
    }
    unsigned value = 0;
    if (api_.DeviceGetTemperature && api_.DeviceGetTemperature(device_, NVML_TEMPERATURE_GPU, &value) == NVML_SUCCESS)
      return value;
    return std::nullopt;
  }

  void open() {
    if (!load_library() || !bind_symbols() || !open_device()) return;
    describe_device();
    probe_sources();
  }

  // dlopen of libnvidia-ml (or NICENERGY_NVML_LIBRARY); false with reason_ set.
  bool load_library() {
    lib_path_ = library_path();
    lib_ = dlopen(lib_path_.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!lib_) {
      if (std::getenv("NICENERGY_NVML_LIBRARY") && *std::getenv("NICENERGY_NVML_LIBRARY")) {
        const char* why = dlerror();
        reason_ = "NVML: cannot load NICENERGY_NVML_LIBRARY=" + lib_path_ + " (" + (why ? why : "dlopen failed") +
                  "); point it at libnvidia-ml.so.1 or unset it";
      } else {
        reason_ = "NVML: cannot load libnvidia-ml.so.1 (no NVIDIA driver on this machine); use --meter rapl or --meter estimate";
      }
      return false;
    }
    return true;
  }

  // The symbols: those it cannot do without, and the optional ones (state, GPM).
  bool bind_symbols() {
    if (!(bind_required(api_.Init_v2, "nvmlInit_v2") && bind_required(api_.Shutdown, "nvmlShutdown") &&
          bind_required(api_.ErrorString, "nvmlErrorString")))
      return false;
    const bool lookup_bound =
        target_.by == NvmlTarget::By::index  ? bind_required(api_.DeviceGetHandleByIndex_v2, "nvmlDeviceGetHandleByIndex_v2")
        : target_.by == NvmlTarget::By::uuid ? bind_required(api_.DeviceGetHandleByUUID, "nvmlDeviceGetHandleByUUID")
                                             : bind_required(api_.DeviceGetHandleByPciBusId_v2, "nvmlDeviceGetHandleByPciBusId_v2");
    if (!lookup_bound) return false;
    // Energy sources: at least one must be there (checked below).
    bind_optional(api_.DeviceGetTotalEnergyConsumption, "nvmlDeviceGetTotalEnergyConsumption");
    bind_optional(api_.DeviceGetFieldValues, "nvmlDeviceGetFieldValues");
    bind_optional(api_.DeviceGetPowerUsage, "nvmlDeviceGetPowerUsage");
    if (!api_.DeviceGetTotalEnergyConsumption && !api_.DeviceGetFieldValues && !api_.DeviceGetPowerUsage) {
      reason_ = "NVML: " + lib_path_ + " has none of nvmlDeviceGetTotalEnergyConsumption, nvmlDeviceGetFieldValues, "
                "nvmlDeviceGetPowerUsage (driver too old?); update the NVIDIA driver or use --meter estimate";
      return false;
    }
    // State only: optional.
    bind_optional(api_.DeviceGetIndex, "nvmlDeviceGetIndex");
    bind_optional(api_.DeviceGetName, "nvmlDeviceGetName");
    bind_optional(api_.DeviceGetUUID, "nvmlDeviceGetUUID");
    bind_optional(api_.DeviceGetPciInfo_v3, "nvmlDeviceGetPciInfo_v3");
    bind_optional(api_.SystemGetDriverVersion, "nvmlSystemGetDriverVersion");
    bind_optional(api_.DeviceGetTemperatureV, "nvmlDeviceGetTemperatureV");
    bind_optional(api_.DeviceGetTemperature, "nvmlDeviceGetTemperature");
    bind_optional(api_.DeviceGetClockInfo, "nvmlDeviceGetClockInfo");
    bind_optional(api_.DeviceGetPerformanceState, "nvmlDeviceGetPerformanceState");
    bind_optional(api_.DeviceGetUtilizationRates, "nvmlDeviceGetUtilizationRates");
    bind_optional(api_.DeviceGetEnforcedPowerLimit, "nvmlDeviceGetEnforcedPowerLimit");
    // Resolved late and by either name, as nvtop does: drivers renamed it (12.2).
    api_.DeviceGetCurrentClocksEventReasons = reinterpret_cast<DeviceGetCurrentClocksEventReasons_fn*>(
        dlsym(lib_, "nvmlDeviceGetCurrentClocksEventReasons"));
    if (!api_.DeviceGetCurrentClocksEventReasons)
      api_.DeviceGetCurrentClocksEventReasons = reinterpret_cast<DeviceGetCurrentClocksEventReasons_fn*>(
          dlsym(lib_, "nvmlDeviceGetCurrentClocksThrottleReasons"));
    if (!api_.DeviceGetCurrentClocksEventReasons) missing_optional_.push_back("nvmlDeviceGetCurrentClocksEventReasons");
    bind_optional(api_.DeviceGetComputeRunningProcesses_v3, "nvmlDeviceGetComputeRunningProcesses_v3");
    // GPM (driver 520+): all five or none.
    bind_optional(api_.GpmQueryDeviceSupport, "nvmlGpmQueryDeviceSupport");
    bind_optional(api_.GpmSampleAlloc, "nvmlGpmSampleAlloc");
    bind_optional(api_.GpmSampleFree, "nvmlGpmSampleFree");
    bind_optional(api_.GpmSampleGet, "nvmlGpmSampleGet");
    bind_optional(api_.GpmMetricsGet, "nvmlGpmMetricsGet");
    return true;
  }

  // nvmlInit and the device's handle, found as the target says.
  bool open_device() {
    nvmlReturn_t rc = api_.Init_v2();
    if (rc != NVML_SUCCESS) {
      reason_ = error("nvmlInit_v2", rc) + " (is the NVIDIA driver loaded? try nvidia-smi, or use --meter estimate)";
      return false;
    }
    initialized_ = true;
    switch (target_.by) {
      case NvmlTarget::By::index: rc = api_.DeviceGetHandleByIndex_v2(target_.index, &device_); break;
      case NvmlTarget::By::uuid: rc = api_.DeviceGetHandleByUUID(target_.key.c_str(), &device_); break;
      case NvmlTarget::By::pci_bus_id: rc = api_.DeviceGetHandleByPciBusId_v2(target_.key.c_str(), &device_); break;
    }
    if (rc != NVML_SUCCESS) {
      const char* fn = target_.by == NvmlTarget::By::index ? "nvmlDeviceGetHandleByIndex_v2"
                       : target_.by == NvmlTarget::By::uuid ? "nvmlDeviceGetHandleByUUID"
                                                            : "nvmlDeviceGetHandleByPciBusId_v2";
      reason_ = error(fn, rc) + " for " + target_.label() + (target_.how.empty() ? "" : " (" + target_.how + ")") +
                "; list GPUs with nvidia-smi -L and pass --meter nvml:INDEX";
      return false;
    }
    return true;
  }

  // What the device measures: the energy counter, the power field, memory power, GPM.
  void probe_sources() {
    if (api_.DeviceGetTotalEnergyConsumption) {
      unsigned long long mj = 0;
      const nvmlReturn_t rc = api_.DeviceGetTotalEnergyConsumption(device_, &mj);
      has_counter_ = rc == NVML_SUCCESS;
      if (!has_counter_) notes_.push_back("no energy counter (nvmlDeviceGetTotalEnergyConsumption: " +
                                          std::string(api_.ErrorString(rc)) + "): energy from power samples");
    } else {
      notes_.push_back("no energy counter (nvmlDeviceGetTotalEnergyConsumption missing): energy from power samples");
    }
    unsigned mw = 0;
    if (instant_power_w()) {
      power_source_ = PowerSource::instant;
    } else if (api_.DeviceGetPowerUsage && api_.DeviceGetPowerUsage(device_, &mw) == NVML_SUCCESS) {
      power_source_ = PowerSource::average;
      notes_.push_back("no instantaneous power field: power samples are nvmlDeviceGetPowerUsage's 1 s average");
    } else {
      power_source_ = PowerSource::none;
    }
    has_memory_power_ = memory_field_w().has_value();
    if (!has_memory_power_)
      notes_.push_back("no memory-scope power (NVML_FI_DEV_POWER_AVERAGE, memory scope): no memory/rest split");
    has_gpm_ = gpm_supported();
    if (!has_gpm_) notes_.push_back("no GPM metrics (Hopper and later, nvmlGpmQueryDeviceSupport): no DRAM/SM/tensor utilisation");
    if (power_source_ == PowerSource::none && !has_counter_)
      reason_ = "NVML: " + target_.label() + " (" + device_name_ + ") reports neither power nor energy; use --meter estimate";
    if (!missing_optional_.empty()) {
      std::string text = "optional NVML symbols missing (state not recorded):";
      for (const std::string& s : missing_optional_) text += " " + s;
      notes_.push_back(text);
    }
  }

  void describe_device() {
    char buffer[128] = {0};
    if (api_.DeviceGetName && api_.DeviceGetName(device_, buffer, sizeof buffer) == NVML_SUCCESS) device_name_ = buffer;
    std::memset(buffer, 0, sizeof buffer);
    if (api_.SystemGetDriverVersion && api_.SystemGetDriverVersion(buffer, sizeof buffer) == NVML_SUCCESS)
      driver_version_ = buffer;
    std::memset(buffer, 0, sizeof buffer);
    if (api_.DeviceGetUUID && api_.DeviceGetUUID(device_, buffer, sizeof buffer) == NVML_SUCCESS) uuid_ = buffer;
    nvmlPciInfo_t pci{};
    if (api_.DeviceGetPciInfo_v3 && api_.DeviceGetPciInfo_v3(device_, &pci) == NVML_SUCCESS) {
      pci.busId[sizeof pci.busId - 1] = 0;
      pci_bus_id_ = pci.busId;
    }
    if (target_.by == NvmlTarget::By::index) {
      index_ = target_.index;
      index_known_ = true;
    } else if (api_.DeviceGetIndex && api_.DeviceGetIndex(device_, &index_) == NVML_SUCCESS) {
      index_known_ = true;
    }
    if (target_.by == NvmlTarget::By::pci_bus_id && pci_bus_id_.empty()) pci_bus_id_ = target_.key;
    if (target_.by == NvmlTarget::By::uuid && uuid_.empty()) uuid_ = target_.key;
    temperature_source_ = api_.DeviceGetTemperatureV ? "nvmlDeviceGetTemperatureV"
                          : api_.DeviceGetTemperature ? "nvmlDeviceGetTemperature"
                                                      : "none";
  }

  NvmlTarget target_;
  std::string lib_path_;
  void* lib_ = nullptr;
  NvmlApi api_{};
  bool initialized_ = false;
  nvmlDevice_t device_ = nullptr;
  std::string reason_;
  std::string device_name_, driver_version_, uuid_, pci_bus_id_;
  unsigned index_ = 0;
  bool index_known_ = false;
  bool has_counter_ = false;
  bool has_memory_power_ = false;
  bool has_gpm_ = false;
  PowerSource power_source_ = PowerSource::none;
  std::string temperature_source_ = "none";
  std::vector<std::string> missing_optional_;
  std::vector<std::string> notes_;
};

}  // namespace

std::string clock_event_reasons_text(uint64_t reasons) {
  std::string text;
  const std::pair<unsigned long long, const char*> bits[] = {
      {NVML_CLOCKS_EVENT_REASON_SW_POWER_CAP, "sw_power_cap"},
      {NVML_CLOCKS_EVENT_REASON_HW_SLOWDOWN, "hw_slowdown"},
      {NVML_CLOCKS_EVENT_REASON_SW_THERMAL, "sw_thermal"},
      {NVML_CLOCKS_EVENT_REASON_HW_THERMAL, "hw_thermal"},
      {NVML_CLOCKS_EVENT_REASON_HW_POWER_BRAKE, "hw_power_brake"}};
  for (const auto& [bit, name] : bits)
    if (reasons & bit) text += (text.empty() ? "" : "+") + std::string(name);
  return text;
}

std::unique_ptr<PowerMeter> make_nvml_meter(unsigned index) {
  return std::make_unique<NvmlMeter>(nvml_target_by_index(index));
}

std::unique_ptr<PowerMeter> make_nvml_meter_for_cuda_device(int cuda_index, const std::string& pci_bus_id) {
  return std::make_unique<NvmlMeter>(nvml_target_for_cuda_device(cuda_index, pci_bus_id));
}

}  // namespace nicenergy
