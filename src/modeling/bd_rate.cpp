#include "modeling/bd_rate.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <utility>

#include "error.h"

namespace nicenergy {

namespace {

std::string number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", value);
  return text;
}

std::string quoted(const RdCurve& curve) { return "curve '" + curve.name + "'"; }

// The points sorted by rate, after the checks every use needs; x = PSNR, y = ln(bpp).
struct Samples {
  std::vector<double> x;
  std::vector<double> y;
  std::vector<RdPoint> points;
};

Samples checked_samples(const RdCurve& curve, size_t min_points, const std::string& what) {
  if (curve.points.size() < min_points)
    throw Error(what + ": " + quoted(curve) + " has " + std::to_string(curve.points.size()) +
                (curve.points.size() == 1 ? " point" : " points") + ", fewer than " +
                std::to_string(min_points) + ": measure it at more quality settings");
  Samples s;
  s.points = curve.points;
  for (const RdPoint& p : s.points) {
    if (!std::isfinite(p.bpp) || p.bpp <= 0)
      throw Error(what + ": " + quoted(curve) + " has a rate of " + number(p.bpp) +
                  " bpp: every point needs a positive, finite bits per pixel");
    if (!std::isfinite(p.psnr_db))
      throw Error(what + ": " + quoted(curve) + " has a PSNR of " + number(p.psnr_db) + " dB at " + number(p.bpp) +
                  " bpp: leave lossless or failed points out of RD curves");
  }
  std::sort(s.points.begin(), s.points.end(), [](const RdPoint& a, const RdPoint& b) { return a.bpp < b.bpp; });
  for (size_t i = 1; i < s.points.size(); ++i)
    if (!(s.points[i].bpp > s.points[i - 1].bpp && s.points[i].psnr_db > s.points[i - 1].psnr_db))
      throw Error(what + ": " + quoted(curve) + " is not monotone: " + number(s.points[i - 1].bpp) + " bpp gives " +
                  number(s.points[i - 1].psnr_db) + " dB but " + number(s.points[i].bpp) + " bpp gives " +
                  number(s.points[i].psnr_db) + " dB; PSNR must rise strictly with rate (drop or re-measure the point)");
  for (const RdPoint& p : s.points) {
    s.x.push_back(p.psnr_db);
    s.y.push_back(std::log(p.bpp));
  }
  return s;
}

// ---- the cubic fit of VCEG-M33 ----------------------------------------------

// Least squares y = sum c_k u^k (k = 0..3) with u = (x - center) / scale, so
// that the normal equations stay well conditioned whatever the dB values.
struct Cubic {
  double center = 0;
  double scale = 1;
  std::array<double, 4> c{};

  // The integral of the cubic over x from a to b.
  double integral(double a, double b) const {
    auto antiderivative = [&](double x) {
      const double u = (x - center) / scale;
      return scale * (c[0] * u + c[1] * u * u / 2 + c[2] * u * u * u / 3 + c[3] * u * u * u * u / 4);
    };
    return antiderivative(b) - antiderivative(a);
  }
};

Cubic fit_cubic(const Samples& s) {
  Cubic fit;
  const auto [lowest, highest] = std::minmax_element(s.x.begin(), s.x.end());
  fit.center = (*lowest + *highest) / 2;
  fit.scale = (*highest - *lowest) / 2;  // > 0: the PSNRs are strictly rising
  // Normal equations A c = b, A[j][k] = sum u^(j+k), b[j] = sum y u^j.
  std::array<std::array<double, 5>, 4> a{};  // augmented with b
  for (size_t i = 0; i < s.x.size(); ++i) {
    const double u = (s.x[i] - fit.center) / fit.scale;
    std::array<double, 7> power{};
    power[0] = 1;
    for (int k = 1; k < 7; ++k) power[k] = power[k - 1] * u;
    for (int j = 0; j < 4; ++j) {
      for (int k = 0; k < 4; ++k) a[j][k] += power[j + k];
      a[j][4] += s.y[i] * power[j];
    }
  }
  // Gaussian elimination with partial pivoting; 4 distinct abscissae make A
  // positive definite, so no pivot is zero.
  for (int col = 0; col < 4; ++col) {
    int pivot = col;
    for (int row = col + 1; row < 4; ++row)
      if (std::abs(a[row][col]) > std::abs(a[pivot][col])) pivot = row;
    std::swap(a[col], a[pivot]);
    for (int row = col + 1; row < 4; ++row) {
      const double factor = a[row][col] / a[col][col];
      for (int k = col; k < 5; ++k) a[row][k] -= factor * a[col][k];
    }
  }
  for (int row = 3; row >= 0; --row) {
    double v = a[row][4];
    for (int k = row + 1; k < 4; ++k) v -= a[row][k] * fit.c[k];
    fit.c[row] = v / a[row][row];
  }
  return fit;
}

// ---- piecewise cubic Hermite (PCHIP) ----------------------------------------

// SciPy's end slope: a three-point estimate, kept shape-preserving.
double pchip_end_slope(double h0, double h1, double d0, double d1) {
  double d = ((2 * h0 + h1) * d0 - h0 * d1) / (h0 + h1);
  if (d * d0 <= 0) return 0;
  auto sign = [](double v) { return (v > 0) - (v < 0); };
  if (sign(d0) != sign(d1) && std::abs(d) > 3 * std::abs(d0)) return 3 * d0;
  return d;
}

struct Pchip {
  std::vector<double> x, y, slope;

