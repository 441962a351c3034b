// A scripted stand-in for libnvidia-ml.so.1, for tests only (never installed).
// nicenergy loads it through its real dlopen path when NICENERGY_NVML_LIBRARY
// names it, so the NVML meter, the protocol and the CLI run end to end on a
// machine without a GPU, with a power whose true energy is known.
//
// Behaviour is read from the environment variable NICENERGY_FAKE_NVML at each
// first nvmlInit_v2 (comma-separated key=value, every key optional):
//   devices=N      GPUs, 1..8 (default 1). Device i is "Fake NVML GPU i", UUID
//                  GPU-fa4e0000-0000-4000-8000-00000000000i, PCI bus id
//                  00000000:(0x17 + 0x20 i):00.0 (so indices, UUIDs and buses differ)
//   period_ms=P    the energy counter and the power sensor update every P ms (100)
//   duty=D         the sensor sees only the first D of each period (0.25, as the
//                  A100/H100 sensor of Yang et al.); the instant field is the mean
//                  power over that part of the last finished period, and
//                  nvmlDeviceGetPowerUsage the mean of the last 1 s of such readings
//   idle_w=W       power with nothing running (40)
//   cpu_w=W        power added per CPU core kept busy by this process, read from
//                  CLOCK_PROCESS_CPUTIME_ID (150), so a network run by the process
//                  that loaded the fake raises "GPU" power; 0 turns it off
//   counter_scale=S  the counter reports S times the true energy (1): counter and
//                  samples disagree, as in Zeus issue 181
//   backstep_s=T   T s after init the counter drops by backstep_j=J (10 J): a
//                  non-monotone counter
//   spike_every=N  every N-th read of the instant field returns spike_w=W
//                  (100000 W): implausible watts
//   memory_w=W, memory_share=F  memory-scope power (NVML_FI_DEV_POWER_AVERAGE with
//                  NVML_POWER_SCOPE_MEMORY): W plus F of the sensed power above
//                  idle (15, 0.3), following the instant field
//   reasons=N      nvmlDeviceGetCurrentClocksEventReasons returns N (0; 4 = power cap)
//   processes=N    compute processes besides the caller (0); the caller is listed too
//   gpm=0          GPM unsupported (nvmlGpmQueryDeviceSupport says no); default 1
//   sm_util=U, dram_util=U, tensor_util=U  GPM utilisations (%) while the device
//                  is busy (80, 50, 30): busy is a scripted power above 0, else the
//                  process's CPU share (where cpu_w > 0); nvmlGpmMetricsGet gives
//                  U x the busy fraction between its two samples, exactly
//   log=PATH       a thread writes an external meter's log to PATH (a file,
//                  appended, or a FIFO, opened once a reader is there): a header
//                  (where the file is empty),
//                  then every log_period_ms (20) `UNIX_S,POWER_W`, the true mean
//                  power over the last interval x log_scale (1) + log_offset_w (0),
//                  stamped at the interval's middle; it stops log_stop_s (never)
//                  after init (a stale stream). The thread ends at nvmlShutdown
//   fail=A+B+...   init (nvmlInit_v2 fails: driver not loaded), counter
//                  (nvmlDeviceGetTotalEnergyConsumption: not supported), instant
//                  (NVML_FI_DEV_POWER_INSTANT: not supported), power
//                  (nvmlDeviceGetPowerUsage: not supported), memory (the
//                  memory-scope field: not supported)
// Step response: the instant field lags a change of the load by up to about a
// period (it shows the sensed part of the last finished period), the 1 s
// average by about half a second more (the mean of the last 10 readings); the
// lag probe of the protocol measures both.
// Power is P(t) = idle_w + scripted + cpu_w x CPU utilisation, the same on every
// device. The counter (mJ) holds the exact integral of P up to the last tick,
// ticks lying on multiples of the period of CLOCK_MONOTONIC (steady_clock).
//
// Test-only exports, for in-process tests (dlopen the same file, dlsym them):
//   fake_nvml_set_dynamic_w(double w)  scripted power added from now on
//   fake_nvml_dynamic_energy_j()       the scripted part's exact integral so far
//   fake_nvml_true_energy_j()          the exact integral of P since init
//
// Compile definitions build variants with symbols left out (CMakeLists.txt):
//   FAKE_NVML_OMIT_INIT    no nvmlInit_v2 (a required symbol)
//   FAKE_NVML_OMIT_ENERGY  no nvmlDeviceGetTotalEnergyConsumption
//   FAKE_NVML_OMIT_STATE   none of the optional state symbols (name, UUID, PCI
//                          info, index, driver, temperature, clocks, P-state,
//                          utilisation, power limit, clocks event reasons,
//                          running processes)
//   FAKE_NVML_OMIT_GPM     none of the GPM symbols (a driver before 520)
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include <cstdint>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <type_traits>

