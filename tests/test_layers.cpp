// Where the joules go: each captured layer replays to the output it gave in
// the chain, the 2nd-downsampling region is the complexity's, the summary's
// sums and shares are right, and `layers` measures, records and resumes.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

#include "complexity/complexity.h"
#include "io/files.h"
#include "layers/layer_replay.h"
#include "layers/layer_results.h"
#include "models/codec.h"
#include "models/layers.h"
#include "protocol/codec_measurement.h"
#include "test_util.h"

using namespace nicenergy;

namespace {

const char* kQuick = " --idle-s 0.3 --window-s 0.05 --k-min 2 --k-max 2 --preheat-max-s 0 --threads 1";

// Every layer output of one chain run, by layer name, as the chain computed it.
std::map<std::string, torch::Tensor> chain_outputs(const CodecWorkload& w) {
  std::map<std::string, torch::Tensor> outputs;
  torch::NoGradGuard no_grad;
  LayerRecorder recorder(*w.network.ptr(), /*shape_only=*/false);
  recorder.observe_outputs([&](const std::string& name, const std::string& kind, const torch::Tensor& y) {
    if (kind != "block") outputs[name] = y.clone();
  });
  (void)w.network.ptr()->forward(w.x_padded);
  return outputs;
}

}  // namespace

TEST(LayerReplay, EachLayerAloneGivesWhatItGaveInTheChain) {
  // Trained Bfac: every layer sees an informative input. Seeded Canch rounds
  // its small latents to zero, so its synthesis sees constants: most others vary.
  struct Case {
    const char* model;
    std::string weights;
    double informative_share;
  };
  for (const Case& c : {Case{"Bfac", "data/weights/bfac-q1.safetensors", 1.0}, Case{"Canch", "", 0.5}}) {
    const char* model = c.model;
    const CodecWorkload w = make_codec_workload(model, 1, test_util::kodak_crop(), "crop", torch::kCPU, c.weights);
    const CapturedChain chain = capture_layers(w);
    const Complexity complexity = compute_complexity(*w.network.ptr(), w.x_padded.size(2), w.x_padded.size(3));
    ASSERT_EQ(chain.layers.size(), complexity.layers.size()) << model;
    const auto expected = chain_outputs(w);
    size_t compared = 0, informative = 0;
    for (size_t i = 0; i < chain.layers.size(); ++i) {
      const CapturedLayer& l = chain.layers[i];
      EXPECT_EQ(l.record.name, complexity.layers[i].layer.name);
      ASSERT_EQ(l.input.size(1), l.record.in_channels) << l.record.name;
      informative += l.input.std().item<double>() > 0;
      const torch::Tensor got = replay_layer(chain, i);
      auto it = expected.find(l.record.name);
      ASSERT_NE(it, expected.end()) << l.record.name;
      ASSERT_TRUE(got.sizes().equals(it->second.sizes())) << l.record.name;
      EXPECT_TRUE(torch::equal(got, it->second)) << model << " " << l.record.name;
      ++compared;
    }
    EXPECT_GT(compared, 10u) << model;
    EXPECT_GE(informative, c.informative_share * compared) << model << ": inputs that vary";
    // The workload runs the layer (and only it): one call, no error.
    layer_workload(chain, 0).run_once();
  }
}

TEST(LayerReplay, TheRegionAndItsMacsAreTheComplexitys) {
  const CodecWorkload w = make_codec_workload("Bfac", 1, test_util::kodak_crop(), "crop", torch::kCPU);
  const CapturedChain chain = capture_layers(w);
  const Complexity complexity = compute_complexity(*w.network.ptr(), w.x_padded.size(2), w.x_padded.size(3));
  EXPECT_NEAR(chain.macs_2nd / chain.macs, complexity.kmac_per_px_2nd / complexity.kmac_per_px, 1e-12);
  EXPECT_GT(chain.macs_2nd, 0);
  EXPECT_LT(chain.macs_2nd, chain.macs);
  std::map<std::string, bool> in_2nd;
  for (const CapturedLayer& l : chain.layers) in_2nd[l.record.name] = l.in_2nd;
  // Bfac: g_a.0 conv, g_a.1 GDN, g_a.2 conv (the 2nd downsampling) ... g_s.4 deconv, g_s.5 IGDN, g_s.6 deconv.
  EXPECT_TRUE(in_2nd.at("g_a.0"));
  EXPECT_TRUE(in_2nd.at("g_a.1")) << "the GDN between marked convolutions belongs to the region";
  EXPECT_TRUE(in_2nd.at("g_a.2"));
  EXPECT_FALSE(in_2nd.at("g_a.3"));
  EXPECT_FALSE(in_2nd.at("g_s.0"));
  EXPECT_TRUE(in_2nd.at("g_s.5"));
  EXPECT_TRUE(in_2nd.at("g_s.6"));
}

