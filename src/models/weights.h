// Network weights in safetensors files whose tensor names are CompressAI's
// state_dict names, so that a converted CompressAI checkpoint loads as is.
#pragma once
#include <map>
#include <string>

#include "models/network.h"

namespace nicenergy {

// Replaces every parameter and buffer of the network with the file's tensors.
// Throws nicenergy::Error naming the file and every missing, unexpected or
// wrong-shaped tensor. Entropy-coder tables (_offset, _quantized_cdf,
// _cdf_length, scale_table) are taken at whatever shape the file has.
// CompressAI's names up to 1.2.4 for the entropy bottleneck's parameters
// (entropy_bottleneck._matrix0, _bias0, _factor0) load as today's
// (matrices.0, biases.0, factors.0).
void load_weights(NetworkImpl& network, const std::string& path);

// The name a tensor of a CompressAI state_dict has today: the old spelling
// "X._matrix0" becomes "X.matrices.0" (likewise _bias, _factor); others are kept.
std::string current_tensor_name(const std::string& name);

// Writes every parameter and buffer (float32, int32 as they are) to a safetensors
// file, with `metadata` added to its "__metadata__" (string values, as the format
// asks). Written beside and renamed into place: an interrupted save leaves the
// previous file whole.
void save_weights(NetworkImpl& network, const std::string& path,
                  const std::map<std::string, std::string>& metadata = {});

// The "__metadata__" of a weights file (the training record of a trained codec).
std::map<std::string, std::string> weights_metadata(const std::string& path);

}  // namespace nicenergy
