// Energy prediction from fitted coefficients: Eq. (2), E = alpha * S + beta.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "modeling/fit.h"

namespace nicenergy {

struct Prediction {
  std::string network;               // CompressAI name where a fit names it, else empty
  std::string abbr;
  std::string level;
  int64_t pixels = 0;                // S = width * height
  double alpha_j_per_pixel = 0;
  double beta_j = 0;
  double energy_j = 0;               // alpha * S + beta, positive and finite
  double expected_relative_error = 0;  // the MRE that goes with the source, fraction
  std::string source;                // "fit" or "alpha_vs_kmac"
  std::string coefficients;          // where the fit came from: a file, or the paper's Table 2
  // What the fit covers: the image sizes (pixels) and, for alpha_vs_kmac, the
  // kMAC per pixel it was fitted over; 0, 0 where the coefficients do not say.
  double min_pixels = 0, max_pixels = 0;
  double min_kmac = 0, max_kmac = 0;
  std::optional<double> kmac_per_px;  // the network's, for alpha_vs_kmac
  // Extrapolation and unknown ranges, one sentence each: said with the result,
  // refused under --strict.
  std::vector<std::string> warnings;
};

// From the fit of (abbr, level) where there is one, with its cross-validated MRE
// as the expected error. Otherwise, with kmac_per_px and an alpha-vs-kMAC fit,
// alpha = slope * kMAC + offset and beta = the mean of all fitted betas, with the
// leave-one-out MRE of alpha as the expected error. abbr may also be the
// CompressAI name of a fitted network; matching ignores case. Throws
// nicenergy::Error for a bad size or level, when neither way is possible, when
// the arithmetic overflows (not finite), and when the energy is not positive
// (the fit's line crosses zero there): no negative energy is ever returned.
Prediction predict_energy(const FitResult& coefficients, const std::string& abbr, const std::string& level,
                          int width, int height, std::optional<double> kmac_per_px = std::nullopt);

// The energy with as many significant digits as its expected error allows:
// 3 below 1 %, 2 up to 100 %, 1 beyond ("no better than an order of
// magnitude" is then said beside it). "0.52 J".
std::string energy_text(double energy_j, double expected_relative_error);

nlohmann::json to_json(const Prediction& prediction);

}  // namespace nicenergy
