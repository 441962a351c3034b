// The energy commands end to end: meters, measure, campaign (resume, kill,
// shards, merge), fit, predict and report, on the CPU with the estimate meter
// and on replayed power traces, so they run on any machine.
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "test_util.h"
#include "models/zoo.h"
#include "protocol/record.h"
#include "protocol/results_csv.h"

extern char** environ;

namespace fs = std::filesystem;

static fs::path scratch(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("nicenergy_energy_" + std::to_string(::getpid())) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// Short windows: enough for the machinery, not for precision.
static const char* kQuick = " --idle-s 0.3 --window-s 0.1 --k-min 2 --k-max 3 --preheat-max-s 0";

TEST(CliMeters, ListsEveryBackendWithItsState) {
  Result r = run_cli("meters --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  std::set<std::string> names;
  for (const auto& m : j) {
    names.insert(m["name"].get<std::string>());
    EXPECT_FALSE(m["detail"].get<std::string>().empty()) << m.dump();
    if (m["name"] == "estimate") EXPECT_TRUE(m["available"].get<bool>());
  }
  EXPECT_EQ(names, (std::set<std::string>{"nvml", "rapl", "estimate", "replay", "external"}));
}

TEST(CliMeasure, EstimateGivesARecordWithTheCsvColumns) {
  Result r = run_cli("measure --model Bfac --quality 1 --size 72x40 --meter estimate --json" + std::string(kQuick));
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  for (const auto& column : nicenergy::measurement_columns()) EXPECT_TRUE(j.contains(column)) << column;
  EXPECT_EQ(j["abbr"], "Bfac");
  EXPECT_EQ(j["pixels"], 72 * 40);
  EXPECT_EQ(j["padded_width"], 80);  // Bfac pads to multiples of 16
  EXPECT_EQ(j["padded_height"], 48);
  EXPECT_EQ(j["meter"], "estimate");
  EXPECT_EQ(j["method"], "estimate");
  EXPECT_TRUE(j["estimate"].get<bool>());
  EXPECT_GT(j["energy_j"].get<double>(), 0);
  const int k = j["k"];
  EXPECT_GE(k, 2);
  EXPECT_LE(k, 3);
  EXPECT_EQ(j["window_lengths_s"].size(), static_cast<size_t>(k));
  for (const auto& length : j["window_lengths_s"]) EXPECT_GE(length.get<double>(), 0.1 * 0.99);
  EXPECT_NE(r.err.find("ESTIMATE"), std::string::npos) << "the estimate must be labelled";
}

TEST(CliMeasure, ConstantReplayedPowerHasNoDynamicEnergy) {
  // A flat 50 W trace: idle and load draw the same, so Eq. (1) must give ~0 J,
  // whatever the network does; the trace file comes back with windows marked.
  const fs::path dir = scratch("replay");
  {
    std::ofstream trace(dir / "flat.csv");
    trace << "time_s,power_w\n0,50\n1,50\n2,50\n";
  }
  const std::string trace_out = (dir / "trace.csv").string();
  Result r = run_cli("measure --model Bhyp --quality 1 --size 64x64 --meter replay:" + (dir / "flat.csv").string() +
                     " --sample-hz 100 --json --trace-output " + trace_out + kQuick);
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["meter"], "replay");
  EXPECT_NEAR(j["idle_power_w"].get<double>(), 50, 1e-6);
  EXPECT_NEAR(j["mean_power_w"].get<double>(), 50, 1e-6);
  EXPECT_NEAR(j["energy_j"].get<double>(), 0, 1e-6);
  std::ifstream in(trace_out);
  std::string header, line;
  std::getline(in, header);
  EXPECT_EQ(header, "time_s,power_w,window");
  bool in_window = false;
  while (std::getline(in, line)) in_window |= line.substr(line.rfind(',') + 1) != "-1";
  EXPECT_TRUE(in_window);
}

TEST(CliMeasure, DynamicEnergyNotAboveZeroIsFlagged) {
  // Power falling 50 W a second, whatever runs: every window draws less than
  // the idle reference before it, so Eq. (1) is negative. measure and exec
  // must say so in the printed line and in the record's warnings.
  const fs::path dir = scratch("falling");
  {
    std::ofstream trace(dir / "falling.csv");
    trace << "time_s,power_w\n0,2000\n40,0\n";
  }
  const std::string meter = " --meter replay:" + (dir / "falling.csv").string() + kQuick;
  Result text = run_cli("measure --model Bfac --quality 1 --size 64x64" + meter);
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_NE(text.out.find("NOT RESOLVED: the interval reaches zero or below"), std::string::npos) << text.out;
  EXPECT_NE(text.err.find("warning: dynamic energy -"), std::string::npos) << text.err;
  Result json = run_cli("measure --model Bfac --quality 1 --size 64x64 --json" + meter);
  ASSERT_EQ(json.code, 0) << json.err;
  const auto j = nlohmann::json::parse(json.out);
  EXPECT_LT(j["energy_j"].get<double>(), 0) << json.out;
  EXPECT_NE(j["warnings"].get<std::string>().find("reaches zero or below"), std::string::npos) << json.out;
  Result exec = run_cli("exec" + meter + " -- true");
  ASSERT_EQ(exec.code, 0) << exec.err;
  EXPECT_NE(exec.out.find("per run (95 % CI"), std::string::npos) << exec.out;
  EXPECT_NE(exec.out.find("NOT RESOLVED"), std::string::npos) << exec.out;
}

TEST(CliMeasure, IdleReferenceTheMeterCannotResolveIsRefused) {
  // --idle-s 0 is inside the setting's bounds but below two of the estimate's
  // 10 Hz readings: one line with the minimum, before any idle reference.
  const std::string m = "measure --model Bfac --quality 1 --size 64x64 --meter estimate --window-s 0.1 --k-min 2 "
                        "--k-max 2 --preheat-max-s 0";
  expect_one_line_error(m + " --idle-s 0", "idle_s = 0 s is too short for meter estimate: an idle reference needs at "
                                           "least 0.2 s (2 readings; a sample every 0.1 s at sample_hz 10); set "
                                           "--idle-s 0.2 or more");
  expect_one_line_error(m + " --idle-s 0.1 --sample-hz 5", "at least 0.4 s");
  expect_one_line_error(m + " --idle-s 0.3 --hot-idle-s 0.05", "hot_idle_s = 0.05 s is too short");
}

TEST(CliMeasure, PhasesAreAnnouncedWithTheirLengths) {
  // stderr is a file here, not a terminal: one line per phase, with its length.
  Result r = run_cli("measure --model Bfac --quality 1 --size 64x64 --meter estimate --json --idle-s 0.3 "
                     "--preheat-max-s 0.5 --preheat-no-sensor-s 0.4 --lag-probe-s 0 --hot-idle-s 0.2 --window-s 0.1 "
                     "--k-min 2 --k-max 2");
  ASSERT_EQ(r.code, 0) << r.err;
  for (const std::string line : {"idle reference: 0.3 s with nothing else running (--idle-s)\n",
                                 "preheat: up to 0.5 s (ends at 80 C or when stable; 0.4 s without a temperature "
                                 "sensor)",
                                 "hot idle reference: 0.2 s (--hot-idle-s)\n", "windows: 2 of at least 0.1 s"}) {
    const size_t at = r.err.find(line);
    EXPECT_NE(at, std::string::npos) << line << "\n" << r.err;
    EXPECT_EQ(r.err.find(line, at + 1), std::string::npos) << "once: " << line << "\n" << r.err;
  }
  EXPECT_EQ(r.err.find('\r'), std::string::npos) << "no redrawing in a log";
  Result help = run_cli("measure --help");
  ASSERT_EQ(help.code, 0) << help.err;
  EXPECT_NE(help.out.find("the protocol takes about 3 min 49 s without a temperature sensor, up to 15 min 04 s"),
            std::string::npos) << help.out;
  EXPECT_NE(help.out.find("--idle-s 10 --preheat-max-s 0"), std::string::npos) << help.out;
}

TEST(CliMeasure, EstimateMeterHasNoCounterAgainstSamplesWarning) {
  // The estimate's power samples are derived from its own counter: the two
  // are one reading, and 10-14 % "disagreements" on short windows meant nothing.
  Result r = run_cli("measure --model Bfac --quality 1 --size 64x64 --meter estimate --json" + std::string(kQuick));
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["warnings"].get<std::string>().find("disagree"), std::string::npos) << j["warnings"];
  EXPECT_EQ(r.err.find("disagree"), std::string::npos) << r.err;
}

