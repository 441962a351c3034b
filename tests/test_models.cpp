// The port against CompressAI: parameter counts, state_dict names and shapes,
// the chain's shapes and determinism, the two sides, weights round trips, and
// MAC accounting against values derived by hand from the layer definitions.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <nlohmann/json.hpp>

#include "complexity/complexity.h"
#include "error.h"
#include "models/codec.h"
#include "models/layer_type.h"
#include "models/network.h"
#include "models/weights.h"
#include "modes/execution_mode.h"
#include "platform/runtime.h"
#include "report/complexity_tables.h"
#include "test_util.h"

using namespace nicenergy;

namespace {

std::map<std::string, std::vector<int64_t>> shapes(NetworkImpl& net) {
  std::map<std::string, std::vector<int64_t>> out;
  for (const auto& p : net.named_parameters()) out[p.key()] = p.value().sizes().vec();
  for (const auto& b : net.named_buffers()) out[b.key()] = b.value().sizes().vec();
  return out;
}

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("nicenergy_test_" + std::to_string(::getpid()) + "_" + name)).string();
}

// A safetensors file taken apart: its JSON header and the data after it.
struct SafetensorsParts {
  nlohmann::json header;
  std::string data;
};

SafetensorsParts read_parts(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), {});
  uint64_t header_size = 0;
  std::memcpy(&header_size, bytes.data(), 8);
  return {nlohmann::json::parse(bytes.substr(8, header_size)), bytes.substr(8 + header_size)};
}

// The bytes of a safetensors file with this header text and data.
std::string with_header(const std::string& json, const std::string& data) {
  const uint64_t n = json.size();
  return std::string(reinterpret_cast<const char*>(&n), 8) + json + data;
}

