// The measurement protocol of Herglotz et al. (ICIP), Section 3, one function per
// step: idle reference, preheat, calibration of M, K windows with K chosen at run
// time by a confidence interval. Torch-free: the network comes in as a Workload.
//
// Energy sources and window edges are the EnergyMonitor's (meters/window.h): a
// window's energy is the counter difference where the meter has a counter
// (method "counter", or "estimate" for the CPU estimate) and the integrated
// power samples otherwise ("samples"); both are kept where both exist. Eq. (1)
// is dynamic_energy_j() there. Windows of >= 1 s are recommended (the paper
// uses 5 s): the NVML counter updates only every ~100 ms.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "meters/power_meter.h"
#include "meters/sampler.h"
#include "meters/trace_csv.h"
#include "meters/window.h"
#include "protocol/record.h"
#include "protocol/stop_rule.h"

namespace nicenergy {

// One execution of the network, and a wait for the device (no-op on CPU; an
// empty function is a no-op too).
struct Workload {
  std::function<void()> run_once;
  std::function<void()> synchronize;
};

using ProgressFn = std::function<void(const std::string& stage, double fraction)>;

struct ProtocolConfig {
  double idle_s = 120;                 // idle reference length
  double preheat_target_c = 80;        // preheat until this temperature...
  double preheat_stable_delta_c = 0.5; // ...or until it moves less than this...
  double preheat_stable_window_s = 30; // ...over this long...
  double preheat_max_s = 600;          // ...or this long at most
  double preheat_no_sensor_s = 60;     // without a temperature sensor: preheat this long (capped by preheat_max_s; 0 skips)
  double preheat_check_s = 1;          // temperature read period
  double window_s = 5;                 // one measurement window lasts at least this
  double confidence = 0.95;
  double ci_target = 0.02;             // stop when CI half-width <= ci_target x mean
  int k_min = 3;
  int k_max = 30;
  double sample_hz = 10;               // the paper's 10 Hz; up to 1000
  double counter_edge_wait_s = 0.25;   // align window edges to counter ticks; 0 turns it off
  // Hardening against the sensor's known failure modes (issue 10; README "How accurate is this?").
  double hot_idle_s = 30;              // hot idle reference after preheat (0: none, Eq. (1) uses the cold one)
  double phase_shift_periods = 1;      // random delay of up to this many counter periods before each window's executions (0: in phase)
  int phase_seed = 0;                  // seed of those delays (recorded)
  double disagreement_max = 0.1;       // warn when counter and samples differ by more than this fraction
  double max_power_w = 3000;           // readings above this (or below 0) are implausible: dropped, warned
  double lag_probe_s = 2;              // at the start of preheat: step response this long to estimate field lags (0: off)
  ProgressFn progress;                 // stage ("idle", "preheat", "calibrate", "measure"), fraction 0..1
};
// Throws Error naming the first impossible value; the bounds are the settings
// table's (protocol/settings.h, where it is defined).
void validate(const ProtocolConfig& config);

struct IdleReference {
  double start_s = 0, end_s = 0;
  std::optional<double> start_temperature_c, end_temperature_c;
  std::optional<double> counter_power_w;  // counter difference / duration
  std::optional<double> samples_power_w;  // integrated samples / duration
  double idle_power_w = 0;                // the protocol's method's value
  std::optional<EnergyMethod> method;     // none: given, not measured (idle_from_power)
  size_t samples = 0;
  std::optional<double> host_idle_power_w;  // the host meter's over the same span, where there is one
};
// An idle power known from elsewhere (a campaign's last idle reference).
IdleReference idle_from_power(double idle_power_w);

enum class PreheatOutcome { target_reached, stable, time_limit, no_sensor, skipped };
std::string to_string(PreheatOutcome outcome);  // "target temperature reached", "temperature stable", "time limit", "no temperature sensor", "skipped"
struct PreheatResult {
  PreheatOutcome outcome = PreheatOutcome::skipped;
  double duration_s = 0;
  int64_t executions = 0;
  std::optional<double> start_temperature_c, end_temperature_c;
};

struct Calibration {
  int64_t m = 1;             // executions per window
  double duration_s = 0;     // per execution, as timed
  int64_t timed_executions = 0;  // after one untimed warm-up execution
  double timed_s = 0;
  int recalibrations = 0;  // windows redone with a larger M because they ran short
};
// At most this many windows are redone for running shorter than window_s.
constexpr int kMaxRecalibrations = 3;

struct WindowMeasurement {
  int index = 0;
  double start_s = 0, end_s = 0;     // window edges (meter clock)
  double exec_s = 0;                 // time spent in the M executions
  int64_t m = 0;
  std::optional<double> counter_energy_j;  // energy over the window, counter
  std::optional<double> samples_energy_j;  // energy over the window, integrated samples
  std::optional<double> counter_dynamic_j; // Eq. (1) per execution, each method
  std::optional<double> samples_dynamic_j;
  double energy_j = 0;          // over the window, the protocol's method
  double dynamic_energy_j = 0;  // per execution, the protocol's method, Eq. (1)
  double mean_power_w = 0;
  size_t samples = 0;           // power samples inside the window
  // Edge accounting: the window runs from a counter tick to a counter tick;
  // the executions from exec_start_s to exec_end_s inside it. The waits in
  // between (phase delay, wait for the closing tick) are not charged to the
  // executions: their energy is estimated from the counter's power over the
  // tick period just before the start (resp. just after the end) edge and taken
  // off, and Eq. (1) uses exec_s as the window length.
  double exec_start_s = 0, exec_end_s = 0;
  double phase_delay_s = 0;                 // random delay before the executions (recorded)
  double edge_s = 0;                        // (exec_start - start) + (end - exec_end)
  double edge_energy_j = 0;                 // estimated energy of those waits (0 without edges)
  double exec_energy_j = 0;                 // energy_j - edge_energy_j: what the executions are charged
  std::optional<double> edge_power_before_w, edge_power_after_w;  // the powers used for it
  std::optional<double> cold_dynamic_j, hot_dynamic_j;  // Eq. (1) against each idle reference
  std::vector<std::string> warnings;        // sanity (counter vs samples, non-monotone, implausible)
  // What else the GPU tells, where it does (none: not supported, recorded as absent).
  std::optional<double> memory_energy_j;    // memory-scope power over the executions (NVML, H100)
  std::optional<double> rest_energy_j;      // exec_energy_j - memory_energy_j
  std::optional<uint64_t> clock_event_reasons;  // at the window's end
  std::optional<int> other_processes;           // other compute processes at the window's end
  GpmMetrics gpm;                               // GPM means over the executions (NVML, Hopper)
  // The host meter over the executions alone (its counter is fine-grained, so
  // no edges): energy, and Eq. (1) per execution against the host idle power.
  std::optional<double> host_energy_j, host_dynamic_j;
  double length_s() const { return end_s - start_s; }
};

// Lag of one power field behind a step of the load, from a step response.
struct FieldLag {
  std::string field;              // "instant", "average", ...
  std::optional<double> lag_s;    // step to half-way between the levels; none: no step seen
  double before_w = 0, after_w = 0;
  size_t readings = 0;
};

struct ProtocolResult {
  std::string meter;    // "nvml", ...
  EnergyMethod method = EnergyMethod::samples;
  bool estimate = false;
  std::map<std::string, std::string> meter_metadata;
  ProtocolConfig config;  // as used (progress dropped in JSON)
  double counter_update_s = 0;   // measured counter update period (0: no counter)
  double started_s = 0, finished_s = 0;
  IdleReference idle;             // the one Eq. (1) used (hot where there is one)
  std::optional<IdleReference> idle_cold, idle_hot;  // the paper's (before the model is loaded) and after preheat
  std::string idle_reference;     // "hot", "cold" or "given"
  std::optional<double> energy_cold_j, energy_hot_j;  // Eq. (1) against each, mean over the windows
  std::vector<FieldLag> field_lags;                  // step response at the start of preheat
  std::vector<std::string> warnings;                 // every sanity warning of the run, never silent
  std::optional<double> memory_share;               // memory energy / executions' energy over the windows
  GpmMetrics gpm;                                    // each metric's mean over the windows (where every window has it)
  // The host CPU's side where a host meter ran beside the device's (a GPU's
  // stage with entropy coding on the CPU): empty otherwise, or where a window
  // or the idle reference lacks it.
  std::string host_meter;                 // "rapl", "estimate", ...
  bool host_estimate = false;             // the host meter is the CPU-time estimate
  std::optional<double> host_idle_power_w;
  std::optional<double> host_energy_j;    // Eq. (1) per execution, mean over the windows
  PreheatResult preheat;
  Calibration calibration;
  std::vector<WindowMeasurement> windows;
  double idle_power_w = 0;
  double mean_power_w = 0;       // over the windows
  double energy_j = 0;           // dynamic energy per execution: mean over windows
  double energy_ci_j = 0;        // half-width of its confidence interval
  double ci_relative = 0;        // energy_ci_j / energy_j
  int k = 0;
  int64_t m = 0;
  double duration_s = 0;         // wall time per execution
  StopOutcome stop = StopOutcome::more;
  DeviceState state_before, state_after;
  std::vector<PowerSample> samples;        // the power trace of the run (Fig. 1)
  std::vector<EnergySample> energy_samples;
};

class Protocol {
 public:
  // Validates the config and starts sampling `meter` (on `clock`, steady when null).
  Protocol(PowerMeter& meter, ProtocolConfig config = {}, Clock* clock = nullptr);
  // A second meter for the host CPU, read over the same idle references and
  // executions (the networks on a GPU, entropy coding on the CPU). Starts
  // sampling it; throws Error when it is unavailable.
  void add_host_meter(PowerMeter& host);
  ~Protocol();
  Protocol(const Protocol&) = delete;
  Protocol& operator=(const Protocol&) = delete;

