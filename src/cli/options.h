// Options shared by the commands, on CLI11. Numbers are checked as text before
// any conversion (whole, finite, in bounds), so a bad value gets one line that
// names the option, never a wrapped-around cast. Names are the same in every
// command: --model, --quality, --output, --json (a flag: JSON on stdout), the
// protocol settings as in protocol/settings.h.
#pragma once
#include <CLI/CLI.hpp>

#include <functional>
#include <string>

#include "protocol/protocol.h"

namespace nicenergy {
struct TorchScriptOptions;
}

namespace nicenergy::cli {

// What a command does once its options are parsed; set by the command's callback.
using Action = std::function<int()>;

// A subcommand with the house rules: unknown options and extra arguments are
// collected (check_extras names them in one line), help shows defaults.
CLI::App* add_command(CLI::App& app, const std::string& name, const std::string& description);
// After parsing: throws Error for the first unknown option or argument of `command`.
void check_extras(const CLI::App& command);

// Validators that throw nicenergy::Error("--quality 'x' is not a whole number").
CLI::Validator whole_number(const std::string& option, long long min, long long max);
CLI::Validator real_number(const std::string& option, double min, double max);

CLI::Option* add_model(CLI::App* command, std::string& model);          // --model NAME (required)
CLI::Option* add_quality(CLI::App* command, int& quality);              // --quality Q (required)
CLI::Option* add_threads(CLI::App* command, int& threads);              // --threads N (0: one per core)
CLI::Option* add_seed(CLI::App* command, uint64_t& seed);               // --seed S
CLI::Option* add_format(CLI::App* command, std::string& format, const std::string& choices);
// --input IMAGE or --size WxH (a mosaic of the Kodak photographs): the image a command measures on.
void add_measured_image(CLI::App* command, std::string& input, std::string& size);
CLI::Option* add_device(CLI::App* command, std::string& device);        // --device cpu|cuda|cuda:N
// --meter with the meters every measuring command takes; `more` names others (", external:PATH").
CLI::Option* add_meter(CLI::App* command, std::string& meter, const std::string& more = "");
// A TorchScript model's calling options: --encode-method, --decode-method, --padding, --output-key.
void add_torchscript_options(CLI::App* command, TorchScriptOptions& options);
// Every protocol setting of the table as --name-with-dashes, default shown.
void add_protocol_options(CLI::App* command, ProtocolConfig& config);
// An option of an earlier version: using it is an error that names the new one.
void add_renamed(CLI::App* command, const std::string& old_option, const std::string& new_option,
                 bool takes_value = true);

}  // namespace nicenergy::cli
