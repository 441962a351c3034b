// Bjontegaard delta rate and matched-quality interpolation (src/modeling/bd_rate):
// known shifts, closed forms on log-linear curves, both methods, and the errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "error.h"
#include "modeling/bd_rate.h"
#include "test_util.h"

using namespace nicenergy;
using test_util::error_of;

namespace {

// An RD curve of JPEG's shape (PSNR concave in log-rate), with energies.
RdCurve jpeg_like() {
  return {"jpeg",
          {{0.31, 26.4, 0.021}, {0.58, 28.9, 0.024}, {1.02, 31.7, 0.029}, {1.71, 34.6, 0.035}, {2.95, 38.2, 0.046}}};
}

// JPEG's curve cut to 3 points, one fewer than BD-rate and BD-PSNR need.
RdCurve first_three_as(const std::string& name) {
  RdCurve curve = jpeg_like();
  curve.name = name;
  curve.points.resize(3);
  return curve;
}

RdCurve scaled_rates(RdCurve curve, double factor, const std::string& name) {
  curve.name = name;
  for (RdPoint& p : curve.points) p.bpp *= factor;
  return curve;
}

// ln(bpp) = a + b x PSNR at the given PSNRs.
RdCurve log_linear(const std::string& name, double a, double b, std::vector<double> psnrs) {
  RdCurve curve{name, {}};
  for (double psnr : psnrs) curve.points.push_back({std::exp(a + b * psnr), psnr});
  return curve;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST(BdRate, AgainstItselfIsZero) {
  for (BdMethod method : {BdMethod::cubic_fit, BdMethod::pchip}) {
    const BdRate r = bd_rate(jpeg_like(), jpeg_like(), method);
    EXPECT_NEAR(r.percent, 0.0, 1e-9) << bd_method_name(method);
    EXPECT_DOUBLE_EQ(r.low_db, 26.4);
    EXPECT_DOUBLE_EQ(r.high_db, 38.2);
  }
}

TEST(BdRate, ScaledRatesGiveTheScale) {
  for (BdMethod method : {BdMethod::cubic_fit, BdMethod::pchip}) {
    EXPECT_NEAR(bd_rate(jpeg_like(), scaled_rates(jpeg_like(), 0.9, "better"), method).percent, -10.0, 1e-9);
    EXPECT_NEAR(bd_rate(jpeg_like(), scaled_rates(jpeg_like(), 1.25, "worse"), method).percent, 25.0, 1e-9);
    // Swapping anchor and test inverts the factor.
    EXPECT_NEAR(bd_rate(scaled_rates(jpeg_like(), 0.9, "better"), jpeg_like(), method).percent, (1 / 0.9 - 1) * 100,
                1e-9);
  }
}

// The test curve is informative: PSNR over log-rate bends (slopes between
// neighbouring points differ by more than 20 %), so a method that assumed a
// straight line, or ignored the points, would not pass the tests below.
TEST(BdRate, TheTestCurveIsCurved) {
  const RdCurve c = jpeg_like();
  double lowest = 1e9, highest = 0;
  for (size_t i = 1; i < c.points.size(); ++i) {
    const double slope = (c.points[i].psnr_db - c.points[i - 1].psnr_db) /
                         std::log(c.points[i].bpp / c.points[i - 1].bpp);
    lowest = std::min(lowest, slope);
    highest = std::max(highest, slope);
  }
  EXPECT_GT(highest / lowest, 1.2);
}

TEST(BdRate, TenPercentMoreAndTwentyLess) {
  for (BdMethod method : {BdMethod::cubic_fit, BdMethod::pchip}) {
    EXPECT_NEAR(bd_rate(jpeg_like(), scaled_rates(jpeg_like(), 1.10, "more"), method).percent, 10.0, 1e-6);
    EXPECT_NEAR(bd_rate(jpeg_like(), scaled_rates(jpeg_like(), 0.8, "less"), method).percent, -20.0, 1e-6);
  }
}

TEST(BdPsnr, AgainstItselfZeroAndAShiftItsDecibels) {
  for (BdMethod method : {BdMethod::cubic_fit, BdMethod::pchip}) {
    const BdPsnr same = bd_psnr(jpeg_like(), jpeg_like(), method);
    EXPECT_NEAR(same.db, 0.0, 1e-9) << bd_method_name(method);
    EXPECT_NEAR(same.low_bpp, 0.31, 1e-12);
    EXPECT_NEAR(same.high_bpp, 2.95, 1e-12);
    RdCurve better = jpeg_like();
    better.name = "better";
    for (RdPoint& p : better.points) p.psnr_db += 1.0;
    EXPECT_NEAR(bd_psnr(jpeg_like(), better, method).db, 1.0, 1e-9) << bd_method_name(method);
    EXPECT_NEAR(bd_psnr(better, jpeg_like(), method).db, -1.0, 1e-9) << bd_method_name(method);
  }
}

TEST(BdPsnr, LessRateAtEqualQualityIsHigherQualityAtEqualRate) {
  // 20 % fewer bits for the same PSNRs: a curve above the anchor, by about the
  // anchor's slope x ln(1 / 0.8) (between its smallest and largest slope).
  const BdPsnr r = bd_psnr(jpeg_like(), scaled_rates(jpeg_like(), 0.8, "less"));
  EXPECT_GT(r.db, 3.5 * std::log(1 / 0.8));
  EXPECT_LT(r.db, 7.0 * std::log(1 / 0.8));
  EXPECT_TRUE(contains(r.describe(), "BD-PSNR of less against jpeg: +"));
  EXPECT_TRUE(contains(r.describe(), " dB (cubic fit (VCEG-M33), over "));
}

TEST(BdPsnr, RefusesShortAndDisjointCurves) {
  const RdCurve three = first_three_as("webp");
  EXPECT_TRUE(contains(error_of([&] { bd_psnr(jpeg_like(), three); }), "BD-PSNR: curve 'webp' has 3 points, fewer than 4"));
  const RdCurve far = scaled_rates(jpeg_like(), 100, "far");
  EXPECT_TRUE(contains(error_of([&] { bd_psnr(jpeg_like(), far); }), "bpp, which do not overlap"));
}

TEST(BdRate, LogLinearCurvesMatchTheClosedForm) {
  // Both methods reproduce straight lines in (PSNR, ln bpp) exactly, so the
  // mean log difference over the overlap [30, 37] is analytic.
  const RdCurve anchor = log_linear("anchor", -7.0, 0.21, {26, 29, 32.5, 35, 37});
  const RdCurve test = log_linear("test", -7.6, 0.225, {30, 31.5, 34, 38, 41});
  const double low = 30, high = 37;
  const double expected = (std::exp(-0.6 + 0.015 * (low + high) / 2) - 1) * 100;
  for (BdMethod method : {BdMethod::cubic_fit, BdMethod::pchip}) {
    const BdRate r = bd_rate(anchor, test, method);
    EXPECT_NEAR(r.percent, expected, 1e-9) << bd_method_name(method);
    EXPECT_DOUBLE_EQ(r.low_db, low);
    EXPECT_DOUBLE_EQ(r.high_db, high);
  }
  EXPECT_LT(expected, -5.0);  // an informative difference, not a near-zero one
}

TEST(BdRate, PointOrderDoesNotMatter) {
  RdCurve shuffled = scaled_rates(jpeg_like(), 0.8, "test");
  shuffled.points[1].psnr_db += 0.4;  // no longer a pure shift
  const double in_order = bd_rate(jpeg_like(), shuffled).percent;
  std::reverse(shuffled.points.begin(), shuffled.points.end());
  std::swap(shuffled.points[0], shuffled.points[2]);
  EXPECT_DOUBLE_EQ(bd_rate(jpeg_like(), shuffled).percent, in_order);
}

TEST(BdRate, MethodsDifferOnCurvedDataAndAreNamed) {
  RdCurve bent = scaled_rates(jpeg_like(), 0.8, "bent");
  bent.points[2].psnr_db += 1.0;  // a bump that a cubic fit smooths and PCHIP follows
  const BdRate cubic = bd_rate(jpeg_like(), bent, BdMethod::cubic_fit);
  const BdRate pchip = bd_rate(jpeg_like(), bent, BdMethod::pchip);
  EXPECT_GT(std::abs(cubic.percent - pchip.percent), 0.1);
  // Both still near the -20 % the shift alone gives, and below it (the bump saves more).
  EXPECT_LT(cubic.percent, -20.0);
  EXPECT_LT(pchip.percent, -20.0);
  EXPECT_GT(cubic.percent, -35.0);
  EXPECT_GT(pchip.percent, -35.0);
  EXPECT_TRUE(contains(cubic.describe(), "BD-rate of bent against jpeg: "));
  EXPECT_TRUE(contains(cubic.describe(), "cubic fit (VCEG-M33)"));
  EXPECT_TRUE(contains(pchip.describe(), "piecewise cubic (PCHIP)"));
}

TEST(BdRate, RefusesBadCurves) {
  const RdCurve three = first_three_as("webp");
  EXPECT_TRUE(contains(error_of([&] { bd_rate(jpeg_like(), three); }), "curve 'webp' has 3 points, fewer than 4"));

  RdCurve dip = jpeg_like();
  dip.points[3].psnr_db = 31.0;  // lower than the point at less rate
  EXPECT_TRUE(contains(error_of([&] { bd_rate(dip, jpeg_like()); }), "curve 'jpeg' is not monotone"));
  RdCurve same_rate = jpeg_like();
  same_rate.points[1].bpp = same_rate.points[0].bpp;
  EXPECT_TRUE(contains(error_of([&] { bd_rate(same_rate, jpeg_like()); }), "is not monotone"));

  const RdCurve high = log_linear("avif", -9, 0.2, {40, 42, 44, 46});
  EXPECT_TRUE(contains(error_of([&] { bd_rate(jpeg_like(), high); }), "which do not overlap"));

  RdCurve zero = jpeg_like();
  zero.points[0].bpp = 0;
  EXPECT_TRUE(contains(error_of([&] { bd_rate(jpeg_like(), zero); }), "a rate of 0 bpp"));
  RdCurve lossless = jpeg_like();
  lossless.points[4].psnr_db = std::numeric_limits<double>::infinity();
  EXPECT_TRUE(contains(error_of([&] { bd_rate(jpeg_like(), lossless); }), "leave lossless or failed points out"));
  // Every message is one line.
  EXPECT_EQ(error_of([&] { bd_rate(jpeg_like(), high); }).find('\n'), std::string::npos);
}

TEST(MatchedQuality, InterpolatesGeometricallyBetweenNeighbours) {
  const RdCurve curve = jpeg_like();
  // Halfway in PSNR between the 2nd and 3rd points: geometric means.
  const MatchedQuality m = at_matched_quality(curve, (28.9 + 31.7) / 2);
  EXPECT_NEAR(m.bpp, std::sqrt(0.58 * 1.02), 1e-12);
  EXPECT_NEAR(m.energy_j, std::sqrt(0.024 * 0.029), 1e-12);
  // At a measured point, that point.
  const MatchedQuality at = at_matched_quality(curve, 34.6);
  EXPECT_NEAR(at.bpp, 1.71, 1e-12);
  EXPECT_NEAR(at.energy_j, 0.035, 1e-12);
  EXPECT_TRUE(contains(matched_quality_method(), "interpolated linearly in PSNR"));
}

TEST(MatchedQuality, RateRisesWithTheQualityAsked) {
  double previous = 0;
  for (double psnr = 27.0; psnr < 38.0; psnr += 1.5) {
    const MatchedQuality m = at_matched_quality(jpeg_like(), psnr);
    EXPECT_GT(m.bpp, previous) << psnr;
    previous = m.bpp;
  }
}

TEST(MatchedQuality, LeavesMissingEnergyOutAndRefusesWhatItCannotReach) {
  RdCurve curve = jpeg_like();
  curve.points[1].energy_j = std::numeric_limits<double>::quiet_NaN();
  const MatchedQuality m = at_matched_quality(curve, 30.0);
  EXPECT_TRUE(std::isnan(m.energy_j));
  EXPECT_GT(m.bpp, 0.58);
  EXPECT_FALSE(std::isnan(at_matched_quality(curve, 33.0).energy_j));

  EXPECT_TRUE(contains(error_of([&] { at_matched_quality(curve, 40.0); }), "is not extrapolated"));
  EXPECT_TRUE(contains(error_of([&] { at_matched_quality(curve, 20.0); }), "spans 26.4 to 38.2 dB"));
  curve.points[3].energy_j = -1;
  EXPECT_TRUE(contains(error_of([&] { at_matched_quality(curve, 33.0); }), "an energy of -1 J"));
  RdCurve one{"jxl", {{1.0, 30.0}}};
  EXPECT_TRUE(contains(error_of([&] { at_matched_quality(one, 30.0); }), "curve 'jxl' has 1 point, fewer than 2"));
}