TEST(CliMeasure, BadOptionsGiveOneLineErrors) {
  const std::string q = kQuick;
  expect_one_line_error("measure --model Bfac --quality 1 --meter estimate" + q, "--input IMAGE or --size");
  expect_one_line_error("measure --model Bfac --quality 1 --size 64x64 --input data/images/kodim01.png --meter estimate" + q,
                        "--input IMAGE or --size");
  expect_one_line_error("measure --model Bfac --quality 1 --size 64x0 --meter estimate" + q, "64x0");
  expect_one_line_error("measure --model Bfac --quality 1 --size 64x64 --meter estimate --idle-s 0.3 --k-min 5 --k-max 2",
                        "k_max");
  expect_one_line_error("measure --model Bfac --quality 1 --size 64x64 --meter estimate --confidence 1.5" + q, "confidence");
  expect_one_line_error("measure --model Bfac --quality 1 --size 64x64 --meter watts" + q, "unknown meter");
  expect_one_line_error("measure --model Bfac --quality 1 --size 64x64 --meter replay:/no/such.csv" + q, "/no/such.csv");
  expect_one_line_error("measure --model Zfac --quality 1 --size 64x64 --meter estimate" + q, "unknown model");
  expect_one_line_error("measure --model Cattn --quality 7 --size 64x64 --meter estimate" + q, "quality 7");
}


// A campaign of networks x 3 sizes with the estimate meter, written beside `dir`.
static std::string write_config(const fs::path& dir, const std::string& networks = "\"Bfac\", \"Bhyp\"") {
  const std::string config = (dir / "quick.toml").string();
  std::ofstream out(config);
  out << "[campaign]\nname = \"quick\"\noutput = \"" << (dir / "quick.csv").string() << "\"\n"
      << "device = \"cpu\"\nmeter = \"estimate\"\nmodels = [" << networks << "]\nlevels = [\"low\"]\n"
      << "[protocol]\nidle_s = 0.3\nwindow_s = 0.1\nk_min = 2\nk_max = 3\npreheat_max_s = 0\n"
      << "[[images]]\nsizes = [\"64x64\", \"96x64\", \"128x96\"]\nfrom = \"" << fs::absolute("data/images").string()
      << "\"\nmethod = \"mosaic\"\n";
  return config;
}

