// Full-cycle energy (modeling/lifecycle.h, after Li et al., arXiv 2108.13465):
// E_full(N), break-evens, CO2e, inference energy from records, and
// `nicenergy lifecycle` end to end on a real training CSV and campaign CSV.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "io/csv.h"
#include "modeling/lifecycle.h"
#include "modeling/lifecycle_inputs.h"
#include "protocol/results_csv.h"
#include "report/gnuplot.h"
#include "test_util.h"
#include "training/training_csv.h"

using namespace nicenergy;
namespace fs = std::filesystem;

namespace {

CodecLifecycle codec(const std::string& name, double train_j, double infer_j, bool estimate = false) {
  CodecLifecycle c;
  c.codec = name;
  c.training_energy_j = train_j;
  c.inference_energy_per_image_j = infer_j;
  c.training_source = "given";
  c.inference_source = "given";
  c.estimate = estimate;
  return c;
}

}  // namespace

TEST(Lifecycle, FullCycleEnergyIsTrainingPlusNTimesInference) {
  EXPECT_DOUBLE_EQ(full_cycle_energy_j(1200, 0.75, 400), 1200 + 300);
  EXPECT_DOUBLE_EQ(full_cycle_energy_j(0, 2.5, 1e6), 2.5e6);
  EXPECT_NE(test_util::error_of([] { full_cycle_energy_j(1, 1, 0); }).find("N > 0"), std::string::npos);
  EXPECT_NE(test_util::error_of([] { full_cycle_energy_j(-1, 1, 5); }).find("negative"), std::string::npos);
}

// a: cheap to train, dear per image; b: the reverse. By hand:
// N* = (51000 - 1000) / (2.0 - 0.5) = 33333.33..., and both cost the same there.
TEST(Lifecycle, BreakEvenEqualsTheHandComputedN) {
  const CodecLifecycle a = codec("Bfac q1", 1000, 2.0), b = codec("Canch q1", 51000, 0.5);
  for (const BreakEven& be : {break_even(a, b), break_even(b, a)}) {
    ASSERT_TRUE(be.break_even_images);
    EXPECT_NEAR(*be.break_even_images, 50000.0 / 1.5, 1e-9);
    EXPECT_EQ(be.cheaper_below, "Bfac q1");
    EXPECT_EQ(be.cheaper_above, "Canch q1");
    EXPECT_TRUE(be.dominant.empty());
    EXPECT_NE(be.text.find("3.333e+04"), std::string::npos) << be.text;  // %.4g
  }
  const double n = *break_even(a, b).break_even_images;
  EXPECT_NEAR(full_cycle_energy_j(1000, 2.0, n), full_cycle_energy_j(51000, 0.5, n), 1e-6);
  // Below N* a costs less, above it b does.
  EXPECT_LT(full_cycle_energy_j(1000, 2.0, n / 2), full_cycle_energy_j(51000, 0.5, n / 2));
  EXPECT_GT(full_cycle_energy_j(1000, 2.0, n * 2), full_cycle_energy_j(51000, 0.5, n * 2));
}

TEST(Lifecycle, NoBreakEvenWhereOneCodecIsNeverWorse) {
  const BreakEven d = break_even(codec("Bhyp q1", 5000, 2.8), codec("Bfac q1", 230, 0.7));
  EXPECT_FALSE(d.break_even_images);
  EXPECT_EQ(d.dominant, "Bfac q1");
  EXPECT_NE(d.text.find("no break-even"), std::string::npos) << d.text;
  // Equal training energy, cheaper per image: that one dominates.
  EXPECT_EQ(break_even(codec("A", 10, 2), codec("B", 10, 1)).dominant, "B");
  const BreakEven same = break_even(codec("A", 10, 2), codec("B", 10, 2));
  EXPECT_FALSE(same.break_even_images);
  EXPECT_TRUE(same.dominant.empty());
  // Every pair, in input order.
  const auto all = break_evens({codec("A", 1, 3), codec("B", 2, 2), codec("C", 3, 1)});
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].codec_a + all[0].codec_b, "AB");
  EXPECT_EQ(all[2].codec_a + all[2].codec_b, "BC");
  EXPECT_NEAR(*all[1].break_even_images, 1.0, 1e-12);  // (3 - 1) / (3 - 1)
}

