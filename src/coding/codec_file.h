// The compressed file: a header naming what made it, then the entropy-coded
// latents. Little-endian throughout; the README documents the layout.
#pragma once
#include <cstdint>
#include <string>

#include "coding/network_coding.h"

namespace nicenergy {

constexpr char kStreamMagic[4] = {'N', 'I', 'C', 'E'};
constexpr uint8_t kStreamVersion = 1;

struct StreamHeader {
  std::string network;          // paper abbreviation, e.g. "Mmean"
  int quality = 0;
  int width = 0, height = 0;    // the image's, before padding
  std::string device;           // "cpu" or "cuda": entropy parameters are bit-exact only on the device kind that made them
  uint64_t weights_digest = 0;  // of every parameter and buffer: decoding needs the very same weights
};

struct Stream {
  StreamHeader header;
  CodedImage coded;
};

std::string write_stream(const Stream& stream);
// Reads and checks the layout; throws Error "<what> is not a nicenergy stream /
// is truncated / ..." naming the file.
Stream read_stream(const std::string& bytes, const std::string& what);
// Checks the latent shapes against what this network makes of the header's image size.
void check_stream_fits(const Stream& stream, const NetworkImpl& network, const std::string& what);

// FNV-1a over the names and bytes of every parameter and buffer.
uint64_t weights_digest(const torch::nn::Module& module);

}  // namespace nicenergy