static std::vector<std::string> keys_of(const std::string& csv) {
  std::vector<std::string> keys;
  for (const auto& r : nicenergy::read_results(csv)) keys.push_back(nicenergy::measurement_key(r).text());
  return keys;
}

TEST(CliCampaign, RunsResumesFitsPredictsAndReports) {
  const fs::path dir = scratch("campaign");
  // Three networks: the alpha-versus-kMAC model needs at least three points.
  const std::string config = write_config(dir, "\"Bfac\", \"Bhyp\", \"Mmean\"");
  const std::string csv = (dir / "quick.csv").string();

  Result plan = run_cli("campaign " + config + " --dry-run");
  ASSERT_EQ(plan.code, 0) << plan.err;
  EXPECT_FALSE(fs::exists(csv)) << "a dry run measures nothing";
  EXPECT_NE(plan.out.find("128x96"), std::string::npos) << plan.out;

  Result first = run_cli("campaign " + config);
  ASSERT_EQ(first.code, 0) << first.err;
  auto keys = keys_of(csv);
  ASSERT_EQ(keys.size(), 9u);
  for (const auto& r : nicenergy::read_results(csv)) {
    EXPECT_EQ(r.method, "estimate");
    EXPECT_GT(r.energy_j, 0);
    const int multiple = nicenergy::find_network(r.abbr).padding;  // 16 for Bfac, 128 for the others
    EXPECT_EQ(r.padded_width % multiple, 0);
    EXPECT_EQ(r.padded_height % multiple, 0);
  }

  Result again = run_cli("campaign " + config);
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_NE(again.err.find("0 measured, 9 already done"), std::string::npos) << again.err;
  EXPECT_EQ(keys_of(csv), keys);

  const std::string fit_json = (dir / "fit.json").string();
  Result fit = run_cli("fit " + csv + " --output " + fit_json);
  ASSERT_EQ(fit.code, 0) << fit.err;
  EXPECT_NE(fit.out.find("Bfac"), std::string::npos);
  EXPECT_NE(fit.err.find("ESTIMATES"), std::string::npos) << "estimated energies must say so";
  const auto coeffs = nlohmann::json::parse(std::ifstream(fit_json));
  EXPECT_TRUE(coeffs["estimate"].get<bool>());
  ASSERT_EQ(coeffs["fits"].size(), 3u);
  EXPECT_EQ(coeffs["alpha_vs_kmac"]["n"], 3);
  for (const auto& f : coeffs["fits"]) EXPECT_EQ(f["n"], 3);

  Result own = run_cli("predict --model Bfac --quality 1 --size 100x100 --coeffs " + fit_json + " --json");
  nlohmann::json bfac;
  for (const auto& f : coeffs["fits"])
    if (f["abbr"] == "Bfac") bfac = f;
  const double line_j = bfac["alpha_j_per_pixel"].get<double>() * 10000 + bfac["beta_j"].get<double>();
  // Tiny sizes on a shared machine's estimate can fit a line that crosses zero:
  // then the prediction must be refused, saying so, never printed negative.
  if (line_j <= 0) {
    EXPECT_NE(own.code, 0) << own.out;
    EXPECT_NE(own.err.find("crosses zero"), std::string::npos) << own.err;
  } else {
    ASSERT_EQ(own.code, 0) << own.err;
    const auto p = nlohmann::json::parse(own.out);
    EXPECT_EQ(p["source"], "fit");
    EXPECT_TRUE(p["estimate"].get<bool>());
    EXPECT_NEAR(p["energy_j"].get<double>(), line_j, 1e-9);
  }
  Result unmeasured = run_cli("predict --model Canch --quality 1 --size 100x100 --coeffs " + fit_json);
  if (unmeasured.code == 0) {
    EXPECT_NE(unmeasured.out.find("alpha-versus-kMAC"), std::string::npos) << unmeasured.out;
  } else {  // the same noise can tip the kMAC line's prediction below zero: refused, saying so
    EXPECT_NE(unmeasured.err.find("crosses zero"), std::string::npos) << unmeasured.err;
  }

  const fs::path report = dir / "report";
  Result rep = run_cli("report " + csv + " --output " + report.string());
  ASSERT_EQ(rep.code, 0) << rep.err;
  EXPECT_TRUE(fs::exists(report / "index.html"));
  // Every point left its power trace; Fig. 1 comes from the first one.
  size_t traces = 0;
  for (const auto& entry : fs::directory_iterator(dir / "quick-traces")) traces += entry.path().extension() == ".csv";
  EXPECT_EQ(traces, 9u);
  EXPECT_TRUE(fs::exists(report / "fig1_power.gp"));
  EXPECT_NE(rep.err.find("0000-Bfac-q1-64x64.csv"), std::string::npos) << rep.err;
}

