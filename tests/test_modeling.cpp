// Energy models: Eq. (2) fits, Eq. (3) MRE under fixed cross-validation folds,
// alpha vs kMAC, prediction, JSON and Table 2.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <unistd.h>

#include "error.h"
#include "modeling/coefficients.h"
#include "modeling/fit.h"
#include "modeling/predict.h"
#include "protocol/results_csv.h"
#include "report/fit_tables.h"
#include "report/text_table.h"
#include "test_util.h"

using namespace nicenergy;
using test_util::error_of;

namespace {

MeasurementRecord make_record(const std::string& abbr, const std::string& level, int width, int height,
                              double energy_j, int quality = 1, const std::string& image = "") {
  MeasurementRecord r;
  r.network = abbr == "Bfac" ? "bmshj2018_factorized" : abbr == "Bhyp" ? "bmshj2018_hyperprior" : abbr;
  r.abbr = abbr;
  r.level = level;
  r.quality = quality;
  r.width = width;
  r.height = height;
  r.pixels = static_cast<int64_t>(width) * height;
  r.image = image.empty() ? std::to_string(width) + "x" + std::to_string(height) : image;
  r.energy_j = energy_j;
  return r;
}

// Known alpha and beta, 6 sizes x 3 qualities, noise a fixed pattern of -1 % .. +1 %.
std::vector<MeasurementRecord> synthetic(const std::string& abbr, const std::string& level, double alpha,
                                         double beta) {
  const int sizes[][2] = {{256, 256}, {512, 384}, {768, 512}, {1024, 768}, {1536, 1024}, {2048, 1536}};
  std::vector<MeasurementRecord> out;
  int i = 0;
  for (const auto& s : sizes)
    for (int q = 1; q <= 3; ++q, ++i) {
      const double noise = 0.01 * (((i * 7) % 5) - 2) / 2.0;  // -1, -0.5, 0, 0.5, 1 %
      const double s_px = static_cast<double>(s[0]) * s[1];
      out.push_back(make_record(abbr, level, s[0], s[1], (alpha * s_px + beta) * (1 + noise), q));
    }
  return out;
}

// The three points of the hand computation: S = 1, 2, 3 pixels, E = 2, 3, 5 J.
std::vector<MeasurementRecord> three_points() {
  return {make_record("Bfac", "low", 1, 1, 2.0), make_record("Bfac", "low", 2, 1, 3.0),
          make_record("Bfac", "low", 3, 1, 5.0)};
}

std::string temp_dir(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("nicenergy_modeling_" + name + "_" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}


}  // namespace

TEST(Fit, RecoversKnownAlphaAndBeta) {
  auto records = synthetic("Bfac", "low", 2.0e-7, 0.05);
  auto high = synthetic("Bfac", "high", 5.0e-7, 0.12);
  records.insert(records.end(), high.begin(), high.end());
  const std::vector<EnergyFit> fits = fit_energy(records);
  ASSERT_EQ(fits.size(), 2u);
  EXPECT_EQ(fits[0].level, "low");  // paper order: low before high
  EXPECT_EQ(fits[0].n, 18);
  // +-1 % noise moves alpha by well under 1 % and beta by a few mJ.
  EXPECT_NEAR(fits[0].alpha_j_per_pixel, 2.0e-7, 0.01 * 2.0e-7);
  EXPECT_NEAR(fits[0].beta_j, 0.05, 0.005);
  EXPECT_NEAR(fits[1].alpha_j_per_pixel, 5.0e-7, 0.01 * 5.0e-7);
  EXPECT_NEAR(fits[1].beta_j, 0.12, 0.012);
  for (const EnergyFit& f : fits) {
    EXPECT_GT(f.pearson, 0.999);
    EXPECT_LT(f.mre, 0.015);  // noise is at most 1 %, so held-out errors stay near it
    EXPECT_LT(f.mre_in_sample, 0.01);
    EXPECT_GT(f.mre, 0.0);
    EXPECT_EQ(f.network, "bmshj2018_factorized");
  }
}

TEST(Fit, HandComputedPearsonAndMre) {
  // S = 1, 2, 3; E = 2, 3, 5. Means 2 and 10/3; Sxx = 2, Sxy = 4/3 + 5/3 = 3,
  // Syy = 16/9 + 1/9 + 25/9 = 14/3. alpha = 3/2, beta = 10/3 - 3 = 1/3,
  // Pearson = 3 / sqrt(2 * 14/3) = 0.9819805.
  // In sample: predictions 11/6, 10/3, 29/6 -> errors 1/12, 1/9, 1/30, mean 0.0759259.
  // Leave-one-out (3 points < 10): without S=1 the line is E = 2S - 1 -> 1, error 1/2;
  // without S=2, E = 1.5S + 0.5 -> 3.5, error 1/6; without S=3, E = S + 1 -> 4,
  // error 1/5. MRE = (1/2 + 1/6 + 1/5) / 3 = 0.2888889.
  const std::vector<EnergyFit> fits = fit_energy(three_points());
  ASSERT_EQ(fits.size(), 1u);
  EXPECT_NEAR(fits[0].alpha_j_per_pixel, 1.5, 1e-12);
  EXPECT_NEAR(fits[0].beta_j, 1.0 / 3.0, 1e-12);
  EXPECT_NEAR(fits[0].pearson, 3.0 / std::sqrt(28.0 / 3.0), 1e-12);
  EXPECT_NEAR(fits[0].pearson, 0.9819805, 1e-7);
  EXPECT_NEAR(fits[0].mre_in_sample, (1.0 / 12 + 1.0 / 9 + 1.0 / 30) / 3, 1e-12);
  EXPECT_NEAR(fits[0].mre, (0.5 + 1.0 / 6 + 0.2) / 3, 1e-12);
  EXPECT_NEAR(fits[0].mre, 0.2888889, 1e-7);
}

TEST(Fit, Eq2IsAlphaTimesPixelsPlusBeta) {
  EXPECT_DOUBLE_EQ(model_energy_j(2e-6, 0.5, 1e6), 2.5);
  EXPECT_DOUBLE_EQ(model_energy_j(1e-6, -0.25, 768.0 * 512), 768.0 * 512 * 1e-6 - 0.25);
}

TEST(Fit, MeanRelativeErrorByHand) {
  // |110-100|/100 = 0.1, |90-100|/100 = 0.1, |30-20|/20 = 0.5 -> 0.7 / 3.
  EXPECT_NEAR(mean_relative_error({110, 90, 30}, {100, 100, 20}), 0.7 / 3, 1e-15);
  EXPECT_THROW(mean_relative_error({1}, {0}), Error);
  EXPECT_THROW(mean_relative_error({}, {}), Error);
  EXPECT_THROW(mean_relative_error({1, 2}, {1}), Error);
}

TEST(Fit, FoldsFollowTheRankRule) {
  // 12 points: ranks 0..11 by pixels, so the two smallest of rank 0 and 10 share fold 0.
  std::vector<MeasurementRecord> group;
  for (int i = 12; i >= 1; --i) group.push_back(make_record("Bfac", "low", 100 * i, 100, 1.0 * i));
  const std::vector<int> folds = cv_folds(group);
  // group[11] is the smallest (rank 0), group[0] the largest (rank 11).
  EXPECT_EQ(folds[11], 0);
  EXPECT_EQ(folds[1], 0);  // 100*11 pixels wide: rank 10
  EXPECT_EQ(folds[0], 1);  // rank 11
  EXPECT_EQ(folds[2], 9);  // rank 9
  EXPECT_EQ(*std::max_element(folds.begin(), folds.end()), 9);
}

TEST(Fit, FoldsAndMreDoNotDependOnRowOrder) {
  std::vector<MeasurementRecord> records = synthetic("Bhyp", "high", 3.0e-7, 0.08);
  // Two images of one size and quality: the image name breaks the tie.
  records.push_back(make_record("Bhyp", "high", 768, 512, 0.2, 1, "kodim01"));
  records.push_back(make_record("Bhyp", "high", 768, 512, 0.21, 1, "kodim02"));
  std::vector<MeasurementRecord> shuffled = records;
  std::reverse(shuffled.begin(), shuffled.end());
  std::rotate(shuffled.begin(), shuffled.begin() + 7, shuffled.end());

  auto key = [](const MeasurementRecord& r) { return r.image + "/" + std::to_string(r.quality); };
  std::map<std::string, int> a, b;
  const std::vector<int> folds_a = cv_folds(records), folds_b = cv_folds(shuffled);
  for (size_t i = 0; i < records.size(); ++i) a[key(records[i])] = folds_a[i], b[key(shuffled[i])] = folds_b[i];
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.size(), records.size());

