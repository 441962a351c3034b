// An external meter for validation: the log of a wall-power meter (the paper
// checked NVML against a ZES LMG661 and found a correlation of 0.9986), read
// from a file that the meter's logger appends to, or from a named pipe (FIFO)
// that it writes to. A background thread reads new lines as they come.
//
// The log, one reading a line:
//   TIME,POWER_W      TIME in Unix seconds (CLOCK_REALTIME, e.g. `date +%s.%N`),
//                     POWER_W in watts; further columns are ignored
//   POWER_W           (a pipe only) stamped when nicenergy reads the line
// A first line that does not start with a number is a header (`time_s,power_w`);
// empty lines and lines starting with '#' are skipped. Times must not decrease.
// Unix seconds are mapped to the protocol's monotonic clock by the offset
// between the two measured when the meter opens, plus clock_offset_s (for a
// logger whose clock is off; the logger's own delay too).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "meters/power_meter.h"

namespace nicenergy {

struct ExternalMeterOptions {
  double clock_offset_s = 0;  // added to every logged time
  double stale_s = 2;         // a log whose last line is older than this is stale; a larger gap inside a window is an error
  double wait_s = 5;          // energy_between_j waits this long for the log to reach a window's end
};

class ExternalMeter : public PowerMeter {
 public:
  // Energy over [t0_s, t1_s] on the meter's clock: the logged power integrated
  // by trapezoids, interpolated at the edges. Waits (up to wait_s) for the log
  // to pass t1_s. Throws Error, one line, for a malformed line, a log that does
  // not cover the interval or has a gap in it, or a stale stream.
  virtual double energy_between_j(double t0_s, double t1_s) = 0;
  // The readings so far, on the meter's clock.
  virtual std::vector<PowerSample> points() const = 0;
};

// "PATH": a regular file or a FIFO. Throws Error when it cannot be opened, or
// for a file whose lines already there are malformed.
std::unique_ptr<ExternalMeter> make_external_meter(const std::string& path, Clock* clock = nullptr,
                                                   ExternalMeterOptions options = {});

}  // namespace nicenergy
