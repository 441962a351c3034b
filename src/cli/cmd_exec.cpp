// exec: the paper's protocol around any command.

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>

#include "cli/commands.h"
#include "cli/measure_output.h"
#include "cli/inputs.h"
#include "cli/options.h"
#include "error.h"
#include "io/files.h"
#include "models/codec.h"
#include "protocol/codec_measurement.h"
#include "protocol/command_workload.h"
#include "protocol/measurement_session.h"
#include "protocol/results_csv.h"
#include "report/record_json.h"
#include "subject/command_subject.h"
#include "subject/resolve.h"

namespace nicenergy::cli {
namespace {

struct ExecParams : MeasuringParams {
  std::vector<std::string> command;
  std::string name;
  int quality = 0;
  std::string trace_output;
  std::string output;
  bool json = false;
  double run_timeout_s = kDefaultRunTimeoutS;
};

int run_exec(ExecParams p) {
  if (p.command.empty()) throw Error("exec needs a command after '--': nicenergy exec [options] -- CMD ARGS...");
  if (!p.input.empty() && !p.size.empty()) throw Error("give at most one of --input IMAGE or --size WxH");
  const torch::Device device = parse_device(p.device);
  validate(p.protocol);
  prepare_trace_output(p.trace_output);
  if (!p.output.empty()) check_results_for_append(p.output);

  CommandSpec command{p.name.empty() ? std::filesystem::path(p.command[0]).filename().string() : p.name, p.command,
                      "png", p.quality};
  // The image the command works on, for the pixels of Eq. (2): read from the
  // file's header, or as given; none leaves the size at 0.
  const ImageInfo info = !p.input.empty() ? image_info(p.input) : !p.size.empty() ? parse_size(p.size) : ImageInfo{};
  const std::string label = !p.input.empty() ? p.input : p.size;

  p.protocol.progress = stage_progress();
  MeasurementSession session({measured_device(device), p.meter, p.protocol, !p.no_preheat});
  // Run once first: a command that fails, hangs or is missing stops here,
  // before minutes of idle reference.
  const auto subject = make_command_subject(command_subject(command), label, info.width, info.height, p.run_timeout_s);
  if (!session.note().empty()) std::fprintf(stderr, "note: %s\n", session.note().c_str());

  ProtocolResult result;
  const MeasurementRecord record = session.measure(*subject, &result);
  const std::optional<WriteError> trace_error = write_trace(p.trace_output, result);
  if (!p.output.empty()) append_record(p.output, record);
  if (p.json) {
    nlohmann::ordered_json j = to_json(record);
    subject->describe(j);
    j["estimate"] = result.estimate;
    j["stop"] = to_string(result.stop);
    j["preheat"] = to_string(result.preheat.outcome);
    j["window_lengths_s"] = nlohmann::json::array();
    for (const auto& w : result.windows) j["window_lengths_s"].push_back(w.length_s());
    j["protocol"] = to_json(result);
    std::cout << j.dump(2) << "\n" << std::flush;
  } else {
    std::printf("command        %s\n", command_text(p.command).c_str());
    std::printf("name           %s, quality %d, level %s\n", record.network.c_str(), record.quality, record.level.c_str());
    if (!record.image.empty()) std::printf("image          %s, %dx%d\n", record.image.c_str(), record.width, record.height);
    std::printf("meter          %s, method %s (%s)\n", record.meter.c_str(), record.method.c_str(), record.device.c_str());
    std::printf("idle power     %.3f W\n", record.idle_power_w);
    print_protocol_lines(record, result, p.protocol.confidence, "run");
    if (!p.output.empty()) std::printf("appended to    %s\n", p.output.c_str());
    std::fflush(stdout);
  }
  if (trace_error) throw *trace_error;
  return 0;
}

}  // namespace

void add_exec_commands(CLI::App& app, Action& action) {
  CLI::App* exec = add_command(app, "exec", "dynamic energy per run of any command (paper Sec. 3 around a program)");
  exec->footer("nicenergy exec [options] -- CMD ARGS...: idle reference, preheat, M runs per window, K windows;\n"
               "Eq. (1) per window, per run of the command. The command runs without a shell, its output to\n"
               "/dev/null, its input from /dev/null; a non-zero exit status, a missing command, or a run longer than\n"
               "--run-timeout-s (the command and its process group are killed) stops the measurement. The energy is\n"
               "the whole device's (meter) above idle while the command runs, start-up included; on the estimate\n"
               "meter, the CPU time of nicenergy and the command together x TDP share.");
  // Everything after -- is the command: CLI11's own rule, which collecting extras would break.
  exec->allow_extras(false);
  auto ep = bind<ExecParams>(exec, action, [](const ExecParams& params) { return run_exec(params); });
  exec->add_option("command", ep->command, "the command and its arguments, after --")->type_name("CMD ARGS...");
  exec->add_option("--name", ep->name, "the record's network name (default: the command's file name)")->type_name("NAME");
  exec->add_option("--quality", ep->quality, "the record's quality (e.g. the encoder's setting)")
      ->check(whole_number("quality", -1000000, 1000000))
      ->capture_default_str()
      ->type_name("Q");
  exec->add_option("--input", ep->input, "the image the command works on (its size goes into the record)")->type_name("IMAGE");
  exec->add_option("--size", ep->size, "or the size of that image")->type_name("WxH");
  exec->add_option("--device", ep->device, "the device whose meter --meter auto picks: cpu, cuda or cuda:N")->capture_default_str();
  add_meter(exec, ep->meter);
  add_protocol_options(exec, ep->protocol);
  exec->add_flag("--no-preheat", ep->no_preheat, "skip the preheat");
  exec->add_option("--run-timeout-s", ep->run_timeout_s,
                   "a run of the command longer than this is killed and stops the measurement")
      ->check(real_number("--run-timeout-s", 0.001, 1e6))
      ->capture_default_str()
      ->type_name("S");
  exec->add_option("--trace-output", ep->trace_output, "power samples with the windows marked (Fig. 1)")->type_name("TRACE.csv");
  exec->add_option("--output", ep->output, "append the record to this results CSV (for fit and report)")->type_name("RESULTS.csv");
  exec->add_flag("--json", ep->json, "one JSON record on stdout (CSV column names, plus the protocol)");
}

}  // namespace nicenergy::cli
