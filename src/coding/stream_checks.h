// The checks of a compressed file against the network asked to decode it: the
// parts of the stream format that need the network (and LibTorch).
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <string>

#include "coding/codec_file.h"
#include "models/network.h"

namespace nicenergy {

// Checks the latent shapes against what this network makes of the header's image size.
void check_stream_fits(const Stream& stream, const NetworkImpl& network, const std::string& what);

// FNV-1a over the names and bytes of every parameter and buffer.
uint64_t weights_digest(const torch::nn::Module& module);

}  // namespace nicenergy
