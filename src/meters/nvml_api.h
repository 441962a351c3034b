// The part of NVML's C API that nicenergy uses, declared here rather than taken
// from nvml.h so that nicenergy builds where no CUDA toolkit is installed; the
// library itself is opened at run time (nvml_meter.cpp). Layouts and values are
// those of nvml.h (ABI-stable across drivers). The test fake
// (tests/fake_nvml/fake_nvml.cpp) implements the same signatures and checks
// them against the *_fn types below at compile time.
#pragma once

namespace nicenergy::nvml {

using nvmlReturn_t = int;
constexpr nvmlReturn_t NVML_SUCCESS = 0;
constexpr nvmlReturn_t NVML_ERROR_UNINITIALIZED = 1;
constexpr nvmlReturn_t NVML_ERROR_INVALID_ARGUMENT = 2;
constexpr nvmlReturn_t NVML_ERROR_NOT_SUPPORTED = 3;
constexpr nvmlReturn_t NVML_ERROR_NOT_FOUND = 6;
constexpr nvmlReturn_t NVML_ERROR_INSUFFICIENT_SIZE = 7;
constexpr nvmlReturn_t NVML_ERROR_DRIVER_NOT_LOADED = 9;
constexpr nvmlReturn_t NVML_ERROR_ARGUMENT_VERSION_MISMATCH = 25;

struct nvmlDevice_st;
using nvmlDevice_t = nvmlDevice_st*;

constexpr int NVML_TEMPERATURE_GPU = 0;
constexpr int NVML_CLOCK_SM = 1;
constexpr int NVML_CLOCK_MEM = 2;
constexpr unsigned NVML_FI_DEV_POWER_AVERAGE = 185;  // with scopeId NVML_POWER_SCOPE_MEMORY: HBM power (H100)
constexpr unsigned NVML_FI_DEV_POWER_INSTANT = 186;
constexpr unsigned NVML_POWER_SCOPE_MEMORY = 2;
// nvmlClocksEventReasons (formerly ClocksThrottleReasons) bits.
constexpr unsigned long long NVML_CLOCKS_EVENT_REASON_SW_POWER_CAP = 0x4;
constexpr unsigned long long NVML_CLOCKS_EVENT_REASON_HW_SLOWDOWN = 0x8;
constexpr unsigned long long NVML_CLOCKS_EVENT_REASON_SW_THERMAL = 0x20;
constexpr unsigned long long NVML_CLOCKS_EVENT_REASON_HW_THERMAL = 0x40;
constexpr unsigned long long NVML_CLOCKS_EVENT_REASON_HW_POWER_BRAKE = 0x80;

enum nvmlValueType_t {
  NVML_VALUE_TYPE_DOUBLE = 0,
  NVML_VALUE_TYPE_UNSIGNED_INT = 1,
  NVML_VALUE_TYPE_UNSIGNED_LONG = 2,
  NVML_VALUE_TYPE_UNSIGNED_LONG_LONG = 3,
  NVML_VALUE_TYPE_SIGNED_LONG_LONG = 4,
  NVML_VALUE_TYPE_SIGNED_INT = 5
};
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
  long long timestamp;  // us
  long long latencyUsec;
  nvmlValueType_t valueType;
  nvmlReturn_t nvmlReturn;
  nvmlValue_t value;
};
struct nvmlUtilization_t {
  unsigned int gpu;
  unsigned int memory;
};
struct nvmlPciInfo_t {
  char busIdLegacy[16];  // "dddd:bb:dd.f"
  unsigned int domain;
  unsigned int bus;
  unsigned int device;
  unsigned int pciDeviceId;
  unsigned int pciSubSystemId;
  char busId[32];  // "dddddddd:bb:dd.f"
};
// nvmlDeviceGetComputeRunningProcesses_v3's entries.
struct nvmlProcessInfo_t {
  unsigned int pid;
  unsigned long long usedGpuMemory;
  unsigned int gpuInstanceId;
  unsigned int computeInstanceId;
};
// nvmlDeviceGetTemperatureV (NVML 12.x+; nvmlDeviceGetTemperature is deprecated in 13).
struct nvmlTemperature_v1_t {
  unsigned int version;  // nvmlTemperature_v1
  int sensorType;        // NVML_TEMPERATURE_GPU
  int temperature;       // C
};
constexpr unsigned int nvmlTemperature_v1 = static_cast<unsigned>(sizeof(nvmlTemperature_v1_t)) | (1u << 24);

