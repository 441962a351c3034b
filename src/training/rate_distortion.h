// CompressAI's rate-distortion training loss (examples/train.py,
// RateDistortionLoss with MSE): loss = lambda x 255^2 x MSE + bpp, where bpp is
// the rate the likelihoods promise, -sum(log2 p) / pixels.
#pragma once
#include <torch/torch.h>

#include <string>

#include "models/network.h"

namespace nicenergy {

// lambda for MSE by quality, as CompressAI's zoo was trained (compressai/zoo,
// docs "Training"): 0.0018, 0.0035, 0.0067, 0.0130, 0.0250, 0.0483, 0.0932, 0.1800.
double zoo_lambda(int quality);

// Throws Error naming the option when lambda is not a positive finite number.
void check_lambda(double lambda);

struct RateDistortionLoss {
  torch::Tensor loss;  // scalar, what is back-propagated
  torch::Tensor mse;   // on [0, 1] pixels
  torch::Tensor bpp;   // estimated from the likelihoods of y (and z)
};

RateDistortionLoss rate_distortion_loss(const ChainOutput& out, const torch::Tensor& x, double lambda);

// PSNR in dB of an MSE on [0, 1] pixels.
double psnr_from_mse(double mse);

}  // namespace nicenergy
