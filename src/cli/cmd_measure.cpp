// meters and measure: the meters here, and one subject measured with the paper's protocol.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>

#include "cli/commands.h"
#include "cli/measure_output.h"
#include "cli/inputs.h"
#include "cli/options.h"
#include "error.h"
#include "io/files.h"
#include "meters/estimate_label.h"
#include "models/codec.h"
#include "modes/execution_mode.h"
#include "platform/runtime.h"
#include "protocol/codec_measurement.h"
#include "protocol/measurement_session.h"
#include "protocol/progress.h"
#include "protocol/resolution.h"
#include "protocol/settings.h"
#include "report/record_json.h"
#include "subject/make_subject.h"
#include "subject/resolve.h"

namespace nicenergy::cli {
namespace {

struct MetersParams {
  bool json = false;
};

int run_meters(const MetersParams& p) {
  const auto meters = list_meters();
  if (p.json) {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& m : meters) j.push_back({{"name", m.name}, {"available", m.available}, {"detail", m.detail}});
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  for (const auto& m : meters)
    std::printf("%-9s %-4s %s\n", m.name.c_str(), m.available ? "yes" : "no", m.detail.c_str());
  return 0;
}

struct MeasureParams : MeasuringParams {
  std::string model;
  int quality = 0;
  bool no_deterministic = false;
  std::string weights;
  uint64_t seed = 0;
  int threads = 0;
  std::string trace_output;
  bool json = false;
  TorchScriptOptions torchscript;
  std::string stage = "chain";
  std::string host_meter = "auto";
  std::string mode = "float32";
};

void print_measurement(const MeasureParams& p, const Subject& subject, const MeasurementRecord& record,
                       const ProtocolResult& result, bool deterministic, bool trace_failed);

// The subject the command line names, checked before any meter opens.
SubjectSpec measured_subject(const MeasureParams& p, const torch::Device& device) {
  SubjectSpec subject = resolve_subject(p.model);
  subject.quality = p.quality;
  subject.weights = p.weights;
  subject.seed = p.seed;
  subject.stage = p.stage;
  subject.mode = p.mode;
  // A file, its methods and its output are checked now too: a bad one costs
  // one line, not an idle reference first.
  check_subject_on(subject, device, p.torchscript);
  return subject;
}

int run_measure(MeasureParams p) {
  check_measured_input(p.input, p.size);  // the image itself is loaded after the cold idle reference
  const torch::Device device = parse_device(p.device);
  validate(p.protocol);
  const SubjectSpec spec = measured_subject(p, device);
  prepare_trace_output(p.trace_output);
  p.protocol.progress = protocol_progress(p.protocol, std::cerr, stderr_is_tty());
  SessionOptions options{measured_device(device), p.meter, p.protocol, !p.no_preheat};
  options.host_meter = p.host_meter;  // the host CPU beside a GPU: where entropy coding runs
  MeasurementSession session(options);
  if (!session.note().empty()) std::fprintf(stderr, "note: %s\n", session.note().c_str());
  if (!session.host_note().empty()) std::fprintf(stderr, "note: %s\n", session.host_note().c_str());
  set_threads(p.threads);
  set_deterministic(!p.no_deterministic);
  // The paper's (cold) idle reference before the model and its input are loaded.
  session.measure_idle();
  std::string label;
  const Image image = measured_image(p.input, p.size, label);
  const auto subject = make_subject(spec, image, label, device, p.torchscript);
  ProtocolResult result;
  const MeasurementRecord record = session.measure(*subject, &result);
  // Never silent: every sanity finding on stderr too (and in the record).
  for (const std::string& w : result.warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
  // A trace that fails to write (disk full) must not take the measurement with
  // it: the result is printed first, then the error ends the command.
  const std::optional<WriteError> trace_error = write_trace(p.trace_output, result);
  print_measurement(p, *subject, record, result, !p.no_deterministic, trace_error.has_value());
  if (trace_error) throw *trace_error;
  return 0;
}

void print_measurement(const MeasureParams& p, const Subject& subject, const MeasurementRecord& record,
                       const ProtocolResult& result, bool deterministic, bool trace_failed) {
  if (p.json) {
    nlohmann::ordered_json j = to_json(record);
    j["estimate"] = result.estimate;
    j["stop"] = to_string(result.stop);
    j["preheat"] = to_string(result.preheat.outcome);
    j["window_lengths_s"] = nlohmann::json::array();
    for (const auto& w : result.windows) j["window_lengths_s"].push_back(w.length_s());
    j["deterministic"] = deterministic;
    j["mode"] = mode_name(parse_mode(p.mode));
    subject.describe(j);
    j["protocol"] = to_json(result);
    std::cout << j.dump(2) << "\n" << std::flush;
    return;
  }
  std::printf("network        %s (%s) quality %d, %s level\n", record.network.c_str(), record.abbr.c_str(),
              record.quality, record.level.c_str());
  // A legacy codec runs no LibTorch: no energy mode and no LibTorch threads to name.
  const bool libtorch = !record.libtorch.empty();
  if (libtorch)
    std::printf("stage          %s, mode %s\n", record.stage.empty() ? "chain" : record.stage.c_str(),
                mode_name(parse_mode(p.mode)).c_str());
  else
    std::printf("stage          %s\n", record.stage.empty() ? "chain" : record.stage.c_str());
  std::printf("image          %s, %dx%d padded to %dx%d\n", record.image.c_str(), record.width, record.height,
              record.padded_width, record.padded_height);
  if (libtorch)
    std::printf("device         %s (LibTorch %s, %d threads)\n", record.device.c_str(), record.libtorch.c_str(),
                record.threads);
  else
    std::printf("device         %s (no LibTorch)\n", record.device.c_str());
  std::printf("meter          %s, method %s\n", record.meter.c_str(), record.method.c_str());
  std::printf("idle power     %.3f W (%s reference)\n", record.idle_power_w, record.idle_reference.c_str());
  if (record.idle_cold_power_w && record.idle_hot_power_w)
    std::printf("idle cold/hot  %.3f W / %.3f W; dynamic energy against each %.6g J / %.6g J\n",
                *record.idle_cold_power_w, *record.idle_hot_power_w, record.energy_cold_j.value_or(0),
                record.energy_hot_j.value_or(0));
  print_protocol_lines(record, result, p.protocol.confidence, "execution");
  if (!record.host_meter.empty()) {
    auto number = [](const std::optional<double>& v, const char* format) {
      char text[64] = "-";
      if (v) std::snprintf(text, sizeof text, format, *v);
      return std::string(text);
    };
    const std::string estimate_tag = std::string("  (") + kEstimateWord + ": " + kEstimateHow + ")";
    std::printf("host (CPU)     %s, idle %s W, dynamic energy %s J per execution%s\n", record.host_meter.c_str(),
                number(record.host_idle_power_w, "%.3f").c_str(), number(record.host_energy_j, "%.6g").c_str(),
                result.host_estimate ? estimate_tag.c_str() : "");
  }
  if (!p.trace_output.empty() && !trace_failed) std::printf("trace          %s\n", p.trace_output.c_str());
  std::fflush(stdout);
}

}  // namespace

void add_measure_commands(CLI::App& app, Action& action) {
  CLI::App* meters = add_command(app, "meters", "the power meters, whether each works here and why not");
  auto mp = bind<MetersParams>(meters, action, run_meters);
  meters->add_flag("--json", mp->json, "one JSON array on stdout");

  CLI::App* measure = add_command(app, "measure", "dynamic energy per execution of one network on one image (paper Sec. 3)");
  measure->footer("Idle reference, preheat, M executions per window, K windows until the confidence interval is\n"
                  "narrow enough; Eq. (1) per window. --meter auto takes NVML for CUDA and RAPL for the CPU; without\n"
                  "it, the CPU-time ESTIMATE, with a warning on stderr (as every command does).\n" +
                  default_duration_text());
  auto p = bind<MeasureParams>(measure, action, [](const MeasureParams& params) { return run_measure(params); });
  add_model(measure, p->model)->description("network (Bfac, ... or its CompressAI name), a TorchScript file (.pt, .ts), or a legacy codec (jpeg, webp, avif, jxl, heic, jpeg2000: see `nicenergy codecs`)");
  // Optional for a TorchScript file (recorded as given, 0 when none); the built-in networks check it.
  add_quality(measure, p->quality)->required(false);
  add_measured_image(measure, p->input, p->size);
  add_device(measure, p->device);
  add_meter(measure, p->meter, ", external:PATH");
  add_protocol_options(measure, p->protocol);
  measure->add_flag("--no-preheat", p->no_preheat, "skip the preheat");
  measure->add_flag("--no-deterministic", p->no_deterministic, "fastest kernels instead of deterministic ones");
  measure->add_option("--weights", p->weights, "CompressAI state_dict as safetensors")->type_name("FILE");
  measure->add_option("--stage", p->stage,
                      "what one execution is: chain (the paper's, no entropy coding), encode, decode, analysis, "
                      "synthesis, entropy-encode, entropy-decode")
      ->capture_default_str();
  measure->add_option("--host-meter", p->host_meter,
                      "the host CPU's meter beside a GPU's (entropy coding runs there): auto (rapl, else the "
                      "labelled estimate, for cuda; none for cpu), none, rapl or estimate")
      ->capture_default_str();
  measure->add_option("--mode", p->mode,
                      "energy mode of the chain: float32 or flags joined by '+' (see `nicenergy modes --help`)")
      ->capture_default_str();
  add_seed(measure, p->seed);
  add_torchscript_options(measure, p->torchscript);
  add_threads(measure, p->threads);
  measure->add_option("--trace-output", p->trace_output, "power samples with the windows marked (Fig. 1)")
      ->type_name("TRACE.csv");
  add_renamed(measure, "--trace", "--trace-output");
  measure->add_flag("--json", p->json, "one JSON record on stdout (CSV column names, plus the protocol)");
}

}  // namespace nicenergy::cli
