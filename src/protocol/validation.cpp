#include "protocol/validation.h"

#include <cstdio>

#include "error.h"
#include "modeling/fit.h"

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

ValidationSummary summarize_validation(const std::vector<ValidationPair>& pairs) {
  if (pairs.size() < 3)
    throw Error("validate: " + std::to_string(pairs.size()) +
                " interval(s) measured by both meters; at least 3 are needed for a correlation (raise --k-min)");
  std::vector<double> primary_j, external_j, primary_w, external_w;
  double sum_primary = 0, sum_external = 0;
  for (const ValidationPair& p : pairs) {
    primary_j.push_back(p.primary_j);
    external_j.push_back(p.external_j);
    primary_w.push_back(p.primary_w());
    external_w.push_back(p.external_w());
    sum_primary += p.primary_j;
    sum_external += p.external_j;
  }
  ValidationSummary s;
  s.pairs = pairs.size();
  s.energy_pearson = fit_line(primary_j, external_j, "validate: the energies").pearson;
  const LineFit power = fit_line(primary_w, external_w, "validate: the mean powers");
  s.power_pearson = power.pearson;
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
  return {{"pairs", s.pairs}, {"energy_pearson", s.energy_pearson}, {"power_pearson", s.power_pearson},
          {"slope", s.slope}, {"offset_w", s.offset_w}, {"energy_ratio", s.energy_ratio}};
}

std::string validation_text(const std::vector<ValidationPair>& pairs, const ValidationSummary& s,
                            const std::string& primary, const std::string& external) {
  std::string out;
  char line[512];
  std::snprintf(line, sizeof line, "%-24s %-10s %9s %12s %12s %10s %10s\n", "run", "interval", "length_s",
                (primary + "_j").c_str(), (external + "_j").c_str(), (primary + "_w").c_str(), (external + "_w").c_str());
  out += line;
  for (const ValidationPair& p : pairs) {
    std::snprintf(line, sizeof line, "%-24s %-10s %9.3f %12.4f %12.4f %10.3f %10.3f\n", p.run.c_str(),
                  p.interval.c_str(), p.length_s(), p.primary_j, p.external_j, p.primary_w(), p.external_w());
    out += line;
  }
  std::snprintf(line, sizeof line,
                "pairs %zu; Pearson r of the energies %.5f, of the mean powers %.5f\n"
                "fit   %s_w = %.5f x %s_w %+.4f W; energy ratio %s/%s %.5f\n",
                s.pairs, s.energy_pearson, s.power_pearson, external.c_str(), s.slope, primary.c_str(), s.offset_w,
                external.c_str(), primary.c_str(), s.energy_ratio);
  out += line;
  return out;
}

}  // namespace nicenergy
