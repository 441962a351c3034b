#include "models/layers.h"

#include <cmath>

#include "models/subpixel_deconv.h"
#include "platform/torch_compat.h"

namespace nicenergy {

namespace F = torch::nn::functional;

// ---------------------------------------------------------------- recording

static thread_local LayerRecorder* active_recorder = nullptr;

LayerRecorder::LayerRecorder(const torch::nn::Module& root, bool shape_only)
    : shape_only_(shape_only), previous_(active_recorder) {
  for (const auto& item : root.named_modules("", /*include_self=*/false))
    names_[item.value().get()] = item.key();
  active_recorder = this;
}

LayerRecorder::~LayerRecorder() { active_recorder = previous_; }

LayerRecorder* LayerRecorder::active() { return active_recorder; }

std::string LayerRecorder::name_of(const torch::nn::Module* module) const {
  auto it = names_.find(module);
  return it == names_.end() ? "?" : it->second;
}

static int64_t count_params(const torch::nn::Module& module) {
  int64_t total = 0;
  for (const auto& p : module.parameters(/*recurse=*/false)) total += p.numel();
  return total;
}

static void record(LayerRecorder& recorder, const torch::nn::Module& module, LayerType type,
                   const torch::Tensor& x, const torch::Tensor& y, int64_t kernel, int64_t stride,
                   double macs) {
  LayerRecord r;
  r.name = recorder.name_of(&module);
  r.type = type;
  r.in_channels = x.size(1);
  r.out_channels = y.size(1);
  r.kernel = kernel;
  r.stride = stride;
  r.in_h = x.size(2);
  r.in_w = x.size(3);
  r.out_h = y.size(2);
  r.out_w = y.size(3);
  r.params = count_params(module);
  r.macs = macs;
  r.activation_bytes = y.numel() * static_cast<int64_t>(y.element_size());
  if (!recorder.shape_only()) recorder.notify(r.name, to_string(type), y);
  recorder.add(std::move(r), x);
}

static int64_t conv_out(int64_t in, int64_t kernel, int64_t stride, int64_t padding) {
  return (in + 2 * padding - kernel) / stride + 1;
}

torch::Tensor run_conv(torch::nn::Conv2dImpl& conv, const torch::Tensor& x) {
  LayerRecorder* recorder = LayerRecorder::active();
  if (recorder == nullptr) return conv.forward(x);
  const auto& o = conv.options;
  const int64_t k = (*o.kernel_size())[0], s = (*o.stride())[0];
  const int64_t p = compat::padding_of(o.padding());
  torch::Tensor y = recorder->shape_only()
                        ? torch::empty({x.size(0), o.out_channels(), conv_out(x.size(2), k, s, p),
                                        conv_out(x.size(3), k, s, p)},
                                       x.options())
                        : conv.forward(x);
  // A convolution costs Cin*Cout*k*k MACs at each output position (the paper's rule).
  const double macs = static_cast<double>(o.in_channels()) * o.out_channels() * k * k * y.size(2) * y.size(3) * y.size(0);
  record(*recorder, conv, LayerType::conv, x, y, k, s, macs);
  return y;
}

// The layer as it is, or its exact sub-pixel form in that energy mode.
static torch::Tensor deconv_forward(torch::nn::ConvTranspose2dImpl& deconv, const torch::Tensor& x) {
  if (SubpixelRewrite* rewrite = SubpixelScope::active()) return rewrite->forward(deconv, x);
  return deconv.forward(x);
}

torch::Tensor run_deconv(torch::nn::ConvTranspose2dImpl& deconv, const torch::Tensor& x) {
  LayerRecorder* recorder = LayerRecorder::active();
  if (recorder == nullptr) return deconv_forward(deconv, x);
  const auto& o = deconv.options;
  const int64_t k = (*o.kernel_size())[0], s = (*o.stride())[0];
  const int64_t p = compat::padding_of(o.padding());
  const int64_t op = (*o.output_padding())[0];
  auto out_size = [&](int64_t in) { return (in - 1) * s - 2 * p + k + op; };
  torch::Tensor y = recorder->shape_only()
                        ? torch::empty({x.size(0), o.out_channels(), out_size(x.size(2)), out_size(x.size(3))}, x.options())
                        : deconv_forward(deconv, x);
  // A transposed convolution scatters Cin*Cout*k*k MACs from each input position.
  const double macs = static_cast<double>(o.in_channels()) * o.out_channels() * k * k * x.size(2) * x.size(3) * x.size(0);
  record(*recorder, deconv, LayerType::deconv, x, y, k, s, macs);
  return y;
}

torch::Tensor run_sequential(torch::nn::Sequential& sequential, torch::Tensor x) {
  for (auto& child : *sequential) {
    torch::nn::Module* module = child.ptr().get();
    if (auto* conv = dynamic_cast<torch::nn::Conv2dImpl*>(module))
      x = run_conv(*conv, x);
    else if (auto* deconv = dynamic_cast<torch::nn::ConvTranspose2dImpl*>(module))
      x = run_deconv(*deconv, x);
    else
      x = child.forward(x);
    // A block (a module with modules inside, but not GDN or a sub-pixel
    // convolution, which report their own outputs) writes its sum out.
    LayerRecorder* recorder = LayerRecorder::active();
    if (recorder != nullptr && recorder->observing() && !recorder->shape_only() && !module->children().empty() &&
        dynamic_cast<GDNImpl*>(module) == nullptr && dynamic_cast<SubpelConvImpl*>(module) == nullptr)
      recorder->notify(recorder->name_of(module), "block", x);
  }
  return x;
}

// ---------------------------------------------------------------- GDN and friends

LowerBoundImpl::LowerBoundImpl(double value) {
  bound = register_buffer("bound", torch::tensor({static_cast<float>(value)}));
}

namespace {
// compressai.ops.bound_ops.LowerBoundFunction.
struct LowerBoundFunction : torch::autograd::Function<LowerBoundFunction> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& bound) {
    ctx->save_for_backward({x, bound});
    return torch::maximum(x, bound);
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor pass = (saved[0] >= saved[1]) | (grad[0] < 0);
    return {pass.to(grad[0].scalar_type()) * grad[0], torch::Tensor()};
  }
};

