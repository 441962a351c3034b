// The exact sub-pixel form of a stride-2 transposed convolution, an energy mode
// (`nicenergy modes`): on CPU builds LibTorch's transposed convolutions run
// several times slower per MAC than plain ones, so the synthesis of Bfac, Bhyp
// and Mmean gets faster with the same output.
//
// ConvTranspose2d(K, stride 2, padding p, output_padding 1) with K + 1 = 2p + 2
// (CompressAI's deconv(): K = 5, p = 2) writes output pixel 2m + r from input
// pixels m + d only, through kernel tap k = r + p - 2d. So the four output
// phases (r_h, r_w) are four stride-1 convolutions over the same input, here one
// convolution to 4 * Cout channels (taps a phase does not use are zero),
// followed by PixelShuffle(2), which interleaves the phases. The sums are the
// same products in another order: equal to float32 rounding.
#pragma once
#include <torch/torch.h>

#include <unordered_map>

namespace nicenergy {

struct SubpixelWeights {
  torch::Tensor weight;  // [4 * Cout, Cin, D, D]; output channel c * 4 + r_h * 2 + r_w
  torch::Tensor bias;    // [4 * Cout], or undefined
  int64_t padding = 0;
};

// Whether the layer has the rewrite's shape (stride 2, output_padding 1,
// K + 1 = 2p + 2, symmetric taps, no groups or dilation).
bool subpixel_rewritable(const torch::nn::ConvTranspose2dImpl& deconv);
// The rewrite's weights; throws Error for a layer that is not rewritable.
SubpixelWeights subpixel_weights(const torch::nn::ConvTranspose2dImpl& deconv);
torch::Tensor subpixel_forward(const SubpixelWeights& weights, const torch::Tensor& x);

// The sub-pixel forms of a network's transposed convolutions, each converted
// on first use and again when its weights change. While a SubpixelScope holds
// it on this thread, run_deconv computes through it; layers that are not
// rewritable run as they are.
class SubpixelRewrite {
 public:
  torch::Tensor forward(torch::nn::ConvTranspose2dImpl& deconv, const torch::Tensor& x);
  int64_t rewritten_layers() const { return static_cast<int64_t>(cache_.size()); }

 private:
  struct Entry {
    SubpixelWeights weights;
    const void* data = nullptr;  // the weight's storage and version it was made from
    int64_t version = -1;
  };
  std::unordered_map<const torch::nn::Module*, Entry> cache_;
};

class SubpixelScope {
 public:
  explicit SubpixelScope(SubpixelRewrite& rewrite);
  ~SubpixelScope();
  SubpixelScope(const SubpixelScope&) = delete;
  SubpixelScope& operator=(const SubpixelScope&) = delete;
  static SubpixelRewrite* active();

 private:
  SubpixelRewrite* previous_;
};

}  // namespace nicenergy
