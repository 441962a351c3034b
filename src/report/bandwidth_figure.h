// The per-layer figure of `nicenergy bandwidth --plot DIR` (issue 16): each
// layer output's bytes as float32, as 8 bits and as the symmetric exp-Golomb
// code, on a log axis in execution order, with the end of "up to the 2nd
// downsampling" marked. Seeded weights are said in the title.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "bandwidth/bandwidth_types.h"

namespace nicenergy {

// stem.dat and stem.gp of the figure; title_note is appended to the title.
// The report draws it (report --bandwidth FILE), as does the command below.
std::pair<std::string, std::string> bandwidth_figure(const ActivationBandwidth& bandwidth, bool trained,
                                                     const std::string& stem, const std::string& title_note);

// DIR/bandwidth_layers.{dat,gp} and, through gnuplot, .svg and .png. Returns the
// files written; *warning gets why the figure was not drawn (gnuplot missing
// or failing; the script stays). Throws Error when the folder cannot be written.
std::vector<std::string> write_bandwidth_plot(const ActivationBandwidth& bandwidth, bool trained,
                                              const std::string& dir, const std::string& gnuplot,
                                              std::string* warning);

}  // namespace nicenergy
