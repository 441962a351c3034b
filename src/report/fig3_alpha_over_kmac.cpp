#include <algorithm>
#include <cmath>

#include "report/gnuplot.h"
#include "report/report_parts.h"

namespace nicenergy {

namespace {

struct AlphaKmacPoint {
  std::string abbr, level;
  double kmac, alpha_uj;
};

// Blocks 0 .. L-1: the points of each level; blocks L .. 2L-1: their labels.
std::string alpha_kmac_data(const std::vector<AlphaKmacPoint>& joined, const std::vector<std::string>& levels, bool use_2nd,
                            double max_kmac, double max_alpha) {
  std::string dat = "# kmac_per_px alpha_uj_per_pixel label   (" +
                    std::string(use_2nd ? "kMAC up to the 2nd downsampling" : "kMAC of the whole network") + ")\n";
  std::string labels;
  for (const std::string& level : levels) {
    std::vector<AlphaKmacPoint> at_level;
    for (const AlphaKmacPoint& p : joined)
      if (p.level == level) at_level.push_back(p);
    std::sort(at_level.begin(), at_level.end(), [](const AlphaKmacPoint& a, const AlphaKmacPoint& b) { return a.kmac < b.kmac; });
    dat += std::string(level == "low" ? "" : "\n\n") + "# " + gp_plain(level) + " level\n";
    for (const AlphaKmacPoint& p : at_level) dat += gp_number(p.kmac) + " " + gp_number(p.alpha_uj) + " " + gp_string(p.abbr) + "\n";
    labels += "\n\n# labels, " + gp_plain(level) + " level\n";
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
      labels += gp_number(x) + " " + gp_number(y) + " " + gp_string(text) + "\n";
      i = j;
    }
  }
  return dat + labels;
}

// The plot command: a level without points is left out (gnuplot warns on empty blocks).
std::string alpha_kmac_plot(const std::vector<AlphaKmacPoint>& joined, const std::vector<std::string>& levels,
                            const std::string& stem) {
  std::string plot;
  auto add = [&](const std::string& clause) { plot += (plot.empty() ? "plot " : ", \\\n     ") + clause; };
  const size_t count = levels.size();
  for (size_t i = 0; i < count; ++i) {
    if (std::none_of(joined.begin(), joined.end(), [&](const AlphaKmacPoint& p) { return p.level == levels[i]; })) continue;
    const std::string points = "'" + stem + ".dat' index " + std::to_string(i) + " using 1:2 with points ";
    const std::string label = "'" + stem + ".dat' index " + std::to_string(count + i) + " using 1:2:3 with labels ";
    if (i == 0) {
      add(points + "pt 7 ps 1.3 lc rgb '#1f77b4' title 'low level'");
      add(label + "offset char 0.8,-0.9 left font ',12' tc rgb '#1f77b4' notitle");
    } else if (i == 1) {
      add(points + "pt 5 ps 1.3 lc rgb '#d62728' title 'high level'");
      add(label + "offset char -0.8,0.9 right font ',12' tc rgb '#d62728' notitle");
    } else {
      // Networks outside the zoo: their own colour, labelled by name.
      add(points + "pt 9 ps 1.5 lc rgb '#2ca02c' title " + gp_string(levels[i] + " (outside the zoo)"));
      add(label + "offset char 0.8,0.9 left font ',12' tc rgb '#2ca02c' notitle");
    }
  }
  return plot;
}

}  // namespace

bool write_fig3_alpha_over_kmac(ReportFolder& w, const FitResult& fit, const std::vector<KmacPoint>& points, bool use_2nd,
                const std::string& stem) {
  std::vector<AlphaKmacPoint> joined;
  for (const EnergyFit& f : fit.fits)
    for (const KmacPoint& k : points)
      if (k.abbr == f.abbr && k.level == f.level && (!use_2nd || k.has_2nd))
        joined.push_back({f.abbr, f.level, use_2nd ? k.kmac_per_px_2nd : k.kmac_per_px, f.alpha_j_per_pixel * 1e6});
  if (joined.empty()) return false;

  double max_kmac = 0, max_alpha = 0;
  for (const AlphaKmacPoint& p : joined) max_kmac = std::max(max_kmac, p.kmac), max_alpha = std::max(max_alpha, p.alpha_uj);

  // Blocks 0 .. L-1: the points of each level (low, high, then others such as
  // custom, for networks outside the zoo). Blocks L .. 2L-1: their labels, where
  // points closer than a few percent of the axes share one label ("Bfac, Bhyp,
  // Mmean"), since those networks have nearly equal kMAC and alpha.
  std::vector<std::string> levels = {"low", "high"};
  for (const AlphaKmacPoint& p : joined)
    if (std::find(levels.begin(), levels.end(), p.level) == levels.end()) levels.push_back(p.level);
  const std::string dat = alpha_kmac_data(joined, levels, use_2nd, max_kmac, max_alpha);
  w.write(stem + ".dat", dat);

  const std::optional<KmacFit>& line = use_2nd ? fit.alpha_vs_kmac_2nd : fit.alpha_vs_kmac;
  const std::string kmac_label = use_2nd ? "kMAC per pixel up to the 2nd downsampling" : "kMAC per pixel";

  std::string gp = gp_header(stem);
  gp += "set title 'α over " + kmac_label + w.title_note + "'\n"
        "set xlabel '" + kmac_label + "'\n"
        "set ylabel 'α (µJ per pixel)'\n"
        "set key top left box opaque Left reverse\n"
        "set xrange [0:" + gp_number(max_kmac * 1.12) + "]\nset yrange [0:" + gp_number(max_alpha * 1.15) + "]\n";
  std::string plot = alpha_kmac_plot(joined, levels, stem);
  // The caption promises the Sec. 5 line only where there is one; without it the figure says so.
  if (!line)
    gp += "set label 1 'no α-over-kMAC line: too few network-levels of distinct kMAC to fit one (see the notes)' at "
          "graph 0.98, graph 0.04 right font ',10' tc rgb '#555555' front\n";
  if (line)
    plot += ", \\\n     " + gp_number(line->slope * 1e6) + " * x + " + gp_number(line->offset * 1e6) +
            " with lines lw 1.5 lc rgb '#444444' title sprintf('fit, ρ = %.3f, leave-one-out MRE = %.1f %%', " +
            gp_number(line->pearson) + ", " + gp_number(line->mre * 100) + ")";
  gp += plot + "\n" + gp_footer(stem);
  w.write(stem + ".gp", gp);
  return true;
}

}  // namespace nicenergy
