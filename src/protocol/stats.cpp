#include "protocol/stats.h"

#include <algorithm>
#include <cmath>
#include <limits>

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

namespace {

// Continued fraction for I_x(a, b) (modified Lentz), converges for x < (a+1)/(a+b+2).
double beta_continued_fraction(double a, double b, double x) {
  const double tiny = 1e-300;
  double c = 1, d = 1 - (a + b) * x / (a + 1);
  if (std::fabs(d) < tiny) d = tiny;
  d = 1 / d;
  double h = d;
  for (int m = 1; m <= 500; ++m) {
    const double m2 = 2.0 * m;
    double num = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
    d = 1 + num * d;
    if (std::fabs(d) < tiny) d = tiny;
    c = 1 + num / c;
    if (std::fabs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    num = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
    d = 1 + num * d;
    if (std::fabs(d) < tiny) d = tiny;
    c = 1 + num / c;
    if (std::fabs(c) < tiny) c = tiny;
    d = 1 / d;
    const double delta = d * c;
    h *= delta;
    if (std::fabs(delta - 1) < 1e-15) break;
  }
  return h;
}

}  // namespace

double regularized_incomplete_beta(double a, double b, double x) {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const double log_front = std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x) + b * std::log1p(-x);
  if (x < (a + 1) / (a + b + 2)) return std::exp(log_front) * beta_continued_fraction(a, b, x) / a;
  // Symmetry I_x(a, b) = 1 - I_{1-x}(b, a) where the fraction converges.
  return 1 - std::exp(log_front) * beta_continued_fraction(b, a, 1 - x) / b;
}

double student_t_cdf(double t, double dof) {
  // P(|T| > |t|) = I_{dof/(dof+t^2)}(dof/2, 1/2).
  const double tail = 0.5 * regularized_incomplete_beta(dof / 2, 0.5, dof / (dof + t * t));
  return t >= 0 ? 1 - tail : tail;
}

double student_t_quantile(double p, double dof) {
  if (!(p > 0 && p < 1) || !(dof > 0))
    throw Error("Student-t quantile: need 0 < p < 1 and dof > 0 (got p " + std::to_string(p) + ", dof " + std::to_string(dof) + ")");
  if (p == 0.5) return 0;
  if (p < 0.5) return -student_t_quantile(1 - p, dof);
  double lo = 0, hi = 1;
  while (student_t_cdf(hi, dof) < p) hi *= 2;  // dof 1, p 0.9995: ~637
  for (int i = 0; i < 200 && hi - lo > 1e-12 * hi; ++i) {
    const double mid = (lo + hi) / 2;
    (student_t_cdf(mid, dof) < p ? lo : hi) = mid;
  }
  return (lo + hi) / 2;
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
