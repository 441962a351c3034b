// Which --model values (and campaign `models` entries) name a TorchScript file
// rather than a built-in network: any name ending in .pt or .ts. Torch-free, for
// the campaign config.
#pragma once
#include <string>

namespace nicenergy {

inline bool is_torchscript_path(const std::string& model) {
  for (const std::string suffix : {".pt", ".ts"})
    if (model.size() > suffix.size() && model.compare(model.size() - suffix.size(), suffix.size(), suffix) == 0)
      return true;
  return false;
}

}  // namespace nicenergy
