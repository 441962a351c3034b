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
void load_weights(NetworkImpl& network, const std::string& path);

// Writes every parameter and buffer (float32, int32 as they are) to a safetensors
// file, with `metadata` added to its "__metadata__" (string values, as the format
// asks). Written beside and renamed into place: an interrupted save leaves the
// previous file whole.
void save_weights(NetworkImpl& network, const std::string& path,
                  const std::map<std::string, std::string>& metadata = {});

// The "__metadata__" of a weights file (the training record of a trained codec).
std::map<std::string, std::string> weights_metadata(const std::string& path);

}  // namespace nicenergy