TEST(CliCampaign, ShardsMergeToTheSameRowsAsOneRun) {
  const fs::path dir = scratch("shards");
  const std::string config = write_config(dir);
  ASSERT_EQ(run_cli("campaign " + config + " --shard 1/2").code, 0);
  ASSERT_EQ(run_cli("campaign " + config + " --shard 2/2").code, 0);
  const std::string a = (dir / "quick.shard1of2.csv").string(), b = (dir / "quick.shard2of2.csv").string();
  EXPECT_EQ(keys_of(a).size(), 3u);
  EXPECT_EQ(keys_of(b).size(), 3u);
  const std::string merged = (dir / "merged.csv").string();
  Result m = run_cli("campaign merge " + b + " " + a + " --output " + merged);
  ASSERT_EQ(m.code, 0) << m.err;
  // Plan order: network, then quality, then image size.
  const auto keys = keys_of(merged);
  ASSERT_EQ(keys.size(), 6u);
  EXPECT_NE(keys[0].find("bmshj2018_factorized"), std::string::npos);
  EXPECT_NE(keys[0].find("64x64"), std::string::npos);
  EXPECT_NE(keys[5].find("bmshj2018_hyperprior"), std::string::npos);
  EXPECT_NE(keys[5].find("128x96"), std::string::npos);
}

