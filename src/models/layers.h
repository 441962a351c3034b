// CompressAI's building blocks in LibTorch, with CompressAI's parameter and
// buffer names so that a converted CompressAI state_dict loads one to one.
//
// Every convolution and GDN runs through run_conv / run_deconv / run_gdn, which
// report the layer to the active LayerRecorder (if any). That is how complexity
// accounting is computed from the modules themselves instead of a typed table.
#pragma once
#include <torch/torch.h>

#include "models/layer_type.h"

#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

namespace nicenergy {


// Collects LayerRecords while active on this thread. In shape_only mode the
// recorded layers return uninitialised tensors of the right shape instead of
// computing: accounting then costs microseconds, not a real forward pass.
class LayerRecorder {
 public:
  LayerRecorder(const torch::nn::Module& root, bool shape_only);
  ~LayerRecorder();
  LayerRecorder(const LayerRecorder&) = delete;
  LayerRecorder& operator=(const LayerRecorder&) = delete;

  bool shape_only() const { return shape_only_; }
  std::string name_of(const torch::nn::Module* module) const;
  // Keeps a copy of the input each recorded layer saw (not in shape_only
  // mode), so that `nicenergy layers` can replay each layer alone on it.
  void capture_inputs() { capture_inputs_ = true; }
  void add(LayerRecord record, const torch::Tensor& input) {
    records_.push_back(std::move(record));
    if (capture_inputs_ && !shape_only_) inputs_.push_back(input.detach().clone());
  }
  const std::vector<torch::Tensor>& inputs() const { return inputs_; }  // parallel to records()

  // Sees every output that would go to memory as it is computed (not in
  // shape_only mode): each recorded layer's ("conv", "gdn", ... as LayerType's
  // text) and each block's of a Sequential ("block": a residual or attention
  // block, whose output is the sum after its skip). For the bandwidth analysis.
  using OutputObserver = std::function<void(const std::string& name, const std::string& kind, const torch::Tensor& output)>;
  void observe_outputs(OutputObserver observer) { observer_ = std::move(observer); }
  void notify(const std::string& name, const std::string& kind, const torch::Tensor& output) const {
    if (observer_) observer_(name, kind, output);
  }
  bool observing() const { return static_cast<bool>(observer_); }
  const std::vector<LayerRecord>& records() const { return records_; }

  static LayerRecorder* active();

