#include "models/network.h"

namespace nicenergy {

namespace nn = torch::nn;

// ---------------------------------------------------------------- architectures
// Each function mirrors one CompressAI class (compressai/models/google.py and
// waseda.py); child order gives the state_dict indices (g_a.0, g_a.1, ...).

static nn::Sequential balle_analysis(int64_t n, int64_t m) {
  return nn::Sequential(make_conv(3, n), GDN(n), make_conv(n, n), GDN(n), make_conv(n, n), GDN(n), make_conv(n, m));
}

static nn::Sequential balle_synthesis(int64_t n, int64_t m) {
  return nn::Sequential(make_deconv(m, n), GDN(n, true), make_deconv(n, n), GDN(n, true), make_deconv(n, n),
                        GDN(n, true), make_deconv(n, 3));
}

static nn::Sequential scale_hyper_analysis(int64_t n, int64_t m) {  // ScaleHyperprior.h_a
  return nn::Sequential(make_conv(m, n, 3, 1), nn::ReLU(), make_conv(n, n), nn::ReLU(), make_conv(n, n));
}

static nn::Sequential scale_hyper_synthesis(int64_t n, int64_t m) {  // ScaleHyperprior.h_s
  return nn::Sequential(make_deconv(n, n), nn::ReLU(), make_deconv(n, n), nn::ReLU(), make_conv(n, m, 3, 1), nn::ReLU());
}

static nn::Sequential mean_hyper_analysis(int64_t n, int64_t m) {  // MeanScaleHyperprior.h_a
  return nn::Sequential(make_conv(m, n, 3, 1), nn::LeakyReLU(), make_conv(n, n), nn::LeakyReLU(), make_conv(n, n));
}

static nn::Sequential mean_hyper_synthesis(int64_t n, int64_t m) {  // MeanScaleHyperprior.h_s
  return nn::Sequential(make_deconv(n, m), nn::LeakyReLU(), make_deconv(m, m * 3 / 2), nn::LeakyReLU(),
                        make_conv(m * 3 / 2, m * 2, 3, 1));
}

static nn::Sequential entropy_parameters_net(int64_t m) {  // JointAutoregressiveHierarchicalPriors
  return nn::Sequential(nn::Conv2d(nn::Conv2dOptions(m * 12 / 3, m * 10 / 3, 1)), nn::LeakyReLU(),
                        nn::Conv2d(nn::Conv2dOptions(m * 10 / 3, m * 8 / 3, 1)), nn::LeakyReLU(),
                        nn::Conv2d(nn::Conv2dOptions(m * 8 / 3, m * 6 / 3, 1)));
}

static nn::Sequential cheng_analysis(int64_t n, bool attention) {
  nn::Sequential s;
  s->push_back(ResidualBlockWithStride(3, n, 2));
  s->push_back(ResidualBlock(n, n));
  s->push_back(ResidualBlockWithStride(n, n, 2));
  if (attention) s->push_back(AttentionBlock(n));
  s->push_back(ResidualBlock(n, n));
  s->push_back(ResidualBlockWithStride(n, n, 2));
  s->push_back(ResidualBlock(n, n));
  s->push_back(make_conv3x3(n, n, 2));
  if (attention) s->push_back(AttentionBlock(n));
  return s;
}

static nn::Sequential cheng_synthesis(int64_t n, bool attention) {
  nn::Sequential s;
  if (attention) s->push_back(AttentionBlock(n));
  s->push_back(ResidualBlock(n, n));
  s->push_back(ResidualBlockUpsample(n, n, 2));
  s->push_back(ResidualBlock(n, n));
  s->push_back(ResidualBlockUpsample(n, n, 2));
  if (attention) s->push_back(AttentionBlock(n));
  s->push_back(ResidualBlock(n, n));
  s->push_back(ResidualBlockUpsample(n, n, 2));
  s->push_back(ResidualBlock(n, n));
  s->push_back(SubpelConv(n, 3, 2));
  return s;
}

static nn::Sequential cheng_hyper_analysis(int64_t n) {
  return nn::Sequential(make_conv3x3(n, n), nn::LeakyReLU(), make_conv3x3(n, n), nn::LeakyReLU(),
                        make_conv3x3(n, n, 2), nn::LeakyReLU(), make_conv3x3(n, n), nn::LeakyReLU(),
                        make_conv3x3(n, n, 2));
}

static nn::Sequential cheng_hyper_synthesis(int64_t n) {
  return nn::Sequential(make_conv3x3(n, n), nn::LeakyReLU(), SubpelConv(n, n, 2), nn::LeakyReLU(),
                        make_conv3x3(n, n * 3 / 2), nn::LeakyReLU(), SubpelConv(n * 3 / 2, n * 3 / 2, 2),
                        nn::LeakyReLU(), make_conv3x3(n * 3 / 2, n * 2));
}

NetworkImpl::NetworkImpl(const QualityConfig& config) : config_(config) {
  const NetworkSpec& spec = *config.spec;  // which blocks: the spec table in zoo.cpp
  const int64_t n = config.n, m = config.m;
  // Registration order follows CompressAI's constructors so state_dict listings match.
  if (!spec.hyperprior) {
    entropy_bottleneck = register_module("entropy_bottleneck", EntropyBottleneck(m));
    g_a = register_module("g_a", balle_analysis(n, m));
    g_s = register_module("g_s", balle_synthesis(n, m));
    return;
  }
  entropy_bottleneck = register_module("entropy_bottleneck", EntropyBottleneck(n));
  const bool cheng = spec.transforms == Transforms::cheng;
  g_a = register_module("g_a", cheng ? cheng_analysis(n, spec.attention) : balle_analysis(n, m));
  g_s = register_module("g_s", cheng ? cheng_synthesis(n, spec.attention) : balle_synthesis(n, m));
  if (cheng) {
    h_a = register_module("h_a", cheng_hyper_analysis(n));
    h_s = register_module("h_s", cheng_hyper_synthesis(n));
  } else if (spec.means) {
    h_a = register_module("h_a", mean_hyper_analysis(n, m));
    h_s = register_module("h_s", mean_hyper_synthesis(n, m));
  } else {
    h_a = register_module("h_a", scale_hyper_analysis(n, m));
    h_s = register_module("h_s", scale_hyper_synthesis(n, m));
  }
  hyper_abs_ = spec.hyper_abs;
  has_means_ = spec.means;
  gaussian_conditional = register_module("gaussian_conditional", GaussianConditional());
  if (spec.context) {
    entropy_parameters = register_module("entropy_parameters", entropy_parameters_net(m));
    context_prediction = register_module("context_prediction", MaskedConv2d(m, 2 * m, 5));
    has_context_ = true;
  }
}

// ---------------------------------------------------------------- the chain

std::pair<torch::Tensor, torch::Tensor> NetworkImpl::gaussian_params(const torch::Tensor& z_hat,
                                                                     const torch::Tensor& y_hat) {
  torch::Tensor params = run_sequential(h_s, z_hat);
  if (has_context_) {
    // Context model over the rounded latents: one parallel masked convolution,
    // as CompressAI's forward() does (the serial decoding loop is not the chain measured).
    torch::Tensor context = context_prediction->forward(y_hat);
    params = run_sequential(entropy_parameters, torch::cat({params, context}, 1));
  }
  if (!has_means_) return {params, torch::Tensor()};
  auto chunks = params.chunk(2, 1);
  return {chunks[0], chunks[1]};
}

Latents NetworkImpl::encode(const torch::Tensor& x) {
  Latents latents;
  torch::Tensor y = run_sequential(g_a, x);
  if (!h_a) {
    std::tie(latents.y_hat, latents.y_likelihoods) = entropy_bottleneck->forward(y);
    return latents;
  }
  torch::Tensor z = run_sequential(h_a, hyper_abs_ ? torch::abs(y) : y);
  std::tie(latents.z_hat, latents.z_likelihoods) = entropy_bottleneck->forward(z);
  if (has_context_) {
    // mbt2018/cheng2020 round y without means, then model it with the context.
    latents.y_hat = torch::round(y);
    auto [scales, means] = gaussian_params(latents.z_hat, latents.y_hat);
    latents.y_likelihoods = gaussian_conditional->likelihood(y, scales, means);
  } else {
    auto [scales, means] = gaussian_params(latents.z_hat, torch::Tensor());
    latents.y_hat = means.defined() ? torch::round(y - means) + means : torch::round(y);
    latents.y_likelihoods = gaussian_conditional->likelihood(y, scales, means);
  }
  return latents;
}

torch::Tensor NetworkImpl::decode(const Latents& latents) {
  // The receiver recomputes the entropy parameters it needs to decode y; without
  // arithmetic coding it then only has to run the synthesis on y_hat.
  if (h_s) gaussian_params(latents.z_hat, latents.y_hat);
  return run_sequential(g_s, latents.y_hat);
}

ChainOutput NetworkImpl::forward(const torch::Tensor& x) {
  ChainOutput out;
  out.latents = encode(x);
  out.x_hat = run_sequential(g_s, out.latents.y_hat);
  return out;
}

ChainOutput NetworkImpl::forward_training(const torch::Tensor& x) {
  ChainOutput out;
  Latents& l = out.latents;
  torch::Tensor y = run_sequential(g_a, x);
  if (!h_a) {
    std::tie(l.y_hat, l.y_likelihoods) = entropy_bottleneck->forward_noisy(y);
  } else {
    torch::Tensor z = run_sequential(h_a, hyper_abs_ ? torch::abs(y) : y);
    std::tie(l.z_hat, l.z_likelihoods) = entropy_bottleneck->forward_noisy(z);
    if (has_context_) {
      // As CompressAI: the context sees one noisy y, the likelihoods another draw.
      l.y_hat = y + torch::empty_like(y).uniform_(-0.5, 0.5);
      auto [scales, means] = gaussian_params(l.z_hat, l.y_hat);
      l.y_likelihoods = gaussian_conditional->forward_noisy(y, scales, means).second;
    } else {
      auto [scales, means] = gaussian_params(l.z_hat, torch::Tensor());
      std::tie(l.y_hat, l.y_likelihoods) = gaussian_conditional->forward_noisy(y, scales, means);
    }
  }
  out.x_hat = run_sequential(g_s, l.y_hat);
  return out;
}

Network make_network(const std::string& name_or_abbr, int quality, uint64_t seed) {
  const QualityConfig config = quality_config(find_network(name_or_abbr), quality);
  torch::manual_seed(seed);
  Network network(config);
  network->eval();
  return network;
}

int64_t count_parameters(const torch::nn::Module& module) {
  int64_t total = 0;
  for (const auto& p : module.parameters()) total += p.numel();
  return total;
}

}  // namespace nicenergy
