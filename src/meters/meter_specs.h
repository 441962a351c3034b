// The meters by name: one row per backend (name, argument, help), read by
// open_meter, list_meters, the --meter help and the campaign config's check,
// so the CLI and the TOML take the same specs. Torch-free and opens nothing.
#pragma once
#include <string>

#include "meters/power_meter.h"

namespace nicenergy {

// nvml:INDEX's index (0 without one); throws Error naming the spec.
unsigned meter_nvml_index(const std::string& spec);
// estimate:TDP_W's watts (the default TDP without one); throws Error naming the spec.
double meter_estimate_tdp_w(const std::string& spec);

}  // namespace nicenergy
