// Helpers shared by the tests: scratch folders, whole-file reads and writes,
// the message of an expected error, natural test images, and running the CLI.
#pragma once
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "error.h"
#include "image/image.h"
#include "modes/run_row.h"
#ifdef NICENERGY_IN_PROCESS_CLI
#include "cli/run.h"
#endif

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

// Launches build/nicenergy ARGUMENTS through the shell: for what needs a real
// process (signals, exit codes of a crash, a pipe, the environment of a child).
inline Result run_cli_process(const std::string& arguments) {
  return run_command(std::string(NICENERGY_CLI) + " " + arguments);
}

// The words sh would make of `line`, where it holds plain words only (quotes
// and backslashes allowed); nothing where it needs a shell: a pipe,
// redirection, substitution, variable, glob or comment.
inline std::optional<std::vector<std::string>> plain_words(const std::string& line) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (c == ' ' || c == '\t') {
      if (in_word) words.push_back(word);
      word.clear();
      in_word = false;
      continue;
    }
    if (std::string("|&;<>()$`*?[#~\n").find(c) != std::string::npos) return std::nullopt;
    in_word = true;
    if (c == '\\') {
      if (++i == line.size()) return std::nullopt;
      word += line[i];
    } else if (c == '\'') {
      const size_t end = line.find('\'', i + 1);
      if (end == std::string::npos) return std::nullopt;
      word += line.substr(i + 1, end - i - 1);
      i = end;
    } else if (c == '"') {
      for (++i; i < line.size() && line[i] != '"'; ++i) {
        if (line[i] == '$' || line[i] == '`') return std::nullopt;
        if (line[i] == '\\' && i + 1 < line.size() && std::string("\\\"").find(line[i + 1]) != std::string::npos) ++i;
        word += line[i];
      }
      if (i == line.size()) return std::nullopt;
    } else {
      word += c;
    }
  }
  if (in_word) words.push_back(word);
  return words;
}

#ifdef NICENERGY_IN_PROCESS_CLI
// Runs the CLI's words in this process, with stdout and stderr caught in files
// as a launch would have them. Leading NAME=value words set the environment
// for the call only, as the shell does for a command.
inline Result run_cli_in_process(std::vector<std::string> words) {
  std::map<std::string, std::optional<std::string>> saved;
  size_t assignments = 0;
  for (; assignments < words.size(); ++assignments) {
    const std::string& w = words[assignments];
    const size_t eq = w.find('=');
    if (eq == std::string::npos || eq == 0 || w.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789") < eq) break;
    const std::string name = w.substr(0, eq);
    if (!saved.count(name)) {
      const char* old = std::getenv(name.c_str());
      saved[name] = old ? std::optional<std::string>(old) : std::nullopt;
    }
    ::setenv(name.c_str(), w.c_str() + eq + 1, 1);
  }
  words.erase(words.begin(), words.begin() + static_cast<std::ptrdiff_t>(assignments));

  const auto dir = std::filesystem::temp_directory_path();
  const std::string out = (dir / ("nicenergy_cli_out_" + std::to_string(::getpid()))).string();
  const std::string err = (dir / ("nicenergy_cli_err_" + std::to_string(::getpid()))).string();
  std::fflush(nullptr);
  const int saved_out = ::dup(1), saved_err = ::dup(2);
  const int out_fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  const int err_fd = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ::dup2(out_fd, 1);
  ::dup2(err_fd, 2);
  ::close(out_fd);
  ::close(err_fd);
  const int code = nicenergy::cli::run(words);
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  ::dup2(saved_out, 1);
  ::dup2(saved_err, 2);
  ::close(saved_out);
  ::close(saved_err);
  for (const auto& [name, old] : saved) {
    if (old) ::setenv(name.c_str(), old->c_str(), 1);
    else ::unsetenv(name.c_str());
  }
  Result r{code, slurp(out), slurp(err)};
  std::filesystem::remove(out);
  std::filesystem::remove(err);
  return r;
}
#endif

// Runs nicenergy ARGUMENTS: in-process where the binary links the CLI and the
// line is plain words, else through the shell (so pipes and redirections work).
inline Result run_cli(const std::string& arguments) {
#ifdef NICENERGY_IN_PROCESS_CLI
  if (auto words = plain_words(arguments)) return run_cli_in_process(std::move(*words));
#endif
  return run_cli_process(arguments);
}

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
using test_util::run_cli_process;
