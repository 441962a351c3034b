// Sampling overhead: the cost of one power read (replay, the CPU estimate's
// counter) and of one sampler tick, to check that 10 Hz - 1 kHz sampling does not
// disturb what it measures.
#include <benchmark/benchmark.h>

#include "meters/power_meter.h"
#include "meters/sampler.h"

using namespace nicenergy;

namespace {

std::vector<PowerSample> ramp_trace(int points) {
  std::vector<PowerSample> trace;
  for (int i = 0; i < points; ++i) trace.push_back({i * 0.1, 50.0 + (i % 17)});
  return trace;
}

void BM_ReplayPowerRead(benchmark::State& state) {
  auto meter = make_replay_meter(ramp_trace(static_cast<int>(state.range(0))));
  for (auto _ : state) benchmark::DoNotOptimize(meter->power_w());
}
BENCHMARK(BM_ReplayPowerRead)->Arg(100)->Arg(100000);

void BM_EstimateEnergyRead(benchmark::State& state) {
  auto meter = make_estimate_meter();
  for (auto _ : state) benchmark::DoNotOptimize(meter->energy_j());
}
BENCHMARK(BM_EstimateEnergyRead);

void BM_SamplerTickReplay(benchmark::State& state) {
  auto meter = make_replay_meter(ramp_trace(1000));
  Sampler sampler(*meter, 1000);
  for (auto _ : state) sampler.tick();
  state.counters["samples"] = static_cast<double>(sampler.power_sample_count());
}
BENCHMARK(BM_SamplerTickReplay);

void BM_SamplerTickEstimate(benchmark::State& state) {  // counter read + derived power
  auto meter = make_estimate_meter();
  Sampler sampler(*meter, 1000);
  for (auto _ : state) sampler.tick();
}
BENCHMARK(BM_SamplerTickEstimate);

void BM_NvmlPowerRead(benchmark::State& state) {
  auto meter = make_nvml_meter(0);
  if (!meter->available()) {
    state.SkipWithError(meter->unavailable_reason().c_str());
    return;
  }
  for (auto _ : state) benchmark::DoNotOptimize(meter->power_w());
}
BENCHMARK(BM_NvmlPowerRead);

void BM_NvmlEnergyRead(benchmark::State& state) {
  auto meter = make_nvml_meter(0);
  if (!meter->available()) {
    state.SkipWithError(meter->unavailable_reason().c_str());
    return;
  }
  for (auto _ : state) benchmark::DoNotOptimize(meter->energy_j());
}
BENCHMARK(BM_NvmlEnergyRead);

}  // namespace

BENCHMARK_MAIN();
