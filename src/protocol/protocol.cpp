#include "protocol/protocol.h"

#include <algorithm>
#include <cmath>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <atomic>
#include <chrono>
#include <deque>
#include <mutex>
#include <thread>

#include "error.h"
#include "io/files.h"
#include "io/numbers.h"
#include "meters/power_integral.h"
#include "protocol/resolution.h"
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

namespace {

// Mean power over `seconds` with nothing running: the counter's and the samples'.
IdleReference idle_over(EnergyMonitor& monitor, PowerMeter& meter, Clock& clock, double seconds, const char* stage,
                        const char* seconds_name, const std::function<void(const std::string&, double)>& report,
                        EnergyMonitor* host) {
  IdleReference idle;
  idle.method = monitor.method();
  idle.start_temperature_c = meter.device_state().temperature_c;
  report(stage, 0);
  if (host) host->begin_window(stage);
  const double start_s = monitor.begin_window(stage).t_s;
  for (double elapsed = 0; elapsed < seconds; elapsed = clock.now_s() - start_s) {
    clock.sleep_s(std::min(0.5, seconds - elapsed));
    report(stage, (clock.now_s() - start_s) / std::max(seconds, 1e-9));
  }
  const WindowEnergy w = monitor.end_window(stage);
  if (host) {
    const WindowEnergy h = host->end_window(stage);
    if (const auto e = h.energy_j(h.method); e && h.duration_s() > 0) idle.host_idle_power_w = *e / h.duration_s();
  }
  idle.start_s = w.begin.t_s;
  idle.end_s = w.end.t_s;
  idle.samples = w.samples;
  idle.end_temperature_c = meter.device_state().temperature_c;
  const double length_s = w.duration_s();
  if (!(length_s > 0))
    throw Error(std::string(stage) + " reference: no time passed; set " + (seconds_name ? seconds_name : "idle_s") + " > 0");
  if (w.counter_energy_j) idle.counter_power_w = *w.counter_energy_j / length_s;
  if (w.samples_energy_j) idle.samples_power_w = *w.samples_energy_j / length_s;
  const auto& primary = monitor.method() == EnergyMethod::samples ? idle.samples_power_w : idle.counter_power_w;
  if (!primary)
    throw Error(std::string(stage) + " reference: meter " + meter.name() + " gave no readings; check it with `nicenergy meters`");
  idle.idle_power_w = *primary;
  report(stage, 1);
  return idle;
}

}  // namespace

IdleReference Protocol::measure_idle() {
  return idle_over(monitor_, meter_, clock_, config_.idle_s, "idle", "idle_s",
                   [this](const std::string& stage, double f) { report(stage, f); }, host_monitor_.get());
}

IdleReference Protocol::measure_hot_idle() {
  return idle_over(monitor_, meter_, clock_, config_.hot_idle_s, "hot idle", "hot_idle_s",
                   [this](const std::string& stage, double f) { report(stage, f); }, host_monitor_.get());
}

std::vector<FieldLag> estimate_field_lags(const std::map<std::string, std::vector<PowerSample>>& readings,
                                          double step_s) {
  std::vector<FieldLag> lags;
  for (const auto& [field, samples] : readings) {
    FieldLag lag;
    lag.field = field;
    lag.readings = samples.size();
    std::vector<double> before, after;
    const double end_s = samples.empty() ? step_s : samples.back().t_s;
    for (const PowerSample& s : samples) {
      if (s.t_s < step_s) before.push_back(s.power_w);
      else if (s.t_s >= step_s + 0.7 * (end_s - step_s)) after.push_back(s.power_w);  // the last 30 %: settled
    }
    if (!before.empty() && !after.empty()) {
      lag.before_w = mean(before);
      lag.after_w = mean(after);
      // A step under 2 W or 5 % of the level is not told apart from noise.
      const double rise_w = lag.after_w - lag.before_w;
      if (rise_w > std::max(2.0, 0.05 * std::fabs(lag.before_w))) {
        const double half_w = lag.before_w + rise_w / 2;
        for (size_t i = 0; i < samples.size(); ++i) {
          if (samples[i].t_s < step_s || samples[i].power_w < half_w) continue;
          // Crossing between this reading and the one before, interpolated.
          double t = samples[i].t_s;
          if (i > 0 && samples[i - 1].t_s >= step_s && samples[i].power_w > samples[i - 1].power_w)
            t = samples[i - 1].t_s + (half_w - samples[i - 1].power_w) / (samples[i].power_w - samples[i - 1].power_w) *
                                         (samples[i].t_s - samples[i - 1].t_s);
          lag.lag_s = std::max(0.0, t - step_s);
          break;
        }
      }
    }
    lags.push_back(lag);
  }
  return lags;
}