std::string error_of_load(NetworkImpl& net, const std::string& path) {
  try {
    load_weights(net, path);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

// CompressAI's own parameter counts (sum of p.numel() over model.parameters()),
// as listed in the paper's Table 1.
TEST(Models, ParameterCountsEqualCompressAI) {
  const std::vector<std::tuple<std::string, int, int64_t>> expected = {
      {"Bfac", 1, 2998147},   {"Bfac", 6, 7030531},   {"Bhyp", 1, 5075843},   {"Bhyp", 6, 11816323},
      {"Mmean", 1, 7028003},  {"Mmean", 5, 17561699}, {"Mcont", 1, 14130467}, {"Mcont", 5, 25504596},
      {"Canch", 1, 11833149}, {"Canch", 4, 26598956}, {"Cattn", 1, 13183293}, {"Cattn", 4, 29631788}};
  for (const auto& [abbr, quality, params] : expected) {
    Network net = make_network(abbr, quality);
    EXPECT_EQ(count_parameters(*net), params) << abbr << " q" << quality;
  }
}

TEST(Models, StateDictNamesAndShapesFollowCompressAI) {
  Network bfac = make_network("bmshj2018_factorized", 1);
  auto s = shapes(*bfac);
  EXPECT_EQ(s["g_a.0.weight"], (std::vector<int64_t>{128, 3, 5, 5}));
  EXPECT_EQ(s["g_a.6.weight"], (std::vector<int64_t>{192, 128, 5, 5}));
  EXPECT_EQ(s["g_s.0.weight"], (std::vector<int64_t>{192, 128, 5, 5}));  // ConvTranspose2d: (in, out, k, k)
  EXPECT_EQ(s["g_a.1.gamma"], (std::vector<int64_t>{128, 128}));
  EXPECT_EQ(s["g_a.1.beta_reparam.pedestal"], (std::vector<int64_t>{1}));
  EXPECT_EQ(s["g_s.1.gamma_reparam.lower_bound.bound"], (std::vector<int64_t>{1}));
  EXPECT_EQ(s["entropy_bottleneck.matrices.0"], (std::vector<int64_t>{192, 3, 1}));
  EXPECT_EQ(s["entropy_bottleneck.matrices.4"], (std::vector<int64_t>{192, 1, 3}));
  EXPECT_EQ(s["entropy_bottleneck.factors.3"], (std::vector<int64_t>{192, 3, 1}));
  EXPECT_EQ(s["entropy_bottleneck.quantiles"], (std::vector<int64_t>{192, 1, 3}));
  EXPECT_EQ(s["entropy_bottleneck.target"], (std::vector<int64_t>{3}));
  EXPECT_TRUE(s.count("entropy_bottleneck._quantized_cdf"));
  EXPECT_FALSE(s.count("entropy_bottleneck.factors.4"));
  EXPECT_FALSE(s.count("h_a.0.weight"));

  Network mcont = make_network("mbt2018", 5);
  s = shapes(*mcont);
  EXPECT_EQ(s["context_prediction.weight"], (std::vector<int64_t>{640, 320, 5, 5}));
  EXPECT_EQ(s["context_prediction.mask"], (std::vector<int64_t>{640, 320, 5, 5}));
  EXPECT_EQ(s["entropy_parameters.4.weight"], (std::vector<int64_t>{640, 853, 1, 1}));
  EXPECT_EQ(s["h_s.4.weight"], (std::vector<int64_t>{640, 480, 3, 3}));
  EXPECT_EQ(s["gaussian_conditional.scale_bound"], (std::vector<int64_t>{1}));
  EXPECT_EQ(s["gaussian_conditional.lower_bound_scale.bound"], (std::vector<int64_t>{1}));

  Network cattn = make_network("cheng2020-attn", 1);
  s = shapes(*cattn);
  EXPECT_EQ(s["g_a.0.skip.weight"], (std::vector<int64_t>{128, 3, 1, 1}));
  EXPECT_EQ(s["g_a.3.conv_a.0.conv.2.weight"], (std::vector<int64_t>{64, 64, 3, 3}));
  EXPECT_EQ(s["g_a.3.conv_b.3.weight"], (std::vector<int64_t>{128, 128, 1, 1}));
  EXPECT_EQ(s["g_s.2.subpel_conv.0.weight"], (std::vector<int64_t>{512, 128, 3, 3}));
  EXPECT_EQ(s["g_s.2.igdn.gamma"], (std::vector<int64_t>{128, 128}));
  EXPECT_EQ(s["g_s.9.0.weight"], (std::vector<int64_t>{12, 128, 3, 3}));
  EXPECT_EQ(s["h_s.2.0.weight"], (std::vector<int64_t>{512, 128, 3, 3}));
  EXPECT_FALSE(s.count("g_a.1.skip.weight"));  // ResidualBlock(N, N) has no skip
}

TEST(Models, MaskIsTypeA) {
  Network net = make_network("Mcont", 1);
  torch::Tensor mask = net->context_prediction->mask[0][0];
  // Rows above the centre are visible, the centre and everything after it are not.
  EXPECT_EQ(mask.sum().item<float>(), 12.0f);
  EXPECT_EQ(mask[2][1].item<float>(), 1.0f);
  EXPECT_EQ(mask[2][2].item<float>(), 0.0f);
  EXPECT_EQ(mask[3][0].item<float>(), 0.0f);
}

TEST(Models, ChainShapesAndDeterminism) {
  torch::NoGradGuard no_grad;
  for (const std::string name : {"Bfac", "Bhyp", "Mmean", "Mcont", "Canch", "Cattn"}) {
    Network a = make_network(name, 1, 7);
    Network b = make_network(name, 1, 7);
    torch::manual_seed(3);
    torch::Tensor x = torch::rand({1, 3, 128, 192});
    ChainOutput out_a = a->forward(x);
    ChainOutput out_b = b->forward(x);
    EXPECT_EQ(out_a.x_hat.sizes(), x.sizes()) << name;
    EXPECT_EQ(out_a.latents.y_hat.size(2), 8) << name;
    EXPECT_TRUE(torch::equal(out_a.x_hat, out_b.x_hat)) << name << ": same seed, different output";
    if (name == "Mcont")  // mbt2018 rounds y without means before the context model
      EXPECT_TRUE(torch::equal(out_a.latents.y_hat, torch::round(out_a.latents.y_hat)));
    EXPECT_TRUE(torch::isfinite(out_a.x_hat).all().item<bool>()) << name;
    EXPECT_TRUE((out_a.latents.y_likelihoods > 0).all().item<bool>()) << name;
    // The two sides together give what the full chain gives.
    torch::Tensor decoded = a->decode(a->encode(x));
    EXPECT_TRUE(torch::allclose(decoded, out_a.x_hat)) << name;
  }
  Network c = make_network("Bfac", 1, 8);
  torch::Tensor x = torch::rand({1, 3, 32, 32});
  EXPECT_FALSE(torch::equal(c->forward(x).x_hat, make_network("Bfac", 1, 7)->forward(x).x_hat));
}

TEST(Models, PaddingAndCropping) {
  Padding p = padding_for(500, 500, 128);
  EXPECT_EQ(p.left + p.right + 500, 512);
  EXPECT_EQ(p.top, 6);
  p = padding_for(333, 751, 16);
  EXPECT_EQ(333 + p.top + p.bottom, 336);
  EXPECT_EQ(751 + p.left + p.right, 752);
  torch::Tensor x = torch::rand({1, 3, 333, 751});
  torch::Tensor padded = pad(x, p);
  EXPECT_EQ(padded.size(2), 336);
  EXPECT_EQ(padded.size(3), 752);
  EXPECT_TRUE(torch::equal(crop(padded, p), x));
  EXPECT_EQ(padded.index({0, 0, 0, 0}).item<float>(), 0.0f);

  Network net = make_network("Bhyp", 1);
  Image image{70, 50, std::vector<uint8_t>(70 * 50 * 3, 100)};
  for (size_t i = 0; i < image.rgb.size(); ++i) image.rgb[i] = static_cast<uint8_t>(i * 7);
  Reconstruction r = reconstruct(*net, image_to_tensor(image), torch::Device(torch::kCPU));
  EXPECT_EQ(r.x_hat.size(2), 50);
  EXPECT_EQ(r.x_hat.size(3), 70);
  EXPECT_EQ(r.padded_width, 128);
  EXPECT_GT(r.bpp, 0);
  Image round_trip = tensor_to_image(image_to_tensor(image));
  EXPECT_EQ(round_trip.rgb, image.rgb);
}

TEST(Models, WeightsRoundTripAndErrors) {
  torch::NoGradGuard no_grad;
  const std::string file = temp_path("mmean.safetensors");
  Network source = make_network("Mmean", 1, 1);
  source->entropy_bottleneck->quantized_cdf.set_(torch::arange(12, torch::kInt32).reshape({3, 4}));
  save_weights(*source, file);
  Network target = make_network("Mmean", 1, 2);
  torch::Tensor x = torch::rand({1, 3, 128, 128});
  EXPECT_FALSE(torch::equal(source->forward(x).x_hat, target->forward(x).x_hat));
  load_weights(*target, file);
  EXPECT_TRUE(torch::equal(source->forward(x).x_hat, target->forward(x).x_hat));
  EXPECT_EQ(target->entropy_bottleneck->quantized_cdf.sizes(), (c10::IntArrayRef{3, 4}));

  // The low-level file does not fit the high level: the error names a tensor and both shapes.
  Network high = make_network("Mmean", 5);
  try {
    load_weights(*high, file);
    FAIL() << "loading low-level weights into the high level must fail";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'g_a.0.weight' has shape [128, 3, 5, 5], expected [192, 3, 5, 5]"), std::string::npos) << e.what();
  }
  // Another network: missing and unexpected tensors are named.
  Network bfac = make_network("Bfac", 1);
  try {
    load_weights(*bfac, file);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("unexpected 'h_a.0.weight'"), std::string::npos) << e.what();
  }
  std::ofstream(temp_path("garbage.safetensors")) << "this is not a safetensors file";
  EXPECT_THROW(load_weights(*bfac, temp_path("garbage.safetensors")), Error);
  EXPECT_THROW(load_weights(*bfac, temp_path("missing.safetensors")), Error);
  std::filesystem::remove(file);
  std::filesystem::remove(temp_path("garbage.safetensors"));
}

// CompressAI up to 1.2.4 wrote entropy_bottleneck._matrix0 where later versions
// write entropy_bottleneck.matrices.0; published checkpoints use both.
TEST(Weights, CompressAIsOldParameterNamesLoad) {
  torch::NoGradGuard no_grad;
  EXPECT_EQ(current_tensor_name("entropy_bottleneck._matrix0"), "entropy_bottleneck.matrices.0");
  EXPECT_EQ(current_tensor_name("entropy_bottleneck._bias4"), "entropy_bottleneck.biases.4");
  EXPECT_EQ(current_tensor_name("entropy_bottleneck._factor3"), "entropy_bottleneck.factors.3");
  EXPECT_EQ(current_tensor_name("entropy_bottleneck._offset"), "entropy_bottleneck._offset");
  EXPECT_EQ(current_tensor_name("g_a.0.bias"), "g_a.0.bias");
  EXPECT_EQ(current_tensor_name("x._matrix0a"), "x._matrix0a");

  const std::string file = temp_path("bhyp-new.safetensors");
  Network source = make_network("Bhyp", 1, 3);
  save_weights(*source, file);
  const auto [header, data] = read_parts(file);
  auto write_with = [&](const nlohmann::json& h, const std::string& path, const std::string& tail = "") {
    std::ofstream(path, std::ios::binary) << with_header(h.dump(), data + tail);
  };
  nlohmann::json old_header;
  int renamed = 0;
  for (auto it = header.begin(); it != header.end(); ++it) {
    std::string name = it.key();
    for (const auto& [now, before] : {std::pair<std::string, std::string>{".matrices.", "._matrix"},
                                      {".biases.", "._bias"}, {".factors.", "._factor"}}) {
      const size_t at = name.find("entropy_bottleneck" + now);
      if (at != std::string::npos) {
        name = "entropy_bottleneck" + before + name.substr(std::string("entropy_bottleneck" + now).size());
        ++renamed;
      }
    }
    old_header[name] = it.value();
  }
  EXPECT_EQ(renamed, 5 + 5 + 4);  // the factorized prior's five matrices and biases, four factors
  ASSERT_TRUE(old_header.contains("entropy_bottleneck._matrix0"));
  const std::string old_file = temp_path("bhyp-old.safetensors");
  write_with(old_header, old_file);

  Network target = make_network("Bhyp", 1, 4);
  // The factorized prior's parameters decide z's likelihoods: compared on an image.
  torch::Tensor x = image_to_tensor(test_util::kodak_crop());
  EXPECT_FALSE(torch::equal(source->forward(x).latents.z_likelihoods, target->forward(x).latents.z_likelihoods));
  load_weights(*target, old_file);
  EXPECT_TRUE(torch::equal(source->forward(x).latents.z_likelihoods, target->forward(x).latents.z_likelihoods));
  EXPECT_TRUE(torch::equal(source->forward(x).x_hat, target->forward(x).x_hat));

  // Both spellings of one tensor in one file: refused, naming both.
  // (a copy of the data at the end: the header refuses tensors that share bytes)
  nlohmann::json both = header;
  const nlohmann::json& matrix = header["entropy_bottleneck.matrices.0"];
  const uint64_t begin = matrix["data_offsets"][0], end = matrix["data_offsets"][1];
  both["entropy_bottleneck._matrix0"] = matrix;
  both["entropy_bottleneck._matrix0"]["data_offsets"] = {data.size(), data.size() + end - begin};
  write_with(both, old_file, data.substr(begin, end - begin));
  try {
    load_weights(*target, old_file);
    FAIL() << "a file with both spellings of a tensor must be refused";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("are the same tensor in CompressAI's old and new spelling"), std::string::npos) << message;
    EXPECT_NE(message.find("'entropy_bottleneck._matrix0'"), std::string::npos) << message;
    EXPECT_NE(message.find("'entropy_bottleneck.matrices.0'"), std::string::npos) << message;
  }
  std::filesystem::remove(file);
  std::filesystem::remove(old_file);
}

