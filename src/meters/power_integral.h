// The energy of a sampled power trace over a window: the trapezoidal rule,
// with the power at the edges interpolated between the samples around them.
#pragma once
#include <vector>

#include "meters/power_meter.h"

namespace nicenergy {

// Energy in J over [t0_s, t1_s] by the trapezoidal rule on samples sorted by
// time, any spacing. The power at the window edges is interpolated linearly
// between the samples around them; past the first/last sample the nearest
// sample's value is held (the protocol waits for samples beyond both edges).
// Throws Error for no samples.
double integrate_power_j(const std::vector<PowerSample>& samples, double t0_s, double t1_s);
// Linear interpolation of the samples at t_s (held past the ends).
double power_at(const std::vector<PowerSample>& samples, double t_s);

}  // namespace nicenergy
