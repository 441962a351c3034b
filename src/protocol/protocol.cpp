#include "protocol/protocol.h"

#include <algorithm>
#include <cmath>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <deque>

#include "error.h"
#include "io/files.h"
#include "protocol/settings.h"

namespace nicenergy {
namespace {

void sync(const Workload& w) {
  if (w.synchronize) w.synchronize();
}

void require_run_once(const Workload& w) {
  if (!w.run_once) throw Error("protocol: the workload has no run_once function; give the network to measure");
}

}  // namespace

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

Protocol::Protocol(PowerMeter& meter, ProtocolConfig config, Clock* clock)
    : meter_(meter),
      config_((validate(config), std::move(config))),
      clock_(clock ? *clock : steady_clock_instance()),
      monitor_(meter, config_.sample_hz, &clock_, config_.counter_edge_wait_s) {}

Protocol::~Protocol() = default;

void Protocol::report(const std::string& stage, double fraction) const {
  if (config_.progress) config_.progress(stage, std::min(1.0, std::max(0.0, fraction)));
}

IdleReference Protocol::measure_idle() {
  IdleReference idle;
  idle.method = monitor_.method();
  report("idle", 0);
  const double start_s = monitor_.begin_window("idle").t_s;
  for (double elapsed = 0; elapsed < config_.idle_s; elapsed = clock_.now_s() - start_s) {
    clock_.sleep_s(std::min(0.5, config_.idle_s - elapsed));
    report("idle", (clock_.now_s() - start_s) / std::max(config_.idle_s, 1e-9));
  }
  const WindowEnergy w = monitor_.end_window("idle");
  idle.start_s = w.begin.t_s;
  idle.end_s = w.end.t_s;
  idle.samples = w.samples;
  const double length_s = w.duration_s();
  if (!(length_s > 0)) throw Error("idle reference: no time passed; set idle_s > 0");
  if (w.counter_energy_j) idle.counter_power_w = *w.counter_energy_j / length_s;
  if (w.samples_energy_j) idle.samples_power_w = *w.samples_energy_j / length_s;
  const auto& primary = monitor_.method() == EnergyMethod::samples ? idle.samples_power_w : idle.counter_power_w;
  if (!primary) throw Error("idle reference: meter " + meter_.name() + " gave no readings; check it with `nicenergy meters`");
  idle.idle_power_w = *primary;
  report("idle", 1);
  return idle;
}

PreheatResult Protocol::preheat(const Workload& workload) {
  require_run_once(workload);
  PreheatResult result;
  const double start_s = clock_.now_s();
  result.start_temperature_c = meter_.device_state().temperature_c;
  double limit_s = config_.preheat_max_s;
  if (!result.start_temperature_c) {
    result.outcome = PreheatOutcome::no_sensor;
    limit_s = std::min(config_.preheat_no_sensor_s, config_.preheat_max_s);
    if (limit_s <= 0) result.outcome = PreheatOutcome::skipped;
  } else if (*result.start_temperature_c >= config_.preheat_target_c) {
    result.outcome = PreheatOutcome::target_reached;
    result.end_temperature_c = result.start_temperature_c;
    return result;
  }
  std::deque<std::pair<double, double>> history;  // (t_s, temperature_c)
  if (result.start_temperature_c) history.emplace_back(start_s, *result.start_temperature_c);
  report("preheat", 0);
  double next_check_s = start_s + config_.preheat_check_s;
  bool done = limit_s <= 0;
  while (!done) {
    workload.run_once();
    ++result.executions;
    double now_s = clock_.now_s();
    if (now_s < next_check_s && now_s - start_s < limit_s) continue;
    sync(workload);  // the clock must see the device's progress, not the queue's
    now_s = clock_.now_s();
    next_check_s = now_s + config_.preheat_check_s;
    report("preheat", (now_s - start_s) / std::max(limit_s, 1e-9));
    if (result.outcome != PreheatOutcome::no_sensor) {
      const std::optional<double> c = meter_.device_state().temperature_c;
      if (c) {
        result.end_temperature_c = c;
        history.emplace_back(now_s, *c);
        while (history.size() > 1 && history[1].first <= now_s - config_.preheat_stable_window_s) history.pop_front();
        const auto [lo, hi] = std::minmax_element(history.begin(), history.end(),
                                                  [](auto& a, auto& b) { return a.second < b.second; });
        if (*c >= config_.preheat_target_c) {
          result.outcome = PreheatOutcome::target_reached;
          done = true;
        } else if (now_s - start_s >= config_.preheat_stable_window_s &&
                   history.front().first <= now_s - config_.preheat_stable_window_s &&
                   hi->second - lo->second < config_.preheat_stable_delta_c) {
          result.outcome = PreheatOutcome::stable;
          done = true;
        }
      }
    }
    if (!done && now_s - start_s >= limit_s) {
      if (result.outcome != PreheatOutcome::no_sensor) result.outcome = PreheatOutcome::time_limit;
      done = true;
    }
  }
  sync(workload);
  result.duration_s = clock_.now_s() - start_s;
  report("preheat", 1);
  return result;
}

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
  sync(workload);
  monitor_.begin_window("measure");
  const double exec_start_s = clock_.now_s();
  for (int64_t i = 0; i < m; ++i) workload.run_once();
  sync(workload);
  w.exec_s = clock_.now_s() - exec_start_s;
  const WindowEnergy energy = monitor_.end_window("measure");
  w.start_s = energy.begin.t_s;
  w.end_s = energy.end.t_s;
  w.samples = energy.samples;
  w.counter_energy_j = energy.counter_energy_j;
  w.samples_energy_j = energy.samples_energy_j;
  const double length_s = w.length_s();

