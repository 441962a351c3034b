#include "meters/sampler.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "error.h"

namespace nicenergy {
namespace {

// Index of the last sample at or before t_s (0 when none is).
template <typename Sample>
size_t first_kept(const std::vector<Sample>& samples, double t_s) {
  auto it = std::upper_bound(samples.begin(), samples.end(), t_s,
                             [](double t, const Sample& s) { return t < s.t_s; });
  return it == samples.begin() ? 0 : static_cast<size_t>(it - samples.begin()) - 1;
}

}  // namespace

Sampler::Sampler(PowerMeter& meter, double rate_hz, Clock* clock)
    : meter_(meter), rate_hz_(rate_hz), clock_(clock ? clock : &steady_clock_instance()) {
  if (!(rate_hz > 0 && rate_hz <= kMaxRateHz))
    throw Error("sample rate " + std::to_string(rate_hz) + " Hz: use a rate above 0 and at most 1000 Hz (e.g. --sample-hz 10)");
}

Sampler::~Sampler() { stop(); }

void Sampler::start() {
  if (running_) return;
  stop_requested_ = false;
  running_ = true;
  if (auto* virtual_clock = dynamic_cast<VirtualClock*>(clock_)) {
    virtual_ = true;
    virtual_clock->set_ticker(1.0 / rate_hz_, [this] { tick(); });
    return;
  }
  virtual_ = false;
  thread_ = std::thread([this] { loop(); });
}

void Sampler::stop() {
  if (!running_) return;
  if (virtual_) {
    static_cast<VirtualClock*>(clock_)->set_ticker(0, nullptr);
  } else {
    {
      std::lock_guard<std::mutex> lock(control_mutex_);
      stop_requested_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  running_ = false;
}

void Sampler::loop() {
  using clock = std::chrono::steady_clock;
  const auto period = std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(1.0 / rate_hz_));
  const auto start = clock::now();
  std::unique_lock<std::mutex> lock(control_mutex_);
  for (long long n = 1; !stop_requested_; ++n) {
    lock.unlock();
    tick();
    lock.lock();
    // Stay on the grid start + n * period; after a slow read skip the missed
    // ticks rather than bursting to catch up.
    auto next = start + n * period;
    const auto now = clock::now();
    if (next < now) {
      n = (now - start) / period + 1;
      next = start + n * period;
    }
    wake_.wait_until(lock, next, [this] { return stop_requested_; });
  }
}

void Sampler::tick() {
  const bool sampling_power = meter_.samples_power();
  const double t_s = clock_->now_s();
  std::optional<double> power_w;
  double power_t_s = t_s;
  if (sampling_power) {
    power_w = meter_.power_w();
    power_t_s = (t_s + clock_->now_s()) / 2;  // the middle of the read
  }
  std::optional<double> memory_w;
  double memory_t_s = t_s;
  if (sampling_power && meter_.has_memory_power()) {
    const double t0 = clock_->now_s();
    memory_w = meter_.memory_power_w();
    memory_t_s = (t0 + clock_->now_s()) / 2;
  }
  // Beside power samples the counter is only a record: read it at most at
  // kCounterRecordHz, as NVML's energy read is slow (~4 ms on an H100) and would
  // cap the power sampling rate. Counter-only meters read it every tick.
  std::optional<double> energy_j;
  double energy_t_s = t_s;
  if (meter_.has_energy_counter() && (!sampling_power || t_s >= next_energy_s_)) {
    const double t0 = clock_->now_s();
    energy_j = meter_.energy_j();
    energy_t_s = (t0 + clock_->now_s()) / 2;
    next_energy_s_ = t_s + 1.0 / kCounterRecordHz;
  }
  const double max_w = max_power_w_;
  auto number = [](double v) {
    char text[32];
    std::snprintf(text, sizeof text, "%.6g", v);
    return std::string(text);
  };
  std::lock_guard<std::mutex> lock(data_mutex_);
  if (power_w) {
    if (!std::isfinite(*power_w) || *power_w < 0 || *power_w > max_w)
      rejections_.push_back({power_t_s, "power reading " + number(*power_w) + " W outside [0, max_power_w " +
                                            number(max_w) + " W]"});
    else
      power_.push_back({power_t_s, *power_w});
  }
  if (memory_w) {
    if (!std::isfinite(*memory_w) || *memory_w < 0 || *memory_w > max_w)
      rejections_.push_back({memory_t_s, "memory power reading " + number(*memory_w) + " W outside [0, max_power_w " +
                                             number(max_w) + " W]"});
    else
      memory_.push_back({memory_t_s, *memory_w});
  }
  if (energy_j) {
    if (!energy_.empty() && energy_t_s > energy_.back().t_s) {
      const EnergySample& prev = energy_.back();
      const double derived_w = (*energy_j - prev.energy_j) / (energy_t_s - prev.t_s);
      // The counter restarts from the new value either way: one bad pair, not all that follow.
      if (*energy_j < prev.energy_j)
        rejections_.push_back({energy_t_s, "energy counter went backwards by " + number(prev.energy_j - *energy_j) + " J"});
      else if (derived_w > max_w)
        rejections_.push_back({energy_t_s, "energy counter jumped " + number(*energy_j - prev.energy_j) + " J in " +
                                               number(energy_t_s - prev.t_s) + " s (" + number(derived_w) +
                                               " W > max_power_w)"});
      else if (!sampling_power)
        power_.push_back({(prev.t_s + energy_t_s) / 2, derived_w});
    }
    energy_.push_back({energy_t_s, *energy_j});
  }
}

std::vector<SampleRejection> Sampler::rejections(double t0_s, double t1_s) const {
  std::lock_guard<std::mutex> lock(data_mutex_);
  std::vector<SampleRejection> out;
  for (const SampleRejection& r : rejections_)
    if (r.t_s >= t0_s && r.t_s <= t1_s) out.push_back(r);
  return out;
}

std::vector<PowerSample> Sampler::power_samples(double since_s) const {
  std::lock_guard<std::mutex> lock(data_mutex_);
  return {power_.begin() + first_kept(power_, since_s), power_.end()};
}

std::vector<EnergySample> Sampler::energy_samples(double since_s) const {
  std::lock_guard<std::mutex> lock(data_mutex_);
  return {energy_.begin() + first_kept(energy_, since_s), energy_.end()};
}

std::vector<PowerSample> Sampler::memory_samples(double since_s) const {
  std::lock_guard<std::mutex> lock(data_mutex_);
  return {memory_.begin() + first_kept(memory_, since_s), memory_.end()};
}

size_t Sampler::power_sample_count() const {
  std::lock_guard<std::mutex> lock(data_mutex_);
  return power_.size();
}

std::optional<double> Sampler::last_power_time_s() const {
  std::lock_guard<std::mutex> lock(data_mutex_);
  if (power_.empty()) return std::nullopt;
  return power_.back().t_s;
}

void Sampler::discard_before(double t_s) {
  std::lock_guard<std::mutex> lock(data_mutex_);
  power_.erase(power_.begin(), power_.begin() + first_kept(power_, t_s));
  energy_.erase(energy_.begin(), energy_.begin() + first_kept(energy_, t_s));
  memory_.erase(memory_.begin(), memory_.begin() + first_kept(memory_, t_s));
  rejections_.erase(std::remove_if(rejections_.begin(), rejections_.end(),
                                   [t_s](const SampleRejection& r) { return r.t_s < t_s; }),
                    rejections_.end());
}

}  // namespace nicenergy
