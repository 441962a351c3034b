// open_meter(spec) and list_meters(): choosing a backend by name.
#include <cstdio>
#include <sstream>

#include "error.h"
#include "io/numbers.h"
#include "meters/estimate_fallback.h"
#include "meters/external_meter.h"
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
  std::fprintf(stderr,
               "warning: --meter auto found no real meter (%s), so it falls back to the CPU-time ESTIMATE "
               "(CPU time x TDP share): the energies are ESTIMATES, not measurements\n",
               why.c_str());
  std::fflush(stderr);
  return make_estimate_meter();
}

std::unique_ptr<PowerMeter> open_meter(const std::string& spec, Clock* clock) {
  std::unique_ptr<PowerMeter> meter;
  const std::string kind = spec.substr(0, spec.find(':'));
  const std::string arg = after_colon(spec);
  if (spec == "auto") {
    auto nvml = make_nvml_meter(0);
    if (nvml->available()) return nvml;
    auto rapl = make_rapl_meter();
    if (rapl->available()) return rapl;
    return estimate_fallback(nvml->unavailable_reason() + "; " + rapl->unavailable_reason());
  } else if (kind == "nvml") {
    unsigned index = 0;
    if (!arg.empty()) {
      try {
        size_t used = 0;
        const long v = std::stol(arg, &used);
        if (used != arg.size() || v < 0) throw std::invalid_argument(arg);
        index = static_cast<unsigned>(v);
      } catch (const std::exception&) {
        throw Error("--meter " + spec + ": the GPU index must be a number >= 0, e.g. --meter nvml:0");
      }
    }
    meter = make_nvml_meter(index);
  } else if (spec == "rapl") {
    meter = make_rapl_meter();
  } else if (kind == "estimate") {
    double tdp_w = kDefaultTdpW;
    if (!arg.empty()) {
      // Through the checked parser: "estimate:nan" once gave nan joules.
      try {
        tdp_w = parse_double(arg, "the TDP");
      } catch (const Error&) {
        tdp_w = -1;
      }
      if (!(tdp_w > 0 && tdp_w <= 100000))
        throw Error("--meter " + printable(spec) + ": the TDP must be a number of watts in (0, 100000], e.g. --meter estimate:65");
    }
    meter = make_estimate_meter(tdp_w);
  } else if (kind == "replay") {
    if (arg.empty()) throw Error("--meter replay: name the trace, e.g. --meter replay:trace.csv");
    meter = make_replay_meter(read_power_trace_csv(arg), clock);
  } else if (kind == "external") {
    if (arg.empty()) throw Error("--meter external: name the wall-power meter's log, e.g. --meter external:power.csv");
    meter = make_external_meter(arg, clock);
  } else {
    throw Error("--meter " + printable(spec) +
                ": unknown meter; use auto, nvml, nvml:INDEX, rapl, estimate, estimate:TDP_W, replay:FILE or external:PATH");
  }
  if (!meter->available()) throw Error("--meter " + spec + ": " + meter->unavailable_reason());
  return meter;
}

std::vector<MeterInfo> list_meters() {
  std::vector<MeterInfo> rows;
  auto add = [&](std::unique_ptr<PowerMeter> meter) {
    MeterInfo info{meter->name(), meter->available(), ""};
    info.detail = info.available ? describe(*meter) : meter->unavailable_reason();
    rows.push_back(info);
  };
  add(make_nvml_meter(0));
  add(make_rapl_meter());
  add(make_estimate_meter());
  rows.push_back({"replay", true, "plays back a time_s,power_w CSV: --meter replay:FILE"});
  rows.push_back({"external", true,
                  "a wall-power meter's log (file or FIFO of UNIX_S,POWER_W lines): --meter external:PATH; "
                  "nicenergy validate compares it with the primary meter"});
  return rows;
}

}  // namespace nicenergy
