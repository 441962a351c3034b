// libFuzzer harness for the compressed-file reader of 'nicenergy decompress'
// (read_stream in src/coding/codec_file.cpp) and the rANS decoder it feeds
// (src/coding/rans.cpp), on the latents' bytes under a fixed set of tables.
// The checks live in fuzz/entries.h, shared with tests/test_fuzz_regressions.cpp.
#include <cstdio>
#include <cstdlib>

#include "entries.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string problem = fuzz_entries::codec_file(data, size);
  if (!problem.empty()) {
    std::fprintf(stderr, "finding: %s\n", problem.c_str());
    std::abort();
  }
  return 0;
}
