#include "modes/chain_graph.h"

#include <ATen/autocast_mode.h>

#include "error.h"
#include "modes/execution_mode.h"

#if defined(NICENERGY_WITH_CUDA)
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#endif

namespace nicenergy {

struct ChainGraph::Impl {
  Network network{nullptr};
  torch::Tensor x;
  ChainOutput output;
#if defined(NICENERGY_WITH_CUDA)
  // Made only once the input is known to be on a GPU: constructing one touches the CUDA runtime.
  std::unique_ptr<at::cuda::CUDAGraph> graph;
#endif
};

ChainGraph::ChainGraph(Network network, torch::Tensor x, const ExecutionMode& mode,
                       std::shared_ptr<SubpixelRewrite> rewrite)
    : impl_(std::make_unique<Impl>()) {
  if (!x.is_cuda()) throw Error("cuda_graph captures the chain on a CUDA device; run it with --device cuda");
#if defined(NICENERGY_WITH_CUDA)
  impl_->network = network;
  impl_->x = x;
  const c10::cuda::CUDAGuard device_guard(x.device());
  // Capture must not run on the legacy default stream; warm-up runs there
  // first let cuDNN, the caching allocator and autocast settle.
  c10::cuda::CUDAStream side = c10::cuda::getStreamFromPool(false, x.device().index());
  side.synchronize();
  c10::cuda::CUDAStreamGuard stream_guard(side);
  ModeGuard guard(mode, rewrite.get());
  // Autocast's cached casts would be freed after capture while the graph still reads them.
  const bool cache = at::autocast::is_autocast_cache_enabled();
  at::autocast::set_autocast_cache_enabled(false);
  try {
    for (int i = 0; i < 3; ++i) (void)network->forward(x);
    side.synchronize();
    impl_->graph = std::make_unique<at::cuda::CUDAGraph>();
    impl_->graph->capture_begin();
    impl_->output = network->forward(x);
    impl_->graph->capture_end();
  } catch (const std::exception& e) {
    at::autocast::set_autocast_cache_enabled(cache);
    std::string what = e.what();
    what = what.substr(0, what.find('\n'));
    throw Error("cuda_graph: the chain could not be captured as a CUDA graph (" + what +
                "); measure it without cuda_graph");
  }
  at::autocast::set_autocast_cache_enabled(cache);
  side.synchronize();
#else
  (void)network;
  (void)mode;
  (void)rewrite;
  throw Error("cuda_graph: this build has no CUDA; rebuild against a CUDA LibTorch (see docs/install.md)");
#endif
}

ChainGraph::~ChainGraph() = default;

void ChainGraph::replay() {
#if defined(NICENERGY_WITH_CUDA)
  impl_->graph->replay();
#endif
}

const ChainOutput& ChainGraph::output() const { return impl_->output; }

}  // namespace nicenergy
