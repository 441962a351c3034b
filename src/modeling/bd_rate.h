// Rate-distortion comparisons of codecs (issue 17): the Bjontegaard delta rate
// and a codec's rate and energy at a matched quality.
//
// BD-rate (G. Bjontegaard, "Calculation of average PSNR differences between
// RD-curves", ITU-T SG16 Q.6 VCEG-M33, Austin, 2001): for each curve, log-rate
// as a function of PSNR; both integrated over the PSNR interval the two curves
// share; BD-rate = (exp(mean difference of test minus anchor) - 1) x 100 %, the
// average rate change of the test codec at equal quality (negative: it saves
// bits). Two ways to draw log-rate over PSNR, named in every result:
//  - cubic_fit: VCEG-M33's cubic polynomial, fitted by least squares (exact
//    through 4 points);
//  - pchip: piecewise cubic Hermite interpolation through the points, with the
//    slopes of SciPy's PchipInterpolator (Fritsch-Carlson monotone, harmonic
//    mean weighted by the interval widths; three-point ends), as later
//    Bjontegaard tools use because a cubic fit can swing between points.
// BD-PSNR (same source) swaps the axes: PSNR as a function of log-rate, both
// integrated over the shared log-rate interval; BD-PSNR = mean difference of
// test minus anchor in dB (positive: better quality at equal rate). VCEG-M33
// writes log10 of the rate; the natural log used here gives the same numbers
// (BD-rate takes exp where VCEG-M33 takes 10^, and a mean over log-rate does
// not depend on the log's base).
// Torch-free; "PSNR" may be any quality in dB (MS-SSIM dB, say) that rises
// with rate.
#pragma once
#include <limits>
#include <string>
#include <vector>

namespace nicenergy {

// One codec at one quality setting, usually averaged over a set of images.
struct RdPoint {
  double bpp = 0;                                              // bits per pixel of the bitstream
  double psnr_db = 0;                                          // quality, dB
  double energy_j = std::numeric_limits<double>::quiet_NaN();  // per image, J; NaN: not measured
};

// A named curve: the name (a codec, "jpeg") is what error messages quote.
struct RdCurve {
  std::string name;
  std::vector<RdPoint> points;  // any order; sorted by rate where used
};

enum class BdMethod { cubic_fit, pchip };

// "cubic fit (VCEG-M33)" or "piecewise cubic (PCHIP)", for outputs.
std::string bd_method_name(BdMethod method);

struct BdRate {
  double percent = 0;  // (exp(mean log-rate difference) - 1) x 100, test against anchor
  BdMethod method = BdMethod::cubic_fit;
  double low_db = 0;   // the shared PSNR interval integrated over
  double high_db = 0;
  std::string anchor;  // the curves' names
  std::string test;
  // One line: "BD-rate of webp against jpeg: -25.31 % (cubic fit (VCEG-M33), over 30.12 to 38.40 dB)".
  std::string describe() const;
};

// Throws nicenergy::Error, one line naming the curve, when either has fewer
// than 4 points, a rate that is not positive and finite, a PSNR that is not
// finite (a lossless point), PSNR not strictly rising with rate (non-monotone),
// or when their PSNR ranges do not overlap.
BdRate bd_rate(const RdCurve& anchor, const RdCurve& test, BdMethod method = BdMethod::cubic_fit);

struct BdPsnr {
  double db = 0;  // mean PSNR difference, test minus anchor, at equal rate
  BdMethod method = BdMethod::cubic_fit;
  double low_bpp = 0;  // the shared rate interval integrated over (in log-rate)
  double high_bpp = 0;
  std::string anchor;
  std::string test;
  // One line: "BD-PSNR of webp against jpeg: +1.02 dB (cubic fit (VCEG-M33), over 0.31 to 2.95 bpp)".
  std::string describe() const;
};

// Throws as bd_rate, the overlap being one of rates.
BdPsnr bd_psnr(const RdCurve& anchor, const RdCurve& test, BdMethod method = BdMethod::cubic_fit);

// Where a curve reaches a given PSNR: between the two points whose PSNRs
// enclose it, log(bpp) and log(energy) are interpolated linearly in PSNR (rate
// and energy change geometrically between measured qualities); the method is
// stated in matched_quality_method().
struct MatchedQuality {
  double psnr_db = 0;
  double bpp = 0;
  double energy_j = std::numeric_limits<double>::quiet_NaN();  // NaN when a neighbour has none
};

std::string matched_quality_method();

// Throws nicenergy::Error when the curve has fewer than 2 points, bad or
// non-monotone points (as bd_rate), a non-positive energy, or does not reach
// psnr_db (no extrapolation).
MatchedQuality at_matched_quality(const RdCurve& curve, double psnr_db);

}  // namespace nicenergy
