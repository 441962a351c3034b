// JPEG 2000 as a classic codec beside JPEG (issue 17): lossy J2K codestreams
// (9/7 wavelet, one quality layer) in memory through OpenJPEG, decoded back.
// Compiled in with NICENERGY_WITH_OPENJP2; without it the functions throw,
// naming the package.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "image/image.h"

namespace nicenergy {

struct Jpeg2000Settings {
  // 2..1000, the compression ratio against raw 24-bit RGB (opj_compress -r):
  // LOWER is better quality; the rate comes out near 24 / ratio bits per pixel.
  double compression_ratio = 20;
};

// A raw J2K codestream (no JP2 box), irreversible 9/7 wavelet, RGB to YCbCr
// (MCT), one layer, OpenJPEG's other defaults and one thread
// (opj_compress -r R -I), as bytes. Throws nicenergy::Error on a ratio out of
// range, a bad image, an OpenJPEG failure, or a build without OpenJPEG.
std::vector<uint8_t> encode_jpeg2000(const Image& image, const Jpeg2000Settings& settings = {});

// RGB out, for 8-bit three-component codestreams. Throws nicenergy::Error on
// data OpenJPEG does not decode or any other layout.
Image decode_jpeg2000(const std::vector<uint8_t>& bitstream);

// OpenJPEG's version ("2.5.0"); empty in a build without it.
std::string jpeg2000_library_version();

}  // namespace nicenergy
