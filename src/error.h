// One exception type for every user-facing failure. The message names the input
// and what to do; the CLI catches it once and prints it on one line.
#pragma once
#include <stdexcept>
#include <string>

namespace nicenergy {

struct Error : std::runtime_error {
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace nicenergy
