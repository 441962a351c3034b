// HEIC as a classic codec beside JPEG (issue 17): HEVC still images in a HEIF
// file in memory through libheif, encoded with x265 and decoded with libde265
// (Debian 12's libheif 1.15 links both in, and aom for AVIF, which nicenergy
// takes from libavif instead). Compiled in with NICENERGY_WITH_HEIF; without
// it the functions throw, naming the package.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "image/image.h"

namespace nicenergy {

struct HeicSettings {
  int quality = 50;  // 0..100, libheif's lossy quality (heif-enc -q), mapped by it to x265's CRF
};

// The HEIF file libheif's x265 encoder writes with its defaults (heif-enc -q Q:
// preset slow, tune ssim, 4:2:0, x265's own thread pool), as bytes. Throws
// nicenergy::Error on a quality outside 0..100, a bad image, a libheif
// without an HEVC encoder, a libheif failure, or a build without libheif.
std::vector<uint8_t> encode_heic(const Image& image, const HeicSettings& settings = {});

// RGB out. Throws nicenergy::Error on data libheif does not decode.
Image decode_heic(const std::vector<uint8_t>& bitstream);

// "libheif 1.15.1 (HEVC encoder: x265 HEVC encoder (3.5+1-f0c1022b6))"; empty
// in a build without it.
std::string heic_library_version();

}  // namespace nicenergy
