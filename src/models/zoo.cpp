#include "models/zoo.h"

#include <algorithm>
#include <cctype>

#include "error.h"

namespace nicenergy {

const std::vector<NetworkSpec>& network_specs() {
  // Padding as in the paper: 16 for the factorized prior (four stride-2 layers),
  // 128 for the networks with a hyperprior (two more stride-2 layers and the
  // paper's choice of a common multiple).
  static const std::vector<NetworkSpec> specs = {
      {"bmshj2018_factorized", "Bfac", 8, 6, 16},
      {"bmshj2018_hyperprior", "Bhyp", 8, 6, 128},
      {"mbt2018_mean", "Mmean", 8, 5, 128},
      {"mbt2018", "Mcont", 8, 5, 128},
      {"cheng2020_anchor", "Canch", 6, 4, 128},
      {"cheng2020_attn", "Cattn", 6, 4, 128},
  };
  return specs;
}

static std::string canonical(const std::string& text) {
  std::string out;
  for (char c : text) out += c == '-' ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

const NetworkSpec& find_network(const std::string& name_or_abbr) {
  const std::string wanted = canonical(name_or_abbr);
  for (const NetworkSpec& spec : network_specs())
    if (wanted == spec.name || wanted == canonical(spec.abbr)) return spec;
  std::string known;
  for (const NetworkSpec& spec : network_specs())
    known += (known.empty() ? "" : ", ") + spec.name + " (" + spec.abbr + ")";
  throw Error("unknown model '" + name_or_abbr + "': use one of " + known);
}

QualityConfig quality_config(const NetworkSpec& spec, int quality) {
  if (quality < 1 || quality > spec.qualities)
    throw Error("quality " + std::to_string(quality) + " does not exist for " + spec.name +
                ": use 1 to " + std::to_string(spec.qualities));
  QualityConfig config;
  config.spec = &spec;
  config.quality = quality;
  config.level = quality >= spec.first_high ? "high" : "low";
  const bool high = config.level == "high";
  if (spec.name == "bmshj2018_factorized" || spec.name == "bmshj2018_hyperprior" ||
      spec.name == "mbt2018_mean") {
    config.n = high ? 192 : 128;
    config.m = high ? 320 : 192;
  } else if (spec.name == "mbt2018") {
    config.n = 192;
    config.m = high ? 320 : 192;
  } else {  // cheng2020_anchor, cheng2020_attn: M = N
    config.n = high ? 192 : 128;
    config.m = config.n;
  }
  return config;
}

std::vector<int> level_qualities(const NetworkSpec& spec, const std::string& level) {
  if (level != "low" && level != "high")
    throw Error("unknown parameter level '" + level + "': use low or high");
  std::vector<int> qualities;
  for (int q = 1; q <= spec.qualities; ++q)
    if ((q >= spec.first_high) == (level == "high")) qualities.push_back(q);
  return qualities;
}

}  // namespace nicenergy