// 3.6 MJ is 1 kWh: x PUE 1.5 x 400 g/kWh = 600 g.
TEST(Lifecycle, Co2eIsKwhTimesPueTimesGridIntensity) {
  CarbonSettings s;
  s.grid_intensity_g_per_kwh = 400;
  s.pue = 1.5;
  EXPECT_NEAR(co2e_kg(3.6e6, s), 0.6, 1e-12);
  EXPECT_NEAR(co2e_kg(7.2e5, s), 0.12, 1e-12);
  const CarbonSettings defaults;
  EXPECT_NEAR(co2e_kg(3.6e6, defaults), 0.436 * 1.56, 1e-12);
  EXPECT_NE(std::string(CarbonSettings::grid_intensity_source()).find("Ember"), std::string::npos);
  EXPECT_NE(std::string(CarbonSettings::pue_source()).find("Uptime"), std::string::npos);
  s.pue = 0.9;
  EXPECT_NE(test_util::error_of([&] { check_carbon_settings(s); }).find("PUE 0.9"), std::string::npos);
  s.pue = 1;
  s.grid_intensity_g_per_kwh = -1;
  EXPECT_NE(test_util::error_of([&] { co2e_kg(1, s); }).find("grid intensity -1 gCO2e/kWh"), std::string::npos);
}

TEST(Lifecycle, ComputeGivesEveryCodecAtEveryNAndCarriesTheEstimateLabel) {
  CarbonSettings carbon;
  carbon.grid_intensity_g_per_kwh = 300;
  carbon.pue = 1.2;
  const LifecycleResult r =
      compute_lifecycle({codec("A", 3.6e6, 36, true), codec("B", 7.2e6, 3.6)}, {1, 1e3, 1e6}, carbon);
  ASSERT_EQ(r.rows.size(), 2u);
  EXPECT_TRUE(r.estimate);
  EXPECT_TRUE(r.rows[0].codec.estimate);
  EXPECT_FALSE(r.rows[1].codec.estimate);
  EXPECT_NEAR(r.rows[0].training_co2e_kg, 0.3 * 1.2, 1e-12);
  ASSERT_EQ(r.rows[1].points.size(), 3u);
  EXPECT_DOUBLE_EQ(r.rows[1].points[2].full_cycle_energy_j, 7.2e6 + 3.6e6);
  EXPECT_NEAR(r.rows[1].points[2].co2e_kg, 3 * 0.3 * 1.2, 1e-12);
  ASSERT_EQ(r.break_evens.size(), 1u);
  EXPECT_NEAR(*r.break_evens[0].break_even_images, 3.6e6 / 32.4, 1e-6);
  EXPECT_NE(test_util::error_of([&] { compute_lifecycle({codec("A", 1, 1), codec("A", 2, 2)}, {1}, carbon); })
                .find("given twice"),
            std::string::npos);
  EXPECT_NE(test_util::error_of([&] { compute_lifecycle({codec("A", 1, 1)}, {}, carbon); }).find("--images"),
            std::string::npos);
}

TEST(Lifecycle, InferenceEnergyFromRecordsOfTheChainAtASize) {
  auto record = [](const std::string& abbr, int quality, int w, int h, double energy_j, const std::string& stage) {
    MeasurementRecord r;
    r.network = abbr == "Bfac" ? "bmshj2018_factorized" : "bmshj2018_hyperprior";
    r.abbr = abbr;
    r.quality = quality;
    r.width = w;
    r.height = h;
    r.energy_j = energy_j;
    r.meter = "rapl";
    r.method = "counter";
    r.device = "cpu";
    r.stage = stage;
    return r;
  };
  std::vector<MeasurementRecord> records = {record("Bfac", 1, 64, 64, 0.5, "chain"),
                                            record("Bfac", 1, 128, 128, 1.5, ""),
                                            record("Bfac", 1, 64, 64, 9.0, "encoder"),
                                            record("Bfac", 2, 64, 64, 7.0, "chain"),
                                            record("Bhyp", 1, 64, 64, 5.0, "chain")};
  const InferenceEnergy at = inference_energy_from_records(records, "Bfac", 1, std::make_pair(64, 64), "r.csv");
  EXPECT_DOUBLE_EQ(at.inference_energy_per_image_j, 0.5);  // not the encoder stage, not quality 2
  EXPECT_FALSE(at.estimate);
  const InferenceEnergy mean = inference_energy_from_records(records, "bmshj2018_factorized", 1, std::nullopt, "r.csv");
  EXPECT_DOUBLE_EQ(mean.inference_energy_per_image_j, 1.0);
  ASSERT_FALSE(mean.notes.empty());  // the mean over sizes is said
  records[0].meter = "estimate";
  EXPECT_TRUE(inference_energy_from_records(records, "Bfac", 1, std::make_pair(64, 64), "r.csv").estimate);
  std::string e = test_util::error_of([&] { inference_energy_from_records(records, "Canch", 1, std::nullopt, "r.csv"); });
  EXPECT_NE(e.find("Canch q1"), std::string::npos) << e;
  EXPECT_NE(e.find("r.csv"), std::string::npos) << e;
  e = test_util::error_of([&] { inference_energy_from_records(records, "Bfac", 1, std::make_pair(32, 32), "r.csv"); });
  EXPECT_NE(e.find("64x64"), std::string::npos) << e;
}

