// RAPL energy counters through the Linux powercap tree (Intel, and AMD where the
// kernel exposes its RAPL through the same intel-rapl:* entries). We sum the
// package domains (intel-rapl:N, not psys, which overlaps them) and their dram
// subdomains (intel-rapl:N:M named "dram"); core/uncore are inside the package.
// energy_uj wraps at max_energy_range_uj; a wrap is seen as a smaller value, so
// the counter must be read at least once per wrap period (hours at max range,
// and the sampler reads it at 10 Hz anyway).
#include <dirent.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>

#include "error.h"
#include "meters/power_meter.h"
#include "platform/host.h"

namespace nicenergy {
namespace {

bool read_text(const std::string& path, std::string& out) {
  std::ifstream in(path);
  if (!in) return false;
  std::getline(in, out);
  return !in.bad();
}

bool read_u64(const std::string& path, unsigned long long& value) {
  std::string text;
  if (!read_text(path, text)) return false;
  try {
    size_t used = 0;
    value = std::stoull(text, &used);
    return used > 0;
  } catch (const std::exception&) {
    return false;
  }
}

std::vector<std::string> list_dir(const std::string& dir) {
  std::vector<std::string> names;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) names.emplace_back(e->d_name);
    closedir(d);
  }
  std::sort(names.begin(), names.end());
  return names;
}

struct Domain {
  std::string dir;   // e.g. /sys/class/powercap/intel-rapl:0
  std::string name;  // package-0, dram
  unsigned long long max_range_uj = 0;
  unsigned long long last_uj = 0;
  double total_j = 0;  // accumulated since the meter opened
};

class RaplMeter : public PowerMeter {
 public:
  RaplMeter(const std::string& root, const std::string& hwmon_root) : root_(root) {
    open();
    find_temperature(hwmon_root);
  }

  std::string name() const override { return "rapl"; }
  bool available() const override { return reason_.empty(); }
  std::string unavailable_reason() const override { return reason_; }
  bool samples_power() const override { return false; }  // the sampler derives power from the counter
  bool has_energy_counter() const override { return available(); }
  std::optional<double> power_w() override { return std::nullopt; }

  std::optional<double> energy_j() override {
    if (!available()) return std::nullopt;
    std::lock_guard<std::mutex> lock(mutex_);
    double sum_j = 0;
    for (Domain& d : domains_) {
      unsigned long long now_uj = 0;
      if (!read_u64(d.dir + "/energy_uj", now_uj)) return std::nullopt;
      const unsigned long long delta_uj =
          now_uj >= d.last_uj ? now_uj - d.last_uj : now_uj + (d.max_range_uj - d.last_uj);
      d.total_j += delta_uj * 1e-6;
      d.last_uj = now_uj;
      sum_j += d.total_j;
    }
    return sum_j;
  }

  DeviceState device_state() override {
    DeviceState state;
    state.name = cpu_model_;
    unsigned long long milli_c = 0;
    if (!temperature_path_.empty() && read_u64(temperature_path_, milli_c)) state.temperature_c = milli_c / 1000.0;
    return state;
  }

  std::map<std::string, std::string> metadata() const override {
    std::string names;
    for (const Domain& d : domains_) names += (names.empty() ? "" : "+") + d.name;
    std::map<std::string, std::string> meta{{"meter", "rapl"}, {"domains", names}, {"cpu_model", cpu_model_},
                                            {"temperature", temperature_path_.empty() ? "none" : temperature_path_}};
    std::string notes;
    for (const std::string& n : notes_) notes += (notes.empty() ? "" : "; ") + n;
    if (!notes.empty()) meta["notes"] = notes;
    return meta;
  }

 private:
  void open() {
    cpu_model_ = cpu_model();
    const std::vector<std::string> entries = list_dir(root_);
    if (entries.empty()) {
      reason_ = "RAPL: " + root_ + " is missing (no powercap driver: not Linux, a VM or container without RAPL, or intel_rapl not loaded; try `modprobe intel_rapl_msr`, or use --meter estimate)";
      return;
    }
    // Multi-die AMD CPUs can list one package counter twice, under two
    // intel-rapl:N of the same name (CodeCarbon issue 1274): summed, the energy
    // doubles. A package whose name was seen is skipped, with its subdomains.
    std::map<std::string, std::string> package_of_name;  // package-0 -> intel-rapl:0
    std::set<std::string> mirrored;                      // intel-rapl:1
    for (const std::string& entry : entries) {
      if (entry.rfind("intel-rapl:", 0) != 0) continue;
      const bool sub = std::count(entry.begin(), entry.end(), ':') == 2;
      Domain d;
      d.dir = root_ + "/" + entry;
      if (!read_text(d.dir + "/name", d.name)) continue;
      if (sub ? d.name != "dram" : d.name.rfind("package", 0) != 0) continue;
      if (sub && mirrored.count(entry.substr(0, entry.rfind(':')))) continue;
      if (!sub) {
        const auto [it, fresh] = package_of_name.emplace(d.name, entry);
        if (!fresh) {
          mirrored.insert(entry);
          notes_.push_back(entry + " mirrors " + it->second + " (both " + d.name + "): counted once");
          continue;
        }
      }
      if (!read_u64(d.dir + "/max_energy_range_uj", d.max_range_uj)) d.max_range_uj = 0;
      std::ifstream probe(d.dir + "/energy_uj");
      if (!probe) {
        const int err = errno;
        reason_ = "RAPL: cannot read " + d.dir + "/energy_uj (" + std::strerror(err) +
                  "; root-only since Linux 5.10: run as root, or `sudo chmod a+r " + root_ +
                  "/intel-rapl:*/energy_uj`, or use --meter estimate)";
        return;
      }
      if (!read_u64(d.dir + "/energy_uj", d.last_uj)) {
        reason_ = "RAPL: " + d.dir + "/energy_uj does not hold a number; use --meter estimate";
        return;
      }
      domains_.push_back(d);
    }
    if (domains_.empty())
      reason_ = "RAPL: no package domain (intel-rapl:N named package-N) under " + root_ + "; use --meter estimate";
  }

  void find_temperature(const std::string& hwmon_root) {
    for (const std::string& entry : list_dir(hwmon_root)) {
      if (entry[0] == '.') continue;
      std::string chip;
      const std::string dir = hwmon_root + "/" + entry;
      if (!read_text(dir + "/name", chip)) continue;
      unsigned long long milli_c = 0;
      if ((chip == "coretemp" || chip == "k10temp" || chip == "zenpower") && read_u64(dir + "/temp1_input", milli_c)) {
        temperature_path_ = dir + "/temp1_input";
        return;
      }
    }
  }

  std::string root_;
  std::string reason_;
  std::string cpu_model_;
  std::string temperature_path_;
  std::mutex mutex_;
  std::vector<Domain> domains_;
  std::vector<std::string> notes_;
};

}  // namespace

std::unique_ptr<PowerMeter> make_rapl_meter(const std::string& powercap_root, const std::string& hwmon_root) {
  return std::make_unique<RaplMeter>(powercap_root, hwmon_root);
}

}  // namespace nicenergy
