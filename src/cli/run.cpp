// The CLI's one boundary (CLI11): each command file registers its commands
// with their options; errors from anywhere below surface here, once, as one
// line on stderr and exit status 1.
#include "cli/run.h"

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <CLI/CLI.hpp>
#include <c10/util/Exception.h>

#include <cstdio>
#include <new>
#include <string>

#include "cli/commands.h"
#include "error.h"

namespace nicenergy::cli {
namespace {

// What a command may set for the whole process, put back when run() returns.
class ProcessSettings {
 public:
  ProcessSettings()
      : threads_(at::get_num_threads()),
        algorithms_(at::globalContext().deterministicAlgorithms()),
        algorithms_warn_only_(at::globalContext().deterministicAlgorithmsWarnOnly()),
        cudnn_deterministic_(at::globalContext().deterministicCuDNN()),
        cudnn_benchmark_(at::globalContext().benchmarkCuDNN()) {}
  ~ProcessSettings() {
    if (at::get_num_threads() != threads_) at::set_num_threads(threads_);
    at::globalContext().setDeterministicAlgorithms(algorithms_, algorithms_warn_only_);
    at::globalContext().setDeterministicCuDNN(cudnn_deterministic_);
    at::globalContext().setBenchmarkCuDNN(cudnn_benchmark_);
  }
  ProcessSettings(const ProcessSettings&) = delete;
  ProcessSettings& operator=(const ProcessSettings&) = delete;

 private:
  int threads_;
  bool algorithms_, algorithms_warn_only_, cudnn_deterministic_, cudnn_benchmark_;
};

void add_commands(CLI::App& app, Action& action) {
  add_model_commands(app, action);
  add_measure_commands(app, action);
  add_validate_commands(app, action);
  add_exec_commands(app, action);
  add_campaign_commands(app, action);
  add_analysis_commands(app, action);
  add_coding_commands(app, action);
  add_training_commands(app, action);
  add_lifecycle_commands(app, action);
  add_bandwidth_commands(app, action);
  add_modes_commands(app, action);
  add_layers_commands(app, action);
}

// Parses and runs; errors below come out as exceptions, caught by run().
int parse_and_act(CLI::App& app, Action& action, std::vector<std::string> words, const std::string& command) {
  std::vector<char*> argv;
  for (std::string& w : words) argv.push_back(w.data());
  const int argc = static_cast<int>(argv.size());
  try {
    app.parse(argc, argv.data());
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    if (argc < 2) {  // no command at all: the usage, as a shell user expects
      std::fputs(app.help().c_str(), stderr);
      return 2;
    }
    if (app.get_subcommands().empty())
      throw Error("unknown command '" + command + "': run 'nicenergy --help' for the list");
    throw Error(e.what());
  }
  return action ? action() : 0;
}

}  // namespace

int run(const std::vector<std::string>& args) {
  ProcessSettings restore_on_return;
  CLI::App app("nicenergy: processing energy of learned image codecs, after Herglotz et al. (ICIP)", "nicenergy");
  app.require_subcommand(1);
  app.footer("Run 'nicenergy COMMAND --help' for the options of a command.");
  Action action;
  add_commands(app, action);

  std::vector<std::string> words{"nicenergy"};
  words.insert(words.end(), args.begin(), args.end());
  if (words.size() >= 2 && words[1] == "--version") words[1] = "version";
  // The command named on the line, for messages ("nicenergy measure: error: ...").
  std::string command;
  for (size_t i = 1; i < words.size() && command.empty(); ++i)
    if (!words[i].empty() && words[i][0] != '-') command = words[i];
  const std::string who = command.empty() ? "nicenergy" : "nicenergy " + command;
  try {
    return parse_and_act(app, action, std::move(words), command);
  } catch (const Error& e) {
    std::fprintf(stderr, "%s: error: %s\n", who.c_str(), e.what());
  } catch (const c10::Error& e) {
    std::fprintf(stderr, "%s: error from LibTorch: %s\n", who.c_str(), e.what_without_backtrace());
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "%s: error: out of memory; try a smaller image (--size) or a smaller batch\n", who.c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: error: %s\n", who.c_str(), e.what());
  }
  return 1;
}

}  // namespace nicenergy::cli
