// Energy modes: the sub-pixel rewrite equals the transposed convolution, each
// mode changes what it claims (layout, precision, grad mode), outputs are
// compared honestly, and `modes` measures, records and resumes.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "io/files.h"
#include "models/codec.h"
#include "models/layers.h"
#include "modes/chain_graph.h"
#include "modes/execution_mode.h"
#include "modes/mode_deviation.h"
#include "modes/mode_results.h"
#include "modes/mode_verdict.h"
#include "platform/torch_compat.h"
#include "protocol/codec_measurement.h"
#include "test_util.h"

using namespace nicenergy;

namespace {

const char* kQuick = " --idle-s 0.3 --window-s 0.1 --k-min 2 --k-max 3 --preheat-max-s 0 --threads 1";

torch::nn::ConvTranspose2d random_deconv(int64_t in, int64_t out, int64_t kernel, int64_t stride, bool bias) {
  torch::nn::ConvTranspose2d deconv(torch::nn::ConvTranspose2dOptions(in, out, kernel)
                                        .stride(stride)
                                        .padding(kernel / 2)
                                        .output_padding(stride - 1)
                                        .bias(bias));
  torch::NoGradGuard no_grad;
  deconv->weight.normal_(0, 0.2);
  if (bias) deconv->bias.normal_(0, 0.5);
  return deconv;
}

// A measured mode row of known energy and interval.
ModeRow energy_row(const std::string& mode, const std::string& by_design, bool exact, double energy_j, double ci_j) {
  ModeRow r;
  test_util::fill_example_run(r, "crop");
  r.mode = mode;
  r.by_design = by_design;
  r.exact = exact;
  r.energy_j = energy_j;
  r.energy_ci_j = ci_j;
  return r;
}

// The largest difference relative to the reference's largest value.
double relative_difference(const torch::Tensor& reference, const torch::Tensor& other) {
  return ((reference - other).abs().max() / reference.abs().max()).item<double>();
}


}  // namespace

TEST(SubpixelRewrite, EqualsTheTransposedConvolutionOnRandomInputsAndWeights) {
  torch::manual_seed(3);
  struct Case {
    int64_t in, out, kernel, h, w;
    bool bias;
  };
  // Kernel 5 is CompressAI's deconv(); 9 the next size with one padding for every phase.
  for (const Case& c : {Case{3, 5, 5, 7, 9, true}, Case{8, 4, 5, 16, 16, false}, Case{16, 16, 5, 5, 3, true},
                        Case{4, 6, 9, 11, 6, true}}) {
    auto deconv = random_deconv(c.in, c.out, c.kernel, 2, c.bias);
    ASSERT_TRUE(subpixel_rewritable(*deconv)) << "kernel " << c.kernel;
    const torch::Tensor x = torch::randn({2, c.in, c.h, c.w});
    ASSERT_GT(x.std().item<double>(), 0.5);
    torch::NoGradGuard no_grad;
    const torch::Tensor expected = deconv->forward(x);
    ASSERT_GT(expected.std().item<double>(), 0.1) << "an informative output";
    const torch::Tensor got = subpixel_forward(subpixel_weights(*deconv), x);
    ASSERT_TRUE(got.sizes().equals(expected.sizes()));
    EXPECT_EQ(got.size(2), 2 * c.h);
    EXPECT_LT(relative_difference(expected, got), 1e-5) << c.in << "->" << c.out << " kernel " << c.kernel;
  }
}

TEST(SubpixelRewrite, OtherShapesRunAsTheyAreAndSaySo) {
  torch::manual_seed(4);
  auto stride1 = random_deconv(4, 4, 3, 1, true);
  auto kernel3 = random_deconv(4, 4, 3, 2, true);  // its phases need different paddings
  for (auto* deconv : {stride1.get(), kernel3.get()}) {
    EXPECT_FALSE(subpixel_rewritable(*deconv));
    EXPECT_NE(test_util::error_of([&] { (void)subpixel_weights(*deconv); }).find("no exact sub-pixel form"),
              std::string::npos);
    SubpixelRewrite rewrite;
    const torch::Tensor x = torch::randn({1, 4, 6, 6});
    torch::NoGradGuard no_grad;
    EXPECT_TRUE(torch::equal(rewrite.forward(*deconv, x), deconv->forward(x)));
    EXPECT_EQ(rewrite.rewritten_layers(), 0);
  }
}

