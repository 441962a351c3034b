// `--meter auto`'s last resort, one policy for every command (measure, exec,
// modes, layers, train, campaign): when no real meter sees the device, the
// CPU-time estimate, announced by one warning line on stderr.
#pragma once
#include <memory>
#include <string>

#include "meters/power_meter.h"

namespace nicenergy {

// The estimate meter, after writing "warning: --meter auto: ... ESTIMATE ..." with
// `why` (the real meters' reasons) to stderr.
std::unique_ptr<PowerMeter> estimate_fallback(const std::string& why);

}  // namespace nicenergy
