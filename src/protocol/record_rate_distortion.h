// A record's rate-distortion columns (bpp, psnr_db, ms_ssim) from a coded
// image's rate and distortion (quality/rate_distortion.h).
#pragma once
#include "protocol/record.h"
#include "quality/rate_distortion.h"

namespace nicenergy {

// A lossless reconstruction's infinite PSNR is left empty, with a warning on
// the record: no results file could hold it and read it back.
void fill_rate_distortion(MeasurementRecord& record, const RateDistortion& rd);

}  // namespace nicenergy
