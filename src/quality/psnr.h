// Peak signal-to-noise ratio of 8-bit RGB images, the distortion axis of the
// rate-distortion curves (issue 17).
//
// Convention (CompressAI's "psnr-rgb"): one mean squared error over every
// sample of all three channels, peak 255, PSNR = 10 log10(255^2 / MSE) in dB.
// It is not the mean of per-channel PSNRs, nor PSNR on luma.
#pragma once

#include "image/image.h"

namespace nicenergy {

// Mean of (reference - decoded)^2 over width x height x 3 samples.
double mean_squared_error(const Image& reference, const Image& decoded);

// 10 log10(255^2 / MSE) in dB; +infinity for identical images (no cap: a
// lossless point has no place on an RD curve, and bd_rate refuses it).
// Throws nicenergy::Error (check_image_pair) on empty or differently sized images.
double psnr_db(const Image& reference, const Image& decoded);

}  // namespace nicenergy
