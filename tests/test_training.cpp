// `nicenergy train`: the loss falls, checkpoints round-trip and resume to the
// state an uninterrupted run reaches, and bad settings get one line.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <torch/torch.h>

#include <chrono>
#include <thread>

#include "error.h"
#include "meters/power_meter.h"
#include "models/network.h"
#include "models/weights.h"
#include "platform/runtime.h"
#include "test_util.h"
#include "training/crops.h"
#include "training/rate_distortion.h"
#include "training/trainer.h"
#include "training/training_csv.h"

using namespace nicenergy;

namespace {

// Small enough for a test: Bfac at crops of 32 px, one thread so the run is
// deterministic and the estimate meter charges only this work.
TrainSettings tiny(const std::string& output, int64_t iterations) {
  TrainSettings s;
  s.model = "Bfac";
  s.quality = 1;
  s.data = "data/images";
  s.output = output;
  s.iterations = iterations;
  s.batch_size = 4;
  s.crop_px = 32;
  s.window_iterations = 4;
  s.checkpoint_iterations = 4;
  s.idle_s = 0;
  return s;
}

// The rate-distortion loss of fixed crops under a fixed noise draw.
double loss_on(NetworkImpl& network, const torch::Tensor& x) {
  torch::NoGradGuard no_grad;
  torch::manual_seed(7);
  return rate_distortion_loss(network.forward_training(x), x, zoo_lambda(1)).loss.item<double>();
}

}  // namespace

TEST(Training, CropsAreInformativeAndDeterministic) {
  const CropSampler crops("data/images", 32);
  const torch::Tensor a = crops.batch(4, 3, 10), b = crops.batch(4, 3, 10), c = crops.batch(4, 3, 11);
  EXPECT_EQ(a.sizes(), (std::vector<int64_t>{4, 3, 32, 32}));
  EXPECT_TRUE(torch::equal(a, b));
  EXPECT_FALSE(torch::equal(a, c));
  EXPECT_GT(a.std().item<double>(), 0.05);  // photographs, not flat fields
  EXPECT_GE(a.min().item<double>(), 0.0);
  EXPECT_LE(a.max().item<double>(), 1.0);
}

TEST(Training, AFewIterationsOnTinyCropsLowerTheLoss) {
  set_threads(1);
  test_util::TempDir dir("train");
  const TrainSettings s = tiny(dir.file("b.safetensors"), 24);
  const CropSampler crops("data/images", 32);
  const torch::Tensor x = crops.batch(4, 99, 0);  // crops the training never drew (other seed)
  ASSERT_GT(x.std().item<double>(), 0.05);
  Network before = make_network("Bfac", 1, s.seed);
  const double loss_before = loss_on(*before, x);

  auto meter = open_meter("estimate");
  const TrainResult r = train(s, *meter);
  EXPECT_EQ(r.iteration_end, 24);
  EXPECT_FALSE(r.interrupted);
  EXPECT_TRUE(r.estimate);
  EXPECT_GT(r.energy_j, 0);

  Network after = make_network("Bfac", 1, s.seed);
  load_weights(*after, s.output);
  const double loss_after = loss_on(*after, x);
  EXPECT_LT(loss_after, 0.9 * loss_before) << "before " << loss_before << ", after " << loss_after;

  // The log has one row per window, in order, with energy and the loss falling.
  const std::vector<TrainingWindow> rows = read_training_csv(default_training_log(s.output));
  ASSERT_EQ(rows.size(), 6u);
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i].iteration_begin, static_cast<int64_t>(4 * i));
    EXPECT_EQ(rows[i].iterations(), 4);
    EXPECT_GT(rows[i].energy_per_iteration_j, 0);
    EXPECT_TRUE(rows[i].estimate);
    EXPECT_EQ(rows[i].abbr, "Bfac");
  }
  EXPECT_LT(rows.back().loss, rows.front().loss);

  // The checkpoint records its training for `lifecycle` and for readers of the weights.
  const auto meta = weights_metadata(s.output);
  EXPECT_EQ(meta.at("network"), "bmshj2018_factorized");
  EXPECT_GT(std::stod(meta.at("training_energy_j")), 0);
  EXPECT_EQ(meta.at("training_meter"), "estimate");  // once, not "estimate (estimate)"
}

