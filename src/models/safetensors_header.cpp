#include "models/safetensors_header.h"

#include <algorithm>
#include <tuple>
#include <nlohmann/json.hpp>

#include "error.h"
#include "io/numbers.h"

namespace nicenergy {

namespace {

size_t dtype_size(const std::string& dtype) {
  if (dtype == "F32" || dtype == "I32") return 4;
  if (dtype == "F64" || dtype == "I64") return 8;
  if (dtype == "F16" || dtype == "BF16") return 2;
  return 0;
}

// Every error says which file and that it is a weights file.
[[noreturn]] void fail(const std::string& path, const std::string& problem) {
  throw Error("weights file '" + path + "': " + problem + "; give a safetensors file of CompressAI's state_dict (see docs/networks.md)");
}

std::string tensor_where(const std::string& name) { return "tensor '" + printable(name) + "'"; }

// A JSON value that must be a whole number within [0, 2^64): JSON's integers
// arrive as unsigned or signed; floats (1e300) and negatives are refused.
uint64_t whole_number(const nlohmann::json& value, const std::string& path, const std::string& what) {
  if (value.is_number_unsigned()) return value.get<uint64_t>();
  if (value.is_number_integer()) {
    const int64_t v = value.get<int64_t>();
    if (v >= 0) return static_cast<uint64_t>(v);
    fail(path, what + " is " + std::to_string(v) + ", a negative number");
  }
  if (value.is_number_float()) fail(path, what + " is " + number_text(value.get<double>()) + ", not a whole number");
  fail(path, what + " is not a number");
}

}  // namespace

uint64_t safetensors_header_length(const std::string& prefix, uint64_t file_size, const std::string& path) {
  if (file_size < 8 || prefix.size() < 8)
    fail(path, "is " + std::to_string(file_size) + " bytes, too short for the 8-byte header length");
  uint64_t length = 0;
  for (int i = 7; i >= 0; --i) length = (length << 8) | static_cast<unsigned char>(prefix[i]);  // little-endian
  if (length < 2) fail(path, "the header length is " + std::to_string(length) + ", too short for a JSON object");
  if (length > kMaxSafetensorsHeaderBytes)
    fail(path, "the header length is " + std::to_string(length) + " bytes, over the format's limit of " +
                   std::to_string(kMaxSafetensorsHeaderBytes));
  if (length > file_size - 8)
    fail(path, "the header length is " + std::to_string(length) + " bytes, but only " + std::to_string(file_size - 8) +
                   " follow (truncated?)");
  return length;
}

// One tensor's entry: dtype, shape and data offsets, each checked against the
// file's data (no overflow, nothing past its end).
static SafetensorsTensor parse_tensor(const std::string& name, const nlohmann::json& info, uint64_t data_size,
                                      const std::string& path) {
  const std::string where = tensor_where(name);
  if (!info.is_object()) fail(path, where + " is not an object with dtype, shape and data_offsets");
  for (auto k = info.begin(); k != info.end(); ++k)
    if (k.key() != "dtype" && k.key() != "shape" && k.key() != "data_offsets")
      fail(path, where + " has the unknown key '" + printable(k.key()) + "' (known: dtype, shape, data_offsets)");
  for (const char* key : {"dtype", "shape", "data_offsets"})
    if (!info.contains(key)) fail(path, where + " has no " + key);

  SafetensorsTensor t;
  t.name = name;
  const nlohmann::json& dtype = info.at("dtype");
  if (!dtype.is_string()) fail(path, where + " has a dtype that is not a string");
  t.dtype = dtype.get<std::string>();
  t.element_size = dtype_size(t.dtype);
  if (t.element_size == 0)
    fail(path, where + " has the unsupported dtype '" + printable(t.dtype) + "' (supported: F32, F64, F16, BF16, I32, I64)");

  const nlohmann::json& shape = info.at("shape");
  if (!shape.is_array()) fail(path, where + " has a shape that is not a list of whole numbers");
  if (shape.size() > 8) fail(path, where + " has " + std::to_string(shape.size()) + " dimensions, more than 8");
  // The element count may not overflow, nor may its bytes exceed the data.
  t.elements = 1;
  for (size_t d = 0; d < shape.size(); ++d) {
    const uint64_t n = whole_number(shape[d], path, where + " dimension " + std::to_string(d));
    if (n > static_cast<uint64_t>(INT64_MAX)) fail(path, where + " dimension " + std::to_string(d) + " is too large");
    t.shape.push_back(static_cast<int64_t>(n));
    if (t.elements != 0 && n > data_size / t.elements)
      fail(path, where + " has the shape of more elements than the file holds data for (truncated?)");
    t.elements *= n;
  }
  const uint64_t bytes = t.elements * t.element_size;  // elements <= data_size: no overflow
  if (bytes > data_size) fail(path, where + " needs " + std::to_string(bytes) + " bytes, more than the file's data (truncated?)");

  const nlohmann::json& offsets = info.at("data_offsets");
  if (!offsets.is_array() || offsets.size() != 2)
    fail(path, where + " has data_offsets that are not [begin, end]");
  t.begin = whole_number(offsets[0], path, where + " data_offsets begin");
  t.end = whole_number(offsets[1], path, where + " data_offsets end");
  // Compare without subtracting first: end - begin wraps around when begin > end.
  if (t.begin > t.end)
    fail(path, where + " has data_offsets [" + std::to_string(t.begin) + ", " + std::to_string(t.end) +
                   "]: the begin is after the end");
  if (t.end > data_size)
    fail(path, where + " has data_offsets up to " + std::to_string(t.end) + ", past the end of the data (" +
                   std::to_string(data_size) + " bytes; truncated?)");
  if (t.end - t.begin != bytes)
    fail(path, where + " has " + std::to_string(t.end - t.begin) + " bytes of data, but dtype " + t.dtype +
                   " and its shape need " + std::to_string(bytes));
  return t;
}

// The specification: the data is exactly the tensors, one after another, with
// no overlap and no hole (so no byte is read twice or left unexplained).
static void check_contiguous(std::vector<SafetensorsTensor>& tensors, uint64_t data_size, const std::string& path) {
  std::sort(tensors.begin(), tensors.end(), [](const SafetensorsTensor& a, const SafetensorsTensor& b) {
    return std::tie(a.begin, a.end, a.name) < std::tie(b.begin, b.end, b.name);
  });
  uint64_t expected = 0;
  const SafetensorsTensor* previous = nullptr;
  for (const SafetensorsTensor& t : tensors) {
    if (t.begin < expected)
      fail(path, tensor_where(t.name) + " overlaps " + tensor_where(previous->name) + " in the data");
    if (t.begin > expected)
      fail(path, "the data has a hole of " + std::to_string(t.begin - expected) + " bytes before " +
                     tensor_where(t.name) + " (tensors must be contiguous)");
    expected = t.end;
    previous = &t;
  }
  if (expected != data_size)
    fail(path, std::to_string(data_size - expected) + " bytes of data after the last tensor belong to no tensor");
}

SafetensorsHeader parse_safetensors_header(const std::string& header_json, uint64_t file_size,
                                           const std::string& path) {
  SafetensorsHeader header;
  header.data_start = 8 + header_json.size();
  if (header.data_start > file_size) fail(path, "the header runs past the end of the file (truncated?)");
  const uint64_t data_size = file_size - header.data_start;

  nlohmann::json meta;
  try {
    meta = nlohmann::json::parse(header_json);
  } catch (const nlohmann::json::parse_error& e) {
    fail(path, "the header is not valid JSON (error at byte " + std::to_string(e.byte) + " of the header)");
  } catch (const nlohmann::json::exception&) {
    fail(path, "the header is not valid JSON");
  }
  if (!meta.is_object()) fail(path, "the header is not a JSON object of tensors");

  for (auto it = meta.begin(); it != meta.end(); ++it) {
    const std::string& name = it.key();
    const nlohmann::json& info = it.value();
    if (name == "__metadata__") {
      if (!info.is_object()) fail(path, "__metadata__ is not an object");
      for (auto m = info.begin(); m != info.end(); ++m) {
        if (!m.value().is_string()) fail(path, "__metadata__ '" + printable(m.key()) + "' is not a string");
        header.metadata[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    header.tensors.push_back(parse_tensor(name, info, data_size, path));
  }

  check_contiguous(header.tensors, data_size, path);
  return header;
}

SafetensorsHeader parse_safetensors_bytes(const uint8_t* data, size_t size, const std::string& path) {
  const std::string prefix(reinterpret_cast<const char*>(data), std::min<size_t>(size, 8));
  const uint64_t length = safetensors_header_length(prefix, size, path);
  const std::string json(reinterpret_cast<const char*>(data) + 8, static_cast<size_t>(length));
  return parse_safetensors_header(json, size, path);
}

}  // namespace nicenergy
