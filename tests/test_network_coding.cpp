// Each network as a working codec (src/coding): bit-exact round trips on
// informative weights, real against estimated rate, the file format, and one
// line for every bad file.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "coding/codec_file.h"
#include "coding/network_coding.h"
#include "coding/stream_checks.h"
#include "image/image.h"
#include "io/csv.h"
#include "models/codec.h"
#include "models/layers.h"
#include "models/zoo.h"
#include "protocol/results_csv.h"
#include "test_util.h"

using namespace nicenergy;

namespace {
struct Affine {
  torch::Tensor weight, bias;
  int64_t out_dim = 0;  // ConvTranspose2d weights are (in, out, k, k)
};

// The last convolution among a Sequential's direct children (for a sub-pixel
// block, its convolution): its output channels are affine in weight and bias.
Affine last_conv(torch::nn::Sequential& sequential) {
  auto children = sequential->children();
  for (auto it = children.rbegin(); it != children.rend(); ++it) {
    if (auto c = std::dynamic_pointer_cast<torch::nn::Conv2dImpl>(*it)) return {c->weight, c->bias, 0};
    if (auto t = std::dynamic_pointer_cast<torch::nn::ConvTranspose2dImpl>(*it)) return {t->weight, t->bias, 1};
    if (auto s = std::dynamic_pointer_cast<SubpelConvImpl>(*it)) return {s->conv->weight, s->conv->bias, 0};
  }
  throw std::runtime_error("no convolution among the children");
}

// Gives the channels [from, to) of run()'s output this mean and spread by an
// affine change of the convolution (a few rounds where a nonlinearity follows).
void calibrate(const Affine& conv, const std::function<torch::Tensor()>& run, int64_t from, int64_t to, double mean,
               double std) {
  for (int round = 0; round < 4; ++round) {
    torch::Tensor out = run().index({torch::indexing::Slice(), torch::indexing::Slice(from, to)});
    const double a = std / std::max(out.std().item<double>(), 1e-12);
    const double c = mean - a * out.mean().item<double>();
    torch::Tensor w = conv.weight.transpose(0, conv.out_dim);
    w.index({torch::indexing::Slice(from, to)}).mul_(a);
    conv.bias.index({torch::indexing::Slice(from, to)}).mul_(a).add_(c);
  }
}

// Seeded weights made informative as the CompressAI reference test makes them:
// y about 4 wide, z about 3, medians off the integers, Gaussian scales near y's
// spread, means of y's size, x_hat about [0, 1].
Network informative_network(const std::string& abbr, int quality, const torch::Tensor& x) {
  Network net = make_network(abbr, quality, 0);
  torch::NoGradGuard no_grad;
  torch::manual_seed(1);
  for (auto& item : net->named_parameters()) {
    torch::Tensor p = item.value();
    if (item.key().find("quantiles") != std::string::npos)
      p.index({torch::indexing::Slice(), torch::indexing::Slice(), 1}).add_(torch::rand({p.size(0), 1}) - 0.5);
    else if (item.key().rfind("entropy_bottleneck.factors", 0) == 0)
      p.copy_(0.5 * torch::randn(p.sizes()));
    else
      p.mul_(1 + 0.1 * torch::randn(p.sizes()));
  }
  NetworkImpl& n = *net;
  calibrate(last_conv(n.g_a), [&] { return run_sequential(n.g_a, x); }, 0, n.config().m, 0.0, 4.0);
  torch::Tensor y = run_sequential(n.g_a, x);
  torch::Tensor y_hat = torch::round(y);
  if (n.h_a) {
    const torch::Tensor h_in = abbr == "Bhyp" ? torch::abs(y) : y;
    calibrate(last_conv(n.h_a), [&] { return run_sequential(n.h_a, h_in); }, 0, n.config().n, 0.0, 3.0);
    auto z_hat = [&] { return n.entropy_bottleneck->quantize(run_sequential(n.h_a, h_in)); };
    auto hyper = [&] { return run_sequential(n.h_s, z_hat()); };
    const int64_t m = n.config().m;
    // Scales matched to the spread of what they model (y less its means), as
    // training makes them: a model that misjudges its data would make the
    // real-against-estimated rate comparison meaningless.
    auto spread = [&](const torch::Tensor& means) { return (means.defined() ? y - means : y).std().item<double>(); };
    if (abbr == "Bhyp") {
      calibrate(last_conv(n.h_s), hyper, 0, m, spread(torch::Tensor()), 0.5);
    } else if (abbr == "Mmean") {
      calibrate(last_conv(n.h_s), hyper, m, 2 * m, 0.0, 2.0);
      const double s = spread(hyper().chunk(2, 1)[1]);
      calibrate(last_conv(n.h_s), hyper, 0, m, s, 0.1 * s);
    } else {
      auto params = [&] {
        return run_sequential(n.entropy_parameters, torch::cat({hyper(), n.context_prediction->forward(y_hat)}, 1));
      };
      calibrate(last_conv(n.entropy_parameters), params, m, 2 * m, 0.0, 2.0);
      const double s = spread(params().chunk(2, 1)[1]);
      calibrate(last_conv(n.entropy_parameters), params, 0, m, s, 0.1 * s);
    }
  }
  calibrate(last_conv(n.g_s), [&] { return run_sequential(n.g_s, y_hat); }, 0, 3, 0.45, 0.3);
  return net;
}

torch::Tensor test_image() {
  // A 128x128 crop of a Kodak photograph: real texture, a multiple of every network's padding.
  torch::Tensor x = image_to_tensor(load_image("data/images/kodim01.png"));
  return x.index({torch::indexing::Slice(), torch::indexing::Slice(), torch::indexing::Slice(200, 328),
                  torch::indexing::Slice(300, 428)}).contiguous();
}
}  // namespace

