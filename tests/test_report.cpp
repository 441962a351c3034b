// The report: files written, figures as real SVG and PNG, index.html linking
// them, the ESTIMATE banner, and a page without gnuplot.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

#include "error.h"
#include "meters/trace_csv.h"
#include "modeling/fit.h"
#include "report/report.h"
#include "report/report_parts.h"

using namespace nicenergy;
namespace fs = std::filesystem;

namespace {

std::string temp_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("nicenergy_report_" + name + "_" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

bool have_gnuplot() { return std::system("command -v gnuplot >/dev/null 2>&1") == 0; }

struct Campaign {
  std::vector<MeasurementRecord> records;
  std::vector<ComplexityRow> complexity;
};

// Three networks x two levels x four sizes x two qualities; energies in the
// tenths of a joule, alpha proportional to kMAC so that Fig. 3 has a line.
Campaign synthetic_campaign(const std::string& method, bool with_high = true) {
  struct Net { const char* name; const char* abbr; double kmac_low, kmac_high; };
  const Net nets[] = {{"bmshj2018_factorized", "Bfac", 36, 81},
                      {"mbt2018", "Mcont", 90, 120},
                      {"cheng2020_anchor", "Canch", 180, 380}};
  const int sizes[][2] = {{256, 256}, {512, 384}, {768, 512}, {1024, 768}};
  Campaign c;
  int i = 0;
  for (const Net& n : nets)
    for (const char* level : {"low", "high"}) {
      const bool high = std::string(level) == "high";
      if (high && !with_high) continue;
      const double kmac = high ? n.kmac_high : n.kmac_low;
      for (int q = 1; q <= 2; ++q) {
        const int quality = high ? q + 4 : q;
        c.complexity.push_back({n.abbr, n.name, level, quality, 128, 192, 3000000, kmac, kmac * 0.6});
        for (const auto& s : sizes) {
          MeasurementRecord r;
          r.network = n.name;
          r.abbr = n.abbr;
          r.level = level;
          r.quality = quality;
          r.image = "kodim0" + std::to_string(q);
          r.width = s[0];
          r.height = s[1];
          r.pixels = static_cast<int64_t>(s[0]) * s[1];
          const double noise = 0.01 * ((i++ * 7) % 5 - 2);
          r.energy_j = (kmac * 2.5e-9 * r.pixels + 0.02) * (1 + noise);
          r.energy_ci_j = 0.02 * r.energy_j;
          r.meter = method == "estimate" ? "estimate" : "nvml";
          r.method = method;
          r.device = "cuda:0 test";
          c.records.push_back(r);
        }
      }
    }
  return c;
}

std::string write_trace(const std::string& dir) {
  const std::string path = dir + "/trace.csv";
  std::ofstream out(path);
  out << "time_s,power_w,window\n";
  for (int i = 0; i < 200; ++i) {
    const int window = (i >= 40 && i < 90) ? 0 : (i >= 120 && i < 170) ? 1 : -1;
    out << i * 0.01 << "," << (window < 0 ? 60.0 : 200.0 + (i % 7)) << "," << window << "\n";
  }
  return path;
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST(Report, WritesFiguresTablesAndPage) {
  if (!have_gnuplot()) GTEST_SKIP() << "gnuplot is not on PATH (Debian: apt-get install gnuplot-nox)";
  const std::string dir = temp_dir("full");
  const Campaign c = synthetic_campaign("counter");
  const FitResult fit = fit_models(c.records, kmac_points(c.complexity));
  ASSERT_TRUE(fit.alpha_vs_kmac);
  const std::string out = dir + "/report";
  const ReportResult result = write_report(c.records, fit, c.complexity, write_trace(dir), out);
  EXPECT_TRUE(result.warnings.empty()) << result.warnings.front();

  const std::string html = read_file(out + "/index.html");
  for (const std::string stem : {"fig1_power", "fig2_energy_low", "fig2_energy_high", "fig3_alpha_kmac",
                                 "fig3_alpha_kmac_2nd"}) {
    for (const std::string ext : {".gp", ".dat", ".svg", ".png"}) {
      const fs::path path = fs::path(out) / (stem + ext);
      ASSERT_TRUE(fs::exists(path)) << path;
      EXPECT_GT(fs::file_size(path), 0u) << path;
    }
    const std::string svg = read_file(fs::path(out) / (stem + ".svg"));
    EXPECT_TRUE(svg.rfind("<?xml", 0) == 0 || svg.rfind("<svg", 0) == 0) << stem;
    EXPECT_TRUE(has(svg, "</svg>")) << stem;
    const std::string png = read_file(fs::path(out) / (stem + ".png"));
    EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8)) << stem;
    EXPECT_TRUE(has(html, "src=\"" + stem + ".svg\"")) << stem;
  }
  for (const std::string name : {"table1_complexity.md", "table1_complexity.csv", "table2_fits.md", "table2_fits.csv"}) {
    EXPECT_GT(fs::file_size(fs::path(out) / name), 0u) << name;
    EXPECT_TRUE(has(html, "href=\"" + name + "\"")) << name;
  }
  EXPECT_TRUE(has(read_file(out + "/table1_complexity.csv"), "Canch,high,\"5,6\",128,192,3.000,380.00,228.00,"));
  EXPECT_TRUE(has(read_file(out + "/table2_fits.md"), "| Mcont |"));
  EXPECT_TRUE(has(html, "Meter: nvml"));
  EXPECT_TRUE(has(html, "Method: counter"));
  EXPECT_FALSE(has(html, "ESTIMATES"));
  // Energies below 1 J are plotted in mJ.
  EXPECT_TRUE(has(read_file(out + "/fig2_energy_low.gp"), "(mJ)"));
  EXPECT_EQ(result.files.back(), "index.html");
  fs::remove_all(dir);
}

TEST(Report, EstimateBannerAndNoGnuplot) {
  const std::string dir = temp_dir("estimate");
  Campaign c = synthetic_campaign("counter");
  c.records[3].method = "estimate";  // one estimated row is enough for the banner
  const FitResult fit = fit_models(c.records, kmac_points(c.complexity));
  ReportOptions options;
  options.gnuplot = "nicenergy-no-such-gnuplot";
  ReportResult result;
  ASSERT_NO_THROW(result = write_report(c.records, fit, c.complexity, "", dir, options));
  ASSERT_EQ(result.warnings.size(), 1u);
  EXPECT_TRUE(has(result.warnings[0], "not on PATH")) << result.warnings[0];
  const std::string html = read_file(dir + "/index.html");
  EXPECT_TRUE(has(html, "class=\"banner\""));
  EXPECT_TRUE(has(html, "ESTIMATES, NOT MEASUREMENTS"));
  EXPECT_TRUE(has(html, "Method: counter, estimate"));
  EXPECT_TRUE(has(html, "Figures not drawn"));
  EXPECT_FALSE(has(html, "<img"));
  EXPECT_FALSE(fs::exists(dir + "/fig1_power.gp"));  // no trace, no Fig. 1
  EXPECT_TRUE(fs::exists(dir + "/fig2_energy_low.gp"));
  EXPECT_FALSE(fs::exists(dir + "/fig2_energy_low.svg"));
  EXPECT_GT(fs::file_size(dir + "/table2_fits.csv"), 0u);
  EXPECT_GT(fs::file_size(dir + "/table1_complexity.md"), 0u);
  // Not only the page: every figure title and Markdown table carries the label.
  for (const char* file : {"fig2_energy_low.gp", "fig3_alpha_kmac.gp", "table1_complexity.md", "table2_fits.md"})
    EXPECT_TRUE(has(read_file(dir + "/" + file), "ESTIMATES")) << file;
  fs::remove_all(dir);
}

TEST(Report, MeasuredDataCarriesNoEstimateLabel) {
  const std::string dir = temp_dir("measured");
  Campaign c = synthetic_campaign("counter");
  const FitResult fit = fit_models(c.records, kmac_points(c.complexity));
  ReportOptions options;
  options.gnuplot = "nicenergy-no-such-gnuplot";
  ASSERT_NO_THROW(write_report(c.records, fit, c.complexity, "", dir, options));
  for (const char* file : {"index.html", "fig2_energy_low.gp", "table2_fits.md"})
    EXPECT_FALSE(has(read_file(dir + "/" + file), "ESTIMATES")) << file;
  fs::remove_all(dir);
}

TEST(Report, OneLevelAndNoComplexity) {
  if (!have_gnuplot()) GTEST_SKIP() << "gnuplot is not on PATH (Debian: apt-get install gnuplot-nox)";
  const std::string dir = temp_dir("onelevel");
  // Only the low level: Fig. 3 has an empty high block, which must still plot.
  const Campaign c = synthetic_campaign("samples", false);
  const FitResult fit = fit_models(c.records, kmac_points(c.complexity));
  const ReportResult result = write_report(c.records, fit, c.complexity, "", dir + "/a");
  EXPECT_TRUE(result.warnings.empty()) << result.warnings.front();
  EXPECT_TRUE(fs::exists(dir + "/a/fig3_alpha_kmac.png"));
  EXPECT_FALSE(fs::exists(dir + "/a/fig3_alpha_kmac.log"));  // a log stays only when gnuplot complained
  EXPECT_FALSE(fs::exists(dir + "/a/fig2_energy_high.gp"));
  // Without complexity rows: no Table 1 and no Fig. 3, and the page says so.
  const ReportResult bare = write_report(c.records, fit_models(c.records, {}), {}, "", dir + "/b");
  EXPECT_TRUE(bare.warnings.empty());
  EXPECT_FALSE(fs::exists(dir + "/b/table1_complexity.md"));
  EXPECT_FALSE(fs::exists(dir + "/b/fig3_alpha_kmac.gp"));
  EXPECT_TRUE(has(read_file(dir + "/b/index.html"), "No complexity numbers"));
  fs::remove_all(dir);
}

// Fig. 1 reads traces through the replay meter's reader: a `time_s,power_w`
// trace without windows (as replay takes) draws the power with nothing shaded.
TEST(Report, TraceWithoutWindowsIsDrawnUnshaded) {
  const std::string dir = temp_dir("nowindows");
  std::ofstream(dir + "/replay.csv") << "time_s,power_w\n0,50\n0.5,80\n1,55\n";
  const Campaign c = synthetic_campaign("counter");
  ReportOptions options;
  options.gnuplot = "nicenergy-no-such-gnuplot";
  write_report(c.records, fit_models(c.records, {}), {}, dir + "/replay.csv", dir + "/r", options);
  const std::string dat = read_file(dir + "/r/fig1_power.dat");
  EXPECT_TRUE(has(dat, "0.5 80 -1")) << dat;
  EXPECT_FALSE(has(read_file(dir + "/r/fig1_power.gp"), "set object"));
  fs::remove_all(dir);
}

TEST(Report, TraceAndInputErrors) {
  const std::string dir = temp_dir("errors");
  const std::vector<TracePoint> trace = read_trace_csv(write_trace(dir));
  ASSERT_EQ(trace.size(), 200u);
  EXPECT_EQ(trace[40].window, 0);
  EXPECT_DOUBLE_EQ(trace[0].power_w, 60.0);

  std::ofstream(dir + "/bad_header.csv") << "t,p\n0,1\n";
  std::ofstream(dir + "/bad_value.csv") << "time_s,power_w,window\n0,1,-1\n0.1,abc,-1\n";
  EXPECT_THROW(read_trace_csv(dir + "/bad_header.csv"), Error);
  try {
    read_trace_csv(dir + "/bad_value.csv");
    FAIL() << "no error for a bad value";
  } catch (const Error& e) {
    EXPECT_TRUE(has(e.what(), "bad_value.csv")) << e.what();
    EXPECT_TRUE(has(e.what(), "line 3")) << e.what();
  }
  EXPECT_THROW(read_trace_csv(dir + "/absent.csv"), Error);

  const Campaign c = synthetic_campaign("counter");
  const FitResult fit = fit_models(c.records, {});
  EXPECT_THROW(write_report({}, fit, {}, "", dir + "/r"), Error);
  // A bad trace stops the report before anything is written.
  EXPECT_THROW(write_report(c.records, fit, {}, dir + "/bad_value.csv", dir + "/r2"), Error);
  EXPECT_FALSE(fs::exists(dir + "/r2"));
  fs::remove_all(dir);
}

TEST(Report, PageShowsIdleReferencesMemorySplitAndWarningsWherePresent) {
  MeasurementRecord plain;
  plain.abbr = "Bfac";
  plain.quality = 1;
  plain.image = "a.png";
  plain.energy_j = 2;
  const std::string none = html_page({plain}, FitResult{}, PageParts{});
  EXPECT_EQ(none.find("Measurement warnings"), std::string::npos);
  EXPECT_EQ(none.find("Memory and the rest"), std::string::npos);
  EXPECT_EQ(none.find("Idle references"), std::string::npos);

  MeasurementRecord hardened = plain;
  hardened.idle_reference = "hot";
  hardened.idle_cold_power_w = 41.5;
  hardened.idle_hot_power_w = 57.25;
  hardened.energy_cold_j = 2.5;
  hardened.energy_hot_j = 2;
  hardened.memory_share = 0.125;
  hardened.warnings = "window 0: 2 other compute process(es) on the GPU: the measurement is not exclusive";
  const std::string page = html_page({hardened}, FitResult{}, PageParts{});
  EXPECT_NE(page.find("Idle references"), std::string::npos);
  EXPECT_NE(page.find("41.5"), std::string::npos);
  EXPECT_NE(page.find("57.25"), std::string::npos);
  EXPECT_NE(page.find("Memory and the rest"), std::string::npos);
  EXPECT_NE(page.find("12.5 %"), std::string::npos);
  EXPECT_NE(page.find("87.5 %"), std::string::npos);
  EXPECT_NE(page.find("Measurement warnings"), std::string::npos);
  EXPECT_NE(page.find("not exclusive"), std::string::npos);

  // GPM means alone (no memory-scope power) still get the table, beside dashes for the split.
  MeasurementRecord gpm = plain;
  gpm.dram_bw_util_pct = 37.3;
  gpm.sm_util_pct = 61.7;
  gpm.tensor_util_pct = 12.4;
  const std::string gpm_page = html_page({gpm}, FitResult{}, PageParts{});
  EXPECT_NE(gpm_page.find("Memory and the rest"), std::string::npos);
  EXPECT_NE(gpm_page.find("37.3 %"), std::string::npos) << gpm_page;
  EXPECT_NE(gpm_page.find("61.7 %"), std::string::npos);
  EXPECT_NE(gpm_page.find("12.4 %"), std::string::npos);
  EXPECT_EQ(page.find("61.7 %"), std::string::npos) << "the first record has no GPM";
}