TEST(Training, ACheckpointResumesToTheStateOfAnUninterruptedRun) {
  set_threads(1);
  test_util::TempDir dir("train");
  auto meter = open_meter("estimate");
  const TrainSettings straight = tiny(dir.file("straight.safetensors"), 16);
  train(straight, *meter);

  TrainSettings first = tiny(dir.file("resumed.safetensors"), 8);
  train(first, *meter);
  TrainSettings rest = first;
  rest.iterations = 16;
  rest.resume = true;
  const TrainResult r = train(rest, *meter);
  EXPECT_EQ(r.iteration_begin, 8);
  EXPECT_EQ(r.iteration_end, 16);

  Network a = make_network("Bfac", 1, 0), b = make_network("Bfac", 1, 0);
  load_weights(*a, straight.output);
  load_weights(*b, rest.output);
  const auto pa = a->named_parameters(), pb = b->named_parameters();
  ASSERT_EQ(pa.size(), pb.size());
  bool any_trained = false;
  Network init = make_network("Bfac", 1, 0);
  const auto p0 = init->named_parameters();
  for (const auto& item : pa) {
    EXPECT_TRUE(torch::allclose(item.value(), pb[item.key()], 1e-5, 1e-6)) << item.key();
    any_trained = any_trained || !torch::equal(item.value(), p0[item.key()]);
  }
  EXPECT_TRUE(any_trained) << "training changed no weight: the comparison would prove nothing";
  EXPECT_EQ(read_training_csv(default_training_log(rest.output)).size(), 4u);

  // Other settings cannot continue that checkpoint, nor can a fresh run overwrite it.
  TrainSettings other = rest;
  other.iterations = 20;
  other.crop_px = 48;
  EXPECT_NE(test_util::error_of([&] { train(other, *meter); }).find("crop_px"), std::string::npos);
  TrainSettings again = first;
  EXPECT_NE(test_util::error_of([&] { train(again, *meter); }).find("--resume"), std::string::npos);
}

// CompressAI itself loads a checkpoint of `train` (strictly: every name and
// shape) and its eval forward gives our rate on the same crop.
TEST(Training, CompressAILoadsTheCheckpoint) {
#ifndef NICENERGY_PYTHON
  GTEST_SKIP() << "built without NICENERGY_PYTHON: no CompressAI to load the checkpoint";
#else
  const std::string python = NICENERGY_PYTHON;
  if (!std::filesystem::exists(python) ||
      std::system(("'" + python + "' -c 'import compressai, safetensors' >/dev/null 2>&1").c_str()) != 0)
    GTEST_SKIP() << python << " cannot import compressai and safetensors: nothing to load the checkpoint with";
  set_threads(1);
  test_util::TempDir dir("train");
  auto meter = open_meter("estimate");
  const TrainSettings s = tiny(dir.file("b.safetensors"), 4);
  train(s, *meter);
  const CropSampler crops("data/images", 64);
  const torch::Tensor x = crops.batch(1, 5, 0);
  ASSERT_GT(x.std().item<double>(), 0.05);
  Network ours = make_network("Bfac", 1, 0);
  load_weights(*ours, s.output);
  ours->eval();
  double bpp = 0;
  {
    torch::NoGradGuard no_grad;
    bpp = rate_distortion_loss(ours->forward(x), x, zoo_lambda(1)).bpp.item<double>();
  }
  ASSERT_GT(bpp, 0.01);
  const torch::Tensor raw = x.contiguous().to(torch::kFloat32);
  test_util::spit(dir.file("x.f32"), std::string(static_cast<const char*>(raw.data_ptr()), raw.numel() * sizeof(float)));
  const std::string script =
      "import sys, torch\n"
      "from safetensors.torch import load_file\n"
      "from compressai.zoo import bmshj2018_factorized\n"
      "net = bmshj2018_factorized(quality=1)\n"
      "net.load_state_dict(load_file(sys.argv[1]))\n"
      "net.eval()\n"
      "x = torch.frombuffer(bytearray(open(sys.argv[2], 'rb').read()), dtype=torch.float32).reshape(1, 3, 64, 64)\n"
      "with torch.no_grad():\n"
      "    out = net(x)\n"
      "bits = sum(-torch.log2(l).sum() for l in out['likelihoods'].values())\n"
      "print(float(bits / (x.shape[2] * x.shape[3])))\n";
  test_util::spit(dir.file("load.py"), script);
  const std::string out = dir.file("out.txt");
  const int code = std::system(("'" + python + "' " + dir.file("load.py") + " " + s.output + " " + dir.file("x.f32") + " >" +
                                out + " 2>&1").c_str());
  const std::string printed = test_util::slurp(out);
  ASSERT_EQ(code, 0) << printed;
  EXPECT_NEAR(std::stod(printed), bpp, 1e-4 * bpp) << printed;
#endif
}

