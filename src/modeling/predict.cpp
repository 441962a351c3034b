#include "modeling/predict.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>

#include "error.h"
#include "io/numbers.h"
#include "models/zoo.h"

namespace nicenergy {

static std::string lower(const std::string& text) {
  std::string out;
  for (char c : text) out += c == '-' ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

static std::string number(double value, const char* format) {
  char text[64];
  std::snprintf(text, sizeof text, format, value);
  return text;
}

// Where S or kMAC lies against the range the fit covers: a warning when
// outside it or when the coefficients do not say.
static void check_range(Prediction& p, double value, double low, double high, const std::string& what,
                        const std::string& unit) {
  const char* format = unit == "pixels" ? "%.0f" : "%.4g";  // pixels are counted, not measured
  if (!(high > 0)) {
    p.warnings.push_back("the coefficients do not say which " + what + " they were fitted on: " +
                         number(value, format) + " " + unit + " may lie outside them");
    return;
  }
  if (value < low || value > high)
    p.warnings.push_back(number(value, format) + " " + unit + " lie outside the " + what + " of the fit (" +
                         number(low, format) + " to " + number(high, format) + " " + unit + "): extrapolated");
}

// The result must be a positive, finite energy; a fit's straight line gives
// neither everywhere.
static void check_energy(const Prediction& p, int width, int height) {
  const std::string where = std::to_string(width) + "x" + std::to_string(height) + " (" + std::to_string(p.pixels) +
                            " pixels)";
  if (!std::isfinite(p.energy_j))
    throw Error("prediction: E = alpha * S + beta is not finite at " + where + " (alpha " +
                number(p.alpha_j_per_pixel, "%.3g") + " J/pixel, beta " + number(p.beta_j, "%.3g") +
                " J): check the coefficients");
  if (p.energy_j <= 0) {
    const std::string zero = p.alpha_j_per_pixel != 0
                                 ? " at " + number(-p.beta_j / p.alpha_j_per_pixel, "%.0f") + " pixels"
                                 : "";
    throw Error("prediction: the fit's line gives " + number(p.energy_j, "%.3g") + " J at " + where +
                ": it crosses zero" + zero + " (alpha " + number(p.alpha_j_per_pixel, "%.3g") + " J/pixel, beta " +
                number(p.beta_j, "%.3g") + " J), so it predicts no energy there; measure this size instead");
  }
}

Prediction predict_energy(const FitResult& coefficients, const std::string& abbr, const std::string& level,
                          int width, int height, std::optional<double> kmac_per_px) {
  if (width <= 0 || height <= 0)
    throw Error("prediction: image size " + std::to_string(width) + "x" + std::to_string(height) +
                " is not positive; give WIDTHxHEIGHT in pixels");
  if (!level_from_string(level) && level != kCustomLevel)
    throw Error("prediction: unknown parameter level '" + printable(level) + "'; use low, high or custom");
  Prediction p;
  p.abbr = abbr;
  p.level = level;
  p.pixels = static_cast<int64_t>(width) * height;
  const double pixels = static_cast<double>(p.pixels);

  for (const EnergyFit& f : coefficients.fits) {
    if (f.level != level || (lower(f.abbr) != lower(abbr) && lower(f.network) != lower(abbr))) continue;
    p.network = f.network;
    p.abbr = f.abbr;
    p.alpha_j_per_pixel = f.alpha_j_per_pixel;
    p.beta_j = f.beta_j;
    p.energy_j = model_energy_j(f.alpha_j_per_pixel, f.beta_j, pixels);
    p.expected_relative_error = f.mre;
    p.source = "fit";
    p.min_pixels = f.min_pixels;
    p.max_pixels = f.max_pixels;
    check_energy(p, width, height);
    check_range(p, pixels, f.min_pixels, f.max_pixels, "image sizes", "pixels");
    return p;
  }

  // Sec. 5 of the paper: alpha follows the network's complexity, so a network
  // never measured gets alpha from its kMAC/pixel; beta (the fixed cost of a run)
  // has no such model, so the mean over the measured networks stands in.
  if (coefficients.alpha_vs_kmac && kmac_per_px && !coefficients.fits.empty()) {
    double beta_sum = 0, min_pixels = 0, max_pixels = 0;
    bool sizes_known = true;
    for (const EnergyFit& f : coefficients.fits) {
      beta_sum += f.beta_j;
      sizes_known = sizes_known && f.max_pixels > 0;
      min_pixels = &f == &coefficients.fits.front() ? f.min_pixels : std::max(min_pixels, f.min_pixels);
      max_pixels = &f == &coefficients.fits.front() ? f.max_pixels : std::min(max_pixels, f.max_pixels);
    }
    const KmacFit& line = *coefficients.alpha_vs_kmac;
    p.alpha_j_per_pixel = line.slope * *kmac_per_px + line.offset;
    p.beta_j = beta_sum / coefficients.fits.size();
    p.energy_j = model_energy_j(p.alpha_j_per_pixel, p.beta_j, pixels);
    p.expected_relative_error = line.mre;
    p.source = "alpha_vs_kmac";
    p.kmac_per_px = kmac_per_px;
    // The sizes every fit covers (their common range) and the kMAC line's span.
    p.min_pixels = sizes_known ? min_pixels : 0;
    p.max_pixels = sizes_known && max_pixels >= min_pixels ? max_pixels : 0;
    p.min_kmac = line.min_kmac;
    p.max_kmac = line.max_kmac;
    check_energy(p, width, height);
    check_range(p, pixels, p.min_pixels, p.max_pixels, "image sizes", "pixels");
    check_range(p, *kmac_per_px, line.min_kmac, line.max_kmac, "kMAC per pixel", "kMAC/pixel");
    return p;
  }

  std::string why = "no fit for '" + printable(abbr) + "' at level " + printable(level);
  if (!coefficients.alpha_vs_kmac)
    why += " and the coefficients have no alpha-vs-kMAC fit";
  else if (!kmac_per_px)
    why += " and no kMAC per pixel was given for the alpha-vs-kMAC fit";
  throw Error("prediction: " + why + "; measure and fit this network-level, or give its kMAC/pixel with coefficients that hold an alpha-vs-kMAC fit");
}

std::string energy_text(double energy_j, double expected_relative_error) {
  const double e = expected_relative_error;
  const int digits = e == 0 || e < 0.01 ? 3 : e <= 1 ? 2 : 1;
  if (!(energy_j != 0) || !std::isfinite(energy_j)) return number(energy_j, "%g") + " J";
  // Rounded to `digits` significant digits and written without an exponent
  // where that stays short: 809.494 at one digit is "800 J", not "8e+02 J".
  const int exponent = static_cast<int>(std::floor(std::log10(std::fabs(energy_j))));
  const double unit = std::pow(10.0, exponent - digits + 1);
  const double rounded = std::round(energy_j / unit) * unit;
  if (std::fabs(rounded) < 1e-4 || std::fabs(rounded) >= 1e7) return number(rounded, ("%." + std::to_string(digits - 1) + "e").c_str()) + " J";
  const int decimals = std::max(0, digits - 1 - static_cast<int>(std::floor(std::log10(std::fabs(rounded)))));
  return number(rounded, ("%." + std::to_string(decimals) + "f").c_str()) + " J";
}

nlohmann::json to_json(const Prediction& p) {
  auto range = [](double low, double high) {
    return high > 0 ? nlohmann::json::array({low, high}) : nlohmann::json(nullptr);
  };
  return {{"network", p.network}, {"abbr", p.abbr}, {"level", p.level}, {"pixels", p.pixels},
          {"alpha_j_per_pixel", p.alpha_j_per_pixel}, {"beta_j", p.beta_j}, {"energy_j", p.energy_j},
          {"expected_relative_error", p.expected_relative_error}, {"source", p.source},
          {"coefficients", p.coefficients}, {"pixels_range", range(p.min_pixels, p.max_pixels)},
          {"kmac_range", p.source == "alpha_vs_kmac" ? range(p.min_kmac, p.max_kmac) : nlohmann::json(nullptr)},
          {"warnings", p.warnings}};
}

}  // namespace nicenergy
