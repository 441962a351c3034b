// The six CompressAI networks the paper studies, their quality levels and
// CompressAI's (N, M) for each (compressai/zoo/image.py). Torch-free, so that
// campaign planning and the CLI can use it without building a network.
#pragma once
#include <string>
#include <vector>

namespace nicenergy {

struct NetworkSpec {
  std::string name;      // CompressAI name with underscores: "bmshj2018_factorized"
  std::string abbr;      // the paper's abbreviation: "Bfac"
  int qualities = 0;     // quality levels 1..qualities
  int first_high = 0;    // first quality of the high parameter level
  int padding = 0;       // inputs are padded to a multiple of this (16 or 128)
};

struct QualityConfig {
  const NetworkSpec* spec = nullptr;
  int quality = 0;
  int n = 0;             // CompressAI's N
  int m = 0;             // CompressAI's M (equal to N for cheng2020)
  std::string level;     // "low" or "high"
};

const std::vector<NetworkSpec>& network_specs();

// Accepts the CompressAI name (underscores or dashes) or the abbreviation, any case.
// Throws nicenergy::Error listing the known names otherwise.
const NetworkSpec& find_network(const std::string& name_or_abbr);

// Throws nicenergy::Error when quality is outside 1..spec.qualities.
QualityConfig quality_config(const NetworkSpec& spec, int quality);

// The qualities of one level ("low" or "high"), ascending.
std::vector<int> level_qualities(const NetworkSpec& spec, const std::string& level);

}  // namespace nicenergy
