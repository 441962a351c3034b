// What every figure of the report shares: the gnuplot script frame (SVG for the
// page and PNG from the same script), numbers and names written safely into
// scripts and data files, one colour per network, and running gnuplot.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

namespace nicenergy {

std::string gp_number(double value);  // %.9g: short, and exact enough to redraw
// Names from the data inside gnuplot strings and data columns: quotes and
// backslashes dropped, so no name can break a script.
std::string gp_plain(const std::string& text);
std::string gp_string(const std::string& text);  // gp_plain in double quotes
// One colour per network, the same in every figure (matplotlib's tab10).
std::string network_color(const std::string& abbr);

// The first lines of a script writing stem.svg, and the last ones that replot
// it as stem.png.
std::string gp_header(const std::string& stem);
std::string gp_footer(const std::string& stem);

bool gnuplot_available(const std::string& program);
// Runs stem.gp in dir; returns an empty string on success, else why not (with
// the last line gnuplot printed, kept in stem.log).
std::string run_gnuplot(const std::string& program, const std::filesystem::path& dir, const std::string& stem);

// One command's figure outside the report (lifecycle --plot, bandwidth --plot):
// makes dir, writes stem.dat and stem.gp, and draws stem.svg and stem.png.
// Returns the files written; *warning gets why the figure was not drawn
// (gnuplot missing or failing; the script stays). Throws Error when dir
// cannot be written.
std::vector<std::string> write_standalone_figure(const std::string& dir, const std::string& stem,
                                                 const std::string& dat, const std::string& gp,
                                                 const std::string& program, std::string* warning);

}  // namespace nicenergy