#include "meters/nvml_api.h"

using namespace nicenergy::nvml;

namespace {

constexpr int kMaxDevices = 8;
constexpr int kAverageReadings = 10;  // 1 s of 100 ms readings for GetPowerUsage

struct Config {
  int devices = 1;
  int64_t period_ns = 100000000;
  double duty = 0.25;
  double idle_w = 40;
  double cpu_w = 150;
  bool fail_init = false, fail_counter = false, fail_instant = false, fail_power = false;
  double counter_scale = 1;
  double backstep_s = -1, backstep_j = 10;
  int spike_every = 0;
  double spike_w = 100000;
  double memory_w = 15, memory_share = 0.3;
  unsigned long long reasons = 0;
  int processes = 0;
  bool fail_memory = false;
  bool gpm = true;
  double sm_util = 80, dram_util = 50, tensor_util = 30;
  std::string log;
  int log_period_ms = 20;
  double log_scale = 1, log_offset_w = 0, log_stop_s = -1;
};

struct State {
  Config config;
  int init_count = 0;
  int64_t t_ns = 0;          // last time the model was advanced
  double cpu_s = 0;          // process CPU time then
  double scripted_w = 0;
  double energy_j = 0;       // exact integral of P up to t_ns
  double dynamic_j = 0;      // exact integral of the scripted part
  double counter_j = 0;      // integral up to the last tick
  double window_j = 0;       // energy seen by the sensor in the current period
  double last_reading_w = 0; // sensor reading of the last finished period
  double readings_w[kAverageReadings] = {};
  int readings = 0;
  int64_t init_ns = 0;       // when the model started
  long instant_reads = 0;
  double busy_s = 0;         // integral of the busy fraction (GPM)
};

std::mutex mutex;
State state;
}  // namespace

// NVML's handles are opaque; here a handle points at the device's index.
struct nicenergy::nvml::nvmlDevice_st {
  int index;
};

