// CompressAI itself as the reference: tests/reference/compressai_reference.py
// builds each network in CompressAI with informative seeded weights, writes them
// and what CompressAI computes on a crop of kodim01 (forward() and the two sides
// without arithmetic coding); here the same weights go into nicenergy's network
// and everything is compared. Skipped, saying why, where the Python of the build
// (NICENERGY_PYTHON) has no compressai; run wherever it has.
#include <gtest/gtest.h>
#include <torch/version.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "image/image.h"
#include "models/codec.h"
#include "models/network.h"
#include "models/weights.h"

using namespace nicenergy;
namespace fs = std::filesystem;

namespace {

struct Pair {
  const char* abbr;
  int quality;
};

// Lowest and highest quality of every network (README, "The networks").
const Pair kPairs[] = {{"Bfac", 1},  {"Bfac", 8},  {"Bhyp", 1},  {"Bhyp", 8},  {"Mmean", 1}, {"Mmean", 8},
                       {"Mcont", 1}, {"Mcont", 8}, {"Canch", 1}, {"Canch", 6}, {"Cattn", 1}, {"Cattn", 6}};

// The crop of kodim01 compared on: a multiple of 64 (the hyperprior's
// downsampling), small enough for all twelve pairs to run in about a minute.
constexpr int kHeight = 128, kWidth = 192;

std::string pair_name(const Pair& p) { return std::string(p.abbr) + "-q" + std::to_string(p.quality); }

// The few lines of safetensors reading the test needs (every tensor of a file).
std::map<std::string, torch::Tensor> read_safetensors(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  uint64_t header_size = 0;
  in.read(reinterpret_cast<char*>(&header_size), 8);
  std::string header(header_size, '\0');
  in.read(header.data(), static_cast<std::streamsize>(header_size));
  const auto meta = nlohmann::json::parse(header);
  const std::map<std::string, torch::ScalarType> types = {
      {"F32", torch::kFloat32}, {"F64", torch::kFloat64}, {"I32", torch::kInt32}, {"I64", torch::kInt64}};
  std::map<std::string, torch::Tensor> tensors;
  for (auto it = meta.begin(); it != meta.end(); ++it) {
    if (it.key() == "__metadata__") continue;
    const auto offsets = it.value().at("data_offsets").get<std::vector<uint64_t>>();
    torch::Tensor t = torch::empty(it.value().at("shape").get<std::vector<int64_t>>(),
                                   types.at(it.value().at("dtype").get<std::string>()));
    if (offsets[1] - offsets[0] != static_cast<uint64_t>(t.numel() * t.element_size()))
      throw std::runtime_error(path + ": size of " + it.key() + " does not match its shape");
    in.seekg(static_cast<std::streamoff>(8 + header_size + offsets[0]));
    in.read(static_cast<char*>(t.data_ptr()), static_cast<std::streamsize>(offsets[1] - offsets[0]));
    if (!in) throw std::runtime_error(path + " is truncated at " + it.key());
    tensors[it.key()] = t;
  }
  return tensors;
}

int run_command(const std::string& command, std::string* output) {
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return -1;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) output->append(buffer, n);
  return ::pclose(pipe);
}

std::string shell_quoted(const std::string& s) { return "'" + s + "'"; }

double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}

// Relative difference of likelihoods, elementwise; the floor keeps likelihoods
// at CompressAI's lower bound (1e-9) from dividing by nothing.
double max_rel_diff(const torch::Tensor& a, const torch::Tensor& b) {
  torch::Tensor a64 = a.to(torch::kFloat64), b64 = b.to(torch::kFloat64);
  return ((a64 - b64).abs() / b64.abs().clamp_min(1e-9)).max().item<double>();
}

// Float32 bounds. Both sides run the same ATen kernels, so on one LibTorch the
// tensors agree to the bit except the Gaussian likelihoods: nicenergy uses
// round(y - mu) where CompressAI subtracts mu from round(y - mu) + mu, and
// divides before or after multiplying by -1/sqrt(2), a few ulp (observed up to
// 1.1e-5 relative). The bounds leave room for other kernels (another LibTorch,
// thread count or CPU) and still catch a wrong rounding, offset or layer.
constexpr double kXHatAbs = 1e-5;        // reconstruction, [0, 1] scale
constexpr double kLatentAbs = 1e-5;      // y_hat, z_hat (integers plus a median or mean of a few units)
constexpr double kLikelihoodRel = 1e-4;  // every element
constexpr double kBppRel = 1e-6;

