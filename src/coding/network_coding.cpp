#include "coding/network_coding.h"

#include "coding/cdf_tables.h"
#include "error.h"
#include "models/layers.h"

namespace nicenergy {

namespace {
namespace F = torch::nn::functional;
using torch::indexing::Slice;

// The context model's geometry (CompressAI's JointAutoregressiveHierarchicalPriors).
constexpr int64_t kKernel = 5;
constexpr int64_t kPad = kKernel / 2;

std::vector<int32_t> to_vector(const torch::Tensor& t) {
  torch::Tensor c = t.to(torch::kCPU, torch::kInt32).contiguous().reshape({-1});
  return {c.data_ptr<int32_t>(), c.data_ptr<int32_t>() + c.numel()};
}

std::array<int64_t, 3> shape_of(const torch::Tensor& t) { return {t.size(1), t.size(2), t.size(3)}; }

// Channel index of every element of a 1xCxHxW tensor, in its memory order.
std::vector<int32_t> channel_indexes(const std::array<int64_t, 3>& shape) {
  std::vector<int32_t> indexes;
  indexes.reserve(static_cast<size_t>(shape[0] * shape[1] * shape[2]));
  for (int64_t c = 0; c < shape[0]; ++c)
    indexes.insert(indexes.end(), static_cast<size_t>(shape[1] * shape[2]), static_cast<int32_t>(c));
  return indexes;
}

torch::Tensor from_values(const std::vector<int32_t>& values, const std::array<int64_t, 3>& shape, const torch::Device& device) {
  return torch::tensor(values, torch::kInt32).reshape({1, shape[0], shape[1], shape[2]}).to(device, torch::kFloat32);
}

CodedLatent code_factorized(const EntropyTables& tables, const torch::Tensor& z) {
  CodedLatent coded{shape_of(z), {}};
  torch::Tensor symbols = torch::round(z - tables.medians.reshape({1, -1, 1, 1}));
  coded.bytes = rans_encode(to_vector(symbols), channel_indexes(coded.shape), tables.factorized);
  return coded;
}

torch::Tensor decode_factorized(const EntropyTables& tables, const CodedLatent& coded, const torch::Device& device) {
  auto values = rans_decode(coded.bytes, channel_indexes(coded.shape), tables.factorized);
  return from_values(values, coded.shape, device) + tables.medians.reshape({1, -1, 1, 1});
}

// The Gaussian parameters at one latent position from the hyper-decoder's
// output there and the already coded neighbours (the masked 5x5 window).
std::pair<torch::Tensor, torch::Tensor> context_params(NetworkImpl& network, const torch::Tensor& masked_weight,
                                                       const torch::Tensor& y_hat_padded, const torch::Tensor& params,
                                                       int64_t h, int64_t w) {
  torch::Tensor crop = y_hat_padded.index({Slice(), Slice(), Slice(h, h + kKernel), Slice(w, w + kKernel)});
  torch::Tensor context = F::conv2d(crop, masked_weight, F::Conv2dFuncOptions().bias(network.context_prediction->bias));
  torch::Tensor p = params.index({Slice(), Slice(), Slice(h, h + 1), Slice(w, w + 1)});
  torch::Tensor gaussian = run_sequential(network.entropy_parameters, torch::cat({p, context}, 1)).squeeze(3).squeeze(2);
  auto chunks = gaussian.chunk(2, 1);
  return {chunks[0], chunks[1]};
}

bool hyper_abs(const NetworkImpl& network) { return network.config().spec->hyper_abs; }
bool has_means(const NetworkImpl& network) { return network.config().spec->means; }
bool has_context(const NetworkImpl& network) { return network.config().spec->context; }

// Shared by the encoder and encoder_latents: the AR pass that also yields the symbols.
struct ContextPass {
  torch::Tensor y_hat;  // 1xMxHxW
  std::vector<int32_t> symbols, indexes;
  double estimated_bits = 0;  // what the likelihoods promise for these symbols
};

double bits_of(const torch::Tensor& likelihoods) { return -torch::log2(likelihoods.to(torch::kFloat64)).sum().item<double>(); }

ContextPass context_encode(NetworkImpl& network, const torch::Tensor& y, const torch::Tensor& params) {
  ContextPass pass;
  const int64_t height = y.size(2), width = y.size(3);
  torch::Tensor y_hat = F::pad(y, F::PadFuncOptions({kPad, kPad, kPad, kPad}));
  const torch::Tensor masked_weight = network.context_prediction->weight * network.context_prediction->mask;
  pass.symbols.reserve(static_cast<size_t>(y.numel()));
  pass.indexes.reserve(static_cast<size_t>(y.numel()));
  for (int64_t h = 0; h < height; ++h) {
    for (int64_t w = 0; w < width; ++w) {
      auto [scales, means] = context_params(network, masked_weight, y_hat, params, h, w);
      torch::Tensor indexes = gaussian_indexes(*network.gaussian_conditional, scales);
      torch::Tensor centre = y_hat.index({Slice(), Slice(), h + kPad, w + kPad});
      torch::Tensor q = torch::round(centre - means);
      pass.estimated_bits += bits_of(network.gaussian_conditional->likelihood(centre, scales, means));
      // The coded value replaces y here, so the next positions see what the decoder will.
      y_hat.index_put_({Slice(), Slice(), h + kPad, w + kPad}, q + means);
      auto s = to_vector(q), i = to_vector(indexes);
      pass.symbols.insert(pass.symbols.end(), s.begin(), s.end());
      pass.indexes.insert(pass.indexes.end(), i.begin(), i.end());
    }
  }
  pass.y_hat = y_hat.index({Slice(), Slice(), Slice(kPad, kPad + height), Slice(kPad, kPad + width)});
  return pass;
}

struct HyperSide {
  CodedLatent z;
  torch::Tensor params;  // h_s(z_hat)
  double z_estimated_bits = 0;
};

HyperSide hyper_side(NetworkImpl& network, const EntropyTables& tables, const torch::Tensor& y) {
  torch::Tensor z = run_sequential(network.h_a, hyper_abs(network) ? torch::abs(y) : y);
  HyperSide side;
  side.z = code_factorized(tables, z);
  side.z_estimated_bits = bits_of(network.entropy_bottleneck->forward(z).second);
  torch::Tensor z_hat = torch::round(z - tables.medians.reshape({1, -1, 1, 1})) + tables.medians.reshape({1, -1, 1, 1});
  side.params = run_sequential(network.h_s, z_hat);
  return side;
}

void check_batch(const torch::Tensor& x) {
  if (x.dim() != 4 || x.size(0) != 1 || x.size(1) != 3)
    throw Error("compress: expects one RGB image (1x3xHxW), got a tensor of " + std::to_string(x.dim()) + " dimensions");
}
}  // namespace

EntropyTables entropy_tables(NetworkImpl& network) {
  torch::NoGradGuard no_grad;
  EntropyTables tables;
  tables.factorized = factorized_tables(*network.entropy_bottleneck);
  tables.medians = factorized_medians(*network.entropy_bottleneck);
  if (network.gaussian_conditional) tables.gaussian = gaussian_tables(*network.gaussian_conditional);
  return tables;
}

CodedImage compress_latents(NetworkImpl& network, const EntropyTables& tables, const torch::Tensor& x) {
  torch::NoGradGuard no_grad;
  check_batch(x);
  return encode_latents(network, tables, run_sequential(network.g_a, x));
}

CodedImage encode_latents(NetworkImpl& network, const EntropyTables& tables, const torch::Tensor& y) {
  torch::NoGradGuard no_grad;
  CodedImage coded;
  if (!network.h_a) {
    coded.latents.push_back(code_factorized(tables, y));
    coded.estimated_bits = bits_of(network.entropy_bottleneck->forward(y).second);
    return coded;
  }
  HyperSide side = hyper_side(network, tables, y);
  coded.latents.push_back(side.z);
  coded.estimated_bits = side.z_estimated_bits;
  CodedLatent y_coded{shape_of(y), {}};
  if (has_context(network)) {
    ContextPass pass = context_encode(network, y, side.params);
    y_coded.bytes = rans_encode(pass.symbols, pass.indexes, tables.gaussian);
    coded.estimated_bits += pass.estimated_bits;
  } else {
    torch::Tensor scales = side.params, means;
    if (has_means(network)) {
      auto chunks = side.params.chunk(2, 1);
      scales = chunks[0];
      means = chunks[1];
    }
    torch::Tensor symbols = torch::round(means.defined() ? y - means : y);
    coded.estimated_bits += bits_of(network.gaussian_conditional->likelihood(y, scales, means));
    y_coded.bytes = rans_encode(to_vector(symbols), to_vector(gaussian_indexes(*network.gaussian_conditional, scales)),
                                tables.gaussian);
  }
  coded.latents.push_back(std::move(y_coded));
  return coded;
}

torch::Tensor encoder_latents(NetworkImpl& network, const EntropyTables& tables, const torch::Tensor& x) {
  torch::NoGradGuard no_grad;
  check_batch(x);
  torch::Tensor y = run_sequential(network.g_a, x);
  if (!network.h_a) return torch::round(y - tables.medians.reshape({1, -1, 1, 1})) + tables.medians.reshape({1, -1, 1, 1});
  HyperSide side = hyper_side(network, tables, y);
  if (has_context(network)) return context_encode(network, y, side.params).y_hat;
  if (!has_means(network)) return torch::round(y);
  torch::Tensor means = side.params.chunk(2, 1)[1];
  return torch::round(y - means) + means;
}

torch::Tensor decompress_latents(NetworkImpl& network, const EntropyTables& tables, const CodedImage& coded) {
  torch::NoGradGuard no_grad;
  const torch::Device device = tables.medians.device();
  const size_t expected = network.h_a ? 2 : 1;
  if (coded.latents.size() != expected)
    throw Error("decompress: the stream has " + std::to_string(coded.latents.size()) + " latent strings, " +
                network.config().spec->abbr + " needs " + std::to_string(expected));
  if (!network.h_a) return decode_factorized(tables, coded.latents[0], device);
  torch::Tensor z_hat = decode_factorized(tables, coded.latents[0], device);
  torch::Tensor params = run_sequential(network.h_s, z_hat);
  const CodedLatent& y = coded.latents[1];
  if (!has_context(network)) {
    torch::Tensor scales = params, means;
    if (has_means(network)) {
      auto chunks = params.chunk(2, 1);
      scales = chunks[0];
      means = chunks[1];
    }
    auto values = rans_decode(y.bytes, to_vector(gaussian_indexes(*network.gaussian_conditional, scales)), tables.gaussian);
    torch::Tensor y_hat = from_values(values, y.shape, device);
    return means.defined() ? y_hat + means : y_hat;
  }
  const int64_t channels = y.shape[0], height = y.shape[1], width = y.shape[2];
  if (params.size(2) != height || params.size(3) != width)
    throw Error("decompress: latent shape does not match the hyper-latents; the stream is corrupt");
  torch::Tensor y_hat = torch::zeros({1, channels, height + 2 * kPad, width + 2 * kPad}, params.options());
  const torch::Tensor masked_weight = network.context_prediction->weight * network.context_prediction->mask;
  RansDecoder decoder(y.bytes);
  std::vector<int32_t> values(static_cast<size_t>(channels));
  for (int64_t h = 0; h < height; ++h) {
    for (int64_t w = 0; w < width; ++w) {
      auto [scales, means] = context_params(network, masked_weight, y_hat, params, h, w);
      auto indexes = to_vector(gaussian_indexes(*network.gaussian_conditional, scales));
      for (size_t c = 0; c < values.size(); ++c) values[c] = decoder.decode(tables.gaussian.at(static_cast<size_t>(indexes[c])));
      torch::Tensor q = torch::tensor(values, torch::kInt32).to(device, torch::kFloat32).reshape({1, channels});
      y_hat.index_put_({Slice(), Slice(), h + kPad, w + kPad}, q + means);
    }
  }
  if (!decoder.exhausted()) throw Error("entropy-coded stream is corrupt (it does not end where its values do)");
  return y_hat.index({Slice(), Slice(), Slice(kPad, kPad + height), Slice(kPad, kPad + width)});
}

torch::Tensor synthesise(NetworkImpl& network, const torch::Tensor& y_hat) {
  torch::NoGradGuard no_grad;
  return run_sequential(network.g_s, y_hat).clamp(0, 1);
}

}  // namespace nicenergy
