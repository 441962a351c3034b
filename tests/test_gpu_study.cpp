// scripts/gpu-study end to end on the CPU (the steps that need a GPU skip, saying
// so): environment, campaign, the same-level check, fit and report land in one
// folder; a rerun resumes; bad options and a missing GPU are refused in one line.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "test_util.h"

namespace fs = std::filesystem;
using test_util::run_command;
using test_util::slurp;

namespace {

std::string study(const std::string& arguments) {
  return std::string("scripts/gpu-study --nicenergy ") + NICENERGY_CLI + " " + arguments;
}

size_t lines_of(const std::string& path) {
  const std::string text = slurp(path);
  return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
}

}  // namespace

TEST(GpuStudy, RunsEveryStepOnTheCpuIntoOneFolderAndResumes) {
  const fs::path out = fs::temp_directory_path() / ("nicenergy_gpu_study_" + std::to_string(::getpid()));
  fs::remove_all(out);
  const std::string configs =
      " --config tests/gpu_study/cpu-study.toml --qualities-config tests/gpu_study/cpu-qualities.toml"
      " --python /nonexistent/python3 --out " +
      out.string();
  const Result first = run_command(study(configs));
  ASSERT_EQ(first.code, 0) << first.out << first.err;
  EXPECT_NE(first.out.find("parity: skipped (no CUDA device"), std::string::npos) << first.out;
  // A Python without CompressAI: the peer step says so and the rest stands.
  EXPECT_NE(first.out.find("peer: skipped (/nonexistent/python3 cannot import compressai"), std::string::npos)
      << first.out;

  EXPECT_NE(slurp((out / "environment.txt").string()).find("LibTorch"), std::string::npos);
  const auto meters = nlohmann::json::parse(slurp((out / "meters.json").string()));
  ASSERT_TRUE(meters.is_array());
  EXPECT_GE(meters.size(), 3u);
  EXPECT_EQ(lines_of((out / "results.csv").string()), 1u + 9u);  // header, 3 networks x 3 sizes
  EXPECT_EQ(lines_of((out / "qualities.csv").string()), 1u + 2u);

  const auto fit = nlohmann::json::parse(slurp((out / "fit.json").string()));
  const std::string fit_text = fit.dump();
  for (const char* abbr : {"Bfac", "Bhyp", "Canch"}) EXPECT_NE(fit_text.find(abbr), std::string::npos) << abbr;
  EXPECT_NE(slurp((out / "fit.md").string()).find("alpha vs kMAC"), std::string::npos);

  // One row per (network, level, size), both qualities in it, and the estimate labelled.
  const std::string qualities = slurp((out / "qualities.md").string());
  EXPECT_NE(qualities.find("| Bfac"), std::string::npos) << qualities;
  EXPECT_NE(qualities.find("q1: "), std::string::npos) << qualities;
  EXPECT_NE(qualities.find("q3: "), std::string::npos) << qualities;
  EXPECT_NE(qualities.find("ESTIMATES"), std::string::npos) << qualities;
  EXPECT_TRUE(fs::exists(out / "report" / "index.html"));

  // Again, called from another folder with paths relative to it: every row is
  // kept and nothing is measured twice.
  const Result again = run_command(std::string("cd tests && ../scripts/gpu-study --nicenergy ") + NICENERGY_CLI +
                                   " --config gpu_study/cpu-study.toml --qualities-config gpu_study/cpu-qualities.toml"
                                   " --out " + out.string() + " --steps campaign,qualities");
  ASSERT_EQ(again.code, 0) << again.out << again.err;
  EXPECT_NE((again.out + again.err).find("0 measured, 9 already done"), std::string::npos) << again.out << again.err;
  EXPECT_EQ(lines_of((out / "results.csv").string()), 1u + 9u);
  fs::remove_all(out);
}

TEST(GpuStudy, RefusesBadOptionsAndAMissingGpuInOneLine) {
  auto expect_refused = [](const std::string& arguments, const std::string& fragment) {
    const Result r = run_command(study(arguments));
    EXPECT_NE(r.code, 0) << arguments;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << arguments << ": " << r.err;
    EXPECT_NE(r.err.find(fragment), std::string::npos) << arguments << ": " << r.err;
  };
  expect_refused("--steps campaign,tea", "unknown step 'tea'");
  expect_refused("--frobnicate", "unknown option '--frobnicate'");
  expect_refused("--config no/such.toml", "/no/such.toml' does not exist");
  expect_refused("--qualities-config no/such.toml", "/no/such.toml' does not exist (or pass none)");
  // configs/gpu-study.toml measures cuda: without a driver the script stops before anything runs.
  if (run_command("command -v nvidia-smi").code != 0)
    expect_refused("--out /nonexistent/never-made", "nvidia-smi is missing: no NVIDIA driver here");
}
