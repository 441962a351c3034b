// Campaigns: a TOML config names models x quality levels x images; the plan is
// their product in a fixed order (plan.cpp); the runner (run.cpp) measures each
// point through callbacks (codec_campaign.h supplies the codecs'), appends one
// fsynced row per point to the results CSV, and on a second start skips the
// points already there (resume). Torch-free; the config is read by config.cpp.
//
// Paths in the config (image files and folders, replay:FILE) are relative to the
// config file's folder; `output` is relative to the current directory.
#pragma once
#include <functional>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "image/image_source.h"
#include "models/zoo.h"
#include "protocol/protocol.h"
#include "protocol/record.h"
#include "protocol/results_csv.h"
#include "subject/resolve.h"
#include "subject/subject.h"

namespace nicenergy {

// A [[weights]] entry: the trained weights of one network at one quality.
// Points of that network and quality load them, and their records get the
// rate and distortion of the real codec; other points run seeded weights
// (energy only).
struct CampaignWeights {
  std::string model;  // the network's name (find_network's)
  int quality = 0;
  std::string file;   // safetensors, resolved
};

struct CampaignConfig {
  std::string path;                   // the config file
  std::string name;
  std::string output;                 // results CSV
  std::string device = "cpu";         // cpu | cuda | cuda:N
  std::string meter = "auto";         // auto | nvml | rapl | estimate | replay:FILE (FILE resolved)
  // What `models` names and the [[commands]], resolved (subject/resolve.h), in
  // the plan's order (subject_before): networks, classic codecs compiled in,
  // TorchScript files (paths resolved; measured with the default calling
  // options: forward(x), padding 64, output x_hat), commands.
  std::vector<SubjectSpec> subjects;
  // The qualities swept: levels or qualities for the networks, each classic
  // codec's legacy_qualities or its default sweep, in its own scale.
  QualitySweep sweep;
  std::vector<CampaignWeights> weights;  // [[weights]]
  // Said once by the CLI before the campaign: classic codecs left out because
  // nicenergy was built without their library.
  std::vector<std::string> notes;
  // The stages measured for each built-in network (coding/stage.h names), in the
  // order given; the chain, the paper's, by default. TorchScript models and
  // [[commands]] are measured whole, as the chain.
  std::vector<std::string> stages = {"chain"};
  // The energy modes each built-in network's chain is measured in (mode_name.h
  // names), in the order given; float32 by default. Other stages, legacy
  // codecs, TorchScript models and commands run as they are.
  std::vector<std::string> modes = {"float32"};
  // The host CPU's meter beside the device's (open_host_meter): auto, none, rapl or estimate.
  std::string host_meter = "auto";
  double idle_refresh_s = 1800;
  ProtocolConfig protocol;            // the protocol's defaults with the [protocol] table applied
  std::vector<ImageSource> images;    // sorted by pixels, width, height, label
};

// Throws Error naming the file (and line) and the problem: unknown key, unknown
// network, bad level or quality, bad size, missing image file or folder,
// impossible protocol values.
CampaignConfig load_campaign_config(const std::string& path);

// The names of the subjects of one kind, in plan order (for messages and tests).
std::vector<std::string> subject_names(const CampaignConfig& config, SubjectKind kind);

struct CampaignPoint {
  size_t index = 0;     // position in the full plan (0-based), before sharding
  SubjectSpec subject;  // with the point's quality, stage, mode and [[weights]] file
  std::string level;
  ImageSource image;
  std::string label() const;  // "Bfac q1 kodim01.png 768x512", then the stage unless the chain, the mode unless float32
};

// Subject (subject_before's order), quality, image (pixels, width, height, label),
// stage, mode: the order record_before sorts rows in, so a merged CSV follows the plan.
std::vector<CampaignPoint> plan_campaign(const CampaignConfig& config);

MeasurementKey point_key(const CampaignPoint& point);

// --shard i/n: this run takes the points whose plan index mod n == i - 1.
struct Shard {
  int index = 1;  // 1-based
  int count = 1;
};
Shard parse_shard(const std::string& text);  // "2/4"; throws Error otherwise
std::vector<CampaignPoint> shard_points(const std::vector<CampaignPoint>& plan, const Shard& shard);
// results/x.csv with shard 2/4 -> results/x.shard2of4.csv (the output itself for 1/1).
std::string shard_output_path(const std::string& output, const Shard& shard);

// Lower bound of the time to measure `points` points: the first idle reference and
// preheat (the no-sensor preheat, the shortest), per point a calibration window
// and k_min windows, and an idle reference again every idle_refresh_s.
double estimate_duration_s(const CampaignConfig& config, size_t points);

struct CampaignCallbacks {
  // Measures the idle power; called before the first point measured and again
  // once idle_refresh_s of campaign time have passed since the last time.
  std::function<double()> measure_idle;
  // Measures one point. A std::exception is recorded (stderr and <output>.errors)
  // and the campaign goes on; anything else propagates and ends the run.
  std::function<MeasurementRecord(const CampaignPoint&, double idle_power_w)> measure_point;
};

struct CampaignOptions {
  Shard shard;
  bool dry_run = false;  // print the plan and the estimate, measure nothing
  bool resume = true;    // skip points already in the output; false: refuse a non-empty output
  std::string output;    // overrides the config's output (and the shard naming)
  std::ostream* out = nullptr;  // dry-run text; std::cout when null
  std::ostream* log = nullptr;  // progress and errors; std::cerr when null
  int redraw = -1;              // progress redrawn in place: 1, 0, or -1 = when stderr is a TTY
  std::function<double()> clock_s;  // campaign time in seconds; steady clock when empty
};

struct CampaignSummary {
  std::string output;   // the results CSV written
  size_t planned = 0;   // points in this shard
  size_t measured = 0;  // measured now
  size_t skipped = 0;   // already in the output
  size_t failed = 0;    // measure_point threw; see <output>.errors
  size_t repaired_bytes = 0;  // torn last row cut from the output
  double elapsed_s = 0;
};

// The dry-run text: the plan of this shard with done points marked, the counts and
// the duration estimate.
std::string dry_run_text(const CampaignConfig& config, const CampaignOptions& options);

CampaignSummary run_campaign(const CampaignConfig& config, const CampaignOptions& options,
                             const CampaignCallbacks& callbacks);

}  // namespace nicenergy