// What makes the comparison meaningful: checked on CompressAI's side, so a
// weight recipe that collapses (all latents zero, flat output) fails loudly.
void expect_informative(const std::map<std::string, torch::Tensor>& ref, bool has_z) {
  const torch::Tensor& y_hat = ref.at("y_hat");
  EXPECT_GE((y_hat != 0).to(torch::kFloat64).mean().item<double>(), 0.2) << "y_hat mostly zero";
  EXPECT_GE(std::get<0>(at::_unique(y_hat)).numel(), 5) << "y_hat takes too few values";
  EXPECT_GE(ref.at("x_hat").std().item<double>(), 0.05) << "x_hat is flat";
  const torch::Tensor& y_lik = ref.at("y_likelihoods");
  EXPECT_LE(y_lik.mean().item<double>(), 0.5) << "y likelihoods near 1: nothing to code";
  EXPECT_LE((y_lik <= 1.001e-9).to(torch::kFloat64).mean().item<double>(), 0.5) << "y likelihoods mostly at the lower bound";
  if (has_z) {
    const torch::Tensor& z_hat = ref.at("z_hat");
    EXPECT_GE((z_hat != 0).to(torch::kFloat64).mean().item<double>(), 0.2) << "z_hat mostly zero";
    EXPECT_GE(std::get<0>(at::_unique(z_hat)).numel(), 5) << "z_hat takes too few values";
    EXPECT_LE(ref.at("z_likelihoods").mean().item<double>(), 0.5) << "z likelihoods near 1";
  }
}

}  // namespace

class CompressAIReference : public ::testing::TestWithParam<Pair> {
 protected:
  // One Python run for the pairs this process will run (ctest runs each test
  // in its own process; a direct run does all twelve in one): importing torch
  // and compressai costs seconds.
  static void SetUpTestSuite() {
#ifndef NICENERGY_PYTHON
    skip_reason_ = "built without NICENERGY_PYTHON: no CompressAI to compare with";
#else
    const std::string python = NICENERGY_PYTHON;
    std::string output;
    if (!fs::exists(python)) {
      skip_reason_ = "NICENERGY_PYTHON " + python + " does not exist: no CompressAI to compare with";
      return;
    }
    if (run_command(shell_quoted(python) + " -c 'import compressai, safetensors, PIL'", &output) != 0) {
      skip_reason_ = python + " cannot import compressai, safetensors and PIL (pip install compressai==1.2.8 safetensors): " +
                     output.substr(output.size() > 300 ? output.size() - 300 : 0);
      return;
    }
    // The comparison is exact only within one LibTorch: across versions the
    // float order of convolutions differs (seen: 1.13 against 2.11 moved Gaussian
    // likelihoods by 5e-4 and y by 1.2e-5), which would hide a real port error in
    // the noise. So CompressAI must run in the PyTorch whose LibTorch this is.
    output.clear();
    run_command(shell_quoted(python) + " -c 'import torch; print(torch.__version__.split(\"+\")[0])'", &output);
    const std::string python_torch = output.substr(0, output.find_first_of("\r\n"));
    if (python_torch != TORCH_VERSION) {
      skip_reason_ = "CompressAI runs in PyTorch " + python_torch + " but this build links LibTorch " +
                     std::string(TORCH_VERSION) + ": the exact comparison runs in the build on PyTorch's LibTorch";
      return;
    }
    std::string pairs;
    const auto* unit = ::testing::UnitTest::GetInstance();
    for (int s = 0; s < unit->total_test_suite_count(); ++s) {
      const auto* suite = unit->GetTestSuite(s);
      if (std::string(suite->name()).find("CompressAIReference") == std::string::npos) continue;
      for (int t = 0; t < suite->total_test_count(); ++t) {
        if (!suite->GetTestInfo(t)->should_run()) continue;
        // The parameter's text is "Abbr-qN"; the script wants "Abbr:N".
        std::string name = suite->GetTestInfo(t)->name();
        name = name.substr(name.find('/') + 1);
        pairs += " " + name.replace(name.find("_q"), 2, ":");
      }
    }
    dir_ = (fs::temp_directory_path() / ("nicenergy_compressai_" + std::to_string(::getpid()))).string();
    const std::string command = shell_quoted(python) + " " + shell_quoted(std::string(NICENERGY_SOURCE_DIR) + "/tests/reference/compressai_reference.py") +
                                pairs + " --image " + shell_quoted(std::string(NICENERGY_SOURCE_DIR) + "/data/images/kodim01.png") +
                                " --height " + std::to_string(kHeight) + " --width " + std::to_string(kWidth) + " --out " + shell_quoted(dir_);
    output.clear();
    if (run_command(command, &output) != 0) script_failure_ = "reference script failed: " + command + "\n" + output;
#endif
  }

  static void TearDownTestSuite() {
    // Not fs::remove_all: PyPI's libtorch.so exports its own copy of it, which
    // the dynamic linker binds here and which jumps to a null pointer (seen with
    // torch 2.11.0+cu130 and g++ 12).
    std::string ignored;
    if (!dir_.empty()) run_command("rm -rf " + shell_quoted(dir_), &ignored);
  }

  void SetUp() override {
    if (!skip_reason_.empty()) GTEST_SKIP() << skip_reason_;
    ASSERT_TRUE(script_failure_.empty()) << script_failure_;
  }

  static std::string dir_, skip_reason_, script_failure_;
};

std::string CompressAIReference::dir_, CompressAIReference::skip_reason_, CompressAIReference::script_failure_;

