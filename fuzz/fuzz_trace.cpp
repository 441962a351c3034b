// libFuzzer harness for the power trace reader (parse_trace_csv in src/meters/trace_csv.cpp, which
// read_trace_csv runs on a file's bytes) of the replay meter and the report.
// The checks live in fuzz/entries.h, shared with tests/test_fuzz_regressions.cpp.
#include <cstdio>
#include <cstdlib>

#include "entries.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string problem = fuzz_entries::trace(data, size);
  if (!problem.empty()) {
    std::fprintf(stderr, "finding: %s\n", problem.c_str());
    std::abort();
  }
  return 0;
}
