// Energy prediction from fitted coefficients: Eq. (2), E = alpha * S + beta.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

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
  double energy_j = 0;               // alpha * S + beta
  double expected_relative_error = 0;  // the MRE that goes with the source, fraction
  std::string source;                // "fit" or "alpha_vs_kmac"
};

// From the fit of (abbr, level) where there is one, with its cross-validated MRE
// as the expected error. Otherwise, with kmac_per_pixel and an alpha-vs-kMAC fit,
// alpha = slope * kMAC + offset and beta = the mean of all fitted betas, with the
// leave-one-out MRE of alpha as the expected error. abbr may also be the
// CompressAI name of a fitted network; matching ignores case. Throws
// nicenergy::Error for a bad size or level, or when neither way is possible.
Prediction predict_energy(const FitResult& coefficients, const std::string& abbr, const std::string& level,
                          int width, int height, std::optional<double> kmac_per_pixel = std::nullopt);

nlohmann::json to_json(const Prediction& prediction);

}  // namespace nicenergy