class NetworkRoundTrip : public ::testing::TestWithParam<const char*> {};

TEST_P(NetworkRoundTrip, DecoderGetsTheEncodersLatentsBitForBitAndTheRateIsReal) {
  const std::string abbr = GetParam();
  const torch::Tensor x = test_image();
  ASSERT_GT(x.std().item<double>(), 0.05);  // an image, not a flat field
  Network net = informative_network(abbr, 1, x);
  const EntropyTables tables = entropy_tables(*net);

  const torch::Tensor y_hat = encoder_latents(*net, tables, x);
  // Informative: most latents coded are not zero, and they spread.
  const double nonzero = (y_hat != 0).to(torch::kFloat64).mean().item<double>();
  EXPECT_GT(nonzero, 0.2) << abbr;

  const CodedImage coded = compress_latents(*net, tables, x);
  const torch::Tensor decoded = decompress_latents(*net, tables, coded);
  ASSERT_TRUE(torch::equal(decoded, y_hat)) << abbr << ": max difference " << (decoded - y_hat).abs().max().item<double>();
  EXPECT_TRUE(torch::equal(synthesise(*net, decoded), synthesise(*net, y_hat)));
  if (!net->config().spec->context) {
    // What `run` reconstructs from (forward()) is what the decoder gets.
    torch::NoGradGuard no_grad;
    EXPECT_TRUE(torch::equal(net->encode(x).y_hat, y_hat)) << abbr;
  }

  double bytes = 0;
  for (const auto& latent : coded.latents) bytes += static_cast<double>(latent.bytes.size());
  const double real = 8 * bytes, estimate = coded.estimated_bits;
  EXPECT_GT(estimate / (128.0 * 128.0), 0.5) << abbr;  // a rate worth comparing
  EXPECT_LT(std::abs(real - estimate) / estimate, 0.02) << abbr << ": " << real << " bits coded, " << estimate << " estimated";

  // Through the file format, and checked against the network.
  Stream stream{{abbr, 1, 128, 128, "cpu", weights_digest(*net)}, coded};
  const Stream back = read_stream(write_stream(stream), "test stream");
  check_stream_fits(back, *net, "test stream");
  EXPECT_EQ(back.header.network, abbr);
  EXPECT_EQ(back.header.weights_digest, weights_digest(*net));
  EXPECT_TRUE(torch::equal(decompress_latents(*net, tables, back.coded), y_hat));
}

