// The activation coder (exp-Golomb round trips, closed-form lengths, the
// Gaussian ideal length by hand), the data-movement energy model, and the
// `bandwidth` command end to end.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <filesystem>

#include "bandwidth/activation_bandwidth.h"
#include "bandwidth/bandwidth_json.h"
#include "bandwidth/data_movement_energy.h"
#include "bandwidth/exp_golomb.h"
#include "bandwidth/memory_energy.h"
#include "models/network.h"
#include "report/bandwidth_figure.h"
#include "models/weights.h"
#include "test_util.h"

using namespace nicenergy;
using test_util::expect_one_line_error;
using test_util::run_cli;

namespace {

QuantisedActivation make(int64_t channels, int64_t per_channel, std::vector<uint8_t> values) {
  QuantisedActivation q;
  q.channels = channels;
  q.per_channel = per_channel;
  q.values = std::move(values);
  return q;
}

// Encodes at every order, checks the decoded values, and the stream size against the closed form.
void expect_round_trip(const QuantisedActivation& q, const std::string& what) {
  for (int k = 0; k <= 4; ++k) {
    const ExpGolombStream s = encode_exp_golomb(q, k);
    EXPECT_EQ(decode_exp_golomb(s, q.channels, q.per_channel), q.values) << what << ", order " << k;
    EXPECT_EQ(s.bits, exp_golomb_size_bits(q, k)) << what << ", order " << k;
    EXPECT_EQ(s.bytes.size(), (s.bits + 7) / 8) << what;
  }
}

}  // namespace

TEST(ExpGolomb, ZigZagMapsSmallResidualsToSmallCodes) {
  EXPECT_EQ(zigzag(0), 0u);
  EXPECT_EQ(zigzag(-1), 1u);
  EXPECT_EQ(zigzag(1), 2u);
  EXPECT_EQ(zigzag(-255), 509u);
  EXPECT_EQ(zigzag(255), 510u);
  for (int d = -255; d <= 255; ++d) EXPECT_EQ(unzigzag(zigzag(d)), d);
}

TEST(ExpGolomb, CodeLengthIsTheClosedForm) {
  // Order 0: 2 floor(log2(r + 1)) + 1.
  EXPECT_EQ(exp_golomb_bits(0, 0), 1);
  EXPECT_EQ(exp_golomb_bits(1, 0), 3);
  EXPECT_EQ(exp_golomb_bits(2, 0), 3);
  EXPECT_EQ(exp_golomb_bits(3, 0), 5);
  EXPECT_EQ(exp_golomb_bits(510, 0), 17);
  // Order k: the order-0 length of floor(r / 2^k), plus k.
  EXPECT_EQ(exp_golomb_bits(0, 2), 3);
  EXPECT_EQ(exp_golomb_bits(3, 2), 3);
  EXPECT_EQ(exp_golomb_bits(4, 2), 5);
  EXPECT_EQ(exp_golomb_bits(510, 4), 2 * 5 + 1 + 4);  // 510 >> 4 = 31, floor(log2 32) = 5
}

TEST(ExpGolomb, HandMadeTensorHasTheHandCountedSize) {
  // One channel 3 3 3 5 1: median 3, residuals 0 0 0 2 -2, zig-zag 0 0 0 4 3.
  const QuantisedActivation q = make(1, 5, {3, 3, 3, 5, 1});
  EXPECT_EQ(channel_medians(q), std::vector<uint8_t>{3});
  EXPECT_EQ(exp_golomb_size_bits(q, 0), 8u + 1 + 1 + 1 + 5 + 5);
  EXPECT_EQ(exp_golomb_size_bits(q, 1), 8u + 2 + 2 + 2 + 4 + 4);  // r >> 1: 0 0 0 2 1
  EXPECT_EQ(encode_exp_golomb(q, 0).bits, 21u);
  // Two channels, each with its own median: (0 0 7 0) -> 0; (9 8 9 9) -> 9.
  const QuantisedActivation two = make(2, 4, {0, 0, 7, 0, 9, 8, 9, 9});
  EXPECT_EQ(channel_medians(two), (std::vector<uint8_t>{0, 9}));
  // Channel 0: r 0 0 14 0 -> 1 1 7 1; channel 1: r 0 1 0 0 -> 1 3 1 1; 16 bits of medians.
  EXPECT_EQ(exp_golomb_size_bits(two, 0), 16u + 10 + 6);
  // The lower median for an even count: 1 2 3 4 -> 2.
  EXPECT_EQ(channel_medians(make(1, 4, {4, 1, 3, 2})), std::vector<uint8_t>{2});
}

