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
#include "protocol/record_groups.h"
#include "report/report.h"
#include "report/gnuplot.h"
#include "report/modes_figure.h"
#include "report/record_json.h"
#include "report/report_parts.h"
#include "test_util.h"

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

// The device measured (NVML) but the host CPU beside it estimated: the page says
// which energies are estimates rather than nothing (the old banner looked only at
// the device's meter).
TEST(Report, HostEstimateBesideAMeasuredDeviceIsLabelled) {
  const std::string dir = temp_dir("host-estimate");
  Campaign c = synthetic_campaign("counter");
  ReportOptions options;
  options.gnuplot = "nicenergy-no-such-gnuplot";
  c.records[2].host_meter = "rapl";
  c.records[2].host_energy_j = 0.25;
  ASSERT_NO_THROW(write_report(c.records, fit_models(c.records, kmac_points(c.complexity)), c.complexity, "", dir, options));
  EXPECT_FALSE(has(read_file(dir + "/index.html"), "ESTIMATES")) << "a measured host is not an estimate";
  c.records[2].host_meter = "estimate";
  ASSERT_NO_THROW(write_report(c.records, fit_models(c.records, kmac_points(c.complexity)), c.complexity, "", dir, options));
  const std::string html = read_file(dir + "/index.html");
  EXPECT_TRUE(has(html, "HOST CPU ENERGIES ARE ESTIMATES")) << html.substr(0, 2000);
  EXPECT_FALSE(has(html, "ESTIMATES, NOT MEASUREMENTS")) << "the device's energies were measured";
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

// ---- issue 18: one set of figures and fits per device model ---------------------

namespace {

// The synthetic campaign measured on two GPU models: the same points, the A100
// drawing 1.7 times the energy per pixel and a higher offset (as a slower,
// older GPU would), on two nodes.
std::vector<MeasurementRecord> two_gpu_models(const Campaign& c) {
  std::vector<MeasurementRecord> records;
  for (const MeasurementRecord& r : c.records) {
    MeasurementRecord h100 = r, a100 = r;
    h100.gpu = "NVIDIA H100 80GB HBM3";
    h100.node = "gpu01";
    h100.device = "cuda:0 (NVIDIA H100 80GB HBM3)";
    a100.gpu = "NVIDIA A100-SXM4-40GB";
    a100.node = "gpu02";
    a100.device = "cuda:0 (NVIDIA A100-SXM4-40GB)";
    a100.energy_j = 1.7 * r.energy_j + 0.015;
    a100.energy_ci_j = 0.02 * a100.energy_j;
    records.push_back(h100);
    records.push_back(a100);
  }
  return records;
}

std::vector<ReportGroup> report_groups(const std::vector<MeasurementRecord>& records, const Campaign& c) {
  std::vector<ReportGroup> groups;
  for (const RecordGroup& g : group_records(records, GroupBy::device))
    groups.push_back({g.name, g.slug, g.records, fit_models(g.records, kmac_points(c.complexity))});
  return groups;
}

}  // namespace

TEST(ReportGroups, TwoGpuModelsGiveTwoSetsOfFiguresEachWithItsOwnFit) {
  const std::string dir = temp_dir("two_gpus");
  const Campaign c = synthetic_campaign("counter");
  const std::vector<MeasurementRecord> records = two_gpu_models(c);
  EXPECT_THROW(fit_models(records, kmac_points(c.complexity)), Error) << "one fit through both models";
  const std::vector<ReportGroup> groups = report_groups(records, c);
  ASSERT_EQ(groups.size(), 2u);
  const ReportGroup& a100 = groups[0];
  const ReportGroup& h100 = groups[1];
  ASSERT_EQ(a100.name, "NVIDIA A100-SXM4-40GB");
  ASSERT_EQ(h100.name, "NVIDIA H100 80GB HBM3");
  // Each group's fit is its own model's: alpha of the A100 about 1.7 times the H100's.
  const EnergyFit* fa = find_fit(a100.fit, "Mcont", "low");
  const EnergyFit* fh = find_fit(h100.fit, "Mcont", "low");
  ASSERT_TRUE(fa && fh);
  EXPECT_NEAR(fa->alpha_j_per_pixel / fh->alpha_j_per_pixel, 1.7, 0.05);
  EXPECT_EQ(fh->n, 8);
  EXPECT_GT(fa->beta_j, fh->beta_j);

  ReportOptions options;
  options.gnuplot = "nicenergy-no-such-gnuplot";
  const ReportResult result = write_report(groups, c.complexity, write_trace(dir), dir + "/r", options);
  const std::string out = dir + "/r/";
  EXPECT_TRUE(fs::exists(out + "fig1_power.gp")) << "one power trace for the page";
  for (const ReportGroup* g : {&a100, &h100}) {
    for (const std::string stem : {"fig2_energy_low_", "fig2_energy_high_", "fig3_alpha_kmac_", "fig3_alpha_kmac_2nd_"}) {
      const std::string gp = read_file(out + stem + g->slug + ".gp");
      EXPECT_TRUE(has(gp, "set title") && has(gp, g->name)) << stem << g->slug << ": the title names the GPU";
      EXPECT_TRUE(fs::exists(out + stem + g->slug + ".dat")) << stem << g->slug;
    }
    // Table 2 of each group holds that group's alpha (µJ/px as the table prints it).
    const std::string table2 = read_file(out + "table2_fits_" + g->slug + ".csv");
    const EnergyFit* f = find_fit(g->fit, "Mcont", "low");
    EXPECT_TRUE(has(table2, "Mcont")) << table2;
    EXPECT_TRUE(has(read_file(out + "table2_fits_" + g->slug + ".md"), g->name));
    EXPECT_TRUE(has(read_file(out + "table1_complexity_" + g->slug + ".md"), g->name));
    const std::string fig2 = read_file(out + "fig2_energy_low_" + g->slug + ".gp");
    EXPECT_TRUE(has(fig2, gp_number(f->alpha_j_per_pixel * 1e6 * 1e3))) << "its own Eq. (2) line";
  }
  // Each Fig. 2 holds its own model's points alone: 3 networks x 2 qualities x 4 sizes at the low level.
  for (const ReportGroup* g : {&a100, &h100}) {
    std::istringstream dat(read_file(out + "fig2_energy_low_" + g->slug + ".dat"));
    int points = 0;
    for (std::string line; std::getline(dat, line);) points += !line.empty() && line[0] != '#';
    EXPECT_EQ(points, 24) << g->name;
  }
  EXPECT_FALSE(fs::exists(out + "fig2_energy_low.gp")) << "no figure of the two models mixed";
  EXPECT_FALSE(fs::exists(out + "table2_fits.md"));
  const std::string html = read_file(out + "index.html");
  for (const ReportGroup* g : {&a100, &h100}) {
    EXPECT_TRUE(has(html, "<h2>" + g->name + "</h2>")) << g->name;
    EXPECT_TRUE(has(html, "href=\"table2_fits_" + g->slug + ".md\"")) << g->name;
    EXPECT_TRUE(has(html, "fig2_energy_low_" + g->slug + ".gp")) << g->name;
  }
  EXPECT_TRUE(has(html, "2 groups"));
  EXPECT_LT(html.find("<h2>" + a100.name), html.find("<h2>" + h100.name));
  EXPECT_EQ(result.files.back(), "index.html");
  fs::remove_all(dir);
}

// One device model: the grouped report is the report of the records without
// groups, file for file and byte for byte, whatever name the group has.
TEST(ReportGroups, OneGpuModelKeepsTheReportWithoutGroups) {
  const std::string dir = temp_dir("one_gpu");
  Campaign c = synthetic_campaign("counter");
  for (MeasurementRecord& r : c.records) {
    r.gpu = "NVIDIA H100 80GB HBM3";
    r.node = (&r - c.records.data()) % 2 ? "gpu01" : "gpu02";
  }
  const std::vector<ReportGroup> groups = report_groups(c.records, c);
  ASSERT_EQ(groups.size(), 1u);
  ASSERT_EQ(groups[0].name, "NVIDIA H100 80GB HBM3");
  ReportOptions options;
  options.gnuplot = "nicenergy-no-such-gnuplot";
  const ReportResult grouped = write_report(groups, c.complexity, write_trace(dir), dir + "/grouped", options);
  const FitResult fit = fit_models(c.records, kmac_points(c.complexity));
  const ReportResult plain = write_report(c.records, fit, c.complexity, write_trace(dir), dir + "/plain", options);
  EXPECT_EQ(grouped.files, plain.files);
  ASSERT_GE(grouped.files.size(), 10u);
  for (const std::string& name : grouped.files) {
    std::string text = read_file(dir + "/grouped/" + name);
    // The page's gnuplot warning names its own folder.
    for (size_t at; (at = text.find(dir + "/grouped")) != std::string::npos;) text.replace(at, dir.size() + 8, dir + "/plain");
    EXPECT_EQ(text, read_file(dir + "/plain/" + name)) << name;
  }
  EXPECT_TRUE(fs::exists(dir + "/grouped/fig2_energy_low.gp"));
  EXPECT_FALSE(has(read_file(dir + "/grouped/index.html"), "H100")) << "no group heading for one model";
  fs::remove_all(dir);
}

// ---- encode against decode (issue 13) ----------------------------------------

namespace {

// One point of Mcont measured in every stage; energies chosen so that the
// parts and the sides disagree a little, as measurements do.
std::vector<MeasurementRecord> stage_records(const std::string& meter) {
  const std::pair<const char*, double> stages[] = {{"encode", 10.0},        {"decode", 20.0},
                                                   {"analysis", 4.0},       {"entropy-encode", 6.5},
                                                   {"entropy-decode", 15.0}, {"synthesis", 5.5}};
  std::vector<MeasurementRecord> records;
  for (const auto& [stage, energy_j] : stages) {
    MeasurementRecord r;
    r.network = "mbt2018";
    r.abbr = "Mcont";
    r.level = "low";
    r.quality = 1;
    r.image = "kodim01.png";
    r.width = 500;
    r.height = 400;
    r.pixels = 200000;
    r.energy_j = energy_j;
    r.energy_ci_j = 0.01 * energy_j;
    r.meter = r.method = meter;
    r.device = "cpu";
    r.stage = stage;
    r.kmac_per_px = std::string(stage) == "encode" ? 57.5 : std::string(stage) == "decode" ? 52.25 : 10.0;
    records.push_back(r);
  }
  return records;
}

const std::vector<std::string>* row_of(const TextTable& t, const std::string& network) {
  for (const auto& row : t.rows)
    if (row[0] == network) return &row;
  return nullptr;
}

std::string column(const TextTable& t, const std::vector<std::string>& row, const std::string& name) {
  for (size_t i = 0; i < t.header.size(); ++i)
    if (t.header[i] == name) return row[i];
  return "(no column " + name + ")";
}

}  // namespace

TEST(ReportStages, TableGivesDecodeOverEncodeAndTheEntropyShares) {
  std::vector<MeasurementRecord> records = stage_records("counter");
  // A second network with only its two parts of the encoder: its share comes from them.
  MeasurementRecord a = records[2], e = records[3];
  a.network = e.network = "bmshj2018_factorized";
  a.abbr = e.abbr = "Bfac";
  a.energy_j = 3.0;
  e.energy_j = 1.0;
  records.push_back(a);
  records.push_back(e);
  // The chain of the first point: its own column, not a stage row.
  MeasurementRecord chain = records[0];
  chain.stage = "";
  chain.energy_j = 12.5;
  records.push_back(chain);
  ASSERT_TRUE(has_stage_records(records));
  ASSERT_FALSE(has_stage_records({chain}));

  const TextTable t = stage_table(records);
  ASSERT_EQ(t.rows.size(), 2u) << render_text(t);
  const auto* mcont = row_of(t, "Mcont");
  const auto* bfac = row_of(t, "Bfac");
  ASSERT_TRUE(mcont && bfac) << render_text(t);
  EXPECT_EQ(column(t, *mcont, "chain J"), "12.5");
  EXPECT_EQ(column(t, *mcont, "decode/encode"), "2.00");
  // The side's own record: 6.5 / 10 and 15 / 20.
  EXPECT_EQ(column(t, *mcont, "entropy share of encode %"), "65.0");
  EXPECT_EQ(column(t, *mcont, "entropy share of decode %"), "75.0");
  EXPECT_EQ(column(t, *mcont, "encoder kMAC/px"), "57.50");
  EXPECT_EQ(column(t, *mcont, "decoder kMAC/px"), "52.25");
  // Without the side's record, its parts: 1 / (3 + 1).
  EXPECT_EQ(column(t, *bfac, "entropy share of encode %"), "25.0");
  EXPECT_EQ(column(t, *bfac, "decode/encode"), "");
  EXPECT_EQ(column(t, *bfac, "chain J"), "");
  EXPECT_EQ(std::find(t.header.begin(), t.header.end(), "host J of encode"), t.header.end())
      << "no host column without a host meter";

  // A GPU's stages with the host CPU beside it, estimated: labelled.
  for (auto& r : records) {
    r.host_meter = "estimate";
    r.host_energy_j = r.energy_j / 10;
  }
  const TextTable host = stage_table(records);
  EXPECT_EQ(column(host, *row_of(host, "Mcont"), "host J of encode (ESTIMATE)"), "1");
  EXPECT_EQ(column(host, *row_of(host, "Mcont"), "host J of decode (ESTIMATE)"), "2");
}

TEST(ReportStages, AReportOfStagesAloneHasTheTableFigureAndPage) {
  const std::string dir = temp_dir("stages");
  ReportOptions options;
  options.stage_records = stage_records("estimate");
  options.gnuplot = "nicenergy-no-such-gnuplot";  // the scripts are checked, not drawn
  const std::string out = dir + "/report";
  const ReportResult result = write_report(std::vector<ReportGroup>{}, {}, "", out, options);
  const std::string html = read_file(out + "/index.html");
  EXPECT_TRUE(has(html, "Encode against decode")) << html;
  EXPECT_TRUE(has(html, "ESTIMATES")) << "estimated stage energies are labelled on the page";
  EXPECT_TRUE(has(read_file(out + "/stages.md"), "ESTIMATES"));
  EXPECT_TRUE(has(read_file(out + "/stages.csv"), "Mcont,1,kodim01.png,500x400,"));
  EXPECT_FALSE(fs::exists(out + "/table2_fits.md")) << "no chain, no Eq. (2) table";
  // Fig. 4: one bar per stage measured, in J per megapixel: encode 10 J / 0.2 MP = 50.
  const std::string dat = read_file(out + "/fig4_stages.dat");
  EXPECT_TRUE(has(dat, "\"Mcont q1\" 50 100 20 32.5 75 27.5")) << dat;
  EXPECT_TRUE(has(read_file(out + "/fig4_stages.gp"), "(ESTIMATES)"));
  EXPECT_FALSE(result.warnings.empty()) << "gnuplot missing is said";
  EXPECT_THROW(write_report(std::vector<ReportGroup>{}, {}, "", dir + "/empty", ReportOptions{}), Error);
  fs::remove_all(dir);
}

// ---- energy modes (issue 14) --------------------------------------------------

namespace {

ModeRow mode_row(const std::string& mode, const std::string& by_design, double deviation, double energy, bool exact) {
  ModeRow r;
  r.network = "bmshj2018_factorized";
  r.abbr = "Bfac";
  r.quality = 1;
  r.image = "kodim01.png";
  r.device = "cpu (AMD EPYC)";
  r.meter = "estimate";
  r.estimate = true;
  r.threads = 2;
  r.weights = "bfac-q1.safetensors";
  r.mode = mode;
  r.by_design = by_design;
  r.max_abs_diff = deviation;
  r.tolerance = 1e-4;
  r.energy_j = energy;
  r.exact = exact;
  return r;
}

std::vector<ModeRow> mode_rows() {
  return {mode_row("float32", "reference", 0, 10, true), mode_row("subpixel", "exact", 1e-6, 4, true),
          mode_row("channels_last", "exact", 2e-6, 6, true),  // beaten by subpixel on both counts
          mode_row("channels_last+subpixel+inference_mode+bf16", "lower precision", 0.05, 1.5, false),
          mode_row("fp16", "lower precision", 0.01, 3, false)};
}

}  // namespace

TEST(ReportModes, ParetoFrontKeepsTheModesNothingBeatsOnBoth) {
  const auto rows = mode_rows();
  const std::vector<size_t> front = pareto_front(rows);
  EXPECT_EQ(front, (std::vector<size_t>{0, 1, 4, 3})) << "by deviation; channels_last is dominated";
  const auto [dat, gp] = modes_figure(rows, "fig5_modes", " (ESTIMATES)");
  for (const ModeRow& r : rows) EXPECT_TRUE(has(dat, r.mode)) << r.mode;
  EXPECT_TRUE(has(dat, " 0.4 1 ")) << "subpixel at 0.4 x float32, an exact mode:\n" << dat;
  EXPECT_TRUE(has(gp, "Pareto front"));
  EXPECT_TRUE(has(gp, "lower precision"));
  EXPECT_FALSE(has(gp, "NOT exact")) << "no such mode among the rows";
  EXPECT_TRUE(has(gp, "float32 rounding"));
  EXPECT_TRUE(has(gp, "(ESTIMATES)"));
  const TextTable table = modes_table(rows);
  ASSERT_EQ(table.rows.size(), rows.size());
  EXPECT_EQ(table.rows[2].back(), "") << "channels_last is not on the front";
  EXPECT_EQ(table.rows[1].back(), "yes");
}

TEST(ReportModes, PageGetsTheModesTableAndFigurePerNetwork) {
  const std::string dir = temp_dir("modes");
  Campaign c = synthetic_campaign("counter");
  const FitResult fit = fit_models(c.records, kmac_points(c.complexity));
  ReportOptions options;
  options.gnuplot = "nicenergy-no-such-gnuplot";
  options.mode_rows = mode_rows();
  for (ModeRow r : mode_rows()) {  // a second network: a second figure
    r.abbr = "Canch";
    r.network = "cheng2020_anchor";
    options.mode_rows.push_back(r);
  }
  const ReportResult result = write_report(c.records, fit, c.complexity, "", dir, options);
  EXPECT_TRUE(fs::exists(dir + "/modes.md"));
  EXPECT_TRUE(has(read_file(dir + "/modes.md"), "ESTIMATES"));
  EXPECT_TRUE(fs::exists(dir + "/fig5_modes_1.gp"));
  EXPECT_TRUE(fs::exists(dir + "/fig5_modes_2.gp"));
  EXPECT_TRUE(has(read_file(dir + "/fig5_modes_2.gp"), "Canch"));
  const std::string html = read_file(dir + "/index.html");
  EXPECT_TRUE(has(html, "Energy modes"));
  EXPECT_TRUE(has(html, "channels_last+subpixel+inference_mode+bf16"));
  fs::remove_all(dir);
}

// ---- activation bandwidth (issue 16) -------------------------------------------

TEST(ReportBandwidth, EachFileGetsItsFigureOnThePage) {
  const std::string dir = temp_dir("bandwidth");
  Campaign c = synthetic_campaign("counter");
  const FitResult fit = fit_models(c.records, kmac_points(c.complexity));
  ReportOptions options;
  options.gnuplot = "nicenergy-no-such-gnuplot";
  for (const char* abbr : {"Bfac", "Canch"}) {
    BandwidthFile f;
    f.trained = std::string(abbr) == "Bfac";
    f.bandwidth.abbr = abbr;
    f.bandwidth.quality = 1;
    f.bandwidth.padded_width = f.bandwidth.padded_height = 64;
    for (int i = 0; i < 3; ++i) {
      LayerBandwidth l;
      l.name = "g_a." + std::to_string(i);
      l.kind = "conv";
      l.in_2nd = i < 2;
      l.bytes.float32 = 4000.0 * (i + 1);
      l.bytes.int8 = 1000.0 * (i + 1);
      l.bytes.exp_golomb = 900.0 * (i + 1);
      f.bandwidth.total += l.bytes;
      f.bandwidth.layers.push_back(l);
    }
    options.bandwidths.push_back(f);
  }
  write_report(c.records, fit, c.complexity, "", dir, options);
  const std::string first = read_file(dir + "/fig6_bandwidth_1.gp"), second = read_file(dir + "/fig6_bandwidth_2.gp");
  EXPECT_TRUE(has(first, "Bfac q1"));
  EXPECT_FALSE(has(first, "SEEDED"));
  EXPECT_TRUE(has(second, "SEEDED WEIGHTS")) << "seeded weights are said in the figure";
  EXPECT_TRUE(has(read_file(dir + "/fig6_bandwidth_1.dat"), "\"g_a.2\" 12000 3000 2700 0"));
  const std::string html = read_file(dir + "/index.html");
  EXPECT_TRUE(has(html, "Activation bandwidth"));
  EXPECT_TRUE(has(html, "fig6_bandwidth_2"));
  fs::remove_all(dir);
}

// ---- the answer first, and what each figure says -------------------------------------

// The page opens with the energy of one image per network, level and size, and
// the same table sits beside the others as Markdown and CSV.
TEST(ReportAnswer, EnergyPerImageComesFirstOnThePageAndAsFiles) {
  const std::string dir = temp_dir("answer");
  Campaign c = synthetic_campaign("counter");
  c.records[0].energy_j = 0.1234;  // Bfac low q1 at 256x256: 0.1234 J / 0.065536 MP = 1.883 J/MP
  c.records[0].energy_ci_j = 0.0021;
  c.records[0].k = 7;
  ReportOptions options;
  options.gnuplot = "nicenergy-no-such-gnuplot";
  write_report(c.records, fit_models(c.records, kmac_points(c.complexity)), c.complexity, "", dir, options);
  const std::string html = read_file(dir + "/index.html");
  const size_t answer = html.find("<h2>Energy per image");
  ASSERT_NE(answer, std::string::npos) << html.substr(0, 3000);
  for (const char* later : {"<h2>Data", "Table 2", "Energy over image size"})
    EXPECT_LT(answer, html.find(later)) << later;
  const std::string csv = read_file(dir + "/energy.csv");
  EXPECT_TRUE(has(csv, "Bfac,low,1,kodim01,256x256,0.1234,1.883,0.0021,7,nvml")) << csv;
  EXPECT_TRUE(has(html, "href=\"energy.md\""));
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), static_cast<long>(c.records.size()) + 1);
  // Estimates say so in the table and the file.
  Campaign e = synthetic_campaign("estimate");
  write_report(e.records, fit_models(e.records, kmac_points(e.complexity)), e.complexity, "", dir + "/e", options);
  EXPECT_TRUE(has(read_file(dir + "/e/energy.md"), "energies are ESTIMATES (CPU time x TDP share), not measurements"));
  EXPECT_TRUE(has(read_file(dir + "/e/energy.csv"), ",ESTIMATE\n"));
  fs::remove_all(dir);
}