INSTANTIATE_TEST_SUITE_P(SixNetworks, NetworkRoundTrip,
                         ::testing::Values("Bfac", "Bhyp", "Mmean", "Mcont", "Canch", "Cattn"));

TEST(CodecFile, ForeignTruncatedAndCorruptFilesAreRefused) {
  const torch::Tensor x = test_image();
  Network net = informative_network("Mmean", 1, x);
  const EntropyTables tables = entropy_tables(*net);
  Stream stream{{"Mmean", 1, 128, 128, "cpu", weights_digest(*net)}, compress_latents(*net, tables, x)};
  const std::string bytes = write_stream(stream);
  EXPECT_NE(test_util::error_of([&] { read_stream("PNG\x89 not ours", "f"); }).find("not a nicenergy compressed file"), std::string::npos);
  for (size_t keep : {size_t{6}, size_t{20}, bytes.size() / 2, bytes.size() - 1})
    EXPECT_NE(test_util::error_of([&] { read_stream(bytes.substr(0, keep), "f"); }).find("truncated"), std::string::npos) << keep;
  EXPECT_NE(test_util::error_of([&] { read_stream(bytes + "x", "f"); }).find("corrupt"), std::string::npos);
  // A stream for another size does not fit the network's latents.
  Stream other = stream;
  other.header.width = 256;
  EXPECT_NE(test_util::error_of([&] { check_stream_fits(read_stream(write_stream(other), "f"), *net, "f"); }).find("corrupt"), std::string::npos);
  // Flipped bytes inside the coded latents: an error or other values, never a crash.
  for (size_t flip = 0; flip < 64; ++flip) {
    Stream damaged = stream;
    std::string& y = damaged.coded.latents.back().bytes;
    y[(flip * 7919) % y.size()] ^= static_cast<char>(1 + flip);
    try {
      decompress_latents(*net, tables, damaged.coded);
    } catch (const Error&) {
    }
  }
}

TEST(CliCoding, CompressDecompressRoundTripAndBadFiles) {
  test_util::TempDir dir("coding");
  const std::string file = dir.file("k.nice"), png = dir.file("k.png");
  Result c = run_cli("compress --model Bhyp --quality 1 --input data/images/kodim02.png -o " + file + " --json");
  ASSERT_EQ(c.code, 0) << c.err;
  EXPECT_NE(c.out.find("\"bpp\""), std::string::npos);
  Result d = run_cli("decompress " + file + " -o " + png);
  ASSERT_EQ(d.code, 0) << d.err;
  const Image decoded = load_image(png), original = load_image("data/images/kodim02.png");
  EXPECT_EQ(decoded.width, original.width);
  EXPECT_EQ(decoded.height, original.height);
  expect_one_line_error("decompress " + file + " -o " + png + " --seed 3", "other weights");
  expect_one_line_error("decompress " + dir.file("missing.nice") + " -o " + png, "does not exist");
  test_util::spit(dir.file("foreign.nice"), "hello");
  expect_one_line_error("decompress " + dir.file("foreign.nice") + " -o " + png, "not a nicenergy compressed file");
  std::string bytes = test_util::slurp(file);
  test_util::spit(dir.file("cut.nice"), bytes.substr(0, bytes.size() / 2));
  expect_one_line_error("decompress " + dir.file("cut.nice") + " -o " + png, "truncated");
  // The layout intact, the last latent's bytes one short: the entropy decoder refuses, naming the file.
  Stream stream = read_stream(bytes, "k.nice");
  stream.coded.latents.back().bytes.pop_back();
  test_util::spit(dir.file("cut-latent.nice"), write_stream(stream));
  expect_one_line_error("decompress " + dir.file("cut-latent.nice") + " -o " + png,
                        "compressed file '" + dir.file("cut-latent.nice") + "': entropy-coded stream");
  // A header claiming more pixels than compress reads (with latents to fit) is refused before
  // the decoder allocates for it.
  stream = read_stream(bytes, "k.nice");
  stream.header.width = stream.header.height = 12000;
  stream.coded.latents.back().shape = {stream.coded.latents.back().shape[0], 750, 750};
  test_util::spit(dir.file("huge.nice"), write_stream(stream));
  expect_one_line_error("decompress " + dir.file("huge.nice") + " -o " + png, "over the cap of " + std::to_string(max_image_pixels()) + " pixels");
  expect_one_line_error("compress --model Bhyp --quality 9 --input data/images/kodim02.png -o " + file, "quality");
}

