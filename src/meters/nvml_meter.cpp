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
#include <dlfcn.h>

#include <cstring>

#include "error.h"
#include "meters/power_meter.h"

namespace nicenergy {
namespace {

// The few NVML declarations used (nvml.h, ABI-stable).
using nvmlReturn_t = int;
constexpr nvmlReturn_t NVML_SUCCESS = 0;
struct nvmlDevice_st;
using nvmlDevice_t = nvmlDevice_st*;
constexpr int NVML_TEMPERATURE_GPU = 0;
constexpr int NVML_CLOCK_SM = 1;
constexpr int NVML_CLOCK_MEM = 2;
constexpr unsigned NVML_FI_DEV_POWER_INSTANT = 186;
enum nvmlValueType_t { NVML_VALUE_TYPE_DOUBLE = 0, NVML_VALUE_TYPE_UNSIGNED_INT = 1,
                       NVML_VALUE_TYPE_UNSIGNED_LONG = 2, NVML_VALUE_TYPE_UNSIGNED_LONG_LONG = 3,
                       NVML_VALUE_TYPE_SIGNED_LONG_LONG = 4, NVML_VALUE_TYPE_SIGNED_INT = 5 };
union nvmlValue_t {
  double dVal;
  unsigned int uiVal;
  unsigned long ulVal;
  unsigned long long ullVal;
  signed long long sllVal;
  signed int siVal;
};
struct nvmlFieldValue_t {
  unsigned int fieldId;
  unsigned int scopeId;
  long long timestamp;
  long long latencyUsec;
  nvmlValueType_t valueType;
  nvmlReturn_t nvmlReturn;
  nvmlValue_t value;
};
struct nvmlUtilization_t {
  unsigned int gpu;
  unsigned int memory;
};

struct NvmlApi {
  nvmlReturn_t (*Init_v2)();
  nvmlReturn_t (*Shutdown)();
  const char* (*ErrorString)(nvmlReturn_t);
  nvmlReturn_t (*DeviceGetHandleByIndex_v2)(unsigned, nvmlDevice_t*);
  nvmlReturn_t (*DeviceGetName)(nvmlDevice_t, char*, unsigned);
  nvmlReturn_t (*SystemGetDriverVersion)(char*, unsigned);
  nvmlReturn_t (*DeviceGetPowerUsage)(nvmlDevice_t, unsigned*);
  nvmlReturn_t (*DeviceGetFieldValues)(nvmlDevice_t, int, nvmlFieldValue_t*);
  nvmlReturn_t (*DeviceGetTotalEnergyConsumption)(nvmlDevice_t, unsigned long long*);
  nvmlReturn_t (*DeviceGetTemperature)(nvmlDevice_t, int, unsigned*);
  nvmlReturn_t (*DeviceGetClockInfo)(nvmlDevice_t, int, unsigned*);
  nvmlReturn_t (*DeviceGetPerformanceState)(nvmlDevice_t, int*);
  nvmlReturn_t (*DeviceGetUtilizationRates)(nvmlDevice_t, nvmlUtilization_t*);
  nvmlReturn_t (*DeviceGetEnforcedPowerLimit)(nvmlDevice_t, unsigned*);
};

class NvmlMeter : public PowerMeter {
 public:
  explicit NvmlMeter(unsigned index) : index_(index) { open(); }
  ~NvmlMeter() override {
    if (initialized_) api_.Shutdown();
    if (lib_) dlclose(lib_);
  }

  std::string name() const override { return "nvml"; }
  bool available() const override { return reason_.empty(); }
  std::string unavailable_reason() const override { return reason_; }
  bool samples_power() const override { return available(); }
  bool has_energy_counter() const override { return has_counter_; }

  std::optional<double> power_w() override {
    if (!available()) return std::nullopt;
    if (instant_field_) {
      nvmlFieldValue_t field{};
      field.fieldId = NVML_FI_DEV_POWER_INSTANT;
      if (api_.DeviceGetFieldValues(device_, 1, &field) == NVML_SUCCESS && field.nvmlReturn == NVML_SUCCESS)
        return field_value(field) / 1000.0;  // mW
    }
    unsigned mw = 0;
    if (api_.DeviceGetPowerUsage(device_, &mw) != NVML_SUCCESS) return std::nullopt;
    return mw / 1000.0;
  }

  std::optional<double> energy_j() override {
    if (!has_counter_) return std::nullopt;
    unsigned long long mj = 0;
    if (api_.DeviceGetTotalEnergyConsumption(device_, &mj) != NVML_SUCCESS) return std::nullopt;
    return mj / 1000.0;  // 64-bit mJ since driver load: no wrap in practice
  }

  DeviceState device_state() override {
    DeviceState state;
    if (!available()) return state;
    state.name = device_name_;
    state.driver_version = driver_version_;
    unsigned value = 0;
    if (api_.DeviceGetTemperature(device_, NVML_TEMPERATURE_GPU, &value) == NVML_SUCCESS) state.temperature_c = value;
    if (api_.DeviceGetClockInfo(device_, NVML_CLOCK_SM, &value) == NVML_SUCCESS) state.sm_clock_mhz = value;
    if (api_.DeviceGetClockInfo(device_, NVML_CLOCK_MEM, &value) == NVML_SUCCESS) state.mem_clock_mhz = value;
    int pstate = 0;
    if (api_.DeviceGetPerformanceState(device_, &pstate) == NVML_SUCCESS && pstate <= 15) state.performance_state = pstate;
    nvmlUtilization_t util{};
    if (api_.DeviceGetUtilizationRates(device_, &util) == NVML_SUCCESS) {
      state.gpu_utilization_pct = util.gpu;
      state.mem_utilization_pct = util.memory;
    }
    if (api_.DeviceGetEnforcedPowerLimit(device_, &value) == NVML_SUCCESS) state.power_limit_w = value / 1000.0;
    return state;
  }

