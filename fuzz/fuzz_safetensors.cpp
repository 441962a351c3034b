// libFuzzer harness for the safetensors header parser and checker (src/models/safetensors_header.cpp), which
// runs before the weights loader reads a byte of tensor data.
// The checks live in fuzz/entries.h, shared with tests/test_fuzz_regressions.cpp.
#include <cstdio>
#include <cstdlib>

#include "entries.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string problem = fuzz_entries::safetensors(data, size);
  if (!problem.empty()) {
    std::fprintf(stderr, "finding: %s\n", problem.c_str());
    std::abort();
  }
  return 0;
}
