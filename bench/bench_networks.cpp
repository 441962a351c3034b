// Throughput of the full encoder-decoder chain, one benchmark per network,
// level and energy mode (the device's standard set, `nicenergy modes`): the
// executions per second a measurement window will hold, what each mode buys,
// and a quick check of a LibTorch build's speed. Images are mosaics of the
// repository's Kodak photographs (never zeros). --benchmark_filter=Bfac/low/
// picks; NICENERGY_BENCH_DEVICE=cuda runs them on the GPU.
#include <benchmark/benchmark.h>

#include <cstdlib>

#include "models/zoo.h"
#include "modes/execution_mode.h"
#include "protocol/codec_measurement.h"

using namespace nicenergy;

namespace {

torch::Device bench_device() {
  const char* device_text = std::getenv("NICENERGY_BENCH_DEVICE");
  return torch::Device(device_text ? device_text : "cpu");
}

void BM_Chain(benchmark::State& state, const std::string& abbr, const std::string& level, const ExecutionMode& mode) {
  const torch::Device device = bench_device();
  const int width = static_cast<int>(state.range(0)), height = static_cast<int>(state.range(1));
  const NetworkSpec& spec = find_network(abbr);
  const CodecWorkload w = make_codec_workload(abbr, level_qualities(spec, level).front(),
                                              sized_test_image(width, height), "bench", device, "", 0, Stage::chain, mode);
  const Workload workload = w.workload();
  workload.run_once();  // warm-up: allocations and kernel selection
  if (workload.synchronize) workload.synchronize();
  for (auto _ : state) {
    workload.run_once();
    if (workload.synchronize) workload.synchronize();
  }
  state.counters["images_per_s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["megapixels_per_s"] =
      benchmark::Counter(state.iterations() * width * height / 1e6, benchmark::Counter::kIsRate);
}

const int kRegistered = [] {
  for (const NetworkSpec& spec : network_specs())
    for (const char* level : {"low", "high"})
      for (const ExecutionMode& mode : standard_modes(bench_device()))
        benchmark::RegisterBenchmark(("BM_Chain/" + spec.abbr + "/" + level + "/" + mode_name(mode)).c_str(), BM_Chain,
                                     spec.abbr, std::string(level), mode)
            ->Args({256, 256})
            ->Unit(benchmark::kMillisecond)
            ->UseRealTime()
            ->MinTime(1.0);
  return 0;
}();

}  // namespace

BENCHMARK_MAIN();
