// Measuring your own code with nicenergy's window API (meters/window.h):
// an idle reference, then a window around M executions of a workload, and the
// dynamic energy per execution of Eq. (1).
//
//   build/measure_my_code [METER]      METER: auto (default), nvml, rapl, estimate, ...
//
// Here the workload is a LibTorch matrix product; put your encoder there.
#include <torch/torch.h>

#include <cstdio>
#include <string>

#include "error.h"
#include "meters/power_meter.h"
#include "meters/window.h"

int main(int argc, char** argv) {
  try {
    const std::string spec = argc > 1 ? argv[1] : "auto";
    auto meter = nicenergy::open_meter(spec);
    nicenergy::EnergyMonitor monitor(*meter);  // 10 Hz power samples, counter edges aligned

    monitor.begin_window("idle");
    monitor.clock().sleep_s(2.0);
    const nicenergy::WindowEnergy idle = monitor.end_window("idle");
    const double idle_power_w = idle.energy_j() / idle.duration_s();

    const torch::Tensor a = torch::rand({512, 512}), b = torch::rand({512, 512});
    const int executions = 50;
    monitor.begin_window("matmul");
    for (int i = 0; i < executions; ++i) (void)torch::mm(a, b).sum().item<float>();  // .item() waits for the result
    const nicenergy::WindowEnergy w = monitor.end_window("matmul");

    std::printf("meter %s (%s)%s\n", meter->name().c_str(), nicenergy::to_string(w.method).c_str(),
                meter->is_estimate() ? ", ESTIMATE, not a measurement" : "");
    std::printf("idle power     %.3f W\n", idle_power_w);
    std::printf("window         %.3f J over %.3f s (%zu power samples)\n", w.energy_j(), w.duration_s(), w.samples);
    std::printf("dynamic energy %.6f J per execution, Eq. (1)\n",
                nicenergy::dynamic_energy_j(w.energy_j(), idle_power_w, w.duration_s(), executions));
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "measure_my_code: error: %s\n", e.what());
    return 1;
  }
}
