// Campaigns: config parsing and its errors, the plan, shards, resume after a kill
// or a torn row, failures, idle refresh, merging shards, dry run, progress output.
// The measurer is a fake: deterministic rows from the point alone.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "error.h"
#include "io/files.h"
#include "image/image.h"
#include "campaign/campaign.h"
#include "legacy/legacy_codecs.h"
#include "protocol/progress.h"
#include "protocol/results_csv.h"
#include "test_util.h"

namespace fs = std::filesystem;
using namespace nicenergy;

namespace {

// A scratch folder with two of the repository's Kodak images in photos/;
// config paths are relative to the config.
struct TempDir : test_util::TempDir {
  TempDir() : test_util::TempDir("campaign") {
    fs::create_directories(path / "photos");
    fs::copy_file("data/images/kodim01.png", path / "photos/kodim01.png");
    fs::copy_file("data/images/kodim02.png", path / "photos/kodim02.png");
  }
};
using test_util::slurp;
using test_util::spit;

const char* kCampaign =
    "name = \"t\"\n"
    "models = [\"Bfac\", \"bmshj2018-hyperprior\", \"cattn\"]\n"
    "levels = [\"low\", \"high\"]\n"
    "idle_refresh_s = 100\n";
const char* kProtocol = "idle_s = 2\nwindow_s = 0.5\nk_min = 3\nk_max = 6\nci_target = 0.05\n";
const char* kImages =
    "[[images]]\nfiles = [\"photos/kodim01.png\"]\n"
    "[[images]]\nsizes = [\"64x48\", \"32x32\", \"96x64\"]\nfrom = \"photos\"\n";

// Writes a config into the temp dir; the output goes there too unless given.
std::string write_config(const TempDir& dir, const std::string& campaign = kCampaign,
                         const std::string& protocol = kProtocol, const std::string& images = kImages,
                         const std::string& name = "c.toml") {
  std::string text = "[campaign]\n" + campaign;
  if (campaign.find("output") == std::string::npos) text += "output = \"" + dir.file("out.csv") + "\"\n";
  text += "[protocol]\n" + protocol + images;
  spit(dir.file(name), text);
  return dir.file(name);
}

std::string load_error(const std::string& path) {
  try {
    load_campaign_config(path);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

MeasurementRecord fake_record(const CampaignPoint& p, double idle_w) {
  MeasurementRecord r;
  r.network = p.subject.name;
  r.abbr = p.subject.abbr;
  r.quality = p.subject.quality;
  r.level = p.level;
  r.image = p.image.label;
  r.width = p.image.width;
  r.height = p.image.height;
  r.pixels = int64_t(r.width) * r.height;
  r.energy_j = 1e-7 * r.pixels * p.subject.quality + 0.01 * (p.index + 1);
  r.energy_ci_j = r.energy_j / 50;
  r.k = 3;
  r.m = 1 + p.index;
  r.duration_s = r.pixels * 1e-9;
  r.idle_power_w = idle_w;
  r.mean_power_w = idle_w + 20;
  r.meter = "estimate";
  r.method = "estimate";
  r.device = "cpu";
  char t[64];
  std::snprintf(t, sizeof t, "2024-05-01T00:%02zu:%02zuZ", p.index / 60, p.index % 60);
  r.started_at = t;
  return r;
}

struct Fake {
  int idle_calls = 0;
  std::vector<size_t> measured;  // plan indices, in call order
  std::function<void(const CampaignPoint&)> before;  // may throw
  CampaignCallbacks callbacks() {
    CampaignCallbacks c;
    c.measure_idle = [this] { return 50.0 + ++idle_calls; };
    c.measure_point = [this](const CampaignPoint& p, double idle_w) {
      if (before) before(p);
      measured.push_back(p.index);
      return fake_record(p, idle_w);
    };
    return c;
  }
};

struct Quiet {
  std::ostringstream out, log;
  CampaignOptions options(Shard shard = {}) {
    CampaignOptions o;
    o.shard = shard;
    o.out = &out;
    o.log = &log;
    o.redraw = 0;
    return o;
  }
};

struct Killed {};  // not a std::exception: the campaign lets it through, like a kill

std::vector<MeasurementKey> keys_of(const std::vector<MeasurementRecord>& records) {
  std::vector<MeasurementKey> keys;
  for (const auto& r : records) keys.push_back(measurement_key(r));
  return keys;
}

std::vector<MeasurementKey> keys_of(const std::vector<CampaignPoint>& points) {
  std::vector<MeasurementKey> keys;
  for (const auto& p : points) keys.push_back(point_key(p));
  return keys;
}

}  // namespace

// ---- config ----------------------------------------------------------------

TEST(CampaignConfig, LoadsAGoodConfig) {
  TempDir dir;
  const std::string path =
      write_config(dir, std::string(kCampaign) + "output = \"results/t.csv\"\nmeter = \"estimate\"\ndevice = \"cuda:1\"\n");
  const CampaignConfig c = load_campaign_config(path);
  EXPECT_EQ(c.name, "t");
  EXPECT_EQ(c.output, "results/t.csv") << "output stays relative to the current directory";
  EXPECT_EQ(c.meter, "estimate");
  EXPECT_EQ(c.device, "cuda:1");
  EXPECT_EQ(c.idle_refresh_s, 100);
  ASSERT_EQ(c.subjects.size(), 3u);
  EXPECT_EQ(c.subjects[0].abbr, "Bfac");
  EXPECT_EQ(c.subjects[1].abbr, "Bhyp");
  EXPECT_EQ(c.subjects[2].abbr, "Cattn");
  EXPECT_EQ(c.protocol.idle_s, 2);
  EXPECT_EQ(c.protocol.window_s, 0.5);
  EXPECT_EQ(c.protocol.k_min, 3);
  EXPECT_EQ(c.protocol.k_max, 6);
  EXPECT_EQ(c.protocol.confidence, ProtocolConfig{}.confidence) << "unset values keep the protocol's defaults";

  // Images sorted by pixels; the file resolved against the config's folder.
  ASSERT_EQ(c.images.size(), 4u);
  for (size_t i = 1; i < c.images.size(); ++i)
    EXPECT_LE(int64_t(c.images[i - 1].width) * c.images[i - 1].height,
              int64_t(c.images[i].width) * c.images[i].height);
  const ImageSource& file = c.images.back();
  EXPECT_EQ(file.label, "photos/kodim01.png");
  EXPECT_TRUE(fs::equivalent(file.path, dir.file("photos/kodim01.png")));
  const ImageInfo info = image_info(dir.file("photos/kodim01.png"));
  EXPECT_EQ(file.width, info.width);
  EXPECT_EQ(file.height, info.height);
  const ImageSource& small = c.images.front();
  EXPECT_EQ(small.width, 32);
  EXPECT_EQ(small.method, "mosaic");
  EXPECT_TRUE(small.path.empty());
  ASSERT_EQ(small.sources.size(), 2u);
  EXPECT_TRUE(fs::equivalent(small.sources[1], dir.file("photos/kodim02.png")));
  EXPECT_NE(small.label.find("32x32"), std::string::npos);

  // Levels: each measured at its first quality.
  EXPECT_EQ(subject_qualities(c.subjects[0], c.sweep), (std::vector<int>{1, 6}));
  EXPECT_EQ(subject_qualities(c.subjects[2], c.sweep), (std::vector<int>{1, 4}));
}

// The TOML takes what the CLI's --meter takes, from the one table of meters.
TEST(CampaignConfig, MeterTakesWhatTheCliTakes) {
  TempDir dir;
  for (const std::string meter : {"nvml:1", "estimate:65", "rapl", "auto"}) {
    const std::string path =
        write_config(dir, std::string(kCampaign) + "output = \"results/t.csv\"\nmeter = \"" + meter + "\"\n");
    EXPECT_EQ(load_campaign_config(path).meter, meter);
  }
  for (const std::string meter : {"watts", "estimate:nan", "nvml:-1"}) {
    const std::string path =
        write_config(dir, std::string(kCampaign) + "output = \"results/t.csv\"\nmeter = \"" + meter + "\"\n");
    EXPECT_NE(test_util::error_of([&] { load_campaign_config(path); }).find("meter"), std::string::npos) << meter;
  }
}

TEST(CampaignConfig, DefaultsFolderImagesQualitiesAndReplay) {
  TempDir dir;
  spit(dir.file("trace.csv"), "t,w\n");
  const std::string path = write_config(dir, "qualities = [3, 1, 3]\nmeter = \"replay:trace.csv\"\n", "",
                                        "[[images]]\nfolder = \"photos\"\n", "mine.toml");
  const CampaignConfig c = load_campaign_config(path);
  EXPECT_EQ(c.name, "mine") << "name defaults to the file's stem";
  EXPECT_EQ(subject_names(c, SubjectKind::network).size(), network_specs().size()) << "all six by default";
  EXPECT_EQ(c.sweep.qualities, (std::vector<int>{1, 3}));
  EXPECT_TRUE(fs::equivalent(c.meter.substr(7), dir.file("trace.csv")));
  ASSERT_EQ(c.images.size(), 2u);
  EXPECT_EQ(c.images[0].label, "photos/kodim01.png");
  EXPECT_EQ(c.images[1].label, "photos/kodim02.png");
  const auto plan = plan_campaign(c);
  EXPECT_EQ(plan.size(), network_specs().size() * 2 * 2);
  EXPECT_EQ(plan[1].level, "low");
  EXPECT_EQ(plan[2].subject.quality, 3);
}

TEST(CampaignConfig, BadConfigsNameTheProblem) {
  TempDir dir;
  struct Case {
    std::string campaign, protocol, images, expected;
  };
  const std::string c = kCampaign, p = kProtocol, i = kImages;
  const std::vector<Case> cases = {
      {c + "colour = \"red\"\n", p, i, "colour"},
      {c, p + "windows = 3\n", i, "windows"},
      {c, p, i + "[extra]\nx = 1\n", "extra"},
      {"models = [\"Bfac\", \"Bxyz\"]\n", p, i, "Bxyz"},
      {"levels = [\"medium\"]\n", p, i, "medium"},
      {"qualities = [7]\n", p, i, "quality 7"},  // Cheng networks have 6
      {"levels = [\"low\"]\nqualities = [1]\n", p, i, "not both"},
      {c + "device = \"tpu\"\n", p, i, "tpu"},
      {c + "meter = \"wattmeter\"\n", p, i, "wattmeter"},
      {c + "meter = \"replay:nope.csv\"\n", p, i, "nope.csv"},
      {"idle_refresh_s = 0\n", p, i, "idle_refresh_s must be"},
      {c, p, std::string(kImages) + "size = 3\n", "unknown key 'size' in [[images]]"},
      {c, p, "[[images]]\nsizes = [\"64by48\"]\nfrom = \"photos\"\n", "64by48"},
      {c, p, "[[images]]\nsizes = [\"64x48\"]\nfrom = \"nowhere\"\n", "nowhere"},
      {c, p, "[[images]]\nsizes = [\"64x48\"]\nfrom = \"photos\"\nmethod = \"warp\"\n", "warp"},
      {c, p, "[[images]]\nsizes = [\"64x48\"]\n", "from"},
      {c, p, "[[images]]\nfiles = [\"photos/missing.png\"]\n", "missing.png"},
      {c, p, "[[images]]\nfolder = \"empty_folder_that_is_not_there\"\n", "empty_folder_that_is_not_there"},
      {c, p, "[[images]]\nfiles = [\"photos/kodim01.png\"]\nfolder = \"photos\"\n", "exactly one"},
      {c, p, "", "[[images]]"},
      {c, "k_min = 5\nk_max = 4\n", i, "k_min"},
      {c, "window_s = 0\n", i, "window_s"},
      {c, "window_s = -1.5\n", i, "window_s"},
      {c, "k_min = 1\n", i, "k_min"},
      {c, "confidence = 95\n", i, "confidence"},
      {c, "ci_target = 0\n", i, "ci_target"},
      {c, "idle_s = -1\n", i, "idle_s"},
      {c, "k_max = 2.5\n", i, "k_max"},
      {c, "window_s = \"fast\"\n", i, "window_s"},
      {"models = 3\n", p, i, "models must be a list"},
      {c + "name = \"again\"\n", p, i, "TOML"},  // a duplicate key
      {"name = \"unterminated\n", p, i, "TOML"},
  };
  for (const auto& k : cases) {
    const std::string path = write_config(dir, k.campaign, k.protocol, k.images);
    const std::string message = load_error(path);
    EXPECT_NE(message.find(k.expected), std::string::npos)
        << "expected '" << k.expected << "' in: " << message << "\nconfig:\n" << slurp(path);
    EXPECT_NE(message.find(path), std::string::npos) << "names the file: " << message;
    if (std::getenv("NICENERGY_SHOW_ERRORS")) std::cerr << message << "\n";
  }
  EXPECT_NE(load_error(dir.file("absent.toml")).find("absent.toml"), std::string::npos);
}

TEST(CampaignConfig, UnknownKeyErrorGivesTheLine) {
  TempDir dir;
  const std::string path = write_config(dir, std::string(kCampaign) + "colour = \"red\"\n");
  const std::string message = load_error(path);
  EXPECT_NE(message.find("line 6"), std::string::npos) << message;  // [campaign] + 4 lines + colour
}

TEST(CampaignConfig, ShippedConfigsLoad) {
  const CampaignConfig d = load_campaign_config("configs/default.toml");
  EXPECT_EQ(d.device, "cpu");
  EXPECT_EQ(d.meter, "auto");
  // The main job draws Fig. 3: the alpha-versus-kMAC fit needs three network-levels,
  // and each energy fit three sizes.
  ASSERT_GE(subject_names(d, SubjectKind::network).size() * (d.sweep.qualities.empty() ? d.sweep.levels.size() : d.sweep.qualities.size()), 3u);
  EXPECT_GE(d.images.size(), 3u);
  const auto plan = plan_campaign(d);
  EXPECT_LE(plan.size(), 16u);
  for (const auto& point : plan) EXPECT_LE(int64_t(point.image.width) * point.image.height, 640 * 480);
  EXPECT_LT(estimate_duration_s(d, plan.size()), 180) << "the small default campaign stays small";

  const CampaignConfig e = load_campaign_config("configs/example.toml");
  EXPECT_EQ(subject_names(e, SubjectKind::network).size(), network_specs().size());
  EXPECT_EQ(e.sweep.levels, (std::vector<std::string>{"low", "high"}));
  EXPECT_EQ(e.device, "cuda");
  EXPECT_GE(e.protocol.idle_s, 60);
  EXPECT_GT(estimate_duration_s(e, plan_campaign(e).size()), 1800) << "a real campaign takes an hour or more";
}

// The shipped comparison with the classic codecs: every codec built here at
// six settings and the trained Bfac q1, whose weights the config finds.
TEST(CampaignConfig, ShippedLegacyConfigLoads) {
  const CampaignConfig l = load_campaign_config("configs/legacy.toml");
  EXPECT_EQ(l.device, "cpu");
  ASSERT_EQ(l.weights.size(), 1u);
  EXPECT_EQ(l.weights[0].model, "bmshj2018_factorized");
  EXPECT_TRUE(std::filesystem::exists(l.weights[0].file)) << l.weights[0].file;
  size_t built = 0;
  for (const auto& codec : legacy_codecs()) built += codec.available;
  EXPECT_EQ(subject_names(l, SubjectKind::classic).size(), built);
  EXPECT_EQ(l.notes.size(), legacy_codecs().size() - built) << "each codec left out is said once";
  const auto plan = plan_campaign(l);
  EXPECT_EQ(plan.size(), (built * 6 + 1) * l.images.size());
  size_t with_weights = 0;
  for (const auto& point : plan) with_weights += !point.subject.weights.empty();
  EXPECT_EQ(with_weights, l.images.size());
}

// ---- plan and shards ---------------------------------------------------------

TEST(CampaignPlan, OrderAndSize) {
  TempDir dir;
  const CampaignConfig c = load_campaign_config(write_config(dir));
  const auto plan = plan_campaign(c);
  size_t expected = 0;
  for (const auto& s : c.subjects) expected += subject_qualities(s, c.sweep).size() * c.images.size();
  ASSERT_EQ(plan.size(), expected);
  ASSERT_EQ(plan.size(), 3u * 2 * 4);
  std::set<MeasurementKey> unique;
  for (size_t i = 0; i < plan.size(); ++i) {
    EXPECT_EQ(plan[i].index, i);
    unique.insert(point_key(plan[i]));
    EXPECT_EQ(plan[i].level, quality_config(find_network(plan[i].subject.name), plan[i].subject.quality).level);
    if (i) {
      // The plan follows the order merged rows are sorted in.
      EXPECT_TRUE(record_before(fake_record(plan[i - 1], 0), fake_record(plan[i], 0))) << i;
    }
  }
  EXPECT_EQ(unique.size(), plan.size());
  EXPECT_EQ(plan.front().subject.abbr, "Bfac");
  EXPECT_EQ(plan.back().subject.abbr, "Cattn");
  EXPECT_EQ(plan.back().subject.quality, 4);
  EXPECT_NE(plan.front().label().find("Bfac q1"), std::string::npos);
}

TEST(CampaignPlan, ParseShard) {
  EXPECT_EQ(parse_shard("2/4").index, 2);
  EXPECT_EQ(parse_shard(" 3 / 3 ").count, 3);
  for (const char* bad : {"0/4", "5/4", "1/0", "2", "a/b", "1/2/3", "-1/2", ""}) {
    try {
      parse_shard(bad);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("shard"), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(shard_output_path("results/x.csv", {2, 4}), "results/x.shard2of4.csv");
  EXPECT_EQ(shard_output_path("results/x.csv", {1, 1}), "results/x.csv");
}

TEST(CampaignPlan, ShardsCoverEveryPointOnce) {
  TempDir dir;
  const auto plan = plan_campaign(load_campaign_config(write_config(dir)));
  for (int n = 1; n <= 7; ++n) {
    std::map<size_t, int> seen;
    for (int i = 1; i <= n; ++i) {
      const auto shard = shard_points(plan, {i, n});
      for (const auto& p : shard) {
        ++seen[p.index];
        EXPECT_EQ(p.index % n, static_cast<size_t>(i - 1));
      }
    }
    ASSERT_EQ(seen.size(), plan.size()) << "n = " << n;
    for (const auto& [index, count] : seen) EXPECT_EQ(count, 1) << "point " << index << ", n = " << n;
  }
}

// ---- running -----------------------------------------------------------------

TEST(CampaignRun, MeasuresEveryPointInPlanOrder) {
  TempDir dir;
  const CampaignConfig c = load_campaign_config(write_config(dir));
  Fake fake;
  Quiet q;
  const CampaignSummary s = run_campaign(c, q.options(), fake.callbacks());
  const auto plan = plan_campaign(c);
  EXPECT_EQ(s.planned, plan.size());
  EXPECT_EQ(s.measured, plan.size());
  EXPECT_EQ(s.skipped + s.failed, 0u);
  EXPECT_EQ(s.output, dir.file("out.csv"));
  EXPECT_EQ(fake.idle_calls, 1);
  const auto rows = read_results(s.output);
  EXPECT_EQ(keys_of(rows), keys_of(plan));
  EXPECT_TRUE(q.out.str().empty()) << "nothing for stdout outside a dry run";
  EXPECT_NE(q.log.str().find(std::to_string(plan.size()) + " measured"), std::string::npos) << q.log.str();

  // A second run finds everything done and measures nothing.
  Fake again;
  const CampaignSummary s2 = run_campaign(c, q.options(), again.callbacks());
  EXPECT_EQ(s2.skipped, plan.size());
  EXPECT_EQ(s2.measured, 0u);
  EXPECT_TRUE(again.measured.empty());
  EXPECT_EQ(again.idle_calls, 0) << "no idle measurement when nothing is left";
}

TEST(CampaignRun, ResumesAfterAKill) {
  TempDir dir;
  const CampaignConfig c = load_campaign_config(write_config(dir));
  const auto plan = plan_campaign(c);
  Fake first;
  first.before = [&](const CampaignPoint&) {
    if (first.measured.size() == 3) throw Killed{};
  };
  Quiet q;
  EXPECT_THROW(run_campaign(c, q.options(), first.callbacks()), Killed);
  const std::string after_kill = slurp(c.output);
  ASSERT_EQ(read_results(c.output).size(), 3u);

  Fake second;
  const CampaignSummary s = run_campaign(c, q.options(), second.callbacks());
  EXPECT_EQ(s.skipped, 3u);
  EXPECT_EQ(s.measured, plan.size() - 3);
  EXPECT_EQ(second.measured.front(), 3u) << "continues with the first point not done";
  const std::string final_text = slurp(c.output);
  EXPECT_EQ(final_text.substr(0, after_kill.size()), after_kill) << "finished rows are untouched";
  EXPECT_EQ(keys_of(read_results(c.output)), keys_of(plan)) << "every point once, in plan order";
  EXPECT_NE(q.log.str().find("resuming"), std::string::npos);
}

TEST(CampaignRun, RepairsATornRowAndRemeasuresIt) {
  TempDir dir;
  const CampaignConfig c = load_campaign_config(write_config(dir));
  const auto plan = plan_campaign(c);
  Fake first;
  first.before = [&](const CampaignPoint&) {
    if (first.measured.size() == 5) throw Killed{};
  };
  Quiet q;
  EXPECT_THROW(run_campaign(c, q.options(), first.callbacks()), Killed);
  const std::string complete = slurp(c.output);
  // A kill in the middle of writing the sixth row.
  const std::string sixth = format_record_row(fake_record(plan[5], 51));
  spit(c.output, complete + sixth.substr(0, sixth.size() / 2));

  Fake second;
  const CampaignSummary s = run_campaign(c, q.options(), second.callbacks());
  EXPECT_EQ(s.repaired_bytes, sixth.size() / 2);
  EXPECT_EQ(s.skipped, 5u);
  EXPECT_EQ(second.measured.front(), 5u);
  const std::string final_text = slurp(c.output);
  EXPECT_EQ(final_text.substr(0, complete.size()), complete);
  EXPECT_EQ(keys_of(read_results(c.output)), keys_of(plan));
}

TEST(CampaignRun, FailedPointsAreRecordedAndRetriedLater) {
  TempDir dir;
  const CampaignConfig c = load_campaign_config(write_config(dir));
  const auto plan = plan_campaign(c);
  Fake fake;
  fake.before = [&](const CampaignPoint& p) {
    if (p.index == 7) throw std::runtime_error("meter lost at point seven");
  };
  auto callbacks = fake.callbacks();
  const auto inner = callbacks.measure_point;
  callbacks.measure_point = [&](const CampaignPoint& p, double idle_w) {
    MeasurementRecord r = inner(p, idle_w);
    if (p.index == 9) r.width += 1;  // a measurer that mislabels its row
    return r;
  };
  Quiet q;
  const CampaignSummary s = run_campaign(c, q.options(), callbacks);
  EXPECT_EQ(s.failed, 2u);
  EXPECT_EQ(s.measured, plan.size() - 2);
  const std::string errors = slurp(c.output + ".errors");
  EXPECT_NE(errors.find("meter lost at point seven"), std::string::npos) << errors;
  EXPECT_NE(errors.find(point_key(plan[7]).text()), std::string::npos) << errors;
  EXPECT_NE(errors.find(point_key(plan[9]).text()), std::string::npos) << errors;
  EXPECT_NE(q.log.str().find("meter lost at point seven"), std::string::npos) << q.log.str();

  Fake retry;
  const CampaignSummary s2 = run_campaign(c, q.options(), retry.callbacks());
  EXPECT_EQ(retry.measured, (std::vector<size_t>{7, 9}));
  EXPECT_EQ(s2.failed, 0u);
  std::set<MeasurementKey> got;
  for (const auto& k : keys_of(read_results(c.output))) EXPECT_TRUE(got.insert(k).second) << k.text();
  EXPECT_EQ(got.size(), plan.size());
}

TEST(CampaignRun, IdleReferenceIsRefreshed) {
  TempDir dir;
  // idle_refresh_s = 100; each point takes 30 s of (fake) campaign time.
  const CampaignConfig c = load_campaign_config(write_config(dir));
  double now = 0;
  Fake fake;
  fake.before = [&](const CampaignPoint&) { now += 30; };
  std::vector<double> idle_seen;
  auto callbacks = fake.callbacks();
  const auto inner = callbacks.measure_point;
  callbacks.measure_point = [&](const CampaignPoint& p, double idle_w) {
    idle_seen.push_back(idle_w);
    return inner(p, idle_w);
  };
  Quiet q;
  CampaignOptions o = q.options();
  o.clock_s = [&] { return now; };
  run_campaign(c, o, callbacks);
  // Points start at 0, 30, 60, ...: idle at 0, then at 120 (>= 100 after 0), 240, ...
  const size_t n = plan_campaign(c).size();
  ASSERT_EQ(idle_seen.size(), n);
  int expected_calls = 0;
  double last = -1e9;
  for (size_t i = 0; i < n; ++i) {
    const double start = 30.0 * i;
    if (start - last >= 100) {
      ++expected_calls;
      last = start;
    }
    EXPECT_EQ(idle_seen[i], 50.0 + expected_calls) << "point " << i << " uses the latest idle reference";
  }
  EXPECT_EQ(fake.idle_calls, expected_calls);
  EXPECT_GT(fake.idle_calls, 1);
}

TEST(CampaignRun, MergedShardsEqualOneRun) {
  TempDir dir;
  const CampaignConfig c = load_campaign_config(write_config(dir));
  Quiet q;
  Fake whole;
  run_campaign(c, q.options(), whole.callbacks());

  std::vector<std::string> shards;
  for (int i = 1; i <= 3; ++i) {
    CampaignOptions o = q.options({i, 3});
    Fake f;
    const CampaignSummary s = run_campaign(c, o, f.callbacks());
    EXPECT_EQ(s.output, shard_output_path(c.output, {i, 3}));
    EXPECT_NE(s.output, c.output);
    shards.push_back(s.output);
  }
  const MergeSummary m = merge_results(shards, dir.file("merged.csv"));
  EXPECT_EQ(m.duplicates, 0u);
  const auto merged = read_results(dir.file("merged.csv"));
  const auto one = read_results(c.output);
  EXPECT_EQ(keys_of(merged), keys_of(one));
  for (size_t i = 0; i < merged.size() && i < one.size(); ++i) EXPECT_EQ(merged[i].energy_j, one[i].energy_j);
}

TEST(CampaignRun, DryRunPlansAndChangesNothing) {
  TempDir dir;
  const CampaignConfig c = load_campaign_config(write_config(dir));
  const size_t n = plan_campaign(c).size();
  Fake first;
  first.before = [&](const CampaignPoint&) {
    if (first.measured.size() == 4) throw Killed{};
  };
  Quiet q;
  EXPECT_THROW(run_campaign(c, q.options(), first.callbacks()), Killed);
  spit(c.output, slurp(c.output) + "bmshj2018_fac");  // a torn row a dry run must leave alone
  const std::string before = slurp(c.output);

  Quiet dry;
  CampaignOptions o = dry.options();
  o.dry_run = true;
  Fake none;
  const CampaignSummary s = run_campaign(c, o, none.callbacks());
  EXPECT_TRUE(none.measured.empty());
  EXPECT_EQ(none.idle_calls, 0);
  EXPECT_EQ(s.skipped, 4u);
  EXPECT_EQ(slurp(c.output), before);
  const std::string text = dry.out.str();
  EXPECT_TRUE(dry.log.str().empty()) << dry.log.str();
  EXPECT_NE(text.find("4 of " + std::to_string(n) + " points already done"), std::string::npos) << text;
  size_t done_marks = 0;
  for (size_t at = text.find("[done]"); at != std::string::npos; at = text.find("[done]", at + 1)) ++done_marks;
  EXPECT_EQ(done_marks, 4u);
  EXPECT_NE(text.find("lower bound"), std::string::npos) << "k_max > k_min: " << text;
  EXPECT_NE(text.find(format_duration(estimate_duration_s(c, n - 4))), std::string::npos) << text;
  for (const auto& p : plan_campaign(c)) EXPECT_NE(text.find(p.image.label), std::string::npos);
}

TEST(CampaignRun, EstimateGrowsWithPointsAndWindows) {
  TempDir dir;
  CampaignConfig c = load_campaign_config(write_config(dir));
  EXPECT_EQ(estimate_duration_s(c, 0), 0);
  const double ten = estimate_duration_s(c, 10), twenty = estimate_duration_s(c, 20);
  // idle 2 s + preheat (paper default) + per point (1 + k_min) windows of 0.5 s.
  EXPECT_NEAR(twenty - ten, 10 * 0.5 * (1 + 3), 2.0 + 1e-9);
  c.protocol.k_min = 6;
  EXPECT_GT(estimate_duration_s(c, 10), ten);
}

TEST(CampaignRun, NoResumeRefusesAFileWithRows) {
  TempDir dir;
  const CampaignConfig c = load_campaign_config(write_config(dir));
  Quiet q;
  CampaignOptions o = q.options();
  o.resume = false;
  Fake f;
  f.before = [&](const CampaignPoint&) {
    if (f.measured.size() == 2) throw Killed{};
  };
  EXPECT_THROW(run_campaign(c, o, f.callbacks()), Killed) << "a fresh file is fine";
  try {
    Fake g;
    run_campaign(c, o, g.callbacks());
    ADD_FAILURE() << "resume = false ran over existing rows";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(c.output), std::string::npos) << e.what();
  }
}

TEST(CampaignRun, WritesNothingToStdoutOrStderrWhenGivenStreams) {
  TempDir dir;
  const CampaignConfig c = load_campaign_config(write_config(dir));
  Quiet q;
  Fake f;
  f.before = [&](const CampaignPoint& p) {
    if (p.index == 2) throw std::runtime_error("boom");
  };
  testing::internal::CaptureStdout();
  testing::internal::CaptureStderr();
  run_campaign(c, q.options(), f.callbacks());
  const std::string out = testing::internal::GetCapturedStdout();
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_TRUE(out.empty()) << out;
  EXPECT_TRUE(err.empty()) << err;
  EXPECT_NE(q.log.str().find("boom"), std::string::npos);
  EXPECT_NE(q.log.str().find(plan_campaign(c)[3].label()), std::string::npos);
}

// ---- hostile outputs and inputs (issue 19) -----------------------------------

// Runs a campaign that must be refused before anything is measured.
static std::string refused_before_measuring(const CampaignConfig& c, CampaignOptions o) {
  Fake fake;
  const std::string message = test_util::error_of([&] { run_campaign(c, o, fake.callbacks()); });
  EXPECT_EQ(fake.idle_calls, 0) << message;
  EXPECT_TRUE(fake.measured.empty()) << message;
  return message;
}

// Defect 9: an output that is a directory had one point measured, then a
// misleading error; defect 10: unwritable outputs are refused up front too.
TEST(CampaignRun, UnusableOutputsAreRefusedBeforeMeasuring) {
  TempDir dir;
  const CampaignConfig c = load_campaign_config(write_config(dir));
  Quiet q;
  CampaignOptions o = q.options();
  o.output = dir.file("results_dir");
  fs::create_directories(o.output);
  EXPECT_NE(refused_before_measuring(c, o).find("is a directory"), std::string::npos);
  // Under a regular file: ENOTDIR, which root cannot override.
  spit(dir.file("plain"), "x");
  o.output = dir.file("plain") + "/sub/out.csv";
  EXPECT_NE(refused_before_measuring(c, o).find("not a folder"), std::string::npos);
  // A device is not a results file (it could not be read back).
  o.output = "/dev/null";
  EXPECT_NE(refused_before_measuring(c, o).find("not a regular file"), std::string::npos);
  // An errors log that is a directory would lose the record of failed points.
  o.output = dir.file("ok.csv");
  fs::create_directories(o.output + ".errors");
  EXPECT_NE(refused_before_measuring(c, o).find("errors log"), std::string::npos);
  EXPECT_FALSE(fs::exists(o.output)) << "nothing written";
}

// Defect 8: the header is checked before any repair, and damage in the middle
// is refused with its line instead of being cut as a "torn last row".
TEST(CampaignRun, ForeignOrDamagedOutputsAreRefusedAndKeptIntact) {
  TempDir dir;
  const CampaignConfig c = load_campaign_config(write_config(dir));
  Quiet q;
  CampaignOptions o = q.options();
  o.output = dir.file("notes.txt");
  spit(o.output, "meeting notes\nthe last line, without a newline");
  EXPECT_NE(refused_before_measuring(c, o).find("not a results CSV"), std::string::npos);
  EXPECT_EQ(slurp(o.output), "meeting notes\nthe last line, without a newline");

  // Ten finished rows, then an unclosed quote in row 2 (line 3) and a torn tail.
  Fake first;
  first.before = [&](const CampaignPoint&) {
    if (first.measured.size() == 10) throw Killed{};
  };
  EXPECT_THROW(run_campaign(c, q.options(), first.callbacks()), Killed);
  std::string text = slurp(c.output);
  const size_t line3 = text.find('\n', text.find('\n') + 1) + 1;
  text.insert(text.find(",", line3) + 1, "\"");
  text += "bmshj2018_factorized,Bfac,1,lo";
  spit(c.output, text);
  const std::string message = refused_before_measuring(c, q.options());
  EXPECT_NE(message.find("line 3"), std::string::npos) << message;
  EXPECT_EQ(slurp(c.output), text) << "no finished row deleted";
  CampaignOptions dry = q.options();
  dry.dry_run = true;
  EXPECT_NE(refused_before_measuring(c, dry).find("line 3"), std::string::npos);
}

// Defect 10: the errors log the summary points to was empty on a full disk,
// because its write failure was ignored; a failed write now ends the run.
TEST(CampaignRun, FullDiskForTheErrorsLogEndsTheRun) {
  if (!fs::exists("/dev/full")) GTEST_SKIP() << "no /dev/full here";
  TempDir dir;
  const CampaignConfig c = load_campaign_config(write_config(dir));
  fs::create_symlink("/dev/full", c.output + ".errors");
  Fake fake;
  fake.before = [&](const CampaignPoint& p) {
    if (p.index == 2) throw std::runtime_error("out of memory at point three");
  };
  Quiet q;
  std::string message = "(no error)";
  try {
    run_campaign(c, q.options(), fake.callbacks());
  } catch (const WriteError& e) {
    message = e.what();
  }
  EXPECT_NE(message.find(".errors"), std::string::npos) << message;
  EXPECT_NE(message.find("No space left"), std::string::npos) << message;
  EXPECT_EQ(fake.measured.size(), 2u) << "no point measured after the failed write";
  EXPECT_EQ(read_results(c.output).size(), 2u) << "the finished rows stay";
}

// Defect 10: a measurer whose output fails (the trace on a full disk) ends the
// run at that point instead of measuring and losing every remaining one.
TEST(CampaignRun, WriteErrorOfAPointEndsTheRun) {
  TempDir dir;
  const CampaignConfig c = load_campaign_config(write_config(dir));
  Fake fake;
  fake.before = [&](const CampaignPoint& p) {
    if (p.index >= 3) throw WriteError("trace 'x.csv': writing failed (No space left on device)");
  };
  Quiet q;
  EXPECT_THROW(run_campaign(c, q.options(), fake.callbacks()), WriteError);
  EXPECT_EQ(fake.measured.size(), 3u);
  EXPECT_FALSE(fs::exists(c.output + ".errors")) << "not logged as a point failure";

  // The results file itself on a full disk (RLIMIT_FSIZE: EFBIG even for root).
  TempDir dir2;
  const CampaignConfig c2 = load_campaign_config(write_config(dir2));
  Fake fake2;
  struct rlimit old_limit {};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old_limit), 0);
  const auto old_handler = ::signal(SIGXFSZ, SIG_IGN);
  fake2.before = [&](const CampaignPoint& p) {
    if (p.index != 2) return;
    struct rlimit limit = old_limit;
    limit.rlim_cur = fs::file_size(c2.output) + 10;
    ::setrlimit(RLIMIT_FSIZE, &limit);
  };
  std::string message = test_util::error_of([&] { run_campaign(c2, q.options(), fake2.callbacks()); });
  ::setrlimit(RLIMIT_FSIZE, &old_limit);
  ::signal(SIGXFSZ, old_handler);
  EXPECT_NE(message.find(c2.output), std::string::npos) << message;
  EXPECT_EQ(fake2.measured.size(), 3u) << "the run stops at the first row it cannot write";
}

// Defect 13: two campaigns on one output appended the same points twice.
TEST(CampaignRun, OneCampaignPerOutput) {
  TempDir dir;
  const CampaignConfig c = load_campaign_config(write_config(dir));
  Quiet q;
  std::string message;
  {
    const OutputLock other(c.output, "results file '" + c.output + "'");  // as another campaign would
    message = refused_before_measuring(c, q.options());
    CampaignOptions dry = q.options();
    dry.dry_run = true;
    Fake none;
    run_campaign(c, dry, none.callbacks());
    EXPECT_NE(q.out.str().find("pid " + std::to_string(::getpid())), std::string::npos) << q.out.str();
  }
  EXPECT_NE(message.find("in use by pid " + std::to_string(::getpid())), std::string::npos) << message;
  char host[256] = "";
  ::gethostname(host, sizeof host - 1);
  EXPECT_NE(message.find(host), std::string::npos) << message;
  Fake after;
  run_campaign(c, q.options(), after.callbacks());
  EXPECT_EQ(after.measured.size(), plan_campaign(c).size()) << "the lock goes with its holder";
}

// Defect 11: a dry run passed settings the run refused. It checks the same now:
// here a replayed trace holding nan, and an output that is a directory.
TEST(CampaignRun, DryRunRefusesWhatTheRunRefuses) {
  TempDir dir;
  spit(dir.file("trace.csv"), "time_s,power_w\n0,50\n0.1,nan\n");
  const CampaignConfig c =
      load_campaign_config(write_config(dir, std::string(kCampaign) + "meter = \"replay:trace.csv\"\n"));
  Quiet q;
  CampaignOptions o = q.options();
  o.dry_run = true;
  const std::string message = refused_before_measuring(c, o);
  EXPECT_NE(message.find("line 3 column power_w"), std::string::npos) << message;
  EXPECT_NE(refused_before_measuring(c, q.options()).find("line 3 column power_w"), std::string::npos);

  spit(dir.file("trace.csv"), "time_s,power_w\n0,50\n0.1,60\n");
  o.output = dir.file("a_dir");
  fs::create_directories(o.output);
  EXPECT_NE(refused_before_measuring(c, o).find("is a directory"), std::string::npos);
}

// Defect 13 and 2: a config that is a directory was said not to exist, and a
// FIFO as config or replay trace hung forever.
TEST(CampaignConfig, DirectoriesAndFifosAreNamedNotOpened) {
  TempDir dir;
  fs::create_directories(dir.file("folder.toml"));
  EXPECT_NE(load_error(dir.file("folder.toml")).find("is a directory"), std::string::npos);
  ASSERT_EQ(::mkfifo(dir.file("fifo.toml").c_str(), 0644), 0);
  EXPECT_NE(load_error(dir.file("fifo.toml")).find("not a regular file"), std::string::npos);
  ASSERT_EQ(::mkfifo(dir.file("fifo.csv").c_str(), 0644), 0);
  const std::string replay = load_error(write_config(dir, std::string(kCampaign) + "meter = \"replay:fifo.csv\"\n"));
  EXPECT_NE(replay.find("not a regular file"), std::string::npos) << replay;
  fs::create_directories(dir.file("photos/dir.png"));
  const std::string image = load_error(write_config(dir, kCampaign, kProtocol, "[[images]]\nfiles = [\"photos/dir.png\"]\n"));
  EXPECT_NE(image.find("is a directory"), std::string::npos) << image;
}

// ---- progress ----------------------------------------------------------------

TEST(Progress, PlainLinesWhenNotATerminal) {
  std::ostringstream s;
  ProgressBar bar(s, false, 10);
  bar.show(1, 4, "Bfac q1 a.png 64x48", 0, -1);
  bar.show(3, 4, "Bhyp q1 b.png 96x64", 125, 65);
  bar.finish("done");
  const std::string text = s.str();
  EXPECT_EQ(text.find('\r'), std::string::npos);
  EXPECT_NE(text.find("1/4 Bfac q1 a.png 64x48"), std::string::npos) << text;
  EXPECT_NE(text.find("ETA ?"), std::string::npos) << text;
  EXPECT_NE(text.find("3/4 Bhyp"), std::string::npos) << text;
  EXPECT_NE(text.find("elapsed " + format_duration(125)), std::string::npos) << text;
  EXPECT_NE(text.find("ETA " + format_duration(65)), std::string::npos) << text;
  EXPECT_NE(text.find("[#####.....]"), std::string::npos) << "2 of 4 finished: " << text;
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 3);
}

