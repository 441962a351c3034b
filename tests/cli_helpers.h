// Running the CLI from tests: exit code, stdout and stderr of one command line.
#pragma once
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

struct Result {
  int code;
  std::string out, err;
};

inline Result run_cli(const std::string& arguments) {
  const auto dir = std::filesystem::temp_directory_path();
  const std::string out = (dir / ("nicenergy_cli_out_" + std::to_string(::getpid()))).string();
  const std::string err = (dir / ("nicenergy_cli_err_" + std::to_string(::getpid()))).string();
  const int status = std::system((std::string(NICENERGY_CLI) + " " + arguments + " >" + out + " 2>" + err).c_str());
  auto slurp = [](const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  };
  Result r{WEXITSTATUS(status), slurp(out), slurp(err)};
  std::filesystem::remove(out);
  std::filesystem::remove(err);
  return r;
}

inline void expect_one_line_error(const std::string& arguments, const std::string& fragment) {
  Result r = run_cli(arguments);
  EXPECT_NE(r.code, 0) << arguments;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << arguments << ": " << r.err;
  EXPECT_NE(r.err.find(fragment), std::string::npos) << arguments << ": " << r.err;
}

