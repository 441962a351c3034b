#include "report/report.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>

#include "error.h"
#include "meters/estimate_label.h"
#include "models/zoo.h"
#include "report/fit_tables.h"
#include "report/bandwidth_figure.h"
#include "report/gnuplot.h"
#include "report/modes_figure.h"
#include "report/rd_report.h"
#include "report/report_parts.h"
#include "report/text_table.h"

namespace fs = std::filesystem;

namespace nicenergy {

void ReportFolder::write(const std::string& name, const std::string& text) {
  std::ofstream out(dir / name, std::ios::binary);
  out << text;
  if (!out) throw Error("cannot write '" + (dir / name).string() + "': check that the report folder is writable");
  result->files.push_back(name);
}

bool any_estimate(const std::vector<MeasurementRecord>& records) {
  return std::any_of(records.begin(), records.end(),
                     [](const MeasurementRecord& r) { return r.method == "estimate" || r.meter == "estimate"; });
}

bool any_host_estimate(const std::vector<MeasurementRecord>& records) {
  return std::any_of(records.begin(), records.end(),
                     [](const MeasurementRecord& r) { return r.host_energy_j && r.host_meter == "estimate"; });
}

const EnergyFit* find_fit(const FitResult& fit, const std::string& abbr, const std::string& level) {
  for (const EnergyFit& f : fit.fits)
    if (f.abbr == abbr && f.level == level) return &f;
  return nullptr;
}

// The levels in the records: low, high, then any other text in order of appearance.
static std::vector<std::string> levels_in(const std::vector<MeasurementRecord>& records) {
  std::vector<std::string> levels;
  for (const MeasurementRecord& r : records)
    if (std::find(levels.begin(), levels.end(), r.level) == levels.end()) levels.push_back(r.level);
  std::stable_sort(levels.begin(), levels.end(),
                   [](const std::string& a, const std::string& b) { return level_rank(a) < level_rank(b); });
  return levels;
}

// Level names come from data; keep file names to safe characters.
static std::string fig2_stem(const std::string& level) {
  std::string safe;
  for (char c : level) safe += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return "fig2_energy_" + (safe.empty() ? std::string("none") : safe);
}

// Writes one group's Fig. 2 and Fig. 3 scripts (.gp and .dat), file names
// ending in suffix; returns the figures, and notes for those left out.
static std::vector<Figure> write_group_figures(ReportFolder& w, const std::vector<MeasurementRecord>& records,
                                               const FitResult& fit, const std::vector<ComplexityRow>& complexity,
                                               const std::string& suffix, std::vector<std::string>& notes) {
  std::vector<Figure> figures;
  for (const std::string& level : levels_in(records)) {
    const std::string stem = fig2_stem(level) + suffix;
    write_fig2_energy_over_pixels(w, records, fit, level, stem);
    figures.push_back({stem, "Fig. 2 (" + level + " level): energy per execution over image size, error bars: "
                             "confidence interval of each measurement; lines: Eq. (2) fits."});
  }
  if (complexity.empty()) {
    notes.push_back("No complexity numbers were given, so Fig. 3 and Table 1 are left out.");
    return figures;
  }
  const std::vector<KmacPoint> points = kmac_points(complexity);
  for (bool use_2nd : {false, true}) {
    const std::string stem = (use_2nd ? "fig3_alpha_kmac_2nd" : "fig3_alpha_kmac") + suffix;
    const bool line = (use_2nd ? fit.alpha_vs_kmac_2nd : fit.alpha_vs_kmac).has_value();
    if (write_fig3_alpha_over_kmac(w, fit, points, use_2nd, stem))
      figures.push_back({stem, std::string("Fig. 3") + (use_2nd ? " (2nd downsampling)" : "") +
                                   ": α of each network and level over its kMAC per pixel" +
                                   (use_2nd ? " up to the 2nd downsampling" : "") +
                                   (line ? ", with the Sec. 5 fit." : "; no Sec. 5 fit line (see the notes).")});
    else
      notes.push_back("No fitted network-level has a complexity row, so " + stem + " is left out.");
  }
  return figures;
}

// Runs gnuplot on every script; returns the stems not drawn, with a warning each.
static std::vector<std::string> draw_figures(const std::string& gnuplot, ReportFolder& w,
                                             const std::vector<Figure>& figures) {
  std::vector<std::string> failed;
  if (figures.empty()) return failed;
  if (!gnuplot_available(gnuplot)) {
    w.result->warnings.push_back("gnuplot ('" + gnuplot +
                                 "') is not on PATH: figures not drawn; install gnuplot (Debian: gnuplot-nox) "
                                 "and run the .gp scripts in " + w.dir.string());
    for (const Figure& f : figures) failed.push_back(f.stem);
    return failed;
  }
  for (const Figure& f : figures) {
    const std::string why = run_gnuplot(gnuplot, w.dir, f.stem);
    if (why.empty()) {
      w.result->files.push_back(f.stem + ".svg");
      w.result->files.push_back(f.stem + ".png");
    } else {
      w.result->warnings.push_back(why);
      failed.push_back(f.stem);
    }
  }
  return failed;
}

static bool any_mode_estimate(const std::vector<ModeRow>& rows) {
  return std::any_of(rows.begin(), rows.end(), [](const ModeRow& r) { return r.estimate; });
}

// The measurement a trace belongs to, from a campaign's trace name
// (NNNN-ABBR-qQ-WxH[-STAGE].csv) and the record it matches.
static std::string trace_point(const std::string& trace_csv, const std::vector<MeasurementRecord>& records) {
  static const std::regex name(R"(^\d+-(.+)-q(\d+)-(\d+)x(\d+)(-.*)?$)");
  const std::string stem = fs::path(trace_csv).stem().string();
  std::smatch m;
  if (std::regex_match(stem, m, name))
    for (const MeasurementRecord& r : records)
      if (r.abbr == m[1].str() && std::to_string(r.quality) == m[2].str() && std::to_string(r.width) == m[3].str() &&
          std::to_string(r.height) == m[4].str())
        return r.abbr + " q" + std::to_string(r.quality) + " (" + r.level + " level), " + size_label(r) + ", " +
               image_label(r.image);
  return "trace " + fs::path(trace_csv).filename().string() + " (its network and size are not known from its name)";
}

ReportResult write_report(const std::vector<MeasurementRecord>& records, const FitResult& fit,
                          const std::vector<ComplexityRow>& complexity, const std::string& trace_csv,
                          const std::string& out_dir, const ReportOptions& options) {
  return write_report(std::vector<ReportGroup>{{"", "", records, fit}}, complexity, trace_csv, out_dir, options);
}

namespace {

// One group's (device model's) figures, Table 1 and Table 2, and its notes on the page.
PageGroup write_group_section(const ReportFolder& w, const ReportGroup& g, bool several, bool estimate,
                              const std::vector<ComplexityRow>& complexity, TextTable& table1_out, PageParts& page) {
  PageGroup section;
  section.name = several ? g.name : "";
  section.suffix = several ? "_" + g.slug : "";
  section.fit = &g.fit;
  ReportFolder gw = w;
  if (several) gw.title_note = ", " + gp_plain(g.name) + w.title_note;
  std::vector<std::string> notes;
  section.figures = write_group_figures(gw, g.records, g.fit, complexity, section.suffix, notes);
  notes.insert(notes.end(), g.fit.notes.begin(), g.fit.notes.end());
  for (const std::string& note : notes) {
    const std::string text = several ? g.name + ": " + note : note;
    if (std::find(page.notes.begin(), page.notes.end(), text) == page.notes.end()) page.notes.push_back(text);
  }
  page.figures.insert(page.figures.end(), section.figures.begin(), section.figures.end());

  const std::string heading = several ? "Device: " + g.name + "\n\n" : "";
  if (!complexity.empty()) {
    table1_out = table1(g.fit, complexity);
    const std::string note =
        estimate ? estimate_markdown_note() : "";
    gw.write("table1_complexity" + section.suffix + ".md", heading + note + render_markdown(table1_out));
    gw.write("table1_complexity" + section.suffix + ".csv", render_csv(table1_out));
    section.table1 = &table1_out;
  }
  gw.write("table2_fits" + section.suffix + ".md", heading + format_fit_table(g.fit, "markdown"));  // labels estimates itself
  gw.write("table2_fits" + section.suffix + ".csv", format_fit_table(g.fit, "csv"));
  return section;
}

// The working codec's stages: their table and Fig. 4.
void write_stage_section(ReportFolder& w, const std::vector<MeasurementRecord>& records, bool estimate,
                         TextTable& stages, PageParts& page) {
  stages = stage_table(records);
  const std::string note =
      estimate ? estimate_markdown_note() : "";
  w.write("stages.md", note + render_markdown(stages));
  w.write("stages.csv", render_csv(stages));
  page.stages = &stages;
  if (write_fig4_stages(w, records, "fig4_stages"))
    page.figures.push_back({"fig4_stages", "Fig. 4: energy per execution and megapixel of each stage of the working "
                                           "codec (mean over the images), per network and quality."});
}

// Energy modes: their table and one Fig. 5 per network, quality, image and device.
void write_modes_section(ReportFolder& w, const std::vector<ModeRow>& mode_rows, TextTable& modes, PageParts& page) {
  modes = modes_table(mode_rows);
  const std::string note =
      any_mode_estimate(mode_rows) ? estimate_markdown_note() : "";
  w.write("modes.md", note + render_markdown(modes));
  w.write("modes.csv", render_csv(modes));
  page.modes = &modes;
  std::map<std::string, std::vector<ModeRow>> sets;
  for (const ModeRow& r : mode_rows) {
    const std::string key = r.key();
    sets[key.substr(0, key.rfind('|'))].push_back(r);  // the key without its mode
  }
  size_t n = 0;
  for (const auto& [key, rows] : sets) {
    const std::string stem = "fig5_modes" + (sets.size() > 1 ? "_" + std::to_string(++n) : "");
    const auto [dat, gp] = modes_figure(rows, stem, any_mode_estimate(rows) ? kEstimateTitle : "");
    w.write(stem + ".dat", dat);
    w.write(stem + ".gp", gp);
    page.figures.push_back({stem, "Fig. 5: " + rows.front().abbr + " q" + std::to_string(rows.front().quality) +
                                      " on " + image_label(rows.front().image) + ": dynamic energy per execution of each mode "
                                      "against float32's, over the largest difference of its output from "
                                      "float32's; dotted: the Pareto front."});
  }
}

// Activation bandwidth: a Fig. 6 per file.
void write_bandwidth_section(ReportFolder& w, const std::vector<BandwidthFile>& bandwidths, PageParts& page) {
  for (size_t i = 0; i < bandwidths.size(); ++i) {
    const BandwidthFile& f = bandwidths[i];
    const std::string stem = "fig6_bandwidth" + (bandwidths.size() > 1 ? "_" + std::to_string(i + 1) : "");
    const auto [dat, gp] = bandwidth_figure(f.bandwidth, f.trained, stem, "");
    w.write(stem + ".dat", dat);
    w.write(stem + ".gp", gp);
    page.figures.push_back({stem, "Fig. 6: " + f.bandwidth.abbr + " q" + std::to_string(f.bandwidth.quality) +
                                      ": bytes each layer output moves to memory as float32, as 8 bits and coded "
                                      "with the symmetric exp-Golomb code of Yin, Xu et al.; shaded: up to the 2nd "
                                      "downsampling." + (f.trained ? "" : " SEEDED WEIGHTS: the coded sizes are meaningless.")});
    page.bandwidth = true;
  }
}

}  // namespace

ReportResult write_report(const std::vector<ReportGroup>& groups, const std::vector<ComplexityRow>& complexity,
                          const std::string& trace_csv, const std::string& out_dir, const ReportOptions& options) {
  std::vector<MeasurementRecord> records;
  for (const ReportGroup& g : groups) records.insert(records.end(), g.records.begin(), g.records.end());
  // The page lists every measurement; the stage table also reads the chain's.
  records.insert(records.end(), options.stage_records.begin(), options.stage_records.end());
  if (records.empty()) throw Error("report: no measurements given; pass a results CSV with rows");
  // Read the trace before writing anything, so a bad path leaves no half report.
  std::vector<TracePoint> trace;
  if (!trace_csv.empty()) trace = read_trace_csv(trace_csv);

  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec || !fs::is_directory(out_dir))
    throw Error("report: cannot create folder '" + out_dir + "' (" + ec.message() + "); choose another --out");