TEST(Progress, RedrawsInPlaceOnATerminal) {
  std::ostringstream s;
  ProgressBar bar(s, true, 10);
  bar.show(1, 2, "first", 0, -1);
  bar.show(2, 2, "second", 10, 10);
  EXPECT_EQ(s.str().find('\n'), std::string::npos) << "one line, redrawn";
  EXPECT_NE(s.str().find('\r'), std::string::npos);
  bar.note("error: something");
  const std::string after_note = s.str();
  EXPECT_NE(after_note.find("error: something\n"), std::string::npos);
  const std::string tail = after_note.substr(after_note.find("error: something\n"));
  EXPECT_NE(tail.find("2/2 second"), std::string::npos) << "the bar is drawn again after a note";
  bar.finish("all done");
  EXPECT_EQ(s.str().substr(s.str().size() - 9), "all done\n");
}

TEST(Progress, FormatDuration) {
  EXPECT_EQ(format_duration(42.4), "42 s");
  EXPECT_EQ(format_duration(185), "3 min 05 s");
  EXPECT_EQ(format_duration(3720), "1 h 02 min");
  EXPECT_EQ(format_duration(-1), "?");
}

// ---- stages (issue 13) ------------------------------------------------------

TEST(CampaignStages, EachStageIsAPointOfItsOwnAndResumesAsOne) {
  TempDir dir;
  const std::string campaign =
      "name = \"s\"\nmodels = [\"Bfac\", \"Mcont\"]\nqualities = [1]\n"
      "stages = [\"encode\", \"decode\", \"encode\"]\nhost_meter = \"none\"\n";
  const CampaignConfig c = load_campaign_config(write_config(dir, campaign));
  EXPECT_EQ(c.stages, (std::vector<std::string>{"encode", "decode"})) << "in the order given, each once";
  EXPECT_EQ(c.host_meter, "none");
  const auto plan = plan_campaign(c);
  ASSERT_EQ(plan.size(), 2 * c.images.size() * 2);
  std::set<MeasurementKey> keys;
  for (const auto& p : plan) {
    EXPECT_TRUE(p.subject.stage == "encode" || p.subject.stage == "decode") << p.label();
    EXPECT_NE(p.label().find(" " + p.subject.stage), std::string::npos) << p.label();
    keys.insert(point_key(p));
  }
  EXPECT_EQ(keys.size(), plan.size()) << "the stage is part of the key: two stages of a point are two rows";
  EXPECT_EQ(plan[0].subject.stage, "encode");
  EXPECT_EQ(plan[1].subject.stage, "decode");
  EXPECT_EQ(point_key(plan[0]).network, point_key(plan[1]).network);

  // Killed after three rows: the rows carry their stage, and the resumed run
  // measures exactly the stages not yet there.
  Fake first;
  first.before = [&](const CampaignPoint&) {
    if (first.measured.size() == 3) throw Killed{};
  };
  Quiet q;
  EXPECT_THROW(run_campaign(c, q.options(), first.callbacks()), Killed);
  const auto partial = read_results(c.output);
  ASSERT_EQ(partial.size(), 3u);
  EXPECT_EQ(partial[0].stage, "encode");
  EXPECT_EQ(partial[1].stage, "decode");
  Fake second;
  const CampaignSummary s = run_campaign(c, q.options(), second.callbacks());
  EXPECT_EQ(s.skipped, 3u);
  EXPECT_EQ(s.measured, plan.size() - 3);
  EXPECT_EQ(keys_of(read_results(c.output)), keys_of(plan)) << "every stage of every point once, in plan order";

  // The dry run names each point's stage.
  Quiet dry;
  CampaignOptions o = dry.options();
  o.dry_run = true;
  run_campaign(c, o, Fake{}.callbacks());
  EXPECT_NE(dry.out.str().find("  encode  [done]"), std::string::npos) << dry.out.str();
}

