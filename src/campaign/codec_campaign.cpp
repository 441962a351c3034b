#include "campaign/codec_campaign.h"

#include <cstdio>
#include <filesystem>

#include "image/image_source.h"
#include "io/files.h"
#include "models/codec.h"
#include "platform/runtime.h"
#include "platform/time_text.h"
#include "protocol/codec_measurement.h"
#include "protocol/measurement_session.h"
#include "subject/make_subject.h"

namespace nicenergy {

namespace {

// results/x-traces/NNNN-ABBR-qQ-WxH[-stage][-mode].csv
std::string trace_name(const CampaignPoint& point, const MeasurementRecord& record) {
  const SubjectSpec& s = point.subject;
  const std::string suffix = (s.stage == "chain" ? "" : "-" + s.stage) + (s.mode == "float32" ? "" : "-" + s.mode);
  char name[200];
  std::snprintf(name, sizeof name, "%04zu-%.100s-q%d-%dx%d%.60s.csv", point.index, s.abbr.c_str(), s.quality,
                record.width, record.height, suffix.c_str());
  return name;
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
  SessionOptions session_options;
  session_options.device = measured_device(device);
  session_options.meter = config.meter;
  session_options.host_meter = config.host_meter;  // entropy coding runs on the host CPU
  session_options.protocol = config.protocol;
  // The paper preheats once, then measures back to back; again after each idle reference.
  session_options.preheat_once_per_idle = true;
  MeasurementSession session(session_options);
  if (!session.note().empty()) std::fprintf(stderr, "note: %s\n", session.note().c_str());
  if (!session.host_note().empty()) std::fprintf(stderr, "note: %s\n", session.host_note().c_str());
  set_threads(options.threads);
  set_deterministic(true);
  prepare_output_folder(traces, traces_what);  // created, and proven writable

  CampaignCallbacks callbacks;
  // The cold reference is taken before any model is loaded (the paper's).
  callbacks.measure_idle = [&]() { return session.measure_idle(); };
  callbacks.measure_point = [&](const CampaignPoint& point, double) {
    const Image image = load_image_source(point.image);
    const auto subject = make_subject(point.subject, image, point.image.label, device);
    ProtocolResult result;
    MeasurementRecord record = session.measure(*subject, &result);
    write_trace_csv((std::filesystem::path(traces) / trace_name(point, record)).string(), result.samples,
                    result.windows);
    return record;
  };
  return run_campaign(config, options.campaign, callbacks);
}

}  // namespace nicenergy
