// Measurement windows over a power meter, in the spirit of Zeus's
// begin_window/end_window: the energy of whatever ran between two edges, by
// the meter's energy counter and by its integrated power samples.
//
// A program that links nicenergy_core can measure its own code with it:
//
//   auto meter = nicenergy::open_meter("auto");   // or "nvml", "rapl", ...
//   nicenergy::EnergyMonitor monitor(*meter);      // starts sampling
//   monitor.begin_window("encode");
//   encode(image);                                 // synchronise the device first
//   nicenergy::WindowEnergy w = monitor.end_window("encode");
//   std::printf("%.3f J in %.3f s\n", w.energy_j(), w.duration_s());
//
// and, given an idle power measured the same way (a window over nothing),
// the dynamic energy per execution of Eq. (1): dynamic_energy_j(...).
// examples/measure_my_code.cpp is a complete program.
//
// Edges. A counter that updates only every ~100 ms (NVML) makes a read up to
// one period stale, i.e. up to 100 ms x P wrong at each edge. So the monitor
// first times the counter's updates, and where they are coarser than 5 ms each
// edge waits (up to counter_edge_wait_s) for the counter to tick and takes that
// moment, half-way between the two reads around the tick, as the edge. Every
// read is stamped at the middle of the call (NVML reads take milliseconds).
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "meters/clock.h"
#include "meters/power_meter.h"
#include "meters/sampler.h"

namespace nicenergy {

// Where a window's energy comes from: the meter's counter, its sampled power
// integrated by trapezoids, or a modelled counter (the CPU estimate).
enum class EnergyMethod { counter, samples, estimate };
std::string to_string(EnergyMethod method);   // "counter", "samples", "estimate"
EnergyMethod parse_energy_method(const std::string& text);  // throws Error

// The method a meter's windows are judged by: its counter when it has one.
EnergyMethod primary_method(const PowerMeter& meter);

struct WindowEdge {
  double t_s = 0;                  // on the monitor's clock
  std::optional<double> energy_j;  // counter value at t_s, when the meter has a counter
};

// What end_window returns.
struct WindowEnergy {
  std::string name;
  WindowEdge begin, end;
  std::optional<double> counter_energy_j;  // end - begin counter
  std::optional<double> samples_energy_j;  // integrated power samples over [begin, end]
  size_t samples = 0;                      // power samples inside the window
  EnergyMethod method = EnergyMethod::samples;  // the meter's primary method
  double duration_s() const { return end.t_s - begin.t_s; }
  // The energy by `method`; throws Error when that source gave nothing.
  double energy_j() const;
  std::optional<double> energy_j(EnergyMethod by) const;
  double mean_power_w() const { return duration_s() > 0 ? energy_j() / duration_s() : 0; }
};

// Eq. (1) of Herglotz et al. (ICIP), the dynamic energy per execution:
//   E_dyn = (E_window - P_idle * T_window) / M
// with E_window the energy over a window of length T_window in which the
// network ran M times, and P_idle the idle power. The one place it is computed.
double dynamic_energy_j(double window_energy_j, double idle_power_w, double window_s, int64_t executions);

class EnergyMonitor {
 public:
  static constexpr double kDefaultEdgeWaitS = 0.25;
  // Starts sampling `meter` at sample_hz (the paper's 10 Hz by default) on
  // `clock` (the steady clock when null), and times the counter's updates.
  // Throws Error when the meter is unavailable or the rate is out of range.
  EnergyMonitor(PowerMeter& meter, double sample_hz = 10, Clock* clock = nullptr,
                double counter_edge_wait_s = kDefaultEdgeWaitS);
  ~EnergyMonitor();
  EnergyMonitor(const EnergyMonitor&) = delete;
  EnergyMonitor& operator=(const EnergyMonitor&) = delete;

  // Opens a named window now (an edge on a counter tick where the counter is
  // coarse). Windows may nest or overlap; reopening a name restarts it.
  WindowEdge begin_window(const std::string& name);
  // Closes it and returns its energy; waits until a power sample lies past the
  // end edge (a few sample periods at most), so the edge is interpolated.
  // Throws Error for a name that was not opened.
  WindowEnergy end_window(const std::string& name);

  PowerMeter& meter() { return meter_; }
  Clock& clock() { return clock_; }
  Sampler& sampler() { return sampler_; }
  EnergyMethod method() const { return method_; }
  // Measured period of the counter's updates (0: no counter or not aligned).
  double counter_update_s() const { return counter_update_s_; }
  // True where edges wait for counter ticks (a counter coarser than 5 ms).
  bool aligned_edges() const { return meter_.has_energy_counter() && counter_update_s_ > 0.005; }
  // An edge now, outside any window: on the next tick of a coarse counter
  // (used to time the counter's power just before or after a window).
  WindowEdge edge_now() { return mark_edge(); }

 private:
  WindowEdge mark_edge();
  double probe_counter_update_s();
  std::optional<double> samples_energy_j(double t0_s, double t1_s, size_t* count);

  PowerMeter& meter_;
  Clock& clock_;
  Sampler sampler_;
  double counter_edge_wait_s_;
  EnergyMethod method_;
  double counter_update_s_ = 0;
  std::map<std::string, WindowEdge> open_;
};

}  // namespace nicenergy
