// Helpers shared by the tests: scratch folders, whole-file reads and writes,
// the message of an expected error, natural test images, and running the CLI.
#pragma once
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>

#include "error.h"
#include "image/image.h"
#include "modes/run_row.h"

namespace test_util {

// A fresh folder for one test, removed afterwards: TMP/nicenergy_TAG_PID_TEST.
struct TempDir {
  std::filesystem::path path;
  explicit TempDir(const std::string& tag = "test") {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path = std::filesystem::temp_directory_path() /
           ("nicenergy_" + tag + "_" + std::to_string(::getpid()) + "_" + (info ? info->name() : "none"));
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return (path / name).string(); }
};

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void spit(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

// The message of the nicenergy::Error that f throws, or "(no error)".
inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const nicenergy::Error& e) {
    return e.what();
  }
  return "(no error)";
}

// ---- natural test images --------------------------------------------------------

// A Kodak photograph of data/images (tests run in the source folder), checked
// to be informative: every channel varies, so no measure passes on a flat image.
inline nicenergy::Image kodak_image(const std::string& name = "kodim01.png") {
  nicenergy::Image image = nicenergy::load_image("data/images/" + name);
  for (int c = 0; c < 3; ++c) {
    uint8_t low = 255, high = 0;
    for (size_t i = c; i < image.rgb.size(); i += 3) {
      low = std::min(low, image.rgb[i]);
      high = std::max(high, image.rgb[i]);
    }
    EXPECT_GT(high - low, 100) << name << " channel " << c << " is nearly constant";
  }
  return image;
}

// A 64x64 crop of kodim01 where it is textured, checked to vary (no
// comparison passes on a flat image).
inline nicenergy::Image kodak_crop() {
  const nicenergy::Image full = kodak_image();
  nicenergy::Image crop;
  crop.width = crop.height = 64;
  crop.rgb.resize(64 * 64 * 3);
  for (int y = 0; y < 64; ++y)
    for (int x = 0; x < 64 * 3; ++x) crop.rgb[(y * 64) * 3 + x] = full.rgb[((y + 200) * full.width + 300) * 3 + x];
  const auto [low, high] = std::minmax_element(crop.rgb.begin(), crop.rgb.end());
  EXPECT_GT(*high - *low, 60) << "the crop is nearly flat";
  return crop;
}

// A run of Bfac quality 1 on a 64x64 image under the CPU estimate: the columns a
// modes row and a layers row share, for the CSVs' round-trip tests.
inline void fill_example_run(nicenergy::RunRow& row, const std::string& image) {
  row.network = "bmshj2018_factorized";
  row.abbr = "Bfac";
  row.quality = 1;
  row.image = image;
  row.width = row.height = 64;
  row.device = "cpu (AMD EPYC)";
  row.meter = "estimate";
  row.estimate = true;
  row.threads = 1;
  row.weights = "seeded 0";
  row.mode = "float32";
}

// ---- the CLI -------------------------------------------------------------------

struct Result {
  int code;
  std::string out, err;
};

// Runs a shell command line, keeping its exit code, stdout and stderr apart.
inline Result run_command(const std::string& command) {
  const auto dir = std::filesystem::temp_directory_path();
  const std::string out = (dir / ("nicenergy_cli_out_" + std::to_string(::getpid()))).string();
  const std::string err = (dir / ("nicenergy_cli_err_" + std::to_string(::getpid()))).string();
  const int status = std::system((command + " >" + out + " 2>" + err).c_str());
  Result r{WEXITSTATUS(status), slurp(out), slurp(err)};
  std::filesystem::remove(out);
  std::filesystem::remove(err);
  return r;
}

// Runs build/nicenergy ARGUMENTS through the shell (so VAR=value prefixes work).
inline Result run_cli(const std::string& arguments) { return run_command(std::string(NICENERGY_CLI) + " " + arguments); }

// The house rule for bad input: non-zero exit, one line on stderr naming the problem.
inline void expect_one_line_error(const std::string& arguments, const std::string& fragment) {
  Result r = run_cli(arguments);
  EXPECT_NE(r.code, 0) << arguments;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << arguments << ": " << r.err;
  EXPECT_NE(r.err.find(fragment), std::string::npos) << arguments << ": " << r.err;
}

}  // namespace test_util

using test_util::expect_one_line_error;
using test_util::Result;
using test_util::run_cli;