// Issue 19, defects 4-6: a wrapped-around data_offsets check let a broken file
// through, the short read was never checked (27 of 43 parameters stayed
// uninitialised memory, exit 0), and errors were raw library messages. Every
// corruption below is refused, naming the file and the problem, and the network
// keeps its weights.
TEST(Weights, CorruptFilesAreRefusedNamingFileAndProblem) {
  torch::NoGradGuard no_grad;
  const std::string good_file = temp_path("bfac.safetensors");
  Network source = make_network("Bfac", 1, 1);
  save_weights(*source, good_file);
  const std::string bytes = test_util::slurp(good_file);
  const auto [header, data] = read_parts(good_file);
  // The first two tensors in the data, by offset, that hold data (empty
  // entropy-coder tables would make the corruptions below valid).
  std::vector<std::pair<uint64_t, std::string>> order;
  for (auto it = header.begin(); it != header.end(); ++it)
    if (it.key() != "__metadata__" && it.value()["data_offsets"][1] != it.value()["data_offsets"][0])
      order.push_back({it.value()["data_offsets"][0].get<uint64_t>(), it.key()});
  std::sort(order.begin(), order.end());
  const std::string first = order[0].second, second = order[1].second;
  const uint64_t first_bytes =
      header[first]["data_offsets"][1].get<uint64_t>() - header[first]["data_offsets"][0].get<uint64_t>();

  struct Case {
    std::string name, bytes, expected;
  };
  std::vector<Case> cases;
  {
    nlohmann::json h = header;  // end - begin wraps around to the right size
    h[first]["data_offsets"] = {~uint64_t(0) - first_bytes + 1, 0};
    cases.push_back({"wrap", with_header(h.dump(), data), "the begin is after the end"});
  }
  cases.push_back({"truncated", bytes.substr(0, bytes.size() * 6 / 10), "truncated?"});
  cases.push_back({"array", with_header("[1, 2]", ""), "not a JSON object"});
  {
    nlohmann::json h = header;
    h[first] = {1, 2};
    cases.push_back({"entry", with_header(h.dump(), data), "'" + first + "' is not an object"});
  }
  {
    nlohmann::json h = header;
    h[first]["dtype"] = "Q8";
    cases.push_back({"dtype", with_header(h.dump(), data), "unsupported dtype 'Q8'"});
  }
  {
    nlohmann::json h = header;
    h[second]["data_offsets"] = {0, h[second]["data_offsets"][1].get<uint64_t>() -
                                        h[second]["data_offsets"][0].get<uint64_t>()};
    cases.push_back({"overlap", with_header(h.dump(), data), "overlaps"});
  }
  cases.push_back({"trailing", with_header(header.dump(), data + "abcd"), "belong to no tensor"});
  {
    nlohmann::json h = header;
    h[first]["shape"] = {1e300};
    cases.push_back({"float_shape", with_header(h.dump(), data), "not a whole number"});
  }
  {
    nlohmann::json h = header;
    h[first]["shape"] = {64, 3, 5, 5};
    cases.push_back({"shape", with_header(h.dump(), data), "need"});
  }
  cases.push_back({"length", std::string("\xff\xff\xff\xff\xff\xff\xff\x7f{}", 10), "header length"});
  cases.push_back({"short", "abc", "too short"});

  Network target = make_network("Bfac", 1, 2);
  auto weight = [](NetworkImpl& net) { return net.named_parameters()["g_a.0.weight"]; };
  const torch::Tensor before = weight(*target).clone();
  for (const Case& c : cases) {
    const std::string file = temp_path("corrupt_" + c.name + ".safetensors");
    std::ofstream(file, std::ios::binary) << c.bytes;
    try {
      load_weights(*target, file);
      ADD_FAILURE() << c.name << ": loaded";
    } catch (const Error& e) {
      const std::string message = e.what();
      EXPECT_NE(message.find("weights file '" + file + "'"), std::string::npos) << c.name << ": " << message;
      EXPECT_NE(message.find(c.expected), std::string::npos) << c.name << ": " << message;
      EXPECT_EQ(message.find("json.exception"), std::string::npos) << c.name << ": " << message;
    }
    std::filesystem::remove(file);
  }
  EXPECT_TRUE(torch::equal(weight(*target), before)) << "the network is untouched";
  load_weights(*target, good_file);  // and the intact file still loads
  EXPECT_TRUE(torch::equal(weight(*target), weight(*source)));
  // Not a regular file: a directory is named, a FIFO is not opened (it would block).
  EXPECT_NE(std::string(error_of_load(*target, std::filesystem::temp_directory_path().string())).find("is a directory"),
            std::string::npos);
  std::filesystem::remove(good_file);
}