TEST(SubpixelRewrite, FollowsChangedWeights) {
  torch::manual_seed(5);
  auto deconv = random_deconv(4, 3, 5, 2, true);
  SubpixelRewrite rewrite;
  const torch::Tensor x = torch::randn({1, 4, 8, 8});
  torch::NoGradGuard no_grad;
  (void)rewrite.forward(*deconv, x);
  deconv->weight.mul_(-3);
  EXPECT_LT(relative_difference(deconv->forward(x), rewrite.forward(*deconv, x)), 1e-5);
}

TEST(Modes, SubpixelChainEqualsFloat32AndRewritesEveryTransposedConvolution) {
  const Image image = test_util::kodak_crop();
  const torch::Tensor x = image_to_tensor(image);
  // Bfac: the four of g_s; Mmean: those and the two of h_s.
  for (const auto& [model, layers] : {std::pair<std::string, int64_t>{"Bfac", 4}, {"Mmean", 6}}) {
    const CodecWorkload reference = make_codec_workload(model, 1, image, "crop", torch::kCPU, "", 1);
    ExecutionMode mode;
    mode.subpixel = true;
    const CodecWorkload rewritten = make_codec_workload(model, 1, image, "crop", torch::kCPU, "", 1, Stage::chain, mode);
    const ChainOutput a = run_chain_once(reference), b = run_chain_once(rewritten);
    EXPECT_EQ(rewritten.subpixel->rewritten_layers(), layers) << model;
    ASSERT_GT(a.x_hat.std().item<double>(), 1e-3) << model << ": an informative output";
    const ModeDeviation d = compare_outputs(a, b, x, padding_for(64, 64, reference.network->config().spec->padding));
    EXPECT_TRUE(d.exact) << model << ": max " << d.max_abs_diff << " tolerance " << d.tolerance;
    EXPECT_NEAR(d.psnr_db, d.psnr_db_float32, 1e-3);
    EXPECT_NEAR(d.bpp, d.bpp_float32, 1e-3);
  }
}

TEST(Modes, ChannelsLastTensorsAreChannelsLast) {
  const Image image = test_util::kodak_crop();
  ExecutionMode mode;
  mode.channels_last = true;
  for (const ExecutionMode& m : {ExecutionMode{}, mode}) {
    const CodecWorkload w = make_codec_workload("Canch", 1, image, "crop", torch::kCPU, "", 1, Stage::chain, m);
    EXPECT_EQ(w.x_padded.is_contiguous(torch::MemoryFormat::ChannelsLast), m.channels_last);
    for (const torch::Tensor& p : w.network->parameters())
      if (p.dim() == 4 && p.size(1) > 1 && p.size(2) * p.size(3) > 1)
        EXPECT_EQ(p.is_contiguous(torch::MemoryFormat::ChannelsLast) && !p.is_contiguous(), m.channels_last);
    LayerRecorder recorder(*w.network, false);
    int convs = 0, channels_last = 0;
    recorder.observe_outputs([&](const std::string&, const std::string& kind, const torch::Tensor& y) {
      if (kind != "conv" || y.size(1) == 1 || y.size(2) * y.size(3) == 1) return;
      ++convs;
      if (y.is_contiguous(torch::MemoryFormat::ChannelsLast) && !y.is_contiguous()) ++channels_last;
    });
    (void)run_chain_once(w);
    ASSERT_GT(convs, 10);
    EXPECT_EQ(channels_last, m.channels_last ? convs : 0) << mode_name(m);
  }
}

