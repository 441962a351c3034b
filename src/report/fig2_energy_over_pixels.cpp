#include <algorithm>

#include "models/zoo.h"
#include "report/gnuplot.h"
#include "report/report_parts.h"

namespace nicenergy {

void write_fig2_energy_over_pixels(ReportFolder& w, const std::vector<MeasurementRecord>& records, const FitResult& fit,
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
    dat += (i ? "\n\n" : "") + std::string("# ") + gp_plain(networks[i]) + "\n";
    for (const MeasurementRecord* r : rows)
      if (r->abbr == networks[i])
        dat += gp_number(static_cast<double>(r->width) * r->height / 1e6) + " " + gp_number(r->energy_j * scale) + " " +
               gp_number(r->energy_ci_j * scale) + " " + std::to_string(r->quality) + " " + gp_string(r->image) + "\n";
  }
  w.write(stem + ".dat", dat);

  std::string gp = gp_header(stem);
  gp += "set title 'Energy per execution over image size, " + gp_plain(level) + " parameter level" + w.title_note + "'\n"
        "set xlabel 'Image size S (megapixels)'\n"
        "set ylabel 'Energy per execution E (" + unit + ")'\n"
        "set key top left box opaque Left reverse\n"
        "set xrange [0:" + gp_number(max_mp * 1.05) + "]\nset yrange [0:*]\n"
        "set samples 200\n";
  // A line that is not sound says so on the figure, not only in Table 2.
  std::string unsound;
  for (const std::string& abbr : networks)
    if (const EnergyFit* f = find_fit(fit, abbr, level)) {
      std::string what;
      if (f->beta_j < 0) what = "fitted β < 0";
      if (!fit_line_warnings(*f).empty() && f->alpha_j_per_pixel != 0) {
        const double s0 = -f->beta_j / f->alpha_j_per_pixel;
        if (s0 >= f->min_pixels && s0 <= f->max_pixels)
          what += (what.empty() ? "" : ", ") + std::string("its line crosses 0 at ") + format_number(s0 / 1e6, "%.3g") +
                  " MP, inside the measured sizes";
      }
      if (!what.empty()) unsound += (unsound.empty() ? "" : "; ") + gp_plain(abbr) + ": " + what;
    }
  if (!unsound.empty())
    gp += "set label 1 \"Note: " + unsound + ". See Table 2.\" at graph 0.98, graph 0.04 "
          "right font ',10' tc rgb '#b00000' front\n";
  // The fitted lines of Eq. (2) in plot units: E = alpha * 1e6 * MP + beta.
  std::string plot;
  for (size_t i = 0; i < networks.size(); ++i) {
    const std::string color = network_color(networks[i]);
    plot += std::string(plot.empty() ? "plot " : ", \\\n     ") + "'" + stem + ".dat' index " + std::to_string(i) +
            " using 1:2:3 with yerrorbars pt 7 ps 0.9 lc rgb '" + color + "' title '" + gp_plain(networks[i]) + "'";
    if (const EnergyFit* f = find_fit(fit, networks[i], level))
      plot += ", \\\n     " + gp_number(f->alpha_j_per_pixel * 1e6 * scale) + " * x + " + gp_number(f->beta_j * scale) +
              " with lines lw 1.5 lc rgb '" + color + "' notitle";
  }
  plot += ", \\\n     NaN with lines lw 1.5 lc rgb '#444444' title 'fit E = αS + β'\n";
  gp += plot + gp_footer(stem);
  w.write(stem + ".gp", gp);
}

}  // namespace nicenergy
