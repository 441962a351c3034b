// The safetensors container without LibTorch: an 8-byte little-endian header
// length, a JSON header mapping each tensor name to {dtype, shape,
// data_offsets}, then the raw data. Everything a file says is checked here,
// before a byte of tensor data is read or a tensor allocated, so that the
// loader (weights.cpp) only copies ranges known to lie inside the file, and the
// header can be fuzzed on its own (fuzz/fuzz_safetensors.cpp).
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace nicenergy {

// The safetensors specification's cap on the header, which also bounds what a
// hostile length field can make us allocate.
constexpr uint64_t kMaxSafetensorsHeaderBytes = 100'000'000;

struct SafetensorsTensor {
  std::string name;
  std::string dtype;           // "F32", "F64", "F16", "BF16", "I32", "I64"
  size_t element_size = 0;     // bytes per element of dtype
  std::vector<int64_t> shape;  // each dimension >= 0
  uint64_t elements = 0;       // product of shape
  uint64_t begin = 0, end = 0; // data_offsets, relative to the start of the data
};

struct SafetensorsHeader {
  uint64_t data_start = 0;                    // 8 + header length: where data_offsets count from
  std::vector<SafetensorsTensor> tensors;     // in the order of their data
  std::map<std::string, std::string> metadata;  // "__metadata__", if any
};

// Reads the 8-byte length prefix; `prefix` holds the first min(8, file_size)
// bytes. Throws Error naming `path` when the file is too short or the length
// is 0, over kMaxSafetensorsHeaderBytes or past the end of the file.
uint64_t safetensors_header_length(const std::string& prefix, uint64_t file_size, const std::string& path);

// Parses and checks the JSON header of a file of file_size bytes. Throws Error
// naming `path` and the problem: not JSON, not an object, a tensor entry that is
// not an object, an unknown key, an unsupported dtype, a bad shape, offsets that
// are not two whole numbers, begin after end, a size that does not match dtype
// and shape, data past the end of the file, or tensors that overlap, leave
// holes or do not cover the data exactly (the specification's rule).
SafetensorsHeader parse_safetensors_header(const std::string& header_json, uint64_t file_size,
                                           const std::string& path);

// Both steps on a whole file held in memory (for the fuzzer and the tests).
SafetensorsHeader parse_safetensors_bytes(const uint8_t* data, size_t size, const std::string& path);

}  // namespace nicenergy
