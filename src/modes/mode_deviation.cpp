#include "modes/mode_deviation.h"

#include <algorithm>

#include "error.h"

namespace nicenergy {

ModeDeviation compare_outputs(const ChainOutput& float32, const ChainOutput& mode, const torch::Tensor& input,
                              const Padding& padding) {
  const torch::Tensor a = float32.x_hat.to(torch::kCPU, torch::kFloat64);
  const torch::Tensor b = mode.x_hat.to(torch::kCPU, torch::kFloat64);
  if (!a.sizes().equals(b.sizes())) throw Error("the mode's output has another shape than float32's: a bug in the mode");
  ModeDeviation d;
  d.max_abs_diff = (a - b).abs().max().item<double>();
  d.tolerance = exact_tolerance * std::max(1.0, a.abs().max().item<double>());
  d.exact = d.max_abs_diff <= d.tolerance;
  const int64_t pixels = input.size(2) * input.size(3);
  auto quality = [&](const ChainOutput& out, double& psnr, double& bpp) {
    psnr = psnr_db(input, crop(out.x_hat.to(torch::kCPU, torch::kFloat32), padding).clamp(0, 1));
    bpp = bits_per_pixel(out.latents, pixels);
  };
  quality(float32, d.psnr_db_float32, d.bpp_float32);
  quality(mode, d.psnr_db, d.bpp);
  return d;
}

}  // namespace nicenergy
