// The commands, registered on the CLI11 app by concern: one file each.
#pragma once
#include <CLI/CLI.hpp>

#include <memory>

#include "cli/options.h"

namespace nicenergy::cli {

void add_model_commands(CLI::App& app, Action& action);     // zoo, complexity, run, version
void add_measure_commands(CLI::App& app, Action& action);   // meters, measure
void add_validate_commands(CLI::App& app, Action& action);  // validate
void add_exec_commands(CLI::App& app, Action& action);      // exec
void add_campaign_commands(CLI::App& app, Action& action);  // campaign (+ status, merge)
void add_analysis_commands(CLI::App& app, Action& action);  // fit, predict, report
void add_coding_commands(CLI::App& app, Action& action);    // compress, decompress
void add_training_commands(CLI::App& app, Action& action);  // train
void add_lifecycle_commands(CLI::App& app, Action& action); // lifecycle
void add_bandwidth_commands(CLI::App& app, Action& action); // bandwidth
void add_modes_commands(CLI::App& app, Action& action);     // modes
void add_layers_commands(CLI::App& app, Action& action);    // layers

// A command's parameters live in one struct (defaults there, shown in --help);
// once its options are parsed, `action` runs `run(params)`.
template <typename Params, typename Run>
std::shared_ptr<Params> bind(CLI::App* command, Action& action, Run run) {
  auto params = std::make_shared<Params>();
  command->callback([command, params, &action, run]() {
    if (!command->get_subcommands().empty()) return;  // `campaign merge`: the subcommand acts
    check_extras(*command);
    action = [params, run]() { return run(*params); };
  });
  return params;
}

}  // namespace nicenergy::cli