  const EnergyFit fa = fit_energy(records)[0], fb = fit_energy(shuffled)[0];
  EXPECT_NEAR(fa.mre, fb.mre, 1e-12);
  EXPECT_NEAR(fa.alpha_j_per_pixel, fb.alpha_j_per_pixel, 1e-18);
  EXPECT_NEAR(fa.mre_in_sample, fb.mre_in_sample, 1e-12);
}

TEST(Fit, ErrorCases) {
  EXPECT_NE(error_of([] { fit_energy({}); }).find("no measurements"), std::string::npos);
  auto two = three_points();
  two.pop_back();
  const std::string few = error_of([&] { fit_energy(two); });
  EXPECT_NE(few.find("at least 3"), std::string::npos) << few;
  EXPECT_NE(few.find("bmshj2018_factorized"), std::string::npos) << few;
  std::vector<MeasurementRecord> one_size = {make_record("Bfac", "low", 64, 64, 1.0, 1),
                                             make_record("Bfac", "low", 64, 64, 1.1, 2),
                                             make_record("Bfac", "low", 64, 64, 1.2, 3)};
  const std::string single = error_of([&] { fit_energy(one_size); });
  EXPECT_NE(single.find("at least 2 sizes"), std::string::npos) << single;
  // A good group does not hide a bad one.
  auto mixed = synthetic("Bhyp", "low", 1e-7, 0.01);
  mixed.insert(mixed.end(), two.begin(), two.end());
  EXPECT_THROW(fit_energy(mixed), Error);
  EXPECT_THROW(fit_line({1, 1, 1}, {1, 2, 3}, "test"), Error);
}

