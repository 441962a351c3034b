#include "modeling/fit.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <numeric>
#include <set>
#include <tuple>

#include "error.h"
#include "modeling/table.h"

namespace nicenergy {

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
  if (!(sxx > 0)) throw Error(what + ": all x values are equal, so the slope is undefined; add points of other sizes");
  LineFit fit;
  fit.n = static_cast<int>(n);
  fit.slope = sxy / sxx;
  fit.intercept = my - fit.slope * mx;
  // A flat y has no defined correlation; 0 says "no linear relation" plainly.
  fit.pearson = syy > 0 ? sxy / std::sqrt(sxx * syy) : 0.0;
  return fit;
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

// The paper's order of networks, so tables read like Table 2; others follow by name.
static int network_rank(const std::string& abbr) {
  static const std::vector<std::string> order = {"Bfac", "Bhyp", "Mmean", "Mcont", "Canch", "Cattn"};
  for (size_t i = 0; i < order.size(); ++i)
    if (order[i] == abbr) return static_cast<int>(i);
  return static_cast<int>(order.size());
}

static int level_rank(const std::string& level) { return level == "low" ? 0 : level == "high" ? 1 : 2; }

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
  std::vector<double> in_sample;
  for (double x : s) in_sample.push_back(all.slope * x + all.intercept);
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
      if (folds[i] == f) held_out[i] = train.slope * s[i] + train.intercept;
  }
  fit.mre = mean_relative_error(held_out, e);
  return fit;
}

std::vector<EnergyFit> fit_energy(const std::vector<MeasurementRecord>& records) {
  if (records.empty()) throw Error("energy fit: no measurements given; run a campaign or pass a results CSV with rows");
  std::map<std::pair<std::string, std::string>, std::vector<MeasurementRecord>> groups;
  for (const MeasurementRecord& r : records) groups[{r.network, r.level}].push_back(r);
  std::vector<EnergyFit> fits;
  for (const auto& [key, group] : groups) fits.push_back(fit_group(group));
  std::sort(fits.begin(), fits.end(), fit_before);
  return fits;
}

std::vector<KmacPoint> kmac_points(const std::vector<ComplexityRow>& rows) {
  struct Sum { double kmac = 0, kmac_2nd = 0; int count = 0; };
  std::map<std::pair<std::string, std::string>, Sum> sums;
  std::vector<std::pair<std::string, std::string>> order;  // first appearance
  for (const ComplexityRow& row : rows) {
    const auto key = std::make_pair(row.abbr, row.level);
    if (!sums.count(key)) order.push_back(key);
    Sum& sum = sums[key];
    sum.kmac += row.kmac_per_pixel;
    sum.kmac_2nd += row.kmac_per_pixel_2nd;
    ++sum.count;
  }
  std::vector<KmacPoint> points;
  for (const auto& key : order) {
    const Sum& sum = sums[key];
    points.push_back({key.first, key.second, sum.kmac / sum.count, sum.kmac_2nd / sum.count});
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
        kmac.push_back(use_2nd ? point.kmac_per_pixel_2nd : point.kmac_per_pixel);
        alpha.push_back(fit.alpha_j_per_pixel);
        break;
      }
  if (kmac.size() < 3)
    throw Error(what + ": " + std::to_string(kmac.size()) +
                " network-level(s) have both a fit and a kMAC count, need at least 3; measure more networks or levels");
  const LineFit all = fit_line(kmac, alpha, what);
  KmacFit result;
  result.n = all.n;
  result.slope = all.slope;
  result.offset = all.intercept;
  result.pearson = all.pearson;
  std::vector<double> in_sample, held_out;
  for (double x : kmac) in_sample.push_back(all.slope * x + all.intercept);
  result.mre_in_sample = mean_relative_error(in_sample, alpha);
  // Leave-one-out: with only 6 networks x 2 levels, every point is its own fold.
  for (size_t i = 0; i < kmac.size(); ++i) {
    std::vector<double> x, y;
    for (size_t j = 0; j < kmac.size(); ++j)
      if (j != i) x.push_back(kmac[j]), y.push_back(alpha[j]);
    const LineFit train = fit_line(x, y, what + " (leave-one-out)");
    held_out.push_back(train.slope * kmac[i] + train.intercept);
  }
  result.mre = mean_relative_error(held_out, alpha);
  return result;
}

