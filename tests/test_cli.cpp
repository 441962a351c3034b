// The CLI end to end: good runs and every bad input's one-line error and exit code.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "test_util.h"

TEST(Cli, ZooJsonHasTheTableColumns) {
  Result r = run_cli("zoo --format json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("\"kmac_per_pixel_2nd\""), std::string::npos);
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