// Issue 19, defect 13: two campaigns appending to one CSV left duplicate rows,
// which the fit counted twice. A point measured twice is refused, named.
TEST(Fit, DuplicateMeasurementsAreRefused) {
  auto records = synthetic("Bhyp", "low", 1e-7, 0.01);
  ASSERT_NO_THROW(fit_energy(records));
  records.push_back(records[2]);
  records.back().energy_j *= 1.01;  // measured again, a slightly different energy
  const std::string message = error_of([&] { fit_energy(records); });
  EXPECT_NE(message.find("measured twice"), std::string::npos) << message;
  EXPECT_NE(message.find(measurement_key(records[2]).text()), std::string::npos) << message;
  EXPECT_NE(message.find("campaign merge"), std::string::npos) << message;
}

// Issue 18: energies of two GPU models are two lines; one fit through both is
// neither's alpha, so it is refused (the report and `fit` fit each apart).
TEST(Fit, RecordsOfTwoDeviceModelsAreNotFittedTogether) {
  auto h100 = synthetic("Bhyp", "low", 1.1e-7, 0.012);
  auto a100 = synthetic("Bhyp", "low", 1.9e-7, 0.02);
  for (auto& r : h100) r.gpu = "NVIDIA H100 80GB HBM3";
  for (auto& r : a100) r.gpu = "NVIDIA A100-SXM4-40GB";
  const auto alone = fit_energy(h100);
  ASSERT_EQ(alone.size(), 1u);
  EXPECT_NEAR(alone[0].alpha_j_per_pixel, 1.1e-7, 0.02e-7);
  EXPECT_NEAR(fit_energy(a100)[0].alpha_j_per_pixel, 1.9e-7, 0.03e-7);
  std::vector<MeasurementRecord> both = h100;
  both.insert(both.end(), a100.begin(), a100.end());
  const std::string message = error_of([&] { fit_energy(both); });
  EXPECT_NE(message.find("2 device models"), std::string::npos) << message;
  EXPECT_NE(message.find("NVIDIA H100 80GB HBM3"), std::string::npos) << message;
  EXPECT_NE(message.find("NVIDIA A100-SXM4-40GB"), std::string::npos) << message;
  // Another card of the same model is the same device model.
  for (size_t i = 0; i < h100.size(); i += 2) h100[i].gpu_uuid = "GPU-second-card";
  EXPECT_NO_THROW(fit_energy(h100));
}

// A report that also holds legacy codecs or single RD points: what cannot be
// fitted is left out with its reason; the same fit as fit_models for the rest.
TEST(Fit, SkippingLeavesOutWhatCannotBeFitted) {
  auto records = synthetic("Bfac", "low", 2.0e-7, 0.05);
  records.push_back(make_record("jpeg", "custom", 768, 512, 0.004, 20, "a.png"));
  records.push_back(make_record("jpeg", "custom", 768, 512, 0.005, 40, "b.png"));
  records.push_back(make_record("jpeg", "custom", 768, 512, 0.006, 60, "c.png"));
  records.push_back(make_record("Bhyp", "low", 768, 512, 2.5, 3, "a.png"));
  EXPECT_THROW(fit_models(records, {}), Error);
  const FitResult skipping = fit_models_skipping(records, {});
  ASSERT_EQ(skipping.fits.size(), 1u);
  EXPECT_EQ(skipping.fits[0].abbr, "Bfac");
  const FitResult alone = fit_models(synthetic("Bfac", "low", 2.0e-7, 0.05), {});
  EXPECT_DOUBLE_EQ(skipping.fits[0].alpha_j_per_pixel, alone.fits[0].alpha_j_per_pixel);
  auto has_note = [&](const std::string& part) {
    return std::any_of(skipping.notes.begin(), skipping.notes.end(),
                       [&](const std::string& n) { return n.find(part) != std::string::npos; });
  };
  EXPECT_TRUE(has_note("energy fit of jpeg (jpeg), level custom: all images have 393216 pixels"));
  EXPECT_TRUE(has_note("(left out of the fits)"));
  EXPECT_TRUE(has_note("Bhyp), level low: 1 measurement(s), need at least 3"));
  // What concerns all groups still throws: a point measured twice.
  records.push_back(records.front());
  EXPECT_THROW(fit_models_skipping(records, {}), Error);
}

