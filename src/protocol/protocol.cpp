// The paper's protocol (Sec. 3): its course from the idle reference to the
// last window; the steps are in protocol_idle.cpp (idle references, preheat),
// protocol_window.cpp (calibration, windows) and protocol_summary.cpp.
#include "protocol/protocol.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "error.h"
#include "io/numbers.h"
#include "meters/power_integral.h"
#include "protocol/protocol_detail.h"
#include "protocol/resolution.h"
#include "protocol/settings.h"
#include <chrono>
#include <thread>

namespace nicenergy {

using protocol_detail::require_run_once;
using protocol_detail::sync;

IdleReference idle_from_power(double idle_power_w) {
  IdleReference idle;
  idle.counter_power_w = idle_power_w;
  idle.samples_power_w = idle_power_w;
  idle.idle_power_w = idle_power_w;
  return idle;
}

std::string to_string(PreheatOutcome outcome) {
  switch (outcome) {
    case PreheatOutcome::target_reached: return "target temperature reached";
    case PreheatOutcome::stable: return "temperature stable";
    case PreheatOutcome::time_limit: return "time limit";
    case PreheatOutcome::no_sensor: return "no temperature sensor";
    case PreheatOutcome::skipped: return "skipped";
  }
  return "";
}

namespace {

// An idle reference must span this many of the meter's readings (sample
// intervals, or counter updates where edges wait for ticks). Shorter, the idle
// power is one reading, or the protocol's own work between two edges: idle_s 0
// on the estimate gave an idle power above the busy one and -3.4 J per execution.
constexpr double kMinIdleReadings = 2;

// Refuses an idle reference (cold: idle_s, hot: hot_idle_s) the meter cannot resolve.
void check_idle_length(const ProtocolConfig& config, EnergyMonitor& monitor, const std::string& meter) {
  const double sample_s = 1 / config.sample_hz;
  // The measured tick period, to the nearest 10 ms: timing jitter must not move the bound.
  const double counter_s = monitor.aligned_edges() ? std::round(monitor.counter_update_s() * 100) / 100 : 0;
  const double min_s = kMinIdleReadings * std::max(sample_s, counter_s);
  const std::string basis = counter_s > 0 && counter_s >= sample_s ? "its counter updates every " + short_number_text(counter_s, 3) + " s"
                                                 : "a sample every " + short_number_text(sample_s, 3) + " s at sample_hz " +
                                                       short_number_text(config.sample_hz, 3);
  // The bound as printed, rounded up to 3 digits, so that the value it suggests passes.
  const double scale = std::pow(10.0, std::floor(std::log10(min_s)) - 2);
  const double min_text_s = std::ceil(min_s / scale - 1e-6) * scale;
  auto check = [&](double seconds, const char* name, const char* option, const char* zero) {
    if (seconds >= min_s * (1 - 1e-6)) return;
    throw Error(std::string(name) + " = " + short_number_text(seconds, 3) + " s is too short for meter " + meter +
                ": an idle reference needs at least " + short_number_text(min_text_s, 3) + " s (" +
                short_number_text(kMinIdleReadings, 3) + " readings; " + basis + "); set " + option + " " +
                short_number_text(min_text_s, 3) + " or more" + zero);
  };
  check(config.idle_s, "idle_s", "--idle-s", "");
  if (config.hot_idle_s > 0) check(config.hot_idle_s, "hot_idle_s", "--hot-idle-s", " (0: no hot idle reference)");
}

}  // namespace

Protocol::Protocol(PowerMeter& meter, ProtocolConfig config, Clock* clock)
    : meter_(meter),
      config_((validate(config), std::move(config))),
      clock_(clock ? *clock : steady_clock_instance()),
      monitor_(meter, config_.sample_hz, &clock_, config_.counter_edge_wait_s),
      phase_state_(0x9e3779b97f4a7c15ull ^ static_cast<uint64_t>(config_.phase_seed)) {
  monitor_.sampler().set_max_power_w(config_.max_power_w);
  check_idle_length(config_, monitor_, meter_.name());
}

void Protocol::add_host_meter(PowerMeter& host) {
  // No waiting for ticks: RAPL's counter and the estimate's are fine-grained.
  host_monitor_ = std::make_unique<EnergyMonitor>(host, config_.sample_hz, &clock_, 0.0);
  host_monitor_->sampler().set_max_power_w(config_.max_power_w);
}

// splitmix64: the same seed gives the same delays on every platform (std::
// distributions do not promise that).
double Protocol::next_phase_delay_s() {
  if (config_.phase_shift_periods <= 0) return 0;
  uint64_t z = (phase_state_ += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  z ^= z >> 31;
  const double u = static_cast<double>(z >> 11) * 0x1.0p-53;  // [0, 1)
  // One period of what decides the phase: the counter's ticks where edges sit on
  // them, else the sampling period (a part-time sensor's period is not known).
  const double period_s = monitor_.aligned_edges() ? monitor_.counter_update_s() : 1.0 / config_.sample_hz;
  return u * config_.phase_shift_periods * period_s;
}

std::vector<std::string> Protocol::sampler_warnings(double t0_s, double t1_s) {
  std::vector<std::string> out;
  const std::vector<SampleRejection> rejected = monitor_.sampler().rejections(t0_s, t1_s);
  if (rejected.empty()) return out;
  out.push_back(std::to_string(rejected.size()) + " reading(s) dropped as implausible, first: " + rejected.front().what);
  return out;
}

Protocol::~Protocol() = default;

void Protocol::report(const std::string& stage, double fraction) const {
  if (config_.progress) config_.progress(stage, std::min(1.0, std::max(0.0, fraction)));
}

ProtocolResult Protocol::run(const Workload& workload, std::optional<IdleReference> idle, bool do_preheat,
                             std::optional<IdleReference> hot_idle) {
  require_run_once(workload);
  ProtocolResult r;
  r.meter = meter_.name();
  r.method = monitor_.method();
  r.estimate = meter_.is_estimate();
  r.meter_metadata = meter_.metadata();
  r.config = config_;
  r.counter_update_s = monitor_.counter_update_s();
  r.started_s = clock_.now_s();
  r.state_before = meter_.device_state();

  // 1. The paper's idle reference, cold: taken before the model is loaded
  // where the caller measured it first (measure, campaign), else now.
  r.idle_cold = idle ? *idle : measure_idle();
  if (do_preheat) {
    // The idle-to-busy step at the start of preheat times each power field's lag.
    if (config_.preheat_max_s > 0) r.field_lags = probe_field_lags(workload);
    r.preheat = preheat(workload);
  }
  // 1b. Hot idle right after a preheat, context and model resident: leakage of
  // a hot chip and the context's P-state are then not dynamic energy.
  if (hot_idle) {
    r.idle_hot = hot_idle;
  } else if (config_.hot_idle_s > 0 && do_preheat && r.preheat.outcome != PreheatOutcome::skipped) {
    r.idle_hot = measure_hot_idle();
  }
  r.idle = r.idle_hot ? *r.idle_hot : *r.idle_cold;
  r.idle_reference = r.idle_hot ? "hot" : r.idle_cold->method ? "cold" : "given";
  r.idle_power_w = r.idle.idle_power_w;
  r.calibration = calibrate(workload);
  r.m = r.calibration.m;

  const StopDecision decision = measure_windows(workload, r);
  protocol_detail::summarize_windows(r, decision);
  if (host_monitor_) {
    r.host_meter = host_monitor_->meter().name();
    r.host_estimate = host_monitor_->meter().is_estimate();
    r.host_idle_power_w = r.idle.host_idle_power_w;
    r.host_energy_j = protocol_detail::per_execution(r.windows, [](const WindowMeasurement& w) { return w.host_dynamic_j; });
    if (!r.host_energy_j)
      r.warnings.push_back("host meter " + r.host_meter + " has no idle power or no energy for some window (an idle "
                           "power given from elsewhere has none): no host energy recorded");
  }
  add_run_findings(r);
  r.state_after = meter_.device_state();
  r.finished_s = clock_.now_s();
  r.samples = sampler().power_samples(r.started_s);
  r.energy_samples = sampler().energy_samples(r.started_s);
  sampler().discard_before(r.finished_s);  // the result holds the trace; keep memory flat over a campaign
  return r;
}


// K windows of M executions (M grows where a window ran short), each against
// both idle references, until the stopping rule says enough.
StopDecision Protocol::measure_windows(const Workload& workload, ProtocolResult& r) {
  std::vector<double> per_execution_j;
  StopDecision decision;
  report("measure", 0);
  for (int k = 0; k < config_.k_max; ++k) {
    WindowMeasurement w = measure_window(workload, k, r.m, r.idle);
    // A window must last at least window_s (the paper's >= 5 s). When the
    // executions ran faster than calibrated, M grows and the window is redone.
    if (w.exec_s < config_.window_s * (1 - 1e-6) && r.calibration.recalibrations < kMaxRecalibrations) {
      const double grow = config_.window_s / std::max(w.exec_s, 1e-9) * 1.05;
      r.m = std::max(r.m + 1, static_cast<int64_t>(std::ceil(static_cast<double>(r.m) * grow)));
      r.calibration.m = r.m;
      ++r.calibration.recalibrations;
      --k;
      continue;
    }
    // Eq. (1) against each idle reference, the window's own method.
    if (r.idle_cold) w.cold_dynamic_j = dynamic_energy_j(w.exec_energy_j, r.idle_cold->idle_power_w, w.exec_s, w.m);
    if (r.idle_hot) w.hot_dynamic_j = dynamic_energy_j(w.exec_energy_j, r.idle_hot->idle_power_w, w.exec_s, w.m);
    r.windows.push_back(w);
    per_execution_j.push_back(r.windows.back().dynamic_energy_j);
    decision = stop_decision(per_execution_j, config_.confidence, config_.ci_target, config_.k_min, config_.k_max);
    report("measure", static_cast<double>(k + 1) / config_.k_max);
    if (decision.outcome != StopOutcome::more) break;
  }
  report("measure", 1);

  return decision;
}

// Run-level findings: sampling that cannot resolve the windows, readings
// rejected outside the windows (idle references).
void Protocol::add_run_findings(ProtocolResult& r) {
  const double averaging_s = meter_.power_averaging_s();
  if (averaging_s >= 1 && config_.window_s < 5)
    r.warnings.push_back("power samples are a " + std::to_string(averaging_s).substr(0, 3) +
                         " s average (" + (r.meter_metadata.count("power_source") ? r.meter_metadata["power_source"] : meter_.name()) +
                         "): unsuitable for windows under 5 s (window_s = " + std::to_string(config_.window_s) +
                         "); the samples-based energies are smeared over the edges");
  const std::pair<const char*, const std::optional<IdleReference>*> references[] = {{"cold idle: ", &r.idle_cold},
                                                                                     {"hot idle: ", &r.idle_hot}};
  for (const auto& [label, ref] : references)
    if (*ref && (*ref)->method)
      for (const std::string& text : sampler_warnings((*ref)->start_s, (*ref)->end_s))
        r.warnings.push_back(label + text);
}

}  // namespace nicenergy