TEST(ExpGolomb, RandomActivationsRoundTrip) {
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  const int64_t channels = 6, per_channel = 517;
  std::vector<float> x(channels * per_channel);
  // Heavy-tailed, as activations are: the range is set by a few outliers and
  // most values sit near the median (a cubed normal).
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t i = 0; i < per_channel; ++i) {
      const float n = normal(rng);
      x[c * per_channel + i] = (c + 1) * n * n * n + c;
    }
  const QuantisedActivation q = quantise_min_max(x.data(), channels, per_channel);
  expect_round_trip(q, "random");
  // Peaked data codes below 8 bits a value.
  EXPECT_LT(encode_exp_golomb(q, 0).bits, 8u * channels * per_channel);
  // Plain Gaussian data spread over the range: order 0 costs more than 8 bits,
  // a higher order less, and the Gaussian model least.
  for (int64_t i = 0; i < channels * per_channel; ++i) x[i] = normal(rng);
  const QuantisedActivation g = quantise_min_max(x.data(), channels, per_channel);
  expect_round_trip(g, "gaussian");
  EXPECT_GT(exp_golomb_size_bits(g, 0), 8u * channels * per_channel);
  EXPECT_LT(exp_golomb_size_bits(g, 4), exp_golomb_size_bits(g, 0));
  EXPECT_LT(gaussian_ideal_bits(g), static_cast<double>(exp_golomb_size_bits(g, 4)));
}

TEST(ExpGolomb, AdversarialActivationsRoundTrip) {
  const int64_t n = 300;
  expect_round_trip(make(3, n, std::vector<uint8_t>(3 * n, 0)), "all zeros");
  expect_round_trip(make(3, n, std::vector<uint8_t>(3 * n, 255)), "all max");
  std::vector<uint8_t> alternating(3 * n);
  for (size_t i = 0; i < alternating.size(); ++i) alternating[i] = i % 2 ? 255 : 0;
  expect_round_trip(make(3, n, alternating), "alternating extremes");
  std::vector<uint8_t> ramp(256);
  for (int v = 0; v < 256; ++v) ramp[v] = static_cast<uint8_t>(v);
  expect_round_trip(make(1, 256, ramp), "one channel");
  expect_round_trip(make(1, 1, {200}), "one value");
  // All zeros: one bit per value plus the medians; alternating 0/255 has median 0 and r = 510.
  EXPECT_EQ(exp_golomb_size_bits(make(3, n, std::vector<uint8_t>(3 * n, 0)), 0), 3u * 8 + 3u * n);
  EXPECT_EQ(exp_golomb_size_bits(make(3, n, alternating), 0), 3u * 8 + 3u * (n / 2) * (1 + 17));
}

TEST(ExpGolomb, MinMaxQuantisationMapsTheRangeTo0To255) {
  const std::vector<float> x = {-1.0f, 1.0f, 0.5f, 2.0f, 2.0f, 2.0f};
  const QuantisedActivation q = quantise_min_max(x.data(), 2, 3);
  EXPECT_EQ(q.values, (std::vector<uint8_t>{0, 255, 191, 0, 0, 0}));  // 1.5 / 2 * 255 = 191.25
  EXPECT_FLOAT_EQ(q.min[0], -1.0f);
  EXPECT_FLOAT_EQ(q.max[0], 1.0f);
}

