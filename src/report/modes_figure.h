// Energy against output deviation (issue 14): one point per energy mode of one
// network, from `nicenergy modes --output`, with the Pareto front (the modes
// no other mode beats on both energy and deviation). Drawn by `modes --plot
// DIR` and, with `report --modes FILE`, on the report's page.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "modes/mode_results.h"
#include "report/text_table.h"

namespace nicenergy {

// The modes on the Pareto front, by index into rows: sorted by deviation, each
// with less energy than every mode of smaller or equal deviation.
std::vector<size_t> pareto_front(const std::vector<ModeRow>& rows);

// stem.dat and stem.gp of the figure; title_note is appended to the title
// (the estimate label). Rows of one network, quality, image and device.
std::pair<std::string, std::string> modes_figure(const std::vector<ModeRow>& rows, const std::string& stem,
                                                 const std::string& title_note);

// One row per mode: energy and time against float32's, deviation, verdict.
TextTable modes_table(const std::vector<ModeRow>& rows);

// `modes --plot DIR`: DIR/modes_pareto.{dat,gp} and, through gnuplot, .svg and
// .png. Returns the files written; *warning says why the figure was not drawn.
std::vector<std::string> write_modes_plot(const std::vector<ModeRow>& rows, const std::string& dir,
                                          const std::string& gnuplot, std::string* warning);

}  // namespace nicenergy
