#include "protocol/record_rate_distortion.h"

#include <cmath>
#include <string>

namespace nicenergy {

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
