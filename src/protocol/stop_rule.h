// The protocol's stopping rule for K (paper, Sec. 3), on the confidence
// interval of stats/stats.h.
#pragma once
#include <string>
#include <vector>

#include "stats/stats.h"

namespace nicenergy {

// The run-time choice of K (paper, Sec. 3): after each window from k_min on,
// stop when the half-width is at most ci_target x |mean|, or at k_max.
enum class StopOutcome { more, converged, k_max_reached };
std::string to_string(StopOutcome outcome);  // "more", "converged", "k_max reached"
struct StopDecision {
  StopOutcome outcome = StopOutcome::more;
  ConfidenceInterval ci;
  double relative_half_width = 0;  // half_width / |mean|
};
StopDecision stop_decision(const std::vector<double>& per_execution_j, double confidence, double ci_target,
                           int k_min, int k_max);

}  // namespace nicenergy
