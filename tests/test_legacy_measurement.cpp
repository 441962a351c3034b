// The legacy codecs as measured workloads (issue 17): the workload's stages,
// the rate and distortion in the record, the names in run, measure and
// campaign, the campaign's legacy_qualities and [[weights]], and bad input.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "campaign/campaign.h"
#include "coding/stage.h"
#include "legacy/jpeg_codec.h"
#include "legacy/jxl_codec.h"
#include "legacy/legacy_codecs.h"
#include "legacy/legacy_measurement.h"
#include "protocol/codec_measurement.h"
#include "protocol/results_csv.h"
#include "quality/bits_per_pixel.h"
#include "quality/psnr.h"
#include "test_util.h"

namespace fs = std::filesystem;
using namespace nicenergy;
using test_util::error_of;
using test_util::kodak_image;
using test_util::spit;
using test_util::TempDir;

namespace {

// Short windows: enough for the machinery, not for precision.
const char* kQuick = " --idle-s 0.3 --window-s 0.1 --k-min 2 --k-max 3 --preheat-max-s 0 --threads 1";

Image crop(const Image& full, int width, int height) {
  Image image;
  image.width = width;
  image.height = height;
  for (int y = 0; y < height; ++y)
    image.rgb.insert(image.rgb.end(), full.rgb.begin() + static_cast<size_t>(y) * full.width * 3,
                     full.rgb.begin() + (static_cast<size_t>(y) * full.width + width) * 3);
  return image;
}

bool compiled_in(const std::string& name) { return legacy_codec(name).available; }

}  // namespace

TEST(LegacyWorkload, RecordsTheRealRateAndDistortionOfThePoint) {
  const Image image = crop(kodak_image("kodim01.png"), 256, 192);
  const LegacyWorkload w = make_legacy_workload("JPEG", 50, image, "kodim01 crop");
  EXPECT_EQ(w.codec->name, "jpeg");
  // The rate is the bitstream's, the distortion the decoded image's, computed here independently.
  const std::vector<uint8_t> bytes = encode_jpeg(image, {50});
  EXPECT_EQ(w.bitstream, bytes);
  EXPECT_DOUBLE_EQ(w.rd.bpp, bits_per_pixel(bytes.size(), 256, 192));
  EXPECT_DOUBLE_EQ(w.rd.psnr_db, psnr_db(image, decode_jpeg(bytes)));
  EXPECT_GT(w.rd.psnr_db, 24.0);
  EXPECT_LT(w.rd.psnr_db, 40.0);
  ASSERT_TRUE(w.rd.ms_ssim.has_value());
  EXPECT_GT(*w.rd.ms_ssim, 0.8);
  EXPECT_LT(*w.rd.ms_ssim, 1.0);
  // Below MS-SSIM's minimum side the rate and PSNR remain, MS-SSIM does not.
  const LegacyWorkload small = make_legacy_workload("jpeg", 50, crop(image, 128, 96), "small");
  EXPECT_FALSE(small.rd.ms_ssim.has_value());
  EXPECT_GT(small.rd.bpp, 0.1);
}

TEST(LegacyWorkload, EachStageRunsItsSideAndTheRecordSaysWhich) {
  const Image image = crop(kodak_image("kodim04.png"), 192, 176);
  for (Stage stage : {Stage::chain, Stage::encode, Stage::decode}) {
    const LegacyWorkload w = make_legacy_workload("jpeg", 75, image, "kodim04 crop", stage);
    const Workload work = w.workload();
    work.run_once();  // runs, and throws nothing
    work.synchronize();
    ProtocolResult result;
    result.energy_j = 0.01;
    result.k = 3;
    result.m = 4;
    const MeasurementRecord r = make_record(w, result, "cpu", "2026-11-24T00:00:00Z");
    EXPECT_EQ(r.network, "jpeg");
    EXPECT_EQ(r.abbr, "JPEG");
    EXPECT_EQ(r.quality, 75);
    EXPECT_EQ(r.level, "custom");
    EXPECT_EQ(r.stage, to_string(stage));
    EXPECT_EQ(r.padded_width, 192);
    EXPECT_EQ(r.libtorch, "");
    ASSERT_TRUE(r.bpp && r.psnr_db && r.ms_ssim);
    EXPECT_DOUBLE_EQ(*r.bpp, w.rd.bpp);
  }
}