// GPM (GPU Performance Monitoring, Hopper and later, driver 520+): two samples
// give the mean of each metric between them. Metric ids and layouts as in
// nvml.h. No nvml.h was on the build machine (no CUDA toolkit); they were checked
// against published copies of it (r525: NVML_GPM_METRIC_MAX 98; r550 and later:
// 333). The metrics array is declared with the larger bound: nvmlGpmMetricsGet
// reads only numMetrics entries, and version 1 did not change with the bound.
struct nvmlGpmSample_st;
using nvmlGpmSample_t = nvmlGpmSample_st*;  // nvml.h: a struct holding this one pointer (same ABI)
constexpr unsigned NVML_GPM_METRIC_SM_UTIL = 2;          // % of SMs busy
constexpr unsigned NVML_GPM_METRIC_ANY_TENSOR_UTIL = 5;  // % of time the SMs did any tensor operation
constexpr unsigned NVML_GPM_METRIC_DRAM_BW_UTIL = 10;    // % of the theoretical DRAM bandwidth used
constexpr unsigned NVML_GPM_METRIC_MAX = 333;
struct nvmlGpmMetric_t {
  unsigned int metricId;    // IN
  nvmlReturn_t nvmlReturn;  // OUT: this metric's status
  double value;             // OUT: valid where nvmlReturn is NVML_SUCCESS
  struct {
    char* shortName;
    char* longName;
    char* unit;
  } metricInfo;
};
constexpr unsigned int NVML_GPM_METRICS_GET_VERSION = 1;
struct nvmlGpmMetricsGet_t {
  unsigned int version;     // NVML_GPM_METRICS_GET_VERSION
  unsigned int numMetrics;
  nvmlGpmSample_t sample1;  // the earlier
  nvmlGpmSample_t sample2;  // the later
  nvmlGpmMetric_t metrics[NVML_GPM_METRIC_MAX];
};
constexpr unsigned int NVML_GPM_SUPPORT_VERSION = 1;
struct nvmlGpmSupport_t {
  unsigned int version;  // NVML_GPM_SUPPORT_VERSION
  unsigned int isSupportedDevice;
};

// Buffer sizes NVML documents as large enough.
constexpr unsigned NVML_DEVICE_NAME_V2_BUFFER_SIZE = 96;
constexpr unsigned NVML_DEVICE_UUID_V2_BUFFER_SIZE = 96;
constexpr unsigned NVML_SYSTEM_DRIVER_VERSION_BUFFER_SIZE = 80;

// Signatures, one per symbol bound.
using Init_v2_fn = nvmlReturn_t();
using Shutdown_fn = nvmlReturn_t();
using ErrorString_fn = const char*(nvmlReturn_t);
using DeviceGetCount_v2_fn = nvmlReturn_t(unsigned*);
using DeviceGetHandleByIndex_v2_fn = nvmlReturn_t(unsigned, nvmlDevice_t*);
using DeviceGetHandleByUUID_fn = nvmlReturn_t(const char*, nvmlDevice_t*);
using DeviceGetHandleByPciBusId_v2_fn = nvmlReturn_t(const char*, nvmlDevice_t*);
using DeviceGetIndex_fn = nvmlReturn_t(nvmlDevice_t, unsigned*);
using DeviceGetName_fn = nvmlReturn_t(nvmlDevice_t, char*, unsigned);
using DeviceGetUUID_fn = nvmlReturn_t(nvmlDevice_t, char*, unsigned);
using DeviceGetPciInfo_v3_fn = nvmlReturn_t(nvmlDevice_t, nvmlPciInfo_t*);
using SystemGetDriverVersion_fn = nvmlReturn_t(char*, unsigned);
using DeviceGetPowerUsage_fn = nvmlReturn_t(nvmlDevice_t, unsigned*);
using DeviceGetFieldValues_fn = nvmlReturn_t(nvmlDevice_t, int, nvmlFieldValue_t*);
using DeviceGetTotalEnergyConsumption_fn = nvmlReturn_t(nvmlDevice_t, unsigned long long*);
using DeviceGetTemperature_fn = nvmlReturn_t(nvmlDevice_t, int, unsigned*);
using DeviceGetTemperatureV_fn = nvmlReturn_t(nvmlDevice_t, nvmlTemperature_v1_t*);
using DeviceGetClockInfo_fn = nvmlReturn_t(nvmlDevice_t, int, unsigned*);
using DeviceGetPerformanceState_fn = nvmlReturn_t(nvmlDevice_t, int*);
using DeviceGetUtilizationRates_fn = nvmlReturn_t(nvmlDevice_t, nvmlUtilization_t*);
using DeviceGetEnforcedPowerLimit_fn = nvmlReturn_t(nvmlDevice_t, unsigned*);
// nvmlDeviceGetCurrentClocksEventReasons, or its older name nvmlDeviceGetCurrentClocksThrottleReasons.
using DeviceGetCurrentClocksEventReasons_fn = nvmlReturn_t(nvmlDevice_t, unsigned long long*);
using DeviceGetComputeRunningProcesses_v3_fn = nvmlReturn_t(nvmlDevice_t, unsigned*, nvmlProcessInfo_t*);
using GpmQueryDeviceSupport_fn = nvmlReturn_t(nvmlDevice_t, nvmlGpmSupport_t*);
using GpmSampleAlloc_fn = nvmlReturn_t(nvmlGpmSample_t*);
using GpmSampleFree_fn = nvmlReturn_t(nvmlGpmSample_t);
using GpmSampleGet_fn = nvmlReturn_t(nvmlDevice_t, nvmlGpmSample_t);
using GpmMetricsGet_fn = nvmlReturn_t(nvmlGpmMetricsGet_t*);

}  // namespace nicenergy::nvml
