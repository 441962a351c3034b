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
TEST(FuzzRegressions, CodecFile) { rerun("codec_file", fuzz_entries::codec_file, 6); }

// The entries themselves catch what they are meant to: a sanity check that a
// finding would fail this test and not pass unnoticed.
TEST(FuzzRegressions, EntriesReportBadMessages) {
  EXPECT_EQ(fuzz_entries::bad_message("results file 'fuzz input' line 2: bad"), "");
  EXPECT_NE(fuzz_entries::bad_message("two\nlines about fuzz input"), "");
  EXPECT_NE(fuzz_entries::bad_message("names nothing"), "");
  EXPECT_EQ(fuzz_entries::not_one_line("entropy-coded stream is corrupt"), "");
  EXPECT_NE(fuzz_entries::not_one_line("two\nlines"), "");
  EXPECT_EQ(fuzz_entries::guarded([]() -> std::string { throw nicenergy::Error("weights file 'fuzz input': x"); }), "");
  EXPECT_NE(fuzz_entries::guarded([]() -> std::string { throw std::out_of_range("raw"); }), "");
}

// The codec_file entry decodes the latents under its own tables: a stream coded
// with them (escapes and the escape-only table included) passes, and its values
// come back, so the decoder's paths are reached and not only refused.
TEST(FuzzRegressions, CodecFileEntryDecodesItsTables) {
  const auto& tables = fuzz_entries::codec_file_tables();
  ASSERT_EQ(tables.size(), 4u);
  nicenergy::CodedLatent latent{{4, 8, 8}, {}};
  std::vector<int32_t> values, indexes;
  for (int32_t i = 0; i < 4 * 64; ++i) {
    indexes.push_back(i / 64);
    values.push_back((i % 7 == 0) ? 300 - i : (i % 5) - 2);  // every 7th out of every table's range
  }
  latent.bytes = nicenergy::rans_encode(values, indexes, tables);
  EXPECT_EQ(nicenergy::rans_decode(latent.bytes, indexes, tables), values);
  const nicenergy::Stream stream{{"Bfac", 1, 128, 128, "cpu", 42}, {{latent}}};
  const std::string bytes = nicenergy::write_stream(stream);
  EXPECT_EQ(fuzz_entries::codec_file(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()), "");
  EXPECT_EQ(fuzz_entries::decode_latent(latent), "");
}