TEST(LayerReplay, SubpixelModeReplaysTheRewrittenLayerToTheSameOutput) {
  ExecutionMode subpixel;
  subpixel.subpixel = true;
  const Image crop = test_util::kodak_crop();
  const CodecWorkload reference = make_codec_workload("Bfac", 1, crop, "crop", torch::kCPU);
  const CodecWorkload rewritten = make_codec_workload("Bfac", 1, crop, "crop", torch::kCPU, "", 0, Stage::chain, subpixel);
  const CapturedChain a = capture_layers(reference), b = capture_layers(rewritten);
  ASSERT_EQ(a.layers.size(), b.layers.size());
  int deconvs = 0;
  for (size_t i = 0; i < a.layers.size(); ++i) {
    if (a.layers[i].record.type != LayerType::deconv) continue;
    ++deconvs;
    const torch::Tensor x = a.layers[i].input;
    const torch::Tensor y = replay_layer(a, i);
    // The rewritten chain's layer, replayed on the reference's input, in the sub-pixel form.
    CapturedChain on_same = b;
    on_same.layers[i].input = x;
    const torch::Tensor z = replay_layer(on_same, i);
    EXPECT_LT(((y - z).abs().max() / y.abs().max()).item<double>(), 1e-5) << a.layers[i].record.name;
  }
  EXPECT_EQ(deconvs, 4);
  EXPECT_GE(rewritten.subpixel->rewritten_layers(), 4) << "the replays went through the sub-pixel form";
}

TEST(LayerResults, SumsGapAndSharesFromHandMadeRows) {
  auto row = [](int index, const std::string& kind, double macs, bool in_2nd, double energy) {
    LayerRow r;
    r.index = index;
    r.layer = index < 0 ? "chain" : "l" + std::to_string(index);
    r.kind = kind;
    r.macs = macs;
    r.in_2nd = in_2nd;
    r.energy_j = energy;
    r.duration_s = energy / 10;
    return r;
  };
  // Convolutions: 600 MAC in the region of 1000 (60 %), 3 J of 4 J (75 %);
  // a GDN in the region at 1 J: 4 J of the 5 J layer sum; the chain 6 J.
  const std::vector<LayerRow> rows = {row(-1, "chain", 1000, false, 6.0), row(0, "conv", 400, true, 2.0),
                                      row(1, "gdn", 50, true, 1.0), row(2, "deconv", 200, true, 1.0),
                                      row(3, "conv", 400, false, 1.0)};
  const LayerSummary s = summarise_layers(rows);
  EXPECT_DOUBLE_EQ(s.layers_energy_j, 5.0);
  EXPECT_DOUBLE_EQ(s.layers_duration_s, 0.5);
  ASSERT_TRUE(s.gap_energy_j);
  EXPECT_DOUBLE_EQ(*s.gap_energy_j, 1.0);
  EXPECT_DOUBLE_EQ(*s.gap_share, 1.0 / 6.0);
  EXPECT_DOUBLE_EQ(s.macs, 1000);
  EXPECT_DOUBLE_EQ(s.share_2nd_kmac, 0.6);
  EXPECT_DOUBLE_EQ(s.share_2nd_conv_energy, 0.75);
  EXPECT_DOUBLE_EQ(s.share_2nd_energy, 0.8);
  EXPECT_DOUBLE_EQ(s.share_2nd_chain_energy, 4.0 / 6.0);
  // Without the chain's row: no gap.
  const LayerSummary without = summarise_layers({rows.begin() + 1, rows.end()});
  EXPECT_FALSE(without.gap_energy_j);
}