TEST(KmacFit, HandComputedAndExact) {
  // The same numbers as HandComputedPearsonAndMre, alpha scaled to 1e-7 J/px:
  // relative errors do not change with the scale.
  std::vector<EnergyFit> fits(3);
  std::vector<KmacPoint> points;
  const double alpha[] = {2e-7, 3e-7, 5e-7};
  const char* names[] = {"Bfac", "Bhyp", "Mmean"};
  for (int i = 0; i < 3; ++i) {
    fits[i].abbr = names[i];
    fits[i].level = "low";
    fits[i].alpha_j_per_pixel = alpha[i];
    // 2nd-downsampling kMAC on an exact line: alpha = 1e-7 * k2 + 1e-7.
    points.push_back({names[i], "low", 1.0 + i, alpha[i] / 1e-7 - 1.0});
  }
  points.push_back({"Cattn", "high", 500, 300});  // no fit: ignored
  const KmacFit k = fit_alpha_vs_kmac(fits, points, false);
  EXPECT_EQ(k.n, 3);
  EXPECT_NEAR(k.slope, 1.5e-7, 1e-19);
  EXPECT_NEAR(k.offset, 1e-7 / 3, 1e-19);
  EXPECT_NEAR(k.pearson, 0.9819805, 1e-7);
  EXPECT_NEAR(k.mre, 0.2888889, 1e-7);
  EXPECT_NEAR(k.mre_in_sample, 0.0759259, 1e-7);
  const KmacFit k2 = fit_alpha_vs_kmac(fits, points, true);
  EXPECT_NEAR(k2.slope, 1e-7, 1e-19);
  EXPECT_NEAR(k2.offset, 1e-7, 1e-19);
  EXPECT_NEAR(k2.pearson, 1.0, 1e-12);
  EXPECT_NEAR(k2.mre, 0.0, 1e-9);

  fits.pop_back();
  EXPECT_NE(error_of([&] { fit_alpha_vs_kmac(fits, points, false); }).find("at least 3"), std::string::npos);
}

TEST(KmacFit, PointsAverageQualitiesAndFitModelsNotes) {
  std::vector<ComplexityRow> rows = {{"Bfac", "bmshj2018_factorized", "low", 1, 128, 192, 1000, 10, 4},
                                     {"Bfac", "bmshj2018_factorized", "low", 2, 128, 192, 1000, 12, 6},
                                     {"Bfac", "bmshj2018_factorized", "high", 6, 192, 320, 2000, 30, 9}};
  const std::vector<KmacPoint> points = kmac_points(rows);
  ASSERT_EQ(points.size(), 2u);
  EXPECT_EQ(points[0].level, "low");
  EXPECT_DOUBLE_EQ(points[0].kmac_per_px, 11);
  EXPECT_DOUBLE_EQ(points[0].kmac_per_px_2nd, 5);
  // Two network-levels only: the fits exist, the kMAC fits do not, with a note.
  auto records = synthetic("Bfac", "low", 1e-7, 0.01);
  auto high = synthetic("Bfac", "high", 2e-7, 0.02);
  records.insert(records.end(), high.begin(), high.end());
  const FitResult result = fit_models(records, points);
  EXPECT_EQ(result.fits.size(), 2u);
  EXPECT_FALSE(result.alpha_vs_kmac);
  EXPECT_FALSE(result.alpha_vs_kmac_2nd);
  ASSERT_EQ(result.notes.size(), 2u);
  EXPECT_NE(result.notes[0].find("at least 3"), std::string::npos);
}

namespace {
FitResult two_fits_with_kmac() {
  FitResult r;
  EnergyFit a;
  a.network = "bmshj2018_factorized";
  a.abbr = "Bfac";
  a.level = "low";
  a.n = 12;
  a.alpha_j_per_pixel = 2e-7;
  a.beta_j = 0.1;
  a.pearson = 0.99;
  a.mre = 0.04;
  a.mre_in_sample = 0.03;
  EnergyFit b = a;
  b.network = "bmshj2018_hyperprior";
  b.abbr = "Bhyp";
  b.beta_j = 0.3;
  r.fits = {a, b};
  r.alpha_vs_kmac = KmacFit{1e-9, 1e-8, 0.95, 0.1, 0.08, 12};
  return r;
}
}  // namespace

TEST(Predict, FromFit) {
  const FitResult r = two_fits_with_kmac();
  const Prediction p = predict_energy(r, "Bfac", "low", 768, 512);
  EXPECT_EQ(p.source, "fit");
  EXPECT_EQ(p.pixels, 393216);
  EXPECT_NEAR(p.energy_j, 2e-7 * 393216 + 0.1, 1e-12);  // 0.1786432 J
  EXPECT_DOUBLE_EQ(p.expected_relative_error, 0.04);
  // The CompressAI name, any case, finds the same fit.
  const Prediction q = predict_energy(r, "BMSHJ2018-Hyperprior", "low", 10, 10);
  EXPECT_EQ(q.abbr, "Bhyp");
  EXPECT_NEAR(q.energy_j, 2e-7 * 100 + 0.3, 1e-12);
  EXPECT_THROW(predict_energy(r, "Bfac", "medium", 10, 10), Error);
  EXPECT_THROW(predict_energy(r, "Bfac", "low", 0, 10), Error);
}

TEST(Predict, FallsBackToAlphaVsKmac) {
  const FitResult r = two_fits_with_kmac();
  // alpha = 1e-9 * 400 + 1e-8 = 4.1e-7 J/px, beta = (0.1 + 0.3) / 2 = 0.2 J,
  // E = 4.1e-7 * 1e4 + 0.2 = 0.2041 J.
  const Prediction p = predict_energy(r, "Cattn", "high", 100, 100, 400.0);
  EXPECT_EQ(p.source, "alpha_vs_kmac");
  EXPECT_NEAR(p.alpha_j_per_pixel, 4.1e-7, 1e-20);
  EXPECT_NEAR(p.beta_j, 0.2, 1e-15);
  EXPECT_NEAR(p.energy_j, 0.2041, 1e-12);
  EXPECT_DOUBLE_EQ(p.expected_relative_error, 0.1);
  EXPECT_EQ(to_json(p).at("source"), "alpha_vs_kmac");

  const std::string no_kmac = error_of([&] { predict_energy(r, "Cattn", "high", 100, 100); });
  EXPECT_NE(no_kmac.find("Cattn"), std::string::npos) << no_kmac;
  FitResult without = r;
  without.alpha_vs_kmac.reset();
  EXPECT_THROW(predict_energy(without, "Cattn", "high", 100, 100, 400.0), Error);
}

