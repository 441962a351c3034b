#include "report/bandwidth_figure.h"

#include <cstdio>
#include <utility>

#include "report/gnuplot.h"

namespace nicenergy {

std::pair<std::string, std::string> bandwidth_figure(const ActivationBandwidth& a, bool trained,
                                                     const std::string& stem, const std::string& title_note) {
  // One row a layer: index, name, float32, 8-bit and exp-Golomb bytes.
  std::string dat = "# index layer float32_bytes int8_bytes exp_golomb_bytes in_2nd\n";
  // The layers "up to the 2nd downsampling" come in runs (the encoder's first
  // ones, the decoder's last ones): each run is shaded, its edges dashed.
  std::vector<std::pair<size_t, size_t>> runs;
  for (size_t i = 0; i < a.layers.size(); ++i) {
    const LayerBandwidth& l = a.layers[i];
    dat += std::to_string(i) + " " + gp_string(l.name) + " " + gp_number(l.bytes.float32) + " " +
           gp_number(l.bytes.int8) + " " + gp_number(l.bytes.exp_golomb) + " " + (l.in_2nd ? "1" : "0") + "\n";
    if (!l.in_2nd) continue;
    if (!runs.empty() && runs.back().second + 1 == i)
      runs.back().second = i;
    else
      runs.emplace_back(i, i);
  }

  const double saving = a.total.exp_golomb > 0 ? a.total.float32 / a.total.exp_golomb : 0;
  char saving_text[32];
  std::snprintf(saving_text, sizeof saving_text, "%.2f", saving);
  std::string gp = gp_header(stem);
  gp += "set title " +
        gp_string(a.abbr + " q" + std::to_string(a.quality) + ", padded " + std::to_string(a.padded_width) + "x" +
                  std::to_string(a.padded_height) + ": activation bytes per layer (chain coded: " + saving_text +
                  "x less than float32)" + (trained ? "" : ", SEEDED WEIGHTS: MEANINGLESS") + title_note) +
        "\n"
        "set ylabel 'bytes to memory'\n"
        "set logscale y\n"
        "set format y '1e%T'\n"
        "set style data histograms\n"
        "set style histogram clustered gap 1\n"
        "set style fill solid 0.85 border -1\n"
        "set boxwidth 0.9\n"
        "set xtics rotate by -60 scale 0 font ',9'\n"
        "set key top center box opaque\n";
  for (size_t r = 0; r < runs.size(); ++r) {
    const std::string from = gp_number(runs[r].first - 0.5), to = gp_number(runs[r].second + 0.5);
    gp += "set object " + std::to_string(r + 1) + " rect from " + from + ", graph 0 to " + to +
          ", graph 1 behind fc rgb '#fff1c1' fs solid 1.0 noborder\n";
    for (const std::string& x : {from, to})
      gp += "set arrow from " + x + ", graph 0 to " + x + ", graph 1 nohead dt 2 lw 1.5 lc rgb '#8a6d00'\n";
    gp += "set label " + std::to_string(r + 1) + " 'up to the 2nd downsampling' at " + from +
          ", graph 0.965 left offset 0.3,0 front font ',11' tc rgb '#8a6d00'\n";
  }
  gp += "plot '" + stem + ".dat' using 3:xtic(2) title 'float32' lc rgb '#9e9e9e', \\\n"
        "     '' using 4 title '8 bits (min-max)' lc rgb '#1f77b4', \\\n"
        "     '' using 5 title 'symmetric exp-Golomb (coded)' lc rgb '#2ca02c'\n";
  gp += gp_footer(stem);
  return {dat, gp};
}

std::vector<std::string> write_bandwidth_plot(const ActivationBandwidth& a, bool trained, const std::string& dir,
                                              const std::string& gnuplot, std::string* warning) {
  const std::string stem = "bandwidth_layers";
  const auto [dat, gp] = bandwidth_figure(a, trained, stem, "");
  return write_standalone_figure(dir, stem, dat, gp, gnuplot, warning);
}

}  // namespace nicenergy
