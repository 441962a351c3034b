#include "training/rate_distortion.h"

#include <cmath>
#include <limits>

#include "error.h"

namespace nicenergy {

double zoo_lambda(int quality) {
  static const double lambdas[] = {0.0018, 0.0035, 0.0067, 0.0130, 0.0250, 0.0483, 0.0932, 0.1800};
  if (quality < 1 || quality > 8) throw Error("quality " + std::to_string(quality) + " has no zoo lambda: use 1 to 8 or give --lambda");
  return lambdas[quality - 1];
}

void check_lambda(double lambda) {
  if (!std::isfinite(lambda) || lambda <= 0)
    throw Error("--lambda must be a positive number (CompressAI's range is 0.0018 to 0.18), not " + std::to_string(lambda));
}

static torch::Tensor log2_sum(const torch::Tensor& likelihoods) {
  return torch::log(likelihoods).sum() / -std::log(2.0);
}

RateDistortionLoss rate_distortion_loss(const ChainOutput& out, const torch::Tensor& x, double lambda) {
  RateDistortionLoss r;
  const double pixels = static_cast<double>(x.size(0) * x.size(2) * x.size(3));
  torch::Tensor bits = log2_sum(out.latents.y_likelihoods);
  if (out.latents.z_likelihoods.defined()) bits = bits + log2_sum(out.latents.z_likelihoods);
  r.bpp = bits / pixels;
  r.mse = torch::mse_loss(out.x_hat, x);
  r.loss = lambda * 255.0 * 255.0 * r.mse + r.bpp;
  return r;
}

double psnr_from_mse(double mse) {
  if (mse <= 0) return std::numeric_limits<double>::infinity();
  return -10.0 * std::log10(mse);
}

}  // namespace nicenergy
