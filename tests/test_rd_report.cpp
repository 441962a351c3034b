// The report's rate, distortion and energy part (src/report/rd_report): the
// means per codec-quality, the matched-quality table with BD-rates against
// JPEG, the figures, the estimate label, seeded networks named, and a report
// of legacy rows with a single learned one that still has its other parts.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "io/csv.h"
#include "modeling/fit.h"
#include "protocol/results_csv.h"
#include "report/rd_report.h"
#include "report/report.h"
#include "test_util.h"

using namespace nicenergy;
using test_util::slurp;
using test_util::TempDir;

namespace {

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }
bool have_gnuplot() { return std::system("command -v gnuplot >/dev/null 2>&1") == 0; }

struct Image {
  const char* name;
  int width, height;
  double rate_factor;  // the second image is harder: more bits, less PSNR
  double psnr_offset_db;
};
const Image kImages[] = {{"kodim01.png", 768, 512, 1.0, 0.0}, {"kodim02.png", 512, 384, 1.3, -1.1}};

// JPEG's rate at each quality, and a PSNR that bends in log-rate (PSNR = 24 +
// 9 ln(1 + 2 bpp): about 4 to 6 dB per doubling), so that no straight-line
// shortcut passes.
const double kJpegBpp[] = {0.25, 0.5, 0.9, 1.6, 3.0};
double psnr_of(double bpp) { return 24 + 9 * std::log(1 + 2 * bpp); }

MeasurementRecord record(const std::string& network, const std::string& abbr, int quality, const Image& image,
                         const std::string& meter) {
  MeasurementRecord r;
  r.network = network;
  r.abbr = abbr;
  r.quality = quality;
  r.level = "custom";
  r.image = image.name;
  r.width = image.width;
  r.height = image.height;
  r.pixels = int64_t(image.width) * image.height;
  r.meter = meter;
  r.method = meter == "estimate" ? "estimate" : "counter";
  r.device = "cpu";
  r.stage = "chain";
  return r;
}

// JPEG and WebP at 5 qualities (WebP: the same PSNRs with 25 % fewer bits),
// AVIF at 4 measured as encode and decode apart, Bfac (trained) at 1 quality,
// Mcont seeded (no bpp), each on 2 images.
std::vector<MeasurementRecord> campaign(const std::string& meter) {
  std::vector<MeasurementRecord> records;
  for (const Image& image : kImages) {
    for (int i = 0; i < 5; ++i) {
      const double bpp = kJpegBpp[i] * image.rate_factor;
      const double psnr = psnr_of(kJpegBpp[i]) + image.psnr_offset_db;
      MeasurementRecord jpeg = record("jpeg", "JPEG", 20 + 15 * i, image, meter);
      jpeg.bpp = bpp;
      jpeg.psnr_db = psnr;
      jpeg.ms_ssim = 0.90 + 0.015 * i + 0.001 * image.psnr_offset_db;
      jpeg.energy_j = 0.004 * image.rate_factor + 0.001 * i;
      records.push_back(jpeg);
      MeasurementRecord webp = record("webp", "WebP", 30 + 15 * i, image, meter);
      webp.bpp = bpp * 0.75;
      webp.psnr_db = psnr;
      webp.energy_j = 0.009 + 0.002 * i;
      records.push_back(webp);
    }
    for (int i = 0; i < 4; ++i) {
      MeasurementRecord encode = record("avif", "AVIF", 40 - 8 * i, image, meter);
      encode.stage = "encode";
      encode.bpp = kJpegBpp[i + 1] * image.rate_factor * 0.6;
      encode.psnr_db = psnr_of(kJpegBpp[i + 1]) + image.psnr_offset_db - 0.2;
      encode.energy_j = 0.05 + 0.01 * i;
      MeasurementRecord decode = encode;
      decode.stage = "decode";
      decode.energy_j = 0.004 + 0.0005 * i;
      records.push_back(encode);
      records.push_back(decode);
    }
    MeasurementRecord bfac = record("bmshj2018_factorized", "Bfac", 3, image, meter);
    bfac.level = "low";
    bfac.bpp = 0.55 * image.rate_factor;
    bfac.psnr_db = psnr_of(0.7) + image.psnr_offset_db;  // between JPEG's 2nd and 3rd quality
    bfac.ms_ssim = 0.95;
    bfac.energy_j = 2.5 * image.rate_factor;
    records.push_back(bfac);
    for (int q = 1; q <= 2; ++q) {
      MeasurementRecord seeded = record("mbt2018", "Mcont", q, image, meter);
      seeded.level = "low";
      seeded.energy_j = 3.0 + q;
      records.push_back(seeded);
    }
  }
  return records;
}

