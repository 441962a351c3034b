// meters, measure and campaign: energy measurement with the paper's protocol.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>

#include "campaign/codec_campaign.h"
#include "campaign/slurm.h"
#include "cli/commands.h"
#include "cli/inputs.h"
#include "cli/options.h"
#include "coding/coded_rate_distortion.h"
#include "error.h"
#include "io/files.h"
#include "legacy/legacy_measurement.h"
#include "meters/estimate_label.h"
#include "meters/external_meter.h"
#include "models/codec.h"
#include "modes/execution_mode.h"
#include "platform/runtime.h"
#include "protocol/codec_measurement.h"
#include "protocol/command_workload.h"
#include "protocol/measurement_session.h"
#include "protocol/progress.h"
#include "protocol/record_rate_distortion.h"
#include "protocol/resolution.h"
#include "protocol/results_csv.h"
#include "protocol/settings.h"
#include "protocol/torchscript_measurement.h"
#include "protocol/validation.h"
#include "report/record_json.h"
#include "subject/command_subject.h"
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

struct MeasureParams {
  std::string model;
  int quality = 0;
  std::string input;
  std::string size;
  std::string device = "cpu";
  std::string meter = "auto";
  ProtocolConfig protocol;
  bool no_preheat = false;
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

// Checked (and its folder made) before the measurement, not after it.
void prepare_trace_output(const std::string& trace_output) {
  if (trace_output.empty()) return;
  const std::string what = "trace file '" + trace_output + "'";
  check_output_file(trace_output, what, true);
  const std::filesystem::path folder = std::filesystem::path(trace_output).parent_path();
  // A file that exists (or a device: /dev/null) is written in place; only a new one needs its folder.
  std::error_code ec;
  if (!std::filesystem::exists(trace_output, ec) && !folder.empty())
    prepare_output_folder(folder.string(), "folder '" + folder.string() + "' of the " + what);
}

// The trace, if asked for; a write error is returned, to end the command after
// the result is printed.
std::optional<WriteError> write_trace(const std::string& trace_output, const ProtocolResult& result) {
  if (trace_output.empty()) return std::nullopt;
  try {
    write_trace_csv(trace_output, result.samples, result.windows);
  } catch (const WriteError& e) {
    return e;
  }
  return std::nullopt;
}

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

// The lines measure and exec share: the protocol's course and its result, per
// `unit` (an execution of a network, a run of a command).
void print_protocol_lines(const MeasurementRecord& record, const ProtocolResult& result, double confidence,
                          const char* unit) {
  const std::string estimate_tag = std::string("  (") + kEstimateWord + ": " + kEstimateHow + ")";
  std::printf("preheat        %s after %.1f s\n", to_string(result.preheat.outcome).c_str(), result.preheat.duration_s);
  // M may have grown between windows (a recalibration): its range then.
  int64_t m_low = record.m, m_high = record.m;
  for (const WindowMeasurement& w : result.windows) m_low = std::min(m_low, w.m), m_high = std::max(m_high, w.m);
  const std::string m_text =
      std::to_string(m_low) + (m_high > m_low ? " to " + std::to_string(m_high) : std::string());
  std::printf("windows        K = %d of M = %s %ss (%s)\n", record.k, m_text.c_str(), unit, to_string(result.stop).c_str());
  if (record.bpp && record.psnr_db)
    std::printf("rate, PSNR     %.4f bpp (the bitstream), %.2f dB%s\n", *record.bpp, *record.psnr_db,
                record.ms_ssim ? (", MS-SSIM " + std::to_string(*record.ms_ssim).substr(0, 6)).c_str() : "");
  std::printf("mean power     %.3f W\n", record.mean_power_w);
  std::printf("time           %.4f s per %s\n", record.duration_s, unit);
  std::printf("dynamic energy %.6g J +- %.2g J per %s (%.0f %% CI, %.2f %%)%s%s\n", record.energy_j, record.energy_ci_j,
              unit, 100 * confidence, 100 * result.ci_relative,
              result.estimate ? estimate_tag.c_str() : "",
              energy_resolved(record.energy_j, record.energy_ci_j)
                  ? ""
                  : "  NOT RESOLVED: the interval reaches zero or below (see the warning)");
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

struct ValidateParams {
  std::string model;
  int quality = 0;
  std::string input;
  std::string size;
  std::string device = "cpu";
  std::string meter = "auto";
  std::string external;
  ExternalMeterOptions external_options;
  ProtocolConfig protocol;
  bool no_preheat = false;
  std::string weights;
  uint64_t seed = 0;
  int threads = 0;
  bool json = false;
};

// The protocol on the primary meter while the external one logs; each interval
// (idle references, windows) measured by both.
int run_validate(ValidateParams p) {
  if (p.external.empty()) throw Error("validate needs the wall-power meter's log: --external PATH (a file or a FIFO)");
  if (p.input.empty() == p.size.empty()) throw Error("give one of --input IMAGE or --size WxH");
  if (is_torchscript_path(p.model)) throw Error("validate takes a built-in network (--model Bfac, ...); measure a TorchScript file with measure");
  if (p.meter.rfind("external", 0) == 0) throw Error("--meter is the primary meter (auto, nvml, ...); the external log goes to --external");
  const torch::Device device = parse_device(p.device);
  validate(p.protocol);
  quality_config(find_network(p.model), p.quality);  // unknown names and qualities fail before anything is loaded
  if (!p.input.empty())
    (void)image_info(p.input);
  else
    (void)parse_size(p.size);
  p.external_options.wait_s = p.external_options.stale_s;
  // The log first: a missing or malformed one costs one line, not an idle reference.
  const std::unique_ptr<ExternalMeter> external = make_external_meter(p.external, nullptr, p.external_options);
  std::string note;
  const auto meter = open_meter_for(device, p.meter, false, &note);
  if (meter->is_estimate()) throw Error("validate compares two measurements; the CPU-time estimate is none (pick --meter nvml or rapl)");
  set_threads(p.threads);
  set_deterministic(true);
  if (!note.empty()) std::fprintf(stderr, "note: %s\n", note.c_str());
  p.protocol.progress = protocol_progress(p.protocol, std::cerr, stderr_is_tty());
  Protocol protocol(*meter, p.protocol);
  const IdleReference cold_idle = protocol.measure_idle();
  // A log that does not cover the idle reference fails now, not after the windows...
  ValidationPair idle_pair;
  try {
    idle_pair.external_j = external->energy_between_j(cold_idle.start_s, cold_idle.end_s);
  } catch (const Error& e) {
    throw Error(std::string("cold idle: ") + e.what());
  }
  // ...and one whose numbers the summary cannot take (1e300 W) too.
  idle_pair.interval = "cold idle";
  idle_pair.start_s = cold_idle.start_s;
  idle_pair.end_s = cold_idle.end_s;
  idle_pair.primary_j = cold_idle.idle_power_w * idle_pair.length_s();
  check_validation_pair(idle_pair);
  std::string label;
  const Image image = measured_image(p.input, p.size, label);
  CodecWorkload codec = make_codec_workload(p.model, p.quality, image, label, device, p.weights, p.seed);
  const ProtocolResult result = protocol.run(codec.workload(), cold_idle, !p.no_preheat);
  for (const std::string& w : result.warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
  const std::string run = find_network(p.model).abbr + " q" + std::to_string(p.quality) + " " +
                          std::to_string(image.width) + "x" + std::to_string(image.height);
  const std::vector<ValidationPair> pairs = validation_pairs(result, *external, run);
  const ValidationSummary summary = summarize_validation(pairs);
  if (p.json) {
    nlohmann::json j = {{"primary_meter", meter->name()}, {"primary_method", to_string(result.method)},
                        {"external_meter", external->name()}, {"external_metadata", external->metadata()},
                        {"summary", to_json(summary)}, {"pairs", nlohmann::json::array()},
                        {"protocol", to_json(result)}};
    for (const ValidationPair& pair : pairs) j["pairs"].push_back(to_json(pair));
    std::cout << j.dump(2) << "\n" << std::flush;
    return 0;
  }
  std::printf("primary        %s (%s), external %s (%s)\n", meter->name().c_str(), to_string(result.method).c_str(),
              external->name().c_str(), p.external.c_str());
  std::fputs(validation_text(pairs, summary, meter->name(), external->name()).c_str(), stdout);
  std::fflush(stdout);
  return 0;
}

struct ExecParams {
  std::vector<std::string> command;
  std::string name;
  int quality = 0;
  std::string input;
  std::string size;
  std::string device = "cpu";
  std::string meter = "auto";
  ProtocolConfig protocol;
  bool no_preheat = false;
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

struct CampaignParams {
  std::vector<std::string> configs;
  bool dry_run = false;
  std::string shard = "1/1";
  std::string output;
  bool no_resume = false;
  int threads = 0;
  // --slurm: the shards as a Slurm array job (src/campaign/slurm.h)
  bool slurm = false;
  bool resume = false;
  SlurmSettings slurm_settings;
};

std::string this_executable() {
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) throw Error("cannot find this program's path (/proc/self/exe) for the sbatch files");
  return self.string();
}

int run_slurm_campaign(const CampaignParams& p, const CampaignConfig& config) {
  if (p.shard != "1/1") throw Error("--shard does not go with --slurm: each array task takes its shard (--shards N)");
  if (!p.output.empty()) throw Error("--output does not go with --slurm: set `output` in the config");
  if (p.no_resume) throw Error("--no-resume does not go with --slurm: tasks always carry on from their shard CSVs");
  SlurmRunOptions options;
  options.settings = p.slurm_settings;
  options.settings.threads = p.threads;
  options.settings.nicenergy = this_executable();
  options.settings.workdir = std::filesystem::current_path().string();
  options.resume = p.resume;
  options.dry_run = p.dry_run;
  submit_slurm_campaign(config, options, std::cout);
  return 0;
}

int run_campaign_command(const CampaignParams& p) {
  if (p.configs.empty()) throw Error("campaign needs a config: nicenergy campaign CONFIG.toml (see configs/)");
  if (p.configs.size() > 1) throw Error("unexpected argument '" + p.configs[1] + "': one config at a time");
  const CampaignConfig config = load_campaign_config(p.configs[0]);
  for (const std::string& note : config.notes) std::fprintf(stderr, "note: %s\n", note.c_str());
  if (p.slurm) return run_slurm_campaign(p, config);
  if (p.resume) throw Error("--resume goes with --slurm (resubmit the incomplete shards); a campaign resumes by itself");
  CodecCampaignOptions options;
  options.campaign.shard = parse_shard(p.shard);
  options.campaign.dry_run = p.dry_run;
  options.campaign.resume = !p.no_resume;
  options.campaign.output = p.output;
  options.threads = p.threads;
  if (p.dry_run) {
    // dry_run_text refuses what the run refuses (output, errors log, replayed
    // trace); the trace folder is checked here, where its name is known.
    const std::string output = p.output.empty() ? shard_output_path(config.output, options.campaign.shard) : p.output;
    const std::string text = dry_run_text(config, options.campaign);
    check_output_folder(traces_folder(output), "trace folder '" + traces_folder(output) + "'");
    std::cout << text;
    return 0;
  }
  const CampaignSummary s = run_codec_campaign(config, options);  // prints its own summary
  if (s.failed) {
    std::printf("failures are listed in %s.errors; run the same command again to retry them\n", s.output.c_str());
    return 1;
  }
  return 0;
}

struct StatusParams {
  std::vector<std::string> configs;
  int shards = 0;
};

int run_status(const StatusParams& p) {
  if (p.configs.size() != 1) throw Error("campaign status needs one config: nicenergy campaign status CONFIG.toml");
  std::cout << campaign_status_text(load_campaign_config(p.configs[0]), p.shards);
  return 0;
}

struct MergeParams {
  std::vector<std::string> inputs;
  std::string output;
};

int run_merge(const MergeParams& p) {
  if (p.inputs.empty()) throw Error("campaign merge needs shard CSVs: campaign merge A.csv B.csv --output ALL.csv");
  if (p.output.empty()) throw Error("campaign merge needs --output RESULTS.csv");
  const MergeSummary s = merge_results(p.inputs, p.output);
  std::printf("merged %zu rows into %s (%zu duplicates dropped)\n", s.rows, p.output.c_str(), s.duplicates);
  return 0;
}

}  // namespace

void add_energy_commands(CLI::App& app, Action& action) {
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

  CLI::App* validate = add_command(app, "validate", "the primary meter against an external wall-power meter's log, window by window");
  validate->footer("Runs measure's protocol on the primary meter (--meter) while the external meter's logger writes\n"
                   "UNIX_S,POWER_W lines to --external (a file it appends to, or a FIFO); each idle reference and\n"
                   "window is measured by both. Prints both energies per interval, Pearson's r, and the line\n"
                   "P_external = slope x P_primary + offset_w (the paper: r = 0.9986 against a ZES LMG661).");
  auto vp = bind<ValidateParams>(validate, action, [](const ValidateParams& params) { return run_validate(params); });
  add_model(validate, vp->model);
  add_quality(validate, vp->quality);
  add_measured_image(validate, vp->input, vp->size);
  add_device(validate, vp->device);
  validate->add_option("--meter", vp->meter, "the primary meter: auto, nvml, nvml:INDEX, rapl or replay:FILE")->capture_default_str();
  validate->add_option("--external", vp->external, "the wall-power meter's log: a file or FIFO of UNIX_S,POWER_W lines")
      ->type_name("PATH");
  validate->add_option("--external-offset-s", vp->external_options.clock_offset_s,
                       "seconds added to the log's times (a logger clock that is off, or its delay)")
      ->check(real_number("--external-offset-s", -86400, 86400))
      ->capture_default_str()
      ->type_name("S");
  validate->add_option("--external-stale-s", vp->external_options.stale_s,
                       "a log silent this long (or with a longer gap inside an interval) is an error")
      ->check(real_number("--external-stale-s", 0.01, 3600))
      ->capture_default_str()
      ->type_name("S");
  add_protocol_options(validate, vp->protocol);
  validate->add_flag("--no-preheat", vp->no_preheat, "skip the preheat");
  validate->add_option("--weights", vp->weights, "CompressAI state_dict as safetensors")->type_name("FILE");
  add_seed(validate, vp->seed);
  add_threads(validate, vp->threads);
  validate->add_flag("--json", vp->json, "one JSON object on stdout: pairs, summary, protocol");

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

  CLI::App* campaign = add_command(app, "campaign", "networks x qualities x images into a results CSV (resumable, shardable)");
  campaign->footer("Appends one row per measurement to the results CSV, fsynced as it finishes; a restarted campaign\n"
                   "skips the rows already there. --shard I/N takes every N-th point (RESULTS.shardIofN.csv);\n"
                   "'campaign merge' joins shard CSVs in plan order. configs/example.toml documents every key.");
  auto cp = bind<CampaignParams>(campaign, action, run_campaign_command);
  campaign->add_option("config", cp->configs, "the campaign's TOML file")->type_name("CONFIG.toml");
  campaign->add_flag("--dry-run", cp->dry_run, "print the plan, what is done and a lower bound of the duration");
  campaign->add_option("--shard", cp->shard, "this machine's share of the points")->capture_default_str()->type_name("I/N");
  campaign->add_option("--output", cp->output, "results CSV instead of the config's")->type_name("RESULTS.csv");
  campaign->add_flag("--no-resume", cp->no_resume, "refuse a results CSV that already holds rows");
  add_threads(campaign, cp->threads);
  campaign->add_flag("--slurm", cp->slurm, "submit the shards as a Slurm array job, and a job that merges and fits");
  campaign->add_option("--shards", cp->slurm_settings.shards, "--slurm: array tasks (as last submitted on --resume)")
      ->type_name("N")
      ->check(whole_number("--shards", 1, 100000));
  campaign->add_flag("--resume", cp->resume, "--slurm: resubmit only the shards with points missing");
  campaign->add_option("--gpus-per-task", cp->slurm_settings.gpus_per_task,
                       "--slurm: GPUs per task (default 1 for a CUDA device, 0 on the CPU)")
      ->type_name("N")
      ->check(whole_number("--gpus-per-task", 0, 64));
  campaign->add_option("--partition", cp->slurm_settings.partition, "--slurm: the partition")->type_name("P");
  campaign->add_option("--time", cp->slurm_settings.time, "--slurm: time limit per task")->type_name("T");
  campaign->add_option("--array-max", cp->slurm_settings.array_max, "--slurm: most tasks running at once")
      ->type_name("N")
      ->check(whole_number("--array-max", 1, 100000));
  campaign->add_option("--sbatch-arg", cp->slurm_settings.sbatch_args,
                       "--slurm: another sbatch option for both jobs (--sbatch-arg=--account=abc); repeatable")
      ->type_name("ARG")
      ->allow_extra_args(false);

  CLI::App* status = add_command(*campaign, "status", "per-shard progress from the CSVs, and the Slurm jobs' states");
  auto sp = bind<StatusParams>(status, action, run_status);
  status->add_option("config", sp->configs, "the campaign's TOML file")->type_name("CONFIG.toml");
  status->add_option("--shards", sp->shards, "shards (default: as last submitted with --slurm)")
      ->type_name("N")
      ->check(whole_number("--shards", 1, 100000));

  CLI::App* merge = add_command(*campaign, "merge", "join shard CSVs in plan order, dropping duplicates");
  auto gp = bind<MergeParams>(merge, action, run_merge);
  merge->add_option("inputs", gp->inputs, "the shards' CSVs")->type_name("SHARD.csv");
  merge->add_option("--output", gp->output, "the merged CSV")->type_name("RESULTS.csv");
}

}  // namespace nicenergy::cli
