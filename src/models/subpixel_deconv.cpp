#include "models/subpixel_deconv.h"

#include "error.h"
#include "platform/torch_compat.h"

namespace nicenergy {

namespace {

// The input offsets d a phase can use: k = r + p - 2d in [0, K) for r in {0, 1}.
int64_t floor_div2(int64_t v) { return v >= 0 ? v / 2 : -((-v + 1) / 2); }
int64_t first_offset(int64_t K, int64_t p) { return -floor_div2(K - 1 - p); }  // ceil((p - K + 1) / 2)
int64_t last_offset(int64_t p) { return floor_div2(1 + p); }

thread_local SubpixelRewrite* active_rewrite = nullptr;

}  // namespace

bool subpixel_rewritable(const torch::nn::ConvTranspose2dImpl& deconv) {
  const auto& o = deconv.options;
  const int64_t kh = (*o.kernel_size())[0], kw = (*o.kernel_size())[1];
  const int64_t sh = (*o.stride())[0], sw = (*o.stride())[1];
  const int64_t oph = (*o.output_padding())[0], opw = (*o.output_padding())[1];
  const int64_t dh = (*o.dilation())[0], dw = (*o.dilation())[1];
  const int64_t p = compat::padding_of(o.padding());
  if (kh != kw || sh != 2 || sw != 2 || oph != 1 || opw != 1 || dh != 1 || dw != 1 || o.groups() != 1) return false;
  if (kh + 1 != 2 * p + 2) return false;  // the output is then exactly twice the input
  return -first_offset(kh, p) == last_offset(p);  // one symmetric padding serves every phase
}

SubpixelWeights subpixel_weights(const torch::nn::ConvTranspose2dImpl& deconv) {
  if (!subpixel_rewritable(deconv))
    throw Error("this transposed convolution has no exact sub-pixel form (it needs stride 2, output_padding 1 and "
                "kernel = 2 * padding + 1)");
  using torch::indexing::Slice;
  torch::NoGradGuard no_grad;
  const torch::Tensor w = deconv.weight.detach();  // [Cin, Cout, K, K]
  const int64_t cin = w.size(0), cout = w.size(1), K = w.size(2);
  const int64_t p = compat::padding_of(deconv.options.padding());
  const int64_t d0 = first_offset(K, p), D = last_offset(p) - d0 + 1;
  torch::Tensor phases = torch::zeros({cout, 2, 2, cin, D, D}, w.options());
  for (int64_t rh = 0; rh < 2; ++rh)
    for (int64_t rw = 0; rw < 2; ++rw)
      for (int64_t ah = 0; ah < D; ++ah)
        for (int64_t aw = 0; aw < D; ++aw) {
          const int64_t th = rh + p - 2 * (d0 + ah), tw = rw + p - 2 * (d0 + aw);
          if (th < 0 || th >= K || tw < 0 || tw >= K) continue;
          phases.index_put_({Slice(), rh, rw, Slice(), ah, aw}, w.index({Slice(), Slice(), th, tw}).t());
        }
  SubpixelWeights out;
  out.weight = phases.reshape({cout * 4, cin, D, D}).contiguous();
  if (deconv.bias.defined()) out.bias = deconv.bias.detach().repeat_interleave(4);
  out.padding = -d0;
  return out;
}

torch::Tensor subpixel_forward(const SubpixelWeights& weights, const torch::Tensor& x) {
  namespace F = torch::nn::functional;
  auto options = F::Conv2dFuncOptions().padding(weights.padding);
  if (weights.bias.defined()) options = options.bias(weights.bias);
  return torch::pixel_shuffle(F::conv2d(x, weights.weight, options), 2);
}

torch::Tensor SubpixelRewrite::forward(torch::nn::ConvTranspose2dImpl& deconv, const torch::Tensor& x) {
  if (!subpixel_rewritable(deconv)) return deconv.forward(x);
  Entry& entry = cache_[&deconv];
  const void* data = deconv.weight.data_ptr();
  const int64_t version = static_cast<int64_t>(deconv.weight._version());
  if (entry.data != data || entry.version != version || !entry.weights.weight.defined() ||
      entry.weights.weight.device() != x.device() ||
      entry.weights.weight.suggest_memory_format() != deconv.weight.suggest_memory_format()) {
    entry.weights = subpixel_weights(deconv);
    // The converted weights keep the layer's memory format (channels_last mode).
    entry.weights.weight = entry.weights.weight.contiguous(deconv.weight.suggest_memory_format());
    entry.data = data;
    entry.version = version;
  }
  return subpixel_forward(entry.weights, x);
}

SubpixelScope::SubpixelScope(SubpixelRewrite& rewrite) : previous_(active_rewrite) { active_rewrite = &rewrite; }
SubpixelScope::~SubpixelScope() { active_rewrite = previous_; }
SubpixelRewrite* SubpixelScope::active() { return active_rewrite; }

}  // namespace nicenergy
