// `nicenergy validate`: the protocol's intervals measured at once by the
// primary meter (NVML, ...) and an external one (a wall-power meter's log), as
// the paper validated NVML against a ZES LMG661 (correlation 0.9986). Each
// interval (the idle references and every window) gives one pair of energies;
// over the pairs: Pearson's r, and a least-squares line of the mean powers
//   P_external = slope x P_primary + offset_w
// (a wall meter sees the host and the power supply's losses too: an offset and
// a slope other than 1 are expected; a low r is what would be wrong).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "meters/external_meter.h"
#include "protocol/protocol.h"

namespace nicenergy {

struct ValidationPair {
  std::string run;       // which measurement ("Bfac q1 64x64")
  std::string interval;  // "cold idle", "hot idle", "window 3"
  double start_s = 0, end_s = 0;
  double primary_j = 0, external_j = 0;
  double length_s() const { return end_s - start_s; }
  double primary_w() const { return primary_j / length_s(); }
  double external_w() const { return external_j / length_s(); }
};

struct ValidationSummary {
  size_t pairs = 0;
  // Pearson's r of the pairs' energies and of their mean powers; none where a
  // series is constant (r is 0/0 there), with the reason beside it.
  std::optional<double> energy_pearson, power_pearson;
  std::string energy_pearson_undefined, power_pearson_undefined;  // "the external meter's mean powers are all equal"
  double slope = 0;           // P_external = slope x P_primary + offset_w
  double offset_w = 0;
  double energy_ratio = 0;    // sum external / sum primary
};

// The intervals of one protocol run (its idle references where measured, its
// windows), each measured by the external meter over the same edges. The
// primary's energy is its method's (the counter where it has one). Throws
// Error where the external log does not cover an interval, or as check_validation_pair.
std::vector<ValidationPair> validation_pairs(const ProtocolResult& result, ExternalMeter& external,
                                             const std::string& run);
// Throws Error naming the pair where a number is one the arithmetic cannot take:
// not finite, or so large that its square overflows (a corrupt log).
void check_validation_pair(const ValidationPair& pair);
// Throws Error for fewer than 3 pairs, primary powers all equal (no line), or a
// pair check_validation_pair refuses.
ValidationSummary summarize_validation(const std::vector<ValidationPair>& pairs);

nlohmann::json to_json(const ValidationPair& pair);
nlohmann::json to_json(const ValidationSummary& summary);
// The text table of `validate`: one line per pair, then the summary.
std::string validation_text(const std::vector<ValidationPair>& pairs, const ValidationSummary& summary,
                            const std::string& primary, const std::string& external);

}  // namespace nicenergy