TEST(Training, ResumeDropsLogRowsTheCheckpointDoesNotHold) {
  test_util::TempDir dir("train");
  TrainingWindow w;
  w.network = "bmshj2018_factorized";
  w.abbr = "Bfac";
  w.quality = 1;
  w.device = "cpu";
  w.meter = "estimate";
  w.energy_method = "estimate";
  w.estimate = true;
  w.batch_size = 2;
  w.crop_px = 32;
  std::string text = training_csv_header();
  for (int64_t begin : {0, 4, 8}) {
    w.iteration_begin = begin;
    w.iteration_end = begin + 4;
    w.duration_s = 1;
    w.energy_j = w.dynamic_energy_j = 10.0 + static_cast<double>(begin);
    w.energy_per_iteration_j = w.energy_j / 4;
    text += training_csv_row(w);
  }
  test_util::spit(dir.file("log.csv"), text + "bmshj2018_factorized,Bfac,1,cp");  // a torn last append
  EXPECT_EQ(read_training_csv(dir.file("log.csv")).size(), 3u);
  const auto kept = truncate_training_csv(dir.file("log.csv"), 8);
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_EQ(kept.back().iteration_end, 8);
  EXPECT_DOUBLE_EQ(kept.back().energy_j, 14.0);
  EXPECT_EQ(read_training_csv(dir.file("log.csv")).size(), 2u);
}

TEST(CliTrain, BadInputGetsOneLine) {
  test_util::TempDir dir("train");
  const std::string out = " --meter estimate --output " + dir.file("b.safetensors");
  expect_one_line_error("train --model Bfac --quality 1 --data " + dir.path.string() + out, "holds no PNG or JPEG");
  expect_one_line_error("train --model Bfac --quality 1 --data data/images --crop-px 1024" + out, "smaller than");
  expect_one_line_error("train --model Bfac --quality 1 --data data/images --lambda -0.5" + out, "--lambda");
  expect_one_line_error("train --model Bfac --quality 1 --data data/images --lambda nan" + out, "--lambda");
  expect_one_line_error("train --model Bfac --quality 1 --data data/images --crop-px 40" + out, "multiple of 16");
  expect_one_line_error("train --model Bfac --quality 9 --data data/images" + out, "quality");
  expect_one_line_error("train --model Nope --quality 1 --data data/images" + out, "Nope");
  expect_one_line_error("train --model Bfac --quality 1 --data data/images/kodim01.png" + out, "folder");
}

