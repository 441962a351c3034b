// A network as a working codec: the encoder side turns an image into
// entropy-coded strings, the decoder side turns them back into latents, as
// CompressAI's compress()/decompress() do. The context models code one latent
// position at a time through the masked convolution, in raster order.
#pragma once
#include <torch/torch.h>

#include <array>
#include <string>
#include <vector>

#include "coding/coded_image.h"
#include "coding/rans.h"
#include "models/network.h"

namespace nicenergy {

// The coder's tables for one network, built once (they take a moment for the
// Gaussian model).
struct EntropyTables {
  std::vector<CdfTable> factorized;  // one per channel of z (of y for Bfac)
  torch::Tensor medians;             // per channel of the factorized model, on the network's device
  std::vector<CdfTable> gaussian;    // one per scale-table entry; empty for Bfac
};
EntropyTables entropy_tables(NetworkImpl& network);

// The encoder after the analysis transform: y = g_a(x) to strings (hyper side,
// context model, rANS). compress_latents is g_a then this.
CodedImage encode_latents(NetworkImpl& network, const EntropyTables& tables, const torch::Tensor& y);

// x: 1x3xHxW in [0, 1], already padded to the network's multiple, on its device.
CodedImage compress_latents(NetworkImpl& network, const EntropyTables& tables, const torch::Tensor& x);
// The rounded latents y_hat the encoder had, from the strings alone.
torch::Tensor decompress_latents(NetworkImpl& network, const EntropyTables& tables, const CodedImage& coded);
// The decoder's reconstruction: synthesis of y_hat, clamped to [0, 1].
torch::Tensor synthesise(NetworkImpl& network, const torch::Tensor& y_hat);

// The encoder's own y_hat (what decompress_latents must give back), for tests
// and for checking a round trip.
torch::Tensor encoder_latents(NetworkImpl& network, const EntropyTables& tables, const torch::Tensor& x);

}  // namespace nicenergy