// A header naming a network or quality nicenergy does not have was refused
// without the file's name ("unknown network 'Zfac'"): every header error names it.
TEST(CliCoding, EveryHeaderErrorOfDecompressNamesTheFile) {
  test_util::TempDir dir("coding_header");
  const std::string file = dir.file("k.nice"), png = dir.file("k.png");
  Result c = run_cli("compress --model Bfac --quality 1 --input data/images/kodim02.png -o " + file);
  ASSERT_EQ(c.code, 0) << c.err;
  const Stream good = read_stream(test_util::slurp(file), "k.nice");
  const std::vector<std::pair<std::string, int>> headers = {{"Zfac", 1}, {"", 1}, {"Bfac", 9}, {"Bfac", 0}};
  for (size_t i = 0; i < headers.size(); ++i) {
    Stream stream = good;
    stream.header.network = headers[i].first;
    stream.header.quality = headers[i].second;
    const std::string bad = dir.file("bad" + std::to_string(i) + ".nice");
    test_util::spit(bad, write_stream(stream));
    expect_one_line_error("decompress " + bad + " -o " + png, "compressed file '" + bad + "'");
  }
}

TEST(CliStages, EveryStageMeasuresAndThePartsAddUpToTheSides) {
  // The estimate meter charges the process's own CPU time, so other load on the
  // machine does not move it the way it moves wall time; a factor of two absorbs
  // what noise remains. One thread: with one per core, idle worker threads spin
  // between parallel regions and charge CPU time that scales with the core count,
  // not with the stage's work (CI's machine has more cores than ours).
  std::map<std::string, double> energy;
  for (const char* stage : {"chain", "encode", "decode", "analysis", "synthesis", "entropy-encode", "entropy-decode"}) {
    Result r = run_cli(std::string("measure --model Mcont --quality 1 --size 128x128 --meter estimate --json --stage ") +
                       stage + " --idle-s 0.3 --window-s 0.3 --k-min 2 --k-max 2 --preheat-max-s 0 --hot-idle-s 0 --threads 1");
    ASSERT_EQ(r.code, 0) << stage << ": " << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["stage"], stage);
    EXPECT_GT(j["energy_j"].get<double>(), 0) << stage;
    energy[stage] = j["energy_j"].get<double>();
  }
  const double encode_parts = energy["analysis"] + energy["entropy-encode"];
  const double decode_parts = energy["entropy-decode"] + energy["synthesis"];
  EXPECT_GT(energy["encode"], 0.5 * encode_parts);
  EXPECT_LT(energy["encode"], 2.0 * encode_parts);
  EXPECT_GT(energy["decode"], 0.5 * decode_parts);
  EXPECT_LT(energy["decode"], 2.0 * decode_parts);
  // The encoder is more than its analysis transform: the serial context pass and
  // the coder cost several times g_a. (Against the synthesis no order holds on
  // every LibTorch: 1.13's slow transposed convolutions make g_s the larger.)
  EXPECT_GT(energy["encode"], 1.5 * energy["analysis"]);
  expect_one_line_error("measure --model Mcont --quality 1 --size 128x128 --meter estimate --stage squash", "unknown stage 'squash'");
}

