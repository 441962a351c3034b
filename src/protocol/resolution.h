// Whether a dynamic energy is resolved above the idle power: its confidence
// interval stays above zero. The protocol warns where it does not, and the CLI
// flags the number; one rule for both.
#pragma once

namespace nicenergy {

inline bool energy_resolved(double energy_j, double energy_ci_j) { return energy_j - energy_ci_j > 0; }

}  // namespace nicenergy