// Fig. 1 names the measurement its trace belongs to; Fig. 3 promises no line it does not draw.
TEST(ReportAnswer, FiguresNameTheirPointAndDrawWhatTheCaptionSays) {
  const std::string dir = temp_dir("figures");
  Campaign c = synthetic_campaign("counter");
  fs::create_directories(dir + "/t");
  fs::copy_file(write_trace(dir), dir + "/t/0003-Mcont-q2-512x384.csv");
  ReportOptions options;
  options.gnuplot = "nicenergy-no-such-gnuplot";
  FitResult fit = fit_models(c.records, kmac_points(c.complexity));
  fit.alpha_vs_kmac.reset();
  write_report(c.records, fit, c.complexity, dir + "/t/0003-Mcont-q2-512x384.csv", dir + "/r", options);
  EXPECT_TRUE(has(read_file(dir + "/r/fig1_power.gp"), "Power over time of Mcont q2 (low level), 512x384, kodim02"));
  const std::string html = read_file(dir + "/r/index.html");
  EXPECT_TRUE(has(html, "Fig. 1: power over time of Mcont q2 (low level), 512x384"));
  const std::string fig3 = read_file(dir + "/r/fig3_alpha_kmac.gp");
  EXPECT_FALSE(has(fig3, "fit, ρ")) << "no line to draw";
  EXPECT_TRUE(has(fig3, "no α-over-kMAC line"));
  EXPECT_TRUE(has(html, "Fig. 3: α of each network and level over its kMAC per pixel; no Sec. 5 fit line"));
  EXPECT_TRUE(has(html, "Fig. 3 (2nd downsampling): α of each network and level over its kMAC per pixel up to the "
                        "2nd downsampling, with the Sec. 5 fit."));
  // A trace whose name says nothing is named as a file.
  write_report(c.records, fit, c.complexity, write_trace(dir), dir + "/r2", options);
  EXPECT_TRUE(has(read_file(dir + "/r2/fig1_power.gp"), "trace trace.csv"));
  fs::remove_all(dir);
}

