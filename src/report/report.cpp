#include "report/report.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "error.h"
#include "modeling/table.h"

namespace fs = std::filesystem;

namespace nicenergy {

// ---- trace ----

static std::vector<std::string> split_csv_line(const std::string& line) {
  // Trace files are plain numbers; quoting is not needed, whitespace is trimmed.
  std::vector<std::string> cells;
  std::stringstream in(line);
  std::string cell;
  while (std::getline(in, cell, ',')) {
    const size_t a = cell.find_first_not_of(" \t\r");
    const size_t b = cell.find_last_not_of(" \t\r");
    cells.push_back(a == std::string::npos ? "" : cell.substr(a, b - a + 1));
  }
  return cells;
}

std::vector<TracePoint> read_trace(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error("cannot open power trace '" + path + "': check the path (a CSV with time_s,power_w,window)");
  std::string line;
  if (!std::getline(in, line)) throw Error("power trace '" + path + "' is empty: write it with a header time_s,power_w,window");
  const std::vector<std::string> header = split_csv_line(line);
  int col_time = -1, col_power = -1, col_window = -1;
  for (size_t i = 0; i < header.size(); ++i) {
    if (header[i] == "time_s") col_time = static_cast<int>(i);
    if (header[i] == "power_w") col_power = static_cast<int>(i);
    if (header[i] == "window") col_window = static_cast<int>(i);
  }
  if (col_time < 0 || col_power < 0 || col_window < 0)
    throw Error("power trace '" + path + "': header must name time_s, power_w and window, got '" + line + "'");
  std::vector<TracePoint> points;
  int line_number = 1;
  while (std::getline(in, line)) {
    ++line_number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::vector<std::string> cells = split_csv_line(line);
    const int need = std::max({col_time, col_power, col_window});
    TracePoint p;
    try {
      if (static_cast<int>(cells.size()) <= need) throw std::invalid_argument("short");
      size_t used = 0;
      p.time_s = std::stod(cells[col_time], &used);
      if (used != cells[col_time].size()) throw std::invalid_argument("time");
      p.power_w = std::stod(cells[col_power], &used);
      if (used != cells[col_power].size()) throw std::invalid_argument("power");
      p.window = std::stoi(cells[col_window], &used);
      if (used != cells[col_window].size()) throw std::invalid_argument("window");
    } catch (const std::exception&) {
      throw Error("power trace '" + path + "' line " + std::to_string(line_number) +
                  ": expected numbers time_s,power_w,window, got '" + line + "'");
    }
    points.push_back(p);
  }
  if (points.empty()) throw Error("power trace '" + path + "' has a header but no samples: record a trace first");
  return points;
}

// ---- helpers ----

namespace {

struct Writer {
  fs::path dir;
  ReportResult* result;
  std::string title_note;  // appended to every figure title: the estimate label
  void write(const std::string& name, const std::string& text) {
    std::ofstream out(dir / name, std::ios::binary);
    out << text;
    if (!out) throw Error("cannot write '" + (dir / name).string() + "': check that the report folder is writable");
    result->files.push_back(name);
  }
};

std::string num(double value) { return format_number(value, "%.9g"); }

// Quotes for the shell and for gnuplot strings alike (no quote characters expected).
std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}
// Names from the data inside gnuplot strings and data columns: quotes and
// backslashes dropped, so no name can break a script.
std::string plain(const std::string& text) {
  std::string out;
  for (char c : text)
    if (c != '\'' && c != '"' && c != '\\' && c != '\n' && c != '\r') out += c;
  return out;
}
std::string gp_string(const std::string& text) { return "\"" + plain(text) + "\""; }

// One colour per network, the same in every figure (matplotlib's tab10).
std::string network_color(const std::string& abbr) {
  static const std::vector<std::pair<std::string, std::string>> colors = {
      {"Bfac", "#1f77b4"}, {"Bhyp", "#ff7f0e"}, {"Mmean", "#2ca02c"},
      {"Mcont", "#d62728"}, {"Canch", "#9467bd"}, {"Cattn", "#8c564b"}};
  for (const auto& [name, color] : colors)
    if (name == abbr) return color;
  static const std::vector<std::string> spare = {"#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
  size_t hash = 0;
  for (char c : abbr) hash = hash * 31 + static_cast<unsigned char>(c);
  return spare[hash % spare.size()];
}

int network_rank(const std::string& abbr) {
  static const std::vector<std::string> order = {"Bfac", "Bhyp", "Mmean", "Mcont", "Canch", "Cattn"};
  const auto it = std::find(order.begin(), order.end(), abbr);
  return static_cast<int>(it - order.begin());
}

// Both terminals from one script: SVG for the page, PNG for slides and mail.
std::string gp_header(const std::string& stem) {
  return "# Made by nicenergy; edit and rerun with: gnuplot " + stem + ".gp\n"
         "set terminal svg size 820,560 dynamic noenhanced font 'Helvetica,14' background rgb 'white'\n"
         "set output '" + stem + ".svg'\n"
         "set encoding utf8\n"
         "set grid lc rgb '#dddddd'\n"
         "set border lc rgb '#444444'\n";
}
std::string gp_footer(const std::string& stem) {
  return "set terminal pngcairo size 1230,840 noenhanced font 'Helvetica,19' background rgb 'white'\n"
         "set output '" + stem + ".png'\n"
         "replot\n"
         "unset output\n";
}

bool gnuplot_available(const std::string& program) {
  const std::string command = "command -v " + shell_quote(program) + " >/dev/null 2>&1";
  return std::system(command.c_str()) == 0;
}

// Runs one script in out_dir; returns an empty string on success, else why not.
std::string run_gnuplot(const std::string& program, const fs::path& dir, const std::string& stem) {
  const std::string log = stem + ".log";
  const std::string command = "cd " + shell_quote(dir.string()) + " && " + shell_quote(program) + " " +
                              shell_quote(stem + ".gp") + " >" + shell_quote(log) + " 2>&1";
  const int status = std::system(command.c_str());
  std::string log_text;
  {
    std::ifstream in(dir / log);
    std::stringstream buffer;
    buffer << in.rdbuf();
    log_text = buffer.str();
  }
  const bool made = fs::exists(dir / (stem + ".svg")) && fs::file_size(dir / (stem + ".svg")) > 0 &&
                    fs::exists(dir / (stem + ".png")) && fs::file_size(dir / (stem + ".png")) > 0;
  if (status == 0 && made) {
    std::error_code ignored;
    if (log_text.empty()) fs::remove(dir / log, ignored);  // keep the log only when it says something
    return "";
  }
  std::string last_line = log_text;
  while (!last_line.empty() && (last_line.back() == '\n' || last_line.back() == '\r')) last_line.pop_back();
  if (const size_t nl = last_line.rfind('\n'); nl != std::string::npos) last_line = last_line.substr(nl + 1);
  return stem + ".gp failed (exit status " + std::to_string(status) + ")" +
         (last_line.empty() ? "" : ": " + last_line) + "; see " + log;
}

struct Figure {
  std::string stem;
  std::string caption;
};

const EnergyFit* find_fit(const FitResult& fit, const std::string& abbr, const std::string& level) {
  for (const EnergyFit& f : fit.fits)
    if (f.abbr == abbr && f.level == level) return &f;
  return nullptr;
}

// ---- Fig. 1 ----

void write_fig1(Writer& w, const std::vector<TracePoint>& trace) {
  std::string dat = "# time_s power_w window   (window -1: outside the measurement windows)\n";
  for (const TracePoint& p : trace) dat += num(p.time_s) + " " + num(p.power_w) + " " + std::to_string(p.window) + "\n";
  w.write("fig1_power.dat", dat);

  // A window spans its first to its last sample; shading it shows where Eq. (1) integrates.
  std::map<int, std::pair<double, double>> spans;
  for (const TracePoint& p : trace) {
    if (p.window < 0) continue;
    auto it = spans.find(p.window);
    if (it == spans.end()) spans[p.window] = {p.time_s, p.time_s};
    else it->second = {std::min(it->second.first, p.time_s), std::max(it->second.second, p.time_s)};
  }
  std::string gp = gp_header("fig1_power");
  // The title explains the shading; a key would crowd the axis labels.
  gp += "set title 'Power over time; shaded and numbered: the measurement windows" + w.title_note + "'\n"
        "set xlabel 'Time (s)'\nset ylabel 'Power (W)'\n"
        "unset key\n"
        "set offsets 0, 0, graph 0.08, 0\n"
        "set yrange [0:*]\n";
  int object = 1;
  for (const auto& [window, span] : spans) {
    gp += "set object " + std::to_string(object++) + " rect from " + num(span.first) + ", graph 0 to " +
          num(span.second) + ", graph 1 fc rgb '#c7e9c0' fs solid 0.6 noborder behind\n";
    // Numbers only while they fit; dozens of windows would overprint.
    if (spans.size() <= 20)
      gp += "set label " + std::to_string(object) + " '" + std::to_string(window) + "' at " +
            num((span.first + span.second) / 2) + ", graph 0.04 center font ',13' tc rgb '#2b7a2b'\n";
  }
  gp += "plot 'fig1_power.dat' using 1:2 with lines lw 1.5 lc rgb '#1f77b4' title 'power'\n";
  gp += gp_footer("fig1_power");
  w.write("fig1_power.gp", gp);
}

// ---- Fig. 2 ----

void write_fig2(Writer& w, const std::vector<MeasurementRecord>& records, const FitResult& fit,
                const std::string& level, const std::string& stem) {
  std::vector<const MeasurementRecord*> rows;
  for (const MeasurementRecord& r : records)
    if (r.level == level) rows.push_back(&r);
  std::vector<std::string> networks;
  for (const MeasurementRecord* r : rows)
    if (std::find(networks.begin(), networks.end(), r->abbr) == networks.end()) networks.push_back(r->abbr);
  std::stable_sort(networks.begin(), networks.end(),
                   [](const std::string& a, const std::string& b) { return network_rank(a) < network_rank(b); });

  double max_e = 0, max_mp = 0;
  for (const MeasurementRecord* r : rows) {
    max_e = std::max(max_e, r->energy_j + r->energy_ci_j);
    max_mp = std::max(max_mp, static_cast<double>(r->width) * r->height / 1e6);
  }
  // mJ while every energy is below 1 J, so tick labels stay short.
  const bool milli = max_e < 1.0;
  const double scale = milli ? 1e3 : 1.0;
  const std::string unit = milli ? "mJ" : "J";

  std::string dat = "# one block per network (gnuplot index 0, 1, ...): megapixels energy_" + unit + " ci_" + unit +
                    " quality image\n";
  for (size_t i = 0; i < networks.size(); ++i) {
    dat += (i ? "\n\n" : "") + std::string("# ") + plain(networks[i]) + "\n";
    for (const MeasurementRecord* r : rows)
      if (r->abbr == networks[i])
        dat += num(static_cast<double>(r->width) * r->height / 1e6) + " " + num(r->energy_j * scale) + " " +
               num(r->energy_ci_j * scale) + " " + std::to_string(r->quality) + " " + gp_string(r->image) + "\n";
  }
  w.write(stem + ".dat", dat);

  std::string gp = gp_header(stem);
  gp += "set title 'Energy per execution over image size, " + plain(level) + " parameter level" + w.title_note + "'\n"
        "set xlabel 'Image size S (megapixels)'\n"
        "set ylabel 'Energy per execution E (" + unit + ")'\n"
        "set key top left box opaque Left reverse\n"
        "set xrange [0:" + num(max_mp * 1.05) + "]\nset yrange [0:*]\n"
        "set samples 200\n";
  // The fitted lines of Eq. (2) in plot units: E = alpha * 1e6 * MP + beta.
  std::string plot;
  for (size_t i = 0; i < networks.size(); ++i) {
    const std::string color = network_color(networks[i]);
    plot += std::string(plot.empty() ? "plot " : ", \\\n     ") + "'" + stem + ".dat' index " + std::to_string(i) +
            " using 1:2:3 with yerrorbars pt 7 ps 0.9 lc rgb '" + color + "' title '" + plain(networks[i]) + "'";
    if (const EnergyFit* f = find_fit(fit, networks[i], level))
      plot += ", \\\n     " + num(f->alpha_j_per_pixel * 1e6 * scale) + " * x + " + num(f->beta_j * scale) +
              " with lines lw 1.5 lc rgb '" + color + "' notitle";
  }
  plot += ", \\\n     NaN with lines lw 1.5 lc rgb '#444444' title 'fit E = αS + β'\n";
  gp += plot + gp_footer(stem);
  w.write(stem + ".gp", gp);
}

// ---- Fig. 3 ----

bool write_fig3(Writer& w, const FitResult& fit, const std::vector<KmacPoint>& points, bool use_2nd,
                const std::string& stem) {
  struct Point { std::string abbr, level; double kmac, alpha_uj; };
  std::vector<Point> joined;
  for (const EnergyFit& f : fit.fits)
    for (const KmacPoint& k : points)
      if (k.abbr == f.abbr && k.level == f.level)
        joined.push_back({f.abbr, f.level, use_2nd ? k.kmac_per_pixel_2nd : k.kmac_per_pixel, f.alpha_j_per_pixel * 1e6});
  if (joined.empty()) return false;

  double max_kmac = 0, max_alpha = 0;
  for (const Point& p : joined) max_kmac = std::max(max_kmac, p.kmac), max_alpha = std::max(max_alpha, p.alpha_uj);

  // Blocks 0 and 1: the points of the low and high level. Blocks 2 and 3: their
  // labels, where points closer than a few percent of the axes share one label
  // ("Bfac, Bhyp, Mmean"), since those networks have nearly equal kMAC and alpha.
  std::string dat = "# kmac_per_pixel alpha_uj_per_pixel label   (" +
                    std::string(use_2nd ? "kMAC up to the 2nd downsampling" : "kMAC of the whole network") + ")\n";
  std::string labels;
  for (const char* level : {"low", "high"}) {
    std::vector<Point> at_level;
    for (const Point& p : joined)
      if (p.level == level) at_level.push_back(p);
    std::sort(at_level.begin(), at_level.end(), [](const Point& a, const Point& b) { return a.kmac < b.kmac; });
    dat += std::string(level == std::string("low") ? "" : "\n\n") + "# " + level + " level\n";
    for (const Point& p : at_level) dat += num(p.kmac) + " " + num(p.alpha_uj) + " " + gp_string(p.abbr) + "\n";
    labels += "\n\n# labels, " + std::string(level) + " level\n";
    // gnuplot merges runs of blank lines, so an empty block needs a line to keep
    // the block numbers; the plot command leaves such a block out.
    if (at_level.empty()) {
      dat += "NaN NaN \"\"\n";
      labels += "NaN NaN \"\"\n";
    }
    for (size_t i = 0; i < at_level.size();) {
      size_t j = i + 1;
      while (j < at_level.size() && at_level[j].kmac - at_level[j - 1].kmac < 0.04 * max_kmac &&
             std::fabs(at_level[j].alpha_uj - at_level[j - 1].alpha_uj) < 0.06 * max_alpha)
        ++j;
      std::string text;
      double x = 0, y = 0;
      for (size_t k = i; k < j; ++k) {
        text += (text.empty() ? "" : ", ") + at_level[k].abbr;
        x += at_level[k].kmac / (j - i);
        y += at_level[k].alpha_uj / (j - i);
      }
      labels += num(x) + " " + num(y) + " " + gp_string(text) + "\n";
      i = j;
    }
  }
  w.write(stem + ".dat", dat + labels);

  const std::optional<KmacFit>& line = use_2nd ? fit.alpha_vs_kmac_2nd : fit.alpha_vs_kmac;
  const std::string kmac_label = use_2nd ? "kMAC per pixel up to the 2nd downsampling" : "kMAC per pixel";

  std::string gp = gp_header(stem);
  gp += "set title 'α over " + kmac_label + w.title_note + "'\n"
        "set xlabel '" + kmac_label + "'\n"
        "set ylabel 'α (µJ per pixel)'\n"
        "set key top left box opaque Left reverse\n"
        "set xrange [0:" + num(max_kmac * 1.12) + "]\nset yrange [0:" + num(max_alpha * 1.15) + "]\n";
  // A level without points is left out of the plot command: gnuplot warns on empty blocks.
  bool has_level[2] = {false, false};
  for (const Point& p : joined)
    if (p.level == "low" || p.level == "high") has_level[p.level == "high" ? 1 : 0] = true;
  std::string plot;
  auto add = [&](const std::string& clause) { plot += (plot.empty() ? "plot " : ", \\\n     ") + clause; };
  if (has_level[0]) {
    add("'" + stem + ".dat' index 0 using 1:2 with points pt 7 ps 1.3 lc rgb '#1f77b4' title 'low level'");
    add("'" + stem + ".dat' index 2 using 1:2:3 with labels offset char 0.8,-0.9 left font ',12' tc rgb '#1f77b4' notitle");
  }
  if (has_level[1]) {
    add("'" + stem + ".dat' index 1 using 1:2 with points pt 5 ps 1.3 lc rgb '#d62728' title 'high level'");
    add("'" + stem + ".dat' index 3 using 1:2:3 with labels offset char -0.8,0.9 right font ',12' tc rgb '#d62728' notitle");
  }
  if (line)
    plot += ", \\\n     " + num(line->slope * 1e6) + " * x + " + num(line->offset * 1e6) +
            " with lines lw 1.5 lc rgb '#444444' title sprintf('fit, ρ = %.3f, leave-one-out MRE = %.1f %%', " +
            num(line->pearson) + ", " + num(line->mre * 100) + ")";
  gp += plot + "\n" + gp_footer(stem);
  w.write(stem + ".gp", gp);
  return true;
}

// ---- Table 1 ----

TextTable table1(const FitResult& fit, const std::vector<ComplexityRow>& complexity) {
  TextTable t;
  t.header = {"Network", "Level", "Qualities", "N", "M", "Params (M)", "kMAC/px", "kMAC/px 2nd", "α (µJ/px)"};
  std::vector<std::pair<std::string, std::string>> keys;
  for (const ComplexityRow& r : complexity)
    if (std::find(keys.begin(), keys.end(), std::make_pair(r.abbr, r.level)) == keys.end()) keys.push_back({r.abbr, r.level});
  std::stable_sort(keys.begin(), keys.end(), [](const auto& a, const auto& b) {
    return std::make_tuple(network_rank(a.first), a.first, a.second != "low") <
           std::make_tuple(network_rank(b.first), b.first, b.second != "low");
  });
  const std::vector<KmacPoint> points = kmac_points(complexity);
  for (const auto& [abbr, level] : keys) {
    std::string qualities;
    const ComplexityRow* first = nullptr;
    for (const ComplexityRow& r : complexity)
      if (r.abbr == abbr && r.level == level) {
        if (!first) first = &r;
        qualities += (qualities.empty() ? "" : ",") + std::to_string(r.quality);
      }
    const KmacPoint* point = nullptr;
    for (const KmacPoint& p : points)
      if (p.abbr == abbr && p.level == level) point = &p;
    const EnergyFit* f = find_fit(fit, abbr, level);
    t.rows.push_back({abbr, level, qualities, std::to_string(first->n), std::to_string(first->m),
                      format_number(first->params / 1e6, "%.3f"), format_number(point->kmac_per_pixel, "%.2f"),
                      format_number(point->kmac_per_pixel_2nd, "%.2f"),
                      f ? format_number(f->alpha_j_per_pixel * 1e6, "%.4g") : "-"});
  }
  return t;
}

TextTable table2_html(const FitResult& fit) {
  TextTable t;
  t.header = {"Network", "Level", "n", "α (µJ/px)", "β (J)", "ρ", "MRE (%)", "MRE in-sample (%)"};
  for (const EnergyFit& f : fit.fits)
    t.rows.push_back({f.abbr, f.level, std::to_string(f.n), format_number(f.alpha_j_per_pixel * 1e6, "%.4g"),
                      format_number(f.beta_j, "%.4g"), format_number(f.pearson, "%.4f"),
                      format_number(f.mre * 100, "%.2f"), format_number(f.mre_in_sample * 100, "%.2f")});
  return t;
}

std::string joined(const std::set<std::string>& values) {
  std::string out;
  for (const std::string& v : values) out += (out.empty() ? "" : ", ") + (v.empty() ? std::string("(none)") : v);
  return out;
}

}  // namespace

ReportResult write_report(const std::vector<MeasurementRecord>& records, const FitResult& fit,
                          const std::vector<ComplexityRow>& complexity, const std::string& trace_csv,
                          const std::string& out_dir, const ReportOptions& options) {
  if (records.empty()) throw Error("report: no measurements given; pass a results CSV with rows");
  // Read the trace before writing anything, so a bad path leaves no half report.
  std::vector<TracePoint> trace;
  if (!trace_csv.empty()) trace = read_trace(trace_csv);

  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec || !fs::is_directory(out_dir))
    throw Error("report: cannot create folder '" + out_dir + "' (" + ec.message() + "); choose another --out");

