// Multi-scale structural similarity (MS-SSIM) of 8-bit RGB images:
// Z. Wang, E. P. Simoncelli, A. C. Bovik, "Multiscale structural similarity for
// image quality assessment", Asilomar Conference on Signals, Systems and
// Computers, 2003.
//
// Five scales; an 11-tap Gaussian window of sigma 1.5 (separable, normalised,
// applied only where it fits: no padding); K1 = 0.01, K2 = 0.03, dynamic range
// L = 255; the paper's exponents 0.0448, 0.2856, 0.3001, 0.2363, 0.1333. At each
// of the first four scales the mean contrast-structure term cs is taken, at the
// fifth the mean SSIM (luminance x cs); negative terms are clamped to 0, and
// MS-SSIM = prod cs_j^w_j x ssim_5^w_5. Between scales each image is averaged
// over 2x2 blocks; an odd side is first padded with one zero sample on each side
// that the averages count (as PyTorch's avg_pool2d with padding 1 does).
//
// This is the convention of pytorch-msssim's ms_ssim, which CompressAI reports
// as "ms-ssim-rgb": computed on each RGB channel separately and averaged over
// the three. The luma variant computes it once on Y = 0.299 R + 0.587 G +
// 0.114 B (BT.601, unrounded), closer to the paper's greyscale images.
#pragma once

#include "image/image.h"

namespace nicenergy {

enum class MsSsimChannels {
  rgb_mean,  // per channel, averaged: CompressAI's / pytorch-msssim's "ms-ssim-rgb"
  luma,      // on BT.601 luma
};

// The shorter side must exceed 160 pixels (the 11-tap window must fit after
// four halvings), as in pytorch-msssim.
constexpr int kMsSsimMinSide = 161;

// In [0, 1], 1 for identical images. Throws nicenergy::Error on empty or
// differently sized images and on a side shorter than kMsSsimMinSide.
double ms_ssim(const Image& reference, const Image& decoded, MsSsimChannels channels = MsSsimChannels::rgb_mean);

// -10 log10(1 - ms_ssim), the decibel scale of CompressAI's RD plots;
// +infinity for 1.
double ms_ssim_db(double ms_ssim_value);

}  // namespace nicenergy
