// The six CompressAI networks the paper studies: one spec table with, per
// network, its names, padding, quality levels with CompressAI's (N, M)
// (compressai/zoo/image.py cfgs) and which blocks it has; network.cpp builds
// the module tree from it. Torch-free, so that campaign planning and the CLI
// can use it without building a network.
#pragma once
#include <optional>
#include <string>
#include <vector>

namespace nicenergy {

// The parameter level of a quality: CompressAI changes (N, M) at one quality.
// Text ("low", "high") only at the edges: CSV, JSON, tables, configs.
enum class Level { low, high };
// The level of a network outside the zoo (a TorchScript file, a command): it has
// no (N, M) levels; fit, predict and report take it like low and high.
inline constexpr char kCustomLevel[] = "custom";
std::string to_string(Level level);
// Throws nicenergy::Error naming the text unless it is "low" or "high".
Level parse_level(const std::string& text);
std::optional<Level> level_from_string(const std::string& text);  // nullopt for other text
// Sort key: low, high, then any other text (levels read from a hand-edited CSV).
int level_rank(const std::string& level);

struct ChannelCounts {
  int n = 0;  // CompressAI's N
  int m = 0;  // CompressAI's M (equal to N for cheng2020)
};

// The analysis/synthesis family: Ballé's conv + GDN stacks (google.py) or
// Cheng's residual blocks (waseda.py, which also brings its own h_a and h_s).
enum class Transforms { balle, cheng };

struct NetworkSpec {
  std::string name;      // CompressAI name with underscores: "bmshj2018_factorized"
  std::string abbr;      // the paper's abbreviation: "Bfac"
  int qualities = 0;     // quality levels 1..qualities
  int first_high = 0;    // first quality of the high parameter level
  int padding = 0;       // inputs are padded to a multiple of this (16 or 128)
  ChannelCounts low;     // (N, M) of qualities 1..first_high-1
  ChannelCounts high;    // (N, M) of qualities first_high..qualities
  Transforms transforms = Transforms::balle;
  bool hyperprior = false;  // h_a, h_s and the entropy bottleneck on z; y is Gaussian
  bool hyper_abs = false;   // h_a sees |y| (Bhyp)
  bool means = false;       // y's Gaussians have means as well as scales
  bool context = false;     // masked 5x5 context model and entropy-parameter network
  bool attention = false;   // attention blocks in g_a and g_s (cheng2020_attn)

  const ChannelCounts& channels(Level level) const { return level == Level::high ? high : low; }
};

struct QualityConfig {
  const NetworkSpec* spec = nullptr;
  int quality = 0;
  int n = 0;             // CompressAI's N
  int m = 0;             // CompressAI's M (equal to N for cheng2020)
  std::string level;     // "low" or "high", to_string(Level)
};

// In the order of the paper's tables: Bfac, Bhyp, Mmean, Mcont, Canch, Cattn.
const std::vector<NetworkSpec>& network_specs();

// Accepts the CompressAI name (underscores or dashes) or the abbreviation, any case.
// Throws nicenergy::Error listing the known names otherwise.
const NetworkSpec& find_network(const std::string& name_or_abbr);
// The same lookup, nullptr for an unknown name.
const NetworkSpec* lookup_network(const std::string& name_or_abbr);

// The network's place in the paper's tables (index in network_specs()), so that
// tables, fits and merged files list networks as the paper does; a name
// network_specs() does not know ranks after all of them.
int network_rank(const std::string& name_or_abbr);

// Throws nicenergy::Error when quality is outside 1..spec.qualities.
QualityConfig quality_config(const NetworkSpec& spec, int quality);

// The qualities of one level, ascending. The text form throws nicenergy::Error
// for a level other than "low" or "high".
std::vector<int> level_qualities(const NetworkSpec& spec, Level level);
std::vector<int> level_qualities(const NetworkSpec& spec, const std::string& level);

}  // namespace nicenergy