  ReportResult result;
  // Estimated energies say so in every figure and table, not only on the page.
  const bool any_estimate = std::any_of(records.begin(), records.end(), [](const MeasurementRecord& r) {
    return r.method == "estimate" || r.meter == "estimate";
  });
  Writer w{fs::path(out_dir), &result, any_estimate ? " (ESTIMATES)" : ""};
  const std::string table_note =
      any_estimate ? "**ESTIMATES, not measurements**: energies from CPU time x a share of the TDP.\n\n" : "";
  std::vector<Figure> figures;
  std::vector<std::string> notes;

  // -- data and scripts --
  if (!trace.empty()) {
    write_fig1(w, trace);
    figures.push_back({"fig1_power", "Fig. 1: power over time; shaded: the measurement windows of Eq. (1)."});
  }
  std::vector<std::string> levels;
  for (const char* level : {"low", "high"})
    for (const MeasurementRecord& r : records)
      if (r.level == level) { levels.push_back(level); break; }
  for (const MeasurementRecord& r : records)
    if (std::find(levels.begin(), levels.end(), r.level) == levels.end()) levels.push_back(r.level);
  for (const std::string& level : levels) {
    // Level names come from data; keep file names to safe characters.
    std::string safe;
    for (char c : level) safe += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
    const std::string stem = "fig2_energy_" + (safe.empty() ? std::string("none") : safe);
    write_fig2(w, records, fit, level, stem);
    figures.push_back({stem, "Fig. 2 (" + level + " level): energy per execution over image size, error bars: "
                             "confidence interval of each measurement; lines: Eq. (2) fits."});
  }
  const std::vector<KmacPoint> points = kmac_points(complexity);
  if (complexity.empty()) {
    notes.push_back("No complexity numbers were given, so Fig. 3 and Table 1 are left out.");
  } else {
    for (bool use_2nd : {false, true}) {
      const std::string stem = use_2nd ? "fig3_alpha_kmac_2nd" : "fig3_alpha_kmac";
      if (write_fig3(w, fit, points, use_2nd, stem))
        figures.push_back({stem, std::string("Fig. 3") + (use_2nd ? " (2nd downsampling)" : "") +
                                     ": α of each network and level over its kMAC per pixel" +
                                     (use_2nd ? " up to the 2nd downsampling" : "") + ", with the Sec. 5 fit."});
      else
        notes.push_back("No fitted network-level has a complexity row, so " + stem + " is left out.");
    }
  }
  for (const std::string& note : fit.notes) notes.push_back(note);

