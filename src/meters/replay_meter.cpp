// Plays a recorded power trace back as a meter: for tests (with a VirtualClock
// the whole protocol runs on virtual time) and for re-analysing a trace offline.
// Power between trace points is linearly interpolated (or step-held, the value
// of the last point at or before t); the optional energy counter is the exact
// integral of that same played-back power, optionally updated only on a grid to
// emulate NVML's ~100 ms counter.
#include <algorithm>
#include <cmath>

#include "error.h"
#include "meters/power_meter.h"
#include "meters/trace_csv.h"

namespace nicenergy {
namespace {

class ReplayMeter : public PowerMeter {
 public:
  ReplayMeter(std::vector<PowerSample> trace, Clock* clock, ReplayOptions options)
      : trace_(std::move(trace)), clock_(clock ? clock : &steady_clock_instance()), options_(options) {
    if (trace_.empty()) throw Error("replay meter: the trace has no samples; record one with `--trace FILE`");
    // nan or inf would make every window's energy nan: refused, whatever the source.
    for (size_t i = 0; i < trace_.size(); ++i)
      if (!std::isfinite(trace_[i].t_s) || !std::isfinite(trace_[i].power_w))
        throw Error("replay meter: trace row " + std::to_string(i + 1) + " holds a number that is not finite");
    for (size_t i = 1; i < trace_.size(); ++i)
      if (trace_[i].t_s < trace_[i - 1].t_s)
        throw Error("replay meter: trace times must not decrease (row " + std::to_string(i + 1) + "); sort the trace by time_s");
    origin_s_ = options_.origin_s ? *options_.origin_s : clock_->now_s();
    cumulative_j_.assign(trace_.size(), 0);
    for (size_t i = 1; i < trace_.size(); ++i)
      cumulative_j_[i] = cumulative_j_[i - 1] + segment_j(i - 1, trace_[i].t_s);
  }

  std::string name() const override { return "replay"; }
  bool available() const override { return true; }
  std::string unavailable_reason() const override { return ""; }
  bool samples_power() const override { return true; }
  bool has_energy_counter() const override { return options_.energy_counter; }

  std::optional<double> power_w() override { return power_at(trace_time(clock_->now_s() - origin_s_)); }

  std::optional<double> energy_j() override {
    if (!options_.energy_counter) return std::nullopt;
    double since_origin_s = clock_->now_s() - origin_s_;
    if (options_.counter_period_s > 0)
      since_origin_s = std::floor(since_origin_s / options_.counter_period_s + 1e-9) * options_.counter_period_s;
    return energy_since_start(since_origin_s);
  }

  DeviceState device_state() override {
    DeviceState state;
    state.name = "replay";
    return state;
  }

  std::map<std::string, std::string> metadata() const override {
    return {{"meter", "replay"}, {"interpolation", options_.linear ? "linear" : "step-hold"},
            {"loop", options_.loop ? "yes" : "no"}, {"points", std::to_string(trace_.size())}};
  }

 private:
  double first_s() const { return trace_.front().t_s; }
  double period_s() const { return trace_.back().t_s - first_s(); }

  // Clock seconds since the origin -> a time inside the trace.
  double trace_time(double since_origin_s) const {
    double t = first_s() + since_origin_s;
    if (options_.loop && period_s() > 0 && t > trace_.back().t_s)
      t = first_s() + std::fmod(since_origin_s, period_s());
    return t;
  }

  double power_at(double t) const {
    if (t <= first_s()) return trace_.front().power_w;
    if (t >= trace_.back().t_s) return trace_.back().power_w;
    // Last point at or before t.
    const size_t i = std::upper_bound(trace_.begin(), trace_.end(), t,
                                      [](double v, const PowerSample& s) { return v < s.t_s; }) - trace_.begin() - 1;
    const PowerSample& a = trace_[i];
    const PowerSample& b = trace_[i + 1];
    if (!options_.linear || b.t_s == a.t_s) return a.power_w;
    return a.power_w + (b.power_w - a.power_w) * (t - a.t_s) / (b.t_s - a.t_s);
  }

  // Energy of segment i (from point i) up to time x within it.
  double segment_j(size_t i, double x) const {
    return (x - trace_[i].t_s) * (options_.linear ? (trace_[i].power_w + power_at_segment(i, x)) / 2 : trace_[i].power_w);
  }
  double power_at_segment(size_t i, double x) const {
    const PowerSample& a = trace_[i];
    const PowerSample& b = trace_[i + 1];
    if (b.t_s == a.t_s) return a.power_w;
    return a.power_w + (b.power_w - a.power_w) * (x - a.t_s) / (b.t_s - a.t_s);
  }

  // Integral of the played-back power over [first, first + since_origin_s].
  double energy_since_start(double since_origin_s) const {
    if (since_origin_s <= 0) return since_origin_s * trace_.front().power_w;
    const double total_j = cumulative_j_.back();
    double laps = 0;
    double t = first_s() + since_origin_s;
    if (t > trace_.back().t_s) {
      if (!options_.loop || period_s() <= 0) return total_j + (t - trace_.back().t_s) * trace_.back().power_w;
      laps = std::floor(since_origin_s / period_s());
      t = first_s() + (since_origin_s - laps * period_s());
    }
    const size_t i = std::upper_bound(trace_.begin(), trace_.end(), t,
                                      [](double v, const PowerSample& s) { return v < s.t_s; }) - trace_.begin() - 1;
    const double within_j = i + 1 < trace_.size() ? cumulative_j_[i] + segment_j(i, t) : total_j;
    return laps * total_j + within_j;
  }

  std::vector<PowerSample> trace_;
  std::vector<double> cumulative_j_;  // energy from the first point to point i
  Clock* clock_;
  ReplayOptions options_;
  double origin_s_ = 0;
};

}  // namespace

std::unique_ptr<PowerMeter> make_replay_meter(std::vector<PowerSample> trace, Clock* clock, ReplayOptions options) {
  return std::make_unique<ReplayMeter>(std::move(trace), clock, options);
}

std::vector<PowerSample> read_power_trace_csv(const std::string& path) {
  std::vector<PowerSample> trace;
  for (const TracePoint& p : read_trace_csv(path)) trace.push_back({p.time_s, p.power_w});
  return trace;
}

}  // namespace nicenergy
