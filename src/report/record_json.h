// JSON of a measurement: the record (CSV column names as keys, numbers as
// numbers), the protocol's result (settings, idle reference, every window, the
// device state before and after, the meter's metadata) and the device state.
#pragma once
#include <nlohmann/json.hpp>

#include "meters/power_meter.h"
#include "protocol/protocol.h"
#include "protocol/record.h"

namespace nicenergy {

nlohmann::json to_json(const MeasurementRecord& record);
nlohmann::json to_json(const ProtocolResult& result);
nlohmann::json to_json(const DeviceState& state);

}  // namespace nicenergy