// The campaign's `stages` key end to end: each stage a row with its own kMAC;
// the report's encode-against-decode table, even where the chain's one size is
// too few points for Eq. (2); fit refusing stages alone.
TEST(CliStages, CampaignMeasuresEachStageAndTheReportComparesThem) {
  test_util::TempDir dir("campaign_stages");
  const std::string config = dir.file("s.toml"), csv = dir.file("s.csv");
  test_util::spit(config, "[campaign]\nname = \"s\"\noutput = \"" + csv + "\"\nmeter = \"estimate\"\n"
                          "models = [\"Mcont\"]\nqualities = [1]\nstages = [\"chain\", \"encode\", \"decode\"]\n"
                          "[protocol]\nidle_s = 0.3\nwindow_s = 0.3\nk_min = 2\nk_max = 2\npreheat_max_s = 0\n"
                          "hot_idle_s = 0\n[[images]]\nsizes = [\"64x64\"]\nfrom = \"" +
                          std::filesystem::absolute("data/images").string() + "\"\nmethod = \"mosaic\"\n");
  Result r = run_cli("campaign " + config + " --threads 1");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto rows = read_results(csv);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].stage, "chain");
  EXPECT_EQ(rows[1].stage, "encode");
  EXPECT_EQ(rows[2].stage, "decode");
  for (const auto& row : rows) {
    EXPECT_GT(row.energy_j, 0) << row.stage;
    EXPECT_EQ(row.host_meter, "") << "the CPU's own meter is the host's";
    ASSERT_TRUE(row.kmac_per_px) << row.stage;
  }
  EXPECT_NEAR(*rows[0].kmac_per_px, 177.452, 1e-6);
  EXPECT_NEAR(*rows[1].kmac_per_px, 79.2 + 2.421 + 5.463 + 7.2 + 3.968, 1e-6) << "the encoder's count, not the chain's";
  EXPECT_NEAR(*rows[2].kmac_per_px, 79.2 + 5.463 + 7.2 + 3.968, 1e-6);

  const std::string out = dir.file("report");
  Result report = run_cli("report " + csv + " --output " + out);
  ASSERT_EQ(report.code, 0) << report.err;
  EXPECT_NE(report.err.find("no Eq. (2) fits"), std::string::npos) << report.err;
  const CsvText stages = parse_csv(test_util::slurp(out + "/stages.csv"), "stages.csv");
  ASSERT_EQ(stages.rows.size(), 2u) << "header and the one point";
  const auto cell = [&](const std::string& name) {
    const auto& header = stages.rows[0].fields;
    for (size_t i = 0; i < header.size(); ++i)
      if (header[i] == name) return stages.rows[1].fields[i];
    return std::string("(no column)");
  };
  EXPECT_EQ(cell("Network"), "Mcont");
  EXPECT_FALSE(cell("chain J").empty()) << "the chain, too few points for a fit, is still the table's column";
  EXPECT_FALSE(cell("decode/encode").empty());
  EXPECT_NE(test_util::slurp(out + "/index.html").find("Encode against decode"), std::string::npos);
  // Only a failing fit falls back to the table; a bad coefficients file is still an error.
  Result bad_coeffs = run_cli("report " + csv + " --output " + dir.file("report3") + " --coeffs " + dir.file("missing.json"));
  EXPECT_NE(bad_coeffs.code, 0) << bad_coeffs.err;
  EXPECT_NE(bad_coeffs.err.find("error:"), std::string::npos) << bad_coeffs.err;
  EXPECT_NE(bad_coeffs.err.find("missing.json"), std::string::npos) << bad_coeffs.err;
  Result fit = run_cli("fit " + csv);
  EXPECT_NE(fit.code, 0);
  EXPECT_NE(fit.err.find("need at least 3"), std::string::npos) << fit.err;

  // Stages alone: the report's table only, and fit refuses them.
  const std::string only = dir.file("only.csv");
  append_record(only, rows[1]);
  append_record(only, rows[2]);
  Result alone = run_cli("report " + only + " --output " + dir.file("report2"));
  ASSERT_EQ(alone.code, 0) << alone.err;
  EXPECT_NE(alone.err.find("encode-against-decode table only"), std::string::npos) << alone.err;
  expect_one_line_error("fit " + only, "no measurements of the chain");
}
