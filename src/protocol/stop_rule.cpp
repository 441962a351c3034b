#include "protocol/stop_rule.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace nicenergy {

std::string to_string(StopOutcome outcome) {
  switch (outcome) {
    case StopOutcome::more: return "more";
    case StopOutcome::converged: return "converged";
    case StopOutcome::k_max_reached: return "k_max reached";
  }
  return "";
}

StopDecision stop_decision(const std::vector<double>& per_execution_j, double confidence, double ci_target,
                           int k_min, int k_max) {
  StopDecision decision;
  decision.ci = mean_confidence_interval(per_execution_j, confidence);
  const double magnitude = std::fabs(decision.ci.mean);
  decision.relative_half_width = magnitude > 0 ? decision.ci.half_width / magnitude : std::numeric_limits<double>::infinity();
  const int k = static_cast<int>(per_execution_j.size());
  if (k >= k_min && k >= 2 && decision.ci.half_width <= ci_target * magnitude)
    decision.outcome = StopOutcome::converged;
  else if (k >= k_max)
    decision.outcome = StopOutcome::k_max_reached;
  return decision;
}

}  // namespace nicenergy