TEST(ExpGolomb, CorruptStreamsAreRefused) {
  const QuantisedActivation q = make(1, 4, {3, 9, 3, 200});
  ExpGolombStream s = encode_exp_golomb(q, 0);
  ExpGolombStream truncated = s;
  truncated.bits -= 3;
  EXPECT_NE(test_util::error_of([&] { decode_exp_golomb(truncated, 1, 4); }).find("truncated"), std::string::npos);
  ExpGolombStream zeros = s;
  std::fill(zeros.bytes.begin() + 1, zeros.bytes.end(), 0);
  EXPECT_NE(test_util::error_of([&] { decode_exp_golomb(zeros, 1, 4); }), "(no error)");
  EXPECT_NE(test_util::error_of([&] { encode_exp_golomb(q, 9); }).find("order 9"), std::string::npos);
}

TEST(GaussianIdeal, MatchesAHandComputation) {
  // Values 0 and 2: mean 1, standard deviation 1. Bin 0 takes the lower tail,
  // P = Phi(-0.5) = 0.3085375387 (tables); bin 2 is [1.5, 2.5]: Phi(1.5) - Phi(0.5)
  // = 0.9331927987 - 0.6914624613 = 0.2417303374.
  const double expected_end = 64 - std::log2(0.3085375387) - std::log2(0.2417303374);
  EXPECT_NEAR(gaussian_ideal_bits(make(1, 2, {0, 2})), expected_end, 1e-6);
  // Values 10 and 12 (mean 11, sd 1): both inner bins, 0.2417303374 each.
  EXPECT_NEAR(gaussian_ideal_bits(make(1, 2, {10, 12})), 64 - 2 * std::log2(0.2417303374), 1e-6);
  // Bin 255 takes the upper tail: values 253 and 255 mirror 0 and 2.
  EXPECT_NEAR(gaussian_ideal_bits(make(1, 2, {255, 253})), expected_end, 1e-6);
  // A constant channel: scale floored at 0.11, P(bin) = 1 - 2 Phi(-0.5 / 0.11) ~ 1: the side bits only.
  EXPECT_NEAR(gaussian_ideal_bits(make(1, 50, std::vector<uint8_t>(50, 77))), 64, 1e-3);
}

TEST(DataMovementEnergy, IsMacsPlusBytesAtTheGivenCosts) {
  ActivationBytes b;
  b.float32 = 4000;
  b.int8 = 1000;
  b.exp_golomb = 250;
  DataMovementCosts c;
  c.mac_pj = 2;
  c.byte_pj = 100;
  c.accesses_per_byte = 2;
  const DataMovementEnergy e = data_movement_energy(1e6, b, c);
  EXPECT_DOUBLE_EQ(e.mac_j, 2e-6);
  EXPECT_DOUBLE_EQ(e.total_float32_j(), 2e-6 + 8e-7);
  EXPECT_DOUBLE_EQ(e.total_exp_golomb_j(), 2e-6 + 5e-8);
  EXPECT_DOUBLE_EQ(e.saving_vs_float32(), 2.8e-6 / 2.05e-6);
  EXPECT_DOUBLE_EQ(e.saving_vs_int8(), 2.2e-6 / 2.05e-6);
  c.byte_pj = -1;
  EXPECT_NE(test_util::error_of([&] { data_movement_energy(1, b, c); }).find("--byte-pj"), std::string::npos);
}

