// A background thread that polls a meter at a fixed rate (default 10 Hz as in the
// paper, up to 1 kHz) and keeps (t_s, power_w) and, where the meter has a
// counter, (t_s, energy_j). Meters with only a counter (RAPL, the estimate) get
// power samples derived from successive counter reads, stamped at the middle of
// each interval. Every read is stamped at the middle of the call (an NVML read
// takes milliseconds; a stamp before the read would put the value early).
// Implausible readings (power not finite, below 0 or above max_power_w, a
// counter that goes backwards or jumps by more than max_power_w allows) are
// not stored as power; each is kept as a SampleRejection, so the protocol can
// warn about it (never silently). On a VirtualClock there is no thread: the clock's ticker takes
// the samples as virtual time passes, so runs are deterministic.
#pragma once
#include <atomic>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "meters/power_meter.h"

namespace nicenergy {

struct SampleRejection {
  double t_s = 0;
  std::string what;  // "power 9999 W above max_power_w 3000 W", "counter went backwards by 5 J"
};

class Sampler {
 public:
  static constexpr double kMaxRateHz = 1000;
  static constexpr double kCounterRecordHz = 10;  // counter reads beside power samples
  // Throws Error for a rate outside (0, 1000] Hz.
  Sampler(PowerMeter& meter, double rate_hz = 10, Clock* clock = nullptr);
  ~Sampler();  // stops and joins the thread
  Sampler(const Sampler&) = delete;
  Sampler& operator=(const Sampler&) = delete;

  void start();  // the first sample is taken at once
  void stop();   // joins; the samples stay
  bool running() const { return running_; }
  void tick();   // take one sample now (what the thread does every period)

  double rate_hz() const { return rate_hz_; }
  // Readings above this are dropped as implausible (default: no limit).
  void set_max_power_w(double w) { max_power_w_ = w; }
  std::vector<SampleRejection> rejections(double t0_s, double t1_s) const;
  // Copies of the samples from the last one at or before since_s on (that one
  // is included so that a window starting at since_s can be interpolated).
  std::vector<PowerSample> power_samples(double since_s = -std::numeric_limits<double>::infinity()) const;
  std::vector<EnergySample> energy_samples(double since_s = -std::numeric_limits<double>::infinity()) const;
  // Memory-scope power where the meter has it (PowerMeter::has_memory_power), read beside each power sample.
  std::vector<PowerSample> memory_samples(double since_s = -std::numeric_limits<double>::infinity()) const;
  size_t power_sample_count() const;
  std::optional<double> last_power_time_s() const;
  // Frees memory in long runs: drops samples older than t_s (keeps the last one before).
  void discard_before(double t_s);

 private:
  void loop();
  PowerMeter& meter_;
  double rate_hz_;
  Clock* clock_;
  std::atomic<bool> running_{false};
  bool virtual_ = false;
  std::thread thread_;
  std::mutex control_mutex_;
  std::condition_variable wake_;
  bool stop_requested_ = false;
  double next_energy_s_ = -std::numeric_limits<double>::infinity();  // tick thread only
  std::atomic<double> max_power_w_{std::numeric_limits<double>::infinity()};

  mutable std::mutex data_mutex_;
  std::vector<PowerSample> power_;
  std::vector<EnergySample> energy_;
  std::vector<SampleRejection> rejections_;
  std::vector<PowerSample> memory_;
};

}  // namespace nicenergy
