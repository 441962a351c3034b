#include <algorithm>
#include <tuple>

#include "models/zoo.h"
#include "report/report_parts.h"

namespace nicenergy {

TextTable table1(const FitResult& fit, const std::vector<ComplexityRow>& complexity) {
  TextTable t;
  t.header = {"Network", "Level", "Qualities", "N", "M", "Params (M)", "kMAC/px", "kMAC/px 2nd", "α (µJ/px)"};
  std::vector<std::pair<std::string, std::string>> keys;
  for (const ComplexityRow& r : complexity)
    if (std::find(keys.begin(), keys.end(), std::make_pair(r.abbr, r.level)) == keys.end()) keys.push_back({r.abbr, r.level});
  std::stable_sort(keys.begin(), keys.end(), [](const auto& a, const auto& b) {
    return std::make_tuple(network_rank(a.first), a.first, level_rank(a.second)) <
           std::make_tuple(network_rank(b.first), b.first, level_rank(b.second));
  });
  const std::vector<KmacPoint> points = kmac_points(complexity);
  for (const auto& [abbr, level] : keys) {
    std::string qualities;
    const ComplexityRow* first = nullptr;
    for (const ComplexityRow& r : complexity)
      if (r.abbr == abbr && r.level == level) {
        if (!first) first = &r;
        qualities += (qualities.empty() ? "" : ",") + std::to_string(r.quality);
      }
    const KmacPoint* point = nullptr;
    for (const KmacPoint& p : points)
      if (p.abbr == abbr && p.level == level) point = &p;
    const EnergyFit* f = find_fit(fit, abbr, level);
    // A network outside the zoo has no (N, M) and no 2nd-downsampling figure: "-".
    const bool zoo = first->has_2nd;
    t.rows.push_back({abbr, level, qualities, zoo ? std::to_string(first->n) : "-", zoo ? std::to_string(first->m) : "-",
                      zoo ? format_number(first->params / 1e6, "%.3f") : "-", format_number(point->kmac_per_px, "%.2f"),
                      point->has_2nd ? format_number(point->kmac_per_px_2nd, "%.2f") : "-",
                      f ? format_number(f->alpha_j_per_pixel * 1e6, "%.4g") : "-"});
  }
  return t;
}

}  // namespace nicenergy
