// What a measurement needs around the protocol: the meter for the device
// (opened once, with the one fallback policy), the protocol's settings and
// preheat, the device's text and where it ran. measure(workload, identity)
// runs the paper's protocol and returns the record, with the identity's
// fields (network, quality, image, sizes) kept. Torch-free: `exec`, the
// Python module and anything else that measures a workload use it.
#pragma once
#include <memory>
#include <optional>
#include <string>

#include "meters/power_meter.h"
#include "protocol/measured_device.h"
#include "protocol/protocol.h"
#include "protocol/record.h"

namespace nicenergy {

struct SessionOptions {
  MeasuredDevice device;
  std::string meter = "auto";  // a meter spec (nicenergy meters); auto falls back to the labelled estimate
  ProtocolConfig protocol;
  bool preheat = true;
};

class MeasurementSession {
 public:
  // Validates the settings and opens the meter; throws Error naming the
  // setting or the meter that is not there.
  explicit MeasurementSession(SessionOptions options);
  // "" or why the energies are estimates (the meter was named "estimate").
  const std::string& note() const { return note_; }
  PowerMeter& meter() { return *meter_; }
  const SessionOptions& options() const { return options_; }

  // The protocol on `workload`: the identity's fields are kept, the energy,
  // meter, device, site and start time filled. The full result in *result.
  // The cold idle reference is measured once and reused by later calls.
  MeasurementRecord measure(const Workload& workload, MeasurementRecord identity, ProtocolResult* result = nullptr);

 private:
  SessionOptions options_;
  std::string note_;
  std::unique_ptr<PowerMeter> meter_;
  std::optional<IdleReference> idle_;
};

}  // namespace nicenergy
