// A small option parser: --name value, --name=value and --flag, plus positionals.
// Every option a command reads is declared by reading it; leftovers are errors.
#pragma once
#include <map>
#include <set>
#include <string>
#include <vector>

#include "error.h"

namespace nicenergy {

class Args {
 public:
  Args(int argc, char** argv) {
    for (int i = 0; i < argc; ++i) {
      std::string a = argv[i];
      if (a.rfind("--", 0) == 0 && a.size() > 2) {
        const auto eq = a.find('=');
        if (eq != std::string::npos) {
          values_[a.substr(2, eq - 2)] = a.substr(eq + 1);
        } else if (i + 1 < argc && std::string(argv[i + 1]).rfind("--", 0) != 0) {
          values_[a.substr(2)] = argv[++i];
        } else {
          values_[a.substr(2)] = "";
          flags_.insert(a.substr(2));
        }
      } else {
        positionals_.push_back(a);
      }
    }
  }

  bool help() { return flag("help"); }
  bool flag(const std::string& name) {
    used_.insert(name);
    if (!values_.count(name)) return false;
    if (!flags_.count(name)) positionals_.push_back(values_[name]);  // "--flag value": value is positional
    return true;
  }
  bool has(const std::string& name) { used_.insert(name); return values_.count(name) > 0; }
  std::string get(const std::string& name, const std::string& fallback = "") {
    used_.insert(name);
    auto it = values_.find(name);
    if (it == values_.end()) return fallback;
    if (flags_.count(name)) throw Error("option --" + name + " needs a value");
    return it->second;
  }
  std::string require(const std::string& name) {
    if (!has(name)) throw Error("option --" + name + " is required");
    return get(name);
  }
  double number(const std::string& name, double fallback) {
    if (!has(name)) return fallback;
    const std::string text = get(name);
    try {
      size_t used = 0;
      const double value = std::stod(text, &used);
      if (used != text.size()) throw std::invalid_argument(text);
      return value;
    } catch (const std::exception&) {
      throw Error("option --" + name + " wants a number, got '" + text + "'");
    }
  }
  int integer(const std::string& name, int fallback) {
    const double value = number(name, fallback);
    if (value != static_cast<int>(value)) throw Error("option --" + name + " wants a whole number");
    return static_cast<int>(value);
  }
  int require_integer(const std::string& name) {
    const std::string text = require(name);
    try {
      size_t used = 0;
      const int value = std::stoi(text, &used);
      if (used == text.size()) return value;
    } catch (const std::exception&) {
    }
    throw Error(name + " '" + text + "' is not a whole number");
  }
  const std::vector<std::string>& positionals() const { return positionals_; }
  // Call after reading every option: anything not read is a typo or an option of another command.
  void finish(size_t max_positionals = 0) {
    for (const auto& [name, value] : values_)
      if (!used_.count(name)) throw Error("unknown option --" + name + ": see --help");
    if (positionals_.size() > max_positionals)
      throw Error("unexpected argument '" + positionals_[max_positionals] + "': see --help");
  }

 private:
  std::map<std::string, std::string> values_;
  std::set<std::string> flags_;
  std::set<std::string> used_;
  std::vector<std::string> positionals_;
};

}  // namespace nicenergy