// A generated image is "mosaic of images 256x128", not "mosaic 256x128 of ../data/images 256x128".
TEST(ReportAnswer, ImageLabelsAreShortAndSayTheSizeOnce) {
  EXPECT_EQ(image_label("mosaic 256x128 of ../data/images"), "mosaic of images");
  EXPECT_EQ(image_label("resize 64x64 of data/images/kodim01.png"), "resize of kodim01.png");
  EXPECT_EQ(image_label("data/images/kodim01.png"), "kodim01.png");
  const std::string dir = temp_dir("labels");
  Campaign c = synthetic_campaign("counter");
  for (MeasurementRecord& r : c.records) {
    r.image = "mosaic " + std::to_string(r.width) + "x" + std::to_string(r.height) + " of ../data/images";
    r.idle_cold_power_w = 30;  // the idle table lists every image
  }
  ReportOptions options;
  options.gnuplot = "nicenergy-no-such-gnuplot";
  write_report(c.records, fit_models(c.records, kmac_points(c.complexity)), c.complexity, "", dir, options);
  const std::string html = read_file(dir + "/index.html");
  EXPECT_TRUE(has(html, "mosaic of images 256x256")) << html.substr(0, 4000);
  EXPECT_FALSE(has(html, "of ../data/images 256x256"));
  fs::remove_all(dir);
}