// Hand-derived MACs per pixel (convolutions at output positions, transposed
// convolutions at input positions), e.g. Bfac low, N=128, M=192:
//   g_a: 3*128*25/4 + 128*128*25/16 + 128*128*25/64 + 128*192*25/256 = 2400+25600+6400+2400
//   g_s: the mirror image, 36800; total 73600; up to the 2nd downsampling 2*(2400+25600) = 56000.
TEST(Complexity, MatchesHandDerivedValues) {
  Complexity bfac = complexity_of("Bfac", 1);
  EXPECT_NEAR(bfac.kmac_per_px, 73.6, 1e-9);
  EXPECT_NEAR(bfac.kmac_per_px_2nd, 56.0, 1e-9);
  EXPECT_NEAR(bfac.kmac_per_px_encoder, 36.8, 1e-9);
  // GDN: 128*128 MACs at 1/4, 1/16 and 1/64 of the pixels, on both sides.
  EXPECT_NEAR(bfac.kmac_per_px_with_gdn - bfac.kmac_per_px, 2 * 128 * 128 * (1.0 / 4 + 1.0 / 16 + 1.0 / 64) / 1000, 1e-9);
  ASSERT_FALSE(bfac.layers.empty());
  EXPECT_EQ(bfac.layers[0].layer.name, "g_a.0");
  EXPECT_NEAR(bfac.layers[0].kmac_per_px, 2.4, 1e-12);
  EXPECT_EQ(bfac.layers[0].layer.params, 3 * 128 * 25 + 128);

  // Bhyp adds h_a (192*128*9/256 + 128*128*25/1024 + 128*128*25/4096) and the mirrored h_s: 2728.
  EXPECT_NEAR(complexity_of("Bhyp", 2).kmac_per_px, 76.328, 1e-9);
  // Mmean: h_a 864+400+100, h_s 150+1350+3888 (M*3/2 = 288, M*2 = 384).
  EXPECT_NEAR(complexity_of("Mmean", 1).kmac_per_px, 80.352, 1e-9);
  // Mcont low: 158400 (g_a, g_s at N=M=192) + 2421 + 5463 = 166284 without the context model;
  // the masked 5x5 conv (192*384*25/256 = 7200) and entropy parameters (3968) run too.
  Complexity mcont = complexity_of("Mcont", 1);
  EXPECT_NEAR(mcont.kmac_per_px, 166.284 + 7.2 + 3.968, 1e-9);
  EXPECT_NEAR(mcont.kmac_per_px_2nd, 122.4, 1e-9);
  // Canch low, blocks g_a.0-2 (0.864 + 36.864 + 0.096 + 2*36.864 + 2*9.216 + 1.024) and
  // g_s.5-7 (3*36.864 + 2*36.864 + 3.456): the attention blocks of Cattn lie outside.
  EXPECT_NEAR(complexity_of("Canch", 1).kmac_per_px_2nd, 131.008 + 187.776, 1e-9);
  EXPECT_NEAR(complexity_of("Cattn", 1).kmac_per_px_2nd, 131.008 + 187.776, 1e-9);
}