// ---- energy modes (issue 14) -------------------------------------------------

TEST(CampaignModes, EachModeOfTheChainIsAPointAndResumesAsOne) {
  TempDir dir;
  const std::string campaign =
      "name = \"m\"\nmodels = [\"Bfac\"]\nqualities = [1]\nstages = [\"chain\", \"encode\"]\n"
      "modes = [\"subpixel+channels_last\", \"float32\", \"channels_last+subpixel\"]\n";
  const CampaignConfig c = load_campaign_config(write_config(dir, campaign));
  EXPECT_EQ(c.modes, (std::vector<std::string>{"channels_last+subpixel", "float32"}))
      << "one spelling per mode, in the order given, each once";
  const auto plan = plan_campaign(c);
  // Per image: the chain in two modes, encode in float32 only.
  ASSERT_EQ(plan.size(), 3 * c.images.size());
  std::set<MeasurementKey> keys;
  for (const auto& p : plan) {
    if (p.subject.stage != "chain") EXPECT_EQ(p.subject.mode, "float32") << p.label();
    if (p.subject.mode != "float32") EXPECT_NE(p.label().find(" " + p.subject.mode), std::string::npos) << p.label();
    keys.insert(point_key(p));
  }
  EXPECT_EQ(keys.size(), plan.size()) << "the mode is part of the key";
  Fake first;
  first.before = [&](const CampaignPoint&) {
    if (first.measured.size() == 2) throw Killed{};
  };
  Quiet q;
  EXPECT_THROW(run_campaign(c, q.options(), first.callbacks()), Killed);
  const auto partial = read_results(c.output);
  ASSERT_EQ(partial.size(), 2u);
  EXPECT_EQ(partial[0].mode, "channels_last+subpixel");
  EXPECT_EQ(partial[1].mode, "float32");
  Fake second;
  const CampaignSummary s = run_campaign(c, q.options(), second.callbacks());
  EXPECT_EQ(s.skipped, 2u);
  EXPECT_EQ(keys_of(read_results(c.output)), keys_of(plan));
}

