// Throughput of the full encoder-decoder chain, one benchmark per network and
// level: the executions per second a measurement window will hold, and a quick
// check of a LibTorch build's speed. Images are mosaics of the repository's Kodak
// photographs (never zeros). Pass --benchmark_filter=Bfac to pick networks;
// NICENERGY_BENCH_DEVICE=cuda runs them on the GPU.
#include <benchmark/benchmark.h>

#include <cstdlib>

#include "models/zoo.h"
#include "protocol/codec_measurement.h"

using namespace nicenergy;

namespace {

void BM_Chain(benchmark::State& state, const std::string& abbr, const std::string& level) {
  const char* device_text = std::getenv("NICENERGY_BENCH_DEVICE");
  const torch::Device device(device_text ? device_text : "cpu");
  const int width = static_cast<int>(state.range(0)), height = static_cast<int>(state.range(1));
  const NetworkSpec& spec = find_network(abbr);
  const CodecWorkload w = make_codec_workload(abbr, level_qualities(spec, level).front(),
                                              sized_test_image(width, height), "bench", device);
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
      benchmark::RegisterBenchmark(("BM_Chain/" + spec.abbr + "/" + level).c_str(), BM_Chain, spec.abbr,
                                   std::string(level))
          ->Args({256, 256})
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime()
          ->MinTime(1.0);
  return 0;
}();

}  // namespace

BENCHMARK_MAIN();
