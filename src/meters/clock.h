// Time for meters, the sampler and the protocol: monotonic seconds.
// SteadyClock is the real one. VirtualClock moves only when told to, so the whole
// protocol can run on a replay trace in milliseconds of real time (tests,
// offline re-analysis); a ticker on it stands in for the sampler's thread.
#pragma once
#include <cstdint>
#include <functional>

namespace nicenergy {

// steady_clock in seconds.
double steady_now_s();

class Clock {
 public:
  virtual ~Clock() = default;
  virtual double now_s() = 0;
  virtual void sleep_s(double seconds) = 0;
};

class SteadyClock : public Clock {
 public:
  double now_s() override;
  void sleep_s(double seconds) override;
};

// The process-wide real clock (what a null Clock* means everywhere).
Clock& steady_clock_instance();

class VirtualClock : public Clock {
 public:
  explicit VirtualClock(double start_s = 0) : now_s_(start_s) {}
  double now_s() override { return now_s_; }
  // Moves time forward, stopping at each ticker time passed to call the ticker.
  void sleep_s(double seconds) override { advance_s(seconds); }
  void advance_s(double seconds);
  // Calls `tick` now and then every period_s of virtual time (on the grid
  // now + n * period_s, so no drift); an empty tick removes the ticker.
  void set_ticker(double period_s, std::function<void()> tick);

 private:
  double now_s_;
  double tick_origin_s_ = 0;
  double tick_period_s_ = 0;
  int64_t next_tick_ = 0;
  std::function<void()> tick_;
};

}  // namespace nicenergy
