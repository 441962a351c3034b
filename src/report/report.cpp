#include "report/report.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>

#include "error.h"
#include "models/zoo.h"
#include "report/fit_tables.h"
#include "report/gnuplot.h"
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

// Writes each figure's .gp and .dat; returns the figures, and notes for those left out.
static std::vector<Figure> write_figure_scripts(ReportFolder& w, const std::vector<MeasurementRecord>& records,
                                                const FitResult& fit, const std::vector<ComplexityRow>& complexity,
                                                const std::vector<TracePoint>& trace, std::vector<std::string>& notes) {
  std::vector<Figure> figures;
  if (!trace.empty()) {
    write_fig1_power_trace(w, trace);
    figures.push_back({"fig1_power", "Fig. 1: power over time; shaded: the measurement windows of Eq. (1)."});
  }
  for (const std::string& level : levels_in(records)) {
    const std::string stem = fig2_stem(level);
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
    const std::string stem = use_2nd ? "fig3_alpha_kmac_2nd" : "fig3_alpha_kmac";
    if (write_fig3_alpha_over_kmac(w, fit, points, use_2nd, stem))
      figures.push_back({stem, std::string("Fig. 3") + (use_2nd ? " (2nd downsampling)" : "") +
                                   ": α of each network and level over its kMAC per pixel" +
                                   (use_2nd ? " up to the 2nd downsampling" : "") + ", with the Sec. 5 fit."});
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

ReportResult write_report(const std::vector<MeasurementRecord>& records, const FitResult& fit,
                          const std::vector<ComplexityRow>& complexity, const std::string& trace_csv,
                          const std::string& out_dir, const ReportOptions& options) {
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
  ReportFolder w{fs::path(out_dir), &result, estimate ? " (ESTIMATES)" : ""};
  PageParts page;
  page.has_trace = !trace.empty();
  page.figures = write_figure_scripts(w, records, fit, complexity, trace, page.notes);
  page.notes.insert(page.notes.end(), fit.notes.begin(), fit.notes.end());

  const TextTable t1 = complexity.empty() ? TextTable{} : table1(fit, complexity);
  if (!complexity.empty()) {
    const std::string note =
        estimate ? "**ESTIMATES, not measurements**: energies from CPU time x a share of the TDP.\n\n" : "";
    w.write("table1_complexity.md", note + render_markdown(t1));
    w.write("table1_complexity.csv", render_csv(t1));
    page.table1 = &t1;
  }
  w.write("table2_fits.md", format_fit_table(fit, "markdown"));  // labels estimates itself
  w.write("table2_fits.csv", format_fit_table(fit, "csv"));

  page.failed = draw_figures(options.gnuplot, w, page.figures);
  page.warnings = result.warnings;
  w.write("index.html", html_page(records, fit, page));
  return result;
}

}  // namespace nicenergy
