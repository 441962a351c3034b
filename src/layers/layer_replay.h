// Where the joules go: a chain run once with every recorded layer's input
// kept, then each layer replayed alone on that input, in the chain's energy
// mode, as a Workload the protocol can measure (`nicenergy layers`).
#pragma once
#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "complexity/complexity.h"
#include "models/layers.h"
#include "protocol/codec_measurement.h"
#include "protocol/protocol.h"

namespace nicenergy {

// One layer of the chain as it ran: its record (shapes, MACs by the paper's
// rule), where it sits, and the input it saw.
struct CapturedLayer {
  LayerRecord record;
  std::string transform;  // g_a, h_a, h_s, context_prediction, entropy_parameters, g_s
  bool in_2nd = false;    // in the "up to the 2nd downsampling" region (SecondDownsamplingRegion)
  torch::Tensor input;    // on the workload's device, in its mode's memory format
  std::shared_ptr<torch::nn::Module> module;
};

struct CapturedChain {
  CodecWorkload workload;             // the chain the layers come from (its network, mode, rewrite)
  std::vector<CapturedLayer> layers;  // in execution order
  double macs = 0, macs_2nd = 0;      // convolutions only (the paper's rule), whole chain and the region
};

// Runs the workload's chain once, in its mode, keeping each recorded layer
// (convolutions, transposed and masked convolutions, GDN/IGDN, pixel
// shuffles) with a copy of its input. The workload must be the chain's.
CapturedChain capture_layers(const CodecWorkload& workload);

// One execution: the captured layer alone on its input, in the chain's mode,
// with the device synchronised after it as the chain's workload is.
Workload layer_workload(const CapturedChain& chain, size_t index);

// The layer's output as the replay computes it (for tests: it must equal what
// the layer gave inside the chain).
torch::Tensor replay_layer(const CapturedChain& chain, size_t index);

}  // namespace nicenergy
