// Every input the fuzzers found a problem with (fuzz/regressions/HARNESS/), and
// every seed (fuzz/corpus/HARNESS/), rerun through the harnesses' own checks
// (fuzz/entries.h) in the normal build, so that a fixed finding stays fixed
// without clang or libFuzzer. The test fails with the file and what went wrong.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "../fuzz/entries.h"

namespace fs = std::filesystem;

namespace {

using Entry = std::string (*)(const uint8_t*, size_t);

// The files of fuzz/regressions/NAME and fuzz/corpus/NAME (the tests run in the source folder).
std::vector<fs::path> inputs_of(const std::string& name) {
  std::vector<fs::path> files;
  for (const char* root : {"fuzz/regressions/", "fuzz/corpus/"}) {
    const fs::path folder = fs::path(root) / name;
    if (!fs::is_directory(folder)) continue;
    for (const auto& entry : fs::directory_iterator(folder))
      if (entry.is_regular_file()) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

void rerun(const std::string& name, Entry entry, size_t at_least) {
  const auto files = inputs_of(name);
  EXPECT_GE(files.size(), at_least) << "inputs of " << name << " not found: run the test from the source folder";
  for (const fs::path& file : files) {
    std::ifstream in(file, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(entry(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()), "") << file;
  }
}

}  // namespace

TEST(FuzzRegressions, Safetensors) { rerun("safetensors", fuzz_entries::safetensors, 6); }
TEST(FuzzRegressions, ResultsCsv) { rerun("results_csv", fuzz_entries::results_csv, 5); }
TEST(FuzzRegressions, Trace) { rerun("trace", fuzz_entries::trace, 3); }
TEST(FuzzRegressions, TomlConfig) { rerun("toml_config", fuzz_entries::toml_config, 3); }

// The entries themselves catch what they are meant to: a sanity check that a
// finding would fail this test and not pass unnoticed.
TEST(FuzzRegressions, EntriesReportBadMessages) {
  EXPECT_EQ(fuzz_entries::bad_message("results file 'fuzz input' line 2: bad"), "");
  EXPECT_NE(fuzz_entries::bad_message("two\nlines about fuzz input"), "");
  EXPECT_NE(fuzz_entries::bad_message("names nothing"), "");
  EXPECT_EQ(fuzz_entries::guarded([]() -> std::string { throw nicenergy::Error("weights file 'fuzz input': x"); }), "");
  EXPECT_NE(fuzz_entries::guarded([]() -> std::string { throw std::out_of_range("raw"); }), "");
}
