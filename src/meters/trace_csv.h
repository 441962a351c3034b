// The power trace CSV, `time_s,power_w[,window]`: what the protocol writes
// beside every measurement (write_trace_csv), what the replay meter plays back
// and what the report draws as Fig. 1. One reader serves them all.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "meters/power_meter.h"

namespace nicenergy {

// One sample of a power trace: window is the measurement window's index, -1 outside.
struct TracePoint {
  double time_s = 0;
  double power_w = 0;
  int window = -1;
};

// Limits of a trace: a regular file of at most 1 GiB; times within +-1e9 s,
// powers within +-1e7 W (beyond them the replayed energy overflows to inf).
constexpr uint64_t kMaxTraceBytes = uint64_t(1) << 30;
constexpr double kMaxTraceTimeS = 1e9;
constexpr double kMaxTracePowerW = 1e7;

// A measurement window as the trace marks it.
struct TraceWindow {
  int index = 0;
  double start_s = 0, end_s = 0;  // on the samples' clock
};

// Writes samples as a trace (time from the first sample), each marked with the
// window it falls in (-1 outside); windows in time order. Throws WriteError
// naming the file when it cannot be written in full (a full disk).
void write_power_trace_csv(const std::string& path, const std::vector<PowerSample>& samples,
                           const std::vector<TraceWindow>& windows);

// Reads a trace: a header first naming time_s and power_w, and optionally
// window (-1 everywhere without it); columns in any order, others ignored;
// cells may carry spaces; blank lines are skipped; times must not decrease.
// Throws nicenergy::Error naming the file (and the line and column) when it is
// missing, not a regular file (a FIFO is refused before it is opened), lacks a
// column, holds a cell that is not a finite number within the limits (or a
// window that is not a whole number >= -1), goes back in time or has no samples.
std::vector<TracePoint> read_trace_csv(const std::string& path);
// The same on text in memory; `what` names it in errors ("power trace 'x.csv'").
std::vector<TracePoint> parse_trace_csv(const std::string& text, const std::string& what);

}  // namespace nicenergy
