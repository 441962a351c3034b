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
#include "protocol/progress.h"

namespace fs = std::filesystem;

namespace nicenergy {

// ---- plan, shards, estimate ----------------------------------------------

std::string CampaignPoint::label() const {
  const SubjectSpec& s = subject;
  return s.abbr + " q" + std::to_string(s.quality) + " " + image.label + " " + std::to_string(image.width) + "x" +
         std::to_string(image.height) + (s.stage == "chain" ? "" : " " + s.stage) +
         (s.mode == "float32" ? "" : " " + s.mode);
}

// One loop for every kind: the resolver says which qualities, stages and modes
// each subject takes (modes are ways of running the chain).
std::vector<CampaignPoint> plan_campaign(const CampaignConfig& config) {
  std::vector<CampaignPoint> plan;
  for (const SubjectSpec& subject : config.subjects)
    for (int quality : subject_qualities(subject, config.sweep))
      for (const auto& image : config.images)
        for (const auto& stage : subject_stages(subject, config.stages))
          for (const auto& mode : subject_modes(subject, config.modes)) {
            if (stage != "chain" && mode != "float32") continue;
            CampaignPoint p;
            p.index = plan.size();
            p.subject = subject;
            p.subject.quality = quality;
            p.subject.stage = stage;
            p.subject.mode = mode;
            for (const CampaignWeights& w : config.weights)
              if (w.model == subject.name && w.quality == quality) p.subject.weights = w.file;
            p.level = subject_level(p.subject);
            p.image = image;
            plan.push_back(std::move(p));
          }
  return plan;
}

MeasurementKey point_key(const CampaignPoint& p) {
  const SubjectSpec& s = p.subject;
  return {s.name, s.quality, p.image.label, p.image.width, p.image.height, s.stage, s.mode};
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
