// What every figure of the report shares: the gnuplot script frame (SVG for the
// page and PNG from the same script), numbers and names written safely into
// scripts and data files, one colour per network, and running gnuplot.
#pragma once
#include <filesystem>
#include <string>

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

}  // namespace nicenergy
