// Progress on stderr. The campaign's line: current point, i/n, elapsed time and
// an ETA from the mean time of the points finished in this run. The protocol's
// course (protocol_progress): each phase announced with its length. On a
// terminal a line is redrawn in place with \r; elsewhere (logs, pipes) each
// point or phase gets one plain line. Writes only to the stream it is given.
#pragma once
#include <ostream>
#include <string>

#include "protocol/protocol.h"

namespace nicenergy {

// "42 s", "3 min 05 s", "1 h 02 min".
std::string format_duration(double seconds);

// "0.3 s", "30 s", "120 s": a length as the protocol's settings give it.
std::string seconds_text(double seconds);

// True when stderr is a terminal.
bool stderr_is_tty();

// The protocol's progress (ProtocolConfig::progress) on `out`, with the lengths
// of `config`'s phases. redraw (a terminal): "idle reference: 37 s of 120 s"
// redrawn in place, a line ending each phase; otherwise one line as each phase
// begins, e.g. "idle reference: 120 s with nothing running (--idle-s)". The
// settings are named as the user gives them: CLI options, or the settings
// table's keys ("idle_s") for the campaign TOML and the Python module.
enum class SettingNames { cli_options, keys };
ProgressFn protocol_progress(const ProtocolConfig& config, std::ostream& out, bool redraw,
                             SettingNames names = SettingNames::cli_options);

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