// ---- the CLI on hand-made training logs ------------------------------------------

namespace {

// 22 windows of 5 iterations of Bfac q1, window i with i + 1 J of dynamic
// energy: 253 J in all, a sum no subset of the windows reaches.
std::vector<std::string> training_rows() {
  TrainingWindow w;
  w.network = "bmshj2018_factorized";
  w.abbr = "Bfac";
  w.quality = 1;
  w.device = "cpu";
  w.meter = "estimate";
  w.energy_method = "estimate";
  w.estimate = true;
  w.batch_size = 2;
  w.crop_px = 64;
  std::vector<std::string> rows;
  for (int i = 0; i < 22; ++i) {
    w.iteration_begin = 5 * i;
    w.iteration_end = 5 * i + 5;
    w.duration_s = 2;
    w.energy_j = w.dynamic_energy_j = i + 1;
    w.energy_per_iteration_j = w.dynamic_energy_j / 5;
    rows.push_back(training_csv_row(w));
  }
  return rows;
}

std::string training_log(const std::vector<std::string>& rows) {
  std::string text = training_csv_header();
  for (const std::string& row : rows) text += row;
  return text;
}

}  // namespace

// The whole log counts, a torn last append is left out; an unclosed quote in
// the middle (which once cut the 18 windows after it, and with them most of
// E_train) and a window written twice (once counted twice) are refused naming
// the file and lines.
TEST(CliLifecycleLog, ADamagedRowOrADuplicatedWindowIsRefusedNamingTheLine) {
  test_util::TempDir dir("lifecycle_log");
  std::vector<std::string> rows = training_rows();
  test_util::spit(dir.file("whole.csv"), training_log(rows) + "bmshj2018_factorized,Bfac,1,cp");
  const Result whole = run_cli("lifecycle --training " + dir.file("whole.csv") + " --json");
  ASSERT_EQ(whole.code, 0) << whole.err;
  const auto t = nlohmann::json::parse(whole.out)["training"][0];
  EXPECT_EQ(t["windows"], 22);
  EXPECT_EQ(t["measured_iterations"], 110);
  EXPECT_DOUBLE_EQ(t["measured_training_energy_j"].get<double>(), 253.0);

  std::vector<std::string> damaged = rows;
  damaged[3].insert(damaged[3].find(",cpu,") + 1, "\"");  // row 4, line 5: a quote that never closes
  test_util::spit(dir.file("quote.csv"), training_log(damaged));
  expect_one_line_error("lifecycle --training " + dir.file("quote.csv"), "quote.csv' line 5");

  std::vector<std::string> twice = rows;
  twice.push_back(rows[6]);  // line 8 again, on line 24
  test_util::spit(dir.file("twice.csv"), training_log(twice));
  expect_one_line_error("lifecycle --training " + dir.file("twice.csv"), "twice.csv' lines 8 and 24");
}

// Windows of 1e308 J once summed to an E_train printed as "inf" and written to
// JSON as null; a fractional --images was taken as a count. Both are refused in
// one line.
TEST(CliLifecycleLog, OverflowingEnergiesAndFractionalImageCountsAreRefused) {
  test_util::TempDir dir("lifecycle_overflow");
  std::vector<std::string> rows = training_rows();
  rows.resize(2);
  for (std::string& row : rows) {
    const std::vector<std::string> columns = training_csv_columns();
    std::vector<std::string> fields;
    std::stringstream in(row.substr(0, row.size() - 1));
    for (std::string f; std::getline(in, f, ',');) fields.push_back(f);
    for (const char* column : {"energy_j", "dynamic_energy_j"})
      fields[std::find(columns.begin(), columns.end(), column) - columns.begin()] = "1e308";
    row = csv_line(fields);
  }
  test_util::spit(dir.file("huge.csv"), training_log(rows));
  expect_one_line_error("lifecycle --training " + dir.file("huge.csv") + " --json", "huge.csv': the training energy of Bfac q1 overflows");
  EXPECT_THROW(full_cycle_energy_j(1e308, 1e300, 1e9), Error);
  expect_one_line_error("lifecycle --training " + dir.file("huge.csv") + " --images 1,1.5", "--images 1.5");
}