  // Eq. (1) for each method, with that method's idle power.
  if (w.counter_energy_j && idle.counter_power_w)
    w.counter_dynamic_j = dynamic_energy_j(*w.counter_energy_j, *idle.counter_power_w, length_s, m);
  if (w.samples_energy_j && idle.samples_power_w)
    w.samples_dynamic_j = dynamic_energy_j(*w.samples_energy_j, *idle.samples_power_w, length_s, m);
  const std::optional<double> primary = energy.energy_j(energy.method);
  if (!primary)
    throw Error("window " + std::to_string(index) + ": meter " + meter_.name() +
                " gave no readings; check it with `nicenergy meters`");
  w.energy_j = *primary;
  w.dynamic_energy_j = dynamic_energy_j(w.energy_j, idle.idle_power_w, length_s, m);
  w.mean_power_w = length_s > 0 ? w.energy_j / length_s : 0;
  return w;
}

ProtocolResult Protocol::run(const Workload& workload, std::optional<IdleReference> idle, bool do_preheat) {
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

  r.idle = idle ? *idle : measure_idle();
  r.idle_power_w = r.idle.idle_power_w;
  if (do_preheat) r.preheat = preheat(workload);
  r.calibration = calibrate(workload);
  r.m = r.calibration.m;

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
    r.windows.push_back(w);
    per_execution_j.push_back(r.windows.back().dynamic_energy_j);
    decision = stop_decision(per_execution_j, config_.confidence, config_.ci_target, config_.k_min, config_.k_max);
    report("measure", static_cast<double>(k + 1) / config_.k_max);
    if (decision.outcome != StopOutcome::more) break;
  }
  report("measure", 1);

  r.k = static_cast<int>(r.windows.size());
  r.stop = decision.outcome;
  r.energy_j = decision.ci.mean;
  r.energy_ci_j = decision.ci.n >= 2 ? decision.ci.half_width : 0;
  r.ci_relative = decision.ci.n >= 2 ? decision.relative_half_width : 0;
  double energy_j = 0, length_s = 0, exec_s = 0;
  for (const WindowMeasurement& w : r.windows) {
    energy_j += w.energy_j;
    length_s += w.length_s();
    exec_s += w.exec_s;
  }
  r.mean_power_w = length_s > 0 ? energy_j / length_s : 0;
  r.duration_s = exec_s / (static_cast<double>(r.m) * r.k);
  r.state_after = meter_.device_state();
  r.finished_s = clock_.now_s();
  r.samples = sampler().power_samples(r.started_s);
  r.energy_samples = sampler().energy_samples(r.started_s);
  sampler().discard_before(r.finished_s);  // the result holds the trace; keep memory flat over a campaign
  return r;
}

void write_trace_csv(const std::string& path, const std::vector<PowerSample>& samples,
                     const std::vector<WindowMeasurement>& windows) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (!f)
    throw WriteError("trace '" + path + "': cannot write it (" + std::strerror(errno) +
                     "); check that the folder exists and is writable");
  bool ok = std::fprintf(f, "time_s,power_w,window\n") > 0;
  const double origin_s = samples.empty() ? 0 : samples.front().t_s;
  size_t w = 0;  // samples and windows are both in time order
  for (const PowerSample& s : samples) {
    while (w < windows.size() && windows[w].end_s < s.t_s) ++w;
    const int window = w < windows.size() && s.t_s >= windows[w].start_s ? windows[w].index : -1;
    ok = ok && std::fprintf(f, "%.6f,%.9g,%d\n", s.t_s - origin_s, s.power_w, window) > 0;
  }
  // Buffered bytes reach the disk at fflush and fclose: a full disk shows there.
  ok = std::fflush(f) == 0 && ok;
  const int error = errno;
  if (std::fclose(f) != 0 || !ok)
    throw WriteError("trace '" + path + "': writing failed (" + std::strerror(ok ? errno : error) +
                     "); free space and run again");
}

void fill_record(const ProtocolResult& r, MeasurementRecord& record) {
  record.energy_j = r.energy_j;
  record.energy_ci_j = r.energy_ci_j;
  record.k = r.k;
  record.m = r.m;
  record.duration_s = r.duration_s;
  record.idle_power_w = r.idle_power_w;
  record.mean_power_w = r.mean_power_w;
  record.meter = r.meter;
  record.method = to_string(r.method);
}

}  // namespace nicenergy