// Uniform noise in [-0.5, 0.5): the training stand-in for rounding.
torch::Tensor add_uniform_noise(const torch::Tensor& x) {
  return x + torch::empty_like(x).uniform_(-0.5, 0.5);
}
}  // namespace

torch::Tensor LowerBoundImpl::forward(const torch::Tensor& x) {
  if (torch::GradMode::is_enabled() && x.requires_grad()) return LowerBoundFunction::apply(x, bound);
  return torch::maximum(x, bound);
}

NonNegativeParametrizerImpl::NonNegativeParametrizerImpl(double minimum, double reparam_offset) {
  pedestal = register_buffer("pedestal", torch::tensor({static_cast<float>(reparam_offset * reparam_offset)}));
  lower_bound = register_module("lower_bound", LowerBound(std::sqrt(minimum + reparam_offset * reparam_offset)));
}

torch::Tensor NonNegativeParametrizerImpl::init(const torch::Tensor& x) const {
  return torch::sqrt(torch::maximum(x + pedestal, pedestal));
}

torch::Tensor NonNegativeParametrizerImpl::forward(const torch::Tensor& x) {
  return lower_bound->forward(x).pow(2) - pedestal;
}

GDNImpl::GDNImpl(int64_t channels, bool inverse_, double beta_min, double gamma_init) : inverse(inverse_) {
  // Registration order follows CompressAI so that state_dict listings match.
  beta_reparam = register_module("beta_reparam", NonNegativeParametrizer(beta_min));
  beta = register_parameter("beta", beta_reparam->init(torch::ones({channels})));
  gamma_reparam = register_module("gamma_reparam", NonNegativeParametrizer());
  gamma = register_parameter("gamma", gamma_reparam->init(gamma_init * torch::eye(channels)));
}

