// libFuzzer harness for the campaign config reader (load_campaign_config in
// src/campaign/config.cpp): TOML, then the [campaign], [protocol] and [[images]]
// checks; the input is written to a file beside a 1x1 PNG that configs may name.
// The checks live in fuzz/entries.h, shared with tests/test_fuzz_regressions.cpp.
#include <cstdio>
#include <cstdlib>

#include "entries.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string problem = fuzz_entries::toml_config(data, size);
  if (!problem.empty()) {
    std::fprintf(stderr, "finding: %s\n", problem.c_str());
    std::abort();
  }
  return 0;
}