  // -- tables --
  const TextTable t1 = complexity.empty() ? TextTable{} : table1(fit, complexity);
  if (!complexity.empty()) {
    w.write("table1_complexity.md", table_note + render_markdown(t1));
    w.write("table1_complexity.csv", render_csv(t1));
  }
  w.write("table2_fits.md", format_fit_table(fit, "markdown"));  // labels estimates itself
  w.write("table2_fits.csv", format_fit_table(fit, "csv"));

  // -- figures --
  std::vector<std::string> failed;
  if (!figures.empty()) {
    if (!gnuplot_available(options.gnuplot)) {
      const std::string warning = "gnuplot ('" + options.gnuplot +
                                  "') is not on PATH: figures not drawn; install gnuplot (Debian: gnuplot-nox) "
                                  "and run the .gp scripts in " + out_dir;
      result.warnings.push_back(warning);
      for (const Figure& f : figures) failed.push_back(f.stem);
    } else {
      for (const Figure& f : figures) {
        const std::string why = run_gnuplot(options.gnuplot, w.dir, f.stem);
        if (why.empty()) {
          result.files.push_back(f.stem + ".svg");
          result.files.push_back(f.stem + ".png");
        } else {
          result.warnings.push_back(why);
          failed.push_back(f.stem);
        }
      }
    }
  }