// ---- the CLI, on a real training CSV and a real campaign CSV -------------------

namespace {

// One short `train` and one small campaign, shared by the CLI tests.
class CliLifecycle : public ::testing::Test {
 protected:
  static fs::path dir;
  static std::string training_csv, results_csv, fit_json;

  static void SetUpTestSuite() {
    dir = fs::temp_directory_path() / ("nicenergy_lifecycle_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    training_csv = (dir / "b.csv").string();
    results_csv = (dir / "quick.csv").string();
    const Result train = run_cli("train --model Bfac --quality 1 --data data/images --output " +
                                 (dir / "b.safetensors").string() +
                                 " --iterations 20 --batch-size 2 --crop-px 64 --window-iterations 5 --idle-s 0.5 "
                                 "--threads 1");
    ASSERT_EQ(train.code, 0) << train.err;
    const std::string config = (dir / "quick.toml").string();
    std::ofstream out(config);
    out << "[campaign]\nname = \"quick\"\noutput = \"" << results_csv << "\"\n"
        << "device = \"cpu\"\nmeter = \"estimate\"\nmodels = [\"Bfac\", \"Bhyp\"]\nlevels = [\"low\"]\n"
        << "[protocol]\nidle_s = 0.3\nwindow_s = 0.1\nk_min = 2\nk_max = 3\npreheat_max_s = 0\n"
        << "[[images]]\nsizes = [\"64x64\", \"96x64\", \"128x96\"]\nfrom = \"" << fs::absolute("data/images").string()
        << "\"\nmethod = \"mosaic\"\n";
    out.close();
    const Result campaign = run_cli("campaign " + config + " --threads 1");
    ASSERT_EQ(campaign.code, 0) << campaign.err;
    fit_json = (dir / "fit.json").string();
    const Result fit = run_cli("fit " + results_csv + " --output " + fit_json);
    ASSERT_EQ(fit.code, 0) << fit.err;
  }
  static void TearDownTestSuite() { fs::remove_all(dir); }

  void SetUp() override {
    if (!fs::exists(training_csv) || !fs::exists(results_csv)) GTEST_FAIL() << "the shared train/campaign failed";
  }

  static double chain_energy_j(const std::string& abbr) {
    for (const MeasurementRecord& r : read_results(results_csv))
      if (r.abbr == abbr && r.quality == 1 && r.width == 64 && r.height == 64) return r.energy_j;
    ADD_FAILURE() << abbr << " not in " << results_csv;
    return 0;
  }
};
fs::path CliLifecycle::dir;
std::string CliLifecycle::training_csv, CliLifecycle::results_csv, CliLifecycle::fit_json;

}  // namespace

// Bhyp given as nearly free to train but dearer per image than the trained
// Bfac: the break-even is where Bfac's measured training is paid back.
TEST_F(CliLifecycle, MeasuredTrainingAndCampaignGiveTheHandComputedBreakEven) {
  const auto windows = read_training_csv(training_csv);
  ASSERT_EQ(windows.size(), 4u);
  double trained_j = 0;
  for (const TrainingWindow& w : windows) trained_j += w.dynamic_energy_j;
  ASSERT_GT(trained_j, 0);
  const double bfac_j = chain_energy_j("Bfac"), bhyp_j = chain_energy_j("Bhyp");
  ASSERT_GT(bhyp_j, bfac_j) << "Bhyp should cost more per image than Bfac";

  const Result r = run_cli("lifecycle --training " + training_csv + " --training-energy-j Bhyp:1=1 --results " +
                           results_csv + " --size 64x64 --images 1,1e6 --grid-intensity-g-per-kwh 300 --pue 1.2 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(j["estimate"].get<bool>());  // the estimate meter
  ASSERT_EQ(j["codecs"].size(), 2u);
  const auto& bfac = j["codecs"][0];
  EXPECT_EQ(bfac["codec"], "Bfac q1");
  EXPECT_NEAR(bfac["training_energy_j"].get<double>(), trained_j, 1e-6 * trained_j);
  EXPECT_NEAR(bfac["inference_energy_per_image_j"].get<double>(), bfac_j, 1e-9 * bfac_j);
  EXPECT_NEAR(bfac["points"][1]["full_cycle_energy_j"].get<double>(), trained_j + 1e6 * bfac_j, 1e-6 * 1e6 * bfac_j);
  EXPECT_NEAR(bfac["points"][1]["co2e_kg"].get<double>(), (trained_j + 1e6 * bfac_j) / 3.6e6 * 1.2 * 0.3,
              1e-6);
  ASSERT_EQ(j["break_evens"].size(), 1u);
  const double n_star = (trained_j - 1) / (bhyp_j - bfac_j);
  EXPECT_NEAR(j["break_evens"][0]["break_even_images"].get<double>(), n_star, 1e-6 * n_star);
  EXPECT_EQ(j["break_evens"][0]["cheaper_below"], "Bhyp q1");
  ASSERT_EQ(j["training"].size(), 1u);
  EXPECT_EQ(j["training"][0]["measured_iterations"], 20);

  // The tables say ESTIMATE and name the defaults' sources.
  const Result text = run_cli("lifecycle --training " + training_csv + " --results " + results_csv);
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_NE(text.out.find("ESTIMATE"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("Ember"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("Uptime"), std::string::npos) << text.out;
}

TEST_F(CliLifecycle, SchedulePredictionWithIntervalAndOutputs) {
  const Result r = run_cli("lifecycle --training " + training_csv + " --schedule compressai --results " + results_csv +
                           " --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  const auto& t = j["training"][0];
  ASSERT_TRUE(t["prediction"].is_object()) << r.out;
  const double per_iteration = t["energy_per_iteration_j"].get<double>();
  const auto& p = t["prediction"];
  EXPECT_EQ(p["iterations"], 4500000);
  // Trained at batch 2 of 64x64 crops, the schedule's 16 or 32 of 256x256: x128 to x256 pixels.
  EXPECT_EQ(p["rescale"], "pixels");
  EXPECT_DOUBLE_EQ(p["pixel_scale_min"].get<double>(), 128.0);
  EXPECT_DOUBLE_EQ(p["pixel_scale_max"].get<double>(), 256.0);
  EXPECT_NE(p["pixel_rescale_model"].get<std::string>().find("MODEL"), std::string::npos);
  EXPECT_NEAR(p["training_energy_j"].get<double>(), per_iteration * 192 * 4.5e6, 1e-6 * per_iteration * 192 * 4.5e6);
  EXPECT_LT(p["training_energy_low_j"].get<double>(), p["training_energy_j"].get<double>());
  EXPECT_GT(p["training_energy_high_j"].get<double>(), p["training_energy_j"].get<double>());
  EXPECT_NEAR(j["codecs"][0]["training_energy_j"].get<double>(), p["training_energy_j"].get<double>(), 1e-6);
  EXPECT_EQ(j["codecs"][0]["training_model"], "pixel-scaled");
  EXPECT_NE(r.err.find("zoo.html"), std::string::npos) << r.err;  // the schedule's source, said
  EXPECT_NE(r.err.find("scaled by pixels per iteration"), std::string::npos) << r.err;

  const Result kept = run_cli("lifecycle --training " + training_csv + " --schedule compressai --rescale none --results " +
                              results_csv + " --json");
  ASSERT_EQ(kept.code, 0) << kept.err;
  const auto kept_json = nlohmann::json::parse(kept.out);
  const auto& q = kept_json["training"][0]["prediction"];
  EXPECT_EQ(q["rescale"], "none");
  EXPECT_TRUE(kept_json["codecs"][0]["training_model"].is_null());
  EXPECT_NEAR(q["training_energy_j"].get<double>(), per_iteration * 4.5e6, 1e-6 * per_iteration * 4.5e6);
  EXPECT_NE(kept.err.find("not rescaled"), std::string::npos) << kept.err;

  // Training alone (no inference energy): the prediction table.
  const Result alone = run_cli("lifecycle --training " + training_csv + " --iterations 1000");
  ASSERT_EQ(alone.code, 0) << alone.err;
  EXPECT_NE(alone.out.find("energy_per_iteration_j"), std::string::npos) << alone.out;
  EXPECT_NE(alone.out.find("ESTIMATE"), std::string::npos) << alone.out;

  test_util::TempDir out("lifecycle_out");
  const Result files = run_cli("lifecycle --training " + training_csv + " --training-energy-j Bhyp:1=1 --results " +
                               results_csv + " --images 1,10,100 --output " + out.file("l.csv") + " --plot " +
                               out.file("plot"));
  ASSERT_EQ(files.code, 0) << files.err;
  const std::string csv = test_util::slurp(out.file("l.csv"));
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 1 + 2 * 3) << csv;  // header + 2 codecs x 3 N
  EXPECT_NE(csv.find(",estimate,"), std::string::npos);
  EXPECT_TRUE(fs::exists(out.file("l-break-even.csv")));
  const std::string gp = test_util::slurp(out.file("plot/lifecycle.gp"));
  EXPECT_NE(gp.find("set logscale xy"), std::string::npos) << gp;
  EXPECT_NE(gp.find("ESTIMATE"), std::string::npos) << gp;
  if (gnuplot_available("gnuplot")) {
    EXPECT_GT(fs::file_size(out.file("plot/lifecycle.svg")), 1000u);
    EXPECT_GT(fs::file_size(out.file("plot/lifecycle.png")), 1000u);
  }
}

// E_infer from the campaign's fit: Eq. (2) at the size asked, as `predict` gives it (96x80:
// near the mean of the fitted sizes, where a least-squares line passes the mean energy, > 0).
TEST_F(CliLifecycle, InferenceEnergyFromAFitAtASize) {
  const Result predicted = run_cli("predict --model Bhyp --quality 1 --size 96x80 --coeffs " + fit_json + " --json");
  ASSERT_EQ(predicted.code, 0) << predicted.err;
  const double bhyp_j = nlohmann::json::parse(predicted.out)["energy_j"].get<double>();
  ASSERT_GT(bhyp_j, 0);
  const Result r = run_cli("lifecycle --training-energy-j Bhyp:1=7 --coeffs " + fit_json + " --size 96x80 --images 10 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_NEAR(j["codecs"][0]["inference_energy_per_image_j"].get<double>(), bhyp_j, 1e-9 * bhyp_j);
  EXPECT_NEAR(j["codecs"][0]["points"][0]["full_cycle_energy_j"].get<double>(), 7 + 10 * bhyp_j, 1e-9 * bhyp_j);
  EXPECT_TRUE(j["estimate"].get<bool>());  // the fit is of estimated energies
  EXPECT_NE(j["codecs"][0]["inference_source"].get<std::string>().find("fit.json"), std::string::npos);
  expect_one_line_error("lifecycle --training-energy-j Bhyp:1=7 --coeffs " + fit_json, "--size");
}

TEST_F(CliLifecycle, BadInputsGiveOneLine) {
  const std::string t = " --training " + training_csv, r = " --results " + results_csv;
  expect_one_line_error("lifecycle" + r, "no training energy");
  expect_one_line_error("lifecycle --training /no/such.csv" + r, "/no/such.csv");
  expect_one_line_error("lifecycle --training " + results_csv + r, "training log");
  expect_one_line_error("lifecycle" + t + r + " --pue 0.5", "--pue");
  expect_one_line_error("lifecycle" + t + r + " --grid-intensity-g-per-kwh -3", "--grid-intensity-g-per-kwh");
  // The old spelling is refused, naming the new one.
  expect_one_line_error("lifecycle" + t + r + " --grid-intensity 300", "--grid-intensity-g-per-kwh");
  expect_one_line_error("lifecycle" + t + r + " --images 10,0", "--images");
  expect_one_line_error("lifecycle" + t + r + " --schedule imagenet", "compressai");
  expect_one_line_error("lifecycle" + t + r + " --schedule compressai --rescale crops", "unknown --rescale 'crops'");
  expect_one_line_error("lifecycle" + t + r + " --iterations 1000 --rescale none", "--rescale applies to --schedule");
  expect_one_line_error("lifecycle" + t + r + " --coeffs fit.json --size 64x64", "both given");
  expect_one_line_error("lifecycle" + t + r + " --quality 3", "Bfac q3");
  expect_one_line_error("lifecycle" + t + r + " --output " + (dir / "l.txt").string(), ".csv or .json");
  expect_one_line_error("lifecycle --training-energy-j Bfac=5" + r, "NETWORK:QUALITY=JOULES");
  expect_one_line_error("lifecycle --training-energy-j Zfac:1=5" + r, "Zfac");
  expect_one_line_error("lifecycle --training-energy-j Bfac:1=5", "no inference energy");
  expect_one_line_error("lifecycle" + t + " --plot " + (dir / "p").string(), "--plot");
  expect_one_line_error("lifecycle" + t + " --schedule compressai --warmup-iterations 20", "at least 2");
}
