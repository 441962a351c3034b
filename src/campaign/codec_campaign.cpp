#include "campaign/codec_campaign.h"

#include <cstdio>
#include <filesystem>

#include <stdlib.h>

#include "coding/coded_rate_distortion.h"
#include "error.h"
#include "image/image.h"
#include "io/files.h"
#include "legacy/legacy_measurement.h"
#include "models/codec.h"
#include "platform/runtime.h"
#include "protocol/codec_measurement.h"
#include "protocol/command_workload.h"
#include "protocol/protocol.h"
#include "protocol/record_rate_distortion.h"
#include "protocol/torchscript_measurement.h"

namespace nicenergy {

namespace {

// A [[commands]] point: the image written to a temporary folder (removed with
// the point), the command's argv with its placeholders replaced.
struct CommandPoint {
  std::filesystem::path dir;
  std::vector<std::string> argv;
  std::string name, image;
  int quality = 0, width = 0, height = 0;

  CommandPoint(const CampaignCommand& command, const Image& picture, const std::string& label) {
    std::string pattern = (std::filesystem::temp_directory_path() / "nicenergy-command-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw Error("cannot make a temporary folder for command '" + command.name + "'");
    dir = pattern;
    const std::string input = (dir / ("input." + command.input_format)).string();
    if (command.input_format == "ppm")
      save_ppm(picture, input);
    else
      save_png(picture, input);
    argv = command_argv(command, input, (dir / "output").string(), picture.width, picture.height);
    name = command.name;
    image = label;
    quality = command.quality;
    width = picture.width;
    height = picture.height;
    // Once before the protocol, as exec does: a failing command costs one line, not a preheat.
    run_command_once(argv);
  }
  ~CommandPoint() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  CommandPoint(const CommandPoint&) = delete;
  CommandPoint& operator=(const CommandPoint&) = delete;
  Workload workload() const { return command_workload(argv); }
};

// The record of `nicenergy exec`: the command runs outside this process, so no
// padding and no LibTorch threads.
MeasurementRecord make_record(const CommandPoint& w, const ProtocolResult& result, const std::string& device_text,
                              const std::string& started_at) {
  MeasurementRecord r;
  r.network = r.abbr = w.name;
  r.quality = w.quality;
  r.level = kCustomLevel;
  fill_measured_fields(r, w.image, w.width, w.height, w.width, w.height, result, device_text, started_at);
  fill_runtime(r);
  r.threads = 0;
  return r;
}

}  // namespace

CampaignSummary run_codec_campaign(const CampaignConfig& config, const CodecCampaignOptions& options) {
  const std::string output_path = options.campaign.output.empty()
                                      ? shard_output_path(config.output, options.campaign.shard)
                                      : options.campaign.output;
  const std::string traces = traces_folder(output_path);
  const std::string traces_what = "trace folder '" + traces + "'";
  // The outputs are checked before the meter opens (run_campaign checks the
  // results file again, and locks it, before the first measurement).
  check_results_for_append(output_path);
  check_output_folder(traces, traces_what);
  const torch::Device device = parse_device(config.device);
  std::string note;
  const auto meter = open_meter_for(device, config.meter, true, &note);
  if (!note.empty()) std::fprintf(stderr, "note: %s\n", note.c_str());
  set_threads(options.threads);
  set_deterministic(true);
  Protocol protocol(*meter, config.protocol);
  // The host CPU beside a GPU: entropy coding runs there (auto: none on the CPU).
  std::string host_note;
  const auto host_meter = open_host_meter(device, config.host_meter, &host_note);
  if (!host_note.empty()) std::fprintf(stderr, "note: %s\n", host_note.c_str());
  if (host_meter) protocol.add_host_meter(*host_meter);
  const std::string device_text = describe_device(device, *meter);
  const MeasurementSite site = measurement_site(device, *meter);

  prepare_output_folder(traces, traces_what);  // created, and proven writable

  bool preheat_next = true;
  // The cold reference is taken before any model is loaded (the paper's); the
  // hot one after each preheat, reused by the points until the next preheat.
  std::optional<IdleReference> cold_idle, hot_idle;
  CampaignCallbacks callbacks;
  callbacks.measure_idle = [&]() {
    preheat_next = true;
    cold_idle = protocol.measure_idle();
    hot_idle.reset();
    return cold_idle->idle_power_w;
  };
  callbacks.measure_point = [&](const CampaignPoint& point, double idle_power_w) {
    const std::string started_at = utc_now_iso8601();
    const Image image = load_image_source(point.image);
    auto measure = [&](const auto& w) {
      const IdleReference cold =
          cold_idle && cold_idle->idle_power_w == idle_power_w ? *cold_idle : idle_from_power(idle_power_w);
      const ProtocolResult result =
          protocol.run(w.workload(), cold, preheat_next, preheat_next ? std::nullopt : hot_idle);
      if (preheat_next) hot_idle = result.idle_hot;
      preheat_next = false;
      char name[200];
      const std::string suffix = (point.stage == "chain" ? "" : "-" + point.stage) +
                                 (point.mode == "float32" ? "" : "-" + point.mode);
      std::snprintf(name, sizeof name, "%04zu-%.100s-q%d-%dx%d%.60s.csv", point.index, point.spec.abbr.c_str(),
                    point.quality, w.width, w.height, suffix.c_str());
      write_trace_csv((std::filesystem::path(traces) / name).string(), result.samples, result.windows);
      MeasurementRecord record = make_record(w, result, device_text, started_at);
      fill_site(record, site);
      return record;
    };
    if (point.command) {
      const CommandPoint command(*point.command, image, point.image.label);
      return measure(command);
    }
    if (!point.torchscript.empty())
      return measure(make_torchscript_workload(point.torchscript, TorchScriptOptions{}, image, point.image.label, device));
    if (!point.legacy.empty())
      return measure(make_legacy_workload(point.legacy, point.quality, image, point.image.label, parse_stage(point.stage)));
    CodecWorkload codec = make_codec_workload(point.spec.name, point.quality, image, point.image.label, device,
                                                    point.weights, 0, parse_stage(point.stage), parse_mode(point.mode));
    // Trained weights: the real codec's rate and distortion go into the record
    // (seeded weights have none worth recording).
    std::optional<RateDistortion> rd;
    if (!point.weights.empty()) rd = coded_rate_distortion(*codec.network, image, device);
    MeasurementRecord record = measure(codec);
    if (rd) fill_rate_distortion(record, *rd);
    return record;
  };
  return run_campaign(config, options.campaign, callbacks);
}

}  // namespace nicenergy
