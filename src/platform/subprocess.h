// Running another program (sbatch, squeue, sacct) and reading what it printed,
// without a shell: the arguments go to execvp as they are, so no quoting is needed.
#pragma once
#include <string>
#include <vector>

namespace nicenergy {

struct CommandResult {
  bool started = false;  // false: the program could not be run (not installed); see output
  int exit_status = -1;  // its exit status; 128 + N when killed by signal N
  std::string output;    // stdout (stderr joined in when merge_stderr)
  std::string errors;    // stderr when not merged
};

// Runs argv[0] (looked up in PATH) with argv, stdin from /dev/null, and waits for it.
CommandResult run_command(const std::vector<std::string>& argv, bool merge_stderr = false);

// argv as one line a shell would run the same way ('single-quoted' where needed).
std::string shell_quote(const std::string& word);
std::string shell_line(const std::vector<std::string>& argv);

}  // namespace nicenergy