torch::Tensor GDNImpl::forward(const torch::Tensor& x) {
  const int64_t c = x.size(1);
  LayerRecorder* recorder = LayerRecorder::active();
  torch::Tensor y;
  if (recorder != nullptr && recorder->shape_only()) {
    y = torch::empty_like(x);
  } else {
    torch::Tensor b = beta_reparam->forward(beta);
    torch::Tensor g = gamma_reparam->forward(gamma).reshape({c, c, 1, 1});
    torch::Tensor norm = F::conv2d(x * x, g, F::Conv2dFuncOptions().bias(b));
    y = x * (inverse ? torch::sqrt(norm) : torch::rsqrt(norm));
  }
  // GDN is a 1x1 convolution of x^2 with gamma: C*C MACs a position.
  if (recorder != nullptr)
    record(*recorder, *this, inverse ? LayerType::igdn : LayerType::gdn, x, y, 1, 1, static_cast<double>(c) * c * x.size(0) * x.size(2) * x.size(3));
  return y;
}

MaskedConv2dImpl::MaskedConv2dImpl(int64_t in, int64_t out, int64_t k)
    : in_channels(in), out_channels(out), kernel(k) {
  // Same initialisation as torch.nn.Conv2d (which CompressAI's MaskedConv2d is).
  torch::nn::Conv2d reference(torch::nn::Conv2dOptions(in, out, k));
  weight = register_parameter("weight", reference->weight.detach().clone());
  bias = register_parameter("bias", reference->bias.detach().clone());
  torch::Tensor m = torch::ones_like(weight);
  // Mask type A: the centre and everything after it in raster order is hidden.
  m.index_put_({torch::indexing::Slice(), torch::indexing::Slice(), k / 2, torch::indexing::Slice(k / 2)}, 0);
  m.index_put_({torch::indexing::Slice(), torch::indexing::Slice(), torch::indexing::Slice(k / 2 + 1)}, 0);
  mask = register_buffer("mask", m);
}

torch::Tensor MaskedConv2dImpl::forward(const torch::Tensor& x) {
  LayerRecorder* recorder = LayerRecorder::active();
  torch::Tensor y = recorder != nullptr && recorder->shape_only()
                        ? torch::empty({x.size(0), out_channels, x.size(2), x.size(3)}, x.options())
                        : F::conv2d(x, weight * mask, F::Conv2dFuncOptions().bias(bias).padding(kernel / 2));
  // Counted as the dense convolution the hardware executes (masked taps are still multiplied).
  if (recorder != nullptr)
    record(*recorder, *this, LayerType::masked_conv, x, y, kernel, 1,
           static_cast<double>(in_channels) * out_channels * kernel * kernel * y.size(0) * y.size(2) * y.size(3));
  return y;
}

// ---------------------------------------------------------------- convolution helpers

torch::nn::Conv2d make_conv(int64_t in, int64_t out, int64_t kernel, int64_t stride) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, kernel).stride(stride).padding(kernel / 2));
}

torch::nn::ConvTranspose2d make_deconv(int64_t in, int64_t out, int64_t kernel, int64_t stride) {
  return torch::nn::ConvTranspose2d(
      torch::nn::ConvTranspose2dOptions(in, out, kernel).stride(stride).padding(kernel / 2).output_padding(stride - 1));
}

torch::nn::Conv2d make_conv3x3(int64_t in, int64_t out, int64_t stride) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).stride(stride).padding(1));
}

torch::nn::Conv2d make_conv1x1(int64_t in, int64_t out, int64_t stride) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 1).stride(stride));
}

SubpelConvImpl::SubpelConvImpl(int64_t in, int64_t out, int64_t r) {
  conv = register_module("0", torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out * r * r, 3).padding(1)));
  shuffle = register_module("1", torch::nn::PixelShuffle(r));
}

