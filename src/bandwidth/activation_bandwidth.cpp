#include "bandwidth/activation_bandwidth.h"

#include <algorithm>
#include <utility>

#include "bandwidth/exp_golomb.h"
#include "complexity/complexity.h"
#include "error.h"
#include "models/codec.h"

namespace nicenergy {

static ActivationBytes code_output(const std::string& name, const torch::Tensor& output) {
  const torch::Tensor y = output.detach().to(torch::kCPU, torch::kFloat32).contiguous();
  if (y.dim() != 4 || y.size(0) != 1) throw Error("bandwidth: layer " + name + " output is not 1xCxHxW");
  const int64_t channels = y.size(1), per_channel = y.size(2) * y.size(3);
  const QuantisedActivation q = quantise_min_max(y.data_ptr<float>(), channels, per_channel);
  ActivationBytes b;
  b.float32 = 4.0 * channels * per_channel;
  b.int8 = 1.0 * channels * per_channel;
  const ExpGolombStream stream = encode_exp_golomb(q, 0);
  if (decode_exp_golomb(stream, channels, per_channel) != q.values)
    throw Error("bandwidth: the exp-Golomb code of layer " + name + " does not decode to its 8-bit values");
  b.exp_golomb = stream.bits / 8.0;
  for (int k = 0; k < exp_golomb_orders; ++k) b.exp_golomb_order[k] = exp_golomb_size_bits(q, k) / 8.0;
  b.gaussian_ideal = gaussian_ideal_bits(q) / 8.0;
  return b;
}

ActivationBandwidth measure_activation_bandwidth(NetworkImpl& network, const torch::Tensor& image) {
  const QualityConfig& config = network.config();
  const torch::Tensor x = pad(image.to(torch::kCPU), padding_for(image.size(2), image.size(3), config.spec->padding));
  ActivationBandwidth result;
  result.network = config.spec->name;
  result.abbr = config.spec->abbr;
  result.quality = config.quality;
  result.padded_height = x.size(2);
  result.padded_width = x.size(3);

  // The 2nd-downsampling region of src/complexity, on the same padded size.
  const Complexity complexity = compute_complexity(network, x.size(2), x.size(3));
  result.kmac_per_px = complexity.kmac_per_px;
  result.kmac_per_px_2nd = complexity.kmac_per_px_2nd;
  const SecondDownsamplingRegion region = second_downsampling_region(complexity);

  torch::NoGradGuard no_grad;
  network.to(torch::kCPU);
  LayerRecorder recorder(network, /*shape_only=*/false);
  recorder.observe_outputs([&](const std::string& name, const std::string& kind, const torch::Tensor& output) {
    if (kind == "pixel_shuffle") return;  // the sub-pixel convolution's output, reordered: counted once, as the conv's
    LayerBandwidth l;
    l.name = name;
    l.kind = kind;
    l.transform = layer_block(name).first;
    l.channels = output.size(1);
    l.height = output.size(2);
    l.width = output.size(3);
    l.in_2nd = region.contains(name);
    l.bytes = code_output(name, output);
    result.total += l.bytes;
    if (l.in_2nd) result.total_2nd += l.bytes;
    result.layers.push_back(std::move(l));
  });
  network.forward(x);
  return result;
}

}  // namespace nicenergy
