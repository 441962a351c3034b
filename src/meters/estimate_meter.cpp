// The CPU estimate, as CodeCarbon does without RAPL: energy = CPU time of the
// measured process tree x TDP / logical cores. The tree is this process (all
// threads) and every child it has reaped: `exec` and a campaign's [[commands]]
// run the work in a child, which the process's own clock never sees. It models,
// it does not measure: the idle power is ~0 by construction (an idle process uses
// no CPU time), and results carry method "estimate" everywhere.
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <sstream>
#include <thread>

#include "error.h"
#include "meters/power_meter.h"
#include "platform/host.h"

namespace nicenergy {
namespace {

double seconds(const timeval& tv) { return static_cast<double>(tv.tv_sec) + tv.tv_usec * 1e-6; }

// This process's CPU time plus its reaped children's, as the kernel accounts them
// on wait (each child's own reaped children included). A child counts once it is
// reaped: run_command_once waits for every run before returning, so a window's
// edges see whole runs.
double process_tree_cpu_s() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);  // sums all threads of the process
  rusage children{};
  getrusage(RUSAGE_CHILDREN, &children);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec * 1e-9 + seconds(children.ru_utime) + seconds(children.ru_stime);
}

std::string number(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

class EstimateMeter : public PowerMeter {
 public:
  EstimateMeter(double tdp_w, int logical_cores)
      : tdp_w_(tdp_w),
        cores_(logical_cores > 0 ? logical_cores : std::max(1u, std::thread::hardware_concurrency())),
        cpu_model_(cpu_model()) {}

  std::string name() const override { return "estimate"; }
  bool available() const override { return true; }
  std::string unavailable_reason() const override { return ""; }
  bool is_estimate() const override { return true; }
  bool samples_power() const override { return false; }  // the sampler derives power from the counter
  bool has_energy_counter() const override { return true; }
  std::optional<double> power_w() override { return std::nullopt; }
  std::optional<double> energy_j() override { return process_tree_cpu_s() * per_core_w(); }

  DeviceState device_state() override {
    DeviceState state;
    state.name = cpu_model_;
    return state;
  }

  std::map<std::string, std::string> metadata() const override {
    return {{"meter", "estimate"}, {"method", "estimate"}, {"tdp_w", number(tdp_w_)},
            {"logical_cores", std::to_string(cores_)}, {"per_core_w", number(per_core_w())},
            {"cpu_model", cpu_model_}, {"source", "CPU time of nicenergy and the commands it ran x TDP / logical cores (CodeCarbon-style)"}};
  }

 private:
  double per_core_w() const { return tdp_w_ / cores_; }
  double tdp_w_;
  int cores_;
  std::string cpu_model_;
};

}  // namespace

std::unique_ptr<PowerMeter> make_estimate_meter(double tdp_w, int logical_cores) {
  if (!(tdp_w > 0)) throw Error("estimate meter: TDP " + number(tdp_w) + " W must be positive (e.g. --meter estimate:85)");
  return std::make_unique<EstimateMeter>(tdp_w, logical_cores);
}

}  // namespace nicenergy
