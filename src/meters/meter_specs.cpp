#include "meters/meter_specs.h"

#include "error.h"
#include "io/numbers.h"

namespace nicenergy {
namespace {

std::string argument_of(const std::string& spec) {
  const size_t colon = spec.find(':');
  return colon == std::string::npos ? "" : spec.substr(colon + 1);
}

}  // namespace

const std::vector<MeterBackend>& meter_backends() {
  // A new backend: a row here and its factory in open_meter (meters/open_meter.cpp).
  static const std::vector<MeterBackend> rows = {
      {"nvml", "INDEX", false, "an NVIDIA GPU through NVML (energy counter and power samples); INDEX: NVML's, default 0"},
      {"rapl", "", false, "the CPU package and DRAM through Linux powercap (RAPL energy counters)"},
      {"estimate", "TDP_W", false, "an ESTIMATE, not a measurement: CPU time x TDP share (default TDP 85 W)"},
      {"replay", "FILE", true, "plays back a time_s,power_w CSV"},
      {"external", "PATH", true,
       "a wall-power meter's log (file or FIFO of UNIX_S,POWER_W lines); nicenergy validate compares it with the "
       "primary meter"},
  };
  return rows;
}

std::string meter_spec_list() {
  std::string text = "auto";
  for (const MeterBackend& b : meter_backends()) {
    if (!b.argument_required) text += ", " + b.name;
    if (!b.argument.empty()) text += ", " + b.name + ":" + b.argument;
  }
  return text;
}

unsigned meter_nvml_index(const std::string& spec) {
  const std::string arg = argument_of(spec);
  if (arg.empty()) return 0;
  try {
    size_t used = 0;
    const long v = std::stol(arg, &used);
    if (used != arg.size() || v < 0 || v > 4096) throw std::invalid_argument(arg);
    return static_cast<unsigned>(v);
  } catch (const std::exception&) {
    throw Error("meter '" + printable(spec) + "': the GPU index must be a number >= 0, e.g. nvml:0");
  }
}

double meter_estimate_tdp_w(const std::string& spec) {
  const std::string arg = argument_of(spec);
  if (arg.empty()) return kDefaultTdpW;
  double tdp_w = -1;
  // Through the checked parser: "estimate:nan" once gave nan joules.
  try {
    tdp_w = parse_double(arg, "the TDP");
  } catch (const Error&) {
  }
  if (!(tdp_w > 0 && tdp_w <= 100000))
    throw Error("meter '" + printable(spec) + "': the TDP must be a number of watts in (0, 100000], e.g. estimate:65");
  return tdp_w;
}

void check_meter_spec(const std::string& spec) {
  if (spec == "auto") return;
  const std::string kind = spec.substr(0, spec.find(':'));
  const bool has_arg = spec.find(':') != std::string::npos;
  for (const MeterBackend& b : meter_backends()) {
    if (b.name != kind) continue;
    if (has_arg && b.argument.empty())
      throw Error("meter '" + printable(spec) + "': " + b.name + " takes no argument; use " + b.name);
    if (b.argument_required && argument_of(spec).empty())
      throw Error("meter '" + printable(spec) + "': name the " + b.argument + ", e.g. " + b.name + ":" +
                  (b.name == "replay" ? "trace.csv" : "power.csv"));
    if (b.name == "nvml") (void)meter_nvml_index(spec);
    if (b.name == "estimate") (void)meter_estimate_tdp_w(spec);
    return;
  }
  throw Error("meter '" + printable(spec) + "': unknown meter; use " + meter_spec_list());
}

}  // namespace nicenergy
