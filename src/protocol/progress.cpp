#include "protocol/progress.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>

namespace nicenergy {

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const long s = std::lround(seconds);
  char buf[48];
  if (s < 60)
    std::snprintf(buf, sizeof buf, "%ld s", s);
  else if (s < 3600)
    std::snprintf(buf, sizeof buf, "%ld min %02ld s", s / 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%ld h %02ld min", s / 3600, (s % 3600) / 60);
  return buf;
}

bool stderr_is_tty() { return ::isatty(STDERR_FILENO) == 1; }

ProgressBar::ProgressBar(std::ostream& out, bool redraw, int bar_width)
    : out_(out), redraw_(redraw), bar_width_(bar_width) {}

void ProgressBar::clear_line() {
  if (!redraw_ || last_.empty()) return;
  // Overwrite with spaces rather than an escape code, so any terminal copes.
  out_ << '\r' << std::string(last_.size(), ' ') << '\r';
  last_.clear();
}

void ProgressBar::show(size_t index, size_t total, const std::string& label, double elapsed_s, double eta_s) {
  // The bar counts finished points: index - 1 of total.
  const size_t done = index > 0 ? index - 1 : 0;
  const int filled = total ? static_cast<int>(bar_width_ * done / total) : 0;
  std::string line = "[" + std::string(filled, '#') + std::string(bar_width_ - filled, '.') + "] " +
                     std::to_string(index) + "/" + std::to_string(total) + " " + label + "  elapsed " +
                     format_duration(elapsed_s) + ", ETA " + (eta_s < 0 ? "?" : format_duration(eta_s));
  if (redraw_) {
    clear_line();
    out_ << line << std::flush;
    last_ = line;
  } else {
    out_ << line << '\n' << std::flush;
  }
}

void ProgressBar::note(const std::string& message) {
  const std::string bar = last_;
  clear_line();
  out_ << message << '\n';
  if (redraw_ && !bar.empty()) {
    out_ << bar;
    last_ = bar;
  }
  out_ << std::flush;
}

void ProgressBar::finish(const std::string& message) {
  clear_line();
  out_ << message << '\n' << std::flush;
}

}  // namespace nicenergy