torch::Tensor SubpelConvImpl::forward(const torch::Tensor& x) {
  torch::Tensor before = run_conv(*conv, x);
  LayerRecorder* recorder = LayerRecorder::active();
  if (recorder == nullptr) return shuffle->forward(before);
  // Recorded (at no MACs) so that accounting sees where the resolution goes up.
  const int64_t r = shuffle->options.upscale_factor();
  torch::Tensor y = recorder->shape_only()
                        ? torch::empty({before.size(0), before.size(1) / (r * r), before.size(2) * r, before.size(3) * r}, before.options())
                        : shuffle->forward(before);
  record(*recorder, *shuffle, LayerType::pixel_shuffle, before, y, 1, 1, 0);
  return y;
}

// ---------------------------------------------------------------- residual blocks

ResidualBlockImpl::ResidualBlockImpl(int64_t in_ch, int64_t out_ch) {
  conv1 = register_module("conv1", make_conv3x3(in_ch, out_ch));
  conv2 = register_module("conv2", make_conv3x3(out_ch, out_ch));
  if (in_ch != out_ch) skip = register_module("skip", make_conv1x1(in_ch, out_ch));
}

torch::Tensor ResidualBlockImpl::forward(const torch::Tensor& x) {
  torch::Tensor out = torch::leaky_relu(run_conv(*conv1, x));
  out = torch::leaky_relu(run_conv(*conv2, out));
  return out + (skip ? run_conv(*skip, x) : x);
}

ResidualBlockWithStrideImpl::ResidualBlockWithStrideImpl(int64_t in_ch, int64_t out_ch, int64_t stride) {
  conv1 = register_module("conv1", make_conv3x3(in_ch, out_ch, stride));
  conv2 = register_module("conv2", make_conv3x3(out_ch, out_ch));
  gdn = register_module("gdn", GDN(out_ch));
  if (stride != 1 || in_ch != out_ch) skip = register_module("skip", make_conv1x1(in_ch, out_ch, stride));
}

torch::Tensor ResidualBlockWithStrideImpl::forward(const torch::Tensor& x) {
  torch::Tensor out = torch::leaky_relu(run_conv(*conv1, x));
  out = gdn->forward(run_conv(*conv2, out));
  return out + (skip ? run_conv(*skip, x) : x);
}

ResidualBlockUpsampleImpl::ResidualBlockUpsampleImpl(int64_t in_ch, int64_t out_ch, int64_t r) {
  subpel_conv = register_module("subpel_conv", SubpelConv(in_ch, out_ch, r));
  conv = register_module("conv", make_conv3x3(out_ch, out_ch));
  igdn = register_module("igdn", GDN(out_ch, /*inverse=*/true));
  upsample = register_module("upsample", SubpelConv(in_ch, out_ch, r));
}

torch::Tensor ResidualBlockUpsampleImpl::forward(const torch::Tensor& x) {
  torch::Tensor out = torch::leaky_relu(subpel_conv->forward(x));
  out = igdn->forward(run_conv(*conv, out));
  return out + upsample->forward(x);
}

namespace {
// AttentionBlock's inner ResidualUnit: 1x1 (N -> N/2), 3x3, 1x1 (N/2 -> N), residual, ReLU.
struct ResidualUnitImpl : torch::nn::Module {
  explicit ResidualUnitImpl(int64_t n) {
    conv = register_module("conv", torch::nn::Sequential(make_conv1x1(n, n / 2), torch::nn::ReLU(),
                                                         make_conv3x3(n / 2, n / 2), torch::nn::ReLU(),
                                                         make_conv1x1(n / 2, n)));
  }
  torch::Tensor forward(const torch::Tensor& x) { return torch::relu(run_sequential(conv, x) + x); }
  torch::nn::Sequential conv{nullptr};
};
TORCH_MODULE(ResidualUnit);
}  // namespace

AttentionBlockImpl::AttentionBlockImpl(int64_t n) {
  conv_a = register_module("conv_a", torch::nn::Sequential(ResidualUnit(n), ResidualUnit(n), ResidualUnit(n)));
  conv_b = register_module("conv_b", torch::nn::Sequential(ResidualUnit(n), ResidualUnit(n), ResidualUnit(n),
                                                           make_conv1x1(n, n)));
}

