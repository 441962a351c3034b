// The answer first: the energy of one image per network, level and size, as
// measured, before the models and figures that explain it.
#include <algorithm>
#include <filesystem>
#include <regex>
#include <tuple>

#include "models/zoo.h"
#include "meters/estimate_label.h"
#include "report/image_label.h"
#include "report/report_parts.h"

namespace nicenergy {

std::string image_label(const std::string& image) {
  // A generated image is labelled "mosaic 256x128 of ../data/images": its size
  // stands beside it anyway, and the folder's name is enough to say what it is.
  static const std::regex generated(R"(^(\w+) \d+x\d+ of (.+)$)");
  std::smatch m;
  std::string folder;
  if (std::regex_match(image, m, generated)) {
    folder = std::filesystem::path(m[2].str()).lexically_normal().filename().string();
    if (folder.empty()) folder = std::filesystem::path(m[2].str()).lexically_normal().parent_path().filename().string();
    return m[1].str() + " of " + (folder.empty() ? m[2].str() : folder);
  }
  const std::string name = std::filesystem::path(image).filename().string();
  return name.empty() ? image : name;
}

std::string size_label(const MeasurementRecord& r) {
  return std::to_string(r.width) + "x" + std::to_string(r.height);
}

TextTable energy_table(const std::vector<MeasurementRecord>& records) {
  std::vector<const MeasurementRecord*> rows;
  for (const MeasurementRecord& r : records) rows.push_back(&r);
  std::stable_sort(rows.begin(), rows.end(), [](const MeasurementRecord* a, const MeasurementRecord* b) {
    return std::make_tuple(network_rank(a->abbr), a->abbr, level_rank(a->level), a->quality,
                           int64_t(a->width) * a->height, a->image) <
           std::make_tuple(network_rank(b->abbr), b->abbr, level_rank(b->level), b->quality,
                           int64_t(b->width) * b->height, b->image);
  });
  TextTable t;
  t.header = {"Network", "Level", "q", "Image", "Size", "E (J)", "E per MP (J/MP)", "± (J)", "n = K", "Meter"};
  for (const MeasurementRecord* r : rows) {
    const double mp = static_cast<double>(r->width) * r->height / 1e6;
    const bool estimate = r->method == "estimate" || r->meter == "estimate";
    t.rows.push_back({r->abbr, r->level, std::to_string(r->quality), image_label(r->image), size_label(*r),
                      format_number(r->energy_j, "%.4g"), mp > 0 ? format_number(r->energy_j / mp, "%.4g") : "-",
                      format_number(r->energy_ci_j, "%.2g"), std::to_string(r->k),
                      estimate ? kEstimateWord : r->meter});
  }
  return t;
}

}  // namespace nicenergy
