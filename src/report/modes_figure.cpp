#include "report/modes_figure.h"

#include <algorithm>
#include <cmath>

#include "meters/estimate_label.h"
#include "report/gnuplot.h"
#include "report/image_label.h"

namespace nicenergy {

namespace {

// The deviation axis is logarithmic; the reference's 0 (and anything below)
// sits at this floor, labelled as 0.
constexpr double kDeviationFloor = 1e-9;

const ModeRow* reference_of(const std::vector<ModeRow>& rows) {
  for (const ModeRow& r : rows)
    if (r.mode == "float32") return &r;
  return nullptr;
}

// 0 reference, 1 exact, 2 NOT exact (exact by design, measured otherwise),
// 3 lower precision, 4 non-deterministic.
int kind_of(const ModeRow& r) {
  if (r.by_design == "reference") return 0;
  if (r.by_design == "exact") return r.exact ? 1 : 2;
  if (r.by_design == "lower precision") return 3;
  return 4;
}

std::string verdict(const ModeRow& r) {
  static const char* names[] = {"reference", "exact", "NOT exact", "lower precision", "non-deterministic"};
  return names[kind_of(r)];
}

}  // namespace

std::vector<size_t> pareto_front(const std::vector<ModeRow>& rows) {
  std::vector<size_t> order(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (rows[a].max_abs_diff != rows[b].max_abs_diff) return rows[a].max_abs_diff < rows[b].max_abs_diff;
    return rows[a].energy_j < rows[b].energy_j;
  });
  std::vector<size_t> front;
  double best = INFINITY;
  for (size_t i : order)
    if (rows[i].energy_j < best) {
      best = rows[i].energy_j;
      front.push_back(i);
    }
  return front;
}

std::pair<std::string, std::string> modes_figure(const std::vector<ModeRow>& rows, const std::string& stem,
                                                 const std::string& title_note) {
  const ModeRow* ref = reference_of(rows);
  const double ref_energy = ref != nullptr && ref->energy_j > 0 ? ref->energy_j : 1;
  std::string dat = "# deviation (max |x_hat - float32's|, 0 at " + gp_number(kDeviationFloor) +
                    ") energy_x_float32 kind (0 reference, 1 exact, 2 NOT exact, 3 lower precision, 4 "
                    "non-deterministic) mode\n";
  double max_x = kDeviationFloor * 10;
  for (const ModeRow& r : rows) {
    const double x = std::max(r.max_abs_diff, kDeviationFloor);
    max_x = std::max(max_x, x);
    dat += gp_number(x) + " " + gp_number(r.energy_j / ref_energy) + " " + std::to_string(kind_of(r)) + " " +
           gp_string(r.mode) + "\n";
  }
  dat += "\n\n# the Pareto front, by deviation\n";
  for (size_t i : pareto_front(rows))
    dat += gp_number(std::max(rows[i].max_abs_diff, kDeviationFloor)) + " " + gp_number(rows[i].energy_j / ref_energy) +
           "\n";

  const ModeRow& first = ref != nullptr ? *ref : rows.front();
  std::string gp = gp_header(stem);
  // Two lines, and the key at the foot of the figure so that the title is
  // centred on the whole width: a device name and an image path on one line ran past the edge.
  gp += "set title \"" + gp_plain(first.abbr + " q" + std::to_string(first.quality) + " on " + image_label(first.image) +
                                  ": energy against output deviation per mode") +
        "\\n" + gp_plain(first.device + title_note) + "\"\n"
        "set xlabel 'max |x_hat - float32 x_hat| (0 plotted at " + gp_number(kDeviationFloor) + ")'\n"
        "set ylabel 'dynamic energy per execution (x float32)'\n"
        "set logscale x\nset format x '1e%T'\n"
        "set xrange [" + gp_number(kDeviationFloor / 10) + ":" + gp_number(max_x * 10) + "]\n"
        "set yrange [0:*]\nset grid\nset bmargin 8\n"
        "set key at screen 0.5, screen 0.02 center bottom horizontal box opaque\n";
  if (first.tolerance > 0)
    gp += "set arrow from " + gp_number(first.tolerance) + ", graph 0 to " + gp_number(first.tolerance) +
          ", graph 1 nohead dt 2 lc rgb '#555555'\n"
          "set label 'float32 rounding' at " + gp_number(first.tolerance) +
          ", graph 0.97 left offset 0.4,0 font ',9' tc rgb '#555555'\n";
  static const char* colors[] = {"#000000", "#2ca02c", "#d62728", "#ff7f0e", "#9467bd"};
  static const char* titles[] = {"float32 (reference)", "exact", "NOT exact", "lower precision", "non-deterministic"};
  static const int points[] = {7, 7, 5, 9, 13};
  gp += "plot '" + stem + ".dat' index 1 using 1:2 with lines dt 3 lw 1.5 lc rgb '#888888' title 'Pareto front'";
  for (int k = 0; k < 5; ++k) {
    const bool present = std::any_of(rows.begin(), rows.end(), [&](const ModeRow& r) { return kind_of(r) == k; });
    if (!present) continue;
    gp += ", \\\n     '' index 0 using 1:($3==" + std::to_string(k) + "?$2:1/0) with points pt " +
          std::to_string(points[k]) + " ps 1.4 lc rgb '" + colors[k] + "' title '" + titles[k] + "'";
  }
  gp += ", \\\n     '' index 0 using 1:2:4 with labels left offset 0.8,0.3 font ',8' notitle\n";
  gp += gp_footer(stem);
  return {dat, gp};
}

TextTable modes_table(const std::vector<ModeRow>& rows) {
  TextTable t;
  t.header = {"network", "quality", "image", "mode", "time_s", "energy_j", "x float32", "max |dx|", "dPSNR_dB",
              "dbpp", "output", "Pareto"};
  const ModeRow* ref = reference_of(rows);
  const std::vector<size_t> front = pareto_front(rows);
  for (size_t i = 0; i < rows.size(); ++i) {
    const ModeRow& r = rows[i];
    const double ratio = ref != nullptr && ref->energy_j > 0 ? r.energy_j / ref->energy_j : 0;
    t.rows.push_back({r.abbr, std::to_string(r.quality), image_label(r.image), r.mode, format_number(r.duration_s, "%.4g"),
                      format_number(r.energy_j, "%.5g"), format_number(ratio, "%.3f"),
                      format_number(r.max_abs_diff, "%.2g"), format_number(r.psnr_db - r.psnr_db_float32, "%+.4f"),
                      format_number(r.bpp - r.bpp_float32, "%+.5f"), verdict(r),
                      std::find(front.begin(), front.end(), i) != front.end() ? "yes" : ""});
  }
  return t;
}

std::vector<std::string> write_modes_plot(const std::vector<ModeRow>& rows, const std::string& dir,
                                          const std::string& gnuplot, std::string* warning) {
  const bool estimate = std::any_of(rows.begin(), rows.end(), [](const ModeRow& r) { return r.estimate; });
  const auto [dat, gp] = modes_figure(rows, "modes_pareto", estimate ? kEstimateTitle : "");
  return write_standalone_figure(dir, "modes_pareto", dat, gp, gnuplot, warning);
}

}  // namespace nicenergy
