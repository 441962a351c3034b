// Statistics without a domain: mean, standard deviation, the Student-t
// quantile (Boost.Math) and the confidence interval of a mean, and an ordinary
// least-squares line. The protocol, the meters, validation and the fits use them.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

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

// Ordinary least squares y = slope * x + intercept with Pearson's r.
struct LineFit {
  double slope = 0;
  double intercept = 0;
  double pearson = 0;
  int n = 0;
};
// Throws nicenergy::Error (naming `what`) for fewer than 2 points, sizes that
// differ, or x all equal (slope undefined).
LineFit fit_line(const std::vector<double>& x, const std::vector<double>& y, const std::string& what);

}  // namespace nicenergy
