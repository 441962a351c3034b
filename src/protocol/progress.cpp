#include "protocol/progress.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>

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

std::string seconds_text(double seconds) {
  char buf[48];
  std::snprintf(buf, sizeof buf, seconds >= 100 ? "%.0f s" : "%.3g s", seconds);
  return buf;
}

bool stderr_is_tty() { return ::isatty(STDERR_FILENO) == 1; }

namespace {

// One phase of the protocol as the progress shows it.
struct Phase {
  std::string label;     // "idle reference"
  std::string announce;  // the line that begins it (logs)
  double length_s = 0;   // its length where the fraction is elapsed / length; 0: a share of work
};

// A setting as the user gave it: "--idle-s" on the command line, "idle_s" as a key.
std::string setting_ref(const std::string& key, SettingNames names) {
  if (names == SettingNames::keys) return key;
  std::string option = "--" + key;
  for (char& ch : option) if (ch == '_') ch = '-';
  return option;
}

Phase describe_phase(const std::string& stage, const ProtocolConfig& c, SettingNames names) {
  auto ref = [names](const std::string& key) { return setting_ref(key, names); };
  if (stage == "idle")
    return {"idle reference",
            "idle reference: " + seconds_text(c.idle_s) + " with nothing else running (" + ref("idle_s") + ")", c.idle_s};
  if (stage == "hot idle")
    return {"hot idle reference", "hot idle reference: " + seconds_text(c.hot_idle_s) + " (" + ref("hot_idle_s") + ")",
            c.hot_idle_s};
  if (stage == "lag probe")
    return {"lag probe", "lag probe: " + seconds_text(c.lag_probe_s) + " (" + ref("lag_probe_s") + ")", c.lag_probe_s};
  if (stage == "preheat" && !(c.preheat_max_s > 0))
    return {"preheat", "preheat: none (" + ref("preheat_max_s") + (names == SettingNames::keys ? " = 0)" : " 0)"), 0};
  if (stage == "preheat") {
    // The limit depends on whether the device has a temperature sensor, which
    // the progress is not told: both are given.
    char target[32];
    std::snprintf(target, sizeof target, "%g C", c.preheat_target_c);
    return {"preheat",
            "preheat: up to " + seconds_text(c.preheat_max_s) + " (ends at " + target + " or when stable; " +
                seconds_text(std::min(c.preheat_no_sensor_s, c.preheat_max_s)) +
                " without a temperature sensor) (" + ref("preheat_max_s") + ", " + ref("preheat_no_sensor_s") + ")",
            0};
  }
  if (stage == "calibrate") return {"calibration", "calibration: timing executions for windows of " + seconds_text(c.window_s), 0};
  if (stage == "measure") {
    const std::string k = std::to_string(c.k_min) + (c.k_max > c.k_min ? " to " + std::to_string(c.k_max) : "");
    return {"windows", "windows: " + k + " of at least " + seconds_text(c.window_s) + " (" + ref("window_s") + ", " +
                           ref("k_max") + ")",
            0};
  }
  return {stage, stage + "...", 0};
}

// The state behind protocol_progress's function.
class ProtocolProgress {
 public:
  ProtocolProgress(const ProtocolConfig& config, std::ostream& out, bool redraw, SettingNames names)
      : config_(config), out_(out), redraw_(redraw), names_(names) {}

  void update(const std::string& stage, double fraction) {
    if (stage != stage_) begin(stage);
    if (!redraw_ || ended_) return;  // a phase may report its end twice
    std::string line = phase_.label + ": ";
    if (phase_.length_s > 0) {
      line += seconds_text(std::round(fraction * phase_.length_s)) + " of " + seconds_text(phase_.length_s);
    } else if (stage == "preheat") {
      // fraction = elapsed / the limit in force (with or without a sensor): the limit follows.
      const double elapsed = elapsed_s();
      const double limit_s = fraction > 0 ? elapsed / fraction : config_.preheat_max_s;
      line += seconds_text(std::round(elapsed)) + " of at most " + seconds_text(std::round(limit_s));
    } else {
      char pct[16];
      std::snprintf(pct, sizeof pct, "%3.0f %%", 100 * fraction);
      line += pct;
    }
    if (line != shown_) {
      // Spaces over what is left of a longer line, rather than an escape code, so any terminal copes.
      out_ << '\r' << line << std::string(shown_.size() > line.size() ? shown_.size() - line.size() : 0, ' ');
      shown_ = line;
    }
    if (fraction >= 1) {
      out_ << '\n';
      shown_.clear();
      ended_ = true;
    }
    out_ << std::flush;
  }

 private:
  void begin(const std::string& stage) {
    if (redraw_ && !shown_.empty()) out_ << '\n';  // a phase that ended without reaching 1
    shown_.clear();
    ended_ = false;
    stage_ = stage;
    phase_ = describe_phase(stage, config_, names_);
    started_ = std::chrono::steady_clock::now();
    if (!redraw_) out_ << phase_.announce << '\n' << std::flush;
  }
  double elapsed_s() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  }

  ProtocolConfig config_;
  std::ostream& out_;
  bool redraw_;
  SettingNames names_;
  bool ended_ = false;  // the phase's last line is out
  std::string stage_, shown_;
  Phase phase_;
  std::chrono::steady_clock::time_point started_;
};

}  // namespace

ProgressFn protocol_progress(const ProtocolConfig& config, std::ostream& out, bool redraw, SettingNames names) {
  ProtocolConfig lengths = config;
  lengths.progress = nullptr;  // a copy of the lengths, not of a function that might hold this one
  auto state = std::make_shared<ProtocolProgress>(lengths, out, redraw, names);
  return [state](const std::string& stage, double fraction) { state->update(stage, fraction); };
}

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
