#include "meters/clock.h"

#include <chrono>
#include <thread>

namespace nicenergy {

double steady_now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double SteadyClock::now_s() { return steady_now_s(); }

void SteadyClock::sleep_s(double seconds) {
  if (seconds > 0) std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
}

Clock& steady_clock_instance() {
  static SteadyClock clock;
  return clock;
}

void VirtualClock::advance_s(double seconds) {
  if (!(seconds > 0)) return;
  const double target_s = now_s_ + seconds;
  while (tick_) {
    const double tick_s = tick_origin_s_ + static_cast<double>(next_tick_) * tick_period_s_;
    if (tick_s > target_s) break;
    now_s_ = tick_s;
    ++next_tick_;
    tick_();
  }
  now_s_ = target_s;
}

void VirtualClock::set_ticker(double period_s, std::function<void()> tick) {
  tick_ = std::move(tick);
  tick_period_s_ = period_s;
  tick_origin_s_ = now_s_;
  next_tick_ = 1;
  if (tick_) tick_();
}

}  // namespace nicenergy
