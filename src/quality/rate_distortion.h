// Rate and distortion of one coded image, the way every codec is judged here
// (issue 17): bits per pixel from the real bitstream, PSNR and MS-SSIM of the
// decoded image against the source.
#pragma once
#include <cstddef>
#include <optional>

#include "image/image.h"

namespace nicenergy {

struct RateDistortion {
  double bpp = 0;
  double psnr_db = 0;
  std::optional<double> ms_ssim;  // empty for a side shorter than kMsSsimMinSide
};

// Throws nicenergy::Error when the images differ in size.
RateDistortion rate_distortion(size_t bitstream_bytes, const Image& source, const Image& decoded);

}  // namespace nicenergy
