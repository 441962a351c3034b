// The protocol's calibration of M and one window of M executions: edges,
// sanity findings, edge accounting and Eq. (1) per method.
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

namespace nicenergy {

using protocol_detail::require_run_once;
using protocol_detail::sync;

Calibration Protocol::calibrate(const Workload& workload) {
  require_run_once(workload);
  report("calibrate", 0);
  // Time batches of doubling size until one lasts a fifth of a window.
  const double target_s = config_.window_s / 5;
  Calibration cal;
  // One untimed execution first: the first run pays for allocations, lazy
  // initialisation and kernel selection, and timed alone it made M too small.
  workload.run_once();
  sync(workload);
  for (int64_t n = 1;; n *= 2) {
    const double t0_s = clock_.now_s();
    for (int64_t i = 0; i < n; ++i) workload.run_once();
    sync(workload);
    const double dt_s = clock_.now_s() - t0_s;
    cal.timed_executions += n;
    cal.timed_s += dt_s;
    report("calibrate", dt_s / target_s);
    if (dt_s >= target_s) {
      cal.duration_s = dt_s / n;
      break;
    }
    if (n >= (int64_t{1} << 30))
      throw Error("calibration: 2^30 executions took " + std::to_string(dt_s) + " s; the workload does no measurable work");
  }
  // (1 - 1e-9): 100 executions of exactly 10 ms fill a 1 s window, rounding aside.
  cal.m = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(config_.window_s / cal.duration_s * (1 - 1e-9))));
  report("calibrate", 1);
  return cal;
}

WindowMeasurement Protocol::measure_window(const Workload& workload, int index, int64_t m, const IdleReference& idle) {
  require_run_once(workload);
  WindowMeasurement w;
  w.index = index;
  w.m = m;
  const WindowEnergy energy = run_window(workload, idle, w);
  const std::string name = "window " + std::to_string(index) + ": ";
  check_window(w, name);
  account_window(w, energy, idle, name);
  note_device_state(w, name);
  w.dynamic_energy_j = dynamic_energy_j(w.exec_energy_j, idle.idle_power_w, w.exec_s, m);
  const double length_s = w.length_s();
  w.mean_power_w = length_s > 0 ? w.energy_j / length_s : 0;
  return w;
}

WindowEnergy Protocol::run_window(const Workload& workload, const IdleReference& idle, WindowMeasurement& w) {
  sync(workload);
  w.phase_delay_s = next_phase_delay_s();
  // Where edges sit on counter ticks, the tick period before the start edge
  // times the power of the wait before the executions, and the one after the
  // end edge that of the wait after them (edge accounting).
  const bool aligned = monitor_.aligned_edges();
  auto counter_power_w = [](const WindowEdge& a, const WindowEdge& b) -> std::optional<double> {
    if (!a.energy_j || !b.energy_j || !(b.t_s > a.t_s) || *b.energy_j < *a.energy_j) return std::nullopt;
    return (*b.energy_j - *a.energy_j) / (b.t_s - a.t_s);
  };
  if (aligned) {
    const WindowEdge before = monitor_.edge_now();
    const WindowEdge begin = monitor_.begin_window("measure");
    w.edge_power_before_w = counter_power_w(before, begin);
    clock_.sleep_s(w.phase_delay_s);  // inside the window: the phase moves against the ticks
  } else {
    clock_.sleep_s(w.phase_delay_s);
    monitor_.begin_window("measure");
  }
  // GPM samples right around the executions (a read takes a few ms; it falls
  // in the edges, which are not charged to the executions).
  const std::unique_ptr<GpmSnapshot> gpm_first = meter_.has_gpm() ? meter_.gpm_snapshot() : nullptr;
  if (host_monitor_) host_monitor_->begin_window("measure");
  w.exec_start_s = clock_.now_s();
  for (int64_t i = 0; i < w.m; ++i) workload.run_once();
  sync(workload);
  w.exec_end_s = clock_.now_s();
  if (host_monitor_) {
    const WindowEnergy h = host_monitor_->end_window("measure");
    w.host_energy_j = h.energy_j(h.method);
    if (w.host_energy_j && idle.host_idle_power_w && h.duration_s() > 0)
      w.host_dynamic_j = dynamic_energy_j(*w.host_energy_j, *idle.host_idle_power_w, h.duration_s(), w.m);
  }
  if (gpm_first)
    if (const std::unique_ptr<GpmSnapshot> gpm_second = meter_.gpm_snapshot())
      w.gpm = meter_.gpm_between(*gpm_first, *gpm_second);
  w.exec_s = w.exec_end_s - w.exec_start_s;
  const WindowEnergy energy = monitor_.end_window("measure");
  if (aligned) w.edge_power_after_w = counter_power_w(energy.end, monitor_.edge_now());
  w.start_s = energy.begin.t_s;
  w.end_s = energy.end.t_s;
  w.samples = energy.samples;
  w.counter_energy_j = energy.counter_energy_j;
  w.samples_energy_j = energy.samples_energy_j;
  return energy;
}

