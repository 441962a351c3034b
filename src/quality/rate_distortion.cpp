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

void fill_rate_distortion(MeasurementRecord& record, const RateDistortion& rd) {
  record.bpp = rd.bpp;
  // A lossless reconstruction has an infinite PSNR: no number a results file
  // can hold (and read back), so the column stays empty and the record says why.
  if (std::isfinite(rd.psnr_db)) {
    record.psnr_db = rd.psnr_db;
  } else {
    record.psnr_db.reset();
    record.warnings += std::string(record.warnings.empty() ? "" : "; ") +
                       "the decoded image equals the source: PSNR is infinite, left empty";
  }
  record.ms_ssim = rd.ms_ssim;
}

}  // namespace nicenergy
