// The CLI end to end: good runs and every bad input's one-line error and exit code.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "test_util.h"

TEST(Cli, ZooJsonHasTheTableColumns) {
  Result r = run_cli("zoo --format json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("\"kmac_per_px_2nd\""), std::string::npos);
  EXPECT_NE(r.out.find("29631788"), std::string::npos);
}

TEST(Cli, RunReconstructsAnImage) {
  const std::string output = (std::filesystem::temp_directory_path() / "nicenergy_cli_recon.png").string();
  Result r = run_cli("run --model Bfac --quality 1 --input data/images/kodim03.png --output " + output);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("PSNR"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(output));
  std::filesystem::remove(output);
}

// Bfac q1 once ran with seeded random weights (7 dB) although its trained
// weights ship in data/weights: they are the default now, said on stderr, with
// --weights and --seed to choose otherwise. And run's help promised energy it
// does not print.
TEST(Cli, RunUsesTheShippedTrainedWeightsByDefault) {
  const std::string common = "run --model Bfac --quality 1 --input data/images/kodim03.png --threads 1";
  const auto psnr_line = [](const std::string& out) { return out.substr(out.find("PSNR"), out.find('\n', out.find("PSNR")) - out.find("PSNR")); };
  const Result plain = run_cli(common), trained = run_cli(common + " --weights data/weights/bfac-q1.safetensors"),
               seeded = run_cli(common + " --seed 0");
  ASSERT_EQ(plain.code, 0) << plain.err;
  ASSERT_EQ(trained.code, 0) << trained.err;
  ASSERT_EQ(seeded.code, 0) << seeded.err;
  EXPECT_EQ(psnr_line(plain.out), psnr_line(trained.out));
  EXPECT_NE(psnr_line(plain.out), psnr_line(seeded.out));
  EXPECT_NE(plain.err.find("note: trained weights shipped with nicenergy: data/weights/bfac-q1.safetensors"), std::string::npos) << plain.err;
  EXPECT_EQ(std::count(plain.err.begin(), plain.err.end(), '\n'), 1) << plain.err;
  EXPECT_EQ(trained.err.find("shipped"), std::string::npos) << trained.err;
  EXPECT_NE(seeded.out.find("seeded random (seed 0)"), std::string::npos) << seeded.out;
  // Bhyp ships no weights: seeded, as before.
  const Result bhyp = run_cli("run --model Bhyp --quality 1 --input data/images/kodim03.png --threads 1");
  ASSERT_EQ(bhyp.code, 0) << bhyp.err;
  EXPECT_NE(bhyp.out.find("seeded random"), std::string::npos) << bhyp.out;
  const Result help = run_cli("run --help");
  EXPECT_EQ(help.out.find("timing and energy"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("no energy"), std::string::npos) << help.out;
}

TEST(Cli, BadInputsGiveOneLineErrors) {
  const std::string corrupt = (std::filesystem::temp_directory_path() / "nicenergy_cli_corrupt.png").string();
  std::ofstream(corrupt) << "not an image";
  const std::string weights = (std::filesystem::temp_directory_path() / "nicenergy_cli_bad.safetensors").string();
  std::ofstream(weights) << "garbage";
  expect_one_line_error("frobnicate", "unknown command");
  expect_one_line_error("run --model Bfoo --quality 1 --input data/images/kodim01.png", "unknown model");
  expect_one_line_error("run --model Bfac --quality 9 --input data/images/kodim01.png", "quality 9");
  expect_one_line_error("run --model Bfac --quality x --input data/images/kodim01.png", "quality 'x'");
  expect_one_line_error("run --model Bfac --quality 1 --input data/images/missing.png", "does not exist");
  expect_one_line_error("run --model Bfac --quality 1 --input " + corrupt, "cannot be decoded");
  expect_one_line_error("run --model Bfac --quality 1 --input data/images/kodim01.png --weights " + weights, "safetensors");
  expect_one_line_error("run --model Bfac --quality 1 --input data/images/kodim01.png --device tpu", "device");
  expect_one_line_error("run --model Bfac --quality 1", "--input");
  expect_one_line_error("zoo --format xml", "unknown format");
  expect_one_line_error("zoo --colour red", "unknown option --colour");
  expect_one_line_error("complexity --model Canch --quality 7", "quality 7");
  std::filesystem::remove(corrupt);
  std::filesystem::remove(weights);
}
