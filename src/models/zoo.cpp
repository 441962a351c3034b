#include "models/zoo.h"

#include <algorithm>
#include <cctype>

#include "error.h"

namespace nicenergy {

std::string to_string(Level level) { return level == Level::high ? "high" : "low"; }

std::optional<Level> level_from_string(const std::string& text) {
  if (text == "low") return Level::low;
  if (text == "high") return Level::high;
  return std::nullopt;
}

Level parse_level(const std::string& text) {
  if (const auto level = level_from_string(text)) return *level;
  throw Error("unknown parameter level '" + text + "': use low or high");
}

int level_rank(const std::string& level) {
  const auto known = level_from_string(level);
  return known ? static_cast<int>(*known) : 2;
}

const std::vector<NetworkSpec>& network_specs() {
  // Padding as in the paper: 16 for the factorized prior (four stride-2 layers),
  // 128 for the networks with a hyperprior (two more stride-2 layers and the
  // paper's choice of a common multiple). (N, M) from CompressAI's cfgs.
  static const std::vector<NetworkSpec> specs = {
      {.name = "bmshj2018_factorized", .abbr = "Bfac", .qualities = 8, .first_high = 6, .padding = 16,
       .low = {128, 192}, .high = {192, 320}, .transforms = Transforms::balle},
      {.name = "bmshj2018_hyperprior", .abbr = "Bhyp", .qualities = 8, .first_high = 6, .padding = 128,
       .low = {128, 192}, .high = {192, 320}, .transforms = Transforms::balle,
       .hyperprior = true, .hyper_abs = true},
      {.name = "mbt2018_mean", .abbr = "Mmean", .qualities = 8, .first_high = 5, .padding = 128,
       .low = {128, 192}, .high = {192, 320}, .transforms = Transforms::balle,
       .hyperprior = true, .means = true},
      {.name = "mbt2018", .abbr = "Mcont", .qualities = 8, .first_high = 5, .padding = 128,
       .low = {192, 192}, .high = {192, 320}, .transforms = Transforms::balle,
       .hyperprior = true, .means = true, .context = true},
      {.name = "cheng2020_anchor", .abbr = "Canch", .qualities = 6, .first_high = 4, .padding = 128,
       .low = {128, 128}, .high = {192, 192}, .transforms = Transforms::cheng,
       .hyperprior = true, .means = true, .context = true},
      {.name = "cheng2020_attn", .abbr = "Cattn", .qualities = 6, .first_high = 4, .padding = 128,
       .low = {128, 128}, .high = {192, 192}, .transforms = Transforms::cheng,
       .hyperprior = true, .means = true, .context = true, .attention = true},
  };
  return specs;
}

static std::string canonical(const std::string& text) {
  std::string out;
  for (char c : text) out += c == '-' ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

const NetworkSpec* lookup_network(const std::string& name_or_abbr) {
  const std::string wanted = canonical(name_or_abbr);
  for (const NetworkSpec& spec : network_specs())
    if (wanted == spec.name || wanted == canonical(spec.abbr)) return &spec;
  return nullptr;
}

const NetworkSpec& find_network(const std::string& name_or_abbr) {
  if (const NetworkSpec* spec = lookup_network(name_or_abbr)) return *spec;
  std::string known;
  for (const NetworkSpec& spec : network_specs())
    known += (known.empty() ? "" : ", ") + spec.name + " (" + spec.abbr + ")";
  throw Error("unknown model '" + name_or_abbr + "': use one of " + known);
}

int network_rank(const std::string& name_or_abbr) {
  const NetworkSpec* spec = lookup_network(name_or_abbr);
  return static_cast<int>(spec ? spec - network_specs().data() : network_specs().size());
}

QualityConfig quality_config(const NetworkSpec& spec, int quality) {
  if (quality < 1 || quality > spec.qualities)
    throw Error("quality " + std::to_string(quality) + " does not exist for " + spec.name +
                ": use 1 to " + std::to_string(spec.qualities));
  const Level level = quality >= spec.first_high ? Level::high : Level::low;
  QualityConfig config;
  config.spec = &spec;
  config.quality = quality;
  config.level = to_string(level);
  config.n = spec.channels(level).n;
  config.m = spec.channels(level).m;
  return config;
}

std::vector<int> level_qualities(const NetworkSpec& spec, Level level) {
  std::vector<int> qualities;
  for (int q = 1; q <= spec.qualities; ++q)
    if ((q >= spec.first_high) == (level == Level::high)) qualities.push_back(q);
  return qualities;
}

std::vector<int> level_qualities(const NetworkSpec& spec, const std::string& level) {
  return level_qualities(spec, parse_level(level));
}

}  // namespace nicenergy