torch::Tensor AttentionBlockImpl::forward(const torch::Tensor& x) {
  torch::Tensor a = run_sequential(conv_a, x);
  torch::Tensor b = run_sequential(conv_b, x);
  return a * torch::sigmoid(b) + x;
}

// ---------------------------------------------------------------- entropy models

static std::shared_ptr<torch::nn::Module> register_list(torch::nn::Module& owner, const std::string& name) {
  return owner.register_module(name, std::make_shared<torch::nn::Module>());
}

EntropyBottleneckImpl::EntropyBottleneckImpl(int64_t channels_, double init_scale, double tail_mass) : channels(channels_) {
  // Registration order of CompressAI: EntropyModel's bound and buffers first.
  likelihood_lower_bound = register_module("likelihood_lower_bound", LowerBound(1e-9));
  offset = register_buffer("_offset", torch::empty({0}, torch::kInt32));
  quantized_cdf = register_buffer("_quantized_cdf", torch::empty({0}, torch::kInt32));
  cdf_length = register_buffer("_cdf_length", torch::empty({0}, torch::kInt32));

  const std::vector<int64_t> filters = {1, 3, 3, 3, 3, 1};
  const double scale = std::pow(init_scale, 1.0 / 5.0);
  auto matrix_list = register_list(*this, "matrices");
  auto bias_list = register_list(*this, "biases");
  auto factor_list = register_list(*this, "factors");
  for (size_t i = 0; i + 1 < filters.size(); ++i) {
    const std::string key = std::to_string(i);
    const double init = std::log(std::expm1(1.0 / scale / filters[i + 1]));
    matrices.push_back(matrix_list->register_parameter(key, torch::full({channels, filters[i + 1], filters[i]}, init)));
    biases.push_back(bias_list->register_parameter(key, torch::empty({channels, filters[i + 1], 1}).uniform_(-0.5, 0.5)));
    if (i + 2 < filters.size())
      factors.push_back(factor_list->register_parameter(key, torch::zeros({channels, filters[i + 1], 1})));
  }
  quantiles = register_parameter(
      "quantiles", torch::tensor({-static_cast<float>(init_scale), 0.0f, static_cast<float>(init_scale)}).repeat({channels, 1, 1}));
  const float target_value = static_cast<float>(std::log(2.0 / tail_mass - 1.0));
  target = register_buffer("target", torch::tensor({-target_value, 0.0f, target_value}));
}

torch::Tensor EntropyBottleneckImpl::logits_cumulative(torch::Tensor logits, bool stop_gradient) {
  auto maybe_detached = [stop_gradient](const torch::Tensor& t) { return stop_gradient ? t.detach() : t; };
  for (size_t i = 0; i < matrices.size(); ++i) {
    logits = torch::matmul(torch::softplus(maybe_detached(matrices[i])), logits) + maybe_detached(biases[i]);
    if (i < factors.size()) logits = logits + torch::tanh(maybe_detached(factors[i])) * torch::tanh(logits);
  }
  return logits;
}

torch::Tensor EntropyBottleneckImpl::aux_loss() {
  return torch::abs(logits_cumulative(quantiles, true) - target).sum();
}

