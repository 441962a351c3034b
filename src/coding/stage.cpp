#include "coding/stage.h"

#include "error.h"

namespace nicenergy {

const std::vector<std::string>& stage_names() {
  static const std::vector<std::string> names = {"chain",     "encode",         "decode",        "analysis",
                                                 "synthesis", "entropy-encode", "entropy-decode"};
  return names;
}

std::string to_string(Stage stage) { return stage_names()[static_cast<size_t>(stage)]; }

Stage parse_stage(const std::string& name) {
  const auto& names = stage_names();
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return static_cast<Stage>(i);
  std::string known;
  for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
  throw Error("unknown stage '" + name + "': use one of " + known);
}

}  // namespace nicenergy