TEST(Modes, Bf16AutocastLowersPrecisionAndIsNotCalledExact) {
  const Image image = test_util::kodak_crop();
  const torch::Tensor x = image_to_tensor(image);
  // The shipped trained weights: PSNR and rate then mean something.
  const std::string weights = "data/weights/bfac-q1.safetensors";
  const CodecWorkload reference = make_codec_workload("Bfac", 1, image, "crop", torch::kCPU, weights);
  ExecutionMode mode;
  mode.autocast = "bf16";
  const CodecWorkload w = make_codec_workload("Bfac", 1, image, "crop", torch::kCPU, weights, 0, Stage::chain, mode);
  LayerRecorder recorder(*w.network, false);
  int bf16_outputs = 0;
  recorder.observe_outputs([&](const std::string&, const std::string& kind, const torch::Tensor& y) {
    if (kind == "conv" || kind == "deconv") bf16_outputs += y.scalar_type() == torch::kBFloat16;
  });
  const ModeDeviation d = compare_outputs(run_chain_once(reference), run_chain_once(w), x, padding_for(64, 64, 16));
  EXPECT_GT(bf16_outputs, 0) << "autocast did not run the convolutions in bfloat16";
  EXPECT_GT(d.psnr_db_float32, 15) << "the trained weights reconstruct the image (seeded ones give noise)";
  EXPECT_FALSE(d.exact) << "bf16 within float32 rounding: max " << d.max_abs_diff;
  EXPECT_LT(std::abs(d.psnr_delta_db()), 1.0);
  EXPECT_LT(std::abs(d.bpp_delta()), 0.1 * d.bpp_float32);
}

TEST(Modes, GuardSetsAndRestoresGradModeAutocastAndTf32) {
  auto& context = at::globalContext();
  const bool tf32_before = context.allowTF32CuDNN();
  ASSERT_FALSE(compat::autocast_enabled(at::kCPU));
  ASSERT_TRUE(torch::GradMode::is_enabled());
  {
    ExecutionMode mode = parse_mode("inference_mode+bf16");
    SubpixelRewrite rewrite;
    ModeGuard guard(mode, &rewrite);
    EXPECT_TRUE(c10::InferenceMode::is_enabled());
    EXPECT_TRUE(compat::autocast_enabled(at::kCPU));
    EXPECT_EQ(compat::autocast_dtype(at::kCPU), at::kBFloat16);
    EXPECT_FALSE(context.allowTF32CuDNN()) << "the reference and every non-tf32 mode are strict float32";
    EXPECT_EQ(SubpixelScope::active(), nullptr);
    EXPECT_TRUE(torch::ones({2}).is_inference());
  }
  EXPECT_FALSE(c10::InferenceMode::is_enabled());
  EXPECT_FALSE(compat::autocast_enabled(at::kCPU));
  EXPECT_EQ(context.allowTF32CuDNN(), tf32_before);
  EXPECT_TRUE(torch::GradMode::is_enabled());
  {
    SubpixelRewrite rewrite;
    ModeGuard guard(parse_mode("subpixel"), &rewrite);
    EXPECT_FALSE(torch::GradMode::is_enabled());
    EXPECT_FALSE(c10::InferenceMode::is_enabled());
    EXPECT_EQ(SubpixelScope::active(), &rewrite);
  }
  EXPECT_EQ(SubpixelScope::active(), nullptr);
}

TEST(Modes, NamesParseBackAndBadOnesAreRefused) {
  for (const ExecutionMode& m : standard_modes(torch::Device("cuda")))
    EXPECT_EQ(parse_mode(mode_name(m)), m) << mode_name(m);
  EXPECT_EQ(mode_name(parse_mode("subpixel+channels_last")), "channels_last+subpixel");
  EXPECT_EQ(mode_name(ExecutionMode{}), "float32");
  EXPECT_NE(test_util::error_of([] { parse_mode("fast"); }).find("unknown flag 'fast'"), std::string::npos);
  EXPECT_NE(test_util::error_of([] { parse_mode("bf16+fp16"); }).find("two autocast"), std::string::npos);
  EXPECT_NE(test_util::error_of([] { parse_mode("subpixel+subpixel"); }).find("twice"), std::string::npos);
  EXPECT_NE(test_util::error_of([] { parse_mode("subpixel+"); }).find("ends with '+'"), std::string::npos);
  EXPECT_NE(test_util::error_of([] { parse_mode(""); }).find("empty mode"), std::string::npos);
}