TEST(CliCampaign, KilledCampaignResumesWithEveryRowOnce) {
  const fs::path dir = scratch("kill");
  const std::string config = write_config(dir);
  const std::string csv = (dir / "quick.csv").string();
  const std::string pid_file = (dir / "pid").string();
  ASSERT_EQ(std::system((std::string(NICENERGY_CLI) + " campaign " + config + " >/dev/null 2>&1 & echo $! >" + pid_file).c_str()), 0);
  pid_t pid = 0;
  std::ifstream(pid_file) >> pid;
  ASSERT_GT(pid, 0);
  // Kill as soon as the first row is down, most likely in the middle of the next.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (std::chrono::steady_clock::now() < deadline) {
    if (fs::exists(csv) && keys_of(csv).size() >= 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(pid, SIGKILL);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const size_t before = keys_of(csv).size();
  ASSERT_GE(before, 1u);
  ASSERT_LT(before, 6u) << "the campaign finished before it could be killed";

  Result resumed = run_cli("campaign " + config);
  ASSERT_EQ(resumed.code, 0) << resumed.err;
  const auto keys = keys_of(csv);
  EXPECT_EQ(keys.size(), 6u);
  EXPECT_EQ(std::set<std::string>(keys.begin(), keys.end()).size(), 6u) << "a row measured twice";
}

TEST(CliCampaign, BadConfigsAndCsvsGiveOneLineErrors) {
  const fs::path dir = scratch("bad");
  expect_one_line_error("campaign " + (dir / "missing.toml").string(), "does not exist");
  expect_one_line_error("campaign", "needs a config");
  {
    std::ofstream(dir / "bad.toml") << "[campaign]\nmodels = [\"Bfoo\"]\n";
  }
  expect_one_line_error("campaign " + (dir / "bad.toml").string(), "Bfoo");
  const std::string config = write_config(dir);
  expect_one_line_error("campaign " + config + " --shard 3/2", "3/2");
  expect_one_line_error("campaign merge " + (dir / "nothing.csv").string() + " --output " + (dir / "m.csv").string(),
                        "nothing.csv");
  {
    std::ofstream(dir / "columns.csv") << "network,energy_j\nbmshj2018_factorized,1\n";
  }
  expect_one_line_error("fit " + (dir / "columns.csv").string(), "column");
  expect_one_line_error("fit " + (dir / "absent.csv").string(), "absent.csv");
  expect_one_line_error("predict --model Bfac --quality 1 --size 64x64 --coeffs " + (dir / "absent.json").string(),
                        "absent.json");
  expect_one_line_error("report " + (dir / "absent.csv").string(), "absent.csv");
  expect_one_line_error("campaign merge " + (dir / "columns.csv").string(), "--output");
  expect_one_line_error("campaign " + config + " " + config, "one config at a time");
  expect_one_line_error("fit", "needs a results CSV");
  expect_one_line_error("report", "needs a results CSV");
  {
    std::ofstream(dir / "empty.csv") << "network,abbr,quality,level,image,width,height,pixels,padded_width,"
                                       "padded_height,energy_j,energy_ci_j,k,m,duration_s,idle_power_w,"
                                       "mean_power_w,meter,method,device,started_at\n";
  }
  expect_one_line_error("fit " + (dir / "empty.csv").string(), "no measurements");
  {
    std::ofstream(dir / "notjson.json") << "alpha = 3";
  }
  expect_one_line_error("predict --model Bfac --quality 1 --size 64x64", "--coeffs");
  expect_one_line_error("predict --model Bfac --quality 1 --size 64x64 --coeffs " + (dir / "notjson.json").string(),
                        "not valid JSON");
  expect_one_line_error("predict --model Bfac --quality 1 --size big --coeffs " + (dir / "notjson.json").string(), "big");
  {
    std::ofstream(dir / "nofits.json") << "{\"fits\": []}";
  }
  // A name outside the zoo may be a fitted custom model; one no fit names is unknown.
  expect_one_line_error("predict --model Bfoo --quality 1 --size 64x64 --coeffs " + (dir / "nofits.json").string(),
                        "unknown model");
  expect_one_line_error("meters --colour red", "unknown option --colour");
}

// ---- hostile inputs and outputs (issue 19) ------------------------------------

// A row the results CSV accepts, for files built by hand below.
static std::string results_row(const std::string& energy, int width = 64) {
  nicenergy::MeasurementRecord r;
  r.network = "bmshj2018_factorized";
  r.abbr = "Bfac";
  r.quality = 1;
  r.level = "low";
  r.image = "x.png";
  r.width = width;
  r.height = 64;
  r.pixels = int64_t(width) * 64;
  r.k = 2;
  r.m = 3;
  r.meter = r.method = "estimate";
  r.device = "cpu";
  r.started_at = "2024-05-01T00:00:00Z";
  std::string row = nicenergy::format_record_row(r);
  const std::string zero_energy = ",0,0,2,3,";  // energy_j, energy_ci_j, k, m
  return row.replace(row.find(zero_energy), zero_energy.size(), "," + energy + ",0,2,3,");
}

static std::string results_header() {
  std::string header;
  for (const auto& c : nicenergy::measurement_columns()) header += (header.empty() ? "" : ",") + c;
  return header + "\n";
}

// Defects 9, 10, 8 and 11 at the command line: every output is checked before
// the meter opens, so a refusal comes at once, as one line, changing nothing.
TEST(CliCampaign, OutputsAreCheckedBeforeAnyMeasurement) {
  const fs::path dir = scratch("outputs");
  const std::string config = write_config(dir);
  fs::create_directories(dir / "folder.csv");
  expect_one_line_error("campaign " + config + " --output " + (dir / "folder.csv").string(), "is a directory");
  EXPECT_FALSE(fs::exists(dir / "folder-traces")) << "nothing made before the refusal";
  expect_one_line_error("campaign " + config + " --dry-run --output " + (dir / "folder.csv").string(), "is a directory");
  {
    std::ofstream(dir / "notes.txt") << "to do\nthe last line, no newline";
  }
  expect_one_line_error("campaign " + config + " --output " + (dir / "notes.txt").string(), "not a results CSV");
  EXPECT_EQ(test_util::slurp((dir / "notes.txt").string()), "to do\nthe last line, no newline");
  {
    std::ofstream(dir / "plain") << "x";
  }
  expect_one_line_error("campaign " + config + " --output " + (dir / "plain" / "r.csv").string(), "not a folder");
  // The trace folder is a file: refused by the run and by the dry run.
  {
    std::ofstream(dir / "t-traces") << "x";
  }
  expect_one_line_error("campaign " + config + " --output " + (dir / "t.csv").string(), "trace folder");
  expect_one_line_error("campaign " + config + " --dry-run --output " + (dir / "t.csv").string(), "trace folder");
  EXPECT_FALSE(fs::exists(dir / "t.csv"));
  // merge into a directory: refused, and no OUTPUT.tmp left behind.
  {
    std::ofstream(dir / "a.csv") << results_header() << results_row("1");
  }
  expect_one_line_error("campaign merge " + (dir / "a.csv").string() + " --output " + (dir / "folder.csv").string(),
                        "is a directory");
  EXPECT_FALSE(fs::exists(dir / "folder.csv.tmp"));
  // A FIFO as the config is refused, not opened (it would wait forever).
  ASSERT_EQ(::mkfifo((dir / "fifo.toml").c_str(), 0644), 0);
  expect_one_line_error("campaign " + (dir / "fifo.toml").string(), "not a regular file");
  fs::create_directories(dir / "dir.toml");
  expect_one_line_error("campaign " + (dir / "dir.toml").string(), "is a directory");
}

// Defect 10: --trace-output to an unwritable path measured first and then failed
// without printing the result. Now an unwritable path is refused before the
// measurement (one line on stderr: no stage ran), and a write that still fails
// (disk full) comes after the printed result.
TEST(CliMeasure, TraceOutputCheckedFirstAndAFailedWriteKeepsTheResult) {
  const fs::path dir = scratch("trace_output");
  {
    std::ofstream(dir / "plain") << "x";
  }
  const std::string measure = "measure --model Bfac --quality 1 --size 64x64 --meter estimate" + std::string(kQuick);
  expect_one_line_error(measure + " --trace-output " + (dir / "plain" / "t.csv").string(), "not a folder");
  fs::create_directories(dir / "t.csv");
  expect_one_line_error(measure + " --trace-output " + (dir / "t.csv").string(), "is a directory");
  if (!fs::exists("/dev/full")) GTEST_SKIP() << "no /dev/full for the disk-full case";
  Result full = run_cli(measure + " --trace-output /dev/full");
  EXPECT_EQ(full.code, 1);
  EXPECT_NE(full.out.find("dynamic energy"), std::string::npos) << "the result comes first: " << full.out;
  EXPECT_NE(full.err.find("/dev/full"), std::string::npos) << full.err;
  EXPECT_NE(full.err.find("No space left"), std::string::npos) << full.err;
}

// Defects 7 and 13 at the command line: nan in a results CSV or a replayed trace
// is refused with line and column; a point measured twice is not fitted.
TEST(CliAnalysis, NonFiniteNumbersAndDuplicateRowsAreRefused) {
  const fs::path dir = scratch("numbers");
  {
    std::ofstream(dir / "nan.csv") << results_header() << results_row("1") << results_row("nan", 96);
  }
  expect_one_line_error("fit " + (dir / "nan.csv").string(), "line 3 column energy_j");
  {
    std::ofstream(dir / "garbage.csv") << results_header() << results_row("50x");
  }
  expect_one_line_error("fit " + (dir / "garbage.csv").string(), "line 2 column energy_j");
  {
    std::ofstream(dir / "twice.csv") << results_header() << results_row("1") << results_row("1.1", 96)
                                     << results_row("1.2", 128) << results_row("1.05");
  }
  expect_one_line_error("fit " + (dir / "twice.csv").string(), "measured twice");
  fs::create_directories(dir / "fit.json");
  expect_one_line_error("fit " + (dir / "twice.csv").string() + " --output " + (dir / "fit.json").string(),
                        "is a directory");
  {
    std::ofstream(dir / "nan-trace.csv") << "time_s,power_w\n0,50\n0.5,nan\n1,50\n";
  }
  expect_one_line_error("measure --model Bfac --quality 1 --size 64x64 --meter replay:" +
                            (dir / "nan-trace.csv").string() + kQuick,
                        "line 3 column power_w");
}

// ---- issue 18: a mixed cluster's results, per GPU model ----------------------------

// Two networks x 3 sizes x 2 qualities on an H100 (node gpu01) and an A100 (node
// gpu02), written as a campaign writes them; the A100 draws 1.6 times the
// energy per pixel. `old_format` leaves out the node, slurm_job, gpu and
// gpu_uuid columns, as files written before them.
static void write_gpu_results(const fs::path& path, bool with_a100, bool old_format = false) {
  const int sizes[][2] = {{512, 384}, {768, 512}, {1024, 768}};
  std::vector<nicenergy::MeasurementRecord> records;
  int i = 0;
  for (const char* network : {"bmshj2018_factorized", "bmshj2018_hyperprior"})
    for (int quality = 1; quality <= 2; ++quality)
      for (const auto& s : sizes)
        for (int gpu = 0; gpu < (with_a100 ? 2 : 1); ++gpu, ++i) {
          nicenergy::MeasurementRecord r;
          r.network = network;
          r.abbr = std::string(network) == "bmshj2018_factorized" ? "Bfac" : "Bhyp";
          r.quality = quality;
          r.level = "low";
          r.image = "kodim0" + std::to_string(quality) + ".png";
          r.width = s[0];
          r.height = s[1];
          r.pixels = int64_t(s[0]) * s[1];
          r.padded_width = s[0];
          r.padded_height = s[1];
          const double alpha = (r.abbr == "Bfac" ? 4.2e-9 : 5.1e-9) * (gpu ? 1.6 : 1.0);
          const double noise = 0.005 * ((i * 7) % 5 - 2);  // -1 % .. +1 %
          r.energy_j = (alpha * r.pixels + (gpu ? 0.018 : 0.011)) * (1 + noise);
          r.energy_ci_j = 0.01 * r.energy_j;
          r.k = 5;
          r.m = 40;
          r.duration_s = 0.004;
          r.idle_power_w = gpu ? 55 : 70;
          r.mean_power_w = gpu ? 180 : 260;
          r.meter = "nvml";
          r.method = "counter";
          r.gpu = gpu ? "NVIDIA A100-SXM4-40GB" : "NVIDIA H100 80GB HBM3";
          r.device = "cuda:0 (" + r.gpu + ")";
          r.node = gpu ? "gpu02" : "gpu01";
          r.slurm_job = "1234_" + std::to_string(gpu + 1);
          r.started_at = "2026-11-24T10:00:" + std::to_string(10 + i) + "Z";
          records.push_back(r);
        }
  std::string text;
  for (const auto& c : nicenergy::measurement_columns())
    if (!old_format || (c != "node" && c != "slurm_job" && c != "gpu" && c != "gpu_uuid" && c != "bpp" &&
                        c != "psnr_db" && c != "ms_ssim" && c != "mode"))
      text += (text.empty() ? "" : ",") + c;
  text += "\n";
  for (const auto& r : records) {
    std::string row = nicenergy::format_record_row(r);
    // cut node (after host_energy_j) onwards: the columns of later releases
    if (old_format) row = row.substr(0, row.rfind(",1234_")) + "\n";
    if (old_format) row = row.substr(0, row.rfind(',')) + "\n";
    text += row;
  }
  std::ofstream(path) << text;
}

static double fitted_alpha(const nlohmann::json& fit, const std::string& abbr) {
  for (const auto& f : fit["fits"])
    if (f["abbr"] == abbr && f["level"] == "low") return f["alpha_j_per_pixel"].get<double>();
  return 0;
}

TEST(CliAnalysis, MixedClusterIsFittedAndReportedPerGpuModel) {
  const fs::path dir = scratch("gpus");
  const std::string csv = (dir / "mixed.csv").string();
  write_gpu_results(csv, true);
  ASSERT_EQ(nicenergy::read_results(csv).size(), 24u);
  const std::string h100 = "NVIDIA_H100_80GB_HBM3", a100 = "NVIDIA_A100-SXM4-40GB";

  // fit: one table and one coefficients file per model, each with its own alpha.
  Result fit = run_cli("fit " + csv + " --output " + (dir / "fit.json").string());
  ASSERT_EQ(fit.code, 0) << fit.err;
  EXPECT_NE(fit.out.find("device: NVIDIA A100-SXM4-40GB (12 measurements)"), std::string::npos) << fit.out;
  EXPECT_NE(fit.out.find("device: NVIDIA H100 80GB HBM3 (12 measurements)"), std::string::npos) << fit.out;
  EXPECT_FALSE(fs::exists(dir / "fit.json"));
  const auto fit_h100 = nlohmann::json::parse(test_util::slurp((dir / ("fit-" + h100 + ".json")).string()));
  const auto fit_a100 = nlohmann::json::parse(test_util::slurp((dir / ("fit-" + a100 + ".json")).string()));
  // Within the +-1 % noise's reach of the generating alphas (3 sizes, beta fitted too) ...
  EXPECT_NEAR(fitted_alpha(fit_h100, "Bfac"), 4.2e-9, 0.08 * 4.2e-9);
  EXPECT_NEAR(fitted_alpha(fit_a100, "Bfac"), 1.6 * 4.2e-9, 0.08 * 1.6 * 4.2e-9);
  EXPECT_NEAR(fitted_alpha(fit_a100, "Bhyp"), 1.6 * 5.1e-9, 0.08 * 1.6 * 5.1e-9);
  // ... and far from each other, as one fit through both would not be.
  EXPECT_GT(fitted_alpha(fit_a100, "Bhyp") / fitted_alpha(fit_h100, "Bhyp"), 1.4);
  // One model by name; --json needs one.
  Result one = run_cli("fit " + csv + " --device 'NVIDIA H100 80GB HBM3' --json");
  ASSERT_EQ(one.code, 0) << one.err;
  EXPECT_DOUBLE_EQ(fitted_alpha(nlohmann::json::parse(one.out), "Bhyp"), fitted_alpha(fit_h100, "Bhyp"));
  expect_one_line_error("fit " + csv + " --json", "--device");
  expect_one_line_error("fit " + csv + " --device 'Tesla V100'", "NVIDIA A100-SXM4-40GB");

  // report: Fig. 2 and Tables 1 and 2 per model, named in the file names.
  Result report = run_cli("report " + csv + " --output " + (dir / "r").string());
  ASSERT_EQ(report.code, 0) << report.err;
  EXPECT_NE(report.err.find("2 groups by device"), std::string::npos) << report.err;
  for (const std::string& slug : {h100, a100})
    for (const std::string stem : {"fig2_energy_low_", "table2_fits_", "table1_complexity_"})
      EXPECT_TRUE(fs::exists(dir / "r" / (stem + slug + (stem[0] == 'f' ? ".gp" : ".md")))) << stem << slug;
  EXPECT_FALSE(fs::exists(dir / "r" / "table2_fits.md"));
  EXPECT_NE(test_util::slurp((dir / "r" / ("table2_fits_" + h100 + ".md")).string()).find("Device: NVIDIA H100"),
            std::string::npos);
  // By node: each node with its model.
  Result by_node = run_cli("report " + csv + " --group-by node --output " + (dir / "n").string());
  ASSERT_EQ(by_node.code, 0) << by_node.err;
  EXPECT_TRUE(fs::exists(dir / "n" / ("fig2_energy_low_gpu02_" + a100 + ".gp")));
  expect_one_line_error("report " + csv + " --group-by gpu --output " + (dir / "x").string(), "--group-by");
  expect_one_line_error("report " + csv + " --coeffs " + (dir / ("fit-" + h100 + ".json")).string() + " --output " +
                            (dir / "x").string(),
                        "--coeffs");
}

// One GPU model: the report and fit of a file with the new columns equal, file
// for file, those of the same rows in a file written before the columns.
TEST(CliAnalysis, OneGpuModelAndOldFilesReportAsBefore) {
  const fs::path dir = scratch("one_gpu");
  write_gpu_results(dir / "new.csv", false);
  write_gpu_results(dir / "old.csv", false, true);
  ASSERT_EQ(test_util::slurp((dir / "old.csv").string()).find("gpu_uuid"), std::string::npos);
  const auto old_rows = nicenergy::read_results((dir / "old.csv").string());
  ASSERT_EQ(old_rows.size(), 12u);
  EXPECT_EQ(old_rows[0].gpu, "");
  EXPECT_EQ(old_rows[0].memory_share, std::nullopt);
  for (const char* name : {"new", "old"}) {
    Result r = run_cli("report " + (dir / (std::string(name) + ".csv")).string() + " --output " +
                       (dir / (std::string("r-") + name)).string());
    ASSERT_EQ(r.code, 0) << name << ": " << r.err;
    EXPECT_EQ(r.err.find("groups by"), std::string::npos) << r.err;
  }
  std::set<std::string> compared;
  for (const auto& entry : fs::directory_iterator(dir / "r-new")) {
    const std::string file = entry.path().filename().string();
    const std::string ext = entry.path().extension().string();
    if (ext == ".svg" || ext == ".png" || ext == ".log") continue;  // drawn by gnuplot
    ASSERT_TRUE(fs::exists(dir / "r-old" / file)) << file;
    EXPECT_EQ(test_util::slurp(entry.path().string()), test_util::slurp((dir / "r-old" / file).string())) << file;
    compared.insert(file);
  }
  for (const char* file : {"fig2_energy_low.gp", "fig2_energy_low.dat", "table2_fits.md", "table1_complexity.csv",
                           "index.html"})
    EXPECT_TRUE(compared.count(file)) << file;
  Result a = run_cli("fit " + (dir / "new.csv").string() + " --json");
  Result b = run_cli("fit " + (dir / "old.csv").string() + " --json");
  ASSERT_EQ(a.code, 0) << a.err;
  EXPECT_EQ(a.out, b.out);
}

// Defect: --meter auto refused a machine without RAPL or NVML in measure, while a
// campaign's meter = "auto" fell back to the estimate. Now every command falls
// back the same way, labels the result an ESTIMATE and says why on stderr.
TEST(CliMeasure, AutoFallsBackToTheLabelledEstimateWithoutARealMeter) {
  Result meters = run_cli("meters --json");
  ASSERT_EQ(meters.code, 0);
  for (const auto& m : nlohmann::json::parse(meters.out))
    if ((m["name"] == "rapl" || m["name"] == "nvml") && m["available"].get<bool>())
      GTEST_SKIP() << "this machine has " << m["name"];
  const std::string warning = "warning: --meter auto found no real meter (";
  Result r = run_cli("measure --model Bfac --quality 1 --size 64x64 --meter auto" + std::string(kQuick));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("meter          estimate, method estimate"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(ESTIMATE: CPU time x TDP share)"), std::string::npos) << r.out;
  const size_t at = r.err.find(warning);
  ASSERT_NE(at, std::string::npos) << r.err;
  const std::string line = r.err.substr(at, r.err.find('\n', at) - at);
  EXPECT_NE(line.find("RAPL"), std::string::npos) << "the line says why: " << line;
  EXPECT_NE(line.find("ESTIMATE"), std::string::npos) << line;
  // exec and a campaign: the same fallback, the same line.
  Result exec = run_cli("exec --meter auto --json" + std::string(kQuick) + " -- true");
  ASSERT_EQ(exec.code, 0) << exec.err;
  EXPECT_TRUE(nlohmann::json::parse(exec.out)["estimate"].get<bool>());
  EXPECT_NE(exec.err.find(line), std::string::npos) << exec.err;
}

// The CPU time of one run of a command, as wait4 tells its parent: the mean of `runs`.
static double child_cpu_s(const std::vector<std::string>& words, int runs) {
  std::vector<char*> argv;
  for (const std::string& w : words) argv.push_back(const_cast<char*>(w.c_str()));
  argv.push_back(nullptr);
  double total_s = 0;
  for (int i = 0; i < runs; ++i) {
    pid_t pid = 0;
    if (posix_spawnp(&pid, argv[0], nullptr, nullptr, argv.data(), environ) != 0) return -1;
    int status = 0;
    rusage usage{};
    if (wait4(pid, &status, 0, &usage) != pid) return -1;
    total_s += usage.ru_utime.tv_sec + usage.ru_utime.tv_usec * 1e-6 + usage.ru_stime.tv_sec + usage.ru_stime.tv_usec * 1e-6;
  }
  return total_s / runs;
}

// Defect: exec on the estimate meter charged nicenergy's own CPU time only, so a
// CPU-bound command cost ~0 J (or less than idle: negative). Its energy per run is
// the command's CPU time x TDP / logical cores.
TEST(CliExec, EstimateChargesTheCommandsCpuTime) {
  const std::vector<std::string> busy = {"sh", "-c", "i=0; while [ $i -lt 40000 ]; do i=$((i+1)); done"};
  // The command's CPU time before and after the measurement: a suite running
  // beside it (ctest's other entries) moves it, so the truth is that range.
  const double cpu_before_s = child_cpu_s(busy, 5);
  ASSERT_GT(cpu_before_s, 0.01) << "the busy loop is too short to tell";
  const double per_core_w = 80.0 / std::max(1u, std::thread::hardware_concurrency());
  Result r = run_cli("exec --meter estimate:80 --json --idle-s 0.3 --window-s 0.3 --k-min 3 --k-max 6 "
                     "--preheat-max-s 0 -- sh -c '" + busy[2] + "'");
  const double cpu_after_s = child_cpu_s(busy, 5);
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  const double energy_j = j["energy_j"].get<double>(), ci_j = j["energy_ci_j"].get<double>();
  EXPECT_TRUE(j["estimate"].get<bool>());
  EXPECT_GT(energy_j - ci_j, 0) << "the interval holds zero: " << energy_j << " +- " << ci_j;
  const double low_j = 0.65 * per_core_w * std::min(cpu_before_s, cpu_after_s);
  const double high_j = 1.35 * per_core_w * std::max(cpu_before_s, cpu_after_s);
  EXPECT_GE(energy_j, low_j) << "per run: " << energy_j << " J; the command's CPU time " << cpu_before_s << " s, then "
                             << cpu_after_s << " s, x " << per_core_w << " W";
  EXPECT_LE(energy_j, high_j) << "per run: " << energy_j << " J; the command's CPU time " << cpu_before_s
                              << " s, then " << cpu_after_s << " s, x " << per_core_w << " W";
}

// Defect: the campaign's output lock followed a symbolic link and wrote "pid N on
// host" over the file it points to.
TEST(CliCampaign, LockFileThroughASymlinkIsRefused) {
  const fs::path dir = scratch("lock-link");
  const std::string config = write_config(dir, "\"Bfac\"");
  const std::string victim = (dir / "precious.txt").string();
  test_util::spit(victim, "my notes\nnot a lock\n");
  fs::create_symlink(victim, dir / "quick.csv.lock");
  Result r = run_cli("campaign " + config);
  EXPECT_NE(r.code, 0);
  EXPECT_EQ(test_util::slurp(victim), "my notes\nnot a lock\n") << "the lock wrote through the link";
  const std::string lock = (dir / "quick.csv.lock").string();
  const size_t at = r.err.find("error: ");
  ASSERT_NE(at, std::string::npos) << r.err;
  const std::string error = r.err.substr(at);
  EXPECT_EQ(std::count(error.begin(), error.end(), '\n'), 1) << error;
  EXPECT_NE(error.find("'" + lock + "'"), std::string::npos) << error;
  EXPECT_NE(error.find("symbolic link"), std::string::npos) << error;
  EXPECT_FALSE(fs::exists(dir / "quick.csv")) << "nothing measured before the refusal";
}
