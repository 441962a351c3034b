#include "protocol/stats.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <boost/math/distributions/students_t.hpp>
#include <boost/math/special_functions/beta.hpp>

#include "error.h"

namespace nicenergy {

double mean(const std::vector<double>& values) {
  if (values.empty()) return 0;
  double sum = 0;
  for (double v : values) sum += v;
  return sum / values.size();
}

double sample_stddev(const std::vector<double>& values) {
  if (values.size() < 2) return 0;
  const double m = mean(values);
  double sum = 0;
  for (double v : values) sum += (v - m) * (v - m);
  return std::sqrt(sum / (values.size() - 1));
}

// Boost.Math's incomplete beta and Student-t are exact to a few ulps across
// every dof the protocol can meet (1 up to the normal limit).
double regularized_incomplete_beta(double a, double b, double x) {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  return boost::math::ibeta(a, b, x);
}

double student_t_cdf(double t, double dof) { return boost::math::cdf(boost::math::students_t(dof), t); }

double student_t_quantile(double p, double dof) {
  if (!(p > 0 && p < 1) || !(dof > 0))
    throw Error("Student-t quantile: need 0 < p < 1 and dof > 0 (got p " + std::to_string(p) + ", dof " + std::to_string(dof) + ")");
  return boost::math::quantile(boost::math::students_t(dof), p);
}

ConfidenceInterval mean_confidence_interval(const std::vector<double>& values, double confidence) {
  ConfidenceInterval ci;
  ci.n = values.size();
  ci.mean = mean(values);
  if (ci.n < 2) {
    ci.half_width = std::numeric_limits<double>::infinity();
    return ci;
  }
  const double t = student_t_quantile((1 + confidence) / 2, static_cast<double>(ci.n - 1));
  ci.half_width = t * sample_stddev(values) / std::sqrt(static_cast<double>(ci.n));
  return ci;
}

std::string to_string(StopOutcome outcome) {
  switch (outcome) {
    case StopOutcome::more: return "more";
    case StopOutcome::converged: return "converged";
    case StopOutcome::k_max_reached: return "k_max reached";
  }
  return "";
}

StopDecision stop_decision(const std::vector<double>& per_execution_j, double confidence, double ci_target,
                           int k_min, int k_max) {
  StopDecision decision;
  decision.ci = mean_confidence_interval(per_execution_j, confidence);
  const double magnitude = std::fabs(decision.ci.mean);
  decision.relative_half_width = magnitude > 0 ? decision.ci.half_width / magnitude : std::numeric_limits<double>::infinity();
  const int k = static_cast<int>(per_execution_j.size());
  if (k >= k_min && k >= 2 && decision.ci.half_width <= ci_target * magnitude)
    decision.outcome = StopOutcome::converged;
  else if (k >= k_max)
    decision.outcome = StopOutcome::k_max_reached;
  return decision;
}

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