TEST(CampaignModes, DefaultIsFloat32AndBadModesNameTheConfig) {
  TempDir dir;
  const CampaignConfig c = load_campaign_config(write_config(dir));
  EXPECT_EQ(c.modes, std::vector<std::string>{"float32"});
  for (const auto& p : plan_campaign(c)) EXPECT_EQ(p.subject.mode, "float32");
  const std::string base = "name = \"s\"\nmodels = [\"Bfac\"]\nqualities = [1]\n";
  std::string message = load_error(write_config(dir, base + "modes = [\"turbo\"]\n", kProtocol, kImages, "m1.toml"));
  EXPECT_NE(message.find("m1.toml"), std::string::npos) << message;
  EXPECT_NE(message.find("unknown flag 'turbo'"), std::string::npos) << message;
  message = load_error(write_config(dir, base + "modes = [\"tf32\"]\n", kProtocol, kImages, "m2.toml"));
  EXPECT_NE(message.find("CUDA"), std::string::npos) << message;
  EXPECT_NE(load_error(write_config(dir, base + "modes = []\n", kProtocol, kImages, "m3.toml")).find("modes is an empty list"),
            std::string::npos);
  message = load_error(write_config(dir, base + "stages = [\"encode\"]\nmodes = [\"subpixel\"]\n", kProtocol, kImages, "m4.toml"));
  EXPECT_NE(message.find("add \"chain\" to stages"), std::string::npos) << message;
}

