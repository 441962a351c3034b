#include "meters/power_integral.h"

#include <algorithm>

#include "error.h"

namespace nicenergy {

double power_at(const std::vector<PowerSample>& samples, double t_s) {
  if (samples.empty()) throw Error("power trace: no samples to interpolate");
  if (t_s <= samples.front().t_s) return samples.front().power_w;
  if (t_s >= samples.back().t_s) return samples.back().power_w;
  auto it = std::upper_bound(samples.begin(), samples.end(), t_s, [](double t, const PowerSample& s) { return t < s.t_s; });
  const PowerSample& b = *it;
  const PowerSample& a = *(it - 1);
  if (b.t_s == a.t_s) return a.power_w;
  return a.power_w + (b.power_w - a.power_w) * (t_s - a.t_s) / (b.t_s - a.t_s);
}

double integrate_power_j(const std::vector<PowerSample>& samples, double t0_s, double t1_s) {
  if (samples.empty()) throw Error("power trace: no samples in the window; raise the sample rate or the window length");
  if (t1_s <= t0_s) return 0;
  // Trapezoids over the edge points and every sample strictly inside.
  double energy_j = 0;
  double prev_t = t0_s;
  double prev_p = power_at(samples, t0_s);
  auto it = std::upper_bound(samples.begin(), samples.end(), t0_s, [](double t, const PowerSample& s) { return t < s.t_s; });
  for (; it != samples.end() && it->t_s < t1_s; ++it) {
    energy_j += (it->t_s - prev_t) * (prev_p + it->power_w) / 2;
    prev_t = it->t_s;
    prev_p = it->power_w;
  }
  energy_j += (t1_s - prev_t) * (prev_p + power_at(samples, t1_s)) / 2;
  return energy_j;
}

}  // namespace nicenergy
