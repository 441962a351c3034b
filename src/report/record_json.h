// JSON of a measurement: the record (CSV column names as keys, numbers as
// numbers), the protocol's result (settings, idle reference, every window, the
// device state before and after, the meter's metadata) and the device state.
#pragma once
#include <nlohmann/json.hpp>

#include "meters/power_meter.h"
#include "protocol/protocol.h"
#include "protocol/record.h"

namespace nicenergy {

// ordered_json: keys in the documented order (the CSV's columns for a record).
nlohmann::ordered_json to_json(const MeasurementRecord& record);
nlohmann::ordered_json to_json(const ProtocolResult& result);
nlohmann::ordered_json to_json(const DeviceState& state);

}  // namespace nicenergy
