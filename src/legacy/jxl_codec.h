// JPEG XL as a classic codec beside JPEG (issue 17): lossy (VarDCT) JPEG XL
// files in memory through libjxl, decoded back. Compiled in with
// NICENERGY_WITH_JXL; without it the functions throw, naming the package.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "image/image.h"

namespace nicenergy {

struct JxlSettings {
  // 0.1..25, libjxl's Butteraugli distance: LOWER is better quality, 1.0
  // "visually lossless" (cjxl's default). libjxl 0.7 has no 0..100 quality.
  double distance = 1.0;
  int effort = 7;  // 1..9, libjxl's effort (cjxl -e): higher is slower and smaller; 7 is its default
};

// A JPEG XL codestream in its container-free form, 8-bit sRGB, single-threaded
// (no parallel runner: cjxl -d D -e E --num_threads 0), as bytes. Throws
// nicenergy::Error on a distance or effort out of range, a bad image, a libjxl
// failure, a build without libjxl, or the sizes and settings libjxl 0.7 crashes
// on (1-8 or 17-24 wide, 2049-4104 high, distance 4.5 to 20, effort 4 and up).
std::vector<uint8_t> encode_jxl(const Image& image, const JxlSettings& settings = {});

// RGB out, single-threaded. Throws nicenergy::Error on data libjxl does not decode.
Image decode_jxl(const std::vector<uint8_t>& bitstream);

// The Butteraugli distance of cjxl's 0..100 quality (libjxl's
// JxlEncoderDistanceFromQuality, 0.9 and later; 0.7 lacks it): 0.1 + (100 - q)
// x 0.09 from 30 up, a quadratic below, 25 at 0. Throws nicenergy::Error
// outside 1..99 (100 is lossless, which this lossy codec does not do).
double jxl_distance_from_quality(int quality);

// libjxl's encoder version ("0.7.0"); empty in a build without it.
std::string jxl_library_version();

}  // namespace nicenergy
