#include "modeling/coefficients.h"

#include <fstream>
#include <tuple>

#include "error.h"
#include "io/files.h"
#include "io/numbers.h"

namespace nicenergy {

static nlohmann::json kmac_json(const std::optional<KmacFit>& fit) {
  if (!fit) return nullptr;
  return {{"slope", fit->slope}, {"offset", fit->offset}, {"pearson", fit->pearson},
          {"mre", fit->mre}, {"mre_in_sample", fit->mre_in_sample}, {"n", fit->n},
          {"kmac_min", fit->min_kmac}, {"kmac_max", fit->max_kmac}};
}

nlohmann::json to_json(const FitResult& result) {
  nlohmann::json fits = nlohmann::json::array();
  for (const EnergyFit& f : result.fits)
    fits.push_back({{"network", f.network}, {"abbr", f.abbr}, {"level", f.level}, {"n", f.n},
                    {"alpha_j_per_pixel", f.alpha_j_per_pixel}, {"beta_j", f.beta_j}, {"pearson", f.pearson},
                    {"mre", f.mre}, {"mre_in_sample", f.mre_in_sample},
                    {"pixels_min", f.min_pixels}, {"pixels_max", f.max_pixels}});
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
    return value.get<std::string>();
  } else {
    if (!value.is_number()) throw Error(where + ": \"" + key + "\" must be a number");
    const std::string what = where + " \"" + key + "\"";
    // Integers go through checked_cast: "n": 1e300 (a double in JSON) or
    // 2^40 must not reach a cast to int, whose result would be undefined.
    if constexpr (std::is_integral_v<T>) {
      if (value.is_number_unsigned()) return checked_cast<T>(value.get<uint64_t>(), what);
      if (value.is_number_integer()) return checked_cast<T>(value.get<int64_t>(), what);
      return checked_cast<T>(value.get<double>(), what);
    } else {
      return value.get<double>();  // JSON cannot hold nan or inf, and the parser refuses overflow
    }
  }
}

// A count of points: a whole number of at least 1.
static int count_field(const nlohmann::json& object, const char* key, const std::string& where) {
  const int n = field<int>(object, key, where);
  if (n < 1) throw Error(where + ": \"" + key + "\" is " + std::to_string(n) + ", but a fit needs at least 1 point");
  return n;
}

// An optional [low, high] pair: both or neither, 0 <= low <= high.
static std::pair<double, double> range_fields(const nlohmann::json& j, const char* low_key, const char* high_key,
                                              const std::string& where) {
  if (!j.contains(low_key) && !j.contains(high_key)) return {0.0, 0.0};
  const double low = field<double>(j, low_key, where);
  const double high = field<double>(j, high_key, where);
  if (!(low >= 0 && high >= low))
    throw Error(where + ": \"" + low_key + "\" and \"" + high_key + "\" must satisfy 0 <= low <= high; rewrite the "
                "file with `nicenergy fit`");
  return {low, high};
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
  fit.n = count_field(j, "n", where);
  // Files written before the ranges were recorded lack them: 0, unknown.
  std::tie(fit.min_kmac, fit.max_kmac) = range_fields(j, "kmac_min", "kmac_max", where);
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
    f.n = count_field(j, "n", where);
    // Files written before the keys named their units say "alpha" and "beta".
    f.alpha_j_per_pixel = field<double>(j, j.contains("alpha") ? "alpha" : "alpha_j_per_pixel", where);
    f.beta_j = field<double>(j, j.contains("beta") ? "beta" : "beta_j", where);
    f.pearson = field<double>(j, "pearson", where);
    f.mre = field<double>(j, "mre", where);
    f.mre_in_sample = field<double>(j, "mre_in_sample", where);
    std::tie(f.min_pixels, f.max_pixels) = range_fields(j, "pixels_min", "pixels_max", where);
    result.fits.push_back(f);
  }
  result.estimate = json.contains("estimate") && json.at("estimate").is_boolean() && json.at("estimate").get<bool>();
  result.alpha_vs_kmac = kmac_from_json(json, "alpha_vs_kmac", source);
  result.alpha_vs_kmac_2nd = kmac_from_json(json, "alpha_vs_kmac_2nd", source);
  return result;
}

FitResult read_fit_result(const std::string& path) {
  const std::string text = read_input_file(path, "coefficients file '" + path + "'",
                                           "check the path or run `nicenergy fit --output` first", 16 << 20);
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw Error("coefficients file '" + path + "' is not valid JSON (error at byte " + std::to_string(e.byte) +
                "); rewrite it with `nicenergy fit`");
  } catch (const nlohmann::json::exception& e) {
    throw Error("coefficients file '" + path + "' is not valid JSON (" + printable(e.what(), 120) +
                "); rewrite it with `nicenergy fit`");
  }
  return fit_result_from_json(json, "coefficients file '" + path + "'");
}

void write_fit_result(const FitResult& result, const std::string& path) {
  std::ofstream out(path);
  if (!out) throw Error("cannot write coefficients file '" + path + "': check that its folder exists and is writable");
  out << to_json(result).dump(2) << "\n";
  out.close();  // the buffered text is written here: check after it
  if (!out) throw Error("writing coefficients file '" + path + "' failed: check the free disk space");
}

}  // namespace nicenergy
