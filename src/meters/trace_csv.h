// The power trace CSV, `time_s,power_w[,window]`: what the protocol writes
// beside every measurement (write_trace_csv), what the replay meter plays back
// and what the report draws as Fig. 1. One reader serves them all.
#pragma once
#include <string>
#include <vector>

namespace nicenergy {

// One sample of a power trace: window is the measurement window's index, -1 outside.
struct TracePoint {
  double time_s = 0;
  double power_w = 0;
  int window = -1;
};

// Reads a trace: a header first naming time_s and power_w, and optionally
// window (-1 everywhere without it); columns in any order, others ignored;
// cells may carry spaces; blank lines are skipped; times must not decrease.
// Throws nicenergy::Error naming the file (and the line) when it is missing,
// lacks a column, holds a cell that is not a number, goes back in time or has
// no samples.
std::vector<TracePoint> read_trace_csv(const std::string& path);

}  // namespace nicenergy
