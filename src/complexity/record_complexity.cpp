#include "complexity/record_complexity.h"

#include <map>
#include <set>

#include "complexity/complexity.h"
#include "subject/resolve.h"
#include "models/zoo.h"

namespace nicenergy {

RecordsComplexity complexity_of_records(const std::vector<MeasurementRecord>& records) {
  RecordsComplexity out;
  std::set<std::string> seen;
  // Outside the zoo: the mean count per (network, level), in order of appearance.
  struct Custom {
    const MeasurementRecord* first = nullptr;
    double kmac_sum = 0;
    int counted = 0;
  };
  std::vector<std::pair<std::string, std::string>> custom_order;
  std::map<std::pair<std::string, std::string>, Custom> custom;
  std::set<std::string> legacy_abbrs;
  std::string legacy_list;
  for (const auto& r : records) {
    const std::string& name = r.network.empty() ? r.abbr : r.network;
    const std::optional<SubjectKind> kind = known_subject_kind(name);
    if (kind == SubjectKind::network) {
      const NetworkSpec* spec = lookup_network(name);
      const int quality = level_qualities(*spec, r.level).front();
      if (!seen.insert(spec->name + "/" + r.level).second) continue;
      const Complexity c = complexity_of(spec->name, quality);
      out.rows.push_back({c.abbr, c.network, c.level, c.quality, c.n, c.m, c.params, c.kmac_per_px,
                          c.kmac_per_px_2nd});
      continue;
    }
    // A legacy codec is not a network: it has no MACs to count (one note for them all).
    if (kind == SubjectKind::classic) {
      if (legacy_abbrs.insert(r.abbr).second) legacy_list += (legacy_list.empty() ? "" : ", ") + r.abbr;
      continue;
    }
    const auto key = std::make_pair(name, r.level);
    Custom& sum = custom[key];
    if (!sum.first) {
      sum.first = &r;
      custom_order.push_back(key);
    }
    if (r.kmac_per_px) sum.kmac_sum += *r.kmac_per_px, ++sum.counted;
  }
  if (!legacy_list.empty())
    out.notes.push_back("the legacy codecs (" + legacy_list +
                        ") are not networks and have no kMAC count, so the alpha-vs-kMAC fit and Fig. 3 leave them out");
  for (const auto& key : custom_order) {
    const Custom& sum = custom[key];
    const MeasurementRecord& r = *sum.first;
    if (sum.counted == 0) {
      out.notes.push_back(r.abbr + " (" + r.level + " level) has no kmac_per_px in its records (commands and "
                          "Python callables are not counted), so the alpha-vs-kMAC fit and Fig. 3 leave it out");
      continue;
    }
    ComplexityRow row;
    row.abbr = r.abbr;
    row.network = r.network;
    row.level = r.level;
    row.quality = r.quality;
    row.kmac_per_px = sum.kmac_sum / sum.counted;
    row.has_2nd = false;
    out.rows.push_back(row);
  }
  return out;
}

}  // namespace nicenergy
