#include "meters/window.h"

#include <algorithm>

#include "error.h"
#include "meters/power_integral.h"

namespace nicenergy {

std::string to_string(EnergyMethod method) {
  switch (method) {
    case EnergyMethod::counter: return "counter";
    case EnergyMethod::samples: return "samples";
    case EnergyMethod::estimate: return "estimate";
  }
  return "";
}

EnergyMethod parse_energy_method(const std::string& text) {
  if (text == "counter") return EnergyMethod::counter;
  if (text == "samples") return EnergyMethod::samples;
  if (text == "estimate") return EnergyMethod::estimate;
  throw Error("energy method '" + text + "' is unknown: use counter, samples or estimate");
}

EnergyMethod primary_method(const PowerMeter& meter) {
  if (meter.is_estimate()) return EnergyMethod::estimate;
  return meter.has_energy_counter() ? EnergyMethod::counter : EnergyMethod::samples;
}

std::optional<double> WindowEnergy::energy_j(EnergyMethod by) const {
  return by == EnergyMethod::samples ? samples_energy_j : counter_energy_j;
}

double WindowEnergy::energy_j() const {
  const std::optional<double> e = energy_j(method);
  if (!e)
    throw Error("window '" + name + "': the meter gave no " + to_string(method) +
                " readings; check it with `nicenergy meters`");
  return *e;
}

double dynamic_energy_j(double window_energy_j, double idle_power_w, double window_s, int64_t executions) {
  if (executions < 1) throw Error("Eq. (1): a window needs at least one execution, got " + std::to_string(executions));
  return (window_energy_j - idle_power_w * window_s) / static_cast<double>(executions);
}

EnergyMonitor::EnergyMonitor(PowerMeter& meter, double sample_hz, Clock* clock, double counter_edge_wait_s)
    : meter_(meter),
      clock_(clock ? *clock : steady_clock_instance()),
      sampler_(meter, sample_hz, &clock_),
      counter_edge_wait_s_(counter_edge_wait_s),
      method_(primary_method(meter)) {
  if (!meter_.available()) throw Error("meter " + meter_.name() + ": " + meter_.unavailable_reason());
  if (!(counter_edge_wait_s_ >= 0)) throw Error("counter_edge_wait_s must be >= 0 s");
  sampler_.start();
  // Two sample periods so that the first edge has samples around it (counter-only
  // meters derive their first power sample from two counter reads).
  clock_.sleep_s(2.0 / sample_hz);
  if (meter_.has_energy_counter() && counter_edge_wait_s_ > 0) counter_update_s_ = probe_counter_update_s();
}

EnergyMonitor::~EnergyMonitor() { sampler_.stop(); }

double EnergyMonitor::probe_counter_update_s() {
  // Poll at 1 ms and time three counter changes (NVML: ~100 ms; RAPL: ~1 ms;
  // the estimate and a replay counter: every read). No change within the edge
  // wait: assume a coarse counter.
  const double give_up_s = clock_.now_s() + std::max(counter_edge_wait_s_, 0.35);
  std::optional<double> last_j = meter_.energy_j();
  std::vector<double> changes_s;
  while (changes_s.size() < 4 && clock_.now_s() < give_up_s) {
    clock_.sleep_s(0.001);
    const std::optional<double> e = meter_.energy_j();
    if (e && last_j && *e != *last_j) changes_s.push_back(clock_.now_s());
    last_j = e;
  }
  if (changes_s.size() < 2) return counter_edge_wait_s_;
  return (changes_s.back() - changes_s.front()) / (changes_s.size() - 1);
}

WindowEdge EnergyMonitor::mark_edge() {
  WindowEdge edge;
  if (!meter_.has_energy_counter()) {
    edge.t_s = clock_.now_s();
    return edge;
  }
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
  const double give_up_s = edge.t_s + counter_edge_wait_s_;
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

std::optional<double> EnergyMonitor::samples_energy_j(double t0_s, double t1_s, size_t* count) {
  const double sample_hz = sampler_.rate_hz();
  const double give_up_s = clock_.now_s() + 3.0 / sample_hz + 0.1;
  for (;;) {
    const std::optional<double> last = sampler_.last_power_time_s();
    if ((last && *last >= t1_s) || clock_.now_s() >= give_up_s) break;
    clock_.sleep_s(std::min(0.01, 0.5 / sample_hz));
  }
  const std::vector<PowerSample> samples = sampler_.power_samples(t0_s);
  if (samples.empty()) return std::nullopt;
  if (count)
    *count = std::count_if(samples.begin(), samples.end(),
                           [&](const PowerSample& s) { return s.t_s >= t0_s && s.t_s <= t1_s; });
  return integrate_power_j(samples, t0_s, t1_s);
}

WindowEdge EnergyMonitor::begin_window(const std::string& name) {
  const WindowEdge edge = mark_edge();
  open_[name] = edge;
  return edge;
}

WindowEnergy EnergyMonitor::end_window(const std::string& name) {
  const auto it = open_.find(name);
  if (it == open_.end()) throw Error("window '" + name + "' was never begun: call begin_window(\"" + name + "\") first");
  WindowEnergy w;
  w.name = name;
  w.method = method_;
  w.begin = it->second;
  open_.erase(it);
  w.end = mark_edge();
  if (w.begin.energy_j && w.end.energy_j) w.counter_energy_j = *w.end.energy_j - *w.begin.energy_j;
  w.samples_energy_j = samples_energy_j(w.begin.t_s, w.end.t_s, &w.samples);
  return w;
}

}  // namespace nicenergy
