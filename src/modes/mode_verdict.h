// What `modes` may claim about energy: a mode is lower or higher than float32
// only when their confidence intervals do not overlap, and the best exact
// mode is named only among the exact modes that are lower so; inside the
// noise, nothing is called better.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "modes/mode_results.h"

namespace nicenergy {

enum class EnergyOrder { lower, higher, within_noise };

// The mode's energy against the reference's, by their intervals (energy_j +-
// energy_ci_j); a non-finite interval separates nothing.
EnergyOrder energy_order(const RunRow& mode, const RunRow& reference);
std::string to_string(EnergyOrder order);  // "lower", "higher", "in noise"

// The mode's energy over the reference's and the half-width of that ratio's
// interval (the relative intervals in quadrature); nullopt without a positive
// reference energy.
struct EnergyRatio {
  double ratio = 0, ci = 0;
};
std::optional<EnergyRatio> energy_ratio(const RunRow& mode, const RunRow& reference);

struct ModesVerdict {
  const ModeRow* reference = nullptr;   // the measured float32 row; null when it failed or is missing
  const ModeRow* best_exact = nullptr;  // least energy among the exact modes below float32 beyond the noise
  bool any_differs = false;             // some measured mode's interval is apart from float32's
  std::string text;                     // the sentence the table ends with
};
// From one run's rows (failed ones ignored); pointers into `rows`.
ModesVerdict modes_verdict(const std::vector<ModeRow>& rows);

}  // namespace nicenergy
