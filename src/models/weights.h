// Network weights in safetensors files whose tensor names are CompressAI's
// state_dict names, so that a converted CompressAI checkpoint loads as is.
#pragma once
#include <string>

#include "models/network.h"

namespace nicenergy {

// Replaces every parameter and buffer of the network with the file's tensors.
// Throws nicenergy::Error naming the file and every missing, unexpected or
// wrong-shaped tensor. Entropy-coder tables (_offset, _quantized_cdf,
// _cdf_length, scale_table) are taken at whatever shape the file has.
void load_weights(NetworkImpl& network, const std::string& path);

// Writes every parameter and buffer (float32, int32 as they are) to a safetensors file.
void save_weights(NetworkImpl& network, const std::string& path);

}  // namespace nicenergy
