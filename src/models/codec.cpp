#include "models/codec.h"

#include <cmath>

#include "error.h"

namespace nicenergy {

torch::Device parse_device(const std::string& text) {
  if (text == "cpu") return torch::Device(torch::kCPU);
  if (text.rfind("cuda", 0) == 0) {
    if (!torch::cuda::is_available())
      throw Error("device '" + text + "' is not available: this LibTorch has no CUDA or no GPU is visible; use --device cpu");
    try {
      torch::Device device(text);
      if (device.has_index() && device.index() >= static_cast<int>(torch::cuda::device_count()))
        throw Error("device '" + text + "' does not exist: " + std::to_string(torch::cuda::device_count()) + " GPU(s) visible");
      return device;
    } catch (const c10::Error&) {
      throw Error("device '" + text + "' is not a device name: use cpu, cuda or cuda:N");
    }
  }
  throw Error("device '" + text + "' is not a device name: use cpu, cuda or cuda:N");
}

torch::Tensor image_to_tensor(const Image& image) {
  torch::Tensor bytes = torch::from_blob(const_cast<uint8_t*>(image.rgb.data()), {image.height, image.width, 3}, torch::kUInt8);
  return bytes.permute({2, 0, 1}).unsqueeze(0).to(torch::kFloat32).div(255.0).contiguous();
}

Image tensor_to_image(const torch::Tensor& x) {
  torch::Tensor bytes = x.detach().to(torch::kCPU).squeeze(0).clamp(0, 1).mul(255.0).round().to(torch::kUInt8)
                            .permute({1, 2, 0}).contiguous();
  Image image;
  image.height = static_cast<int>(bytes.size(0));
  image.width = static_cast<int>(bytes.size(1));
  image.rgb.assign(bytes.data_ptr<uint8_t>(), bytes.data_ptr<uint8_t>() + bytes.numel());
  return image;
}

Padding padding_for(int64_t height, int64_t width, int64_t multiple) {
  const int64_t padded_h = (height + multiple - 1) / multiple * multiple;
  const int64_t padded_w = (width + multiple - 1) / multiple * multiple;
  Padding p;
  p.left = (padded_w - width) / 2;
  p.right = padded_w - width - p.left;
  p.top = (padded_h - height) / 2;
  p.bottom = padded_h - height - p.top;
  return p;
}

torch::Tensor pad(const torch::Tensor& x, const Padding& p) {
  return torch::constant_pad_nd(x, {p.left, p.right, p.top, p.bottom}, 0);
}

torch::Tensor crop(const torch::Tensor& x, const Padding& p) {
  using torch::indexing::Slice;
  return x.index({Slice(), Slice(), Slice(p.top, x.size(2) - p.bottom), Slice(p.left, x.size(3) - p.right)});
}

double psnr_db(const torch::Tensor& reference, const torch::Tensor& reconstruction) {
  const double mse = torch::mse_loss(reconstruction.to(torch::kCPU).to(torch::kFloat64),
                                     reference.to(torch::kCPU).to(torch::kFloat64)).item<double>();
  return mse <= 0 ? INFINITY : 10.0 * std::log10(1.0 / mse);
}

double bits_per_pixel(const Latents& latents, int64_t pixels) {
  double bits = -torch::log2(latents.y_likelihoods.to(torch::kFloat64)).sum().item<double>();
  if (latents.z_likelihoods.defined()) bits += -torch::log2(latents.z_likelihoods.to(torch::kFloat64)).sum().item<double>();
  return bits / static_cast<double>(pixels);
}

Reconstruction reconstruct(NetworkImpl& network, const torch::Tensor& x, const torch::Device& device) {
  torch::NoGradGuard no_grad;
  const Padding p = padding_for(x.size(2), x.size(3), network.config().spec->padding);
  torch::Tensor padded = pad(x, p).to(device);
  ChainOutput out = network.forward(padded);
  Reconstruction r;
  r.x_hat = crop(out.x_hat, p).clamp(0, 1).to(torch::kCPU);
  r.padded_height = padded.size(2);
  r.padded_width = padded.size(3);
  r.psnr_db = psnr_db(x, r.x_hat);
  r.bpp = bits_per_pixel(out.latents, x.size(2) * x.size(3));
  return r;
}

}  // namespace nicenergy
