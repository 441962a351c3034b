#include "cli/options.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include "error.h"
#include "meters/power_meter.h"
#include "legacy/legacy_codecs.h"
#include "models/zoo.h"
#include "models/torchscript_model.h"
#include "protocol/settings.h"

namespace nicenergy::cli {

CLI::App* add_command(CLI::App& app, const std::string& name, const std::string& description) {
  CLI::App* command = app.add_subcommand(name, description);
  command->allow_extras();  // check_extras reports them our way, in one line
  return command;
}

void check_extras(const CLI::App& command) {
  std::vector<std::string> extras = command.remaining();
  // CLI11 leaves the "--" that ends the options (exec -- CMD ARGS) among the extras.
  extras.erase(std::remove(extras.begin(), extras.end(), std::string("--")), extras.end());
  if (extras.empty()) return;
  for (const std::string& e : extras)
    if (e.size() > 1 && e[0] == '-' && !(std::isdigit(static_cast<unsigned char>(e[1])) || e[1] == '.'))
      throw Error("unknown option " + e.substr(0, e.find('=')) + ": see 'nicenergy " + command.get_name() + " --help'");
  throw Error("unexpected argument '" + extras.front() + "': see 'nicenergy " + command.get_name() + " --help'");
}

CLI::Validator whole_number(const std::string& option, long long min, long long max) {
  return CLI::Validator(
      [option, min, max](std::string& text) -> std::string {
        errno = 0;
        char* end = nullptr;
        const long long v = std::strtoll(text.c_str(), &end, 10);
        if (text.empty() || *end != '\0' || errno == ERANGE)
          throw Error(option + " '" + text + "' is not a whole number");
        if (v < min || v > max)
          throw Error(option + " " + text + ": give a whole number from " + std::to_string(min) + " to " +
                      std::to_string(max));
        return "";
      },
      "INT");
}

CLI::Validator real_number(const std::string& option, double min, double max) {
  return CLI::Validator(
      [option, min, max](std::string& text) -> std::string {
        char* end = nullptr;
        const double v = std::strtod(text.c_str(), &end);
        if (text.empty() || *end != '\0' || !std::isfinite(v)) throw Error(option + " '" + text + "' is not a number");
        if (v < min || v > max) {
          std::ostringstream range;
          range << min << " to " << max;
          throw Error(option + " " + text + ": give a number from " + range.str());
        }
        return "";
      },
      "NUMBER");
}

CLI::Option* add_model(CLI::App* command, std::string& model) {
  return command->add_option("--model", model, "network: CompressAI name or the paper's abbreviation (Bfac, Bhyp, Mmean, Mcont, Canch, Cattn), or a TorchScript file (.pt, .ts)")
      ->required()
      ->type_name("NAME");
}

CLI::Option* add_quality(CLI::App* command, int& quality) {
  // The network's own table says which qualities exist; here only "a number".
  return command->add_option("--quality", quality, "CompressAI quality index")
      ->required()
      ->check(whole_number("quality", -1000000, 1000000))
      ->type_name("Q");
}

void add_torchscript_options(CLI::App* command, TorchScriptOptions& options) {
  command->add_option("--encode-method", options.encode_method, "TorchScript model: run decode(encode(x)) with this encoder method instead of forward(x)")
      ->type_name("NAME");
  command->add_option("--decode-method", options.decode_method, "TorchScript model: the decoder method (with --encode-method)")
      ->type_name("NAME");
  command->add_option("--padding", options.padding, "TorchScript model: pad the image to a multiple of this")
      ->check(whole_number("--padding", 1, 4096))
      ->capture_default_str()
      ->type_name("N");
  command->add_option("--output-key", options.output_key,
                      "TorchScript model: the reconstruction (1x3xHxW, waited for) in a dict (key) or tuple (index) output")
      ->capture_default_str()
      ->type_name("KEY");
}

CLI::Option* add_threads(CLI::App* command, int& threads) {
  return command->add_option("--threads", threads, "LibTorch intra-op threads on the CPU (0: one per core)")
      ->check(whole_number("--threads", 0, 4096))
      ->capture_default_str()
      ->type_name("N");
}

void add_measured_image(CLI::App* command, std::string& input, std::string& size) {
  command->add_option("--input", input, "image to measure on")->type_name("IMAGE");
  command->add_option("--size", size, "a WxH mosaic of the repository's Kodak photographs instead")->type_name("WxH");
}

CLI::Option* add_device(CLI::App* command, std::string& device) {
  return command->add_option("--device", device, "cpu, cuda or cuda:N")->capture_default_str();
}

CLI::Option* add_meter(CLI::App* command, std::string& meter, const std::string& more) {
  return command
      ->add_option("--meter", meter, meter_spec_list() + more)
      ->capture_default_str();
}

CLI::Option* add_seed(CLI::App* command, uint64_t& seed) {
  return command->add_option("--seed", seed, "seed of the random weights when no --weights file is given")
      ->check(whole_number("--seed", 0, 1LL << 53))
      ->capture_default_str()
      ->type_name("S");
}

CLI::Option* add_format(CLI::App* command, std::string& format, const std::string& choices) {
  return command->add_option("--format", format, "output format: " + choices)->capture_default_str()->type_name("FORMAT");
}

void add_protocol_options(CLI::App* command, ProtocolConfig& config) {
  for (const ProtocolSetting& setting : protocol_settings()) {
    const std::string option = setting.option();
    std::ostringstream default_text;
    default_text << setting.get(config);
    command
        ->add_option_function<std::string>(
            option,
            [&config, &setting, option](const std::string& text) {
              char* end = nullptr;
              const double v = std::strtod(text.c_str(), &end);
              if (text.empty() || *end != '\0') throw Error(option + " '" + text + "' is not a number");
              setting.set(config, v, option);
            },
            setting.help + (setting.unit.empty() ? "" : " (" + setting.unit + ")"))
        ->default_str(default_text.str())
        ->type_name(setting.integer() ? "N" : setting.unit.empty() ? "X" : setting.unit == "C" ? "C" : setting.unit == "Hz" ? "HZ" : "S")
        ->group("Protocol (paper Sec. 3)");
  }
  for (const auto& [old_name, new_name] : renamed_protocol_settings()) {
    std::string old_option = "--" + old_name, new_option = "--" + new_name;
    for (char& c : old_option) if (c == '_') c = '-';
    for (char& c : new_option) if (c == '_') c = '-';
    add_renamed(command, old_option, new_option);
  }
}

void add_renamed(CLI::App* command, const std::string& old_option, const std::string& new_option, bool takes_value) {
  auto refuse = [old_option, new_option]() {
    throw Error(old_option + " was renamed: use " + new_option);
  };
  if (takes_value)
    command->add_option_function<std::string>(old_option, [refuse](const std::string&) { refuse(); })->group("");
  else
    command->add_flag_callback(old_option, refuse)->group("");
}

}  // namespace nicenergy::cli
