#include "meters/nvml_target.h"

#include <cstdlib>
#include <vector>

namespace nicenergy {

NvmlTarget nvml_target_by_index(unsigned index) {
  NvmlTarget target;
  target.index = index;
  target.how = "NVML index " + std::to_string(index) + " (--meter nvml:INDEX, or the default 0)";
  return target;
}

NvmlTarget nvml_target_for_cuda_device(int cuda_index, const std::string& pci_bus_id) {
  if (pci_bus_id.empty()) return target_from_visible_devices(cuda_index, std::getenv("CUDA_VISIBLE_DEVICES"));
  NvmlTarget target;
  target.by = NvmlTarget::By::pci_bus_id;
  target.key = pci_bus_id;
  target.how = "cuda:" + std::to_string(cuda_index) + " at PCI " + pci_bus_id + " (from the CUDA runtime)";
  return target;
}

// CUDA_VISIBLE_DEVICES as the CUDA runtime reads it: comma-separated indices or
// GPU-/MIG- UUIDs, the list ending at the first entry that is neither.
NvmlTarget target_from_visible_devices(int cuda_index, const char* visible) {
  NvmlTarget target;
  const std::string cuda = "cuda:" + std::to_string(cuda_index);
  if (!visible) {
    target.index = static_cast<unsigned>(cuda_index);
    target.how = cuda + " = NVML index " + std::to_string(cuda_index) + " (no CUDA_VISIBLE_DEVICES)";
    return target;
  }
  std::vector<std::string> entries;
  const std::string text = visible;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    std::string entry = text.substr(start, comma - start);
    entry.erase(0, entry.find_first_not_of(" \t"));
    entry.erase(entry.find_last_not_of(" \t") + 1);
    const bool uuid = entry.rfind("GPU-", 0) == 0 || entry.rfind("MIG-", 0) == 0;
    const bool number = !entry.empty() && entry.find_first_not_of("0123456789") == std::string::npos;
    if (!uuid && !number) break;
    entries.push_back(entry);
    start = comma + 1;
  }
  if (cuda_index < 0 || static_cast<size_t>(cuda_index) >= entries.size()) {
    target.error = "NVML: " + cuda + " is not visible: CUDA_VISIBLE_DEVICES=\"" + text + "\" makes " +
                   std::to_string(entries.size()) + " device(s) visible; use a visible cuda:N or --meter nvml:INDEX";
    return target;
  }
  const std::string& entry = entries[static_cast<size_t>(cuda_index)];
  target.how = cuda + " = CUDA_VISIBLE_DEVICES entry " + std::to_string(cuda_index) + " (" + entry + ")";
  if (entry[0] == 'G' || entry[0] == 'M') {
    target.by = NvmlTarget::By::uuid;
    target.key = entry;
  } else {
    // CUDA orders indices fastest-first unless CUDA_DEVICE_ORDER=PCI_BUS_ID, NVML by
    // PCI bus: the same on nodes of identical GPUs, which is where this path runs.
    target.index = static_cast<unsigned>(std::stoul(entry));
  }
  return target;
}

}  // namespace nicenergy
