// The statistics the protocol needs: mean, standard deviation, the Student-t
// quantile (Boost.Math; for the confidence interval that chooses K), and the
// trapezoidal integral of sampled power over a window.
#pragma once
#include <string>
#include <vector>

#include "meters/power_meter.h"

namespace nicenergy {

double mean(const std::vector<double>& values);
double sample_stddev(const std::vector<double>& values);  // n - 1 in the denominator; 0 for n < 2

// I_x(a, b), the regularized incomplete beta function.
double regularized_incomplete_beta(double a, double b, double x);
// P(T <= t) for Student's t with dof degrees of freedom.
double student_t_cdf(double t, double dof);
// The t with P(T <= t) = p, e.g. (0.975, 9) -> 2.262. Throws nicenergy::Error
// unless 0 < p < 1 and dof > 0.
double student_t_quantile(double p, double dof);

// Two-sided confidence interval of the mean: mean +- half_width with
// half_width = t_{(1+confidence)/2, n-1} * s / sqrt(n). Infinite for n < 2.
struct ConfidenceInterval {
  double mean = 0;
  double half_width = 0;
  size_t n = 0;
};
ConfidenceInterval mean_confidence_interval(const std::vector<double>& values, double confidence);

// The run-time choice of K (paper, Sec. 3): after each window from k_min on,
// stop when the half-width is at most ci_target x |mean|, or at k_max.
enum class StopOutcome { more, converged, k_max_reached };
std::string to_string(StopOutcome outcome);  // "more", "converged", "k_max reached"
struct StopDecision {
  StopOutcome outcome = StopOutcome::more;
  ConfidenceInterval ci;
  double relative_half_width = 0;  // half_width / |mean|
};
StopDecision stop_decision(const std::vector<double>& per_execution_j, double confidence, double ci_target,
                           int k_min, int k_max);

// Energy in J over [t0_s, t1_s] by the trapezoidal rule on samples sorted by
// time, any spacing. The power at the window edges is interpolated linearly
// between the samples around them; past the first/last sample the nearest
// sample's value is held (the protocol waits for samples beyond both edges).
// Throws Error for no samples.
double integrate_power_j(const std::vector<PowerSample>& samples, double t0_s, double t1_s);
// Linear interpolation of the samples at t_s (held past the ends).
double power_at(const std::vector<PowerSample>& samples, double t_s);

}  // namespace nicenergy
