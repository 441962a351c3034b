#include "layers/layer_replay.h"

#include <map>

#include "error.h"
#include "modes/execution_mode.h"

namespace nicenergy {

namespace {

// The layer's own computation, as run_conv / run_deconv / the modules do it
// with no recorder active (so a transposed convolution takes its sub-pixel
// form inside the mode's SubpixelScope, as in the chain).
torch::Tensor run_layer(torch::nn::Module& module, const std::string& name, const torch::Tensor& x) {
  if (auto* conv = dynamic_cast<torch::nn::Conv2dImpl*>(&module)) return run_conv(*conv, x);
  if (auto* deconv = dynamic_cast<torch::nn::ConvTranspose2dImpl*>(&module)) return run_deconv(*deconv, x);
  if (auto* gdn = dynamic_cast<GDNImpl*>(&module)) return gdn->forward(x);
  if (auto* masked = dynamic_cast<MaskedConv2dImpl*>(&module)) return masked->forward(x);
  if (auto* shuffle = dynamic_cast<torch::nn::PixelShuffleImpl*>(&module)) return shuffle->forward(x);
  throw Error("layer " + name + " (" + module.name() + ") cannot be replayed alone: please report it");
}

}  // namespace

CapturedChain capture_layers(const CodecWorkload& workload) {
  if (workload.stage != Stage::chain)
    throw Error("layers replays the chain's layers: measure a stage with `nicenergy measure --stage`");
  CapturedChain chain{workload, {}, 0, 0};
  NetworkImpl& network = *workload.network.ptr();
  const Complexity complexity =
      compute_complexity(network, workload.x_padded.size(2), workload.x_padded.size(3));
  const SecondDownsamplingRegion region = second_downsampling_region(complexity);

  std::map<std::string, std::shared_ptr<torch::nn::Module>> modules;
  for (const auto& item : network.named_modules("", /*include_self=*/false)) modules[item.key()] = item.value();

  std::vector<LayerRecord> records;
  std::vector<torch::Tensor> inputs;
  {
    ModeGuard guard(workload.mode, workload.subpixel.get());
    LayerRecorder recorder(network, /*shape_only=*/false);
    recorder.capture_inputs();
    (void)network.forward(workload.x_padded);
    records = recorder.records();
    inputs = recorder.inputs();
  }
  if (records.size() != inputs.size() || records.size() != complexity.layers.size())
    throw Error("layers: the chain recorded " + std::to_string(records.size()) + " layers, its complexity " +
                std::to_string(complexity.layers.size()) + ": please report it");
  for (size_t i = 0; i < records.size(); ++i) {
    CapturedLayer l;
    l.record = records[i];
    l.transform = layer_block(l.record.name).first;
    l.in_2nd = region.contains(l.record.name);
    l.input = inputs[i];
    auto it = modules.find(l.record.name);
    if (it == modules.end()) throw Error("layers: no module named " + l.record.name + " in the network: please report it");
    l.module = it->second;
    if (is_convolution(l.record.type)) {
      chain.macs += l.record.macs;
      if (complexity.layers[i].in_2nd) chain.macs_2nd += l.record.macs;
    }
    chain.layers.push_back(std::move(l));
  }
  return chain;
}

torch::Tensor replay_layer(const CapturedChain& chain, size_t index) {
  const CapturedLayer& l = chain.layers.at(index);
  ModeGuard guard(chain.workload.mode, chain.workload.subpixel.get());
  return run_layer(*l.module, l.record.name, l.input);
}

Workload layer_workload(const CapturedChain& chain, size_t index) {
  const CapturedLayer& l = chain.layers.at(index);
  Workload w;
  // Copies of the handles: the workload may outlive the caller's references.
  w.run_once = [module = l.module, name = l.record.name, x = l.input, mode = chain.workload.mode,
                rewrite = chain.workload.subpixel]() {
    ModeGuard guard(mode, rewrite.get());
    (void)run_layer(*module, name, x);
  };
  w.synchronize = chain.workload.workload().synchronize;
  return w;
}

}  // namespace nicenergy
