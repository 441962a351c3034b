// How far an energy mode's output is from the float32 reference's on the same
// image and weights: what `modes` states for every mode, so that no mode is
// called exact unless its output is.
#pragma once
#include <torch/torch.h>

#include "models/codec.h"
#include "models/network.h"

namespace nicenergy {

struct ModeDeviation {
  double max_abs_diff = 0;                  // of x_hat over the padded image, before clamping
  double psnr_db = 0, psnr_db_float32 = 0;  // the cropped, clamped x_hat against the input
  double bpp = 0, bpp_float32 = 0;          // the rate the likelihoods give (-sum log2 p / pixels)
  double tolerance = 0;                     // what float32 rounding allows: exact_tolerance x max|x_hat|
  bool exact = false;                       // max_abs_diff <= tolerance

  double psnr_delta_db() const { return psnr_db - psnr_db_float32; }
  double bpp_delta() const { return bpp - bpp_float32; }
};

// Float32 rounding through a codec's dozen layers stays some 1e-6 of the
// output's magnitude; 1e-4 leaves room for a different summation order and
// still tells bf16 (about 1e-2) apart.
inline constexpr double exact_tolerance = 1e-4;

// `input` is the unpadded 1x3xHxW image; `padding` what the chain's input had.
ModeDeviation compare_outputs(const ChainOutput& float32, const ChainOutput& mode, const torch::Tensor& input,
                              const Padding& padding);

}  // namespace nicenergy