TEST(ActivationBandwidth, SeesEveryKindOfOutputOnceAndTotalsAddUp) {
  Network network = make_network("Canch", 1);
  torch::manual_seed(1);
  const ActivationBandwidth a = measure_activation_bandwidth(*network, torch::rand({1, 3, 60, 70}));
  const int64_t multiple = network->config().spec->padding;
  EXPECT_EQ(a.padded_height % multiple, 0);
  EXPECT_EQ(a.padded_width % multiple, 0);
  EXPECT_GE(a.padded_width, 70);
  std::map<std::string, int> kinds;
  std::set<std::string> names;
  ActivationBytes sum, sum_2nd;
  for (const auto& l : a.layers) {
    ++kinds[l.kind];
    EXPECT_TRUE(names.insert(l.name).second) << l.name << " seen twice";
    EXPECT_DOUBLE_EQ(l.bytes.float32, 4.0 * l.channels * l.height * l.width) << l.name;
    EXPECT_GT(l.bytes.exp_golomb, 0) << l.name;
    EXPECT_DOUBLE_EQ(l.bytes.exp_golomb, l.bytes.exp_golomb_order[0]) << l.name;  // encoded = closed form
    sum += l.bytes;
    if (l.in_2nd) sum_2nd += l.bytes;
  }
  EXPECT_GT(kinds["conv"], 0);
  EXPECT_GT(kinds["gdn"], 0);
  EXPECT_GT(kinds["igdn"], 0);
  EXPECT_GT(kinds["block"], 0);       // Cheng's residual blocks
  EXPECT_EQ(kinds["masked_conv"], 1);  // the context model
  EXPECT_EQ(kinds["pixel_shuffle"], 0);
  EXPECT_DOUBLE_EQ(sum.float32, a.total.float32);
  EXPECT_NEAR(sum.exp_golomb, a.total.exp_golomb, 1e-9 * sum.exp_golomb);
  EXPECT_DOUBLE_EQ(sum_2nd.int8, a.total_2nd.int8);
  EXPECT_GT(a.total_2nd.int8, 0);
  EXPECT_LT(a.total_2nd.int8, a.total.int8);
  EXPECT_GT(a.macs(), a.macs_2nd());
}

// Each memory's figures follow from what they cite, so a changed constant
// shows here: DDR4's low end is the Micron TN-40-07 read burst on the part's
// IDD currents, HBM2's central figure O'Connor et al.'s 3.97 pJ/bit.
TEST(MemoryEnergy, FiguresFollowFromTheirSourcesAndRangesHold) {
  for (const MemoryEnergy& m : memory_energies()) {
    EXPECT_GT(m.low_pj, 0) << m.name;
    EXPECT_LE(m.low_pj, m.byte_pj) << m.name;
    EXPECT_LE(m.byte_pj, m.high_pj) << m.name;
    EXPECT_FALSE(m.source.empty()) << m.name;
  }
  EXPECT_DOUBLE_EQ(find_memory_energy("horowitz45").byte_pj, 640.0 / 4);
  const double read_burst_pj = 1.2 * (184.5e-3 - 44.0e-3) * 4 * 0.833e-9 * 1e12;  // VDD x (IDD4R - IDD3N) x BL/2 x tCK
  EXPECT_NEAR(find_memory_energy("ddr4").low_pj, read_burst_pj / 8, 0.5);
  EXPECT_NEAR(find_memory_energy("hbm2").byte_pj, 3.97 * 8, 0.1);
  // Its low end: the datapath's 2.24 pJ/bit and the interposer's 0.3, without row activation.
  EXPECT_NEAR(find_memory_energy("hbm2").low_pj, (2.24 + 0.3) * 8, 0.05);
  const std::string error = test_util::error_of([] { find_memory_energy("xdr"); });
  EXPECT_NE(error.find("ddr4"), std::string::npos) << error;
  EXPECT_NE(error.find("--byte-pj"), std::string::npos) << error;
}

