// The campaign's progress line on stderr: current point, i/n, elapsed time and an
// ETA from the mean time of the points finished in this run. On a terminal the
// line is redrawn in place with \r; elsewhere (logs, pipes) each point gets a plain
// line. Writes only to the stream it is given.
#pragma once
#include <ostream>
#include <string>

namespace nicenergy {

// "42 s", "3 min 05 s", "1 h 02 min".
std::string format_duration(double seconds);

// True when stderr is a terminal.
bool stderr_is_tty();

class ProgressBar {
 public:
  ProgressBar(std::ostream& out, bool redraw, int bar_width = 20);
  // Point index of total (1-based) begins; eta_s < 0 when unknown.
  void show(size_t index, size_t total, const std::string& label, double elapsed_s, double eta_s);
  // A message (an error, a note) on its own line, without breaking the bar.
  void note(const std::string& message);
  // Ends the bar with a last line.
  void finish(const std::string& message);

 private:
  void clear_line();
  std::ostream& out_;
  bool redraw_;
  int bar_width_;
  std::string last_;  // the line on screen (redraw mode), empty when none
};

}  // namespace nicenergy