// rd_points.csv as maps from column name to cell, one per row.
std::vector<std::map<std::string, std::string>> read_points(const std::string& path) {
  const CsvText csv = parse_csv(slurp(path), path);
  std::vector<std::map<std::string, std::string>> rows;
  for (size_t i = 1; i < csv.rows.size(); ++i) {
    std::map<std::string, std::string> row;
    for (size_t c = 0; c < csv.rows[0].fields.size(); ++c) row[csv.rows[0].fields[c]] = csv.rows[i].fields.at(c);
    rows.push_back(row);
  }
  return rows;
}

const std::map<std::string, std::string>* find_point(const std::vector<std::map<std::string, std::string>>& rows,
                                                     const std::string& codec, int quality) {
  for (const auto& row : rows)
    if (row.at("codec") == codec && row.at("quality") == std::to_string(quality)) return &row;
  return nullptr;
}

double number(const std::string& cell) { return std::stod(cell); }

// The table row of a codec in rd_table.csv.
std::vector<std::string> table_row(const std::string& path, const std::string& codec) {
  for (const CsvRow& row : parse_csv(slurp(path), path).rows)
    if (!row.fields.empty() && row.fields[0] == codec) return row.fields;
  return {};
}

std::vector<std::string> table_header(const std::string& path) { return parse_csv(slurp(path), path).rows.at(0).fields; }

ReportResult report(const std::vector<MeasurementRecord>& records, const std::string& dir,
                    const ReportOptions& options = {}) {
  std::vector<MeasurementRecord> chain;
  ReportOptions with_stages = options;
  for (const MeasurementRecord& r : records) (r.stage == "chain" ? chain : with_stages.stage_records).push_back(r);
  return write_report(chain, fit_models_skipping(chain, {}), {}, "", dir, with_stages);
}

}  // namespace

TEST(RdReport, PointsAreTheMeansOverTheImages) {
  const TempDir dir("rd");
  const ReportResult result = report(campaign("rapl"), dir.path.string());
  for (const char* file : {"rd_points.csv", "rd_table.md", "rd_table.csv", "rd_psnr.gp", "rd_psnr.dat",
                           "rd_energy.gp", "rd_energy.dat", "index.html"})
    EXPECT_TRUE(std::filesystem::exists(dir.path / file)) << file;
  const auto rows = read_points(dir.file("rd_points.csv"));
  EXPECT_EQ(rows.size(), 5u + 5u + 4u + 1u);  // no Mcont: seeded, no RD point

  // JPEG at its 3rd quality: the plain means of the two images' values.
  const auto* jpeg = find_point(rows, "JPEG", 50);
  ASSERT_TRUE(jpeg);
  EXPECT_EQ(jpeg->at("images"), "2");
  EXPECT_EQ(jpeg->at("kind"), "legacy");
  EXPECT_NEAR(number(jpeg->at("bpp")), (0.9 * 1.0 + 0.9 * 1.3) / 2, 1e-9);
  EXPECT_NEAR(number(jpeg->at("psnr_db")), ((psnr_of(0.9)) + (psnr_of(0.9) - 1.1)) / 2, 1e-6);  // %.9g
  EXPECT_NEAR(number(jpeg->at("ms_ssim")), ((0.93) + (0.93 - 0.0011)) / 2, 1e-9);
  EXPECT_NEAR(number(jpeg->at("energy_j")), ((0.004 + 0.002) + (0.004 * 1.3 + 0.002)) / 2, 1e-12);
  EXPECT_EQ(jpeg->at("encode_energy_j"), "");
  EXPECT_EQ(jpeg->at("meter"), "rapl");
  EXPECT_EQ(jpeg->at("estimate"), "false");

  // AVIF without the chain: energy per image = encode + decode, each also shown.
  const auto* avif = find_point(rows, "AVIF", 32);
  ASSERT_TRUE(avif);
  EXPECT_NEAR(number(avif->at("encode_energy_j")), 0.06, 1e-12);
  EXPECT_NEAR(number(avif->at("decode_energy_j")), 0.0045, 1e-12);
  EXPECT_NEAR(number(avif->at("energy_j")), 0.06 + 0.0045, 1e-12);
  EXPECT_NEAR(number(avif->at("bpp")), (0.9 * 0.6 + 0.9 * 1.3 * 0.6) / 2, 1e-9);

  // The learned codec: far more joules per image than any legacy point.
  const auto* bfac = find_point(rows, "Bfac", 3);
  ASSERT_TRUE(bfac);
  EXPECT_EQ(bfac->at("kind"), "learned");
  EXPECT_NEAR(number(bfac->at("energy_j")), (2.5 + 2.5 * 1.3) / 2, 1e-12);
  for (const auto& row : rows)
    if (row.at("kind") == "legacy") EXPECT_LT(number(row.at("energy_j")) * 10, number(bfac->at("energy_j")));
  EXPECT_TRUE(result.warnings.empty() || !have_gnuplot()) << result.warnings.front();
}

