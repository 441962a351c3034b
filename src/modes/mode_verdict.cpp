#include "modes/mode_verdict.h"

#include <cmath>
#include <cstdio>

namespace nicenergy {

EnergyOrder energy_order(const RunRow& mode, const RunRow& reference) {
  if (!std::isfinite(mode.energy_ci_j) || !std::isfinite(reference.energy_ci_j)) return EnergyOrder::within_noise;
  if (mode.energy_j + mode.energy_ci_j < reference.energy_j - reference.energy_ci_j) return EnergyOrder::lower;
  if (mode.energy_j - mode.energy_ci_j > reference.energy_j + reference.energy_ci_j) return EnergyOrder::higher;
  return EnergyOrder::within_noise;
}

std::string to_string(EnergyOrder order) {
  switch (order) {
    case EnergyOrder::lower: return "lower";
    case EnergyOrder::higher: return "higher";
    default: return "in noise";
  }
}

std::optional<EnergyRatio> energy_ratio(const RunRow& mode, const RunRow& reference) {
  if (!(reference.energy_j > 0)) return std::nullopt;
  EnergyRatio r;
  r.ratio = mode.energy_j / reference.energy_j;
  // To first order: d(m/f) = dm/f - (m/f) df/f.
  r.ci = std::hypot(mode.energy_ci_j / reference.energy_j, r.ratio * reference.energy_ci_j / reference.energy_j);
  return r;
}

ModesVerdict modes_verdict(const std::vector<ModeRow>& rows) {
  ModesVerdict v;
  for (const ModeRow& r : rows)
    if (r.by_design == "reference" && !r.failed()) v.reference = &r;
  if (v.reference == nullptr) {
    v.text = "float32 was not measured: no mode is compared with it";
    return v;
  }
  for (const ModeRow& r : rows) {
    if (&r == v.reference || r.failed()) continue;
    const EnergyOrder order = energy_order(r, *v.reference);
    v.any_differs = v.any_differs || order != EnergyOrder::within_noise;
    const bool exact = r.by_design == "exact" && r.exact;
    if (exact && order == EnergyOrder::lower && (v.best_exact == nullptr || r.energy_j < v.best_exact->energy_j))
      v.best_exact = &r;
  }
  if (v.best_exact != nullptr) {
    v.text = "best exact mode: " + v.best_exact->mode;
    if (const auto ratio = energy_ratio(*v.best_exact, *v.reference)) {
      char text[120];
      std::snprintf(text, sizeof text, ", %.3f +- %.2g x float32's dynamic energy per execution", ratio->ratio,
                    ratio->ci);
      v.text += text;
    }
    v.text += " (its interval lies below float32's)";
    // Another exact mode below float32 whose interval overlaps the best's is as good within the noise.
    std::string tied;
    for (const ModeRow& r : rows)
      if (&r != v.best_exact && !r.failed() && r.by_design == "exact" && r.exact &&
          energy_order(r, *v.reference) == EnergyOrder::lower &&
          energy_order(r, *v.best_exact) == EnergyOrder::within_noise)
        tied += (tied.empty() ? "" : ", ") + r.mode;
    if (!tied.empty()) v.text += "; not told apart from " + tied;
  } else if (v.any_differs) {
    v.text = "no exact mode uses less energy than float32 beyond the noise";
  } else {
    v.text = "no mode differs from float32 beyond the noise";
  }
  return v;
}

}  // namespace nicenergy
