// JPEG as a classic codec beside the learned ones (issue 17): encode an 8-bit
// RGB image to a bitstream in memory with libjpeg-turbo, decode it back, and
// count its real rate. Only what rate and distortion need; measuring its energy
// as a workload is later work.
#pragma once
#include <cstdint>
#include <vector>

#include "image/image.h"

namespace nicenergy {

// Chroma subsampling of the YCbCr planes (luma is never subsampled).
enum class JpegSubsampling {
  s444,  // none
  s422,  // chroma halved horizontally
  s420,  // chroma halved both ways: libjpeg's and cjpeg's default
};

struct JpegSettings {
  int quality = 75;  // 1..100, libjpeg's scale (IJG tables scaled, baseline-compatible)
  JpegSubsampling subsampling = JpegSubsampling::s420;
};

// The JFIF file libjpeg's defaults write (as cjpeg -quality Q without
// -optimize: baseline, standard Huffman tables, ISLOW DCT), as bytes; its rate
// is bits_per_pixel(bytes.size(), ...) of src/quality/bits_per_pixel.h.
// Throws nicenergy::Error on a quality outside 1..100, an image that is empty
// or whose buffer is not width x height x 3, or a libjpeg failure.
std::vector<uint8_t> encode_jpeg(const Image& image, const JpegSettings& settings = {});

// Decodes through load_image's hardened decoder (src/image): RGB out, libjpeg's
// default ISLOW IDCT and fancy upsampling. Throws nicenergy::Error on corrupt data.
Image decode_jpeg(const std::vector<uint8_t>& bitstream);

}  // namespace nicenergy
