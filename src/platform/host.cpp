#include "platform/host.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>

namespace nicenergy {

std::string cpu_model(const std::string& cpuinfo_path) {
  std::ifstream in(cpuinfo_path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) != 0) continue;
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    const size_t start = line.find_first_not_of(" \t", colon + 1);
    const size_t end = line.find_last_not_of(" \t\r");
    return start == std::string::npos ? "" : line.substr(start, end - start + 1);
  }
  return "";
}

static std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

std::string node_name() {
  const std::string slurm = env("SLURMD_NODENAME");
  if (!slurm.empty()) return slurm;
  char buffer[256] = {0};
  if (::gethostname(buffer, sizeof buffer - 1) != 0) return "";
  return buffer;
}

std::string slurm_job() {
  const std::string array = env("SLURM_ARRAY_JOB_ID"), task = env("SLURM_ARRAY_TASK_ID");
  if (!array.empty() && !task.empty()) return array + "_" + task;
  return env("SLURM_JOB_ID");
}

}  // namespace nicenergy
