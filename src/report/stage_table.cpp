// Encode against decode (issue 13): the records of the codec's stages
// (measure --stage, the campaign's `stages`), one row per point, and a figure
// of each network's stages per megapixel.
#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <tuple>

#include "models/zoo.h"
#include "meters/estimate_label.h"
#include "protocol/record_groups.h"
#include "report/gnuplot.h"
#include "report/report_parts.h"

namespace nicenergy {

namespace {


// A point: where one image was measured by one network at one quality on one device model.
using PointKey = std::tuple<int, std::string, int, int64_t, int, int, std::string, std::string>;
PointKey point_of(const MeasurementRecord& r) {
  return {network_rank(r.abbr), r.abbr, r.quality, int64_t(r.width) * r.height, r.width, r.height, r.image,
          group_name(r)};
}

using StagesAtPoint = std::map<std::string, const MeasurementRecord*>;

// Points with at least one stage besides the chain, in report order.
std::vector<std::pair<PointKey, StagesAtPoint>> stage_points(const std::vector<MeasurementRecord>& records) {
  std::map<PointKey, StagesAtPoint> points;
  for (const MeasurementRecord& r : records) points[point_of(r)][record_stage(r)] = &r;
  std::vector<std::pair<PointKey, StagesAtPoint>> kept;
  for (auto& [key, stages] : points)
    if (stages.size() > 1 || !stages.count("chain")) kept.push_back({key, stages});
  return kept;
}

std::optional<double> energy(const StagesAtPoint& s, const std::string& stage) {
  const auto it = s.find(stage);
  if (it == s.end()) return std::nullopt;
  return it->second->energy_j;
}

// The entropy side's share of one side: from the side's own record where both
// were measured, else from its two parts.
std::optional<double> entropy_share(const StagesAtPoint& s, const std::string& side, const std::string& entropy,
                                    const std::string& transform) {
  const auto e = energy(s, entropy);
  if (!e) return std::nullopt;
  if (const auto whole = energy(s, side); whole && *whole > 0) return *e / *whole;
  if (const auto t = energy(s, transform); t && *t + *e > 0) return *e / (*t + *e);
  return std::nullopt;
}

std::string cell(const std::optional<double>& v, const char* format, double scale = 1) {
  return v ? format_number(*v * scale, format) : "";
}

std::optional<double> kmac(const StagesAtPoint& s, const std::string& stage) {
  const auto it = s.find(stage);
  return it == s.end() ? std::nullopt : it->second->kmac_per_px;
}

std::optional<double> host_energy(const StagesAtPoint& s, const std::string& stage) {
  const auto it = s.find(stage);
  return it == s.end() ? std::nullopt : it->second->host_energy_j;
}

}  // namespace

bool has_stage_records(const std::vector<MeasurementRecord>& records) {
  return std::any_of(records.begin(), records.end(), [](const MeasurementRecord& r) { return record_stage(r) != "chain"; });
}

TextTable stage_table(const std::vector<MeasurementRecord>& records) {
  const auto points = stage_points(records);
  std::set<std::string> devices;
  for (const auto& [key, stages] : points) devices.insert(std::get<7>(key));
  const bool several = devices.size() > 1;
  // The host CPU's side of a GPU's stages, where a host meter ran (labelled when estimated).
  bool host = false, host_estimate = false;
  for (const auto& [key, stages] : points)
    for (const auto& [stage, r] : stages) {
      host = host || r->host_energy_j.has_value();
      host_estimate = host_estimate || (r->host_energy_j && r->host_meter == "estimate");
    }
  TextTable t;
  t.header = {"Network", "q", "Image", "Size"};
  if (several) t.header.push_back("Device");
  for (const char* h : {"chain J", "encode J", "decode J", "decode/encode", "entropy share of encode %",
                        "entropy share of decode %", "encoder kMAC/px", "decoder kMAC/px"})
    t.header.push_back(h);
  if (host) {
    const std::string label = host_estimate ? std::string(" (") + kEstimateWord + ")" : "";
    t.header.push_back("host J of encode" + label);
    t.header.push_back("host J of decode" + label);
  }
  for (const auto& [key, s] : points) {
    const auto& [rank, abbr, quality, pixels, width, height, image, device] = key;
    std::vector<std::string> row = {abbr, std::to_string(quality), image,
                                    std::to_string(width) + "x" + std::to_string(height)};
    if (several) row.push_back(device);
    const auto enc = energy(s, "encode"), dec = energy(s, "decode");
    row.push_back(cell(energy(s, "chain"), "%.4g"));
    row.push_back(cell(enc, "%.4g"));
    row.push_back(cell(dec, "%.4g"));
    row.push_back(enc && dec && *enc > 0 ? format_number(*dec / *enc, "%.2f") : "");
    row.push_back(cell(entropy_share(s, "encode", "entropy-encode", "analysis"), "%.1f", 100));
    row.push_back(cell(entropy_share(s, "decode", "entropy-decode", "synthesis"), "%.1f", 100));
    row.push_back(cell(kmac(s, "encode"), "%.2f"));
    row.push_back(cell(kmac(s, "decode"), "%.2f"));
    if (host) {
      row.push_back(cell(host_energy(s, "encode"), "%.4g"));
      row.push_back(cell(host_energy(s, "decode"), "%.4g"));
    }
    t.rows.push_back(std::move(row));
  }
  return t;
}

bool write_fig4_stages(ReportFolder& w, const std::vector<MeasurementRecord>& records, const std::string& stem) {
  // Mean energy per megapixel over each network-quality's images, per stage.
  static const std::vector<std::string> order = {"encode", "decode", "analysis", "entropy-encode", "entropy-decode",
                                                 "synthesis"};
  std::map<std::tuple<int, std::string, int>, std::map<std::string, std::pair<double, int>>> sums;
  std::set<std::string> present;
  for (const MeasurementRecord& r : records) {
    const std::string stage = record_stage(r);
    if (stage == "chain" || r.pixels <= 0) continue;
    auto& [sum, n] = sums[{network_rank(r.abbr), r.abbr, r.quality}][stage];
    sum += r.energy_j / (static_cast<double>(r.pixels) / 1e6);
    ++n;
    present.insert(stage);
  }
  if (sums.empty()) return false;
  double max_e = 0;
  for (const auto& [key, stages] : sums)
    for (const auto& [stage, sn] : stages) max_e = std::max(max_e, sn.first / sn.second);
  const bool milli = max_e < 1.0;
  const double scale = milli ? 1e3 : 1.0;
  const std::string unit = milli ? "mJ" : "J";
  std::vector<std::string> columns;
  for (const std::string& stage : order)
    if (present.count(stage)) columns.push_back(stage);

  std::string dat = "# network-quality, then " + unit + " per megapixel of each stage (mean over the images; ? not measured):";
  for (const std::string& c : columns) dat += " " + c;
  dat += "\n";
  for (const auto& [key, stages] : sums) {
    dat += gp_string(std::get<1>(key) + " q" + std::to_string(std::get<2>(key)));
    for (const std::string& c : columns) {
      const auto it = stages.find(c);
      dat += " " + (it == stages.end() ? std::string("?") : gp_number(it->second.first / it->second.second * scale));
    }
    dat += "\n";
  }
  w.write(stem + ".dat", dat);

  static const std::map<std::string, std::string> colors = {
      {"encode", "#1f77b4"},         {"decode", "#d62728"},         {"analysis", "#aec7e8"},
      {"entropy-encode", "#17becf"}, {"entropy-decode", "#ff9896"}, {"synthesis", "#f7b6d2"}};
  std::string gp = gp_header(stem);
  gp += "set title 'Energy per megapixel of each stage" + w.title_note + "'\n"
        "set ylabel 'Energy per execution and megapixel (" + unit + "/MP)'\n"
        "set datafile missing '?'\n"
        "set style data histograms\nset style histogram clustered gap 1\n"
        "set style fill solid 0.9 border rgb '#444444'\nset boxwidth 0.9\n"
        "set key top left box opaque\nset xtics rotate by -30\nset yrange [0:*]\nset grid noxtics ytics\n"
        "set xrange [-0.6:" + gp_number(static_cast<double>(sums.size()) - 0.4) + "]\n";
  for (size_t i = 0; i < columns.size(); ++i)
    gp += std::string(i ? ", \\\n     " : "plot ") + "'" + stem + ".dat' using " + std::to_string(i + 2) +
          (i ? "" : ":xtic(1)") + " lc rgb '" + colors.at(columns[i]) + "' title '" + columns[i] + "'";
  gp += "\n" + gp_footer(stem);
  w.write(stem + ".gp", gp);
  return true;
}

}  // namespace nicenergy
