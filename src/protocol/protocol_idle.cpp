// The protocol's idle references (cold and hot), the power fields' lags and the preheat.
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
#include <deque>

namespace nicenergy {

using protocol_detail::require_run_once;
using protocol_detail::sync;

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

}  // namespace nicenergy