 private:
  std::unordered_map<const torch::nn::Module*, std::string> names_;
  std::vector<LayerRecord> records_;
  std::vector<torch::Tensor> inputs_;
  OutputObserver observer_;
  bool shape_only_;
  bool capture_inputs_ = false;
  LayerRecorder* previous_;
};

torch::Tensor run_conv(torch::nn::Conv2dImpl& conv, const torch::Tensor& x);
torch::Tensor run_deconv(torch::nn::ConvTranspose2dImpl& deconv, const torch::Tensor& x);
// Runs a Sequential child by child so that convolutions are recorded.
torch::Tensor run_sequential(torch::nn::Sequential& sequential, torch::Tensor x);

// compressai.ops.LowerBound: max(x, bound) with a registered buffer "bound".
struct LowerBoundImpl : torch::nn::Module {
  explicit LowerBoundImpl(double bound);
  // While training, CompressAI's gradient: passed where x >= bound or where it
  // pushes x up, so that values stuck under the bound can come back.
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor bound;
};
TORCH_MODULE(LowerBound);

// compressai.ops.NonNegativeParametrizer: stores sqrt(x + pedestal), returns
// max(stored, bound)^2 - pedestal.
struct NonNegativeParametrizerImpl : torch::nn::Module {
  explicit NonNegativeParametrizerImpl(double minimum = 0, double reparam_offset = 1.0 / 262144.0);
  torch::Tensor init(const torch::Tensor& x) const;
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor pedestal;
  LowerBound lower_bound{nullptr};
};
TORCH_MODULE(NonNegativeParametrizer);

// compressai.layers.GDN (and inverse GDN): y = x / sqrt(beta + gamma * x^2).
struct GDNImpl : torch::nn::Module {
  explicit GDNImpl(int64_t channels, bool inverse = false, double beta_min = 1e-6, double gamma_init = 0.1);
  torch::Tensor forward(const torch::Tensor& x);
  bool inverse;
  NonNegativeParametrizer beta_reparam{nullptr}, gamma_reparam{nullptr};
  torch::Tensor beta, gamma;
};
TORCH_MODULE(GDN);

// compressai.layers.MaskedConv2d, mask type A (the context model of mbt2018).
struct MaskedConv2dImpl : torch::nn::Module {
  MaskedConv2dImpl(int64_t in_channels, int64_t out_channels, int64_t kernel);
  torch::Tensor forward(const torch::Tensor& x);
  int64_t in_channels, out_channels, kernel;
  torch::Tensor weight, bias, mask;
};
TORCH_MODULE(MaskedConv2d);

// subpel_conv3x3: a 3x3 convolution to out*r*r channels and a pixel shuffle,
// CompressAI's nn.Sequential(conv, PixelShuffle) with children "0" and "1".
struct SubpelConvImpl : torch::nn::Module {
  SubpelConvImpl(int64_t in, int64_t out, int64_t r);
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::Conv2d conv{nullptr};
  torch::nn::PixelShuffle shuffle{nullptr};
};
TORCH_MODULE(SubpelConv);

// compressai.layers.ResidualBlock / ResidualBlockWithStride / ResidualBlockUpsample.
struct ResidualBlockImpl : torch::nn::Module {
  ResidualBlockImpl(int64_t in_ch, int64_t out_ch);
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, skip{nullptr};
};
TORCH_MODULE(ResidualBlock);

struct ResidualBlockWithStrideImpl : torch::nn::Module {
  ResidualBlockWithStrideImpl(int64_t in_ch, int64_t out_ch, int64_t stride = 2);
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, skip{nullptr};
  GDN gdn{nullptr};
};
TORCH_MODULE(ResidualBlockWithStride);

struct ResidualBlockUpsampleImpl : torch::nn::Module {
  ResidualBlockUpsampleImpl(int64_t in_ch, int64_t out_ch, int64_t upsample = 2);
  torch::Tensor forward(const torch::Tensor& x);
  SubpelConv subpel_conv{nullptr}, upsample{nullptr};
  torch::nn::Conv2d conv{nullptr};
  GDN igdn{nullptr};
};
TORCH_MODULE(ResidualBlockUpsample);

// compressai.layers.AttentionBlock (Cheng et al.'s simplified attention).
struct AttentionBlockImpl : torch::nn::Module {
  explicit AttentionBlockImpl(int64_t n);
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::Sequential conv_a{nullptr}, conv_b{nullptr};
};
TORCH_MODULE(AttentionBlock);

// CompressAI's conv()/deconv() helpers and cheng2020's conv3x3/conv1x1/subpel_conv3x3.
torch::nn::Conv2d make_conv(int64_t in, int64_t out, int64_t kernel = 5, int64_t stride = 2);
torch::nn::ConvTranspose2d make_deconv(int64_t in, int64_t out, int64_t kernel = 5, int64_t stride = 2);
torch::nn::Conv2d make_conv3x3(int64_t in, int64_t out, int64_t stride = 1);
torch::nn::Conv2d make_conv1x1(int64_t in, int64_t out, int64_t stride = 1);


// compressai.entropy_models.EntropyBottleneck (factorized density, Balle 2018).
// At inference forward rounds around the medians and returns likelihoods.
struct EntropyBottleneckImpl : torch::nn::Module {
  explicit EntropyBottleneckImpl(int64_t channels, double init_scale = 10, double tail_mass = 1e-9);
  std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& x);  // (x_hat, likelihoods)
  // Training: additive uniform noise in [-0.5, 0.5) for rounding (CompressAI's
  // "noise" mode), likelihoods of the noisy values.
  std::pair<torch::Tensor, torch::Tensor> forward_noisy(const torch::Tensor& x);
  torch::Tensor quantize(const torch::Tensor& x);                             // x_hat only
  // stop_gradient: the density's own parameters detached (the auxiliary loss
  // moves only the quantiles).
  torch::Tensor logits_cumulative(torch::Tensor inputs, bool stop_gradient = false);
  // CompressAI's auxiliary loss: puts quantiles at the tail masses and median.
  torch::Tensor aux_loss();
  int64_t channels;
  std::vector<torch::Tensor> matrices, biases, factors;
  torch::Tensor quantiles, target, offset, quantized_cdf, cdf_length;
  LowerBound likelihood_lower_bound{nullptr};
};
TORCH_MODULE(EntropyBottleneck);

// compressai.entropy_models.GaussianConditional: Gaussian likelihoods of the
// rounded latents given scales (and means).
struct GaussianConditionalImpl : torch::nn::Module {
  GaussianConditionalImpl(double scale_bound = 0.11, double tail_mass = 1e-9);
  torch::Tensor likelihood(const torch::Tensor& y, const torch::Tensor& scales, const torch::Tensor& means);
  // Training: y plus uniform noise, and the likelihoods of that (y_tilde, likelihoods).
  std::pair<torch::Tensor, torch::Tensor> forward_noisy(const torch::Tensor& y, const torch::Tensor& scales,
                                                        const torch::Tensor& means);
  // The Gaussian's mass on [v - 0.5, v + 0.5] around the means, v as given (not rounded).
  torch::Tensor likelihood_of(const torch::Tensor& values, const torch::Tensor& scales, const torch::Tensor& means);
  torch::Tensor offset, quantized_cdf, cdf_length, scale_table, scale_bound_buffer;
  LowerBound likelihood_lower_bound{nullptr}, lower_bound_scale{nullptr};
};
TORCH_MODULE(GaussianConditional);

// Buffers that hold entropy-coder tables: their shapes depend on CompressAI's
// update() and are taken as they come when loading weights.
bool is_entropy_coder_table(const std::string& state_dict_name);

}  // namespace nicenergy