namespace {
nvmlDevice_st devices[kMaxDevices] = {{0}, {1}, {2}, {3}, {4}, {5}, {6}, {7}};

// Integer nanoseconds, so that period boundaries are exact.
int64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

double process_cpu_s() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

[[maybe_unused]] Config read_config() {
  Config c;
  const char* env = std::getenv("NICENERGY_FAKE_NVML");
  std::string text = env ? env : "";
  size_t start = 0;
  while (start < text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    const std::string item = text.substr(start, comma - start);
    start = comma + 1;
    const size_t eq = item.find('=');
    if (eq == std::string::npos) continue;
    const std::string key = item.substr(0, eq), value = item.substr(eq + 1);
    if (key == "devices") c.devices = std::clamp(std::atoi(value.c_str()), 1, kMaxDevices);
    else if (key == "period_ms") c.period_ns = static_cast<int64_t>(std::max(1.0, std::atof(value.c_str())) * 1e6);
    else if (key == "duty") c.duty = std::clamp(std::atof(value.c_str()), 0.01, 1.0);
    else if (key == "idle_w") c.idle_w = std::atof(value.c_str());
    else if (key == "cpu_w") c.cpu_w = std::atof(value.c_str());
    else if (key == "counter_scale") c.counter_scale = std::atof(value.c_str());
    else if (key == "backstep_s") c.backstep_s = std::atof(value.c_str());
    else if (key == "backstep_j") c.backstep_j = std::atof(value.c_str());
    else if (key == "spike_every") c.spike_every = std::max(0, std::atoi(value.c_str()));
    else if (key == "spike_w") c.spike_w = std::atof(value.c_str());
    else if (key == "memory_w") c.memory_w = std::atof(value.c_str());
    else if (key == "memory_share") c.memory_share = std::atof(value.c_str());
    else if (key == "reasons") c.reasons = std::strtoull(value.c_str(), nullptr, 0);
    else if (key == "processes") c.processes = std::clamp(std::atoi(value.c_str()), 0, 100);
    else if (key == "gpm") c.gpm = std::atoi(value.c_str()) != 0;
    else if (key == "sm_util") c.sm_util = std::atof(value.c_str());
    else if (key == "dram_util") c.dram_util = std::atof(value.c_str());
    else if (key == "tensor_util") c.tensor_util = std::atof(value.c_str());
    else if (key == "log") c.log = value;
    else if (key == "log_period_ms") c.log_period_ms = std::clamp(std::atoi(value.c_str()), 1, 10000);
    else if (key == "log_scale") c.log_scale = std::atof(value.c_str());
    else if (key == "log_offset_w") c.log_offset_w = std::atof(value.c_str());
    else if (key == "log_stop_s") c.log_stop_s = std::atof(value.c_str());
    else if (key == "fail") {
      c.fail_memory = value.find("memory") != std::string::npos;
      c.fail_init = value.find("init") != std::string::npos;
      c.fail_counter = value.find("counter") != std::string::npos;
      c.fail_instant = value.find("instant") != std::string::npos;
      c.fail_power = value.find("power") != std::string::npos;
    }
  }
  return c;
}

// Moves the model to now, with the power constant since the last call (callers
// advance before every change of the scripted power, so that holds exactly for
// it; the CPU part is its mean over the interval). Caller holds the mutex.
void advance() {
  const int64_t now = monotonic_ns();
  const double cpu = process_cpu_s();
  if (now <= state.t_ns) return;
  const Config& c = state.config;
  const double cpu_share = std::max(0.0, (cpu - state.cpu_s) / ((now - state.t_ns) * 1e-9));
  const double p = c.idle_w + state.scripted_w + c.cpu_w * cpu_share;
  const double busy = state.scripted_w > 0 ? 1.0 : c.cpu_w > 0 ? std::min(1.0, cpu_share) : 0.0;
  state.busy_s += busy * (now - state.t_ns) * 1e-9;
  const int64_t seen_ns = std::max<int64_t>(1, std::llround(c.duty * static_cast<double>(c.period_ns)));
  // Walk the periods the interval crosses: sensor window, then tick.
  for (int64_t t = state.t_ns; t < now;) {
    const int64_t period_start = t / c.period_ns * c.period_ns, period_end = period_start + c.period_ns;
    const int64_t seg_end = std::min(now, period_end);
    const int64_t seen_end = std::min(seg_end, period_start + seen_ns);
    if (seen_end > t) state.window_j += p * (seen_end - t) * 1e-9;
    state.energy_j += p * (seg_end - t) * 1e-9;
    state.dynamic_j += state.scripted_w * (seg_end - t) * 1e-9;
    if (seg_end == period_end) {
      state.counter_j = state.energy_j;
      state.last_reading_w = state.window_j / (seen_ns * 1e-9);
      state.window_j = 0;
      state.readings_w[state.readings % kAverageReadings] = state.last_reading_w;
      ++state.readings;
    }
    t = seg_end;
  }
  state.t_ns = now;
  state.cpu_s = cpu;
}

// --- the external meter's log (log=PATH) ---------------------------------------
std::thread log_thread;
std::atomic<bool> log_stop{false};

double realtime_s() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

void write_all(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

void log_loop(Config c) {
  struct stat st{};
  const bool fifo = ::stat(c.log.c_str(), &st) == 0 && S_ISFIFO(st.st_mode);
  int fd = -1;
  // A FIFO opens for writing only once a reader has it open: try until then.
  while (!log_stop && fd < 0) {
    fd = fifo ? ::open(c.log.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC)
              : ::open(c.log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (fd < 0) return;
  if (fifo) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  // The header first, and only first: a file written before keeps its lines.
  struct stat now{};
  if (fifo || (::fstat(fd, &now) == 0 && now.st_size == 0)) write_all(fd, "time_s,power_w\n");
  int64_t last_ns = 0;
  double last_j = 0, started_s = 0;
  {
    std::lock_guard<std::mutex> lock(mutex);
    advance();
    last_ns = state.t_ns;
    last_j = state.energy_j;
    started_s = state.init_ns * 1e-9;
  }
  while (!log_stop) {
    std::this_thread::sleep_for(std::chrono::milliseconds(c.log_period_ms));
    int64_t now_ns;
    double now_j;
    {
      std::lock_guard<std::mutex> lock(mutex);
      advance();
      now_ns = state.t_ns;
      now_j = state.energy_j;
    }
    if (c.log_stop_s >= 0 && now_ns * 1e-9 - started_s > c.log_stop_s) break;
    if (now_ns <= last_ns) continue;
    const double mean_w = (now_j - last_j) / ((now_ns - last_ns) * 1e-9);
    // The middle of the interval, in Unix seconds.
    const double unix_mid_s = realtime_s() - (monotonic_ns() - (last_ns + now_ns) / 2) * 1e-9;
    char line[96];
    std::snprintf(line, sizeof line, "%.6f,%.6f\n", unix_mid_s, c.log_scale * mean_w + c.log_offset_w);
    write_all(fd, line);
    last_ns = now_ns;
    last_j = now_j;
  }
  ::close(fd);
}

bool valid(nvmlDevice_t d) {
  return d && d >= devices && d < devices + state.config.devices;
}

// Every device entry point: checks and advances the model under the lock.
#define FAKE_DEVICE_ENTRY(d)                                  \
  std::lock_guard<std::mutex> lock(mutex);                    \
  if (state.init_count == 0) return NVML_ERROR_UNINITIALIZED; \
  if (!valid(d)) return NVML_ERROR_INVALID_ARGUMENT;          \
  advance()

[[maybe_unused]] nvmlReturn_t copy_string(const std::string& s, char* out, unsigned length) {
  if (!out) return NVML_ERROR_INVALID_ARGUMENT;
  if (s.size() + 1 > length) return NVML_ERROR_INSUFFICIENT_SIZE;
  std::memcpy(out, s.c_str(), s.size() + 1);
  return NVML_SUCCESS;
}

std::string uuid_of(int i) {
  char text[64];
  std::snprintf(text, sizeof text, "GPU-fa4e0000-0000-4000-8000-%012d", i);
  return text;
}
unsigned bus_of(int i) { return 0x17 + 0x20 * static_cast<unsigned>(i); }

[[maybe_unused]] double busy_fraction() {
  const double dynamic = state.last_reading_w - state.config.idle_w;
  return std::clamp(dynamic / 200.0, 0.0, 1.0);
}

}  // namespace

extern "C" {

#ifndef FAKE_NVML_OMIT_INIT
nvmlReturn_t nvmlInit_v2() {
  std::lock_guard<std::mutex> lock(mutex);
  if (state.init_count == 0) {
    const Config c = read_config();
    if (c.fail_init) return NVML_ERROR_DRIVER_NOT_LOADED;
    state = State{};
    state.config = c;
    state.t_ns = monotonic_ns();
    state.init_ns = state.t_ns;
    // As if idle since the current period began, so the first reading is not short.
    const int64_t period_start = state.t_ns / c.period_ns * c.period_ns;
    const int64_t seen_ns = std::max<int64_t>(1, std::llround(c.duty * static_cast<double>(c.period_ns)));
    state.window_j = c.idle_w * std::min<int64_t>(state.t_ns - period_start, seen_ns) * 1e-9;
    state.cpu_s = process_cpu_s();
    state.last_reading_w = c.idle_w;
    if (!c.log.empty()) {
      log_stop = false;
      log_thread = std::thread(log_loop, c);
    }
  }
  ++state.init_count;
  return NVML_SUCCESS;
}
#endif

nvmlReturn_t nvmlShutdown() {
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (state.init_count == 0) return NVML_ERROR_UNINITIALIZED;
    if (--state.init_count > 0) return NVML_SUCCESS;
  }
  // The log's thread takes the mutex: joined outside it.
  log_stop = true;
  if (log_thread.joinable()) log_thread.join();
  return NVML_SUCCESS;
}

const char* nvmlErrorString(nvmlReturn_t rc) {
  switch (rc) {
    case NVML_SUCCESS: return "Success";
    case NVML_ERROR_UNINITIALIZED: return "Uninitialized";
    case NVML_ERROR_INVALID_ARGUMENT: return "Invalid Argument";
    case NVML_ERROR_NOT_SUPPORTED: return "Not Supported";
    case NVML_ERROR_NOT_FOUND: return "Not Found";
    case NVML_ERROR_INSUFFICIENT_SIZE: return "Insufficient Size";
    case NVML_ERROR_DRIVER_NOT_LOADED: return "Driver Not Loaded";
  }
  return "Unknown Error";
}

nvmlReturn_t nvmlDeviceGetCount_v2(unsigned* count) {
  std::lock_guard<std::mutex> lock(mutex);
  if (state.init_count == 0) return NVML_ERROR_UNINITIALIZED;
  if (!count) return NVML_ERROR_INVALID_ARGUMENT;
  *count = static_cast<unsigned>(state.config.devices);
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned index, nvmlDevice_t* device) {
  std::lock_guard<std::mutex> lock(mutex);
  if (state.init_count == 0) return NVML_ERROR_UNINITIALIZED;
  if (!device || index >= static_cast<unsigned>(state.config.devices)) return NVML_ERROR_INVALID_ARGUMENT;
  *device = &devices[index];
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetHandleByUUID(const char* uuid, nvmlDevice_t* device) {
  std::lock_guard<std::mutex> lock(mutex);
  if (state.init_count == 0) return NVML_ERROR_UNINITIALIZED;
  if (!uuid || !device) return NVML_ERROR_INVALID_ARGUMENT;
  for (int i = 0; i < state.config.devices; ++i)
    if (uuid_of(i) == uuid) {
      *device = &devices[i];
      return NVML_SUCCESS;
    }
  return NVML_ERROR_NOT_FOUND;
}

// Accepts "domain:bus:device.function" with a 4- or 8-digit domain, as NVML does.
nvmlReturn_t nvmlDeviceGetHandleByPciBusId_v2(const char* bus_id, nvmlDevice_t* device) {
  std::lock_guard<std::mutex> lock(mutex);
  if (state.init_count == 0) return NVML_ERROR_UNINITIALIZED;
  if (!bus_id || !device) return NVML_ERROR_INVALID_ARGUMENT;
  unsigned domain = 0, bus = 0, dev = 0, function = 0;
  if (std::sscanf(bus_id, "%x:%x:%x.%x", &domain, &bus, &dev, &function) != 4) return NVML_ERROR_INVALID_ARGUMENT;
  for (int i = 0; i < state.config.devices; ++i)
    if (domain == 0 && bus == bus_of(i) && dev == 0 && function == 0) {
      *device = &devices[i];
      return NVML_SUCCESS;
    }
  return NVML_ERROR_NOT_FOUND;
}

nvmlReturn_t nvmlDeviceGetPowerUsage(nvmlDevice_t device, unsigned* mw) {
  FAKE_DEVICE_ENTRY(device);
  if (!mw) return NVML_ERROR_INVALID_ARGUMENT;
  if (state.config.fail_power) return NVML_ERROR_NOT_SUPPORTED;
  const int n = std::min(state.readings, kAverageReadings);
  double sum = 0;
  for (int i = 0; i < n; ++i) sum += state.readings_w[i];
  *mw = static_cast<unsigned>(std::lround(1000 * (n ? sum / n : state.config.idle_w)));
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetFieldValues(nvmlDevice_t device, int count, nvmlFieldValue_t* values) {
  FAKE_DEVICE_ENTRY(device);
  if (count < 0 || (count > 0 && !values)) return NVML_ERROR_INVALID_ARGUMENT;
  for (int i = 0; i < count; ++i) {
    nvmlFieldValue_t& f = values[i];
    f.timestamp = state.t_ns / 1000;
    f.latencyUsec = 0;
    if (f.fieldId == NVML_FI_DEV_POWER_AVERAGE && f.scopeId == NVML_POWER_SCOPE_MEMORY && !state.config.fail_memory) {
      const Config& c = state.config;
      f.nvmlReturn = NVML_SUCCESS;
      f.valueType = NVML_VALUE_TYPE_UNSIGNED_INT;
      f.value.uiVal = static_cast<unsigned>(
          std::lround(1000 * (c.memory_w + c.memory_share * std::max(0.0, state.last_reading_w - c.idle_w))));
      continue;
    }
    if (f.fieldId != NVML_FI_DEV_POWER_INSTANT || state.config.fail_instant) {
      f.nvmlReturn = NVML_ERROR_NOT_SUPPORTED;  // as drivers do: the call succeeds, the field does not
      continue;
    }
    f.nvmlReturn = NVML_SUCCESS;
    f.valueType = NVML_VALUE_TYPE_UNSIGNED_INT;
    ++state.instant_reads;
    const bool spike = state.config.spike_every > 0 && state.instant_reads % state.config.spike_every == 0;
    f.value.uiVal = static_cast<unsigned>(std::lround(1000 * (spike ? state.config.spike_w : state.last_reading_w)));
  }
  return NVML_SUCCESS;
}

#ifndef FAKE_NVML_OMIT_ENERGY
nvmlReturn_t nvmlDeviceGetTotalEnergyConsumption(nvmlDevice_t device, unsigned long long* mj) {
  FAKE_DEVICE_ENTRY(device);
  if (!mj) return NVML_ERROR_INVALID_ARGUMENT;
  if (state.config.fail_counter) return NVML_ERROR_NOT_SUPPORTED;
  // From an arbitrary origin per device ("since the driver loaded").
  const Config& c = state.config;
  double reported_j = c.counter_scale * state.counter_j;
  if (c.backstep_s >= 0 && (state.t_ns - state.init_ns) * 1e-9 >= c.backstep_s) reported_j -= c.backstep_j;
  *mj = 123456789ull * (device->index + 1) + static_cast<unsigned long long>(std::floor(std::max(0.0, reported_j) * 1000));
  return NVML_SUCCESS;
}
#endif

#ifndef FAKE_NVML_OMIT_STATE
nvmlReturn_t nvmlDeviceGetIndex(nvmlDevice_t device, unsigned* index) {
  FAKE_DEVICE_ENTRY(device);
  if (!index) return NVML_ERROR_INVALID_ARGUMENT;
  *index = static_cast<unsigned>(device->index);
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t device, char* name, unsigned length) {
  FAKE_DEVICE_ENTRY(device);
  return copy_string("Fake NVML GPU " + std::to_string(device->index), name, length);
}

nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t device, char* uuid, unsigned length) {
  FAKE_DEVICE_ENTRY(device);
  return copy_string(uuid_of(device->index), uuid, length);
}

nvmlReturn_t nvmlDeviceGetPciInfo_v3(nvmlDevice_t device, nvmlPciInfo_t* pci) {
  FAKE_DEVICE_ENTRY(device);
  if (!pci) return NVML_ERROR_INVALID_ARGUMENT;
  *pci = nvmlPciInfo_t{};
  pci->bus = bus_of(device->index);
  pci->pciDeviceId = 0x233010de;  // vendor NVIDIA, an H100's device id
  std::snprintf(pci->busIdLegacy, sizeof pci->busIdLegacy, "0000:%02X:00.0", pci->bus);
  std::snprintf(pci->busId, sizeof pci->busId, "00000000:%02X:00.0", pci->bus);
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlSystemGetDriverVersion(char* version, unsigned length) {
  std::lock_guard<std::mutex> lock(mutex);
  if (state.init_count == 0) return NVML_ERROR_UNINITIALIZED;
  return copy_string("999.99-fake", version, length);
}

// Temperature follows the sensed power: 35 C plus 0.1 C per watt above idle.
nvmlReturn_t nvmlDeviceGetTemperatureV(nvmlDevice_t device, nvmlTemperature_v1_t* t) {
  FAKE_DEVICE_ENTRY(device);
  if (!t || t->version != nvmlTemperature_v1 || t->sensorType != NVML_TEMPERATURE_GPU) return NVML_ERROR_INVALID_ARGUMENT;
  t->temperature = static_cast<int>(std::lround(35 + 0.1 * std::max(0.0, state.last_reading_w - state.config.idle_w)));
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetTemperature(nvmlDevice_t device, int sensor, unsigned* c) {
  FAKE_DEVICE_ENTRY(device);
  if (!c || sensor != NVML_TEMPERATURE_GPU) return NVML_ERROR_INVALID_ARGUMENT;
  *c = static_cast<unsigned>(std::lround(35 + 0.1 * std::max(0.0, state.last_reading_w - state.config.idle_w)));
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetClockInfo(nvmlDevice_t device, int type, unsigned* mhz) {
  FAKE_DEVICE_ENTRY(device);
  if (!mhz) return NVML_ERROR_INVALID_ARGUMENT;
  if (type == NVML_CLOCK_SM) *mhz = busy_fraction() > 0.05 ? 1980 : 345;
  else if (type == NVML_CLOCK_MEM) *mhz = 2619;
  else return NVML_ERROR_NOT_SUPPORTED;
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetPerformanceState(nvmlDevice_t device, int* pstate) {
  FAKE_DEVICE_ENTRY(device);
  if (!pstate) return NVML_ERROR_INVALID_ARGUMENT;
  *pstate = busy_fraction() > 0.05 ? 0 : 8;
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetUtilizationRates(nvmlDevice_t device, nvmlUtilization_t* util) {
  FAKE_DEVICE_ENTRY(device);
  if (!util) return NVML_ERROR_INVALID_ARGUMENT;
  util->gpu = static_cast<unsigned>(std::lround(100 * busy_fraction()));
  util->memory = util->gpu / 2;
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetCurrentClocksEventReasons(nvmlDevice_t device, unsigned long long* reasons) {
  FAKE_DEVICE_ENTRY(device);
  if (!reasons) return NVML_ERROR_INVALID_ARGUMENT;
  *reasons = state.config.reasons;
  return NVML_SUCCESS;
}

// The caller's own process first, then `processes` others.
nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v3(nvmlDevice_t device, unsigned* count, nvmlProcessInfo_t* infos) {
  FAKE_DEVICE_ENTRY(device);
  if (!count) return NVML_ERROR_INVALID_ARGUMENT;
  const unsigned n = 1 + static_cast<unsigned>(state.config.processes);
  if (*count < n || !infos) {
    *count = n;
    return NVML_ERROR_INSUFFICIENT_SIZE;
  }
  for (unsigned i = 0; i < n; ++i)
    infos[i] = nvmlProcessInfo_t{i == 0 ? static_cast<unsigned>(::getpid()) : 4000000 + i, 1u << 30, 0, 0};
  *count = n;
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetEnforcedPowerLimit(nvmlDevice_t device, unsigned* mw) {
  FAKE_DEVICE_ENTRY(device);
  if (!mw) return NVML_ERROR_INVALID_ARGUMENT;
  *mw = 700000;
  return NVML_SUCCESS;
}
#endif

#ifndef FAKE_NVML_OMIT_GPM
}  // extern "C"

struct nicenergy::nvml::nvmlGpmSample_st {
  bool taken = false;
  int64_t t_ns = 0;
  double busy_s = 0;
};

extern "C" {

nvmlReturn_t nvmlGpmQueryDeviceSupport(nvmlDevice_t device, nvmlGpmSupport_t* support) {
  FAKE_DEVICE_ENTRY(device);
  if (!support) return NVML_ERROR_INVALID_ARGUMENT;
  if (support->version != NVML_GPM_SUPPORT_VERSION) return NVML_ERROR_ARGUMENT_VERSION_MISMATCH;
  support->isSupportedDevice = state.config.gpm ? 1 : 0;
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlGpmSampleAlloc(nvmlGpmSample_t* sample) {
  if (!sample) return NVML_ERROR_INVALID_ARGUMENT;
  *sample = new nvmlGpmSample_st{};
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlGpmSampleFree(nvmlGpmSample_t sample) {
  if (!sample) return NVML_ERROR_INVALID_ARGUMENT;
  delete sample;
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlGpmSampleGet(nvmlDevice_t device, nvmlGpmSample_t sample) {
  FAKE_DEVICE_ENTRY(device);
  if (!sample) return NVML_ERROR_INVALID_ARGUMENT;
  if (!state.config.gpm) return NVML_ERROR_NOT_SUPPORTED;
  sample->taken = true;
  sample->t_ns = state.t_ns;
  sample->busy_s = state.busy_s;
  return NVML_SUCCESS;
}

// The busy fraction between the two samples x each metric's configured utilisation.
nvmlReturn_t nvmlGpmMetricsGet(nvmlGpmMetricsGet_t* get) {
  std::lock_guard<std::mutex> lock(mutex);
  if (!get) return NVML_ERROR_INVALID_ARGUMENT;
  if (get->version != NVML_GPM_METRICS_GET_VERSION) return NVML_ERROR_ARGUMENT_VERSION_MISMATCH;
  if (!get->sample1 || !get->sample2 || !get->sample1->taken || !get->sample2->taken ||
      get->sample2->t_ns <= get->sample1->t_ns || get->numMetrics > NVML_GPM_METRIC_MAX)
    return NVML_ERROR_INVALID_ARGUMENT;
  const double busy = (get->sample2->busy_s - get->sample1->busy_s) / ((get->sample2->t_ns - get->sample1->t_ns) * 1e-9);
  const Config& c = state.config;
  for (unsigned i = 0; i < get->numMetrics; ++i) {
    nvmlGpmMetric_t& m = get->metrics[i];
    m.nvmlReturn = NVML_SUCCESS;
    if (m.metricId == NVML_GPM_METRIC_SM_UTIL) m.value = c.sm_util * busy;
    else if (m.metricId == NVML_GPM_METRIC_DRAM_BW_UTIL) m.value = c.dram_util * busy;
    else if (m.metricId == NVML_GPM_METRIC_ANY_TENSOR_UTIL) m.value = c.tensor_util * busy;
    else m.nvmlReturn = NVML_ERROR_NOT_SUPPORTED;
  }
  return NVML_SUCCESS;
}
#endif

// --- test-only controls ---------------------------------------------------------

void fake_nvml_set_dynamic_w(double w) {
  std::lock_guard<std::mutex> lock(mutex);
  if (state.init_count > 0) advance();  // the old power up to now, the new one from now
  state.scripted_w = w;
}

double fake_nvml_dynamic_energy_j() {
  std::lock_guard<std::mutex> lock(mutex);
  if (state.init_count > 0) advance();
  return state.dynamic_j;
}

double fake_nvml_true_energy_j() {
  std::lock_guard<std::mutex> lock(mutex);
  if (state.init_count > 0) advance();
  return state.energy_j;
}

}  // extern "C"

// The signatures must be the ones nicenergy calls through (src/meters/nvml_api.h).
#ifndef FAKE_NVML_OMIT_INIT
static_assert(std::is_same_v<decltype(nvmlInit_v2), Init_v2_fn>);
#endif
static_assert(std::is_same_v<decltype(nvmlShutdown), Shutdown_fn>);
static_assert(std::is_same_v<decltype(nvmlErrorString), ErrorString_fn>);
static_assert(std::is_same_v<decltype(nvmlDeviceGetCount_v2), DeviceGetCount_v2_fn>);
static_assert(std::is_same_v<decltype(nvmlDeviceGetHandleByIndex_v2), DeviceGetHandleByIndex_v2_fn>);
static_assert(std::is_same_v<decltype(nvmlDeviceGetHandleByUUID), DeviceGetHandleByUUID_fn>);
static_assert(std::is_same_v<decltype(nvmlDeviceGetHandleByPciBusId_v2), DeviceGetHandleByPciBusId_v2_fn>);
static_assert(std::is_same_v<decltype(nvmlDeviceGetPowerUsage), DeviceGetPowerUsage_fn>);
static_assert(std::is_same_v<decltype(nvmlDeviceGetFieldValues), DeviceGetFieldValues_fn>);
#ifndef FAKE_NVML_OMIT_ENERGY
static_assert(std::is_same_v<decltype(nvmlDeviceGetTotalEnergyConsumption), DeviceGetTotalEnergyConsumption_fn>);
#endif
#ifndef FAKE_NVML_OMIT_STATE
static_assert(std::is_same_v<decltype(nvmlDeviceGetIndex), DeviceGetIndex_fn>);
static_assert(std::is_same_v<decltype(nvmlDeviceGetName), DeviceGetName_fn>);
static_assert(std::is_same_v<decltype(nvmlDeviceGetUUID), DeviceGetUUID_fn>);
static_assert(std::is_same_v<decltype(nvmlDeviceGetPciInfo_v3), DeviceGetPciInfo_v3_fn>);
static_assert(std::is_same_v<decltype(nvmlSystemGetDriverVersion), SystemGetDriverVersion_fn>);
static_assert(std::is_same_v<decltype(nvmlDeviceGetTemperatureV), DeviceGetTemperatureV_fn>);
static_assert(std::is_same_v<decltype(nvmlDeviceGetTemperature), DeviceGetTemperature_fn>);
static_assert(std::is_same_v<decltype(nvmlDeviceGetClockInfo), DeviceGetClockInfo_fn>);
static_assert(std::is_same_v<decltype(nvmlDeviceGetPerformanceState), DeviceGetPerformanceState_fn>);
static_assert(std::is_same_v<decltype(nvmlDeviceGetUtilizationRates), DeviceGetUtilizationRates_fn>);
static_assert(std::is_same_v<decltype(nvmlDeviceGetEnforcedPowerLimit), DeviceGetEnforcedPowerLimit_fn>);
static_assert(std::is_same_v<decltype(nvmlDeviceGetCurrentClocksEventReasons), DeviceGetCurrentClocksEventReasons_fn>);
static_assert(std::is_same_v<decltype(nvmlDeviceGetComputeRunningProcesses_v3), DeviceGetComputeRunningProcesses_v3_fn>);
#endif
#ifndef FAKE_NVML_OMIT_GPM
static_assert(std::is_same_v<decltype(nvmlGpmQueryDeviceSupport), GpmQueryDeviceSupport_fn>);
static_assert(std::is_same_v<decltype(nvmlGpmSampleAlloc), GpmSampleAlloc_fn>);
static_assert(std::is_same_v<decltype(nvmlGpmSampleFree), GpmSampleFree_fn>);
static_assert(std::is_same_v<decltype(nvmlGpmSampleGet), GpmSampleGet_fn>);
static_assert(std::is_same_v<decltype(nvmlGpmMetricsGet), GpmMetricsGet_fn>);
#endif