// Complexity per stage (issue 13), from the hand-derived figures above: the
// entropy sides are the hyper transforms, the context model and the entropy
// parameters; the rANS coder does no MACs.
TEST(Complexity, PerStageFromTheTransformsEachSideRuns) {
  const Complexity bfac = complexity_of("Bfac", 1);
  EXPECT_NEAR(stage_kmac_per_px(bfac, Stage::chain), 73.6, 1e-9);
  EXPECT_NEAR(stage_kmac_per_px(bfac, Stage::analysis), 36.8, 1e-9);
  EXPECT_NEAR(stage_kmac_per_px(bfac, Stage::synthesis), 36.8, 1e-9);
  EXPECT_NEAR(stage_kmac_per_px(bfac, Stage::entropy_encode), 0, 1e-9);
  EXPECT_NEAR(stage_kmac_per_px(bfac, Stage::entropy_decode), 0, 1e-9);
  // Mcont low: h_a 2.421, h_s 5.463, context 7.2 and entropy parameters 3.968 on
  // the encoder's side; the decoder runs all of them but h_a.
  const Complexity mcont = complexity_of("Mcont", 1);
  EXPECT_NEAR(stage_kmac_per_px(mcont, Stage::analysis), 79.2, 1e-9);
  EXPECT_NEAR(stage_kmac_per_px(mcont, Stage::entropy_encode), 2.421 + 5.463 + 7.2 + 3.968, 1e-9);
  EXPECT_NEAR(stage_kmac_per_px(mcont, Stage::entropy_decode), 5.463 + 7.2 + 3.968, 1e-9);
  EXPECT_NEAR(stage_kmac_per_px(mcont, Stage::encode), 79.2 + 2.421 + 5.463 + 7.2 + 3.968, 1e-9);
  EXPECT_NEAR(stage_kmac_per_px(mcont, Stage::decode), 79.2 + 5.463 + 7.2 + 3.968, 1e-9);
}