TEST(Json, RoundTrip) {
  FitResult r = two_fits_with_kmac();
  const std::string text = to_json(r).dump();
  const FitResult back = fit_result_from_json(nlohmann::json::parse(text), "test");
  ASSERT_EQ(back.fits.size(), 2u);
  EXPECT_EQ(back.fits[1].network, "bmshj2018_hyperprior");
  EXPECT_EQ(back.fits[1].n, 12);
  EXPECT_DOUBLE_EQ(back.fits[1].alpha_j_per_pixel, 2e-7);
  EXPECT_DOUBLE_EQ(back.fits[1].beta_j, 0.3);
  EXPECT_DOUBLE_EQ(back.fits[0].mre_in_sample, 0.03);
  ASSERT_TRUE(back.alpha_vs_kmac);
  EXPECT_DOUBLE_EQ(back.alpha_vs_kmac->slope, 1e-9);
  EXPECT_EQ(back.alpha_vs_kmac->n, 12);
  EXPECT_FALSE(back.alpha_vs_kmac_2nd);
  EXPECT_TRUE(to_json(r).at("alpha_vs_kmac_2nd").is_null());
  EXPECT_EQ(to_json(back), to_json(r));

  const std::string dir = temp_dir("json");
  write_fit_result(r, dir + "/coefficients.json");
  EXPECT_EQ(to_json(read_fit_result(dir + "/coefficients.json")), to_json(r));
  std::filesystem::remove_all(dir);
}

TEST(Json, MalformedFilesGiveClearErrors) {
  using nlohmann::json;
  EXPECT_NE(error_of([] { fit_result_from_json(json::parse("[1,2]"), "c.json"); }).find("\"fits\""),
            std::string::npos);
  json missing = to_json(two_fits_with_kmac());
  missing["fits"][0].erase("alpha_j_per_pixel");
  const std::string m = error_of([&] { fit_result_from_json(missing, "c.json"); });
  EXPECT_NE(m.find("c.json fits[0]"), std::string::npos) << m;
  EXPECT_NE(m.find("alpha_j_per_pixel"), std::string::npos) << m;
  json wrong_type = to_json(two_fits_with_kmac());
  wrong_type["fits"][1]["beta_j"] = "0.3";
  EXPECT_THROW(fit_result_from_json(wrong_type, "c.json"), Error);
  json bad_kmac = to_json(two_fits_with_kmac());
  bad_kmac["alpha_vs_kmac"] = 3;
  EXPECT_THROW(fit_result_from_json(bad_kmac, "c.json"), Error);

  const std::string dir = temp_dir("malformed");
  std::ofstream(dir + "/broken.json") << "{ \"fits\": [ ";
  const std::string broken = error_of([&] { read_fit_result(dir + "/broken.json"); });
  EXPECT_NE(broken.find("broken.json"), std::string::npos) << broken;
  EXPECT_NE(broken.find("not valid JSON"), std::string::npos) << broken;
  EXPECT_THROW(read_fit_result(dir + "/absent.json"), Error);
  std::filesystem::remove_all(dir);
}

