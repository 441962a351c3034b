#include "models/weights.h"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "error.h"

namespace nicenergy {

// safetensors: 8-byte little-endian header length, a JSON header mapping each
// name to {dtype, shape, data_offsets}, then the raw little-endian data.

static std::map<std::string, torch::Tensor> state_dict(NetworkImpl& network) {
  std::map<std::string, torch::Tensor> tensors;
  for (const auto& item : network.named_parameters()) tensors[item.key()] = item.value();
  for (const auto& item : network.named_buffers()) tensors[item.key()] = item.value();
  return tensors;
}

static torch::ScalarType parse_dtype(const std::string& dtype, const std::string& path, const std::string& name) {
  if (dtype == "F32") return torch::kFloat32;
  if (dtype == "F64") return torch::kFloat64;
  if (dtype == "F16") return torch::kFloat16;
  if (dtype == "BF16") return torch::kBFloat16;
  if (dtype == "I32") return torch::kInt32;
  if (dtype == "I64") return torch::kInt64;
  throw Error("weights file '" + path + "': tensor '" + name + "' has unsupported dtype " + dtype);
}

static std::string dtype_name(torch::ScalarType type) {
  switch (type) {
    case torch::kFloat32: return "F32";
    case torch::kInt32: return "I32";
    case torch::kInt64: return "I64";
    case torch::kFloat64: return "F64";
    default: throw Error("cannot write a tensor of type " + std::string(c10::toString(type)) + " to safetensors");
  }
}

static std::string shape_text(c10::IntArrayRef shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

void load_weights(NetworkImpl& network, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("weights file '" + path + "' cannot be opened: give a safetensors file (see README, Weights)");
  // Size from the file system: a short read leaves the stream failed and
  // tellg() at -1, which once let a 7-byte file ask for an exabyte header.
  std::error_code size_error;
  const uint64_t file_size = std::filesystem::file_size(path, size_error);
  uint64_t header_size = 0;
  in.read(reinterpret_cast<char*>(&header_size), 8);
  if (size_error || !in || file_size < 8 || header_size == 0 || header_size > file_size - 8)
    throw Error("weights file '" + path + "' is not a safetensors file (bad header length)");
  std::string header(header_size, '\0');
  in.seekg(8);
  in.read(header.data(), static_cast<std::streamsize>(header_size));
  nlohmann::json meta;
  try {
    meta = nlohmann::json::parse(header);
  } catch (const std::exception& e) {
    throw Error("weights file '" + path + "' is not a safetensors file (header is not JSON)");
  }
  const uint64_t data_start = 8 + header_size;

  std::map<std::string, torch::Tensor> expected = state_dict(network);
  std::vector<std::string> problems;
  std::map<std::string, torch::Tensor> loaded;
  for (auto it = meta.begin(); it != meta.end(); ++it) {
    if (it.key() == "__metadata__") continue;
    const std::string& name = it.key();
    auto target = expected.find(name);
    if (target == expected.end()) {
      problems.push_back("unexpected '" + name + "'");
      continue;
    }
    const auto& info = it.value();
    std::vector<int64_t> shape = info.at("shape").get<std::vector<int64_t>>();
    const auto offsets = info.at("data_offsets").get<std::vector<uint64_t>>();
    const torch::ScalarType type = parse_dtype(info.at("dtype").get<std::string>(), path, name);
    if (!is_entropy_coder_table(name) && c10::IntArrayRef(shape) != target->second.sizes()) {
      problems.push_back("'" + name + "' has shape " + shape_text(shape) + ", expected " + shape_text(target->second.sizes()));
      continue;
    }
    torch::Tensor tensor = torch::empty(shape, torch::TensorOptions().dtype(type));
    const uint64_t bytes = tensor.numel() * tensor.element_size();
    if (offsets.size() != 2 || offsets[1] - offsets[0] != bytes || data_start + offsets[1] > file_size)
      throw Error("weights file '" + path + "' is truncated or corrupt at tensor '" + name + "'");
    in.seekg(static_cast<std::streamoff>(data_start + offsets[0]));
    in.read(static_cast<char*>(tensor.data_ptr()), static_cast<std::streamsize>(bytes));
    loaded[name] = tensor;
  }
  for (const auto& [name, tensor] : expected)
    if (!loaded.count(name) && !is_entropy_coder_table(name) && problems.size() < 1000)
      problems.push_back("missing '" + name + "'");
  if (!problems.empty()) {
    std::string text;
    for (const auto& p : problems) text += (text.empty() ? "" : "; ") + p;
    throw Error("weights file '" + path + "' does not fit " + network.config().spec->name + " quality " +
                std::to_string(network.config().quality) + ": " + text);
  }

  torch::NoGradGuard no_grad;
  for (const auto& [name, source] : loaded) {
    torch::Tensor target = expected[name];
    if (target.sizes() == source.sizes()) {
      target.copy_(source.to(target.scalar_type()));
    } else {
      // An entropy-coder table of another size: replace the buffer itself.
      target.set_(source.to(target.scalar_type()).clone());
    }
  }
}

void save_weights(NetworkImpl& network, const std::string& path) {
  nlohmann::json meta = nlohmann::json::object();
  meta["__metadata__"] = {{"format", "pt"}, {"writer", "nicenergy"}};
  std::vector<torch::Tensor> blobs;
  uint64_t offset = 0;
  for (const auto& [name, tensor] : state_dict(network)) {
    torch::Tensor cpu = tensor.detach().to(torch::kCPU).contiguous();
    const uint64_t bytes = cpu.numel() * cpu.element_size();
    meta[name] = {{"dtype", dtype_name(cpu.scalar_type())}, {"shape", cpu.sizes().vec()}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
    blobs.push_back(cpu);
  }
  std::string header = meta.dump();
  while ((header.size() + 8) % 8 != 0) header += ' ';  // keep the data 8-byte aligned
  std::ofstream out(path, std::ios::binary);
  if (!out) throw Error("cannot write weights file '" + path + "': check that its folder exists and is writable");
  const uint64_t header_size = header.size();
  out.write(reinterpret_cast<const char*>(&header_size), 8);
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  for (const auto& blob : blobs)
    out.write(static_cast<const char*>(blob.data_ptr()), static_cast<std::streamsize>(blob.numel() * blob.element_size()));
  if (!out) throw Error("writing weights file '" + path + "' failed (disk full?)");
}

}  // namespace nicenergy