TEST(LayerResults, RowsRoundTripAndATornRowIsDropped) {
  test_util::TempDir dir("layer_rows");
  const std::string path = dir.file("layers.csv");
  LayerRow a;
  test_util::fill_example_run(a, "kodim01, with a comma");
  a.index = -1;
  a.layer = "chain";
  a.kind = "chain";
  a.energy_j = 0.25;
  LayerRow b = a;
  b.index = 3;
  b.layer = "g_a.3";
  b.kind = "gdn";
  b.in_2nd = true;
  b.macs = 1.5e6;
  b.energy_j = 0.0125;
  append_layer_row(path, a);
  append_layer_row(path, b);
  auto rows = read_layer_rows(path);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].image, a.image);
  EXPECT_TRUE(rows[0].is_chain());
  EXPECT_EQ(rows[1].key(), b.key());
  EXPECT_NE(rows[0].key(), rows[1].key());
  EXPECT_TRUE(rows[1].in_2nd);
  EXPECT_DOUBLE_EQ(rows[1].macs, 1.5e6);
  EXPECT_DOUBLE_EQ(rows[1].energy_j, 0.0125);
  test_util::spit(path, test_util::slurp(path) + "bmshj2018_factorized,Bfac,1,x");
  std::string note;
  const std::string torn = test_util::slurp(path);
  EXPECT_EQ(read_layer_rows(path).size(), 2u);
  EXPECT_EQ(test_util::slurp(path), torn) << "a reader changes nothing";
  rows = resume_layer_rows(path, &note);
  EXPECT_EQ(rows.size(), 2u);
  EXPECT_NE(note.find("cut short"), std::string::npos);
  EXPECT_EQ(test_util::slurp(path).size(), torn.size() - 29);
  // An unclosed quote before the last row would hide the rows after it: refused with its line.
  const std::string plain = dir.file("plain.csv");
  for (LayerRow r : {a, b}) {
    r.image = "kodim01";  // no quoted field anywhere: the damage below is the only quote
    append_layer_row(plain, r);
  }
  std::string damaged = test_util::slurp(plain);
  damaged.insert(damaged.find(",seeded 0,", damaged.find('\n') + 1) + 1, "\"");
  test_util::spit(plain, damaged);
  EXPECT_NE(test_util::error_of([&] { resume_layer_rows(plain, nullptr); }).find("line 2: a quoted field is never closed"),
            std::string::npos);
  EXPECT_EQ(test_util::slurp(plain), damaged);
  test_util::spit(path, "network,quality\nBfac,1\n");
  EXPECT_NE(test_util::error_of([&] { read_layer_rows(path); }).find("nicenergy layers --output"), std::string::npos);
}

