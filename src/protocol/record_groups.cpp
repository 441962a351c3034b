#include "protocol/record_groups.h"

#include <cctype>
#include <map>
#include <set>

#include "error.h"

namespace nicenergy {

std::string device_model(const MeasurementRecord& r) {
  if (!r.gpu.empty()) return r.gpu;
  const std::string& d = r.device;
  // describe_device writes "KIND (NAME)"; the name is the model.
  const size_t open = d.find(" (");
  if (open != std::string::npos && d.size() > open + 3 && d.back() == ')') return d.substr(open + 2, d.size() - open - 3);
  const size_t space = d.find(' ');
  const std::string kind = d.substr(0, space);
  const bool known_kind = kind == "cpu" || kind.rfind("cuda", 0) == 0;
  if (space != std::string::npos && known_kind) {
    const size_t start = d.find_first_not_of(' ', space);
    if (start != std::string::npos) return d.substr(start);  // "cuda:0 NVIDIA H100" by hand
  }
  if (known_kind) return kind.rfind("cuda", 0) == 0 ? "cuda" : "cpu";
  return d;
}

GroupBy parse_group_by(const std::string& text) {
  if (text == "device") return GroupBy::device;
  if (text == "node") return GroupBy::node;
  throw Error("--group-by '" + text + "' is unknown: use device (one set of figures per device model) or node");
}

std::string to_string(GroupBy group_by) { return group_by == GroupBy::node ? "node" : "device"; }

static std::string slug_of(const std::string& name) {
  std::string slug;
  for (char c : name) {
    const bool keep = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.';
    if (keep) slug += c;
    else if (!slug.empty() && slug.back() != '_') slug += '_';
  }
  while (!slug.empty() && slug.back() == '_') slug.pop_back();
  if (slug.size() > 80) slug.resize(80);
  return slug.empty() ? "unknown" : slug;
}

std::string group_name(const MeasurementRecord& record) {
  std::string name = device_model(record);
  if (name.empty()) name = "unknown device";
  if (!record.mode.empty() && record.mode != "float32") name += ", mode " + record.mode;
  return name;
}

std::vector<RecordGroup> group_records(const std::vector<MeasurementRecord>& records, GroupBy group_by) {
  std::map<std::string, RecordGroup> by_name;
  for (const MeasurementRecord& r : records) {
    std::string name = group_name(r);
    if (group_by == GroupBy::node) name = (r.node.empty() ? "unknown node" : r.node) + ": " + name;
    RecordGroup& g = by_name[name];
    g.name = name;
    g.records.push_back(r);
  }
  std::vector<RecordGroup> groups;
  std::set<std::string> slugs;
  for (auto& [name, group] : by_name) {
    // Names that differ only in punctuation would share a file name.
    std::string slug = slug_of(name);
    for (int i = 2; !slugs.insert(slug).second; ++i) slug = slug_of(name) + "_" + std::to_string(i);
    group.slug = slug;
    groups.push_back(std::move(group));
  }
  return groups;
}

std::vector<std::string> device_models(const std::vector<MeasurementRecord>& records) {
  std::set<std::string> models;
  for (const MeasurementRecord& r : records) models.insert(group_name(r));
  return {models.begin(), models.end()};
}

}  // namespace nicenergy