TEST(Complexity, ShapeOnlyRunMatchesARealForward) {
  torch::NoGradGuard no_grad;
  Network net = make_network("Cattn", 1);
  std::vector<LayerRecord> real, dry;
  {
    LayerRecorder recorder(*net, false);
    net->forward(torch::rand({1, 3, 128, 128}));
    real = recorder.records();
  }
  {
    LayerRecorder recorder(*net, true);
    net->forward(torch::empty({1, 3, 128, 128}));
    dry = recorder.records();
  }
  ASSERT_EQ(real.size(), dry.size());
  ASSERT_GT(real.size(), 100u);
  for (size_t i = 0; i < real.size(); ++i) {
    EXPECT_EQ(real[i].name, dry[i].name);
    EXPECT_EQ(real[i].out_h, dry[i].out_h) << real[i].name;
    EXPECT_EQ(real[i].out_channels, dry[i].out_channels) << real[i].name;
    EXPECT_EQ(real[i].macs, dry[i].macs) << real[i].name;
  }
  // Every parameterised layer of the chain is accounted once; the network's
  // parameters are those layers' plus the entropy bottleneck's (61 per channel).
  int64_t recorded = 0;
  for (const auto& r : real) recorded += r.params;
  EXPECT_EQ(recorded + 61 * net->config().n, count_parameters(*net));
}

TEST(Complexity, ZooFormats) {
  const std::vector<Complexity> rows = {complexity_of("Bfac", 1), complexity_of("Cattn", 6)};
  auto json = nlohmann::json::parse(format_zoo(rows, "json"));
  ASSERT_EQ(json.size(), 2u);
  EXPECT_EQ(json[1]["abbr"], "Cattn");
  EXPECT_EQ(json[1]["level"], "high");
  EXPECT_EQ(json[0].size(), 13u);
  EXPECT_EQ(json[0]["params"], 2998147);
  EXPECT_THROW(format_zoo(rows, "xml"), Error);
  const std::string csv = format_zoo(rows, "csv");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 3);
}

