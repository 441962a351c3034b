// nicenergy: the command line (CLI11). Each command file registers its
// commands with their options; errors from anywhere below surface here, once,
// as one line on stderr and exit status 1.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstring>
#include <string>

#include "cli/commands.h"
#include "error.h"
#include "platform/runtime.h"

int main(int argc, char** argv) {
  using namespace nicenergy;
  // Before anything can start CUDA: cuBLAS fixes its workspace when its first
  // handle is made, and deterministic mode needs a fixed one.
  prepare_cublas_determinism();

  CLI::App app("nicenergy: processing energy of learned image codecs, after Herglotz et al. (ICIP)", "nicenergy");
  app.require_subcommand(1);
  app.footer("Run 'nicenergy COMMAND --help' for the options of a command.");
  cli::Action action;
  cli::add_model_commands(app, action);
  cli::add_energy_commands(app, action);
  cli::add_analysis_commands(app, action);
  cli::add_coding_commands(app, action);
  cli::add_training_commands(app, action);
  cli::add_lifecycle_commands(app, action);
  cli::add_bandwidth_commands(app, action);
  cli::add_modes_commands(app, action);
  cli::add_layers_commands(app, action);
  if (argc >= 2 && std::strcmp(argv[1], "--version") == 0) argv[1] = const_cast<char*>("version");

  // The command named on the line, for messages ("nicenergy measure: error: ...").
  std::string command = "";
  for (int i = 1; i < argc; ++i)
    if (argv[i][0] != '-') {
      command = argv[i];
      break;
    }
  const std::string who = command.empty() ? "nicenergy" : "nicenergy " + command;
  try {
    try {
      app.parse(argc, argv);
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
  } catch (const Error& e) {
    std::fprintf(stderr, "%s: error: %s\n", who.c_str(), e.what());
    return 1;
  } catch (const c10::Error& e) {
    std::fprintf(stderr, "%s: error from LibTorch: %s\n", who.c_str(), e.what_without_backtrace());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: error: %s\n", who.c_str(), e.what());
    return 1;
  }
}
