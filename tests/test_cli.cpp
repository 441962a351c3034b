// The CLI end to end: good runs and every bad input's one-line error and exit code.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

struct Result {
  int code;
  std::string out, err;
};

static Result run_cli(const std::string& arguments) {
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

static void expect_one_line_error(const std::string& arguments, const std::string& fragment) {
  Result r = run_cli(arguments);
  EXPECT_NE(r.code, 0) << arguments;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << arguments << ": " << r.err;
  EXPECT_NE(r.err.find(fragment), std::string::npos) << arguments << ": " << r.err;
}

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
