// One table of the protocol's settings: name, unit, default, bounds and help.
// It feeds the CLI options (the name with dashes: idle_s -> --idle-s), the
// campaign TOML's [protocol] keys, the JSON record's "config" object and
// validation, so each setting has one name, spelled the same everywhere.
// Defaults are ProtocolConfig{}'s; the help texts print them from there.
#pragma once
#include <map>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "protocol/protocol.h"

namespace nicenergy {

struct ProtocolSetting {
  std::string name;   // TOML and JSON key, e.g. "idle_s"
  std::string unit;   // "s", "C", "Hz", "" (a fraction or a count)
  std::variant<double ProtocolConfig::*, int ProtocolConfig::*> field;
  double min = 0, max = 0;             // bounds, always finite
  bool min_inclusive = true, max_inclusive = true;
  std::string help;

  bool integer() const { return std::holds_alternative<int ProtocolConfig::*>(field); }
  std::string option() const;  // "--idle-s"
  double get(const ProtocolConfig& config) const;
  // Checks the value (finite, whole for counts, within bounds) before it is
  // stored; `where` names the input in the message ("--idle-s", "x.toml [protocol] idle_s").
  void set(ProtocolConfig& config, double value, const std::string& where) const;
  std::string bounds_text() const;  // "in [0, 86400] s"
};

const std::vector<ProtocolSetting>& protocol_settings();
// nullptr for an unknown name.
const ProtocolSetting* find_protocol_setting(const std::string& name);
// Names used before (old -> new), each refused with a message naming the new one.
const std::map<std::string, std::string>& renamed_protocol_settings();

// Every setting's bounds, then the rules between settings (k_max >= k_min).
// Throws Error naming the first impossible value.
void validate(const ProtocolConfig& config);

// How long the default protocol takes (measure --help): the phases' lengths,
// the total without a temperature sensor and at most, and how to shorten it.
std::string default_duration_text();

// {"idle_s": 120, ...}: every setting of the table.
nlohmann::json settings_to_json(const ProtocolConfig& config);

}  // namespace nicenergy
