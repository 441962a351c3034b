// meters, measure and campaign: energy measurement with the paper's protocol.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>

#include "cli/args.h"
#include "models/codec.h"
#include "platform/runtime.h"
#include "protocol/codec_measurement.h"
#include "protocol/progress.h"
#include "protocol/results_csv.h"

namespace nicenergy {

int cmd_meters(Args& args) {
  if (args.help()) {
    std::puts("usage: nicenergy meters [--json]\n"
              "Every power meter nicenergy knows, whether it works on this machine, and why not.");
    return 0;
  }
  const bool json = args.flag("json");
  args.finish();
  const auto meters = list_meters();
  if (json) {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& m : meters) j.push_back({{"name", m.name}, {"available", m.available}, {"detail", m.detail}});
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  for (const auto& m : meters)
    std::printf("%-9s %-4s %s\n", m.name.c_str(), m.available ? "yes" : "no", m.detail.c_str());
  return 0;
}

// Stage progress of one measurement on stderr: redrawn on a terminal, one line
// per stage elsewhere.
static ProgressFn stage_progress() {
  const bool tty = stderr_is_tty();
  auto last = std::make_shared<std::string>();
  return [tty, last](const std::string& stage, double fraction) {
    if (tty) {
      std::fprintf(stderr, "\r%-10s %3.0f %%", stage.c_str(), 100 * fraction);
      if (fraction >= 1) std::fputc('\n', stderr);
    } else if (stage != *last) {
      std::fprintf(stderr, "%s...\n", stage.c_str());
    }
    *last = stage;
  };
}

int cmd_measure(Args& args) {
  if (args.help()) {
    std::puts(
        "usage: nicenergy measure --model NAME --quality Q (--input IMAGE | --size WxH) [options]\n"
        "Dynamic energy per execution of the full encoder-decoder chain (paper Sec. 3, Eq. 1):\n"
        "idle reference, preheat, M executions per window, K windows until the confidence\n"
        "interval is narrow enough.\n"
        "  --device cpu|cuda|cuda:N   where the network runs (default cpu)\n"
        "  --meter auto|nvml|rapl|estimate|estimate:TDP_W|replay:FILE   (default auto: NVML for\n"
        "                             CUDA, RAPL for the CPU; no meter is an error unless\n"
        "                             --meter estimate is asked for)\n"
        "  --idle-s S (120)  --preheat-temp-c C (80)  --preheat-max-s S (600)  --no-preheat\n"
        "  --window-s S (5)  --confidence P (0.95)  --ci-target R (0.02)  --k-min K (3)\n"
        "  --k-max K (30)  --sample-hz F (10)  --no-deterministic  --weights FILE  --seed S\n"
        "  --threads N (0: one per core)   LibTorch intra-op threads on the CPU\n"
        "  --trace FILE.csv   power samples with the windows marked (Fig. 1)\n"
        "  --json             one JSON record on stdout (CSV column names, plus the protocol)");
    return 0;
  }
  const std::string model = args.require("model");
  const int quality = args.require_integer("quality");
  const std::string input = args.get("input");
  const std::string size_text = args.get("size");
  const torch::Device device = parse_device(args.get("device", "cpu"));
  const std::string meter_spec = args.get("meter", "auto");
  ProtocolConfig config;
  config.idle_s = args.number("idle-s", config.idle_s);
  config.preheat_target_c = args.number("preheat-temp-c", config.preheat_target_c);
  config.preheat_max_s = args.number("preheat-max-s", config.preheat_max_s);
  const bool preheat = !args.flag("no-preheat");
  config.window_s = args.number("window-s", config.window_s);
  config.confidence = args.number("confidence", config.confidence);
  config.ci_target = args.number("ci-target", config.ci_target);
  config.k_min = args.integer("k-min", config.k_min);
  config.k_max = args.integer("k-max", config.k_max);
  config.sample_hz = args.number("sample-hz", config.sample_hz);
  const bool deterministic = !args.flag("no-deterministic");
  const std::string weights = args.get("weights");
  const int seed = args.integer("seed", 0);
  const int threads = args.integer("threads", 0);
  const std::string trace = args.get("trace");
  const bool json = args.flag("json");
  args.finish();
  if (input.empty() == size_text.empty()) throw Error("give one of --input IMAGE or --size WxH");
  validate(config);
  quality_config(find_network(model), quality);  // unknown names fail before anything is loaded

  std::string note;
  const auto meter = open_meter_for(device, meter_spec, false, &note);
  set_threads(threads);
  set_deterministic(deterministic);
  Image image;
  std::string label = input;
  if (!input.empty()) {
    image = load_image(input);
  } else {
    const ImageInfo size = parse_size(size_text);
    image = sized_test_image(size.width, size.height);
    label = "mosaic " + size_text + " of data/images";
  }
  const CodecWorkload workload = make_codec_workload(model, quality, image, label, device, weights, seed);
  if (!note.empty()) std::fprintf(stderr, "note: %s\n", note.c_str());

  config.progress = stage_progress();
  const std::string started_at = utc_now_iso8601();
  Protocol protocol(*meter, config);
  const ProtocolResult result = protocol.run(workload.workload(), std::nullopt, preheat);
  const MeasurementRecord record = make_record(workload, result, describe_device(device, *meter), started_at);
  if (!trace.empty()) write_trace_csv(trace, result.samples, result.windows);

  if (json) {
    nlohmann::json j = to_json(record);
    j["estimate"] = result.estimate;
    j["stop"] = to_string(result.stop);
    j["preheat"] = to_string(result.preheat.outcome);
    j["window_lengths_s"] = nlohmann::json::array();
    for (const auto& w : result.windows) j["window_lengths_s"].push_back(w.length_s());
    j["deterministic"] = deterministic;
    j["weights"] = weights.empty() ? "seeded random (seed " + std::to_string(seed) + ")" : weights;
    j["protocol"] = to_json(result);
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  const char* unit_note = result.estimate ? "  (ESTIMATE: CPU time x TDP share)" : "";
  std::printf("network        %s (%s) quality %d, %s level\n", record.network.c_str(), record.abbr.c_str(),
              record.quality, record.level.c_str());
  std::printf("image          %s, %dx%d padded to %dx%d\n", record.image.c_str(), record.width, record.height,
              record.padded_width, record.padded_height);
  std::printf("device         %s\n", record.device.c_str());
  std::printf("meter          %s, method %s\n", record.meter.c_str(), record.method.c_str());
  std::printf("idle power     %.3f W\n", record.idle_power_w);
  std::printf("preheat        %s after %.1f s\n", to_string(result.preheat.outcome).c_str(), result.preheat.duration_s);
  std::printf("windows        K = %d of M = %lld executions (%s)\n", record.k, static_cast<long long>(record.m),
              to_string(result.stop).c_str());
  std::printf("mean power     %.3f W\n", record.mean_power_w);
  std::printf("time           %.4f s per execution\n", record.duration_s);
  std::printf("dynamic energy %.6g J +- %.2g J per execution (%.0f %% CI, %.2f %%)%s\n", record.energy_j,
              record.energy_ci_j, 100 * config.confidence, 100 * result.ci_relative, unit_note);
  if (!trace.empty()) std::printf("trace          %s\n", trace.c_str());
  return 0;
}

int cmd_campaign(Args& args) {
  if (args.help()) {
    std::puts(
        "usage: nicenergy campaign CONFIG.toml [--dry-run] [--shard I/N] [--output RESULTS.csv] [--no-resume]\n"
        "                          [--threads N]\n"
        "       nicenergy campaign merge SHARD.csv... --output RESULTS.csv\n"
        "Measures networks x quality levels x images and appends one row per measurement to the\n"
        "results CSV (fsynced as it finishes). A restarted campaign skips the rows already there.\n"
        "--shard I/N takes every N-th point (RESULTS.shardIofN.csv); 'merge' joins shard CSVs in\n"
        "plan order. See configs/example.toml for every key. --threads N: LibTorch intra-op\n"
        "threads on the CPU (default 0: one per core).");
    return 0;
  }
  const bool dry_run = args.flag("dry-run");
  const std::string shard = args.get("shard", "1/1");
  const std::string output = args.get("output");
  const bool no_resume = args.flag("no-resume");
  const int threads = args.integer("threads", 0);
  args.finish(1000);
  const auto& positionals = args.positionals();
  if (positionals.empty()) throw Error("campaign needs a config: nicenergy campaign CONFIG.toml (see configs/)");

  if (positionals[0] == "merge") {
    if (positionals.size() < 2) throw Error("campaign merge needs shard CSVs: campaign merge A.csv B.csv --output ALL.csv");
    if (output.empty()) throw Error("campaign merge needs --output RESULTS.csv");
    const std::vector<std::string> inputs(positionals.begin() + 1, positionals.end());
    const MergeSummary s = merge_results(inputs, output);
    std::printf("merged %zu rows into %s (%zu duplicates dropped)\n", s.rows, output.c_str(), s.duplicates);
    return 0;
  }
  if (positionals.size() > 1) throw Error("unexpected argument '" + positionals[1] + "': one config at a time");

  const CampaignConfig config = load_campaign_config(positionals[0]);
  CampaignOptions options;
  options.shard = parse_shard(shard);
  options.dry_run = dry_run;
  options.resume = !no_resume;
  options.output = output;
  if (dry_run) {
    std::cout << dry_run_text(config, options);
    return 0;
  }

  const torch::Device device = parse_device(config.device);
  std::string note;
  const auto meter = open_meter_for(device, config.meter, true, &note);
  if (!note.empty()) std::fprintf(stderr, "note: %s\n", note.c_str());
  set_threads(threads);
  set_deterministic(true);
  Protocol protocol(*meter, protocol_config(config.protocol));
  const std::string device_text = describe_device(device, *meter);

  // Each point's power trace (Fig. 1, and offline re-analysis with --meter
  // replay:FILE) goes beside the results: results/x.csv -> results/x-traces/.
  const std::string output_path = options.output.empty() ? shard_output_path(config.output, options.shard) : options.output;
  const std::filesystem::path traces = traces_folder(output_path);
  std::filesystem::create_directories(traces);

  // The paper preheats once and then measures back to back; after an idle
  // reference (the device has cooled) it preheats again.
  bool preheat_next = true;
  CampaignCallbacks callbacks;
  callbacks.measure_idle = [&]() {
    preheat_next = true;
    return protocol.measure_idle().idle_power_w;
  };
  callbacks.measure_point = [&](const CampaignPoint& point, double idle_power_w) {
    const std::string started_at = utc_now_iso8601();
    const Image image = load_image_source(point.image);
    const CodecWorkload w =
        make_codec_workload(point.spec.name, point.quality, image, point.image.label, device);
    const ProtocolResult result = protocol.run(w.workload(), idle_from_power(idle_power_w), preheat_next);
    preheat_next = false;
    char name[64];
    std::snprintf(name, sizeof name, "%04zu-%s-q%d-%dx%d.csv", point.index, point.spec.abbr.c_str(), point.quality,
                  w.width, w.height);
    write_trace_csv((traces / name).string(), result.samples, result.windows);
    return make_record(w, result, device_text, started_at);
  };
  const CampaignSummary s = run_campaign(config, options, callbacks);  // prints its own summary
  if (s.failed) {
    std::printf("failures are listed in %s.errors; run the same command again to retry them\n", s.output.c_str());
    return 1;
  }
  return 0;
}

}  // namespace nicenergy