TEST(LegacyWorkload, RefusesWhatItCannotMeasureInOneLine) {
  const Image image = crop(kodak_image(), 64, 64);
  const std::vector<std::pair<std::function<void()>, std::string>> cases = {
      {[&] { make_legacy_workload("jpeg", 101, image, "x"); }, "jpeg quality 101 is outside 1..100"},
      {[&] { make_legacy_workload("jpeg", 50, image, "x", Stage::analysis); }, "stages chain, encode and decode"},
      {[&] { make_legacy_workload("gif", 50, image, "x"); }, "legacy codec 'gif' is unknown"},
  };
  for (const auto& [f, fragment] : cases) {
    const std::string message = error_of(f);
    EXPECT_NE(message.find(fragment), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

TEST(LegacyNames, FoundByNameOrAbbrInAnyCase) {
  EXPECT_EQ(find_legacy_codec("JPEG-XL")->name, "jxl");
  EXPECT_EQ(find_legacy_codec("WebP")->name, "webp");
  EXPECT_EQ(find_legacy_codec("jpeg2000")->abbr, "JPEG-2000");
  EXPECT_EQ(find_legacy_codec("Bfac"), nullptr);
  EXPECT_EQ(find_legacy_codec("model.pt"), nullptr);
  EXPECT_EQ(legacy_codec_names(), "jpeg, webp, avif, jxl, heic, jpeg2000");
}

// ---- the CLI ----------------------------------------------------------------

TEST(CliLegacy, RunPrintsTheRealRateAndPsnr) {
  TempDir dir;
  const Result r = run_cli("run --model jpeg --quality 90 --input data/images/kodim01.png --output " +
                           dir.file("x.png"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("the bitstream"), std::string::npos) << r.out;
  const Image decoded = load_image(dir.file("x.png"));
  const double psnr = psnr_db(kodak_image("kodim01.png"), decoded);
  EXPECT_GT(psnr, 30.0);  // the plausibility check: JPEG q90 on kodim01
  char expected[32];
  std::snprintf(expected, sizeof expected, "PSNR       %.2f dB", psnr);
  EXPECT_NE(r.out.find(expected), std::string::npos) << r.out;
}

TEST(CliLegacy, MeasureGivesARecordWithRateAndDistortion) {
  const Result r = run_cli("measure --model webp --quality 50 --input data/images/kodim02.png --meter estimate --json" +
                           std::string(kQuick));
  if (!compiled_in("webp")) {
    EXPECT_NE(r.code, 0);
    GTEST_SKIP() << "built without libwebp";
  }
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  for (const auto& column : measurement_columns()) EXPECT_TRUE(j.contains(column)) << column;
  EXPECT_EQ(j["network"], "webp");
  EXPECT_EQ(j["abbr"], "WebP");
  EXPECT_EQ(j["quality"], 50);
  EXPECT_EQ(j["meter"], "estimate");
  EXPECT_GT(j["energy_j"].get<double>(), 0);
  const Image image = kodak_image("kodim02.png");
  const LegacyWorkload w = make_legacy_workload("webp", 50, image, "kodim02");
  EXPECT_DOUBLE_EQ(j["bpp"].get<double>(), w.rd.bpp);
  EXPECT_DOUBLE_EQ(j["psnr_db"].get<double>(), w.rd.psnr_db);
  EXPECT_NE(j["library"].get<std::string>().find("libwebp"), std::string::npos);
  EXPECT_NE(r.err.find("ESTIMATE"), std::string::npos) << "the estimate must be labelled";
}

// A legacy codec runs no LibTorch: its measurement names no energy mode and no
// LibTorch threads ("mode float32" and "LibTorch , 0 threads" were printed).
TEST(CliLegacy, MeasureNamesNoLibTorchModeOrThreads) {
  const Result r = run_cli("measure --model jpeg --quality 50 --input data/images/kodim02.png --meter estimate" +
                           std::string(kQuick));
  if (!compiled_in("jpeg")) GTEST_SKIP() << "built without libjpeg";
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out.find("(LibTorch "), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("threads"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("mode float32"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(no LibTorch)"), std::string::npos) << r.out;
}

TEST(CliLegacy, BadOptionsGiveOneLineErrors) {
  const std::string q = kQuick;
  const std::string input = " --input data/images/kodim01.png";
  expect_one_line_error("measure --model jpeg --quality 0 --meter estimate" + input + q, "jpeg quality 0 is outside 1..100");
  expect_one_line_error("measure --model avif --quality 64 --meter estimate" + input + q, "avif quantizer 64 is outside 0..63");
  expect_one_line_error("measure --model jpeg --quality 50 --stage synthesis --meter estimate" + input + q,
                        "stages chain, encode and decode");
  expect_one_line_error("measure --model jpeg --quality 50 --weights x.safetensors --meter estimate" + input + q,
                        "jpeg has none");
  // Where CUDA is there, the codec refuses it; elsewhere the device does: both say what to use.
  expect_one_line_error("measure --model jpeg --quality 50 --device cuda --meter estimate" + input + q,
                        "--device cpu");
  expect_one_line_error("measure --model gif --quality 50 --meter estimate" + input + q, "legacy codec (jpeg, webp");
  expect_one_line_error("run --model jxl --quality 100" + input, "jxl quality 100 is outside 1..99");
  expect_one_line_error("run --model jpeg --quality 50 --input data/images/missing.png", "missing.png");
  expect_one_line_error("run --model gif --quality 50" + input, "unknown model 'gif'");
}

TEST(CliLegacy, CodecsListsEveryCodecAndWhatIsBuiltIn) {
  const Result r = run_cli("codecs");
  ASSERT_EQ(r.code, 0) << r.err;
  for (const LegacyCodec& codec : legacy_codecs()) {
    EXPECT_NE(r.out.find(codec.name + " "), std::string::npos) << r.out;
    // The version's first words (libavif and libheif append their plugins').
    const std::string version = codec.library_version().substr(0, codec.library_version().find(" ("));
    EXPECT_NE(r.out.find(codec.available ? version : codec.unavailable_reason), std::string::npos) << r.out;
  }
}

// ---- campaigns --------------------------------------------------------------

namespace {

std::string write_campaign(const TempDir& dir, const std::string& campaign, const std::string& extra = "") {
  const std::string path = dir.file("legacy.toml");
  spit(path, "[campaign]\nname = \"legacy\"\noutput = \"" + dir.file("out.csv") +
                 "\"\ndevice = \"cpu\"\nmeter = \"estimate\"\n" + campaign +
                 "[protocol]\nidle_s = 0.3\nwindow_s = 0.1\nk_min = 2\nk_max = 3\npreheat_max_s = 0\n"
                 "[[images]]\nsizes = [\"176x176\"]\nfrom = \"" +
                 fs::absolute("data/images").string() + "\"\nmethod = \"mosaic\"\n" + extra);
  return path;
}

std::string config_error(const std::string& path) {
  return error_of([&] { load_campaign_config(path); });
}

}  // namespace

TEST(LegacyCampaign, PlansEachCodecAtItsQualitiesAndStages) {
  TempDir dir;
  const std::string path = write_campaign(
      dir,
      "models = [\"bfac\", \"JPEG\", \"webp\"]\nqualities = [1, 2]\nstages = [\"encode\", \"decode\", \"analysis\"]\n"
      "legacy_qualities = { jpeg = [90, 30, 30] }\n",
      "[[weights]]\nmodel = \"Bfac\"\nquality = 1\nfile = \"" + fs::absolute("data/weights/bfac-q1.safetensors").string() +
          "\"\n");
  const CampaignConfig c = load_campaign_config(path);
  std::vector<std::string> expected_legacy = {"jpeg"};
  if (compiled_in("webp")) expected_legacy.push_back("webp");
  EXPECT_EQ(subject_names(c, SubjectKind::classic), expected_legacy);
  EXPECT_EQ(c.sweep.own_qualities.at("jpeg"), (std::vector<int>{30, 90}));
  ASSERT_EQ(c.weights.size(), 1u);
  EXPECT_EQ(c.weights[0].model, "bmshj2018_factorized");
  std::map<std::string, std::set<int>> qualities;
  size_t legacy_points = 0;
  for (const CampaignPoint& p : plan_campaign(c)) {
    qualities[p.subject.name].insert(p.subject.quality);
    if (p.subject.kind == SubjectKind::classic) {
      ++legacy_points;
      EXPECT_NE(p.subject.stage, "analysis") << "a legacy codec has no analysis stage";
      EXPECT_EQ(p.level, "custom");
      EXPECT_TRUE(p.subject.weights.empty());
    } else {
      EXPECT_EQ(p.subject.weights.empty(), p.subject.quality != 1) << p.label();  // only Bfac q1 has trained weights
    }
  }
  EXPECT_EQ(qualities["jpeg"], (std::set<int>{30, 90}));
  if (compiled_in("webp")) EXPECT_EQ(qualities["webp"].size(), legacy_codec("webp").default_settings.size());
  EXPECT_EQ(legacy_points, (2 + (compiled_in("webp") ? 5 : 0)) * 2u);  // encode and decode
}

TEST(LegacyCampaign, BadConfigsNameTheProblem) {
  TempDir dir;
  const std::string models = "models = [\"jpeg\", \"bfac\"]\nlevels = [\"low\"]\n";
  const std::string weights = fs::absolute("data/weights/bfac-q1.safetensors").string();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {models + "legacy_qualities = { jpeg = [0] }\n", "jpeg quality 0 is outside 1..100"},
      {models + "legacy_qualities = { gif = [10] }\n", "'gif', not a legacy codec"},
      {models + "legacy_qualities = { avif = [10] }\n", "which models does not"},
      {models + "legacy_qualities = { jpeg = 10 }\n", "must be a list of whole numbers"},
      {models + "legacy_qualities = [10]\n", "legacy_qualities must be a table"},
      {models + "stages = [\"analysis\"]\n", "legacy codecs have the stages chain, encode and decode"},
      {"models = [\"jpeg\"]\ndevice = \"cuda\"\n", "runs on the CPU"},
  };
  for (const auto& [campaign, fragment] : cases) {
    // device = "cuda" overrides the file's cpu: TOML refuses a key twice, so write it alone.
    std::string text = campaign;
    const std::string path = write_campaign(dir, text);
    std::string body = test_util::slurp(path);
    if (campaign.find("device") != std::string::npos) body.replace(body.find("device = \"cpu\"\n"), 15, "");
    spit(path, body);
    const std::string message = config_error(path);
    EXPECT_NE(message.find(fragment), std::string::npos) << campaign << ": " << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
  const std::vector<std::pair<std::string, std::string>> weights_cases = {
      {"[[weights]]\nmodel = \"Bhyp\"\nquality = 1\nfile = \"" + weights + "\"\n", "which models does not measure"},
      {"[[weights]]\nmodel = \"Bfac\"\nquality = 1\nfile = \"missing.safetensors\"\n", "missing.safetensors"},
      {"[[weights]]\nmodel = \"Bfac\"\nquality = 9\nfile = \"" + weights + "\"\n", "quality"},
      {"[[weights]]\nmodel = \"Bfac\"\nfile = \"" + weights + "\"\n", "needs model, quality and file"},
      {"[[weights]]\nmodel = \"Bfac\"\nquality = 1\nfile = \"" + weights + "\"\n[[weights]]\nmodel = \"Bfac\"\nquality = 1\nfile = \"" +
           weights + "\"\n",
       "two [[weights]]"},
  };
  for (const auto& [extra, fragment] : weights_cases) {
    const std::string message = config_error(write_campaign(dir, models, extra));
    EXPECT_NE(message.find(fragment), std::string::npos) << extra << ": " << message;
  }
}

// Legacy codecs and the shipped trained Bfac in one campaign: every row has
// its rate and distortion, equal to the codec's own on the point's image, and
// a second start measures nothing.
TEST(CliLegacyCampaign, MeasuresLegacyAndTrainedCodecsWithRateAndDistortion) {
  TempDir dir;
  const std::string path = write_campaign(
      dir, "models = [\"bfac\", \"jpeg\"]\nqualities = [1]\nlegacy_qualities = { jpeg = [20, 80] }\n",
      "[[weights]]\nmodel = \"bfac\"\nquality = 1\nfile = \"" +
          fs::absolute("data/weights/bfac-q1.safetensors").string() + "\"\n");
  const Result first = run_cli("campaign " + path + " --threads 1");
  ASSERT_EQ(first.code, 0) << first.err;
  const auto rows = read_results(dir.file("out.csv"));
  ASSERT_EQ(rows.size(), 3u);
  const CampaignConfig config = load_campaign_config(path);
  const Image image = load_image_source(config.images.at(0));
  for (const MeasurementRecord& r : rows) {
    ASSERT_TRUE(r.bpp && r.psnr_db && r.ms_ssim) << r.abbr << " q" << r.quality;
    EXPECT_GT(r.energy_j, 0);
    if (r.network == "jpeg") {
      const LegacyWorkload w = make_legacy_workload("jpeg", r.quality, image, "x");
      EXPECT_DOUBLE_EQ(*r.bpp, w.rd.bpp);
      EXPECT_DOUBLE_EQ(*r.psnr_db, w.rd.psnr_db);
    } else {
      // The trained codec codes for real: a rate far below raw, a PSNR no seeded network reaches.
      EXPECT_EQ(r.abbr, "Bfac");
      EXPECT_GT(*r.psnr_db, 20.0);
      EXPECT_LT(*r.bpp, 2.0);
    }
  }
  const auto jpeg_low = std::find_if(rows.begin(), rows.end(), [](auto& r) { return r.quality == 20; });
  const auto jpeg_high = std::find_if(rows.begin(), rows.end(), [](auto& r) { return r.quality == 80; });
  ASSERT_TRUE(jpeg_low != rows.end() && jpeg_high != rows.end());
  EXPECT_GT(*jpeg_high->bpp, *jpeg_low->bpp);
  EXPECT_GT(*jpeg_high->psnr_db, *jpeg_low->psnr_db);

  // fit and report take the rows: nothing here has two sizes, so the fits are
  // left out with notes, and the report draws the rate-distortion section.
  const Result fit = run_cli("fit " + dir.file("out.csv"));
  EXPECT_EQ(fit.code, 0) << fit.err;
  EXPECT_NE(fit.err.find("legacy codecs (JPEG) are not networks"), std::string::npos) << fit.err;
  const Result report = run_cli("report " + dir.file("out.csv") + " --output " + dir.file("report"));
  ASSERT_EQ(report.code, 0) << report.err;
  const std::string points = test_util::slurp(dir.file("report/rd_points.csv"));
  EXPECT_NE(points.find("JPEG,jpeg,legacy,20,1,"), std::string::npos) << points;
  EXPECT_NE(points.find("Bfac,bmshj2018_factorized,learned,1,1,"), std::string::npos) << points;

  const Result again = run_cli("campaign " + path + " --threads 1");
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_NE(again.err.find("0 measured, 3 already done"), std::string::npos) << again.err;
}

// A codec built without its library (-DNICENERGY_LEGACY_SKIP, or the library
// missing): one line from run and measure, and a campaign that names it
// measures the rest. Skipped where every codec is built in.
TEST(CliLegacy, ACodecBuiltWithoutItsLibraryIsSaidInOneLine) {
  const LegacyCodec* missing = nullptr;
  for (const LegacyCodec& codec : legacy_codecs())
    if (!codec.available) missing = &codec;
  if (!missing) GTEST_SKIP() << "every legacy codec is built in (configure with -DNICENERGY_LEGACY_SKIP=WEBP to run this)";
  const std::string setting = std::to_string(static_cast<int>(missing->default_settings[0]));
  expect_one_line_error("run --model " + missing->name + " --quality " + setting + " --input data/images/kodim01.png",
                        missing->unavailable_reason);
  expect_one_line_error("measure --model " + missing->name + " --quality " + setting +
                            " --input data/images/kodim01.png --meter estimate" + std::string(kQuick),
                        missing->unavailable_reason);
  TempDir dir;
  const std::string path =
      write_campaign(dir, "models = [\"jpeg\", \"" + missing->name + "\"]\nlegacy_qualities = { jpeg = [50] }\n");
  const Result r = run_cli("campaign " + path + " --threads 1");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("note: " + missing->unavailable_reason + "; left out of this campaign"), std::string::npos)
      << r.err;
  const auto rows = read_results(dir.file("out.csv"));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].network, "jpeg");
}

// An 87-byte 1x2049 black PNG (the hostile input a fuzzer found) killed
// libjxl 0.7 with SIGSEGV, and with it run, measure and the campaign, which
// never logged the point and so died again on every resume. Now it is refused in
// one line naming the size and the library; the campaign logs the point as
// failed, measures the next, and a resume fails it again in a line instead of
// dying.
TEST(CliLegacy, TheSizesLibjxl07CrashesOnAreRefusedAndTheCampaignGoesOn) {
  if (!compiled_in("jxl")) GTEST_SKIP() << "built without libjxl";
  const std::string version = jxl_library_version();
  if (version.rfind("0.7.", 0) != 0) GTEST_SKIP() << "libjxl " << version << " is not the 0.7 that crashes";
  TempDir dir;
  Image tall;
  tall.width = 1;
  tall.height = 2049;
  tall.rgb.assign(3 * 2049, 0);
  const std::string input = dir.file("tall.png");
  save_png(tall, input);
  const std::string refused = "libjxl " + version + " crashes on a 1x2049 image";
  expect_one_line_error("run --model jxl --quality 30 --input " + input, refused);
  // measure refuses it once the idle reference is taken (its notes come first).
  const Result measured = run_cli("measure --model jxl --quality 50 --meter estimate --input " + input + kQuick);
  EXPECT_EQ(measured.code, 1) << measured.err;
  EXPECT_NE(measured.err.find("error: JPEG XL: " + refused), std::string::npos) << measured.err;

  // The campaign on a grey ramp of the same size (the crash does not depend on
  // the pixels; a black image would decode exactly, with a PSNR of inf).
  for (int y = 0; y < tall.height; ++y)
    for (int c = 0; c < 3; ++c) tall.rgb[3 * y + c] = static_cast<uint8_t>((y * 255) / tall.height);
  save_png(tall, input);

  const std::string config = dir.file("jxl.toml");
  spit(config, "[campaign]\nname = \"jxl\"\noutput = \"" + dir.file("out.csv") +
                   "\"\ndevice = \"cpu\"\nmeter = \"estimate\"\nmodels = [\"jxl\"]\nlegacy_qualities = { jxl = [30, 90] }\n"
                   "[protocol]\nidle_s = 0.3\nwindow_s = 0.1\nk_min = 2\nk_max = 3\npreheat_max_s = 0\n"
                   "[[images]]\nfiles = [\"" + input + "\"]\n");
  for (int run = 1; run <= 2; ++run) {
    const Result r = run_cli("campaign " + config + " --threads 1");
    EXPECT_EQ(r.code, 1) << "run " << run << ": " << r.err;  // the failure said, not a signal
    const std::vector<MeasurementRecord> records = read_results(dir.file("out.csv"));
    ASSERT_EQ(records.size(), 1u) << "run " << run;
    EXPECT_EQ(records[0].quality, 90);  // distance 1: outside the crashing settings
    const std::string errors = test_util::slurp(dir.file("out.csv.errors"));
    EXPECT_EQ(std::count(errors.begin(), errors.end(), '\n'), run) << errors;
    EXPECT_NE(errors.find(refused), std::string::npos) << errors;
  }
}
