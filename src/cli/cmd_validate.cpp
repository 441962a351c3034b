// validate: the primary meter against an external wall-power meter, interval by interval.

#include <cstdio>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/inputs.h"
#include "cli/options.h"
#include "error.h"
#include "meters/external_meter.h"
#include "models/codec.h"
#include "platform/runtime.h"
#include "protocol/codec_measurement.h"
#include "protocol/measurement_session.h"
#include "protocol/progress.h"
#include "protocol/settings.h"
#include "protocol/validation.h"
#include "report/record_json.h"
#include "subject/make_subject.h"
#include "subject/resolve.h"

namespace nicenergy::cli {
namespace {

struct ValidateParams : MeasuringParams {
  std::string model;
  int quality = 0;
  std::string external;
  ExternalMeterOptions external_options;
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
  (void)resolve_network(p.model, "validate");
  if (p.meter.rfind("external", 0) == 0) throw Error("--meter is the primary meter (auto, nvml, ...); the external log goes to --external");
  const torch::Device device = parse_device(p.device);
  validate(p.protocol);
  SubjectSpec spec = resolve_network(p.model, "validate");
  spec.quality = p.quality;
  spec.weights = p.weights;
  spec.seed = p.seed;
  check_subject_on(spec, device);  // unknown qualities fail before anything is loaded
  check_measured_input(p.input, p.size);
  p.external_options.wait_s = p.external_options.stale_s;
  // The log first: a missing or malformed one costs one line, not an idle reference.
  const std::unique_ptr<ExternalMeter> external = make_external_meter(p.external, nullptr, p.external_options);
  p.protocol.progress = protocol_progress(p.protocol, std::cerr, stderr_is_tty());
  SessionOptions options{measured_device(device), p.meter, p.protocol, !p.no_preheat};
  options.estimate_fallback = false;  // validate needs a measurement to compare
  MeasurementSession session(options);
  PowerMeter& meter = session.meter();
  if (meter.is_estimate()) throw Error("validate compares two measurements; the CPU-time estimate is none (pick --meter nvml or rapl)");
  set_threads(p.threads);
  set_deterministic(true);
  if (!session.note().empty()) std::fprintf(stderr, "note: %s\n", session.note().c_str());
  session.measure_idle();
  const IdleReference cold_idle = *session.idle();
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
  const auto subject = make_subject(spec, image, label, device);
  ProtocolResult result;
  (void)session.measure(*subject, &result);
  for (const std::string& w : result.warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
  const std::string run = find_network(p.model).abbr + " q" + std::to_string(p.quality) + " " +
                          std::to_string(image.width) + "x" + std::to_string(image.height);
  const std::vector<ValidationPair> pairs = validation_pairs(result, *external, run);
  const ValidationSummary summary = summarize_validation(pairs);
  if (p.json) {
    nlohmann::json j = {{"primary_meter", meter.name()}, {"primary_method", to_string(result.method)},
                        {"external_meter", external->name()}, {"external_metadata", external->metadata()},
                        {"summary", to_json(summary)}, {"pairs", nlohmann::json::array()},
                        {"protocol", to_json(result)}};
    for (const ValidationPair& pair : pairs) j["pairs"].push_back(to_json(pair));
    std::cout << j.dump(2) << "\n" << std::flush;
    return 0;
  }
  std::printf("primary        %s (%s), external %s (%s)\n", meter.name().c_str(), to_string(result.method).c_str(),
              external->name().c_str(), p.external.c_str());
  std::fputs(validation_text(pairs, summary, meter.name(), external->name()).c_str(), stdout);
  std::fflush(stdout);
  return 0;
}

}  // namespace

void add_validate_commands(CLI::App& app, Action& action) {
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
}

}  // namespace nicenergy::cli
