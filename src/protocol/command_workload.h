// Any program as the protocol's workload (`nicenergy exec -- CMD ARGS...`): one
// execution is one run of the command to its end, started with posix_spawnp
// (PATH searched, no shell) and waited for. Its standard output and error go to
// /dev/null, so that K x M runs do not flood the terminal or the record.
// Torch-free.
#pragma once
#include <string>
#include <vector>

#include "protocol/protocol.h"

namespace nicenergy {

// Runs argv once and waits. Throws Error naming the command when it cannot be
// started (not found, not executable), is killed by a signal, or exits non-zero.
void run_command_once(const std::vector<std::string>& argv);

// The workload: run_once = run_command_once(argv); nothing to synchronise (the
// wait is the synchronisation).
Workload command_workload(const std::vector<std::string>& argv);

// "cjpeg -quality 90 kodim01.png" (arguments with spaces quoted): for messages and records.
std::string command_text(const std::vector<std::string>& argv);

}  // namespace nicenergy