TEST(CliTrain, TrainsResumesAndRunLoadsTheCheckpoint) {
  test_util::TempDir dir("train");
  const std::string common = "train --model Bfac --quality 1 --data data/images --batch-size 2 --crop-px 32 --idle-s 0 "
                             "--window-iterations 2 --checkpoint-iterations 2 --meter estimate --threads 1 --output " +
                             dir.file("new/folder/b.safetensors");  // folders made as needed
  Result r = run_cli(common + " --iterations 4");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("J/it (estimate)"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("estimate"), std::string::npos) << r.out;
  r = run_cli(common + " --iterations 6");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find("--resume"), std::string::npos) << r.err;
  r = run_cli(common + " --iterations 6 --resume");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("4 to 6"), std::string::npos) << r.out;
  EXPECT_EQ(read_training_csv(dir.file("new/folder/b.csv")).size(), 3u);
  r = run_cli("run --model Bfac --quality 1 --weights " + dir.file("new/folder/b.safetensors") + " --threads 1 --input data/images/kodim01.png");
  EXPECT_EQ(r.code, 0) << r.err;
}

// An unclosed quote in a middle row of the log: the resume once kept the rows
// before it, silently dropped the finished windows after it and trained on; now
// it is refused in one line naming the line, and the log is left as it was.
TEST(CliTrain, ResumeRefusesALogDamagedInTheMiddle) {
  test_util::TempDir dir("train_log");
  const std::string common = "train --model Bfac --quality 1 --data data/images --batch-size 1 --crop-px 32 --idle-s 0 "
                             "--window-iterations 2 --checkpoint-iterations 6 --meter estimate --threads 1 --output " +
                             dir.file("b.safetensors");
  Result r = run_cli(common + " --iterations 6");
  ASSERT_EQ(r.code, 0) << r.err;
  std::vector<TrainingWindow> windows = read_training_csv(dir.file("b.csv"));
  ASSERT_EQ(windows.size(), 3u);
  std::string text = training_csv_header();
  for (size_t i = 0; i < windows.size(); ++i) {
    windows[i].device = "cpu";  // no quoted field anywhere else in the file
    std::string row = training_csv_row(windows[i]);
    if (i == 1) row.insert(row.find(",estimate,") + 1, "\"");  // line 3: a quote that never closes
    text += row;
  }
  test_util::spit(dir.file("b.csv"), text);
  r = run_cli(common + " --iterations 8 --resume");
  EXPECT_NE(r.code, 0) << r.out;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find("b.csv' line 3"), std::string::npos) << r.err;
  EXPECT_EQ(test_util::slurp(dir.file("b.csv")), text);
}

// Every image of --data is decoded into memory: their headers are summed first
// against a budget of decoded pixels (eight small PNGs of 10000x9900 once took
// 2.8 GB, and 25 ended in a bare std::bad_alloc), refused in one line naming
// the folder and the budget. And a resume on another folder is refused.
TEST(CliTrain, DataOverItsPixelBudgetOrAnotherFolderOnResumeIsRefused) {
  test_util::TempDir dir("train_data");
  std::filesystem::create_directories(dir.path / "big");
  Image photo = resize_image(test_util::kodak_image("kodim01.png"), 2000, 1500);  // 3 megapixels
  save_png(photo, dir.file("big/a.png"));
  for (const char* name : {"b.png", "c.png", "d.png"}) std::filesystem::create_hard_link(dir.file("big/a.png"), dir.file(std::string("big/") + name));
  const std::string out = " --batch-size 1 --crop-px 32 --idle-s 0 --window-iterations 1 --meter estimate --threads 1 --output ";
  expect_one_line_error("train --model Bfac --quality 1 --data " + dir.file("big") + " --max-data-megapixels 11 --iterations 2" + out + dir.file("b.safetensors"),
                        "training data '" + dir.file("big") + "' holds 12 megapixels in 4 images, over the budget of 11 megapixels");
  EXPECT_FALSE(std::filesystem::exists(dir.file("b.safetensors")));
  Result r = run_cli("train --model Bfac --quality 1 --data " + dir.file("big") + " --max-data-megapixels 12 --iterations 2" + out + dir.file("b.safetensors"));
  ASSERT_EQ(r.code, 0) << r.err;

  r = run_cli("train --model Bfac --quality 1 --data data/images" + out + dir.file("b.safetensors") + " --iterations 4 --resume");
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("was trained with training_data_folder " + std::filesystem::canonical(dir.file("big")).string()),
            std::string::npos) << r.err;
  EXPECT_EQ(read_training_csv(dir.file("b.csv")).size(), 2u);  // nothing trained on the other folder
}

