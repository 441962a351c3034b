#include "modeling/fit.h"

#include <algorithm>
#include <cstdio>
#include <cmath>
#include <map>
#include <numeric>
#include <set>
#include <tuple>

#include "error.h"
#include "models/zoo.h"
#include "protocol/record_groups.h"
#include "protocol/results_csv.h"

namespace nicenergy {

static std::string format_number(double value, const char* format) {
  char text[64];
  std::snprintf(text, sizeof text, format, value);
  return text;
}

double model_energy_j(double alpha_j_per_pixel, double beta_j, double pixels) {
  return alpha_j_per_pixel * pixels + beta_j;
}

std::vector<std::string> fit_line_warnings(const EnergyFit& f) {
  std::vector<std::string> out;
  const std::string name = f.abbr + " " + f.level;
  if (f.beta_j < 0)
    out.push_back(name + ": the fitted beta is negative (" + format_number(f.beta_j, "%.3g") +
                  " J), though a fixed cost per execution cannot be: the line fits the measured sizes only, and "
                  "predicts less than nothing for small images");
  // E = alpha * S + beta is zero at S0 = -beta / alpha; inside the measured
  // sizes the line predicts negative energies for part of them.
  if (f.alpha_j_per_pixel != 0 && f.max_pixels > 0) {
    const double s0 = -f.beta_j / f.alpha_j_per_pixel;
    if (s0 >= f.min_pixels && s0 <= f.max_pixels)
      out.push_back(name + ": the fitted line crosses zero at " + format_number(s0, "%.0f") +
                    " pixels, inside the measured sizes (" + format_number(f.min_pixels, "%.0f") + " to " +
                    format_number(f.max_pixels, "%.0f") + "): it predicts negative energies on one side of it");
  }
  return out;
}

std::vector<std::string> fit_line_warnings(const std::vector<EnergyFit>& fits) {
  std::vector<std::string> out;
  for (const EnergyFit& f : fits)
    for (std::string& w : fit_line_warnings(f)) out.push_back(std::move(w));
  return out;
}

double mean_relative_error(const std::vector<double>& predicted, const std::vector<double>& measured) {
  if (predicted.size() != measured.size() || measured.empty())
    throw Error("mean relative error: needs as many predictions as measurements, and at least one");
  double sum = 0;
  for (size_t i = 0; i < measured.size(); ++i) {
    if (measured[i] == 0)
      throw Error("mean relative error: a measured value is 0, relative error undefined; drop that measurement");
    sum += std::fabs(predicted[i] - measured[i]) / std::fabs(measured[i]);
  }
  return sum / measured.size();
}

// The paper's order of networks and levels, so tables read like Table 2; others follow by name.
static bool fit_before(const EnergyFit& a, const EnergyFit& b) {
  return std::make_tuple(network_rank(a.abbr), a.abbr, a.network, level_rank(a.level), a.level) <
         std::make_tuple(network_rank(b.abbr), b.abbr, b.network, level_rank(b.level), b.level);
}

std::vector<int> cv_folds(const std::vector<MeasurementRecord>& group) {
  std::vector<size_t> order(group.size());
  std::iota(order.begin(), order.end(), 0);
  // The key covers every field that tells two points apart, so the ranking (and
  // with it the folds) does not depend on the order of the rows in the file.
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const MeasurementRecord& p = group[a];
    const MeasurementRecord& q = group[b];
    return std::tie(p.pixels, p.width, p.image, p.quality, p.energy_j) <
           std::tie(q.pixels, q.width, q.image, q.quality, q.energy_j);
  });
  std::vector<int> folds(group.size());
  for (size_t rank = 0; rank < order.size(); ++rank) folds[order[rank]] = static_cast<int>(rank % 10);
  return folds;
}

static double pixels_of(const MeasurementRecord& r) {
  // Rows written by hand may leave pixels at 0; S is width x height either way.
  return r.pixels > 0 ? static_cast<double>(r.pixels) : static_cast<double>(r.width) * r.height;
}

