#include "protocol/protocol.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <deque>

#include "error.h"

namespace nicenergy {
namespace {

void sync(const Workload& w) {
  if (w.synchronize) w.synchronize();
}

void require_run_once(const Workload& w) {
  if (!w.run_once) throw Error("protocol: the workload has no run_once function; give the network to measure");
}

template <typename T>
nlohmann::json opt(const std::optional<T>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

}  // namespace

void validate(const ProtocolConfig& c) {
  auto bad = [](const std::string& what) { throw Error("protocol settings: " + what); };
  if (!(c.idle_s >= 0)) bad("idle_s must be >= 0 s");
  if (!(c.window_s > 0)) bad("window_s must be > 0 s (the paper uses 5)");
  if (!(c.confidence > 0 && c.confidence < 1)) bad("confidence must be between 0 and 1, e.g. 0.95");
  if (!(c.ci_target > 0)) bad("ci_target must be > 0, e.g. 0.02 for +-2 %");
  if (c.k_min < 1) bad("k_min must be >= 1");
  if (c.k_max < c.k_min) bad("k_max must be >= k_min");
  if (!(c.sample_hz > 0 && c.sample_hz <= Sampler::kMaxRateHz)) bad("sample_hz must be in (0, 1000]");
  if (!(c.preheat_max_s >= 0) || !(c.preheat_no_sensor_s >= 0)) bad("preheat times must be >= 0 s");
  if (!(c.preheat_check_s > 0)) bad("preheat_check_s must be > 0 s");
  if (!(c.preheat_stable_window_s >= 0) || !(c.preheat_stable_delta_c >= 0)) bad("preheat stability settings must be >= 0");
  if (!(c.counter_edge_wait_s >= 0)) bad("counter_edge_wait_s must be >= 0 s");
}

IdleReference idle_from_power(double idle_power_w) {
  IdleReference idle;
  idle.counter_power_w = idle_power_w;
  idle.samples_power_w = idle_power_w;
  idle.idle_power_w = idle_power_w;
  idle.method = "given";
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
      config_(std::move(config)),
      clock_(clock ? *clock : steady_clock_instance()),
      sampler_(meter, config_.sample_hz, &clock_) {
  validate(config_);
  if (!meter_.available()) throw Error("meter " + meter_.name() + ": " + meter_.unavailable_reason());
  method_ = meter_.is_estimate() ? "estimate" : meter_.has_energy_counter() ? "counter" : "samples";
  sampler_.start();
  // Two sample periods so that the first edge has samples around it (counter-only
  // meters derive their first power sample from two counter reads).
  clock_.sleep_s(2.0 / config_.sample_hz);
  if (meter_.has_energy_counter() && config_.counter_edge_wait_s > 0) counter_update_s_ = probe_counter_update_s();
}

double Protocol::probe_counter_update_s() {
  // Poll at 1 ms and time three counter changes (NVML: ~100 ms; RAPL: ~1 ms;
  // the estimate and a replay counter: every read). No change within the edge
  // wait: assume a coarse counter.
  const double give_up_s = clock_.now_s() + std::max(config_.counter_edge_wait_s, 0.35);
  std::optional<double> last_j = meter_.energy_j();
  std::vector<double> changes_s;
  while (changes_s.size() < 4 && clock_.now_s() < give_up_s) {
    clock_.sleep_s(0.001);
    const std::optional<double> e = meter_.energy_j();
    if (e && last_j && *e != *last_j) changes_s.push_back(clock_.now_s());
    last_j = e;
  }
  if (changes_s.size() < 2) return config_.counter_edge_wait_s;
  return (changes_s.back() - changes_s.front()) / (changes_s.size() - 1);
}

Protocol::~Protocol() { sampler_.stop(); }

void Protocol::report(const std::string& stage, double fraction) const {
  if (config_.progress) config_.progress(stage, std::min(1.0, std::max(0.0, fraction)));
}

Protocol::Edge Protocol::mark_edge() {
  Edge edge;
  if (!meter_.has_energy_counter()) {
    edge.t_s = clock_.now_s();
    return edge;
  }
  // A read is stamped at the middle of the call: NVML's energy read takes ~4 ms
  // on an H100 (seen in development; bench_sampler times it on yours), a sizeable
  // part of an edge's precision.
  auto timed_read = [this](double& mid_s, double& took_s) {
    const double t0 = clock_.now_s();
    const std::optional<double> e = meter_.energy_j();
    const double t1 = clock_.now_s();
    mid_s = (t0 + t1) / 2;
    took_s = t1 - t0;
    return e;
  };
  double prev_mid_s = 0, took_s = 0;
  edge.energy_j = timed_read(prev_mid_s, took_s);
  edge.t_s = prev_mid_s;
  // A counter that moves at every 1 ms poll needs no alignment: a read is exact.
  if (counter_update_s_ <= 0.005 || !edge.energy_j) return edge;
  // Poll (every 1 ms at most) until the counter moves; the update happened
  // between the last two reads, so the edge is put half-way between them.
  const double give_up_s = edge.t_s + config_.counter_edge_wait_s;
  const double first_j = *edge.energy_j;
  while (clock_.now_s() < give_up_s) {
    clock_.sleep_s(std::max(0.0, 0.001 - took_s));
    double mid_s = 0;
    const std::optional<double> e = timed_read(mid_s, took_s);
    if (e && *e != first_j) return {(prev_mid_s + mid_s) / 2, e};
    prev_mid_s = mid_s;
  }
  return edge;
}

std::optional<double> Protocol::samples_energy_j(double t0_s, double t1_s, size_t* count) {
  // Wait until a sample lies at or past the end edge, so the edge is interpolated,
  // not extrapolated; a few sample periods at most.
  const double give_up_s = clock_.now_s() + 3.0 / config_.sample_hz + 0.1;
  for (;;) {
    const std::optional<double> last = sampler_.last_power_time_s();
    if ((last && *last >= t1_s) || clock_.now_s() >= give_up_s) break;
    clock_.sleep_s(std::min(0.01, 0.5 / config_.sample_hz));
  }
  const std::vector<PowerSample> samples = sampler_.power_samples(t0_s);
  if (samples.empty()) return std::nullopt;
  if (count)
    *count = std::count_if(samples.begin(), samples.end(), [&](const PowerSample& s) { return s.t_s >= t0_s && s.t_s <= t1_s; });
  return integrate_power_j(samples, t0_s, t1_s);
}

IdleReference Protocol::measure_idle() {
  IdleReference idle;
  idle.method = method_;
  report("idle", 0);
  const Edge begin = mark_edge();
  for (double elapsed = 0; elapsed < config_.idle_s; elapsed = clock_.now_s() - begin.t_s) {
    clock_.sleep_s(std::min(0.5, config_.idle_s - elapsed));
    report("idle", (clock_.now_s() - begin.t_s) / std::max(config_.idle_s, 1e-9));
  }
  const Edge end = mark_edge();
  idle.start_s = begin.t_s;
  idle.end_s = end.t_s;
  const double length_s = end.t_s - begin.t_s;
  if (!(length_s > 0)) throw Error("idle reference: no time passed; set idle_s > 0");
  if (begin.energy_j && end.energy_j) idle.counter_power_w = (*end.energy_j - *begin.energy_j) / length_s;
  if (const auto e = samples_energy_j(begin.t_s, end.t_s, &idle.samples)) idle.samples_power_w = *e / length_s;
  const auto& primary = method_ == "samples" ? idle.samples_power_w : idle.counter_power_w;
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
  const Edge begin = mark_edge();
  const double exec_start_s = clock_.now_s();
  for (int64_t i = 0; i < m; ++i) workload.run_once();
  sync(workload);
  w.exec_s = clock_.now_s() - exec_start_s;
  const Edge end = mark_edge();
  w.start_s = begin.t_s;
  w.end_s = end.t_s;
  const double length_s = w.length_s();

  // Eq. (1): E_dyn = (integral of P over the window - P_idle * T_window) / M,
  // for each method with that method's idle power.
  if (begin.energy_j && end.energy_j) {
    w.counter_energy_j = *end.energy_j - *begin.energy_j;
    if (idle.counter_power_w) w.counter_dynamic_j = (*w.counter_energy_j - *idle.counter_power_w * length_s) / m;
  }
  w.samples_energy_j = samples_energy_j(w.start_s, w.end_s, &w.samples);
  if (w.samples_energy_j && idle.samples_power_w)
    w.samples_dynamic_j = (*w.samples_energy_j - *idle.samples_power_w * length_s) / m;

  const bool by_samples = method_ == "samples";
  const auto& energy = by_samples ? w.samples_energy_j : w.counter_energy_j;
  if (!energy) throw Error("window " + std::to_string(index) + ": meter " + meter_.name() + " gave no readings; check it with `nicenergy meters`");
  w.energy_j = *energy;
  w.dynamic_energy_j = (w.energy_j - idle.idle_power_w * length_s) / m;
  w.mean_power_w = length_s > 0 ? w.energy_j / length_s : 0;
  return w;
}

ProtocolResult Protocol::run(const Workload& workload, std::optional<IdleReference> idle, bool do_preheat) {
  require_run_once(workload);
  ProtocolResult r;
  r.meter = meter_.name();
  r.method = method_;
  r.estimate = meter_.is_estimate();
  r.meter_metadata = meter_.metadata();
  r.config = config_;
  r.counter_update_s = counter_update_s_;
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
  r.samples = sampler_.power_samples(r.started_s);
  r.energy_samples = sampler_.energy_samples(r.started_s);
  sampler_.discard_before(r.finished_s);  // the result holds the trace; keep memory flat over a campaign
  return r;
}

nlohmann::json to_json(const DeviceState& s) {
  return {{"name", s.name},
          {"driver_version", s.driver_version},
          {"temperature_c", opt(s.temperature_c)},
          {"sm_clock_mhz", opt(s.sm_clock_mhz)},
          {"mem_clock_mhz", opt(s.mem_clock_mhz)},
          {"performance_state", opt(s.performance_state)},
          {"gpu_utilization_pct", opt(s.gpu_utilization_pct)},
          {"mem_utilization_pct", opt(s.mem_utilization_pct)},
          {"power_limit_w", opt(s.power_limit_w)}};
}

nlohmann::json to_json(const ProtocolResult& r) {
  nlohmann::json windows = nlohmann::json::array();
  for (const WindowMeasurement& w : r.windows)
    windows.push_back({{"index", w.index}, {"start_s", w.start_s}, {"end_s", w.end_s}, {"length_s", w.length_s()},
                       {"exec_s", w.exec_s}, {"m", w.m}, {"energy_j", w.energy_j},
                       {"dynamic_energy_j", w.dynamic_energy_j}, {"mean_power_w", w.mean_power_w},
                       {"counter_energy_j", opt(w.counter_energy_j)}, {"samples_energy_j", opt(w.samples_energy_j)},
                       {"counter_dynamic_j", opt(w.counter_dynamic_j)}, {"samples_dynamic_j", opt(w.samples_dynamic_j)},
                       {"samples", w.samples}});
  const ProtocolConfig& c = r.config;
  return {
      {"meter", r.meter},
      {"method", r.method},
      {"estimate", r.estimate},
      {"meter_metadata", r.meter_metadata},
      {"config", {{"idle_s", c.idle_s}, {"preheat_target_c", c.preheat_target_c},
                  {"preheat_stable_delta_c", c.preheat_stable_delta_c}, {"preheat_stable_window_s", c.preheat_stable_window_s},
                  {"preheat_max_s", c.preheat_max_s}, {"preheat_no_sensor_s", c.preheat_no_sensor_s},
                  {"window_s", c.window_s}, {"confidence", c.confidence}, {"ci_target", c.ci_target},
                  {"k_min", c.k_min}, {"k_max", c.k_max}, {"sample_hz", c.sample_hz},
                  {"counter_edge_wait_s", c.counter_edge_wait_s}}},
      {"counter_update_s", r.counter_update_s},
      {"started_s", r.started_s},
      {"finished_s", r.finished_s},
      {"idle", {{"start_s", r.idle.start_s}, {"end_s", r.idle.end_s}, {"idle_power_w", r.idle.idle_power_w},
                {"counter_power_w", opt(r.idle.counter_power_w)}, {"samples_power_w", opt(r.idle.samples_power_w)},
                {"method", r.idle.method}, {"samples", r.idle.samples}}},
      {"preheat", {{"outcome", to_string(r.preheat.outcome)}, {"duration_s", r.preheat.duration_s},
                   {"executions", r.preheat.executions}, {"start_temperature_c", opt(r.preheat.start_temperature_c)},
                   {"end_temperature_c", opt(r.preheat.end_temperature_c)}}},
      {"calibration", {{"m", r.calibration.m}, {"duration_s", r.calibration.duration_s},
                       {"timed_executions", r.calibration.timed_executions}, {"timed_s", r.calibration.timed_s},
                       {"recalibrations", r.calibration.recalibrations}}},
      {"windows", windows},
      {"idle_power_w", r.idle_power_w},
      {"mean_power_w", r.mean_power_w},
      {"energy_j", r.energy_j},
      {"energy_ci_j", r.energy_ci_j},
      {"ci_relative", r.ci_relative},
      {"k", r.k},
      {"m", r.m},
      {"duration_s", r.duration_s},
      {"stop", to_string(r.stop)},
      {"state_before", to_json(r.state_before)},
      {"state_after", to_json(r.state_after)},
      {"trace_samples", r.samples.size()},
  };
}

void write_trace_csv(const std::string& path, const std::vector<PowerSample>& samples,
                     const std::vector<WindowMeasurement>& windows) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (!f) throw Error("trace " + path + ": cannot write it; check that the folder exists and is writable");
  std::fprintf(f, "time_s,power_w,window\n");
  const double origin_s = samples.empty() ? 0 : samples.front().t_s;
  size_t w = 0;  // samples and windows are both in time order
  for (const PowerSample& s : samples) {
    while (w < windows.size() && windows[w].end_s < s.t_s) ++w;
    const int window = w < windows.size() && s.t_s >= windows[w].start_s ? windows[w].index : -1;
    std::fprintf(f, "%.6f,%.9g,%d\n", s.t_s - origin_s, s.power_w, window);
  }
  if (std::fclose(f) != 0) throw Error("trace " + path + ": writing failed (disk full?); free space and run again");
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
  record.method = r.method;
}

}  // namespace nicenergy
