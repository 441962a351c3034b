// The complexity of every network-level in a set of records, for the
// alpha-vs-kMAC fit, Fig. 3 and Table 1: the zoo's networks from their modules
// (complexity_of), any other network (a TorchScript file, a command) from the
// kmac_per_px its records carry.
#pragma once
#include <string>
#include <vector>

#include "complexity/complexity_types.h"
#include "protocol/record.h"

namespace nicenergy {

struct RecordsComplexity {
  std::vector<ComplexityRow> rows;  // one per network-level (zoo: its first quality)
  std::vector<std::string> notes;   // the network-levels left out, and why
};

// A network outside the zoo gets one row per level with the mean kmac_per_px of
// its records (a count at each measured size; padding may move it a little),
// no N, M or parameters and no 2nd-downsampling figure. One without any
// kmac_per_px (a command) gets no row but a note: left out of Fig. 3 and the
// alpha-vs-kMAC fit, never silently. Throws Error for a zoo record whose level
// is not low or high.
RecordsComplexity complexity_of_records(const std::vector<MeasurementRecord>& records);

}  // namespace nicenergy