std::vector<FieldLag> Protocol::probe_field_lags(const Workload& workload) {
  require_run_once(workload);
  // Needs real time (the reader is a thread) and a meter with power fields.
  if (config_.lag_probe_s <= 0 || dynamic_cast<VirtualClock*>(&clock_) || meter_.read_power_fields().empty()) return {};
  // A thread reads every field every 5 ms, stamped at the middle of the read,
  // while this one waits 0.5 s (the level before) and then runs the workload.
  std::map<std::string, std::vector<PowerSample>> readings;
  std::mutex mutex;
  std::atomic<bool> stop{false};
  std::thread reader([&] {
    while (!stop) {
      const double t0 = clock_.now_s();
      const std::map<std::string, double> fields = meter_.read_power_fields();
      const double t = (t0 + clock_.now_s()) / 2;
      {
        std::lock_guard<std::mutex> lock(mutex);
        for (const auto& [name, w] : fields) readings[name].push_back({t, w});
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  // The reader stops and is joined however this ends (a failing execution too).
  struct Joiner {
    std::atomic<bool>& stop;
    std::thread& reader;
    ~Joiner() {
      stop = true;
      if (reader.joinable()) reader.join();
    }
  } joiner{stop, reader};
  report("lag probe", 0);
  clock_.sleep_s(0.5);
  const double step_s = clock_.now_s();
  while (clock_.now_s() - step_s < config_.lag_probe_s) {
    workload.run_once();
    report("lag probe", (clock_.now_s() - step_s) / config_.lag_probe_s);
  }
  sync(workload);
  stop = true;
  reader.join();
  report("lag probe", 1);
  return estimate_field_lags(readings, step_s);
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
  for (int64_t i = 0; i < m; ++i) workload.run_once();
  sync(workload);
  w.exec_end_s = clock_.now_s();
  if (host_monitor_) {
    const WindowEnergy h = host_monitor_->end_window("measure");
    w.host_energy_j = h.energy_j(h.method);
    if (w.host_energy_j && idle.host_idle_power_w && h.duration_s() > 0)
      w.host_dynamic_j = dynamic_energy_j(*w.host_energy_j, *idle.host_idle_power_w, h.duration_s(), m);
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
  const std::string name = "window " + std::to_string(index) + ": ";

  // Sanity, each finding a warning in the record.
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
    w.counter_dynamic_j = dynamic_energy_j(*counter_exec_j, *idle.counter_power_w, w.exec_s, m);
  if (samples_exec_j && idle.samples_power_w)
    w.samples_dynamic_j = dynamic_energy_j(*samples_exec_j, *idle.samples_power_w, w.exec_s, m);
  std::optional<double> primary = energy.energy_j(energy.method);
  std::optional<double> exec_j = energy.method == EnergyMethod::samples ? samples_exec_j : counter_exec_j;
  if (energy.method != EnergyMethod::samples && !w.counter_energy_j) {  // rejected above
    primary = w.samples_energy_j;
    exec_j = samples_exec_j;
  }
  if (!primary || !exec_j)
    throw Error("window " + std::to_string(index) + ": meter " + meter_.name() +
                " gave no readings; check it with `nicenergy meters`");
  w.energy_j = *primary;
  w.exec_energy_j = *exec_j;
  // The memory/rest split, clock event reasons and other processes, where the device tells.
  if (meter_.has_memory_power()) {
    const std::vector<PowerSample> memory = monitor_.sampler().memory_samples(w.exec_start_s);
    if (!memory.empty()) {
      w.memory_energy_j = integrate_power_j(memory, w.exec_start_s, w.exec_end_s);
      w.rest_energy_j = w.exec_energy_j - *w.memory_energy_j;
    }
  }
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
  w.dynamic_energy_j = dynamic_energy_j(w.exec_energy_j, idle.idle_power_w, w.exec_s, m);
  const double length_s = w.length_s();
  w.mean_power_w = length_s > 0 ? w.energy_j / length_s : 0;
  return w;
}

namespace {

// Per execution over all windows: each window's value (Eq. (1) per execution)
// weighted by its M, i.e. the windows' total over their executions. Windows of
// different M (after a recalibration) count by their executions, like the time
// per execution, so energy / time stays the mean dynamic power. None where a
// window lacks the value.
std::optional<double> per_execution(const std::vector<WindowMeasurement>& windows,
                                    const std::function<std::optional<double>(const WindowMeasurement&)>& value) {
  double sum = 0;
  int64_t executions = 0;
  for (const WindowMeasurement& w : windows) {
    const std::optional<double> v = value(w);
    if (!v) return std::nullopt;
    sum += *v * static_cast<double>(w.m);
    executions += w.m;
  }
  return executions > 0 ? std::optional<double>(sum / static_cast<double>(executions)) : std::nullopt;
}

// A dynamic energy whose interval reaches zero is not resolved above the idle
// power: said in the warnings (the record's too), never passed as a number like any other.
void warn_unresolved(ProtocolResult& r) {
  if (r.k == 0 || energy_resolved(r.energy_j, r.energy_ci_j)) return;
  char text[400];
  std::snprintf(text, sizeof text,
                "dynamic energy %.4g J +- %.2g J per execution reaches zero or below: the executions are not "
                "resolved above the idle power (%.4g W, %s reference); lengthen the idle reference (idle_s) and "
                "the windows (window_s), and check that nothing else ran",
                r.energy_j, r.energy_ci_j, r.idle_power_w, r.idle_reference.c_str());
  r.warnings.push_back(text);
}

// The run's numbers from its windows: energy and time per execution, their
// interval, powers, shares and warnings.
void summarize_windows(ProtocolResult& r, const StopDecision& decision) {
  r.k = static_cast<int>(r.windows.size());
  r.stop = decision.outcome;
  auto dynamic = [](const WindowMeasurement& w) -> std::optional<double> { return w.dynamic_energy_j; };
  r.energy_j = per_execution(r.windows, dynamic).value_or(0);
  // The interval is the windows' (one value each, as K is chosen); with equal M
  // its centre, their plain mean, is energy_j.
  r.energy_ci_j = decision.ci.n >= 2 ? decision.ci.half_width : 0;
  r.ci_relative = decision.ci.n >= 2 ? decision.relative_half_width : 0;
  if (r.idle_cold) r.energy_cold_j = per_execution(r.windows, [](const WindowMeasurement& w) { return w.cold_dynamic_j; });
  if (r.idle_hot) r.energy_hot_j = per_execution(r.windows, [](const WindowMeasurement& w) { return w.hot_dynamic_j; });
  double energy_j = 0, length_s = 0, exec_s = 0, memory_j = 0, exec_j = 0;
  int64_t executions = 0;
  bool all_memory = r.k > 0;
  for (const WindowMeasurement& w : r.windows) {
    energy_j += w.energy_j;
    length_s += w.length_s();
    exec_s += w.exec_s;
    executions += w.m;
    all_memory = all_memory && w.memory_energy_j.has_value();
    if (w.memory_energy_j) memory_j += *w.memory_energy_j;
    exec_j += w.exec_energy_j;
    r.warnings.insert(r.warnings.end(), w.warnings.begin(), w.warnings.end());
  }
  if (all_memory && exec_j > 0) r.memory_share = memory_j / exec_j;
  r.mean_power_w = length_s > 0 ? energy_j / length_s : 0;
  // The executions' time over their number: M may differ between windows.
  r.duration_s = executions > 0 ? exec_s / static_cast<double>(executions) : 0;
  // GPM: a metric's mean over the windows, weighted by their executions' time, where every window has it.
  auto gpm_mean = [&](std::optional<double> GpmMetrics::*field) -> std::optional<double> {
    double sum = 0, weight = 0;
    for (const WindowMeasurement& w : r.windows) {
      if (!(w.gpm.*field)) return std::nullopt;
      sum += *(w.gpm.*field) * w.exec_s;
      weight += w.exec_s;
    }
    return weight > 0 ? std::optional<double>(sum / weight) : std::nullopt;
  };
  r.gpm.dram_bw_util_pct = gpm_mean(&GpmMetrics::dram_bw_util_pct);
  r.gpm.sm_util_pct = gpm_mean(&GpmMetrics::sm_util_pct);
  r.gpm.tensor_util_pct = gpm_mean(&GpmMetrics::tensor_util_pct);
  warn_unresolved(r);
}

}  // namespace

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

  summarize_windows(r, decision);
  if (host_monitor_) {
    r.host_meter = host_monitor_->meter().name();
    r.host_estimate = host_monitor_->meter().is_estimate();
    r.host_idle_power_w = r.idle.host_idle_power_w;
    r.host_energy_j = per_execution(r.windows, [](const WindowMeasurement& w) { return w.host_dynamic_j; });
    if (!r.host_energy_j)
      r.warnings.push_back("host meter " + r.host_meter + " has no idle power or no energy for some window (an idle "
                           "power given from elsewhere has none): no host energy recorded");
  }
  // Run-level findings: sampling that cannot resolve the windows, readings
  // rejected outside the windows (idle references).
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

void fill_measured_fields(MeasurementRecord& r, const std::string& image, int width, int height, int padded_width,
                          int padded_height, const ProtocolResult& result, const std::string& device_description,
                          const std::string& started_at) {
  r.image = image;
  r.width = width;
  r.height = height;
  r.pixels = static_cast<int64_t>(width) * height;
  r.padded_width = padded_width;
  r.padded_height = padded_height;
  fill_record(result, r);
  r.device = device_description;
  r.started_at = started_at;
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
  record.idle_reference = r.idle_reference;
  if (r.idle_cold && r.idle_cold->method) record.idle_cold_power_w = r.idle_cold->idle_power_w;
  if (r.idle_hot) record.idle_hot_power_w = r.idle_hot->idle_power_w;
  if (r.idle_cold && r.idle_cold->method) record.energy_cold_j = r.energy_cold_j;
  record.energy_hot_j = r.energy_hot_j;
  record.memory_share = r.memory_share;
  record.dram_bw_util_pct = r.gpm.dram_bw_util_pct;
  record.sm_util_pct = r.gpm.sm_util_pct;
  record.tensor_util_pct = r.gpm.tensor_util_pct;
  record.host_meter = r.host_meter;
  record.host_idle_power_w = r.host_idle_power_w;
  record.host_energy_j = r.host_energy_j;
  record.warnings.clear();
  for (const std::string& w : r.warnings) record.warnings += (record.warnings.empty() ? "" : "; ") + w;
}

}  // namespace nicenergy