TEST(Zoo, NamesQualitiesAndLevels) {
  EXPECT_EQ(find_network("cheng2020-anchor").abbr, "Canch");
  EXPECT_EQ(find_network("MCONT").name, "mbt2018");
  EXPECT_THROW(find_network("mbt2019"), Error);
  EXPECT_THROW(quality_config(find_network("Canch"), 7), Error);
  EXPECT_THROW(quality_config(find_network("Bfac"), 0), Error);
  EXPECT_EQ(quality_config(find_network("Mmean"), 4).level, "low");
  EXPECT_EQ(quality_config(find_network("Mmean"), 5).level, "high");
  EXPECT_EQ(level_qualities(find_network("Cattn"), "high"), (std::vector<int>{4, 5, 6}));
  EXPECT_THROW(level_qualities(find_network("Cattn"), "medium"), Error);
  EXPECT_THROW(parse_device("tpu"), Error);
  if (!torch::cuda::is_available()) EXPECT_THROW(parse_device("cuda"), Error);
}

// The spec table gives every network and quality the (N, M), level and padding
// of CompressAI's cfgs, as the former per-name code did.
TEST(Zoo, SpecTableGivesCompressAIsChannelsAndPadding) {
  struct Expected { const char* abbr; int qualities, first_high, padding, n_low, m_low, n_high, m_high; };
  const Expected table[] = {{"Bfac", 8, 6, 16, 128, 192, 192, 320},  {"Bhyp", 8, 6, 128, 128, 192, 192, 320},
                            {"Mmean", 8, 5, 128, 128, 192, 192, 320}, {"Mcont", 8, 5, 128, 192, 192, 192, 320},
                            {"Canch", 6, 4, 128, 128, 128, 192, 192}, {"Cattn", 6, 4, 128, 128, 128, 192, 192}};
  ASSERT_EQ(network_specs().size(), std::size(table));
  for (const Expected& e : table) {
    const NetworkSpec& spec = find_network(e.abbr);
    EXPECT_EQ(spec.padding, e.padding) << e.abbr;
    ASSERT_EQ(spec.qualities, e.qualities) << e.abbr;
    for (int q = 1; q <= e.qualities; ++q) {
      const QualityConfig c = quality_config(spec, q);
      const bool high = q >= e.first_high;
      EXPECT_EQ(c.level, high ? "high" : "low") << e.abbr << " q" << q;
      EXPECT_EQ(c.n, high ? e.n_high : e.n_low) << e.abbr << " q" << q;
      EXPECT_EQ(c.m, high ? e.m_high : e.m_low) << e.abbr << " q" << q;
    }
  }
  // The blocks each network has, as CompressAI's classes do.
  EXPECT_FALSE(find_network("Bfac").hyperprior);
  EXPECT_TRUE(find_network("Bhyp").hyper_abs && !find_network("Bhyp").means);
  EXPECT_TRUE(find_network("Mmean").means && !find_network("Mmean").context);
  EXPECT_TRUE(find_network("Mcont").context && find_network("Mcont").transforms == Transforms::balle);
  EXPECT_TRUE(find_network("Canch").transforms == Transforms::cheng && !find_network("Canch").attention);
  EXPECT_TRUE(find_network("Cattn").attention);
  EXPECT_EQ(level_qualities(find_network("Mcont"), Level::low), (std::vector<int>{1, 2, 3, 4}));
}

TEST(Zoo, LevelTextAndNetworkRank) {
  EXPECT_EQ(to_string(Level::low), "low");
  EXPECT_EQ(parse_level("high"), Level::high);
  EXPECT_THROW(parse_level("High"), Error);
  EXPECT_FALSE(level_from_string("medium"));
  EXPECT_LT(level_rank("low"), level_rank("high"));
  EXPECT_LT(level_rank("high"), level_rank("medium"));
  // The paper's order, by abbreviation or CompressAI name; unknown names last.
  EXPECT_EQ(network_rank("Bfac"), 0);
  EXPECT_EQ(network_rank("bmshj2018-hyperprior"), 1);
  EXPECT_EQ(network_rank("Cattn"), 5);
  EXPECT_EQ(network_rank("mbt2018"), 3);
  EXPECT_EQ(network_rank("mine2024"), 6);
  EXPECT_EQ(lookup_network("mine2024"), nullptr);
}