// The cuda_graph mode replays a captured chain: its output must be float32's
// (exact by design). Needs a GPU; without one, a CPU tensor is refused clearly.
TEST(Modes, CudaGraphReplaysTheChainToFloat32sOutput) {
  if (!torch::cuda::is_available()) {
    Network network = make_network("Bfac", 1, 0);
    ExecutionMode graph;
    graph.cuda_graph = true;
    const std::string error = test_util::error_of([&] {
      ChainGraph g(network, torch::rand({1, 3, 64, 64}), graph, std::make_shared<SubpixelRewrite>());
    });
    EXPECT_NE(error.find("--device cuda"), std::string::npos) << error;
    GTEST_SKIP() << "no CUDA device: the capture itself is checked where one is lent";
  }
  ExecutionMode graph;
  graph.cuda_graph = true;
  const Image image = test_util::kodak_crop();
  const std::string weights = "data/weights/bfac-q1.safetensors";
  const CodecWorkload reference = make_codec_workload("Bfac", 1, image, "crop", torch::Device("cuda"), weights);
  const CodecWorkload captured =
      make_codec_workload("Bfac", 1, image, "crop", torch::Device("cuda"), weights, 0, Stage::chain, graph);
  ASSERT_TRUE(captured.graph);
  const ChainOutput a = run_chain_once(reference), b = run_chain_once(captured);
  ASSERT_GT(a.x_hat.std().item<double>(), 0.01);
  EXPECT_LT((a.x_hat - b.x_hat).abs().max().item<double>(), 1e-4);
  captured.workload().run_once();  // a replay, timed by the protocol
}

TEST(Modes, CudaFlagsAreRefusedOnTheCpuAndLeftOutOfItsSet) {
  for (const char* text : {"fp16", "tf32", "cudnn_benchmark", "cuda_graph", "subpixel+tf32"}) {
    auto why = mode_unavailable(parse_mode(text), torch::kCPU);
    ASSERT_TRUE(why.has_value()) << text;
    EXPECT_NE(why->find("--device cuda"), std::string::npos);
    EXPECT_FALSE(mode_unavailable(parse_mode(text), torch::Device("cuda")).has_value());
  }
  const auto cpu = standard_modes(torch::kCPU);
  bool best_exact = false;
  for (const ExecutionMode& m : cpu) {
    EXPECT_FALSE(mode_unavailable(m, torch::kCPU).has_value()) << mode_name(m);
    best_exact |= m.channels_last && m.subpixel && m.inference_mode && m.autocast.empty();
  }
  EXPECT_TRUE(best_exact);
  EXPECT_GT(standard_modes(torch::Device("cuda")).size(), cpu.size());
}

