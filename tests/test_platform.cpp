// The LibTorch platform: versions and threads in every record, CPU threads,
// CUDA determinism settings, and the CUDA device refused cleanly without a GPU.
#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <torch/version.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <nlohmann/json.hpp>

#include "test_util.h"
#include "error.h"
#include "platform/host.h"
#include "platform/runtime.h"
#include "platform/torch_compat.h"
#include "protocol/record.h"
#include "protocol/results_csv.h"

using namespace nicenergy;
namespace fs = std::filesystem;

TEST(Platform, RuntimeInfoNamesThisLibTorch) {
  const RuntimeInfo info = runtime_info();
  EXPECT_EQ(info.libtorch, TORCH_VERSION);
  EXPECT_GE(info.threads, 1);
#ifdef NICENERGY_WITH_CUDA
  // A CUDA LibTorch knows its CUDA runtime even where no GPU is present.
  EXPECT_FALSE(info.cuda.empty());
#else
  EXPECT_TRUE(info.cuda.empty());
#endif
}

TEST(Platform, ThreadsAreSetAndReported) {
  const int before = at::get_num_threads();
  set_threads(1);
  EXPECT_EQ(runtime_info().threads, 1);
  EXPECT_EQ(at::get_num_threads(), 1);
  EXPECT_THROW(set_threads(-3), Error);
  set_threads(before);
}

TEST(Platform, ConvPaddingReadsTheSameOnEveryLibTorch) {
  torch::nn::Conv2d conv(torch::nn::Conv2dOptions(3, 4, 5).stride(2).padding(2));
  EXPECT_EQ(compat::padding_of(conv->options.padding()), 2);
  torch::nn::Conv2d zero(torch::nn::Conv2dOptions(3, 4, 1));
  EXPECT_EQ(compat::padding_of(zero->options.padding()), 0);
}

TEST(Platform, DeterministicModeSetsEveryKnob) {
  unsetenv("CUBLAS_WORKSPACE_CONFIG");
  set_deterministic(true);
  ASSERT_NE(std::getenv("CUBLAS_WORKSPACE_CONFIG"), nullptr);
  EXPECT_STREQ(std::getenv("CUBLAS_WORKSPACE_CONFIG"), ":4096:8");
  EXPECT_TRUE(at::globalContext().deterministicCuDNN());
  EXPECT_FALSE(at::globalContext().benchmarkCuDNN());
  EXPECT_TRUE(at::globalContext().deterministicAlgorithms());
  set_deterministic(false);
  EXPECT_FALSE(at::globalContext().deterministicCuDNN());
  EXPECT_TRUE(at::globalContext().benchmarkCuDNN());
  EXPECT_FALSE(at::globalContext().deterministicAlgorithms());
  // A user's own cuBLAS setting is kept.
  setenv("CUBLAS_WORKSPACE_CONFIG", ":16:8", 1);
  set_deterministic(true);
  EXPECT_STREQ(std::getenv("CUBLAS_WORKSPACE_CONFIG"), ":16:8");
  unsetenv("CUBLAS_WORKSPACE_CONFIG");
}

TEST(Platform, ResultsWrittenBeforeTheRuntimeColumnsStillRead) {
  const fs::path dir = fs::temp_directory_path() / ("nicenergy_platform_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string path = (dir / "old.csv").string();
  std::string header, row;
  for (const auto& c : measurement_columns())
    if (!is_optional_column(c)) header += (header.empty() ? "" : ",") + c;
  row = "bmshj2018_factorized,Bfac,1,low,a.png,64,32,2048,64,32,0.5,0.01,3,10,0.1,20,30,estimate,estimate,cpu,"
        "2026-11-23T10:00:00Z";
  std::ofstream(path) << header << "\n" << row << "\n";
  const auto records = read_results(path);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].energy_j, 0.5);
  EXPECT_TRUE(records[0].libtorch.empty());
  EXPECT_EQ(records[0].threads, 0);
  fs::remove_all(dir);
}