TEST(RdReport, TableMatchesQualityAndComparesWithJpeg) {
  const TempDir dir("rd");
  report(campaign("rapl"), dir.path.string());
  const std::string table = dir.file("rd_table.csv");
  const std::vector<std::string> header = table_header(table);
  // The default target: the learned codec's lowest PSNR, Bfac's only point.
  const double target = ((psnr_of(0.7)) + (psnr_of(0.7) - 1.1)) / 2;
  ASSERT_EQ(header.size(), 9u);
  EXPECT_EQ(header[4], "bpp at " + format_number(target, "%.2f") + " dB");

  const std::vector<std::string> jpeg = table_row(table, "JPEG");
  ASSERT_EQ(jpeg.size(), 9u);
  EXPECT_EQ(jpeg[2], "5");
  EXPECT_EQ(jpeg[6], "+0.00");  // against itself
  EXPECT_EQ(jpeg[7], "+0.000");
  // Linear in log(bpp) and log(energy) between the 2nd and 3rd quality's means.
  const auto rows = read_points(dir.file("rd_points.csv"));
  const auto& lo = *find_point(rows, "JPEG", 35);
  const auto& hi = *find_point(rows, "JPEG", 50);
  const double t = (target - number(lo.at("psnr_db"))) / (number(hi.at("psnr_db")) - number(lo.at("psnr_db")));
  ASSERT_GT(t, 0.05);
  ASSERT_LT(t, 0.95);
  auto geometric = [t](double a, double b) { return std::exp(std::log(a) + t * (std::log(b) - std::log(a))); };
  EXPECT_NEAR(number(jpeg[4]), geometric(number(lo.at("bpp")), number(hi.at("bpp"))), 1e-3 * number(jpeg[4]));
  EXPECT_NEAR(number(jpeg[5]), geometric(number(lo.at("energy_j")), number(hi.at("energy_j"))),
              1e-3 * number(jpeg[5]));

  // WebP: the same PSNRs at 75 % of the bits on every image, so -25 %.
  const std::vector<std::string> webp = table_row(table, "WebP");
  ASSERT_EQ(webp.size(), 9u);
  EXPECT_EQ(webp[6], "-25.00");
  EXPECT_GT(number(webp[7]), 0.5);  // better quality at equal rate
  // AVIF: 4 points, enough for BD-rate, and fewer bits than JPEG.
  EXPECT_LT(number(table_row(table, "AVIF")[6]), -10.0);
  // Bfac: one point, at the target itself; no BD-rate, with the reason.
  const std::vector<std::string> bfac = table_row(table, "Bfac");
  ASSERT_EQ(bfac.size(), 9u);
  EXPECT_NEAR(number(bfac[4]), (0.55 + 0.55 * 1.3) / 2, 1e-3);
  EXPECT_EQ(bfac[6], "n/a: 1 RD point, BD-rate needs 4");
  EXPECT_EQ(bfac[7], "n/a: 1 RD point, BD-PSNR needs 4");
  EXPECT_EQ(bfac[8], "measured");
  EXPECT_TRUE(table_row(table, "Mcont").empty());

  const std::string md = slurp(dir.file("rd_table.md"));
  EXPECT_TRUE(has(md, "linearly in log(bpp) and log(energy)"));
  EXPECT_TRUE(has(md, "no extrapolation"));
  EXPECT_TRUE(has(md, "Mcont (quality 1, 2)"));
  EXPECT_TRUE(has(md, "Energy only, no RD point"));
  EXPECT_FALSE(has(md, "ESTIMATE"));
  const std::string page = slurp(dir.file("index.html"));
  EXPECT_TRUE(has(page, "<h2>Rate, distortion and energy</h2>"));
  EXPECT_TRUE(has(page, "rd_table.md"));
  EXPECT_TRUE(has(page, "Mcont (quality 1, 2)"));
}

TEST(RdReport, GivenTargetOutsideACurveIsNotExtrapolated) {
  const TempDir dir("rd");
  ReportOptions options;
  // Above AVIF's and Bfac's points, inside JPEG's (whose top mean is psnr_of(3.0) - 0.55).
  options.target_psnr_db = psnr_of(3.0) - 0.55 - 0.1;
  report(campaign("rapl"), dir.path.string(), options);
  const std::string table = dir.file("rd_table.csv");
  EXPECT_TRUE(has(table_row(table, "Bfac")[4], "n/a: "));
  EXPECT_TRUE(has(table_row(table, "AVIF")[4], "(no extrapolation)"));
  EXPECT_GT(number(table_row(table, "JPEG")[4]), 1.6);
  EXPECT_TRUE(has(slurp(dir.file("rd_table.md")), "given with --target-psnr-db"));
}

