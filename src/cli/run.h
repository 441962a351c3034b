// The command line as a library function: main() is run(), and the tests call
// it in-process (a LibTorch load per launch cost the suite minutes).
#pragma once
#include <string>
#include <vector>

namespace nicenergy::cli {

// Parses `args` (the words after the program's name), runs the command and
// returns its exit status: 0, 1 with one line "nicenergy CMD: error: ..." on
// stderr, or CLI11's status for help and usage. Output goes to stdout and
// stderr as from the program. The process-wide settings a command may change
// (LibTorch's thread count, its determinism flags) are put back on return, so
// one call leaves nothing to the next.
int run(const std::vector<std::string>& args);

}  // namespace nicenergy::cli
