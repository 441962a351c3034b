#include "protocol/validation.h"

#include <cmath>
#include <cstdio>
#include <limits>
#include <tuple>

#include "error.h"
#include "stats/stats.h"

namespace nicenergy {

std::vector<ValidationPair> validation_pairs(const ProtocolResult& result, ExternalMeter& external,
                                             const std::string& run) {
  std::vector<ValidationPair> pairs;
  auto add = [&](const std::string& interval, double start_s, double end_s, double primary_j) {
    ValidationPair p;
    p.run = run;
    p.interval = interval;
    p.start_s = start_s;
    p.end_s = end_s;
    p.primary_j = primary_j;
    try {
      p.external_j = external.energy_between_j(start_s, end_s);
    } catch (const Error& e) {
      throw Error(run + ", " + interval + ": " + e.what());
    }
    check_validation_pair(p);
    pairs.push_back(p);
  };
  // Idle references measured in this run (a given one has no interval).
  const std::pair<const char*, const std::optional<IdleReference>*> idles[] = {{"cold idle", &result.idle_cold},
                                                                               {"hot idle", &result.idle_hot}};
  for (const auto& [name, idle] : idles)
    if (*idle && (*idle)->method && (*idle)->end_s > (*idle)->start_s)
      add(name, (*idle)->start_s, (*idle)->end_s, (*idle)->idle_power_w * ((*idle)->end_s - (*idle)->start_s));
  for (const WindowMeasurement& w : result.windows)
    add("window " + std::to_string(w.index), w.start_s, w.end_s, w.energy_j);
  return pairs;
}

void check_validation_pair(const ValidationPair& p) {
  // Squares of values below this, summed over any realistic number of pairs, stay finite.
  const double limit = std::sqrt(std::numeric_limits<double>::max()) / 1e6;
  const std::tuple<const char*, double, const char*> values[] = {{"the primary meter's energy", p.primary_j, "J"},
                                                                 {"the external meter's energy", p.external_j, "J"},
                                                                 {"the primary meter's mean power", p.primary_w(), "W"},
                                                                 {"the external meter's mean power", p.external_w(), "W"}};
  for (const auto& [name, v, unit] : values) {
    if (std::isfinite(v) && std::fabs(v) <= limit) continue;
    char text[64];
    std::snprintf(text, sizeof text, "%.4g %s", v, unit);
    throw Error("validate: " + std::string(name) + " over " + (p.run.empty() ? "" : p.run + ", ") + p.interval +
                " is " + text + (std::isfinite(v) ? ", too large to compute with (its square overflows)" : ", not finite") +
                "; check the log's power column (W) and its readings");
  }
}

namespace {

// One series of the summary and what it is called in messages.
struct Series {
  std::string name;  // "the external meter's energies"
  std::vector<double> values;
};

// Pearson's r; none where a series is constant (0/0), `why` then naming it.
std::optional<double> pearson(const Series& x, const Series& y, std::string& why) {
  const size_t n = x.values.size();
  double mx = 0, my = 0;
  for (size_t i = 0; i < n; ++i) mx += x.values[i] / n, my += y.values[i] / n;
  double sxx = 0, syy = 0, sxy = 0;
  for (size_t i = 0; i < n; ++i) {
    sxx += (x.values[i] - mx) * (x.values[i] - mx);
    syy += (y.values[i] - my) * (y.values[i] - my);
    sxy += (x.values[i] - mx) * (y.values[i] - my);
  }
  if (!(sxx > 0) || !(syy > 0)) {
    why = (sxx > 0 ? y.name : x.name) + " are all equal";
    return std::nullopt;
  }
  return sxy / std::sqrt(sxx) / std::sqrt(syy);  // two roots: their product could overflow
}

}  // namespace

ValidationSummary summarize_validation(const std::vector<ValidationPair>& pairs) {
  if (pairs.size() < 3)
    throw Error("validate: " + std::to_string(pairs.size()) +
                " interval(s) measured by both meters; at least 3 are needed for a correlation (raise --k-min)");
  Series primary_j{"the primary meter's energies", {}}, external_j{"the external meter's energies", {}};
  Series primary_w{"the primary meter's mean powers", {}}, external_w{"the external meter's mean powers", {}};
  double sum_primary = 0, sum_external = 0;
  for (const ValidationPair& p : pairs) {
    check_validation_pair(p);
    primary_j.values.push_back(p.primary_j);
    external_j.values.push_back(p.external_j);
    primary_w.values.push_back(p.primary_w());
    external_w.values.push_back(p.external_w());
    sum_primary += p.primary_j;
    sum_external += p.external_j;
  }
  ValidationSummary s;
  s.pairs = pairs.size();
  s.energy_pearson = pearson(primary_j, external_j, s.energy_pearson_undefined);
  s.power_pearson = pearson(primary_w, external_w, s.power_pearson_undefined);
  if (!s.power_pearson && s.power_pearson_undefined.rfind("the primary", 0) == 0)
    throw Error("validate: " + s.power_pearson_undefined + ", so no line can be fitted; the windows must draw "
                "more power than the idle reference (a larger --size)");
  const LineFit power = fit_line(primary_w.values, external_w.values, "validate: the mean powers");
  s.slope = power.slope;
  s.offset_w = power.intercept;
  s.energy_ratio = sum_primary > 0 ? sum_external / sum_primary : 0;
  return s;
}

nlohmann::json to_json(const ValidationPair& p) {
  return {{"run", p.run},           {"interval", p.interval},     {"start_s", p.start_s},
          {"end_s", p.end_s},       {"length_s", p.length_s()},   {"primary_j", p.primary_j},
          {"external_j", p.external_j}, {"primary_w", p.primary_w()}, {"external_w", p.external_w()}};
}

nlohmann::json to_json(const ValidationSummary& s) {
  auto r = [](const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
  nlohmann::json j = {{"pairs", s.pairs},  {"energy_pearson", r(s.energy_pearson)}, {"power_pearson", r(s.power_pearson)},
                      {"slope", s.slope},  {"offset_w", s.offset_w},               {"energy_ratio", s.energy_ratio}};
  // Where r is undefined, why (null alone would read as "not computed").
  if (!s.energy_pearson) j["energy_pearson_undefined"] = s.energy_pearson_undefined;
  if (!s.power_pearson) j["power_pearson_undefined"] = s.power_pearson_undefined;
  return j;
}

std::string validation_text(const std::vector<ValidationPair>& pairs, const ValidationSummary& s,
                            const std::string& primary, const std::string& external) {
  std::string out;
  char line[512];
  std::snprintf(line, sizeof line, "%-24s %-10s %9s %12s %12s %10s %10s\n", "run", "interval", "length_s",
                (primary + "_j").c_str(), (external + "_j").c_str(), (primary + "_w").c_str(), (external + "_w").c_str());
  out += line;
  for (const ValidationPair& p : pairs) {
    // %g: a number of any size keeps its column.
    std::snprintf(line, sizeof line, "%-24s %-10s %9.3f %12.6g %12.6g %10.5g %10.5g\n", p.run.c_str(),
                  p.interval.c_str(), p.length_s(), p.primary_j, p.external_j, p.primary_w(), p.external_w());
    out += line;
  }
  // An undefined r says why instead of a number.
  auto r = [](const std::optional<double>& v, const std::string& why) {
    if (!v) return "undefined (" + why + ")";
    char text[32];
    std::snprintf(text, sizeof text, "%.5f", *v);
    return std::string(text);
  };
  std::snprintf(line, sizeof line,
                "pairs %zu; Pearson r of the energies %s, of the mean powers %s\n"
                "fit   %s_w = %.5f x %s_w %+.4f W; energy ratio %s/%s %.5f\n",
                s.pairs, r(s.energy_pearson, s.energy_pearson_undefined).c_str(),
                r(s.power_pearson, s.power_pearson_undefined).c_str(), external.c_str(), s.slope, primary.c_str(),
                s.offset_w, external.c_str(), primary.c_str(), s.energy_ratio);
  out += line;
  return out;
}

}  // namespace nicenergy
