// The plan of a campaign (networks x qualities x images in a fixed order), its
// shards, the dry run and the duration estimate.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <regex>
#include <set>
#include <sstream>

#include "campaign/campaign.h"
#include "error.h"
#include "legacy/legacy_codecs.h"
#include "protocol/progress.h"

namespace fs = std::filesystem;

namespace nicenergy {

std::vector<int> campaign_qualities(const CampaignConfig& config, const NetworkSpec& spec) {
  if (!config.qualities.empty()) return config.qualities;
  std::set<int> qualities;
  for (const auto& level : config.levels) qualities.insert(level_qualities(spec, level).front());
  return {qualities.begin(), qualities.end()};
}

std::vector<std::string> command_argv(const CampaignCommand& command, const std::string& input,
                                      const std::string& output, int width, int height) {
  const std::pair<std::string, std::string> values[] = {
      {"{input}", input}, {"{output}", output}, {"{width}", std::to_string(width)}, {"{height}", std::to_string(height)}};
  std::vector<std::string> argv;
  for (std::string arg : command.argv) {
    for (const auto& [placeholder, value] : values)
      for (size_t at = arg.find(placeholder); at != std::string::npos; at = arg.find(placeholder, at + value.size()))
        arg.replace(at, placeholder.size(), value);
    argv.push_back(std::move(arg));
  }
  return argv;
}

// ---- plan, shards, estimate ----------------------------------------------

std::string CampaignPoint::label() const {
  return spec.abbr + " q" + std::to_string(quality) + " " + image.label + " " + std::to_string(image.width) + "x" +
         std::to_string(image.height) + (stage == "chain" ? "" : " " + stage) + (mode == "float32" ? "" : " " + mode);
}

std::vector<CampaignPoint> plan_campaign(const CampaignConfig& config) {
  std::vector<CampaignPoint> plan;
  for (const auto& spec : config.networks)
    for (int quality : campaign_qualities(config, spec))
      for (const auto& image : config.images)
        for (const auto& stage : config.stages)
          for (const auto& mode : config.modes) {
            if (stage != "chain" && mode != "float32") continue;  // modes are ways of running the chain
            CampaignPoint p;
            p.index = plan.size();
            p.spec = spec;
            p.quality = quality;
            p.level = quality_config(spec, quality).level;
            p.image = image;
            p.stage = stage;
            p.mode = mode;
            for (const CampaignWeights& w : config.weights)
              if (w.model == spec.name && w.quality == quality) p.weights = w.file;
            plan.push_back(std::move(p));
          }
  for (const auto& name : config.legacy_codecs) {
    const LegacyCodec& codec = legacy_codec(name);
    const auto given = config.legacy_qualities.find(name);
    std::vector<int> qualities;
    if (given != config.legacy_qualities.end())
      qualities = given->second;
    else
      for (double setting : codec.default_settings) qualities.push_back(static_cast<int>(setting));
    std::sort(qualities.begin(), qualities.end());
    for (int quality : qualities)
      for (const auto& image : config.images)
        for (const auto& stage : config.stages) {
          if (stage != "chain" && stage != "encode" && stage != "decode") continue;  // a learned codec's stage
          CampaignPoint p;
          p.index = plan.size();
          p.spec.name = codec.name;
          p.spec.abbr = codec.abbr;
          p.legacy = codec.name;
          p.quality = quality;
          p.level = kCustomLevel;
          p.image = image;
          p.stage = stage;
          plan.push_back(std::move(p));
        }
  }
  for (const auto& path : config.torchscript_models)
    for (const auto& image : config.images) {
      CampaignPoint p;
      p.index = plan.size();
      p.spec.name = p.spec.abbr = fs::path(path).stem().string();
      p.torchscript = path;
      p.level = kCustomLevel;
      p.image = image;
      plan.push_back(std::move(p));
    }
  for (const auto& command : config.commands)
    for (const auto& image : config.images) {
      CampaignPoint p;
      p.index = plan.size();
      p.spec.name = p.spec.abbr = command.name;
      p.command = command;
      p.quality = command.quality;
      p.level = kCustomLevel;
      p.image = image;
      plan.push_back(std::move(p));
    }
  return plan;
}

MeasurementKey point_key(const CampaignPoint& p) {
  return {p.spec.name, p.quality, p.image.label, p.image.width, p.image.height, p.stage, p.mode};
}

Shard parse_shard(const std::string& text) {
  static const std::regex pattern(R"(^\s*([0-9]{1,6})\s*/\s*([0-9]{1,6})\s*$)");
  std::smatch m;
  if (!std::regex_match(text, m, pattern))
    throw Error("shard '" + text + "' is not i/n: write it like --shard 2/4 (the second of four)");
  Shard s{std::stoi(m[1]), std::stoi(m[2])};
  if (s.count < 1 || s.index < 1 || s.index > s.count)
    throw Error("shard '" + text + "' is out of range: i/n needs 1 <= i <= n");
  return s;
}

std::vector<CampaignPoint> shard_points(const std::vector<CampaignPoint>& plan, const Shard& shard) {
  std::vector<CampaignPoint> out;
  for (const auto& p : plan)
    if (p.index % shard.count == static_cast<size_t>(shard.index - 1)) out.push_back(p);
  return out;
}

std::string shard_output_path(const std::string& output, const Shard& shard) {
  if (shard.count == 1) return output;
  const fs::path p(output);
  const std::string tag = ".shard" + std::to_string(shard.index) + "of" + std::to_string(shard.count);
  return (p.parent_path() / (p.stem().string() + tag + p.extension().string())).string();
}

double estimate_duration_s(const CampaignConfig& config, size_t points) {
  if (points == 0) return 0;
  const ProtocolConfig& p = config.protocol;
  // Preheat lasts at least the no-sensor time (a sensor may end it sooner only
  // by reaching the target, which a cold device does not at once).
  const double preheat_s = std::min(p.preheat_max_s, p.preheat_no_sensor_s);
  // Calibration takes about one window; then k_min windows at least.
  const double measuring_s = points * p.window_s * (1 + p.k_min);
  const double refreshes = std::floor(measuring_s / config.idle_refresh_s);
  // Each idle reference is followed by a preheat and, after it, the hot idle reference.
  const double hot_idle_s = preheat_s > 0 ? p.hot_idle_s : 0;
  return (p.idle_s + hot_idle_s) * (1 + refreshes) + preheat_s + measuring_s;
}

}  // namespace nicenergy
