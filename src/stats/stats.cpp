#include "stats/stats.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

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

LineFit fit_line(const std::vector<double>& x, const std::vector<double>& y, const std::string& what) {
  if (x.size() != y.size())
    throw Error(what + ": " + std::to_string(x.size()) + " x values but " + std::to_string(y.size()) +
                " y values; give one y per x");
  const size_t n = x.size();
  if (n < 2) throw Error(what + ": a line needs at least 2 points, got " + std::to_string(n));
  // Centred sums keep the arithmetic stable when S is in the millions.
  const double mx = std::accumulate(x.begin(), x.end(), 0.0) / n;
  const double my = std::accumulate(y.begin(), y.end(), 0.0) / n;
  double sxx = 0, syy = 0, sxy = 0;
  for (size_t i = 0; i < n; ++i) {
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
    sxy += (x[i] - mx) * (y[i] - my);
  }
  // The caller knows what x is (sizes, kMAC) and checks it first with its own hint.
  if (!(sxx > 0)) throw Error(what + ": all x values are equal, so the slope is undefined; add points at other x values");
  LineFit fit;
  fit.n = static_cast<int>(n);
  fit.slope = sxy / sxx;
  fit.intercept = my - fit.slope * mx;
  // A flat y has no defined correlation; 0 says "no linear relation" plainly.
  fit.pearson = syy > 0 ? sxy / std::sqrt(sxx * syy) : 0.0;
  return fit;
}

}  // namespace nicenergy