  // 1. Mean power over idle_s with nothing running.
  IdleReference measure_idle();
  // 2. Runs the workload until hot, stable, or out of time.
  PreheatResult preheat(const Workload& workload);
  // 3. Times executions; M so that one window lasts >= window_s (M >= 1).
  Calibration calibrate(const Workload& workload);
  // 4. One window of M executions; dynamic energy per execution by Eq. (1).
  WindowMeasurement measure_window(const Workload& workload, int index, int64_t m, const IdleReference& idle);
  // 1b. The hot idle reference: hot_idle_s with the context and model resident, after preheat.
  IdleReference measure_hot_idle();
  // Step response: idle readings, then the workload for lag_probe_s; the lag of each power field.
  std::vector<FieldLag> probe_field_lags(const Workload& workload);
  // All steps; 5. K chosen by stop_decision. A given cold idle reference skips
  // step 1; a given hot one skips 1b (a campaign reuses both between preheats).
  ProtocolResult run(const Workload& workload, std::optional<IdleReference> idle = std::nullopt, bool preheat = true,
                     std::optional<IdleReference> hot_idle = std::nullopt);

  EnergyMethod method() const { return monitor_.method(); }
  Sampler& sampler() { return monitor_.sampler(); }
  EnergyMonitor& monitor() { return monitor_; }