static EnergyFit fit_group(const std::vector<MeasurementRecord>& group) {
  const MeasurementRecord& first = group.front();
  // Names come from a CSV: the CLI escapes their control characters as it reads them.
  const std::string what = "energy fit of " + first.network + " (" + first.abbr + "), level " + first.level;
  if (group.size() < 3)
    throw Error(what + ": " + std::to_string(group.size()) +
                " measurement(s), need at least 3; measure more images or drop this network-level");
  std::vector<double> s, e;
  std::set<double> sizes;
  for (const MeasurementRecord& r : group) {
    s.push_back(pixels_of(r));
    e.push_back(r.energy_j);
    sizes.insert(s.back());
  }
  if (sizes.size() < 2)
    throw Error(what + ": all images have " + std::to_string(static_cast<int64_t>(*sizes.begin())) +
                " pixels, so alpha is undefined; measure images of at least 2 sizes");

  const LineFit all = fit_line(s, e, what);
  EnergyFit fit;
  fit.network = first.network;
  fit.abbr = first.abbr;
  fit.level = first.level;
  fit.n = all.n;
  fit.alpha_j_per_pixel = all.slope;
  fit.beta_j = all.intercept;
  fit.pearson = all.pearson;
  fit.min_pixels = *sizes.begin();
  fit.max_pixels = *sizes.rbegin();
  std::vector<double> in_sample;
  for (double x : s) in_sample.push_back(model_energy_j(all.slope, all.intercept, x));
  fit.mre_in_sample = mean_relative_error(in_sample, e);

  // Eq. (3) on held-out points: each fold is predicted by the line fitted to the others.
  const std::vector<int> folds = cv_folds(group);
  const int fold_count = *std::max_element(folds.begin(), folds.end()) + 1;
  std::vector<double> held_out(group.size());
  for (int f = 0; f < fold_count; ++f) {
    std::vector<double> train_s, train_e;
    for (size_t i = 0; i < group.size(); ++i)
      if (folds[i] != f) train_s.push_back(s[i]), train_e.push_back(e[i]);
    if (std::set<double>(train_s.begin(), train_s.end()).size() < 2)
      throw Error(what + ": cross-validation fold " + std::to_string(f) +
                  " leaves training points of a single size; measure more images or sizes");
    const LineFit train = fit_line(train_s, train_e, what);
    for (size_t i = 0; i < group.size(); ++i)
      if (folds[i] == f) held_out[i] = model_energy_j(train.slope, train.intercept, s[i]);
  }
  fit.mre = mean_relative_error(held_out, e);
  return fit;
}

// skipped: where given, a group that cannot be fitted is left out with its error there.
static std::vector<EnergyFit> fit_energy(const std::vector<MeasurementRecord>& records,
                                         std::vector<std::string>* skipped) {
  if (records.empty()) throw Error("energy fit: no measurements given; run a campaign or pass a results CSV with rows");
  // Two GPU models give two alphas; one line through both would be neither's.
  if (const std::vector<std::string> models = device_models(records); models.size() > 1) {
    std::string names;
    for (const std::string& m : models) names += (names.empty() ? "'" : ", '") + m + "'";
    throw Error("energy fit: the measurements come from " + std::to_string(models.size()) + " device models or energy modes (" +
                names + "), whose energies do not share one alpha; fit one with --device NAME, or each apart");
  }
  // A point measured twice (two campaigns appending to one file) would weigh
  // twice in the least squares and land in two folds: refused, not averaged.
  // (The level is a function of network and quality; it is in the key only so
  // that records made up without that rule, in tests, still group as given.)
  std::map<std::pair<MeasurementKey, std::string>, size_t> seen;
  for (size_t i = 0; i < records.size(); ++i) {
    const auto [it, fresh] = seen.emplace(std::make_pair(measurement_key(records[i]), records[i].level), i);
    if (!fresh)
      throw Error("energy fit: " + it->first.first.text() + " is measured twice (rows " + std::to_string(it->second + 1) +
                  " and " + std::to_string(i + 1) +
                  " of the measurements); keep one with `nicenergy campaign merge RESULTS.csv --output ONE.csv`");
  }
  std::map<std::pair<std::string, std::string>, std::vector<MeasurementRecord>> groups;
  for (const MeasurementRecord& r : records) groups[{r.network, r.level}].push_back(r);
  std::vector<EnergyFit> fits;
  for (const auto& [key, group] : groups) {
    if (!skipped) {
      fits.push_back(fit_group(group));
      continue;
    }
    try {
      fits.push_back(fit_group(group));
    } catch (const Error& e) {
      skipped->push_back(std::string(e.what()) + " (left out of the fits)");
    }
  }
  std::sort(fits.begin(), fits.end(), fit_before);
  return fits;
}

std::vector<EnergyFit> fit_energy(const std::vector<MeasurementRecord>& records) { return fit_energy(records, nullptr); }

