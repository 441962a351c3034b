// The compressed file: a header naming what made it, then the entropy-coded
// latents. Little-endian throughout; the README documents the layout. Needs no
// LibTorch (fuzz/fuzz_codec_file.cpp builds it alone); the checks against a
// network are in stream_checks.h.
#pragma once
#include <cstdint>
#include <string>

#include "coding/coded_image.h"

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

}  // namespace nicenergy