TEST(LayersCli, MeasuresEachLayerAndTheChainAndResumes) {
  test_util::TempDir dir("layers_cli");
  // In a folder that does not exist yet: made before measuring, not found missing after.
  const std::string out = dir.file("new/folder/layers.csv");
  const std::string args = "layers --model Bfac --quality 1 --size 64x64 --meter estimate --output " + out + kQuick;
  Result r = run_cli(args);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("whole chain"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("2nd downsampling"), std::string::npos);
  EXPECT_NE(r.out.find("ESTIMATE"), std::string::npos);
  // Every energy with its interval: each layer's line, the sum, the chain and the gap.
  EXPECT_NE(r.out.find("\ng_a.0 "), std::string::npos) << r.out;
  for (const char* line : {"\ng_a.0 ", "\ng_s.6 ", "sum of the layers:", "whole chain:", "gap (chain - sum):"}) {
    const size_t at = r.out.find(line);
    ASSERT_NE(at, std::string::npos) << line;
    EXPECT_NE(r.out.substr(at + 1, r.out.find('\n', at + 1) - at - 1).find(" +- "), std::string::npos) << line;
  }
  auto rows = read_layer_rows(out);
  ASSERT_EQ(rows.size(), 15u) << "the chain and Bfac's 14 layers";
  EXPECT_TRUE(rows[0].is_chain());
  double sum = 0;
  for (const LayerRow& row : rows) {
    EXPECT_GT(row.energy_j, 0) << row.layer;
    EXPECT_GT(row.duration_s, 0) << row.layer;
    EXPECT_EQ(row.mode, "float32");
    if (!row.is_chain()) sum += row.duration_s;
  }
  EXPECT_LT(sum, 3 * rows[0].duration_s) << "the layers alone take about the chain's time";
  // A rerun measures nothing and reports the same rows.
  const std::string before = test_util::slurp(out);
  r = run_cli(args + " --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(test_util::slurp(out), before);
  EXPECT_NE(r.err.find("nothing measured"), std::string::npos) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["layers"].size(), 14u);
  EXPECT_TRUE(j["estimate"].get<bool>());
  EXPECT_GT(j["summary"]["share_2nd_kmac"].get<double>(), 0.5);
  double variance = 0;
  for (const auto& layer : j["layers"]) variance += std::pow(layer["energy_ci_j"].get<double>(), 2);
  EXPECT_NEAR(j["summary"]["layers_energy_ci_j"].get<double>(), std::sqrt(variance), 1e-12);
  EXPECT_NEAR(j["summary"]["gap_energy_ci_j"].get<double>(),
              std::hypot(j["chain"]["energy_ci_j"].get<double>(), std::sqrt(variance)), 1e-12);
  EXPECT_LT(j["summary"]["share_2nd_kmac"].get<double>(), 1.0);
  // An interrupted run resumes: drop the last three rows, and only they are measured again.
  std::string text = before;
  for (int n = 0; n < 3; ++n) text.erase(text.rfind('\n', text.size() - 2) + 1);
  test_util::spit(out, text);
  r = run_cli(args);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(read_layer_rows(out).size(), 15u);
  EXPECT_NE(r.err.find("13/15"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("12/15"), std::string::npos) << r.err;
}

TEST(LayersCli, BadInputsGetOneLine) {
  const std::string base = "layers --model Bfac --quality 1 --size 64x64 --meter estimate";
  expect_one_line_error(base + " --mode turbo", "unknown flag 'turbo'");
  expect_one_line_error(base + " --mode tf32", "--device cuda");
  expect_one_line_error("layers --model jpeg --quality 50 --size 64x64 --meter estimate", "legacy codec");
  expect_one_line_error("layers --model Bfac --quality 9 --size 64x64 --meter estimate", "quality");
  expect_one_line_error("layers --model Bfax --quality 1 --size 64x64 --meter estimate", "Bfax");
  expect_one_line_error(base + " --input data/images/kodim01.png", "--input IMAGE or --size");
  expect_one_line_error("layers --model Bfac --quality 1 --input missing.png --meter estimate", "missing.png");
}

// A file that `layers` did not write is refused in one line before anything is
// measured, and left byte for byte as it was.
TEST(LayersCli, AnOutputThatIsNotOursIsRefusedAndLeftAlone) {
  test_util::TempDir dir("layers_foreign");
  const std::string base = "layers --model Bfac --quality 1 --size 64x64 --meter estimate --output ";
  for (const std::string& text : {std::string("my notes\nsecond line, no break at its end"),
                                  std::string("a single line without a break"), std::string("a,b\n1,2\n")}) {
    const std::string path = dir.file("notes.csv");
    test_util::spit(path, text);
    expect_one_line_error(base + path + kQuick, "not a file `nicenergy layers --output` wrote");
    EXPECT_EQ(test_util::slurp(path), text);
    EXPECT_FALSE(std::filesystem::exists(path + ".lock"));
  }
}

// Two runs on one output would measure and write every layer twice: the
// second is refused, naming the holder, before it measures.
TEST(LayersCli, AnOutputInUseIsRefused) {
  test_util::TempDir dir("layers_lock");
  const std::string path = dir.file("layers.csv");
  const OutputLock other(path, "layers file '" + path + "'");  // as another run would hold it
  expect_one_line_error("layers --model Bfac --quality 1 --size 64x64 --meter estimate --output " + path + kQuick,
                        "in use by pid " + std::to_string(::getpid()));
  EXPECT_FALSE(std::filesystem::exists(path));
}