TEST(CampaignStages, DefaultIsTheChainAndBadStagesNameTheConfig) {
  TempDir dir;
  const CampaignConfig c = load_campaign_config(write_config(dir));
  EXPECT_EQ(c.stages, std::vector<std::string>{"chain"});
  EXPECT_EQ(c.host_meter, "auto");
  for (const auto& p : plan_campaign(c)) EXPECT_EQ(p.subject.stage, "chain");

  const std::string base = "name = \"s\"\nmodels = [\"Bfac\"]\nqualities = [1]\n";
  const std::string bad_stage = write_config(dir, base + "stages = [\"encode\", \"squash\"]\n", kProtocol, kImages, "b1.toml");
  const std::string message = load_error(bad_stage);
  EXPECT_NE(message.find("b1.toml"), std::string::npos) << message;
  EXPECT_NE(message.find("unknown stage 'squash'"), std::string::npos) << message;
  EXPECT_NE(load_error(write_config(dir, base + "stages = []\n", kProtocol, kImages, "b2.toml")).find("stages is an empty list"),
            std::string::npos);
  EXPECT_NE(load_error(write_config(dir, base + "host_meter = \"nvml\"\n", kProtocol, kImages, "b3.toml"))
                .find("host_meter 'nvml' is unknown"),
            std::string::npos);
}
