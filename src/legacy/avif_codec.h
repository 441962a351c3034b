// AVIF as a classic codec beside JPEG (issue 17): AV1 still images in memory
// through libavif, encoded with libaom (Debian 12's libavif 0.11 also has
// rav1e for encoding; aom is pinned so that the bitstream's encoder is known)
// and decoded with the best decoder libavif has (dav1d on Debian 12).
// Compiled in with NICENERGY_WITH_AVIF; without it the functions throw.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "image/image.h"

namespace nicenergy {

struct AvifSettings {
  // 0..63, AV1's quantizer (libavif 0.11's minQuantizer = maxQuantizer): LOWER
  // is better quality, 0 near lossless. libavif 0.11 has no 0..100 quality.
  int quantizer = 30;
  int speed = 6;  // 0..10, libaom's cpu-used: lower is slower and smaller; avifenc's default
};

// An 8-bit 4:2:0 AVIF file (BT.601 full range, one thread: avifenc --jobs 1
// -y 420 --min Q --max Q -s S) as bytes. Throws nicenergy::Error on a
// quantizer or speed out of range, a bad image, a libavif failure, a libavif
// without the aom encoder, or a build without libavif.
std::vector<uint8_t> encode_avif(const Image& image, const AvifSettings& settings = {});

// RGB out (8 bits whatever the file's depth). Throws nicenergy::Error on data
// libavif does not decode.
Image decode_avif(const std::vector<uint8_t>& bitstream);

// "libavif 0.11.1 (aom [enc/dec]:3.6.0, ...)": libavif's and its codecs'
// versions; empty in a build without it.
std::string avif_library_version();

}  // namespace nicenergy