namespace {

// Starts `nicenergy ARGUMENTS` as a child (exec'd at once: safe beside LibTorch's threads).
pid_t start_cli(const std::string& arguments) {
  const std::string command = "exec " + std::string(NICENERGY_CLI) + " " + arguments + " >/dev/null 2>&1";
  const pid_t child = ::fork();
  if (child == 0) {
    ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  return child;
}

// SIGKILLs the child the moment `ready` holds (polled every 0.2 ms); false if
// the child ended first or 60 s passed.
bool kill_when(pid_t child, const std::function<bool()>& ready) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (ready()) {
      ::kill(child, SIGKILL);
      ::waitpid(child, &status, 0);
      return true;
    }
    if (::waitpid(child, &status, WNOHANG) == child) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  ::kill(child, SIGKILL);
  ::waitpid(child, &status, 0);
  return false;
}

std::vector<std::string> part_files(const std::filesystem::path& folder) {
  std::vector<std::string> parts;
  for (const auto& entry : std::filesystem::directory_iterator(folder))
    if (entry.path().filename().string().find(".part") != std::string::npos) parts.push_back(entry.path().string());
  return parts;
}

}  // namespace

// SIGKILL in the middle of a save: first while a file is being written (a
// temporary of 12 to 24 MB is left), then just after the new optimizer state
// replaced the old one and before the weights followed (the halves once stayed
// at different iterations and every resume was refused). Each time --resume
// restores a consistent pair and trains on, and the temporaries are gone.
TEST(CliTrain, ResumesAfterAKillBetweenTheCheckpointFilesAndCleansTheirTemporaries) {
  test_util::TempDir dir("train_kill");
  const std::string weights = dir.file("b.safetensors"), state = weights + ".optimizer";
  const std::string common = "train --model Bfac --quality 1 --data data/images --batch-size 1 --crop-px 32 --idle-s 0 "
                             "--window-iterations 1 --checkpoint-iterations 1 --meter estimate --threads 1 --output " +
                             weights;
  // Killed while writing a temporary beside a checkpoint that exists.
  pid_t child = start_cli(common + " --iterations 100000");
  ASSERT_TRUE(kill_when(child, [&] { return std::filesystem::exists(weights) && !part_files(dir.path).empty(); }))
      << "the training ended before a save could be interrupted";
  ASSERT_FALSE(part_files(dir.path).empty());
  // The resume (which cleans them at its first save) killed, once it has saved,
  // right after a new optimizer state went in and before the weights followed.
  auto modified_ns = [](const std::string& path) -> int64_t {
    struct stat st{};
    if (::stat(path.c_str(), &st) != 0) return -1;
    return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  };
  const int64_t weights_before = modified_ns(weights);
  child = start_cli(common + " --iterations 100000 --resume");
  ASSERT_TRUE(kill_when(child, [&] {
    const int64_t w = modified_ns(weights);
    return w != weights_before && modified_ns(state) > w;
  })) << "the training ended before the optimizer state was replaced";
  const int64_t at = std::stoll(weights_metadata(weights).at("training_iterations"));
  const Result r = run_cli(common + " --iterations " + std::to_string(at + 2) + " --resume");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find(std::to_string(at) + " to " + std::to_string(at + 2)), std::string::npos) << r.out;
  EXPECT_EQ(weights_metadata(weights).at("training_iterations"), std::to_string(at + 2));
  EXPECT_TRUE(part_files(dir.path).empty()) << part_files(dir.path).front();
  EXPECT_FALSE(std::filesystem::exists(state + ".previous"));
}
