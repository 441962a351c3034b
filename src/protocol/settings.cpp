#include "protocol/settings.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "error.h"
#include "io/numbers.h"
#include "meters/sampler.h"
#include "protocol/progress.h"

namespace nicenergy {
namespace {

// The longest a setting in seconds may be: a day. Longer is a typo, and `inf`
// would hang the protocol.
constexpr double kDayS = 86400;

std::vector<ProtocolSetting> make_table() {
  using C = ProtocolConfig;
  return {
      {"idle_s", "s", &C::idle_s, 0, kDayS, true, true,
       "idle reference: mean power over this long with nothing running (at least two of the meter's readings, "
       "0.2 s at 10 Hz)"},
      {"preheat_target_c", "C", &C::preheat_target_c, 0, 120, false, false,
       "preheat until the device reaches this temperature..."},
      {"preheat_stable_delta_c", "C", &C::preheat_stable_delta_c, 0, 100, true, true,
       "...or until its temperature moves less than this..."},
      {"preheat_stable_window_s", "s", &C::preheat_stable_window_s, 0, kDayS, true, true,
       "...over this long..."},
      {"preheat_max_s", "s", &C::preheat_max_s, 0, kDayS, true, true, "...or this long at most (0 skips it)"},
      {"preheat_no_sensor_s", "s", &C::preheat_no_sensor_s, 0, kDayS, true, true,
       "preheat this long where there is no temperature sensor (capped by preheat_max_s)"},
      {"preheat_check_s", "s", &C::preheat_check_s, 0, 3600, false, true, "temperature read period while preheating"},
      {"window_s", "s", &C::window_s, 0, 3600, false, true,
       "one measurement window lasts at least this long (the paper: 5 s)"},
      {"confidence", "", &C::confidence, 0, 1, false, false, "level of the confidence interval that chooses K"},
      {"ci_target", "", &C::ci_target, 0, 10, false, true,
       "stop adding windows when the interval's half-width is at most this fraction of the mean"},
      {"k_min", "", &C::k_min, 2, 10000, true, true, "windows at least (a confidence interval needs two)"},
      {"k_max", "", &C::k_max, 2, 10000, true, true, "windows at most"},
      {"sample_hz", "Hz", &C::sample_hz, 0.1, Sampler::kMaxRateHz, true, true,
       "power sampling rate (the paper: 10 Hz)"},
      {"counter_edge_wait_s", "s", &C::counter_edge_wait_s, 0, 10, true, true,
       "longest wait at a window edge for a coarse energy counter to tick (0: no alignment)"},
      {"hot_idle_s", "s", &C::hot_idle_s, 0, kDayS, true, true,
       "hot idle reference after preheat, context and model resident; Eq. (1) uses it (0: none, the cold one)"},
      {"phase_shift_periods", "", &C::phase_shift_periods, 0, 10, true, true,
       "random delay of up to this many counter periods before each window's executions (0: in phase)"},
      {"phase_seed", "", &C::phase_seed, 0, 2147483647, true, true, "seed of the phase delays"},
      {"disagreement_max", "", &C::disagreement_max, 0, 10, false, true,
       "warn when a window's counter and sample energies differ by more than this fraction"},
      {"max_power_w", "W", &C::max_power_w, 0, 1e6, false, true,
       "power readings above this (or below 0) are implausible: dropped, with a warning"},
      {"lag_probe_s", "s", &C::lag_probe_s, 0, 600, true, true,
       "step response at the start of preheat to estimate each power field's lag (0: off)"},
  };
}

}  // namespace

std::string ProtocolSetting::option() const {
  std::string text = "--" + name;
  for (char& c : text)
    if (c == '_') c = '-';
  return text;
}

double ProtocolSetting::get(const ProtocolConfig& config) const {
  if (integer()) return config.*std::get<int ProtocolConfig::*>(field);
  return config.*std::get<double ProtocolConfig::*>(field);
}

std::string ProtocolSetting::bounds_text() const {
  return std::string("in ") + (min_inclusive ? "[" : "(") + short_number_text(min) + ", " + short_number_text(max) +
         (max_inclusive ? "]" : ")") + (unit.empty() ? "" : " " + unit);
}

void ProtocolSetting::set(ProtocolConfig& config, double value, const std::string& where) const {
  const bool low_ok = min_inclusive ? value >= min : value > min;
  const bool high_ok = max_inclusive ? value <= max : value < max;
  if (!std::isfinite(value) || !low_ok || !high_ok)
    throw Error(where + " = " + short_number_text(value) + ": " + name + " must be " +
                (integer() ? "a whole number " : "") + bounds_text());
  if (integer()) {
    if (value != std::floor(value)) throw Error(where + " = " + short_number_text(value) + ": " + name + " must be a whole number");
    config.*std::get<int ProtocolConfig::*>(field) = static_cast<int>(value);  // in bounds: the cast is exact
  } else {
    config.*std::get<double ProtocolConfig::*>(field) = value;
  }
}

const std::vector<ProtocolSetting>& protocol_settings() {
  static const std::vector<ProtocolSetting> table = make_table();
  return table;
}

const ProtocolSetting* find_protocol_setting(const std::string& name) {
  for (const ProtocolSetting& s : protocol_settings())
    if (s.name == name) return &s;
  return nullptr;
}

const std::map<std::string, std::string>& renamed_protocol_settings() {
  static const std::map<std::string, std::string> renamed = {{"preheat_temp_c", "preheat_target_c"}};
  return renamed;
}

void validate(const ProtocolConfig& config) {
  for (const ProtocolSetting& s : protocol_settings()) {
    ProtocolConfig copy = config;
    s.set(copy, s.get(config), "protocol setting " + s.name);
  }
  if (config.k_max < config.k_min)
    throw Error("protocol settings: k_max (" + std::to_string(config.k_max) + ") must be >= k_min (" +
                std::to_string(config.k_min) + ")");
}

std::string default_duration_text() {
  const ProtocolConfig c;
  // Calibration times doubling batches up to a fifth of a window: about two fifths of one.
  const double common_s = c.idle_s + c.lag_probe_s + c.hot_idle_s + 0.4 * c.window_s;
  const double no_sensor_s = common_s + std::min(c.preheat_no_sensor_s, c.preheat_max_s) + c.k_min * c.window_s;
  const double longest_s = common_s + c.preheat_max_s + c.k_max * c.window_s;
  std::ostringstream out;
  out << "With the defaults the protocol takes about " << format_duration(no_sensor_s)
      << " without a temperature sensor, up to " << format_duration(longest_s) << ":\n"
      << "a " << seconds_text(c.idle_s) << " idle reference, a preheat (" << seconds_text(c.preheat_no_sensor_s)
      << " without a sensor; with one until " << short_number_text(c.preheat_target_c) << " C, stable, or "
      << seconds_text(c.preheat_max_s) << "),\na " << seconds_text(c.hot_idle_s) << " hot idle reference, then "
      << c.k_min << " to " << c.k_max << " windows of " << seconds_text(c.window_s)
      << "; the phases are shown on stderr.\n"
      << "Shorter, less accurate: --idle-s 10 --preheat-max-s 0 (no preheat, no hot idle) --window-s 1.";
  return out.str();
}

nlohmann::json settings_to_json(const ProtocolConfig& config) {
  nlohmann::json j = nlohmann::json::object();
  for (const ProtocolSetting& s : protocol_settings()) {
    if (s.integer())
      j[s.name] = static_cast<int>(s.get(config));
    else
      j[s.name] = s.get(config);
  }
  return j;
}

}  // namespace nicenergy