  double value(double at) const {
    size_t k = std::upper_bound(x.begin(), x.end(), at) - x.begin();
    k = std::clamp<size_t>(k, 1, x.size() - 1) - 1;
    const double h = x[k + 1] - x[k];
    const double t = (at - x[k]) / h;
    const double t2 = t * t;
    const double t3 = t2 * t;
    return (2 * t3 - 3 * t2 + 1) * y[k] + (t3 - 2 * t2 + t) * h * slope[k] + (-2 * t3 + 3 * t2) * y[k + 1] +
           (t3 - t2) * h * slope[k + 1];
  }

  // Simpson's rule on each piece between knots: exact for cubics.
  double integral(double a, double b) const {
    std::vector<double> cuts = {a};
    for (double knot : x)
      if (knot > a && knot < b) cuts.push_back(knot);
    cuts.push_back(b);
    double sum = 0;
    for (size_t i = 0; i + 1 < cuts.size(); ++i) {
      const double l = cuts[i];
      const double r = cuts[i + 1];
      sum += (r - l) / 6 * (value(l) + 4 * value((l + r) / 2) + value(r));
    }
    return sum;
  }
};

Pchip fit_pchip(const Samples& s) {
  Pchip p{s.x, s.y, std::vector<double>(s.x.size())};
  const size_t n = s.x.size();
  std::vector<double> h(n - 1), delta(n - 1);
  for (size_t k = 0; k + 1 < n; ++k) {
    h[k] = s.x[k + 1] - s.x[k];
    delta[k] = (s.y[k + 1] - s.y[k]) / h[k];
  }
  for (size_t k = 1; k + 1 < n; ++k) {
    if (delta[k - 1] * delta[k] <= 0) continue;  // a local extremum: flat
    const double w1 = 2 * h[k] + h[k - 1];
    const double w2 = h[k] + 2 * h[k - 1];
    p.slope[k] = (w1 + w2) / (w1 / delta[k - 1] + w2 / delta[k]);
  }
  p.slope[0] = pchip_end_slope(h[0], h[1], delta[0], delta[1]);
  p.slope[n - 1] = pchip_end_slope(h[n - 2], h[n - 3], delta[n - 2], delta[n - 3]);
  return p;
}

double integral(const Samples& s, BdMethod method, double a, double b) {
  if (method == BdMethod::pchip) return fit_pchip(s).integral(a, b);
  return fit_cubic(s).integral(a, b);
}

}  // namespace

std::string bd_method_name(BdMethod method) {
  return method == BdMethod::pchip ? "piecewise cubic (PCHIP)" : "cubic fit (VCEG-M33)";
}

std::string BdRate::describe() const {
  char text[64];
  std::snprintf(text, sizeof text, "%.2f %%", percent);
  return "BD-rate of " + test + " against " + anchor + ": " + text + " (" + bd_method_name(method) + ", over " +
         number(low_db) + " to " + number(high_db) + " dB)";
}