 private:
  void report(const std::string& stage, double fraction) const;
  // measure_window's parts: the M executions between the window's edges; the
  // sanity findings; edge accounting and Eq. (1) per method; what the device
  // says of itself at the end.
  WindowEnergy run_window(const Workload& workload, const IdleReference& idle, WindowMeasurement& w);
  void check_window(WindowMeasurement& w, const std::string& name);
  void account_window(WindowMeasurement& w, const WindowEnergy& energy, const IdleReference& idle,
                      const std::string& name);
  void note_device_state(WindowMeasurement& w, const std::string& name);
  // run's parts: the K windows until the stopping rule says enough; the
  // run-level findings (sampling, idle references).
  StopDecision measure_windows(const Workload& workload, ProtocolResult& r);
  void add_run_findings(ProtocolResult& r);

  PowerMeter& meter_;
  ProtocolConfig config_;
  Clock& clock_;
  EnergyMonitor monitor_;
  std::unique_ptr<EnergyMonitor> host_monitor_;  // null without a host meter
  uint64_t phase_state_ = 0;  // splitmix64 state of the phase delays
  double next_phase_delay_s();
  std::vector<std::string> sampler_warnings(double t0_s, double t1_s);
};

// The fields of a lag probe: per field, the readings (t_s, W) and the step time.
std::vector<FieldLag> estimate_field_lags(const std::map<std::string, std::vector<PowerSample>>& readings,
                                          double step_s);

// time_s (from the first sample), power_w, window (index, or -1 outside windows):
// the data of the paper's Fig. 1. Readable back by read_power_trace_csv.
// (meters/trace_csv.h writes it.)
inline void write_trace_csv(const std::string& path, const std::vector<PowerSample>& samples,
                            const std::vector<WindowMeasurement>& windows) {
  std::vector<TraceWindow> marks;
  for (const WindowMeasurement& w : windows) marks.push_back({w.index, w.start_s, w.end_s});
  write_power_trace_csv(path, samples, marks);
}
// energy_j, energy_ci_j, k, m, duration_s, idle_power_w, mean_power_w, meter,
// method, and the hardening columns (idle references, warnings, ...).
void fill_record(const ProtocolResult& result, MeasurementRecord& record);
// What every workload's record shares, whatever the codec: the image and its
// sizes, the protocol's result (fill_record), the device and the start. The
// LibTorch runtime fields are the torch side's (fill_runtime).
void fill_measured_fields(MeasurementRecord& record, const std::string& image, int width, int height, int padded_width,
                          int padded_height, const ProtocolResult& result, const std::string& device_description,
                          const std::string& started_at);

}  // namespace nicenergy