// The modes figure's title ran past the edge on one line: two lines now, the image short.
TEST(ReportAnswer, ModesTitleIsTwoShortLines) {
  std::vector<ModeRow> rows = mode_rows();
  for (ModeRow& r : rows) r.image = "mosaic 256x128 of ../data/images", r.device = "cpu (AMD EPYC 7B13 64-Core Processor)";
  const auto [dat, gp] = modes_figure(rows, "fig5_modes", "");
  EXPECT_TRUE(has(gp, "Bfac q1 on mosaic of images: energy against output deviation per mode\\ncpu (AMD EPYC 7B13 "
                     "64-Core Processor)"))
      << gp;
  EXPECT_TRUE(has(gp, "set key at screen 0.5")) << "a key beside the plot pushed the title off-centre";
}

// A fitted line with a negative beta that crosses zero inside the sizes is noted
// on Fig. 2 and under Table 2 on the page and in its Markdown.
TEST(ReportAnswer, AnUnsoundLineIsSaidOnFig2AndTable2) {
  const std::string dir = temp_dir("unsound");
  std::vector<MeasurementRecord> records;
  const double energies[] = {0.05, 0.06, 0.5, 0.55};
  for (int i = 0; i < 4; ++i) {
    MeasurementRecord r;
    r.network = "bmshj2018_factorized";
    r.abbr = "Bfac";
    r.level = "low";
    r.quality = 1;
    r.image = "kodim01";
    r.width = 64 * (i + 1);
    r.height = 64;
    r.pixels = int64_t(r.width) * 64;
    r.energy_j = energies[i];
    r.meter = "nvml";
    r.method = "counter";
    r.device = "cuda:0 test";
    records.push_back(r);
  }
  ReportOptions options;
  options.gnuplot = "nicenergy-no-such-gnuplot";
  write_report(records, fit_models(records, {}), {}, "", dir, options);
  EXPECT_TRUE(has(read_file(dir + "/fig2_energy_low.gp"),
                  "Note: Bfac: fitted β < 0, its line crosses 0 at 0.00412 MP, inside the measured sizes"));
  EXPECT_TRUE(has(read_file(dir + "/table2_fits.md"), "the fitted beta is negative (-0.195 J)"));
  EXPECT_TRUE(has(read_file(dir + "/index.html"), "crosses zero at 4117 pixels"));
  fs::remove_all(dir);
}

