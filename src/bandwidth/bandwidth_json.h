// `bandwidth --format json` read back, for the report's per-layer figure
// (report --bandwidth FILE): the layers' bytes and the totals, and whether the
// weights were trained.
#pragma once
#include <string>

#include "bandwidth/bandwidth_types.h"

namespace nicenergy {

struct BandwidthFile {
  ActivationBandwidth bandwidth;
  bool trained = false;  // false: seeded weights, whose figures are meaningless (said in the figure)
};

// Throws Error naming the file and what is wrong with it (missing, not JSON,
// not a file `nicenergy bandwidth --format json` wrote, a field of the wrong type).
BandwidthFile read_bandwidth_json(const std::string& path);

}  // namespace nicenergy