  std::map<std::string, std::string> metadata() const override {
    std::map<std::string, std::string> meta{{"meter", "nvml"}, {"device_index", std::to_string(index_)}};
    if (!available()) return meta;
    meta["device_name"] = device_name_;
    meta["driver_version"] = driver_version_;
    meta["power_source"] = instant_field_ ? "NVML_FI_DEV_POWER_INSTANT" : "nvmlDeviceGetPowerUsage (1 s average on A100/H100)";
    meta["energy_counter"] = has_counter_ ? "nvmlDeviceGetTotalEnergyConsumption (updates ~100 ms)" : "none";
    return meta;
  }

 private:
  template <typename F>
  bool bind(F& fn, const char* symbol) {
    fn = reinterpret_cast<F>(dlsym(lib_, symbol));
    if (!fn) reason_ = std::string("NVML: ") + symbol + " missing from libnvidia-ml.so.1 (driver too old; update the NVIDIA driver or use --meter estimate)";
    return fn != nullptr;
  }

  std::string error(const char* what, nvmlReturn_t rc) const {
    return std::string("NVML: ") + what + " failed: " + api_.ErrorString(rc);
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

  void open() {
    lib_ = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!lib_) {
      reason_ = "NVML: cannot load libnvidia-ml.so.1 (no NVIDIA driver on this machine); use --meter rapl or --meter estimate";
      return;
    }
    if (!(bind(api_.Init_v2, "nvmlInit_v2") && bind(api_.Shutdown, "nvmlShutdown") &&
          bind(api_.ErrorString, "nvmlErrorString") &&
          bind(api_.DeviceGetHandleByIndex_v2, "nvmlDeviceGetHandleByIndex_v2") &&
          bind(api_.DeviceGetName, "nvmlDeviceGetName") &&
          bind(api_.SystemGetDriverVersion, "nvmlSystemGetDriverVersion") &&
          bind(api_.DeviceGetPowerUsage, "nvmlDeviceGetPowerUsage") &&
          bind(api_.DeviceGetFieldValues, "nvmlDeviceGetFieldValues") &&
          bind(api_.DeviceGetTotalEnergyConsumption, "nvmlDeviceGetTotalEnergyConsumption") &&
          bind(api_.DeviceGetTemperature, "nvmlDeviceGetTemperature") &&
          bind(api_.DeviceGetClockInfo, "nvmlDeviceGetClockInfo") &&
          bind(api_.DeviceGetPerformanceState, "nvmlDeviceGetPerformanceState") &&
          bind(api_.DeviceGetUtilizationRates, "nvmlDeviceGetUtilizationRates") &&
          bind(api_.DeviceGetEnforcedPowerLimit, "nvmlDeviceGetEnforcedPowerLimit")))
      return;
    nvmlReturn_t rc = api_.Init_v2();
    if (rc != NVML_SUCCESS) {
      reason_ = error("nvmlInit_v2", rc) + " (is the NVIDIA driver loaded? try nvidia-smi, or use --meter estimate)";
      return;
    }
    initialized_ = true;
    rc = api_.DeviceGetHandleByIndex_v2(index_, &device_);
    if (rc != NVML_SUCCESS) {
      reason_ = error("nvmlDeviceGetHandleByIndex_v2", rc) + " for GPU index " + std::to_string(index_) +
                " (list GPUs with nvidia-smi -L and pass --meter nvml:INDEX)";
      return;
    }
    char buffer[128] = {0};
    if (api_.DeviceGetName(device_, buffer, sizeof buffer) == NVML_SUCCESS) device_name_ = buffer;
    std::memset(buffer, 0, sizeof buffer);
    if (api_.SystemGetDriverVersion(buffer, sizeof buffer) == NVML_SUCCESS) driver_version_ = buffer;

    unsigned long long mj = 0;
    has_counter_ = api_.DeviceGetTotalEnergyConsumption(device_, &mj) == NVML_SUCCESS;
    nvmlFieldValue_t field{};
    field.fieldId = NVML_FI_DEV_POWER_INSTANT;
    instant_field_ = api_.DeviceGetFieldValues(device_, 1, &field) == NVML_SUCCESS && field.nvmlReturn == NVML_SUCCESS;
    unsigned mw = 0;
    if (!instant_field_ && api_.DeviceGetPowerUsage(device_, &mw) != NVML_SUCCESS && !has_counter_)
      reason_ = "NVML: GPU " + std::to_string(index_) + " (" + device_name_ +
                ") reports neither power nor energy; use --meter estimate";
  }

  unsigned index_;
  void* lib_ = nullptr;
  NvmlApi api_{};
  bool initialized_ = false;
  nvmlDevice_t device_ = nullptr;
  std::string reason_;
  std::string device_name_, driver_version_;
  bool has_counter_ = false;
  bool instant_field_ = false;
};

}  // namespace

std::unique_ptr<PowerMeter> make_nvml_meter(unsigned index) { return std::make_unique<NvmlMeter>(index); }

}  // namespace nicenergy
