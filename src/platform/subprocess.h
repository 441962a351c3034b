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

// How one run of a silent child ended (run_silently).
struct ChildEnd {
  enum Kind { exited, signalled, stopped, timed_out, not_started, wait_failed } kind = not_started;
  int code = 0;  // exit status; the signal that killed or stopped it; errno (not_started, wait_failed)
};

// Runs argv[0] (looked up in PATH) in a process group of its own, stdin from and
// stdout/stderr to /dev/null, and waits at most timeout_s for it to end. It is
// reaped before this returns, so the kernel has added its CPU time (and its
// reaped children's) to getrusage(RUSAGE_CHILDREN). A child that stops (SIGSTOP,
// SIGTTIN: it wants a terminal) or outlives timeout_s has its whole group killed.
// SIGINT, SIGTERM or SIGHUP to this process while it waits kill the group before
// this process goes the way the signal takes it: no command is left behind.
ChildEnd run_silently(const std::vector<std::string>& argv, double timeout_s);

// argv as one line a shell would run the same way ('single-quoted' where needed).
std::string shell_quote(const std::string& word);
std::string shell_line(const std::vector<std::string>& argv);

}  // namespace nicenergy