// measure --json and the record's JSON: keys in the documented order, the results CSV's columns.
TEST(RecordJson, KeysComeInTheOrderOfTheCsvColumns) {
  MeasurementRecord r;
  r.network = "bmshj2018_factorized";
  const nlohmann::ordered_json j = to_json(r);
  std::vector<std::string> keys;
  for (const auto& item : j.items()) keys.push_back(item.key());
  EXPECT_EQ(keys, measurement_columns());
  const std::string text = j.dump();
  EXPECT_LT(text.find("\"network\""), text.find("\"abbr\"")) << "alphabetical order puts abbr first";
}

// report --bandwidth refuses a file far larger than any bandwidth JSON in one line.
TEST(ReportBandwidth, AHugeFileIsRefusedInOneLine) {
  test_util::TempDir dir("bandwidth-huge");
  {
    std::ofstream out(dir.file("huge.json"));
    out << "{\"pad\": \"" << std::string(9u << 20, 'x') << "\"}";
  }
  {
    std::ofstream out(dir.file("r.csv"));
    out << "network,abbr,quality,level,image,width,height,pixels,padded_width,padded_height,energy_j,energy_ci_j,k,m,"
           "duration_s,idle_power_w,mean_power_w,meter,method,device,started_at\n";
    for (int w : {64, 96, 128})
      out << "bmshj2018_factorized,Bfac,1,low,x.png," << w << ",64," << w * 64 << "," << w << ",64,"
          << 0.001 * w << ",0,2,3,1,10,20,nvml,counter,cuda:0 test,2024-05-01T00:00:00Z\n";
  }
  expect_one_line_error("report " + dir.file("r.csv") + " --output " + dir.file("out") + " --bandwidth " +
                            dir.file("huge.json"),
                        "8 MiB");
}
