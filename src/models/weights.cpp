#include "models/weights.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <nlohmann/json.hpp>

#include "error.h"
#include "io/files.h"
#include "io/numbers.h"
#include "models/safetensors_header.h"

namespace nicenergy {

// safetensors (see safetensors_header.h): the header is parsed and checked
// without LibTorch; here the tensors are matched to the network and read.

static std::map<std::string, torch::Tensor> state_dict(NetworkImpl& network) {
  std::map<std::string, torch::Tensor> tensors;
  for (const auto& item : network.named_parameters()) tensors[item.key()] = item.value();
  for (const auto& item : network.named_buffers()) tensors[item.key()] = item.value();
  return tensors;
}

// CompressAI up to 1.2.4 named the entropy bottleneck's parameters
// "<prefix>._matrix0", "._bias0", "._factor0"; later versions (and we) use
// "<prefix>.matrices.0", ".biases.0", ".factors.0". Old checkpoints are common
// in published work, so both spellings load.
std::string current_tensor_name(const std::string& name) {
  static const std::pair<const char*, const char*> kRenames[] = {
      {"._matrix", ".matrices."}, {"._bias", ".biases."}, {"._factor", ".factors."}};
  for (const auto& [old_part, new_part] : kRenames) {
    const size_t at = name.rfind(old_part);
    if (at == std::string::npos) continue;
    const std::string digits = name.substr(at + std::strlen(old_part));
    if (digits.empty() || digits.size() > 3 ||
        !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
      continue;
    return name.substr(0, at) + new_part + digits;
  }
  return name;
}

static torch::ScalarType scalar_type(const std::string& dtype) {
  if (dtype == "F32") return torch::kFloat32;
  if (dtype == "F64") return torch::kFloat64;
  if (dtype == "F16") return torch::kFloat16;
  if (dtype == "BF16") return torch::kBFloat16;
  if (dtype == "I32") return torch::kInt32;
  return torch::kInt64;  // "I64": parse_safetensors_header admits no other
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

// Each tensor of the file against the network's: names (CompressAI's old and
// new spelling), shapes, none missing and none left over. Throws Error listing
// every problem; else (tensor in the file, the network's name for it).
static std::vector<std::pair<const SafetensorsTensor*, std::string>> match_tensors(
    const SafetensorsHeader& header, const std::map<std::string, torch::Tensor>& expected, const NetworkImpl& network,
    const std::string& what) {
  std::vector<std::string> problems;
  // (tensor in the file, the network's name for it)
  std::vector<std::pair<const SafetensorsTensor*, std::string>> wanted;
  std::map<std::string, std::string> file_name_of;  // the network's name -> the file's
  for (const SafetensorsTensor& t : header.tensors) {
    const std::string name = current_tensor_name(t.name);
    auto target = expected.find(name);
    if (target == expected.end()) {
      problems.push_back("unexpected '" + printable(t.name) + "'");
      continue;
    }
    if (!file_name_of.emplace(name, t.name).second) {
      problems.push_back("'" + printable(t.name) + "' and '" + printable(file_name_of[name]) +
                         "' are the same tensor in CompressAI's old and new spelling");
      continue;
    }
    if (!is_entropy_coder_table(name) && c10::IntArrayRef(t.shape) != target->second.sizes()) {
      problems.push_back("'" + t.name + "' has shape " + shape_text(t.shape) + ", expected " +
                         shape_text(target->second.sizes()));
      continue;
    }
    wanted.emplace_back(&t, name);
  }
  std::set<std::string> present;
  for (const auto& [name, file_name] : file_name_of) present.insert(name);
  for (const auto& [name, tensor] : expected)
    if (!present.count(name) && !is_entropy_coder_table(name) && problems.size() < 1000)
      problems.push_back("missing '" + name + "'");
  if (!problems.empty()) {
    std::string text;
    for (const auto& p : problems) text += (text.empty() ? "" : "; ") + p;
    throw Error(what + " does not fit " + network.config().spec->name + " quality " +
                std::to_string(network.config().quality) + ": " + text);
  }
  return wanted;
}

void load_weights(NetworkImpl& network, const std::string& path) {
  const std::string what = "weights file '" + path + "'";
  const std::string hint = "give a safetensors file (see docs/networks.md)";
  require_regular_file(path, what, hint);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(what + " cannot be opened: " + hint);
  std::error_code size_error;
  const uint64_t file_size = std::filesystem::file_size(path, size_error);
  if (size_error) throw Error(what + " cannot be read (" + size_error.message() + "): " + hint);
  // Every range is checked against the file's size before anything is read
  // or allocated (safetensors_header.cpp); each read is still checked, as the
  // file may shrink under us.
  auto read_exactly = [&](char* into, uint64_t bytes, uint64_t at, const std::string& part) {
    in.seekg(static_cast<std::streamoff>(at));
    in.read(into, static_cast<std::streamsize>(bytes));
    if (!in || static_cast<uint64_t>(in.gcount()) != bytes)
      throw Error(what + ": reading " + part + " failed after " + std::to_string(in.gcount()) + " of " +
                  std::to_string(bytes) + " bytes (truncated while loading?)");
  };
  std::string prefix(std::min<uint64_t>(file_size, 8), '\0');
  read_exactly(prefix.data(), prefix.size(), 0, "the header length");
  const uint64_t header_size = safetensors_header_length(prefix, file_size, path);
  std::string header_json(header_size, '\0');
  read_exactly(header_json.data(), header_size, 8, "the header");
  const SafetensorsHeader header = parse_safetensors_header(header_json, file_size, path);

  std::map<std::string, torch::Tensor> expected = state_dict(network);
  const auto wanted = match_tensors(header, expected, network, what);

  // Read everything before changing the network, so that a failed read leaves it as it was.
  std::map<std::string, torch::Tensor> loaded;
  for (const auto& [t, name] : wanted) {
    torch::Tensor tensor = torch::empty(t->shape, torch::TensorOptions().dtype(scalar_type(t->dtype)));
    read_exactly(static_cast<char*>(tensor.data_ptr()), t->end - t->begin, header.data_start + t->begin,
                 "tensor '" + t->name + "'");
    loaded[name] = tensor;
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

void save_weights(NetworkImpl& network, const std::string& path, const std::map<std::string, std::string>& metadata) {
  nlohmann::json meta = nlohmann::json::object();
  nlohmann::json info = {{"format", "pt"}, {"writer", "nicenergy"}};
  for (const auto& [key, value] : metadata) info[key] = value;
  meta["__metadata__"] = info;
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
  const uint64_t header_size = header.size();
  std::string bytes(reinterpret_cast<const char*>(&header_size), 8);
  bytes += header;
  for (const auto& blob : blobs)
    bytes.append(static_cast<const char*>(blob.data_ptr()), static_cast<size_t>(blob.numel() * blob.element_size()));
  write_file_replacing(path, bytes, "weights file");
}

std::map<std::string, std::string> weights_metadata(const std::string& path) {
  const std::string bytes = read_input_file(path, "weights file", "give a .safetensors file", uint64_t{1} << 34);
  return parse_safetensors_bytes(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), path).metadata;
}

}  // namespace nicenergy
