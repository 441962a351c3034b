// Any program as the protocol's workload (`nicenergy exec -- CMD ARGS...`): one
// execution is one run of the command to its end, started with posix_spawnp
// (PATH searched, no shell, a process group of its own) and waited for. Its
// standard input is /dev/null and its output and errors go there, so that K x M
// runs neither wait on the terminal nor flood it or the record. Torch-free.
#pragma once
#include <string>
#include <vector>

#include "protocol/protocol.h"

namespace nicenergy {

// A run that takes longer is killed: long enough for an encoder on a large image,
// short enough that a command waiting on something never hangs a measurement.
constexpr double kDefaultRunTimeoutS = 300;

// Runs argv once and waits, at most timeout_s. Throws Error naming the command
// when it cannot be started (not found, not executable), is killed by a signal,
// exits non-zero, stops (it wants a terminal), or outlives timeout_s (then it and
// its process group are killed, and the Error names the limit).
void run_command_once(const std::vector<std::string>& argv, double timeout_s = kDefaultRunTimeoutS);

// The workload: run_once = run_command_once(argv, timeout_s); nothing to
// synchronise (the wait is the synchronisation, and the run is reaped by then,
// so the CPU estimate's counter holds its CPU time at the window's edge).
Workload command_workload(const std::vector<std::string>& argv, double timeout_s = kDefaultRunTimeoutS);

// "cjpeg -quality 90 kodim01.png" (arguments with spaces quoted): for messages and records.
std::string command_text(const std::vector<std::string>& argv);

}  // namespace nicenergy
