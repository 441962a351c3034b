#include "coding/coded_rate_distortion.h"

#include "coding/codec_file.h"
#include "coding/network_coding.h"
#include "coding/stream_checks.h"
#include "models/codec.h"

namespace nicenergy {

RateDistortion coded_rate_distortion(NetworkImpl& network, const Image& image, const torch::Device& device) {
  torch::NoGradGuard no_grad;
  const torch::Tensor x = image_to_tensor(image);
  const Padding padding = padding_for(x.size(2), x.size(3), network.config().spec->padding);
  const EntropyTables tables = entropy_tables(network);
  Stream stream;
  stream.coded = compress_latents(network, tables, pad(x, padding).to(device));
  stream.header = {network.config().spec->abbr, network.config().quality, image.width, image.height,
                   device.is_cuda() ? "cuda" : "cpu", weights_digest(network)};
  const size_t bytes = write_stream(stream).size();
  const torch::Tensor x_hat = synthesise(network, decompress_latents(network, tables, stream.coded));
  return rate_distortion(bytes, image, tensor_to_image(crop(x_hat, padding).to(torch::kCPU)));
}

}  // namespace nicenergy