TEST(RdReport, EstimatesAreLabelled) {
  const TempDir dir("rd");
  report(campaign("estimate"), dir.path.string());
  EXPECT_TRUE(has(slurp(dir.file("rd_table.md")), "ESTIMATES"));
  EXPECT_EQ(table_row(dir.file("rd_table.csv"), "JPEG").at(8), "ESTIMATE");
  EXPECT_TRUE(has(slurp(dir.file("rd_psnr.gp")), "(ESTIMATES)'"));
  EXPECT_TRUE(has(slurp(dir.file("rd_energy.gp")), "(ESTIMATES)'"));
  EXPECT_EQ(read_points(dir.file("rd_points.csv")).front().at("estimate"), "true");
  EXPECT_TRUE(has(slurp(dir.file("index.html")), "<h2>Rate, distortion and energy (ESTIMATES)</h2>"));
}

TEST(RdReport, FiguresDrawnWithStyles) {
  const TempDir dir("rd");
  report(campaign("rapl"), dir.path.string());
  const std::string gp = slurp(dir.file("rd_energy.gp"));
  EXPECT_TRUE(has(gp, "set logscale y"));
  EXPECT_TRUE(has(gp, "lw 3 dt 1") && has(gp, "title 'Bfac (learned)'"));
  EXPECT_TRUE(has(gp, "lw 1.5 dt 2") && has(gp, "title 'JPEG'"));
  if (!have_gnuplot()) GTEST_SKIP() << "gnuplot not installed: scripts checked, figures not drawn";
  for (const char* figure : {"rd_psnr.svg", "rd_energy.svg", "rd_psnr.png", "rd_energy.png"}) {
    ASSERT_TRUE(std::filesystem::exists(dir.path / figure)) << figure;
    EXPECT_GT(std::filesystem::file_size(dir.path / figure), 1000u) << figure;
  }
  EXPECT_TRUE(has(slurp(dir.file("rd_psnr.svg")), "<svg"));
  EXPECT_TRUE(has(slurp(dir.file("index.html")), "<img src=\"rd_energy.svg\""));
}

TEST(RdReport, NoRateNoSection) {
  const TempDir dir("rd");
  std::vector<MeasurementRecord> records;
  for (const MeasurementRecord& r : campaign("rapl"))
    if (!r.bpp) records.push_back(r);
  ASSERT_FALSE(records.empty());
  report(records, dir.path.string());
  EXPECT_FALSE(std::filesystem::exists(dir.path / "rd_points.csv"));
  EXPECT_FALSE(has(slurp(dir.file("index.html")), "Rate, distortion and energy"));
}

// A results CSV of legacy rows and one learned row: the CLI's report still has
// Fig. 2 and Table 2 (the learned network left out of the fits, with a note).
TEST(RdReport, LegacyRowsAndOneLearnedRowThroughTheCli) {
  const TempDir dir("rd_cli");
  const std::string results = dir.file("results.csv");
  write_header(results);
  for (const MeasurementRecord& r : campaign("estimate"))
    if (r.network == "jpeg" || r.network == "webp" ||
        (r.network == "bmshj2018_factorized" && r.image == std::string("kodim01.png")))
      append_record(results, r);
  const auto run = test_util::run_cli("report " + results + " --output " + dir.file("out"));
  ASSERT_EQ(run.code, 0) << run.err;
  for (const char* file : {"index.html", "table2_fits.md", "rd_table.md", "rd_points.csv"})
    EXPECT_TRUE(std::filesystem::exists(dir.path / "out" / file)) << file;
  const std::string page = slurp(dir.file("out/index.html"));
  EXPECT_TRUE(has(page, "left out of the fits")) << "the learned row's single point cannot be fitted";
  EXPECT_TRUE(has(page, "Rate, distortion and energy (ESTIMATES)"));
  EXPECT_EQ(read_points(dir.file("out/rd_points.csv")).size(), 11u);

  const auto given = test_util::run_cli("report " + results + " --output " + dir.file("out2") + " --target-psnr-db 33.5");
  ASSERT_EQ(given.code, 0) << given.err;
  EXPECT_EQ(table_header(dir.file("out2/rd_table.csv")).at(4), "bpp at 33.50 dB");
  const auto bad = test_util::run_cli("report " + results + " --output " + dir.file("out3") + " --target-psnr-db 500");
  EXPECT_NE(bad.code, 0);
  EXPECT_TRUE(has(bad.err, "--target-psnr-db")) << bad.err;
}
