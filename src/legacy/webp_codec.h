// WebP as a classic codec beside JPEG (issue 17): lossy VP8 bitstreams in
// memory through libwebp, decoded back. Compiled in with NICENERGY_WITH_WEBP
// (CMake finds libwebp); without it the functions throw, naming the package.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "image/image.h"

namespace nicenergy {

struct WebpSettings {
  int quality = 75;  // 0..100, libwebp's (and cwebp's -q) scale
};

// The RIFF/WebP file WebPEncodeRGB writes (cwebp -q Q with its defaults:
// method 4, 4:2:0 chroma), as bytes. Throws nicenergy::Error on a quality
// outside 0..100, an image that is empty, not width x height x 3 or over WebP's
// 16383 pixels a side, a libwebp failure, or a build without libwebp.
std::vector<uint8_t> encode_webp(const Image& image, const WebpSettings& settings = {});

// RGB out. Throws nicenergy::Error on data libwebp does not decode.
Image decode_webp(const std::vector<uint8_t>& bitstream);

// libwebp's encoder version ("1.2.4"); empty in a build without it.
std::string webp_library_version();

}  // namespace nicenergy
