// From an image to a reconstruction: padding to the network's multiple (the
// paper pads to 16 or 128), the chain, cropping back, and quality figures.
#pragma once
#include <torch/torch.h>

#include <string>

#include "image/image.h"
#include "models/network.h"

namespace nicenergy {

// "cpu" or "cuda" / "cuda:N"; throws nicenergy::Error when CUDA is asked for and
// this LibTorch or machine has none.
torch::Device parse_device(const std::string& text);

// 8-bit RGB to a 1x3xHxW float tensor in [0, 1] and back (clamped, rounded).
torch::Tensor image_to_tensor(const Image& image);
Image tensor_to_image(const torch::Tensor& x);

// Zero padding, centred as in CompressAI's evaluation, to a multiple of `multiple`.
struct Padding {
  int64_t left = 0, right = 0, top = 0, bottom = 0;
};
Padding padding_for(int64_t height, int64_t width, int64_t multiple);
torch::Tensor pad(const torch::Tensor& x, const Padding& padding);
torch::Tensor crop(const torch::Tensor& x, const Padding& padding);

double psnr_db(const torch::Tensor& reference, const torch::Tensor& reconstruction);
// Estimated rate from the likelihoods: -sum(log2 p) / pixels.
double bits_per_pixel(const Latents& latents, int64_t pixels);

struct Reconstruction {
  torch::Tensor x_hat;   // cropped, clamped to [0, 1], on the CPU
  int64_t padded_width = 0, padded_height = 0;
  double psnr_db = 0;
  double bpp = 0;
};
// Pads, runs the full chain, crops. The tensor goes to the network's device.
Reconstruction reconstruct(NetworkImpl& network, const torch::Tensor& x, const torch::Device& device);

}  // namespace nicenergy