// Sanity, each finding a warning in the record.
void Protocol::check_window(WindowMeasurement& w, const std::string& name) {
  if (w.counter_energy_j && *w.counter_energy_j < 0) {
    w.warnings.push_back(name + "the energy counter went backwards (" + std::to_string(*w.counter_energy_j) +
                         " J): counter rejected, window measured by samples");
    w.counter_energy_j.reset();
  }
  for (const std::string& text : sampler_warnings(w.start_s, w.end_s)) w.warnings.push_back(name + text);
  // Counter against samples only where the meter samples power itself: where the
  // sampler derives power from the counter (RAPL, the estimate), the two are one
  // reading, and their difference is the derivation's, not the meter's.
  if (meter_.samples_power() && w.counter_energy_j && w.samples_energy_j && std::fabs(*w.counter_energy_j) > 0) {
    const double diff = std::fabs(*w.samples_energy_j - *w.counter_energy_j) / std::fabs(*w.counter_energy_j);
    if (diff > config_.disagreement_max) {
      char text[200];
      std::snprintf(text, sizeof text, "counter %.4g J and samples %.4g J disagree by %.1f %% (> disagreement_max %.3g)",
                    *w.counter_energy_j, *w.samples_energy_j, 100 * diff, config_.disagreement_max);
      w.warnings.push_back(name + text);
    }
  }

}

void Protocol::account_window(WindowMeasurement& w, const WindowEnergy& energy, const IdleReference& idle,
                              const std::string& name) {
  // Edge accounting: the waits' energy, by the neighbouring tick period's
  // counter power (or by the samples where there is none).
  const double wait_before_s = std::max(0.0, w.exec_start_s - w.start_s);
  const double wait_after_s = std::max(0.0, w.end_s - w.exec_end_s);
  w.edge_s = wait_before_s + wait_after_s;
  const std::vector<PowerSample> samples = monitor_.sampler().power_samples(w.start_s);
  auto wait_energy_j = [&](const std::optional<double>& counter_w, double t0, double t1) {
    if (t1 <= t0) return 0.0;
    if (counter_w) return *counter_w * (t1 - t0);
    return samples.empty() ? 0.0 : integrate_power_j(samples, t0, t1);
  };
  w.edge_energy_j = wait_energy_j(w.edge_power_before_w, w.start_s, w.exec_start_s) +
                    wait_energy_j(w.edge_power_after_w, w.exec_end_s, w.end_s);
  const std::optional<double> samples_exec_j =
      samples.empty() ? std::nullopt : std::optional<double>(integrate_power_j(samples, w.exec_start_s, w.exec_end_s));

  // Eq. (1) for each method, with that method's idle power, over the executions.
  if (!(w.exec_s > 0)) throw Error(name + "the executions took no time; the workload does no measurable work");
  std::optional<double> counter_exec_j;
  if (w.counter_energy_j) counter_exec_j = *w.counter_energy_j - w.edge_energy_j;
  if (counter_exec_j && idle.counter_power_w)
    w.counter_dynamic_j = dynamic_energy_j(*counter_exec_j, *idle.counter_power_w, w.exec_s, w.m);
  if (samples_exec_j && idle.samples_power_w)
    w.samples_dynamic_j = dynamic_energy_j(*samples_exec_j, *idle.samples_power_w, w.exec_s, w.m);
  std::optional<double> primary = energy.energy_j(energy.method);
  std::optional<double> exec_j = energy.method == EnergyMethod::samples ? samples_exec_j : counter_exec_j;
  if (energy.method != EnergyMethod::samples && !w.counter_energy_j) {  // rejected above
    primary = w.samples_energy_j;
    exec_j = samples_exec_j;
  }
  if (!primary || !exec_j)
    throw Error(name + "meter " + meter_.name() +
                " gave no readings; check it with `nicenergy meters`");
  w.energy_j = *primary;
  w.exec_energy_j = *exec_j;
  // The memory/rest split, where the device tells.
  if (meter_.has_memory_power()) {
    const std::vector<PowerSample> memory = monitor_.sampler().memory_samples(w.exec_start_s);
    if (!memory.empty()) {
      w.memory_energy_j = integrate_power_j(memory, w.exec_start_s, w.exec_end_s);
      w.rest_energy_j = w.exec_energy_j - *w.memory_energy_j;
    }
  }
}

// Clock event reasons and other processes, where the device tells.
void Protocol::note_device_state(WindowMeasurement& w, const std::string& name) {
  const DeviceState state = meter_.device_state();
  w.clock_event_reasons = state.clock_event_reasons;
  w.other_processes = state.other_processes;
  if (state.clock_event_reasons) {
    const std::string held = clock_event_reasons_text(*state.clock_event_reasons);
    if (!held.empty()) w.warnings.push_back(name + "clocks held back (" + held + ") at the end of the window");
  }
  if (state.other_processes && *state.other_processes > 0)
    w.warnings.push_back(name + std::to_string(*state.other_processes) +
                         " other compute process(es) on the GPU: the measurement is not exclusive");
}

}  // namespace nicenergy