std::vector<KmacPoint> kmac_points(const std::vector<ComplexityRow>& rows) {
  struct Sum { double kmac = 0, kmac_2nd = 0; int count = 0; bool has_2nd = true; };
  std::map<std::pair<std::string, std::string>, Sum> sums;
  std::vector<std::pair<std::string, std::string>> order;  // first appearance
  for (const ComplexityRow& row : rows) {
    const auto key = std::make_pair(row.abbr, row.level);
    if (!sums.count(key)) order.push_back(key);
    Sum& sum = sums[key];
    sum.kmac += row.kmac_per_px;
    sum.kmac_2nd += row.kmac_per_px_2nd;
    sum.has_2nd = sum.has_2nd && row.has_2nd;
    ++sum.count;
  }
  std::vector<KmacPoint> points;
  for (const auto& key : order) {
    const Sum& sum = sums[key];
    points.push_back({key.first, key.second, sum.kmac / sum.count, sum.kmac_2nd / sum.count, sum.has_2nd});
  }
  return points;
}

KmacFit fit_alpha_vs_kmac(const std::vector<EnergyFit>& fits, const std::vector<KmacPoint>& points,
                          bool use_2nd) {
  const std::string what = std::string("alpha vs kMAC per pixel") + (use_2nd ? " (2nd downsampling)" : "");
  std::vector<double> kmac, alpha;
  for (const EnergyFit& fit : fits)
    for (const KmacPoint& point : points)
      if (point.abbr == fit.abbr && point.level == fit.level) {
        if (use_2nd && !point.has_2nd) break;
        kmac.push_back(use_2nd ? point.kmac_per_px_2nd : point.kmac_per_px);
        alpha.push_back(fit.alpha_j_per_pixel);
        break;
      }
  if (kmac.size() < 3)
    throw Error(what + ": " + std::to_string(kmac.size()) +
                " network-level(s) have both a fit and a kMAC count, need at least 3; measure more networks or levels");
  // Every network-level has one kMAC count whatever the image size: more sizes
  // cannot help, another network (or level) can.
  const auto [low, high] = std::minmax_element(kmac.begin(), kmac.end());
  if (!(*high > *low))
    throw Error(what + ": all " + std::to_string(kmac.size()) + " network-levels have " + format_number(*low, "%.4g") +
                " kMAC per pixel, so the slope is undefined; measure a network or level of another complexity");
  const LineFit all = fit_line(kmac, alpha, what);
  KmacFit result;
  result.n = all.n;
  result.slope = all.slope;
  result.offset = all.intercept;
  result.pearson = all.pearson;
  result.min_kmac = *low;
  result.max_kmac = *high;
  std::vector<double> in_sample, held_out;
  for (double x : kmac) in_sample.push_back(all.slope * x + all.intercept);
  result.mre_in_sample = mean_relative_error(in_sample, alpha);
  // Leave-one-out: with only 6 networks x 2 levels, every point is its own fold.
  for (size_t i = 0; i < kmac.size(); ++i) {
    std::vector<double> x, y;
    for (size_t j = 0; j < kmac.size(); ++j)
      if (j != i) x.push_back(kmac[j]), y.push_back(alpha[j]);
    if (std::set<double>(x.begin(), x.end()).size() < 2)
      throw Error(what + ": leaving out one network-level leaves the others at one kMAC per pixel, so the slope is "
                  "undefined; measure a network or level of another complexity");
    const LineFit train = fit_line(x, y, what + " (leave-one-out)");
    held_out.push_back(train.slope * kmac[i] + train.intercept);
  }
  result.mre = mean_relative_error(held_out, alpha);
  return result;
}

static FitResult fit_models(const std::vector<MeasurementRecord>& records, const std::vector<KmacPoint>& points,
                            bool skip_unfittable) {
  FitResult result;
  result.fits = fit_energy(records, skip_unfittable ? &result.notes : nullptr);
  for (const MeasurementRecord& r : records) result.estimate = result.estimate || r.method == "estimate";
  if (points.empty()) {
    result.notes.push_back("alpha vs kMAC: no complexity numbers given, fit skipped");
    return result;
  }
  for (bool use_2nd : {false, true}) {
    try {
      (use_2nd ? result.alpha_vs_kmac_2nd : result.alpha_vs_kmac) = fit_alpha_vs_kmac(result.fits, points, use_2nd);
    } catch (const Error& e) {
      result.notes.push_back(std::string(e.what()) + " (fit skipped)");
    }
  }
  return result;
}

FitResult fit_models(const std::vector<MeasurementRecord>& records, const std::vector<KmacPoint>& points) {
  return fit_models(records, points, false);
}

FitResult fit_models_skipping(const std::vector<MeasurementRecord>& records, const std::vector<KmacPoint>& points) {
  return fit_models(records, points, true);
}

}  // namespace nicenergy