// Issue 19, defect 5: "n": 1e300 was cast to int before any check (undefined
// behaviour). Counts must be whole numbers from 1 to INT_MAX.
TEST(Json, CountsOutOfRangeAreRefusedNotCast) {
  using nlohmann::json;
  for (const std::string& n : {"1e300", "4294967296", "2.5", "-3", "0", "18446744073709551615"}) {
    json j = to_json(two_fits_with_kmac());
    j["fits"][1]["n"] = json::parse(n);
    const std::string message = error_of([&] { fit_result_from_json(j, "c.json"); });
    EXPECT_NE(message.find("c.json fits[1]"), std::string::npos) << n << ": " << message;
    EXPECT_NE(message.find("\"n\""), std::string::npos) << n << ": " << message;
    json k = to_json(two_fits_with_kmac());
    k["alpha_vs_kmac"]["n"] = json::parse(n);
    EXPECT_THROW(fit_result_from_json(k, "c.json"), Error) << n;
  }
  // A directory as the coefficients file is named as one.
  const std::string dir = temp_dir("coeffs_dir");
  EXPECT_NE(error_of([&] { read_fit_result(dir); }).find("is a directory"), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(Json, EstimatedEnergiesStayLabelled) {
  // Fitted to CPU-time estimates: the label must survive the JSON and reach every table.
  std::vector<MeasurementRecord> records;
  for (int i = 1; i <= 4; ++i) {
    MeasurementRecord r;
    r.network = "bmshj2018_factorized";
    r.abbr = "Bfac";
    r.level = "low";
    r.width = 100 * i;
    r.height = 100;
    r.pixels = int64_t{100} * r.width;
    r.energy_j = 1e-6 * r.pixels + 0.1 * (i % 2);
    r.method = i == 3 ? "estimate" : "counter";
    records.push_back(r);
  }
  const FitResult fit = fit_models(records, {});
  EXPECT_TRUE(fit.estimate);
  const FitResult back = fit_result_from_json(to_json(fit), "test");
  EXPECT_TRUE(back.estimate);
  for (const char* format : {"table", "markdown"})
    EXPECT_NE(format_fit_table(back, format).find("ESTIMATES"), std::string::npos) << format;
  EXPECT_NE(format_fit_table(back, "csv").find(",true"), std::string::npos);
  for (auto& r : records) r.method = "counter";
  EXPECT_FALSE(fit_models(records, {}).estimate);
  EXPECT_EQ(format_fit_table(fit_models(records, {}), "table").find("ESTIMATES"), std::string::npos);
}

TEST(Table, FitTableFormats) {
  FitResult r = two_fits_with_kmac();
  const std::string text = format_fit_table(r, "table");
  EXPECT_NE(text.find("α low (µJ/px)"), std::string::npos);
  EXPECT_NE(text.find("0.2"), std::string::npos);    // 2e-7 J/px = 0.2 µJ/px
  EXPECT_NE(text.find("4.00"), std::string::npos);   // MRE 0.04 = 4.00 %
  EXPECT_NE(text.find("alpha vs kMAC/px"), std::string::npos);
  // Bfac has no high fit: dashes there.
  const std::string bfac_line = text.substr(text.find("\nBfac") + 1, text.find('\n', text.find("\nBfac") + 1) - text.find("\nBfac") - 1);
  EXPECT_NE(bfac_line.find("-"), std::string::npos) << bfac_line;

  const std::string csv = format_fit_table(r, "csv");
  EXPECT_EQ(csv.substr(0, csv.find('\n')),
            "network,abbr,level,n,alpha_uj_per_pixel,beta_j,pearson,mre_percent,mre_in_sample_percent,estimate");
  EXPECT_NE(csv.find("bmshj2018_factorized,Bfac,low,12,0.2,0.1,0.9900,4.00,3.00,false"), std::string::npos) << csv;
  const std::string md = format_fit_table(r, "markdown");
  EXPECT_EQ(md.rfind("| Network |", 0), 0u);
  EXPECT_THROW(format_fit_table(r, "latex"), Error);
}

TEST(Table, TextAlignment) {
  TextTable t{{"name", "value"}, {{"a", "1.5"}, {"longer", "12.25"}}};
  EXPECT_EQ(render_text(t), "name    value\n------  -----\na         1.5\nlonger  12.25\n");
  EXPECT_EQ(render_csv(TextTable{{"a,b", "c"}, {{"x\"y", "1"}}}), "\"a,b\",c\n\"x\"\"y\",1\n");
  EXPECT_EQ(render_markdown(t), "| name | value |\n| --- | ---: |\n| a | 1.5 |\n| longer | 12.25 |\n");
  EXPECT_EQ(html_escape("<a&\"b\">"), "&lt;a&amp;&quot;b&quot;&gt;");
}

// ---- predict and fit at the command line: what the user reads ----------------------

namespace {

namespace fs = std::filesystem;
using test_util::run_cli;
using test_util::slurp;
using test_util::spit;

// A coefficients file with one fit of known alpha (J/px), beta (J) and MRE,
// measured on min_pixels .. max_pixels; pixels_max 0 leaves the range out.
// Written with the keys of files from before the keys named their units
// ("alpha", "beta"): such files still read.
std::string coefficients_json(const std::string& abbr, const std::string& level, double alpha, double beta, double mre,
                              double min_pixels = 65536, double max_pixels = 786432) {
  nlohmann::json fit = {{"network", abbr == "Bhyp" ? "bmshj2018_hyperprior" : "bmshj2018_factorized"},
                        {"abbr", abbr}, {"level", level}, {"n", 12}, {"alpha", alpha}, {"beta", beta},
                        {"pearson", 0.99}, {"mre", mre}, {"mre_in_sample", mre / 2}};
  if (max_pixels > 0) fit["pixels_min"] = min_pixels, fit["pixels_max"] = max_pixels;
  return nlohmann::json{{"estimate", false}, {"fits", {fit}}, {"alpha_vs_kmac", nullptr}}.dump(2);
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

// The done-when check: an energy with its source, its expected error, the sizes
// it was fitted on, the level the quality maps to, and a warning outside them.
TEST(PredictCli, SaysItsSourceTheFittedSizesAndWarnsOutsideThem) {
  test_util::TempDir dir("predict");
  const std::string coeffs = dir.file("h100.json");
  spit(coeffs, coefficients_json("Bhyp", "low", 2.5e-7, 0.01, 0.061));
  // E = 2.5e-7 J/px * 1920 * 1080 + 0.01 J = 0.5284 J; a 6.1 % error allows two digits.
  const Result r = run_cli("predict --model Bhyp --quality 3 --size 1920x1080 --coeffs " + coeffs);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(has(r.out, "0.53 J")) << r.out;
  EXPECT_FALSE(has(r.out, "0.5284")) << "more digits than a 6 % error allows: " << r.out;
  EXPECT_TRUE(has(r.out, "expected relative error 6.1 %")) << r.out;
  EXPECT_TRUE(has(r.out, "source                " + coeffs)) << r.out;
  EXPECT_TRUE(has(r.out, "65536 to 786432 pixels")) << r.out;
  EXPECT_TRUE(has(r.out, "quality 3 is the low level (qualities 1-5")) << r.out;
  EXPECT_TRUE(has(r.out, "outside the image sizes of the fit")) << r.out;
  EXPECT_TRUE(has(r.err, "warning:")) << r.err;
  // Inside the sizes: no warning.
  const Result inside = run_cli("predict --model Bhyp --quality 3 --size 512x512 --coeffs " + coeffs);
  ASSERT_EQ(inside.code, 0) << inside.err;
  EXPECT_FALSE(has(inside.out, "WARNING")) << inside.out;
  EXPECT_TRUE(has(inside.out, "0.076 J")) << inside.out;  // 2.5e-7 * 262144 + 0.01 = 0.07554 J
  // --strict refuses the extrapolation in one line.
  expect_one_line_error("predict --model Bhyp --quality 3 --size 1920x1080 --strict --coeffs " + coeffs,
                        "outside the image sizes");
  // The level the coefficients do not cover is said, and the JSON names the source and range.
  const Result high = run_cli("predict --model Bhyp --quality 7 --size 512x512 --json --coeffs " + coeffs);
  EXPECT_NE(high.code, 0) << "no fit of the high level and no alpha-vs-kMAC line: " << high.out;
  const Result json = run_cli("predict --model Bhyp --quality 3 --size 512x512 --json --coeffs " + coeffs);
  ASSERT_EQ(json.code, 0) << json.err;
  const auto j = nlohmann::json::parse(json.out);
  EXPECT_EQ(j["coefficients"], coeffs);
  EXPECT_EQ(j["pixels_range"], nlohmann::json::array({65536.0, 786432.0}));
  EXPECT_TRUE(j["warnings"].empty());
}

// An 811 % error leaves one significant digit, and words that say so.
TEST(PredictCli, DigitsFollowTheExpectedError) {
  test_util::TempDir dir("predict-digits");
  const std::string coeffs = dir.file("c.json");
  // E = 1.9e-3 J/px * 262144 + 311.42 J = 809.494 J at 512x512.
  spit(coeffs, coefficients_json("Bfac", "low", 1.9e-3, 311.42, 8.11));
  const Result r = run_cli("predict --model Bfac --quality 1 --size 512x512 --coeffs " + coeffs);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_FALSE(has(r.out, "809.494")) << r.out;
  EXPECT_TRUE(has(r.out, "800 J")) << r.out;
  EXPECT_TRUE(has(r.out, "no better than an order of magnitude")) << r.out;
  EXPECT_EQ(energy_text(809.494, 8.11), "800 J");
  EXPECT_EQ(energy_text(0.5284, 0.061), "0.53 J");
  EXPECT_EQ(energy_text(0.5284, 0.004), "0.528 J");
  EXPECT_EQ(energy_text(1234.5, 0.2), "1200 J");
}

// A line that crosses zero gives no energy: refused, never printed negative;
// arithmetic that overflows is refused in one line.
TEST(PredictCli, NegativeAndInfiniteEnergiesAreRefused) {
  test_util::TempDir dir("predict-refused");
  const std::string negative = dir.file("negative.json"), huge = dir.file("huge.json");
  // At 64x64: 1e-7 * 4096 - 0.05 = -0.0496 J; the line is zero at 500000 pixels.
  spit(negative, coefficients_json("Bfac", "low", 1e-7, -0.05, 0.05, 4096, 786432));
  const Result r = run_cli("predict --model Bfac --quality 1 --size 64x64 --coeffs " + negative);
  EXPECT_EQ(r.code, 1);
  EXPECT_FALSE(has(r.out, "-0.04")) << r.out;
  expect_one_line_error("predict --model Bfac --quality 1 --size 64x64 --coeffs " + negative,
                        "crosses zero at 500000 pixels");
  spit(huge, coefficients_json("Bfac", "low", 1e308, 1e308, 0.05));
  expect_one_line_error("predict --model Bfac --quality 1 --size 512x512 --coeffs " + huge, "not finite");
}

// Without --coeffs: the fit shipped for --gpu NAME in data/<GPU>/fit.json, named;
// with none for this machine and no paper table in the program, one line that says what to do.
TEST(PredictCli, WithoutCoeffsTakesTheShippedFitOfTheGpuOrSaysWhatToDo) {
  test_util::TempDir dir("predict-shipped");
  fs::create_directories(dir.path / "data" / "NVIDIA_H100_80GB_HBM3");
  spit((dir.path / "data" / "NVIDIA_H100_80GB_HBM3" / "fit.json").string(),
       coefficients_json("Bhyp", "low", 2.5e-7, 0.01, 0.061));
  const std::string in_dir = "cd " + dir.path.string() + " && ";
  const Result r = test_util::run_command(in_dir + NICENERGY_CLI +
                                          " predict --model Bhyp --quality 3 --size 512x512 --gpu 'NVIDIA H100 80GB HBM3'");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(has(r.out, "source                data/NVIDIA_H100_80GB_HBM3/fit.json")) << r.out;
  EXPECT_TRUE(has(r.out, "0.076 J")) << r.out;
  const Result other = test_util::run_command(in_dir + NICENERGY_CLI +
                                              " predict --model Bhyp --quality 3 --size 512x512 --gpu 'NVIDIA A100'");
  EXPECT_EQ(other.code, 1);
  EXPECT_TRUE(has(other.err, "shipped: NVIDIA_H100_80GB_HBM3")) << other.err;
  // From the repository (no GPU fits ship, no GPU here): one line naming both ways out.
  expect_one_line_error("predict --model Bhyp --quality 3 --size 1920x1080", "--coeffs");
  const Result none = run_cli("predict --model Bhyp --quality 3 --size 1920x1080");
  EXPECT_TRUE(has(none.err, "Table 2")) << none.err;
}

// fit says when a line is not sound: a negative beta, and a zero inside the measured sizes.
TEST(FitCli, NegativeBetaAndAZeroInsideTheSizesAreSaid) {
  test_util::TempDir dir("fit-negative");
  const std::string csv = dir.file("r.csv");
  // S = 4096 .. 16384 px, E = 0.05, 0.06, 0.5, 0.55 J: least squares give
  // alpha = 4.736e-5 J/px, beta = -0.195 J, zero at S = 4117 pixels.
  const double energies[] = {0.05, 0.06, 0.5, 0.55};
  for (int i = 0; i < 4; ++i) {
    MeasurementRecord r = make_record("Bfac", "low", 64 * (i + 1), 64, energies[i]);
    r.meter = "nvml";
    r.method = "counter";
    r.device = "cuda:0 test";
    r.k = 3;
    append_record(csv, r);
  }
  const Result fit = run_cli("fit " + csv);
  ASSERT_EQ(fit.code, 0) << fit.err;
  EXPECT_TRUE(has(fit.out, "beta is negative (-0.195 J)")) << fit.out;
  EXPECT_TRUE(has(fit.out, "crosses zero at 4117 pixels, inside the measured sizes (4096 to 16384)")) << fit.out;
  const Result csv_fit = run_cli("fit " + csv + " --format csv");
  EXPECT_TRUE(has(csv_fit.err, "warning: Bfac low: the fitted beta is negative")) << csv_fit.err;
  // A prediction from it inside the sizes but below the zero is refused.
  ASSERT_EQ(run_cli("fit " + csv + " --output " + dir.file("fit.json")).code, 0);
  expect_one_line_error("predict --model Bfac --quality 1 --size 64x64 --coeffs " + dir.file("fit.json"), "crosses zero");
}

// Names read from a CSV reach fit's errors escaped: no newline splits the
// message, no escape code reaches the terminal.
TEST(FitCli, ControlCharactersInNamesAreEscapedInErrors) {
  test_util::TempDir dir("fit-names");
  const std::string csv = dir.file("r.csv");
  MeasurementRecord r = make_record("evil\x1b[31m\nname", "custom", 64, 64, 0.5);
  r.network = r.abbr;
  r.meter = "nvml";
  r.method = "counter";
  r.device = "cuda:0 test";
  r.k = 3;
  append_record(csv, r);
  const Result fit = run_cli("fit " + csv);
  EXPECT_EQ(fit.code, 1);
  EXPECT_EQ(std::count(fit.err.begin(), fit.err.end(), '\n'), 1) << fit.err;
  EXPECT_FALSE(has(fit.err, "\x1b")) << fit.err;
  EXPECT_TRUE(has(fit.err, "evil\\x1b[31m\\x0aname")) << fit.err;
}

// A fold of the alpha-vs-kMAC fit with one kMAC value: another network helps, not other sizes.
TEST(Fit, EqualKmacAsksForAnotherNetworkNotOtherSizes) {
  std::vector<EnergyFit> fits(3);
  std::vector<KmacPoint> points;
  const char* names[] = {"Bfac", "Bhyp", "Mmean"};
  for (int i = 0; i < 3; ++i) {
    fits[i].abbr = names[i];
    fits[i].level = "low";
    fits[i].alpha_j_per_pixel = 1e-7 * (i + 1);
    points.push_back({names[i], "low", 80.0, 56.0, true});
  }
  const std::string why = error_of([&] { fit_alpha_vs_kmac(fits, points, false); });
  EXPECT_TRUE(has(why, "another complexity")) << why;
  EXPECT_FALSE(has(why, "sizes")) << why;
  points[2].kmac_per_px = 160;  // two equal of three: a leave-one-out fold has one value
  const std::string fold = error_of([&] { fit_alpha_vs_kmac(fits, points, false); });
  EXPECT_TRUE(has(fold, "another complexity")) << fold;
  EXPECT_FALSE(has(fold, "sizes")) << fold;
}