namespace {
// The likelihood of each value's unit bin under the factorized density, one row
// of values per channel as CompressAI lays them out. Training takes CompressAI's
// sign flip (subtract in the sigmoid's flat tail, where it is exact); inference
// keeps the plain difference that the reference tests compare.
torch::Tensor bin_likelihood(EntropyBottleneckImpl& bottleneck, const torch::Tensor& x, bool sign_flip) {
  torch::Tensor values = x.permute({1, 0, 2, 3}).contiguous();
  const auto shape = values.sizes().vec();
  values = values.reshape({values.size(0), 1, -1});
  torch::Tensor lower = bottleneck.logits_cumulative(values - 0.5);
  torch::Tensor upper = bottleneck.logits_cumulative(values + 0.5);
  torch::Tensor bin;
  if (sign_flip) {
    torch::Tensor sign = -torch::sign(lower + upper).detach();
    bin = torch::abs(torch::sigmoid(sign * upper) - torch::sigmoid(sign * lower));
  } else {
    bin = torch::sigmoid(upper) - torch::sigmoid(lower);
  }
  return bottleneck.likelihood_lower_bound->forward(bin).reshape(shape).permute({1, 0, 2, 3}).contiguous();
}
}  // namespace

std::pair<torch::Tensor, torch::Tensor> EntropyBottleneckImpl::forward_noisy(const torch::Tensor& x) {
  torch::Tensor x_tilde = add_uniform_noise(x);
  return {x_tilde, bin_likelihood(*this, x_tilde, true)};
}

torch::Tensor EntropyBottleneckImpl::quantize(const torch::Tensor& x) {
  // Rounding around the per-channel medians, CompressAI's "dequantize" mode.
  torch::Tensor medians = quantiles.index({torch::indexing::Slice(), 0, 1}).reshape({1, -1, 1, 1});
  return torch::round(x - medians) + medians;
}

std::pair<torch::Tensor, torch::Tensor> EntropyBottleneckImpl::forward(const torch::Tensor& x) {
  torch::Tensor x_hat = quantize(x);
  return {x_hat, bin_likelihood(*this, x_hat, false)};
}

GaussianConditionalImpl::GaussianConditionalImpl(double scale_bound, double tail_mass) {
  likelihood_lower_bound = register_module("likelihood_lower_bound", LowerBound(1e-9));
  offset = register_buffer("_offset", torch::empty({0}, torch::kInt32));
  quantized_cdf = register_buffer("_quantized_cdf", torch::empty({0}, torch::kInt32));
  cdf_length = register_buffer("_cdf_length", torch::empty({0}, torch::kInt32));
  lower_bound_scale = register_module("lower_bound_scale", LowerBound(scale_bound));
  scale_table = register_buffer("scale_table", torch::empty({0}));
  scale_bound_buffer = register_buffer("scale_bound", torch::tensor({static_cast<float>(scale_bound)}));
}

torch::Tensor GaussianConditionalImpl::likelihood(const torch::Tensor& y, const torch::Tensor& scales,
                                                  const torch::Tensor& means) {
  // Likelihood of the rounded value: the Gaussian's mass on [y_hat - 0.5, y_hat + 0.5].
  torch::Tensor centred = means.defined() ? y - means : y;
  return likelihood_of(torch::round(centred), scales, torch::Tensor());
}

std::pair<torch::Tensor, torch::Tensor> GaussianConditionalImpl::forward_noisy(const torch::Tensor& y,
                                                                               const torch::Tensor& scales,
                                                                               const torch::Tensor& means) {
  torch::Tensor y_tilde = add_uniform_noise(y);
  return {y_tilde, likelihood_of(y_tilde, scales, means)};
}

torch::Tensor GaussianConditionalImpl::likelihood_of(const torch::Tensor& v, const torch::Tensor& scales,
                                                     const torch::Tensor& means) {
  torch::Tensor values = torch::abs(means.defined() ? v - means : v);
  torch::Tensor s = lower_bound_scale->forward(scales);
  const double c = -std::sqrt(0.5);
  torch::Tensor upper = 0.5 * torch::erfc(c * (0.5 - values) / s);
  torch::Tensor lower = 0.5 * torch::erfc(c * (-0.5 - values) / s);
  return likelihood_lower_bound->forward(upper - lower);
}

bool is_entropy_coder_table(const std::string& name) {
  for (const char* suffix : {"._offset", "._quantized_cdf", "._cdf_length", ".scale_table"}) {
    const std::string s(suffix);
    if (name.size() >= s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0) return true;
  }
  return false;
}

}  // namespace nicenergy
