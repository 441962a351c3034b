// open_meter(spec) and list_meters(): choosing a backend by name.
#include <cstdio>
#include <sstream>

#include "error.h"
#include "io/numbers.h"
#include "meters/estimate_fallback.h"
#include "meters/estimate_label.h"
#include "meters/external_meter.h"
#include "meters/meter_specs.h"
#include "meters/power_meter.h"

namespace nicenergy {
namespace {

std::string after_colon(const std::string& spec) {
  const size_t colon = spec.find(':');
  return colon == std::string::npos ? "" : spec.substr(colon + 1);
}

std::string describe(PowerMeter& meter) {
  std::ostringstream out;
  const DeviceState state = meter.device_state();
  if (!state.name.empty()) out << state.name << "; ";
  if (!state.driver_version.empty()) out << "driver " << state.driver_version << "; ";
  if (meter.has_energy_counter()) out << "energy counter";
  if (meter.has_energy_counter() && meter.samples_power()) out << " + ";
  if (meter.samples_power()) out << "power samples";
  if (auto p = meter.power_w()) out << " (now " << *p << " W)";
  const auto meta = meter.metadata();
  for (const char* key : {"power_source", "domains", "per_core_w", "notes"}) {
    auto it = meta.find(key);
    if (it != meta.end()) out << "; " << key << " " << it->second;
  }
  if (meter.is_estimate()) out << "; ESTIMATE, not a measurement";
  return out.str();
}

}  // namespace

std::unique_ptr<PowerMeter> estimate_fallback(const std::string& why) {
  // On stderr, not in a note a caller may drop: every number that follows is modelled.
  std::fprintf(stderr, "warning: --meter auto found no real meter (%s), so it falls back to the CPU-time estimate: %s\n",
               why.c_str(), estimate_sentence().c_str());
  std::fflush(stderr);
  return make_estimate_meter();
}

namespace {

// The backend a checked spec names, made but not yet asked whether it works:
// open_meter requires that it does, list_meters says whether it does.
std::unique_ptr<PowerMeter> make_meter(const std::string& spec, Clock* clock) {
  check_meter_spec(spec);  // the table of meters/meter_specs.cpp: name and argument
  const std::string kind = spec.substr(0, spec.find(':'));
  const std::string arg = after_colon(spec);
  if (kind == "nvml") return make_nvml_meter(meter_nvml_index(spec));
  if (kind == "rapl") return make_rapl_meter();
  if (kind == "estimate") return make_estimate_meter(meter_estimate_tdp_w(spec));
  if (kind == "replay") return make_replay_meter(read_power_trace_csv(arg), clock);
  if (kind == "external") return make_external_meter(arg, clock);
  throw Error("meter '" + printable(spec) + "' is in the table but has no factory in make_meter");
}

}  // namespace

std::unique_ptr<PowerMeter> open_meter(const std::string& spec, Clock* clock) {
  if (spec == "auto") {
    auto nvml = make_nvml_meter(0);
    if (nvml->available()) return nvml;
    auto rapl = make_rapl_meter();
    if (rapl->available()) return rapl;
    return estimate_fallback(nvml->unavailable_reason() + "; " + rapl->unavailable_reason());
  }
  std::unique_ptr<PowerMeter> meter = make_meter(spec, clock);
  if (!meter->available()) throw Error("--meter " + spec + ": " + meter->unavailable_reason());
  return meter;
}

std::vector<MeterInfo> list_meters() {
  std::vector<MeterInfo> rows;
  for (const MeterBackend& b : meter_backends()) {
    if (b.argument_required) {  // nothing to open without its file
      rows.push_back({b.name, true, b.help + ": --meter " + b.name + ":" + b.argument});
      continue;
    }
    const std::unique_ptr<PowerMeter> meter = make_meter(b.name, nullptr);
    MeterInfo info{meter->name(), meter->available(), ""};
    info.detail = info.available ? describe(*meter) : meter->unavailable_reason();
    rows.push_back(info);
  }
  return rows;
}

}  // namespace nicenergy