TEST_P(CompressAIReference, ForwardEncodeDecodeEqualCompressAI) {
  const Pair& pair = GetParam();
  const std::string folder = dir_ + "/" + pair_name(pair);
  const auto ref = read_safetensors(folder + "/reference.safetensors");
  const bool has_z = std::string(pair.abbr) != "Bfac";
  expect_informative(ref, has_z);

  // Same input: our image loader and crop give CompressAI's tensor to the bit.
  Image image = load_image(std::string(NICENERGY_SOURCE_DIR) + "/data/images/kodim01.png");
  const torch::Tensor x_full = image_to_tensor(image);
  const int64_t top = (x_full.size(2) - kHeight) / 2, left = (x_full.size(3) - kWidth) / 2;
  using torch::indexing::Slice;
  const torch::Tensor x = x_full.index({Slice(), Slice(), Slice(top, top + kHeight), Slice(left, left + kWidth)}).contiguous();
  ASSERT_EQ(x.sizes(), ref.at("x").sizes());
  ASSERT_EQ(max_abs_diff(x, ref.at("x")), 0.0);

  Network net = make_network(pair.abbr, pair.quality);
  load_weights(*net, folder + "/weights.safetensors");
  torch::NoGradGuard no_grad;
  const int64_t pixels = x.size(2) * x.size(3);

  // forward(): what CompressAI's forward() returns, and the rounded latents.
  ChainOutput out = net->forward(x);
  const double bpp_ref = ref.at("bpp").item<double>();
  const double fwd_bpp_rel = std::abs(bits_per_pixel(out.latents, pixels) - bpp_ref) / bpp_ref;
  const double fwd_x = max_abs_diff(out.x_hat, ref.at("x_hat"));
  const double fwd_y = max_abs_diff(out.latents.y_hat, ref.at("y_hat"));
  const double fwd_ylik = max_rel_diff(out.latents.y_likelihoods, ref.at("y_likelihoods"));
  EXPECT_LT(fwd_x, kXHatAbs) << "forward x_hat";
  EXPECT_LT(fwd_y, kLatentAbs) << "forward y_hat";
  EXPECT_LT(fwd_ylik, kLikelihoodRel) << "forward y likelihoods";
  EXPECT_LT(fwd_bpp_rel, kBppRel) << "forward bpp " << bits_per_pixel(out.latents, pixels) << " vs CompressAI " << bpp_ref;
  double fwd_z = 0, fwd_zlik = 0;
  if (has_z) {
    fwd_z = max_abs_diff(out.latents.z_hat, ref.at("z_hat"));
    fwd_zlik = max_rel_diff(out.latents.z_likelihoods, ref.at("z_likelihoods"));
    EXPECT_LT(fwd_z, kLatentAbs) << "forward z_hat";
    EXPECT_LT(fwd_zlik, kLikelihoodRel) << "forward z likelihoods";
  } else {
    EXPECT_FALSE(out.latents.z_hat.defined());
  }

  // The sender and the receiver apart.
  Latents enc = net->encode(x);
  const double enc_y = max_abs_diff(enc.y_hat, ref.at("enc_y_hat"));
  const double enc_ylik = max_rel_diff(enc.y_likelihoods, ref.at("enc_y_likelihoods"));
  const double enc_bpp_rel = std::abs(bits_per_pixel(enc, pixels) - bpp_ref) / bpp_ref;
  EXPECT_LT(enc_y, kLatentAbs) << "encode y_hat";
  EXPECT_LT(enc_ylik, kLikelihoodRel) << "encode y likelihoods";
  EXPECT_LT(enc_bpp_rel, kBppRel) << "encode bpp";
  double enc_z = 0, enc_zlik = 0;
  if (has_z) {
    enc_z = max_abs_diff(enc.z_hat, ref.at("enc_z_hat"));
    enc_zlik = max_rel_diff(enc.z_likelihoods, ref.at("enc_z_likelihoods"));
    EXPECT_LT(enc_z, kLatentAbs) << "encode z_hat";
    EXPECT_LT(enc_zlik, kLikelihoodRel) << "encode z likelihoods";
  }
  // CompressAI's decompress() clamps; nicenergy's decode leaves that to reconstruct().
  const double dec_x = max_abs_diff(net->decode(enc).clamp(0, 1), ref.at("dec_x_hat"));
  EXPECT_LT(dec_x, kXHatAbs) << "decode x_hat";

  std::ostringstream summary;
  summary << pair_name(pair) << " max errors: forward x_hat " << fwd_x << ", y_hat " << fwd_y << ", z_hat " << fwd_z
          << ", y lik rel " << fwd_ylik << ", z lik rel " << fwd_zlik << ", bpp rel " << fwd_bpp_rel << " (bpp " << bpp_ref
          << "); encode y_hat " << enc_y << ", z_hat " << enc_z << ", y lik rel " << enc_ylik << ", z lik rel " << enc_zlik
          << ", bpp rel " << enc_bpp_rel << "; decode x_hat " << dec_x;
  RecordProperty("max_errors", summary.str());
  std::printf("%s\n", summary.str().c_str());
}

INSTANTIATE_TEST_SUITE_P(LowAndHighQuality, CompressAIReference, ::testing::ValuesIn(kPairs),
                         [](const ::testing::TestParamInfo<Pair>& info) {
                           return std::string(info.param.abbr) + "_q" + std::to_string(info.param.quality);
                         });