// Every layer a forward pass records has a known type, and the text of each
// type reads back to it (the per-layer CSV and JSON keep their words).
TEST(Complexity, LayerTypesReadBackFromTheirText) {
  for (LayerType t : {LayerType::conv, LayerType::deconv, LayerType::masked_conv, LayerType::gdn, LayerType::igdn,
                      LayerType::pixel_shuffle})
    EXPECT_EQ(parse_layer_type(to_string(t)), t) << to_string(t);
  EXPECT_EQ(to_string(LayerType::masked_conv), "masked_conv");
  EXPECT_TRUE(is_convolution(LayerType::deconv));
  EXPECT_FALSE(is_convolution(LayerType::igdn));
  EXPECT_THROW(parse_layer_type("attention"), Error);
  std::set<std::string> seen;
  for (const char* abbr : {"Bfac", "Cattn", "Mcont"})
    for (const LayerComplexity& l : complexity_of(abbr, 1).layers) {
      EXPECT_EQ(parse_layer_type(to_string(l.layer.type)), l.layer.type) << l.layer.name;
      seen.insert(to_string(l.layer.type));
    }
  EXPECT_EQ(seen.size(), 6u);  // all six kinds occur among these networks
}

// ---- the CUDA path against the CPU (issue 11, step 1; skips without a GPU) ---------

namespace {

// max |a - b| / max |a|: one number per tensor, independent of its scale.
double relative_error(const torch::Tensor& reference, const torch::Tensor& other) {
  const torch::Tensor a = reference.to(torch::kCPU, torch::kFloat64), b = other.to(torch::kCPU, torch::kFloat64);
  return (a - b).abs().max().item<double>() / a.abs().max().item<double>();
}

}  // namespace

// Every network at both levels, strict float32 (no TF32; LibTorch's default lets
// cuDNN use it) and deterministic kernels: the analysis, and the synthesis of the
// same rounded latents, agree with the CPU's within 1e-4. The whole chain may
// round a latent that sits on a .5 boundary the other way; such flips must be rare.
TEST(Models, CudaOutputMatchesTheCpuInStrictFloat32) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device here: checked where a GPU is lent";
  set_deterministic(true);
  torch::NoGradGuard no_grad;
  const ModeGuard strict(ExecutionMode{}, nullptr);
  const Image full = test_util::kodak_image();
  Image crop;
  crop.width = crop.height = 256;
  for (int row = 0; row < 256; ++row) {
    const auto* start = full.rgb.data() + (static_cast<size_t>(row + 128) * full.width + 256) * 3;
    crop.rgb.insert(crop.rgb.end(), start, start + 256 * 3);
  }
  const torch::Tensor x = image_to_tensor(crop);
  ASSERT_GT(x.std().item<double>(), 0.1) << "the crop is nearly flat";
  for (const NetworkSpec& spec : network_specs())
    for (int quality : {1, spec.first_high}) {
      SCOPED_TRACE(spec.abbr + " q" + std::to_string(quality));
      Network cpu = make_network(spec.abbr, quality, 7);
      cpu->eval();
      Network gpu = make_network(spec.abbr, quality, 7);
      gpu->eval();
      gpu->to(torch::kCUDA);
      const torch::Tensor x_gpu = x.to(torch::kCUDA);

      const torch::Tensor y = cpu->g_a->forward(x);
      ASSERT_GT(y.abs().max().item<double>(), 0.1) << "the analysis is nearly zero: nothing is compared";
      EXPECT_LT(relative_error(y, gpu->g_a->forward(x_gpu)), 1e-4);

      const Latents latents = cpu->encode(x);
      Latents on_gpu = latents;
      on_gpu.y_hat = latents.y_hat.to(torch::kCUDA);
      if (latents.z_hat.defined()) on_gpu.z_hat = latents.z_hat.to(torch::kCUDA);
      const torch::Tensor x_hat = cpu->decode(latents);
      ASSERT_GT(x_hat.std().item<double>(), 1e-3) << "a flat reconstruction: nothing is compared";
      EXPECT_LT(relative_error(x_hat, gpu->decode(on_gpu)), 1e-4);

      const ChainOutput chain_cpu = cpu->forward(x), chain_gpu = gpu->forward(x_gpu);
      const double flipped = chain_cpu.latents.y_hat.ne(chain_gpu.latents.y_hat.to(torch::kCPU))
                                 .to(torch::kFloat64).mean().item<double>();
      EXPECT_LT(flipped, 1e-3) << "latents rounded differently";
      if (flipped == 0) {
        EXPECT_LT(relative_error(chain_cpu.x_hat, chain_gpu.x_hat), 1e-4);
        EXPECT_LT(relative_error(chain_cpu.latents.y_likelihoods, chain_gpu.latents.y_likelihoods), 1e-4);
      }
    }
}