  // -- index.html --
  std::set<std::string> meters, methods, devices, networks, images;
  bool estimate = false;
  for (const MeasurementRecord& r : records) {
    meters.insert(r.meter);
    methods.insert(r.method);
    devices.insert(r.device);
    networks.insert(r.abbr);
    images.insert(r.image);
    estimate = estimate || r.method == "estimate" || r.meter == "estimate";
  }
  std::string html =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<title>nicenergy report</title>\n<style>\n"
      "body { font-family: Helvetica, Arial, sans-serif; max-width: 70em; margin: 2em auto; padding: 0 1em; color: #222; }\n"
      "table { border-collapse: collapse; margin: 1em 0; }\n"
      "th, td { border: 1px solid #bbb; padding: 0.25em 0.6em; }\n"
      "th { background: #f0f0f0; } td.num { text-align: right; font-variant-numeric: tabular-nums; }\n"
      "figure { margin: 1.5em 0; } figure img { max-width: 100%; border: 1px solid #eee; }\n"
      ".banner { background: #fff3cd; border: 2px solid #d39e00; padding: 0.8em 1em; font-size: 1.15em; }\n"
      ".note { background: #eef4fb; border-left: 4px solid #4a86c5; padding: 0.5em 1em; }\n"
      "</style>\n</head>\n<body>\n<h1>Processing energy of neural image codecs</h1>\n";
  if (estimate)
    html += "<p class=\"banner\"><strong>ESTIMATES, NOT MEASUREMENTS.</strong> Some or all energies below are "
            "estimated from CPU time &times; a share of the TDP (method &ldquo;estimate&rdquo;); no power meter "
            "was read for them. Use them for rough comparisons only.</p>\n";
  html += "<h2>Data</h2>\n<ul>\n";
  html += "<li>" + std::to_string(records.size()) + " measurements of " + std::to_string(networks.size()) +
          " network(s) on " + std::to_string(images.size()) + " image(s)</li>\n";
  html += "<li>Meter: " + html_escape(joined(meters)) + "</li>\n";
  html += "<li>Method: " + html_escape(joined(methods)) + "</li>\n";
  html += "<li>Device: " + html_escape(joined(devices)) + "</li>\n</ul>\n";
  html += "<p>Model after Herglotz et al., &ldquo;Processing energy modeling for neural network based image "
          "compression&rdquo; (ICIP): E = &alpha;&middot;S + &beta; per network and parameter level, S = width "
          "&times; height in pixels, E the dynamic energy of one execution. MRE is Eq. (3), (1/n)&nbsp;&sum;&nbsp;"
          "|E<sub>pred</sub> &minus; E<sub>meas</sub>| / E<sub>meas</sub>, under 10-fold cross-validation "
          "(points ranked by pixels, width, image, quality, energy; rank mod 10 is the fold; leave-one-out below "
          "10 points).</p>\n";
  if (!failed.empty())
    html += "<p class=\"note\">Figures not drawn: " +
            html_escape(result.warnings.empty() ? std::string("gnuplot failed") : result.warnings.front()) +
            ". Their .gp scripts and .dat files are in this folder.</p>\n";
  for (const std::string& note : notes) html += "<p class=\"note\">" + html_escape(note) + "</p>\n";

