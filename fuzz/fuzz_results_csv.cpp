// libFuzzer harness for the results CSV reader (parse_results in src/protocol/results_csv.cpp, which
// read_results runs on a file's bytes), with a write-and-read-back check.
// The checks live in fuzz/entries.h, shared with tests/test_fuzz_regressions.cpp.
#include <cstdio>
#include <cstdlib>

#include "entries.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string problem = fuzz_entries::results_csv(data, size);
  if (!problem.empty()) {
    std::fprintf(stderr, "finding: %s\n", problem.c_str());
    std::abort();
  }
  return 0;
}
