// One learned image codec: CompressAI's module tree (same names, same shapes)
// and the chain the paper measures. One class serves all six networks: they
// differ in which transforms they have, not in how the chain is run.
#pragma once
#include <torch/torch.h>

#include <memory>
#include <string>

#include "models/layers.h"
#include "models/zoo.h"

namespace nicenergy {

// What the encoder side hands to the decoder side (what would be entropy coded).
struct Latents {
  torch::Tensor y_hat;            // rounded latents
  torch::Tensor z_hat;            // rounded hyper-latents (undefined for Bfac)
  torch::Tensor y_likelihoods;
  torch::Tensor z_likelihoods;    // undefined for Bfac
};

struct ChainOutput {
  torch::Tensor x_hat;
  Latents latents;
};

class NetworkImpl : public torch::nn::Module {
 public:
  explicit NetworkImpl(const QualityConfig& config);

  // The full encoder-decoder chain without arithmetic coding, as CompressAI's
  // forward() at inference: analysis, hyper analysis/synthesis, rounding,
  // context and entropy-parameter networks, likelihoods, synthesis.
  ChainOutput forward(const torch::Tensor& x);
  // The two sides separately: what a sender and a receiver each compute.
  Latents encode(const torch::Tensor& x);
  // CompressAI's forward() while training: uniform noise for rounding, so that
  // the rate (likelihoods) and distortion are differentiable. Latents hold the
  // noisy values.
  ChainOutput forward_training(const torch::Tensor& x);
  torch::Tensor decode(const Latents& latents);

  const QualityConfig& config() const { return config_; }
  // The stride-2 layers of g_a: inputs must be a multiple of 2^this (4, or 6 with a hyperprior).
  int downsampling_exponent() const { return h_a ? 6 : 4; }

  torch::nn::Sequential g_a{nullptr}, g_s{nullptr}, h_a{nullptr}, h_s{nullptr}, entropy_parameters{nullptr};
  MaskedConv2d context_prediction{nullptr};
  EntropyBottleneck entropy_bottleneck{nullptr};
  GaussianConditional gaussian_conditional{nullptr};

 private:
  // Scales and means (means undefined for Bhyp) of y from the hyper decoder and context.
  std::pair<torch::Tensor, torch::Tensor> gaussian_params(const torch::Tensor& z_hat, const torch::Tensor& y_hat);

  QualityConfig config_;
  bool hyper_abs_ = false;   // Bhyp feeds |y| to h_a
  bool has_means_ = false;   // Mmean, Mcont, Canch, Cattn
  bool has_context_ = false; // Mcont, Canch, Cattn
};
TORCH_MODULE(Network);

// Builds the network for (name or abbreviation, quality) with deterministic,
// seeded initialisation: the same seed gives the same weights on every run.
Network make_network(const std::string& name_or_abbr, int quality, uint64_t seed = 0);

// Number of trainable parameters (what CompressAI's parameter count reports).
int64_t count_parameters(const torch::nn::Module& module);

}  // namespace nicenergy