TEST(ModeResults, RowsRoundTripAndATornRowIsDropped) {
  test_util::TempDir dir("modes");
  const std::string path = dir.file("modes.csv");
  ModeRow a;
  test_util::fill_example_run(a, "mosaic 64x64, of \"data\"");
  a.by_design = "reference";
  a.duration_s = 0.0123;
  a.energy_j = 0.456;
  a.energy_ci_j = 0.01;
  a.k = 3;
  a.m = 7;
  a.psnr_db = a.psnr_db_float32 = 28.5;
  a.bpp = a.bpp_float32 = 0.31;
  a.exact = true;
  ModeRow b = a;
  b.mode = "bf16";
  b.by_design = "lower precision";
  b.max_abs_diff = 0.004;
  b.exact = false;
  append_mode_row(path, a);
  append_mode_row(path, b);
  auto rows = read_mode_rows(path);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].image, a.image);
  EXPECT_EQ(rows[1].key(), b.key());
  EXPECT_DOUBLE_EQ(rows[1].max_abs_diff, 0.004);
  EXPECT_FALSE(rows[1].exact);
  EXPECT_TRUE(rows[0].estimate);
  // An interrupted append: the torn row goes, the finished ones stay.
  test_util::spit(path, test_util::slurp(path) + "bmshj2018_factorized,Bfac,1,x");
  std::string note;
  const std::string torn = test_util::slurp(path);
  EXPECT_EQ(read_mode_rows(path).size(), 2u);
  EXPECT_EQ(test_util::slurp(path), torn) << "a reader changes nothing";
  rows = resume_mode_rows(path, &note);
  EXPECT_EQ(rows.size(), 2u);
  EXPECT_NE(note.find("cut short"), std::string::npos);
  EXPECT_EQ(test_util::slurp(path).size(), torn.size() - 29) << "the torn row is cut before appending";
  // A failed mode: its reason kept, no figures; left out of the measured rows.
  ModeRow failed = b;
  failed.mode = "channels_last";
  failed.by_design = "exact";
  failed.error = "capture failed, with \"quotes\"";
  append_mode_row(path, failed);
  EXPECT_EQ(read_mode_rows(path).size(), 2u);
  rows = read_mode_rows(path, true);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[2].error, failed.error);
  EXPECT_EQ(rows[2].mode, "channels_last");
  test_util::spit(path, "network,quality\nBfac,1\n");
  EXPECT_NE(test_util::error_of([&] { read_mode_rows(path); }).find("has no column"), std::string::npos);
}

TEST(ModesCli, MeasuresEachModeAgainstFloat32AndResumes) {
  test_util::TempDir dir("modes_cli");
  // In a folder that does not exist yet: made before measuring, not found missing after.
  const std::string out = dir.file("new/folder/modes.csv");
  // Trained weights: seeded ones give an output too small for bf16's error to show.
  const std::string args =
      "modes --model Bfac --quality 1 --size 64x64 --meter estimate --modes subpixel,bf16 "
      "--weights data/weights/bfac-q1.safetensors --output " + out + kQuick;
  Result r = run_cli(args + " --plot " + dir.file("plot"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("float32"), std::string::npos) << "the reference is always measured";
  const std::string gp = test_util::slurp(dir.file("plot") + "/modes_pareto.gp");
  EXPECT_NE(gp.find("Pareto front"), std::string::npos);
  EXPECT_NE(test_util::slurp(dir.file("plot") + "/modes_pareto.dat").find("subpixel"), std::string::npos);
  EXPECT_NE(r.out.find("ESTIMATE"), std::string::npos);
  EXPECT_EQ(r.err.find("seeded"), std::string::npos) << r.err;
  auto rows = read_mode_rows(out);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].mode, "float32");
  EXPECT_EQ(rows[1].mode, "subpixel");
  EXPECT_EQ(rows[1].by_design, "exact");
  EXPECT_TRUE(rows[1].exact);
  EXPECT_EQ(rows[2].by_design, "lower precision");
  EXPECT_FALSE(rows[2].exact);
  for (const ModeRow& row : rows) {
    EXPECT_GT(row.energy_j, 0) << row.mode;
    EXPECT_GT(row.duration_s, 0) << row.mode;
  }
  // A rerun measures nothing and prints the same modes from the file.
  const std::string before = test_util::slurp(out);
  r = run_cli(args + " --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(test_util::slurp(out), before);
  EXPECT_NE(r.err.find("already"), std::string::npos);
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["modes"].size(), 3u);
  EXPECT_TRUE(j["estimate"].get<bool>());
  EXPECT_EQ(j["modes"][1]["output"], "exact");
  EXPECT_EQ(j["modes"][2]["output"].get<std::string>().rfind("lower precision", 0), 0u);
}

