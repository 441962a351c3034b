#include <algorithm>
#include <map>

#include "report/gnuplot.h"
#include "report/report_parts.h"

namespace nicenergy {

void write_fig1_power_trace(ReportFolder& w, const std::vector<TracePoint>& trace, const std::string& point) {
  std::string dat = "# time_s power_w window   (window -1: outside the measurement windows)\n";
  for (const TracePoint& p : trace) dat += gp_number(p.time_s) + " " + gp_number(p.power_w) + " " + std::to_string(p.window) + "\n";
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
  gp += "set title \"Power over time of " + gp_plain(point) + w.title_note +
        "\\nshaded and numbered: the measurement windows\"\n"
        "set xlabel 'Time (s)'\nset ylabel 'Power (W)'\n"
        "unset key\n"
        "set offsets 0, 0, graph 0.08, 0\n"
        "set yrange [0:*]\n";
  int object = 1;
  for (const auto& [window, span] : spans) {
    gp += "set object " + std::to_string(object++) + " rect from " + gp_number(span.first) + ", graph 0 to " +
          gp_number(span.second) + ", graph 1 fc rgb '#c7e9c0' fs solid 0.6 noborder behind\n";
    // Numbers only while they fit; dozens of windows would overprint.
    if (spans.size() <= 20)
      gp += "set label " + std::to_string(object) + " '" + std::to_string(window) + "' at " +
            gp_number((span.first + span.second) / 2) + ", graph 0.04 center font ',13' tc rgb '#2b7a2b'\n";
  }
  gp += "plot 'fig1_power.dat' using 1:2 with lines lw 1.5 lc rgb '#1f77b4' title 'power'\n";
  gp += gp_footer("fig1_power");
  w.write("fig1_power.gp", gp);
}

}  // namespace nicenergy