  auto figure_html = [&](const std::string& prefix) {
    std::string out;
    for (const Figure& f : figures) {
      if (f.stem.rfind(prefix, 0) != 0) continue;
      if (std::find(failed.begin(), failed.end(), f.stem) != failed.end()) {
        out += "<p class=\"note\">" + html_escape(f.caption) + " Not drawn; script: <a href=\"" + f.stem + ".gp\">" +
               f.stem + ".gp</a></p>\n";
        continue;
      }
      out += "<figure><img src=\"" + f.stem + ".svg\" alt=\"" + html_escape(f.caption) + "\"><figcaption>" +
             html_escape(f.caption) + " <a href=\"" + f.stem + ".png\">PNG</a>, <a href=\"" + f.stem +
             ".gp\">script</a>, <a href=\"" + f.stem + ".dat\">data</a></figcaption></figure>\n";
    }
    return out;
  };
  if (!trace.empty()) html += "<h2>Power trace</h2>\n" + figure_html("fig1_");
  html += "<h2>Energy over image size</h2>\n" + figure_html("fig2_");
  html += "<h2>Table 2: energy models, Eq. (2)</h2>\n" + render_html(table2_html(fit)) +
          "<p><a href=\"table2_fits.md\">Markdown</a>, <a href=\"table2_fits.csv\">CSV</a></p>\n";
  for (const auto& [name, line] : {std::make_pair("kMAC per pixel", &fit.alpha_vs_kmac),
                                   std::make_pair("kMAC per pixel up to the 2nd downsampling", &fit.alpha_vs_kmac_2nd)})
    if (*line)
      html += "<p>&alpha; over " + std::string(name) + ": &alpha; = " + format_number((*line)->slope * 1e6, "%.4g") +
              " &micro;J/px per kMAC/px &middot; kMAC + " + format_number((*line)->offset * 1e6, "%.4g") +
              " &micro;J/px; &rho; = " + format_number((*line)->pearson, "%.4f") + ", MRE (leave-one-out) = " +
              format_number((*line)->mre * 100, "%.2f") + " %, in-sample " +
              format_number((*line)->mre_in_sample * 100, "%.2f") + " %, n = " + std::to_string((*line)->n) + ".</p>\n";
  if (!complexity.empty()) {
    html += "<h2>Table 1: complexity and measured &alpha;</h2>\n" + render_html(t1) +
            "<p><a href=\"table1_complexity.md\">Markdown</a>, <a href=\"table1_complexity.csv\">CSV</a></p>\n";
    html += "<h2>&alpha; over complexity</h2>\n" + figure_html("fig3_");
  }
  html += "</body>\n</html>\n";
  w.write("index.html", html);
  return result;
}

}  // namespace nicenergy