TEST(ModesCli, BadModesAndInputsGetOneLineAndSeededWeightsANote) {
  const std::string base = "modes --model Bfac --quality 1 --size 64x64 --meter estimate";
  expect_one_line_error(base + " --modes fp16", "--device cuda");
  expect_one_line_error(base + " --modes turbo", "unknown flag 'turbo'");
  // Seeded weights run, with a note that their deviations say little.
  Result r = run_cli(base + " --modes subpixel" + std::string(kQuick));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("seeded weights"), std::string::npos) << r.err;
  expect_one_line_error("modes --model jpeg --quality 50 --size 64x64 --meter estimate", "legacy codec");
  expect_one_line_error("modes --model Bfac --quality 9 --size 64x64 --meter estimate", "quality");
  expect_one_line_error(base + " --input data/images/kodim01.png", "--input IMAGE or --size");
  expect_one_line_error("measure --model Bfac --quality 1 --size 64x64 --meter estimate --mode subpixel --stage encode",
                        "is for the chain");
  expect_one_line_error("measure --model jpeg --quality 50 --size 64x64 --meter estimate --mode subpixel",
                        "for the built-in networks");
  test_util::TempDir dir("modes_bad");
  expect_one_line_error("report " + dir.file("r.csv") + " --modes " + dir.file("missing.csv") + " --output " +
                            dir.file("report"),
                        "missing.csv' does not exist");
  test_util::spit(dir.file("other.csv"), "network,quality\nBfac,1\n");
  expect_one_line_error("report " + dir.file("r.csv") + " --modes " + dir.file("other.csv") + " --output " +
                            dir.file("report"),
                        "nicenergy modes --output");
}

TEST(ModesCli, MeasureRecordsItsMode) {
  Result r = run_cli("measure --model Bhyp --quality 1 --size 64x64 --meter estimate --json --mode subpixel+channels_last" +
                     std::string(kQuick));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["mode"], "channels_last+subpixel");
}

TEST(ModeResults, AnOlderFileIsReadButNotAppendedTo) {
  test_util::TempDir dir("modes_older");
  const std::string path = dir.file("modes.csv");
  ModeRow a = energy_row("float32", "reference", true, 0.5, 0.01);
  append_mode_row(path, a);
  // The same file as a version without the error column wrote it.
  std::string text = test_util::slurp(path);
  text.replace(text.find(",error\n"), 7, "\n");
  ASSERT_EQ(text.back(), '\n');
  text.erase(text.size() - 2, 1);  // the row's empty error field
  test_util::spit(path, text);
  const auto rows = read_mode_rows(path);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_DOUBLE_EQ(rows[0].energy_j, 0.5);
  EXPECT_NE(test_util::error_of([&] { resume_mode_rows(path, nullptr); }).find("older nicenergy"), std::string::npos);
  EXPECT_EQ(test_util::slurp(path), text);
}

// float32 at 20 +- 25 J: a mode at 0.567 x is inside its noise, and nothing is
// called best; with float32 at 20 +- 1 J, only an exact mode whose interval
// lies below float32's is.
TEST(ModeVerdict, NoBestInsideTheNoiseAndTheBestOnlyBeyondIt) {
  std::vector<ModeRow> noisy = {energy_row("float32", "reference", true, 20, 25),
                                energy_row("channels_last+inference_mode+subpixel", "exact", true, 11.34, 3)};
  ModesVerdict v = modes_verdict(noisy);
  EXPECT_EQ(v.best_exact, nullptr);
  EXPECT_FALSE(v.any_differs);
  EXPECT_EQ(v.text, "no mode differs from float32 beyond the noise");
  EXPECT_EQ(energy_order(noisy[1], noisy[0]), EnergyOrder::within_noise);

  std::vector<ModeRow> rows = {energy_row("float32", "reference", true, 20, 1),
                               energy_row("subpixel", "exact", true, 19.5, 1),          // in the noise
                               energy_row("channels_last", "exact", true, 11, 1),       // below: the best
                               energy_row("inference_mode", "exact", true, 12.5, 1),    // below, tied with it
                               energy_row("cudnn_benchmark", "exact", false, 5, 1),     // measured NOT exact
                               energy_row("bf16", "lower precision", false, 4, 1),      // not exact by design
                               energy_row("cuda_graph", "exact", true, 0, 0)};
  rows.back().error = "capture failed";  // a failed mode is no candidate
  v = modes_verdict(rows);
  ASSERT_NE(v.best_exact, nullptr);
  EXPECT_EQ(v.best_exact->mode, "channels_last");
  EXPECT_EQ(v.reference, &rows[0]);
  EXPECT_NE(v.text.find("best exact mode: channels_last, 0.550 +- 0.057 x"), std::string::npos) << v.text;
  EXPECT_NE(v.text.find("not told apart from inference_mode"), std::string::npos) << v.text;
  const auto ratio = energy_ratio(rows[2], rows[0]);
  ASSERT_TRUE(ratio);
  EXPECT_NEAR(ratio->ci, std::hypot(1.0 / 20, 0.55 / 20), 1e-12);
  EXPECT_EQ(energy_order(rows[5], rows[0]), EnergyOrder::lower);
  EXPECT_EQ(energy_order(rows[0], rows[5]), EnergyOrder::higher);

  // Only modes that are not exact lie beyond the noise: no best, said so.
  v = modes_verdict({rows[0], rows[1], rows[5]});
  EXPECT_EQ(v.best_exact, nullptr);
  EXPECT_EQ(v.text, "no exact mode uses less energy than float32 beyond the noise");
  // Without a measured float32 nothing is compared.
  rows[0].error = "failed";
  EXPECT_EQ(modes_verdict(rows).best_exact, nullptr);
  EXPECT_NE(modes_verdict(rows).text.find("float32 was not measured"), std::string::npos);
}

