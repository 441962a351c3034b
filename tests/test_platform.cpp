// The LibTorch platform: versions and threads in every record, CPU threads,
// CUDA determinism settings, and the CUDA device refused cleanly without a GPU.
#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <torch/version.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <thread>
#include <nlohmann/json.hpp>

#include "test_util.h"
#include "error.h"
#include "platform/host.h"
#include "platform/runtime.h"
#include "platform/torch_compat.h"
#include "protocol/command_workload.h"
#include "protocol/record.h"
#include "protocol/results_csv.h"

extern char** environ;

using namespace nicenergy;
namespace fs = std::filesystem;
using test_util::error_of;
using test_util::TempDir;

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
  // A real launch: what main() sets before anything else is the point.
  Result r = run_cli_process("version --json");
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

namespace {

// Started without a shell, its output discarded, SIGINT and SIGTERM at their
// defaults (whatever this test inherited); -1 when it cannot start.
pid_t spawn_quietly(const std::vector<std::string>& words) {
  std::vector<char*> argv;
  for (const std::string& w : words) argv.push_back(const_cast<char*>(w.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGTERM);
  posix_spawnattr_setsigdefault(&attributes, &defaults);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGDEF);
  pid_t pid = -1;
  if (posix_spawn(&pid, argv[0], &actions, &attributes, argv.data(), environ) != 0) pid = -1;
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  return pid;
}

// Whether pid has ended within seconds_s: our child reaped (its status in *status),
// anyone else's gone or a zombie. One still running is then killed, not left behind.
bool gone_within(pid_t pid, double seconds_s, int* status = nullptr) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds_s);
  int ignored = 0;
  do {
    const pid_t reaped = ::waitpid(pid, status ? status : &ignored, WNOHANG);
    if (reaped == pid) return true;
    if (reaped < 0) {  // not our child
      if (::kill(pid, 0) != 0 && errno == ESRCH) return true;
      std::string stat = test_util::slurp("/proc/" + std::to_string(pid) + "/stat");
      const size_t paren = stat.rfind(')');
      if (paren != std::string::npos && paren + 2 < stat.size() && (stat[paren + 2] == 'Z' || stat[paren + 2] == 'X'))
        return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  } while (std::chrono::steady_clock::now() < deadline);
  ::kill(pid, SIGKILL);
  return false;
}

}  // namespace

// ---- commands run by exec and campaigns: time limit, no terminal, no orphans ----

// Defect: a command reading its inherited stdin, a stopped one, or one that never
// ends hung exec for ever. Each now ends within its limit, named in one Error.
TEST(RunCommand, StdinIsDevNullAndHangingOrStoppedCommandsAreKilled) {
  using clock = std::chrono::steady_clock;
  // cat reads /dev/null: it ends at once, whatever this process's stdin is.
  EXPECT_NO_THROW(run_command_once({"cat"}, 10));
  auto start = clock::now();
  const std::string slow = error_of([] { run_command_once({"sleep", "30"}, 0.3); });
  EXPECT_LT(std::chrono::duration<double>(clock::now() - start).count(), 5);
  EXPECT_NE(slow.find("'sleep 30'"), std::string::npos) << slow;
  EXPECT_NE(slow.find("0.3 s limit"), std::string::npos) << slow;
  EXPECT_EQ(slow.find('\n'), std::string::npos) << slow;
  start = clock::now();
  const std::string stopped = error_of([] { run_command_once({"sh", "-c", "kill -STOP $$"}, 30); });
  EXPECT_LT(std::chrono::duration<double>(clock::now() - start).count(), 5) << "a stopped command was waited for";
  EXPECT_NE(stopped.find("stopped"), std::string::npos) << stopped;
  // The time limit takes the command's whole process group: the shell's child too.
  const TempDir dir("orphans");
  const std::string pids = dir.file("pid");
  (void)error_of([&] { run_command_once({"sh", "-c", "sleep 30 & echo $! > " + pids + "; wait"}, 0.5); });
  pid_t sleeper = 0;
  std::ifstream(pids) >> sleeper;
  ASSERT_GT(sleeper, 0);
  EXPECT_TRUE(gone_within(sleeper, 5)) << "the command's child outlived the time limit";
}

// Defect: SIGTERM or SIGINT to nicenergy left the command it was measuring running,
// an orphan. Now the command's process group goes first, and nicenergy still ends
// by the signal.
TEST(CliExec, SignalledExecLeavesNoCommandBehind) {
  for (const int signal_number : {SIGTERM, SIGINT}) {
    const TempDir dir("signal");
    const std::string pids = dir.file("pid");
    const std::vector<std::string> words = {NICENERGY_CLI, "exec", "--meter", "estimate", "--idle-s", "0.2",
                                            "--preheat-max-s", "0", "--", "sh", "-c",
                                            "sleep 60 & echo $! > " + pids + "; wait"};
    const pid_t nicenergy = spawn_quietly(words);
    ASSERT_GT(nicenergy, 0);
    pid_t sleeper = 0;
    for (int i = 0; i < 1000 && sleeper <= 0; ++i) {  // up to 20 s
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      std::ifstream(pids) >> sleeper;
    }
    ASSERT_GT(sleeper, 0) << "the command never started";
    ::kill(nicenergy, signal_number);
    int status = 0;
    const bool ended = gone_within(nicenergy, 10, &status);
    if (!ended) ::kill(nicenergy, SIGKILL);
    ASSERT_TRUE(ended) << "nicenergy did not end on signal " << signal_number;
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == signal_number) << "status " << status;
    EXPECT_TRUE(gone_within(sleeper, 5)) << "signal " << signal_number << " left the command behind";
  }
}

TEST(CliExec, RunTimeoutIsAnOptionWithADefault) {
  Result help = run_cli("exec --help");
  EXPECT_NE(help.out.find("--run-timeout-s"), std::string::npos) << help.out;
  expect_one_line_error("exec --meter estimate --idle-s 0.2 --preheat-max-s 0 --run-timeout-s 0.3 -- sleep 30",
                        "0.3 s limit");
  expect_one_line_error("exec --meter estimate --run-timeout-s -1 -- true", "--run-timeout-s");
}

// Settings the meter cannot honour are refused before the command runs once:
// a command with effects (it writes a file here) does not run for nothing.
TEST(CliExec, ShortIdleIsRefusedBeforeTheCommandRuns) {
  const test_util::TempDir dir("exec_idle");
  const std::string touched = dir.file("ran");
  expect_one_line_error("exec --meter estimate --idle-s 0.1 -- touch " + touched, "set --idle-s 0.2 or more");
  EXPECT_FALSE(std::filesystem::exists(touched)) << "the command ran before the settings were checked";
}