BdRate bd_rate(const RdCurve& anchor, const RdCurve& test, BdMethod method) {
  const Samples a = checked_samples(anchor, 4, "BD-rate");
  const Samples t = checked_samples(test, 4, "BD-rate");
  BdRate result;
  result.method = method;
  result.anchor = anchor.name;
  result.test = test.name;
  result.low_db = std::max(a.x.front(), t.x.front());
  result.high_db = std::min(a.x.back(), t.x.back());
  if (!(result.high_db > result.low_db))
    throw Error("BD-rate: " + quoted(anchor) + " spans " + number(a.x.front()) + " to " + number(a.x.back()) +
                " dB and " + quoted(test) + " " + number(t.x.front()) + " to " + number(t.x.back()) +
                " dB, which do not overlap: measure qualities that reach a common PSNR range");
  const double width = result.high_db - result.low_db;
  const double mean_difference =
      (integral(t, method, result.low_db, result.high_db) - integral(a, method, result.low_db, result.high_db)) / width;
  result.percent = (std::exp(mean_difference) - 1) * 100;
  return result;
}

BdPsnr bd_psnr(const RdCurve& anchor, const RdCurve& test, BdMethod method) {
  // The same checks and fits with the axes swapped: x = ln(bpp), y = PSNR.
  auto swapped = [](Samples s) {
    std::swap(s.x, s.y);
    return s;
  };
  const Samples a = swapped(checked_samples(anchor, 4, "BD-PSNR"));
  const Samples t = swapped(checked_samples(test, 4, "BD-PSNR"));
  BdPsnr result;
  result.method = method;
  result.anchor = anchor.name;
  result.test = test.name;
  const double low = std::max(a.x.front(), t.x.front());
  const double high = std::min(a.x.back(), t.x.back());
  if (!(high > low))
    throw Error("BD-PSNR: " + quoted(anchor) + " spans " + number(a.points.front().bpp) + " to " +
                number(a.points.back().bpp) + " bpp and " + quoted(test) + " " + number(t.points.front().bpp) +
                " to " + number(t.points.back().bpp) +
                " bpp, which do not overlap: measure qualities that reach a common rate range");
  result.low_bpp = std::exp(low);
  result.high_bpp = std::exp(high);
  result.db = (integral(t, method, low, high) - integral(a, method, low, high)) / (high - low);
  return result;
}

std::string BdPsnr::describe() const {
  char text[64];
  std::snprintf(text, sizeof text, "%+.2f dB", db);
  return "BD-PSNR of " + test + " against " + anchor + ": " + text + " (" + bd_method_name(method) + ", over " +
         number(low_bpp) + " to " + number(high_bpp) + " bpp)";
}

std::string matched_quality_method() {
  return "log(bpp) and log(energy) interpolated linearly in PSNR between the two measured points enclosing it";
}

MatchedQuality at_matched_quality(const RdCurve& curve, double psnr_db) {
  const std::string what = "matched quality at " + number(psnr_db) + " dB";
  const Samples s = checked_samples(curve, 2, what);
  if (!(psnr_db >= s.x.front() && psnr_db <= s.x.back()))
    throw Error(what + ": " + quoted(curve) + " spans " + number(s.x.front()) + " to " + number(s.x.back()) +
                " dB and is not extrapolated: ask for a PSNR inside it or measure more qualities");
  for (const RdPoint& p : s.points)
    if (!std::isnan(p.energy_j) && !(std::isfinite(p.energy_j) && p.energy_j > 0))
      throw Error(what + ": " + quoted(curve) + " has an energy of " + number(p.energy_j) + " J at " + number(p.bpp) +
                  " bpp: energies must be positive and finite (NaN where not measured)");
  size_t k = std::upper_bound(s.x.begin(), s.x.end(), psnr_db) - s.x.begin();
  k = std::clamp<size_t>(k, 1, s.x.size() - 1) - 1;
  const double t = (psnr_db - s.x[k]) / (s.x[k + 1] - s.x[k]);
  auto geometric = [t](double low, double high) { return std::exp(std::log(low) + t * (std::log(high) - std::log(low))); };
  MatchedQuality m;
  m.psnr_db = psnr_db;
  m.bpp = geometric(s.points[k].bpp, s.points[k + 1].bpp);
  if (!std::isnan(s.points[k].energy_j) && !std::isnan(s.points[k + 1].energy_j))
    m.energy_j = geometric(s.points[k].energy_j, s.points[k + 1].energy_j);
  return m;
}

}  // namespace nicenergy
