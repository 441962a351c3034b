#include "protocol/measurement_session.h"

#include "platform/time_text.h"
#include "protocol/settings.h"

namespace nicenergy {

MeasurementSession::MeasurementSession(SessionOptions options) : options_(std::move(options)) {
  validate(options_.protocol);
  meter_ = open_meter_for(options_.device, options_.meter, true, &note_);
}

MeasurementRecord MeasurementSession::measure(const Workload& workload, MeasurementRecord record,
                                              ProtocolResult* result_out) {
  record.started_at = utc_now_iso8601();
  Protocol protocol(*meter_, options_.protocol);
  ProtocolResult result = protocol.run(workload, idle_, options_.preheat);
  if (result.idle_cold) idle_ = result.idle_cold;
  fill_record(result, record);
  record.device = describe_device(options_.device, *meter_);
  fill_site(record, measurement_site(options_.device, *meter_));
  if (result_out) *result_out = std::move(result);
  return record;
}

}  // namespace nicenergy
