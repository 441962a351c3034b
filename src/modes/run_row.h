// What a row of `modes --output` and `layers --output` shares: which network
// ran on what, where and how (the identity a rerun resumes by), and the
// protocol's figures for it. Each file adds its own columns around these.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "io/appended_csv.h"

namespace nicenergy {

struct RunRow {
  std::string network, abbr;
  int quality = 0;
  std::string image;
  int width = 0, height = 0;
  std::string device, meter;
  bool estimate = false;       // the meter is the CPU-time ESTIMATE
  int threads = 0;
  std::string weights;         // the file, or "seeded N"
  std::string mode;            // the energy mode, "float32" for the reference
  double duration_s = 0;       // per execution
  double energy_j = 0;         // dynamic energy per execution, Eq. (1)
  double energy_ci_j = 0;
  int k = 0;
  int64_t m = 0;

  // network|quality|image|WxH|device|weights|threads|mode: the same run.
  std::string run_key() const;
};

// network ... mode, and duration_s ... m: the columns and their values.
const std::vector<std::string>& run_identity_columns();
const std::vector<std::string>& run_result_columns();
std::vector<std::string> run_identity_values(const RunRow& row);
std::vector<std::string> run_result_values(const RunRow& row);
// Fills both parts, or one, from a row read back (errors name the file, line and column).
void read_run_fields(const AppendedRow& row, RunRow& out);
void read_run_identity(const AppendedRow& row, RunRow& out);
void read_run_results(const AppendedRow& row, RunRow& out);

}  // namespace nicenergy
