// Which NVML device a meter opens, and how it was chosen (for the record): by
// NVML index (--meter nvml:INDEX), or for a CUDA device by its PCI bus id from
// the CUDA runtime, else through CUDA_VISIBLE_DEVICES as the runtime reads it.
#pragma once
#include <string>

namespace nicenergy {

struct NvmlTarget {
  enum class By { index, uuid, pci_bus_id } by = By::index;
  unsigned index = 0;
  std::string key;     // UUID or PCI bus id
  std::string how;     // e.g. "cuda:0 = CUDA_VISIBLE_DEVICES entry 0"
  std::string error;   // non-empty: no such device, nothing to open
  std::string label() const {
    switch (by) {
      case By::index: return "GPU index " + std::to_string(index);
      case By::uuid: return "GPU " + key;
      case By::pci_bus_id: return "GPU at PCI " + key;
    }
    return "";
  }
  std::string method() const {
    return by == By::index ? "index" : by == By::uuid ? "uuid" : "pci_bus_id";
  }
};

// NVML index `index` (--meter nvml:INDEX, or the default 0).
NvmlTarget nvml_target_by_index(unsigned index);
// The NVML device of CUDA device cuda_index: by its PCI bus id where the CUDA
// runtime gave one (global, so CUDA_VISIBLE_DEVICES cannot mislead it), else
// through CUDA_VISIBLE_DEVICES (`error` set when cuda_index is not visible).
NvmlTarget nvml_target_for_cuda_device(int cuda_index, const std::string& pci_bus_id);
// CUDA_VISIBLE_DEVICES as the CUDA runtime reads it (null: unset).
NvmlTarget target_from_visible_devices(int cuda_index, const char* visible);

}  // namespace nicenergy
