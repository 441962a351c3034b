// What the host machine is, as the operating system tells it: the meters put
// it into every record's device state.
#pragma once
#include <string>

namespace nicenergy {

// The CPU's name from the first "model name" line of cpuinfo_path
// ("AMD EPYC 7B13 64-Core Processor"); empty where there is none (not Linux,
// or an architecture whose cpuinfo names it otherwise).
std::string cpu_model(const std::string& cpuinfo_path = "/proc/cpuinfo");

}  // namespace nicenergy
