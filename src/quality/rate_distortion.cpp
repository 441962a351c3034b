#include "quality/rate_distortion.h"

#include <algorithm>
#include <cmath>

#include "quality/bits_per_pixel.h"
#include "quality/ms_ssim.h"
#include "quality/psnr.h"

namespace nicenergy {

RateDistortion rate_distortion(size_t bitstream_bytes, const Image& source, const Image& decoded) {
  RateDistortion rd;
  rd.psnr_db = psnr_db(source, decoded);  // checks the pair
  rd.bpp = bits_per_pixel(bitstream_bytes, source.width, source.height);
  // MS-SSIM is undefined below its minimum side; the rate and PSNR still are.
  if (std::min(source.width, source.height) >= kMsSsimMinSide) rd.ms_ssim = ms_ssim(source, decoded);
  return rd;
}

}  // namespace nicenergy