FitResult fit_models(const std::vector<MeasurementRecord>& records, const std::vector<KmacPoint>& points) {
  FitResult result;
  result.fits = fit_energy(records);
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

// ---- JSON ----

static nlohmann::json kmac_json(const std::optional<KmacFit>& fit) {
  if (!fit) return nullptr;
  return {{"slope", fit->slope}, {"offset", fit->offset}, {"pearson", fit->pearson},
          {"mre", fit->mre}, {"mre_in_sample", fit->mre_in_sample}, {"n", fit->n}};
}

nlohmann::json to_json(const FitResult& result) {
  nlohmann::json fits = nlohmann::json::array();
  for (const EnergyFit& f : result.fits)
    fits.push_back({{"network", f.network}, {"abbr", f.abbr}, {"level", f.level}, {"n", f.n},
                    {"alpha", f.alpha_j_per_pixel}, {"beta", f.beta_j}, {"pearson", f.pearson},
                    {"mre", f.mre}, {"mre_in_sample", f.mre_in_sample}});
  return {{"estimate", result.estimate},  // true: the energies were CPU-time estimates, not measurements
          {"fits", fits},
          {"alpha_vs_kmac", kmac_json(result.alpha_vs_kmac)},
          {"alpha_vs_kmac_2nd", kmac_json(result.alpha_vs_kmac_2nd)}};
}

template <typename T>
static T field(const nlohmann::json& object, const char* key, const std::string& where) {
  if (!object.is_object() || !object.contains(key))
    throw Error(where + ": missing \"" + key + "\"; write the file with `nicenergy fit`");
  const nlohmann::json& value = object.at(key);
  if constexpr (std::is_same_v<T, std::string>) {
    if (!value.is_string()) throw Error(where + ": \"" + key + "\" must be a string");
  } else {
    if (!value.is_number()) throw Error(where + ": \"" + key + "\" must be a number");
  }
  return value.get<T>();
}

static std::optional<KmacFit> kmac_from_json(const nlohmann::json& json, const char* key, const std::string& source) {
  if (!json.contains(key) || json.at(key).is_null()) return std::nullopt;
  const std::string where = source + " \"" + key + "\"";
  const nlohmann::json& j = json.at(key);
  if (!j.is_object()) throw Error(where + ": must be an object or null");
  KmacFit fit;
  fit.slope = field<double>(j, "slope", where);
  fit.offset = field<double>(j, "offset", where);
  fit.pearson = field<double>(j, "pearson", where);
  fit.mre = field<double>(j, "mre", where);
  // Older files may lack the in-sample error; it is informative only.
  fit.mre_in_sample = j.contains("mre_in_sample") ? field<double>(j, "mre_in_sample", where) : 0.0;
  fit.n = field<int>(j, "n", where);
  return fit;
}

FitResult fit_result_from_json(const nlohmann::json& json, const std::string& source) {
  if (!json.is_object() || !json.contains("fits") || !json.at("fits").is_array())
    throw Error(source + ": not a coefficients file (no \"fits\" array); write one with `nicenergy fit`");
  FitResult result;
  size_t index = 0;
  for (const nlohmann::json& j : json.at("fits")) {
    const std::string where = source + " fits[" + std::to_string(index++) + "]";
    EnergyFit f;
    f.network = field<std::string>(j, "network", where);
    f.abbr = field<std::string>(j, "abbr", where);
    f.level = field<std::string>(j, "level", where);
    f.n = field<int>(j, "n", where);
    f.alpha_j_per_pixel = field<double>(j, "alpha", where);
    f.beta_j = field<double>(j, "beta", where);
    f.pearson = field<double>(j, "pearson", where);
    f.mre = field<double>(j, "mre", where);
    f.mre_in_sample = field<double>(j, "mre_in_sample", where);
    result.fits.push_back(f);
  }
  result.estimate = json.contains("estimate") && json.at("estimate").is_boolean() && json.at("estimate").get<bool>();
  result.alpha_vs_kmac = kmac_from_json(json, "alpha_vs_kmac", source);
  result.alpha_vs_kmac_2nd = kmac_from_json(json, "alpha_vs_kmac_2nd", source);
  return result;
}

FitResult read_fit_result(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error("cannot open coefficients file '" + path + "': check the path or run `nicenergy fit` first");
  nlohmann::json json;
  try {
    in >> json;
  } catch (const nlohmann::json::exception& e) {
    throw Error("coefficients file '" + path + "' is not valid JSON (" + e.what() + "); rewrite it with `nicenergy fit`");
  }
  return fit_result_from_json(json, "coefficients file '" + path + "'");
}

void write_fit_result(const FitResult& result, const std::string& path) {
  std::ofstream out(path);
  if (!out) throw Error("cannot write coefficients file '" + path + "': check that its folder exists and is writable");
  out << to_json(result).dump(2) << "\n";
  if (!out) throw Error("writing coefficients file '" + path + "' failed: check the free disk space");
}

// ---- Table 2 ----

std::string format_fit_table(const FitResult& result, const std::string& format) {
  auto alpha = [](double j) { return format_number(j * 1e6, "%.4g"); };  // J -> µJ
  auto beta = [](double j) { return format_number(j, "%.4g"); };
  auto pearson = [](double r) { return format_number(r, "%.4f"); };
  auto percent = [](double f) { return format_number(f * 100, "%.2f"); };
  TextTable table;
  if (format == "csv") {
    // One tidy row per fit: easier to load than the wide layout.
    table.header = {"network", "abbr", "level", "n", "alpha_uj_per_pixel", "beta_j", "pearson",
                    "mre_percent", "mre_in_sample_percent", "estimate"};
    for (const EnergyFit& f : result.fits)
      table.rows.push_back({f.network, f.abbr, f.level, std::to_string(f.n), alpha(f.alpha_j_per_pixel),
                            beta(f.beta_j), pearson(f.pearson), percent(f.mre), percent(f.mre_in_sample),
                            result.estimate ? "true" : "false"});
    return render_csv(table);
  }
  // The wide layout of the paper's Table 2: one row per network, low then high.
  table.header = {"Network", "α low (µJ/px)", "β low (J)", "ρ low", "MRE low (%)",
                  "α high (µJ/px)", "β high (J)", "ρ high", "MRE high (%)"};
  std::vector<std::string> networks;
  for (const EnergyFit& f : result.fits)
    if (std::find(networks.begin(), networks.end(), f.abbr) == networks.end()) networks.push_back(f.abbr);
  for (const std::string& abbr : networks) {
    std::vector<std::string> row = {abbr};
    for (const char* level : {"low", "high"}) {
      const EnergyFit* found = nullptr;
      for (const EnergyFit& f : result.fits)
        if (f.abbr == abbr && f.level == level) found = &f;
      if (found) {
        for (const std::string& cell : {alpha(found->alpha_j_per_pixel), beta(found->beta_j),
                                        pearson(found->pearson), percent(found->mre)})
          row.push_back(cell);
      } else {
        for (int i = 0; i < 4; ++i) row.push_back("-");
      }
    }
    table.rows.push_back(row);
  }
  std::string out = render_table(table, format);
  if (format == "table" || format == "markdown") {
    std::string kmac;
    for (const auto& [name, fit] : {std::make_pair("kMAC/px", &result.alpha_vs_kmac),
                                    std::make_pair("kMAC/px up to the 2nd downsampling", &result.alpha_vs_kmac_2nd)})
      if (*fit)
        kmac += std::string(format == "markdown" && !kmac.empty() ? "\n" : "") + "alpha vs " + name + ": alpha = " +
                format_number((*fit)->slope * 1e6, "%.4g") + " µJ/px per kMAC/px * kMAC + " +
                format_number((*fit)->offset * 1e6, "%.4g") + " µJ/px, ρ = " + pearson((*fit)->pearson) +
                ", MRE (leave-one-out) = " + percent((*fit)->mre) + " %, n = " + std::to_string((*fit)->n) + "\n";
    out += (kmac.empty() ? "" : "\n") + kmac;
    out += std::string(format == "markdown" ? "\n" : "") +
           "MRE: Eq. (3) under 10-fold cross-validation (leave-one-out below 10 points).\n";
    if (result.estimate)
      out += std::string(format == "markdown" ? "\n**" : "") + "ESTIMATES, not measurements" +
             (format == "markdown" ? "**" : "") + ": fitted to energies from CPU time x a share of the TDP.\n";
  }
  return out;
}

}  // namespace nicenergy
