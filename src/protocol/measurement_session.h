// What a measurement needs around the protocol: the meter for the device
// (opened once, with the one fallback policy) and the host CPU's beside it,
// the protocol's settings, the cold idle reference and when to preheat again,
// the device's text and where it ran. measure(subject) runs the paper's
// protocol and returns the record. Torch-free: `measure`, `exec`, campaigns
// and the Python module measure through it.
#pragma once
#include <memory>
#include <optional>
#include <string>

#include "meters/power_meter.h"
#include "protocol/measured_device.h"
#include "protocol/protocol.h"
#include "protocol/record.h"

namespace nicenergy {

class Subject;  // subject/subject.h: what is measured

struct SessionOptions {
  MeasuredDevice device;
  std::string meter = "auto";  // a meter spec (nicenergy meters); auto falls back to the labelled estimate
  ProtocolConfig protocol;
  bool preheat = true;
  // A campaign's policy: preheat once after each idle reference and reuse that
  // hot idle reference until the next one; else every measurement preheats.
  bool preheat_once_per_idle = false;
  std::string host_meter = "none";  // open_host_meter's spec: the host CPU beside a GPU
  bool estimate_fallback = true;     // auto falls back to the labelled estimate (validate: false)
};

class MeasurementSession {
 public:
  // Validates the settings and opens the meter; throws Error naming the
  // setting or the meter that is not there.
  explicit MeasurementSession(SessionOptions options);
  // "" or why the energies are estimates (the meter was named "estimate"),
  // and the same for the host meter.
  const std::string& note() const { return note_; }
  const std::string& host_note() const { return host_note_; }
  PowerMeter& meter() { return *meter_; }
  const SessionOptions& options() const { return options_; }

  // The paper's cold idle reference, before anything is loaded; measured again
  // on a second call (a campaign's refresh), after which the next measurement
  // preheats again. measure() takes one first where none was.
  double measure_idle();
  // The cold idle reference in use (none before the first measurement).
  const std::optional<IdleReference>& idle() const { return idle_; }
  // The protocol on the subject; the record is the subject's, with the energy,
  // meter, device, site and start time filled. The full result in *result.
  MeasurementRecord measure(const Subject& subject, ProtocolResult* result = nullptr);
  // The same on a bare workload: the identity's fields are kept (Python).
  MeasurementRecord measure(const Workload& workload, MeasurementRecord identity, ProtocolResult* result = nullptr);

 private:
  SessionOptions options_;
  std::string note_;
  std::string host_note_;
  std::unique_ptr<PowerMeter> meter_;
  std::unique_ptr<PowerMeter> host_meter_;
  std::optional<IdleReference> idle_, hot_idle_;
  std::string device_text_;
  MeasurementSite site_;
  ProtocolResult run(const Workload& workload);
};

}  // namespace nicenergy