TEST(CliPlatform, VersionNamesLibTorchAndCudaPaths) {
  Result r = run_cli("version --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["libtorch"], TORCH_VERSION);
#ifdef NICENERGY_WITH_CUDA
  EXPECT_TRUE(j["cuda_paths"].get<bool>());
#else
  EXPECT_FALSE(j["cuda_paths"].get<bool>());
#endif
  // The CLI fixes cuBLAS's workspace at start-up, before CUDA can start.
  EXPECT_FALSE(j["cublas_workspace_config"].get<std::string>().empty());
}

TEST(CliPlatform, RecordSaysWhichRuntimeRan) {
  Result r = run_cli("measure --model Bfac --quality 1 --size 64x48 --meter estimate --json --threads 1"
                     " --idle-s 0.3 --window-s 0.1 --k-min 2 --k-max 2 --preheat-max-s 0");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["libtorch"], TORCH_VERSION);
  EXPECT_EQ(j["threads"], 1);
  EXPECT_TRUE(j.contains("cuda"));
  EXPECT_TRUE(j.contains("cudnn"));
}

TEST(CliPlatform, RunReportsItsThreads) {
  Result r = run_cli("run --model Bfac --quality 1 --input data/images/kodim03.png --threads 1");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("1 threads"), std::string::npos) << r.out;
}

TEST(CliPlatform, BadThreadsAndMissingGpuGiveOneLine) {
  expect_one_line_error("run --model Bfac --quality 1 --input data/images/kodim03.png --threads -2", "--threads");
  expect_one_line_error("run --model Bfac --quality 1 --input data/images/kodim03.png --threads two", "--threads");
  if (!torch::cuda::is_available()) {
    expect_one_line_error("run --model Bfac --quality 1 --input data/images/kodim03.png --device cuda", "use --device cpu");
    expect_one_line_error("measure --model Bfac --quality 1 --size 64x48 --device cuda --meter estimate", "use --device cpu");
  }
}

// Slurm's variables for one test (the CLI inherits them), put back after.
class SlurmEnv {
 public:
  SlurmEnv() {
    for (const char* n : kNames) {
      const char* v = std::getenv(n);
      saved_[n] = v ? std::optional<std::string>(v) : std::nullopt;
      ::unsetenv(n);
    }
  }
  ~SlurmEnv() {
    for (const auto& [n, v] : saved_) {
      if (v) ::setenv(n.c_str(), v->c_str(), 1);
      else ::unsetenv(n.c_str());
    }
  }

 private:
  static constexpr const char* kNames[] = {"SLURMD_NODENAME", "SLURM_ARRAY_JOB_ID", "SLURM_ARRAY_TASK_ID",
                                           "SLURM_JOB_ID"};
  std::map<std::string, std::optional<std::string>> saved_;
};

// Issue 18: the node and Slurm job of a record, from the variables Slurm sets in
// a task (SLURMD_NODENAME, SLURM_ARRAY_JOB_ID/SLURM_ARRAY_TASK_ID, SLURM_JOB_ID).
TEST(Platform, NodeAndSlurmJobFromSlurmsVariables) {
  SlurmEnv env;
  char host[256] = {0};
  ASSERT_EQ(::gethostname(host, sizeof host - 1), 0);
  EXPECT_EQ(node_name(), host) << "outside Slurm: the host name";
  EXPECT_EQ(slurm_job(), "");
  ::setenv("SLURMD_NODENAME", "gpu07", 1);
  ::setenv("SLURM_JOB_ID", "1236", 1);
  EXPECT_EQ(node_name(), "gpu07");
  EXPECT_EQ(slurm_job(), "1236") << "a plain job";
  ::setenv("SLURM_ARRAY_JOB_ID", "1234", 1);
  ::setenv("SLURM_ARRAY_TASK_ID", "2", 1);
  EXPECT_EQ(slurm_job(), "1234_2") << "an array task, as squeue, sacct and scancel name it";
}

TEST(CliPlatform, RecordSaysWhereItRan) {
  SlurmEnv env;
  ::setenv("SLURMD_NODENAME", "gpu07", 1);
  ::setenv("SLURM_ARRAY_JOB_ID", "1234", 1);
  ::setenv("SLURM_ARRAY_TASK_ID", "2", 1);
  ::setenv("SLURM_JOB_ID", "1236", 1);
  Result r = run_cli("measure --model Bfac --quality 1 --size 64x48 --meter estimate --json --threads 1"
                     " --idle-s 0.3 --window-s 0.1 --k-min 2 --k-max 2 --preheat-max-s 0");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["node"], "gpu07");
  EXPECT_EQ(j["slurm_job"], "1234_2");
  EXPECT_EQ(j["gpu"], "") << "a CPU run";
  EXPECT_EQ(j["gpu_uuid"], "");
}
