#include "modeling/predict.h"

#include <cctype>

#include "error.h"
#include "models/zoo.h"

namespace nicenergy {

static std::string lower(const std::string& text) {
  std::string out;
  for (char c : text) out += c == '-' ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

Prediction predict_energy(const FitResult& coefficients, const std::string& abbr, const std::string& level,
                          int width, int height, std::optional<double> kmac_per_pixel) {
  if (width <= 0 || height <= 0)
    throw Error("prediction: image size " + std::to_string(width) + "x" + std::to_string(height) +
                " is not positive; give WIDTHxHEIGHT in pixels");
  if (!level_from_string(level) && level != kCustomLevel)
    throw Error("prediction: unknown parameter level '" + level + "'; use low, high or custom");
  Prediction p;
  p.abbr = abbr;
  p.level = level;
  p.pixels = static_cast<int64_t>(width) * height;

  for (const EnergyFit& f : coefficients.fits) {
    if (f.level != level || (lower(f.abbr) != lower(abbr) && lower(f.network) != lower(abbr))) continue;
    p.network = f.network;
    p.abbr = f.abbr;
    p.alpha_j_per_pixel = f.alpha_j_per_pixel;
    p.beta_j = f.beta_j;
    p.energy_j = model_energy_j(f.alpha_j_per_pixel, f.beta_j, static_cast<double>(p.pixels));
    p.expected_relative_error = f.mre;
    p.source = "fit";
    return p;
  }

  // Sec. 5 of the paper: alpha follows the network's complexity, so a network
  // never measured gets alpha from its kMAC/pixel; beta (the fixed cost of a run)
  // has no such model, so the mean over the measured networks stands in.
  if (coefficients.alpha_vs_kmac && kmac_per_pixel && !coefficients.fits.empty()) {
    double beta_sum = 0;
    for (const EnergyFit& f : coefficients.fits) beta_sum += f.beta_j;
    p.alpha_j_per_pixel = coefficients.alpha_vs_kmac->slope * *kmac_per_pixel + coefficients.alpha_vs_kmac->offset;
    p.beta_j = beta_sum / coefficients.fits.size();
    p.energy_j = model_energy_j(p.alpha_j_per_pixel, p.beta_j, static_cast<double>(p.pixels));
    p.expected_relative_error = coefficients.alpha_vs_kmac->mre;
    p.source = "alpha_vs_kmac";
    return p;
  }

  std::string why = "no fit for '" + abbr + "' at level " + level;
  if (!coefficients.alpha_vs_kmac)
    why += " and the coefficients have no alpha-vs-kMAC fit";
  else if (!kmac_per_pixel)
    why += " and no kMAC per pixel was given for the alpha-vs-kMAC fit";
  throw Error("prediction: " + why + "; measure and fit this network-level, or give its kMAC/pixel with coefficients that hold an alpha-vs-kMAC fit");
}

nlohmann::json to_json(const Prediction& p) {
  return {{"network", p.network}, {"abbr", p.abbr}, {"level", p.level}, {"pixels", p.pixels},
          {"alpha", p.alpha_j_per_pixel}, {"beta", p.beta_j}, {"energy_j", p.energy_j},
          {"expected_relative_error", p.expected_relative_error}, {"source", p.source}};
}

}  // namespace nicenergy