TEST(BandwidthCli, MemoryPicksTheByteCostAndGivesItsRange) {
  const std::string base = "bandwidth --model Bfac --quality 1 --input tests/images/kodim04-256x192.png --threads 1 --format json "
                           "--weights data/weights/bfac-q1.safetensors";
  Result r = run_cli(base + " --memory ddr4");
  ASSERT_EQ(r.code, 0) << r.err;
  nlohmann::json model = nlohmann::json::parse(r.out).at("energy_model");
  EXPECT_EQ(model.at("memory"), "ddr4");
  EXPECT_DOUBLE_EQ(model.at("byte_pj").get<double>(), find_memory_energy("ddr4").byte_pj);
  EXPECT_NE(model.at("source").get<std::string>().find("Micron"), std::string::npos);
  const auto& range = model.at("byte_pj_range");
  const double low = range.at("chain_low").at("saving_vs_float32").get<double>();
  const double central = model.at("chain").at("saving_vs_float32").get<double>();
  const double high = range.at("chain_high").at("saving_vs_float32").get<double>();
  // Coding saves bytes, so dearer bytes make it save more.
  EXPECT_GT(central, 1.0);
  EXPECT_LT(low, central);
  EXPECT_LT(central, high);
  r = run_cli(base + " --memory hbm2 --byte-pj 31");
  ASSERT_EQ(r.code, 0) << r.err;
  model = nlohmann::json::parse(r.out).at("energy_model");
  EXPECT_EQ(model.at("memory"), "as given");
  EXPECT_DOUBLE_EQ(model.at("byte_pj").get<double>(), 31);
  EXPECT_FALSE(model.contains("byte_pj_range"));
  Result table = run_cli("bandwidth --model Bfac --quality 1 --input tests/images/kodim04-256x192.png --threads 1 --memory hbm2");
  ASSERT_EQ(table.code, 0) << table.err;
  EXPECT_NE(table.out.find("O'Connor"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("the range of --memory hbm2"), std::string::npos) << table.out;
}

TEST(BandwidthCli, BadInputsGiveOneLineErrors) {
  test_util::TempDir dir("bandwidth");
  test_util::spit(dir.file("bad.safetensors"), "garbage");
  const std::string ok = "bandwidth --model Bfac --quality 1 --input data/images/kodim01.png";
  expect_one_line_error("bandwidth --model Bfac --quality 1 --input data/images/missing.png", "does not exist");
  expect_one_line_error("bandwidth --model Bfoo --quality 1 --input data/images/kodim01.png", "unknown model");
  expect_one_line_error("bandwidth --model Bfac --quality 9 --input data/images/kodim01.png", "quality 9");
  expect_one_line_error(ok + " --weights " + dir.file("bad.safetensors"), "safetensors");
  expect_one_line_error(ok + " --format xml", "format 'xml'");
  expect_one_line_error(ok + " --byte-pj -3", "--byte-pj");
  expect_one_line_error(ok + " --memory xdr", "memory 'xdr' is unknown");
  expect_one_line_error(ok + " --mac-pj x", "--mac-pj 'x'");
  expect_one_line_error(ok + " --threads -1", "--threads");
  expect_one_line_error("bandwidth --model Bfac --quality 1", "--input");
}

TEST(BandwidthCli, SeededRunCountsEveryLayerAndSaysItIsUntrained) {
  Result r = run_cli("bandwidth --model Bfac --quality 1 --input tests/images/kodim01-256x192.png --threads 1 --format json");
  ASSERT_EQ(r.code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_NE(j.at("warning").get<std::string>().find("meaningless"), std::string::npos);
  EXPECT_NE(r.err.find("meaningless"), std::string::npos);
  EXPECT_NE(j.at("energy_model").at("label").get<std::string>().find("MODEL"), std::string::npos);
  const auto& t = j.at("total");
  EXPECT_LT(t.at("int8_bytes").get<double>(), t.at("float32_bytes").get<double>());
  EXPECT_DOUBLE_EQ(t.at("float32_bytes").get<double>(), 4 * t.at("int8_bytes").get<double>());
  // Bfac: 4 convolutions + 3 GDN in g_a, 4 transposed convolutions + 3 IGDN in g_s.
  ASSERT_EQ(j.at("layers").size(), 14u);
  EXPECT_EQ(j.at("layers")[0].at("channels").get<int>(), 128);
  EXPECT_EQ(j.at("layers")[0].at("width").get<int>(), j.at("padded_width").get<int>() / 2);
  int in_2nd = 0;
  double coded = 0, coded_2nd = 0;
  for (const auto& l : j.at("layers")) {
    in_2nd += l.at("in_2nd").get<bool>();
    coded += l.at("exp_golomb_bytes").get<double>();
    if (l.at("in_2nd").get<bool>()) coded_2nd += l.at("exp_golomb_bytes").get<double>();
  }
  // g_a.0-g_a.2 (conv, GDN, conv) and g_s.4-g_s.6 (deconv, IGDN, deconv).
  EXPECT_EQ(in_2nd, 6);
  EXPECT_NEAR(t.at("exp_golomb_bytes").get<double>(), coded, 1e-6 * coded);
  EXPECT_NEAR(j.at("total_2nd").at("exp_golomb_bytes").get<double>(), coded_2nd, 1e-6 * coded);
  EXPECT_LT(coded_2nd, coded);

  Result table = run_cli("bandwidth --model Bfac --quality 1 --input tests/images/kodim01-256x192.png --threads 1");
  ASSERT_EQ(table.code, 0) << table.err;
  EXPECT_NE(table.out.find("meaningless (untrained weights)"), std::string::npos);
  EXPECT_NE(table.out.find("MODEL, not a measurement"), std::string::npos);
}

// A trained network (data/weights/bfac-q1.safetensors, or the file
// NICENERGY_BFAC_Q1_WEIGHTS names; skipped without one). GDN outputs are dense,
// not sparse as ReLU outputs are, so order-0 exp-Golomb does not beat 8 bits
// here (README, "Activation bandwidth"); what must hold: no warning, the code
// below float32, a higher order below order 0, and the Gaussian ideal below 8 bits.
TEST(BandwidthCli, TrainedBfacRunHasNoWarningAndCodesBelowFloat32) {
  const char* env = std::getenv("NICENERGY_BFAC_Q1_WEIGHTS");
  const std::string weights = env != nullptr ? env : "data/weights/bfac-q1.safetensors";
  if (!std::filesystem::exists(weights)) GTEST_SKIP() << "no trained Bfac q1 checkpoint at " << weights;
  Result r = run_cli("bandwidth --model Bfac --quality 1 --input data/images/kodim01.png --threads 1 --format json --weights " +
                     weights);
  ASSERT_EQ(r.code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_FALSE(j.contains("warning"));
  EXPECT_EQ(r.err.find("meaningless"), std::string::npos);
  const auto& t = j.at("total");
  EXPECT_LT(t.at("exp_golomb_bytes").get<double>(), t.at("float32_bytes").get<double>());
  EXPECT_LT(t.at("exp_golomb_k4_bytes").get<double>(), t.at("exp_golomb_k0_bytes").get<double>());
  EXPECT_LT(t.at("gaussian_ideal_bytes").get<double>(), t.at("int8_bytes").get<double>());
  EXPECT_GT(j.at("energy_model").at("chain").at("saving_vs_float32").get<double>(), 1.0);
}

TEST(BandwidthCli, TrainedWeightsFileIsNamedWithoutTheWarning) {
  test_util::TempDir dir("bandwidth");
  Network network = make_network("Bfac", 1, 3);
  save_weights(*network, dir.file("w.safetensors"), {{"training_iterations", "12"}});
  Result r = run_cli("bandwidth --model Bfac --quality 1 --input tests/images/kodim01-256x192.png --threads 1 --format csv --weights " +
                     dir.file("w.safetensors"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out.find("meaningless"), std::string::npos);
  EXPECT_EQ(r.err.find("meaningless"), std::string::npos);
  EXPECT_NE(r.out.find("total_2nd"), std::string::npos);
}

// The per-layer figure: one data row per layer with its three sizes, the
// boundary after the last layer up to the 2nd downsampling, and the seeded
// weights said in the title.
TEST(BandwidthCli, PlotDrawsEveryLayerAndMarksThe2ndDownsampling) {
  test_util::TempDir dir("bandwidth_plot");
  const std::string plot = dir.file("plot");
  Result r = run_cli("bandwidth --model Bfac --quality 1 --input tests/images/kodim01-256x192.png --threads 1 --format json --plot " +
                     plot);
  ASSERT_EQ(r.code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  std::istringstream dat(test_util::slurp(plot + "/bandwidth_layers.dat"));
  std::string line;
  std::getline(dat, line);  // header
  size_t rows = 0;
  int last_2nd = -1;
  while (std::getline(dat, line)) {
    std::istringstream fields(line);
    int index = 0;
    std::string name;
    double float32 = 0, int8 = 0, coded = 0;
    int in_2nd = 0;
    fields >> index >> name >> float32 >> int8 >> coded >> in_2nd;
    const auto& layer = j.at("layers").at(rows);
    EXPECT_EQ(name, "\"" + layer.at("layer").get<std::string>() + "\"");
    EXPECT_DOUBLE_EQ(float32, layer.at("float32_bytes").get<double>());
    EXPECT_NEAR(coded, layer.at("exp_golomb_bytes").get<double>(), 1e-6 * coded);
    EXPECT_GT(float32, int8);
    if (in_2nd) last_2nd = index;
    ++rows;
  }
  EXPECT_EQ(rows, j.at("layers").size());
  ASSERT_GE(last_2nd, 0);
  const std::string gp = test_util::slurp(plot + "/bandwidth_layers.gp");
  // Bfac's runs: g_a.0-g_a.2 (rows 0-2) and g_s.4-g_s.6 (the last three rows).
  EXPECT_NE(gp.find("rect from -0.5, graph 0 to 2.5, graph 1"), std::string::npos) << gp;
  EXPECT_NE(gp.find("rect from " + std::to_string(rows - 4) + ".5, graph 0 to " + std::to_string(last_2nd) + ".5"),
            std::string::npos)
      << gp;
  EXPECT_NE(gp.find("SEEDED WEIGHTS: MEANINGLESS"), std::string::npos);
  if (std::system("command -v gnuplot >/dev/null 2>&1") == 0)
    EXPECT_TRUE(std::filesystem::exists(plot + "/bandwidth_layers.svg")) << r.err;
  expect_one_line_error("bandwidth --model Bfac --quality 1 --input data/images/kodim01.png --plot /proc/nope",
                        "plot folder");

  // The JSON reads back for the report's figure (report --bandwidth), the same figure.
  test_util::spit(dir.file("bw.json"), r.out);
  const BandwidthFile back = read_bandwidth_json(dir.file("bw.json"));
  EXPECT_FALSE(back.trained);
  ASSERT_EQ(back.bandwidth.layers.size(), j.at("layers").size());
  EXPECT_EQ(back.bandwidth.layers[2].name, j.at("layers")[2].at("layer").get<std::string>());
  EXPECT_DOUBLE_EQ(back.bandwidth.total.exp_golomb, j.at("total").at("exp_golomb_bytes").get<double>());
  EXPECT_DOUBLE_EQ(back.bandwidth.macs(), j.at("energy_model").at("macs").get<double>());
  EXPECT_EQ(bandwidth_figure(back.bandwidth, back.trained, "bandwidth_layers", "").second, gp);
  test_util::spit(dir.file("bad.json"), "{\"network\": \"Bfac\"}");
  EXPECT_NE(test_util::error_of([&] { read_bandwidth_json(dir.file("bad.json")); }).find("nicenergy bandwidth --format json"),
            std::string::npos);
  test_util::spit(dir.file("notjson.json"), "network,quality\n");
  EXPECT_NE(test_util::error_of([&] { read_bandwidth_json(dir.file("notjson.json")); }).find("bandwidth file"),
            std::string::npos);
  EXPECT_NE(test_util::error_of([&] { read_bandwidth_json(dir.file("missing.json")); }).find("missing.json"),
            std::string::npos);
  expect_one_line_error("report " + dir.file("r.csv") + " --bandwidth " + dir.file("bad.json") + " --output " +
                            dir.file("report"),
                        "nicenergy bandwidth --format json");
}