// Every energy comes with its interval, in the table and the JSON, and the
// verdict agrees with the intervals the JSON gives.
TEST(ModesCli, EnergiesCarryTheirIntervalsAndABestOnlyBeyondTheNoise) {
  const std::string args =
      "modes --model Bfac --quality 1 --size 64x64 --meter estimate --modes inference_mode,channels_last" +
      std::string(kQuick);
  Result r = run_cli(args + " --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["modes"].size(), 3u);
  const auto& f = j["modes"][0];
  ASSERT_EQ(f["mode"], "float32");
  ASSERT_GT(f["energy_ci_j"].get<double>(), 0);
  bool any_below = false;
  for (size_t i = 1; i < 3; ++i) {
    const auto& m = j["modes"][i];
    const double e = m["energy_j"], ci = m["energy_ci_j"], fe = f["energy_j"], fci = f["energy_ci_j"];
    EXPECT_NEAR(m["x_float32"].get<double>(), e / fe, 1e-9);
    EXPECT_NEAR(m["x_float32_ci"].get<double>(), std::hypot(ci / fe, e / fe * fci / fe), 1e-9);
    const std::string order = e + ci < fe - fci ? "lower" : e - ci > fe + fci ? "higher" : "in noise";
    EXPECT_EQ(m["vs_float32"], order) << m.dump();
    any_below = any_below || (order == "lower" && m["exact"].get<bool>());
  }
  EXPECT_EQ(j["best_exact_mode"].is_null(), !any_below) << j.dump();
  if (!any_below) EXPECT_NE(j["verdict"].get<std::string>().find("beyond the noise"), std::string::npos);
  // The table: each energy with its interval.
  r = run_cli(args);
  ASSERT_EQ(r.code, 0) << r.err;
  for (const char* mode : {"\nfloat32 ", "\ninference_mode ", "\nchannels_last "}) {
    const size_t at = r.out.find(mode);
    ASSERT_NE(at, std::string::npos) << mode << r.out;
    const std::string line = r.out.substr(at + 1, r.out.find('\n', at + 1) - at - 1);
    EXPECT_NE(line.find(" +- "), std::string::npos) << line;
  }
  EXPECT_TRUE(r.out.find("best exact mode: ") != std::string::npos || r.out.find("beyond the noise") != std::string::npos)
      << r.out;
}

// A file that `modes` did not write is refused in one line before anything is
// measured, and left byte for byte as it was (no lock file beside it either).
TEST(ModesCli, AnOutputThatIsNotOursIsRefusedAndLeftAlone) {
  test_util::TempDir dir("modes_foreign");
  const std::string base = "modes --model Bfac --quality 1 --size 64x64 --meter estimate --modes subpixel --output ";
  for (const std::string& text : {std::string("my notes\nsecond line, no break at its end"),
                                  std::string("a single line without a break"), std::string("a,b\n1,2\n")}) {
    const std::string path = dir.file("notes.csv");
    test_util::spit(path, text);
    expect_one_line_error(base + path + kQuick, "not a file `nicenergy modes --output` wrote");
    EXPECT_EQ(test_util::slurp(path), text);
    EXPECT_FALSE(std::filesystem::exists(path + ".lock"));
  }
}

// An unclosed quote in a middle row would hide every row after it: refused
// with its line, nothing measured, the file unchanged.
TEST(ModesCli, AnUnclosedQuoteBeforeTheLastRowIsRefusedWithItsLine) {
  test_util::TempDir dir("modes_quote");
  const std::string path = dir.file("modes.csv");
  append_mode_row(path, energy_row("float32", "reference", true, 0.5, 0.01));
  append_mode_row(path, energy_row("subpixel", "exact", true, 0.4, 0.01));
  std::string text = test_util::slurp(path);
  const size_t row2 = text.find('\n') + 1;
  text.insert(text.find(",seeded 0,", row2) + 1, "\"");  // line 2's weights: an opened, never closed quote
  test_util::spit(path, text);
  expect_one_line_error("modes --model Bfac --quality 1 --size 64x64 --meter estimate --modes subpixel --output " +
                            path + kQuick,
                        "line 2: a quoted field is never closed");
  EXPECT_EQ(test_util::slurp(path), text);
  EXPECT_NE(test_util::error_of([&] { read_mode_rows(path); }).find("line 2"), std::string::npos);
}

// Two runs on one output would measure and write every mode twice: the second
// is refused, naming the holder, before it measures.
TEST(ModesCli, AnOutputInUseIsRefused) {
  test_util::TempDir dir("modes_lock");
  const std::string path = dir.file("modes.csv");
  const OutputLock other(path, "modes file '" + path + "'");  // as another run would hold it
  expect_one_line_error("modes --model Bfac --quality 1 --size 64x64 --meter estimate --modes subpixel --output " +
                            path + kQuick,
                        "in use by pid " + std::to_string(::getpid()));
  EXPECT_FALSE(std::filesystem::exists(path));
}

// A mode that fails is recorded as failed, with its reason, and the others are
// still measured; a rerun tries it again.
TEST(ModesCli, AFailedModeIsRecordedAndTheOthersMeasured) {
  test_util::TempDir dir("modes_failed");
  const std::string out = dir.file("modes.csv");
  const std::string args = "modes --model Bfac --quality 1 --size 64x64 --meter estimate --modes subpixel,inference_mode "
                           "--output " + out + kQuick;
  Result r = test_util::run_command("NICENERGY_TEST_FAIL_MODE=subpixel " + std::string(NICENERGY_CLI) + " " + args);
  EXPECT_EQ(r.code, 1) << r.err;
  const size_t line = r.out.find("\nsubpixel ");
  ASSERT_NE(line, std::string::npos) << r.out;
  EXPECT_NE(r.out.substr(line, r.out.find('\n', line + 1) - line).find(" FAILED: mode subpixel failed on purpose"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.err.find("1 of 3 modes failed"), std::string::npos) << r.err;
  auto rows = read_mode_rows(out, true);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[1].mode, "subpixel");
  EXPECT_NE(rows[1].error.find("on purpose"), std::string::npos);
  EXPECT_EQ(rows[2].mode, "inference_mode");
  EXPECT_FALSE(rows[2].failed());
  EXPECT_GT(rows[2].energy_j, 0);
  // The rerun measures the failed mode only.
  r = run_cli(args + " --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("mode 2/3 subpixel\n"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("mode 3/3 inference_mode: in"), std::string::npos) << r.err;
  EXPECT_EQ(read_mode_rows(out).size(), 3u);
  EXPECT_EQ(nlohmann::json::parse(r.out)["modes"][1]["output"], "exact");
}