  ReportResult result;
  // Estimated energies say so in every figure and table, not only on the page.
  const bool estimate = any_estimate(records);
  ReportFolder w{fs::path(out_dir), &result, estimate ? kEstimateTitle : ""};
  PageParts page;
  page.has_trace = !trace.empty();
  // The answer first: energy per image, beside the other tables as Markdown and CSV.
  const TextTable energy = energy_table(records);
  w.write("energy.md", std::string(estimate ? estimate_markdown_note() : "") + render_markdown(energy));
  w.write("energy.csv", render_csv(energy));
  page.energy = &energy;
  if (!trace.empty()) {
    const std::string point = trace_point(trace_csv, records);
    write_fig1_power_trace(w, trace, point);
    page.figures.push_back({"fig1_power", "Fig. 1: power over time of " + point +
                                              "; shaded: the measurement windows of Eq. (1)."});
  }
  // One group keeps the file names and titles of a report without groups.
  const bool several = groups.size() > 1;
  std::vector<PageGroup> sections;
  std::vector<TextTable> tables1(groups.size());  // sized once: sections point into it
  for (size_t i = 0; i < groups.size(); ++i)
    sections.push_back(write_group_section(w, groups[i], several, estimate, complexity, tables1[i], page));

  TextTable stages;
  if (has_stage_records(records)) write_stage_section(w, records, estimate, stages, page);

  // Rate, distortion and energy (issue 17): over every record, chain and stages.
  const std::optional<RdSection> rd = write_rd_report(w, records, options.target_psnr_db);
  if (rd) {
    page.figures.insert(page.figures.end(), rd->figures.begin(), rd->figures.end());
    page.rd = &*rd;
  }

  TextTable modes;
  if (!options.mode_rows.empty()) write_modes_section(w, options.mode_rows, modes, page);

  write_bandwidth_section(w, options.bandwidths, page);

  page.failed = draw_figures(options.gnuplot, w, page.figures);
  page.warnings = result.warnings;
  w.write("index.html", html_page(records, sections, page));
  return result;
}

}  // namespace nicenergy
