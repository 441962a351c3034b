#include "protocol/measurement_session.h"

#include "platform/time_text.h"
#include "protocol/settings.h"
#include "subject/subject.h"

namespace nicenergy {

MeasurementSession::MeasurementSession(SessionOptions options) : options_(std::move(options)) {
  validate(options_.protocol);
  meter_ = open_meter_for(options_.device, options_.meter, options_.estimate_fallback, &note_);
  host_meter_ = open_host_meter(options_.device, options_.host_meter, &host_note_);
  device_text_ = describe_device(options_.device, *meter_);
  site_ = measurement_site(options_.device, *meter_);
  // An idle reference the meter cannot resolve is refused now, in one line,
  // before the caller prints its notes.
  Protocol check(*meter_, options_.protocol);
}

double MeasurementSession::measure_idle() {
  Protocol protocol(*meter_, options_.protocol);
  if (host_meter_) protocol.add_host_meter(*host_meter_);
  idle_ = protocol.measure_idle();
  hot_idle_.reset();
  return idle_->idle_power_w;
}

ProtocolResult MeasurementSession::run(const Workload& workload) {
  Protocol protocol(*meter_, options_.protocol);
  if (host_meter_) protocol.add_host_meter(*host_meter_);
  // The campaign's policy reuses the hot reference of the last preheat.
  const bool reuse = options_.preheat_once_per_idle && hot_idle_.has_value();
  ProtocolResult result =
      protocol.run(workload, idle_, options_.preheat && !reuse, reuse ? hot_idle_ : std::nullopt);
  if (result.idle_cold) idle_ = result.idle_cold;
  if (options_.preheat_once_per_idle && !reuse) hot_idle_ = result.idle_hot;
  return result;
}

MeasurementRecord MeasurementSession::measure(const Subject& subject, ProtocolResult* result_out) {
  const std::string started_at = utc_now_iso8601();
  ProtocolResult result = run(subject.workload());
  MeasurementRecord record = subject.record(result, device_text_, started_at);
  fill_site(record, site_);
  if (result_out) *result_out = std::move(result);
  return record;
}

MeasurementRecord MeasurementSession::measure(const Workload& workload, MeasurementRecord record,
                                              ProtocolResult* result_out) {
  record.started_at = utc_now_iso8601();
  ProtocolResult result = run(workload);
  fill_record(result, record);
  record.device = device_text_;
  fill_site(record, site_);
  if (result_out) *result_out = std::move(result);
  return record;
}

}  // namespace nicenergy
