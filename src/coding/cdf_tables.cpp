#include "coding/cdf_tables.h"

#include <boost/math/distributions/normal.hpp>
#include <cmath>
#include <limits>
#include <string>

#include "error.h"

namespace nicenergy {

std::vector<uint32_t> pmf_to_quantized_cdf(const std::vector<float>& pmf) {
  constexpr uint64_t total_count = 1u << kCdfPrecision;
  std::vector<uint32_t> cdf(pmf.size() + 1, 0);
  for (size_t i = 0; i < pmf.size(); ++i) {
    if (!std::isfinite(pmf[i]) || pmf[i] < 0)
      throw Error("entropy model: probability " + std::to_string(pmf[i]) + " at entry " + std::to_string(i) +
                  " is not a probability; the model's parameters are broken");
    cdf[i + 1] = cdf[i] + static_cast<uint32_t>(std::round(pmf[i] * static_cast<float>(total_count)));
  }
  const uint64_t total = cdf.back();
  if (total == 0) throw Error("entropy model: all probabilities round to zero; the model's parameters are broken");
  for (auto& c : cdf) c = static_cast<uint32_t>(total_count * c / total);
  // A symbol left with no count could not be coded: take one count from the
  // symbol with the fewest counts above one, shifting the entries between.
  for (size_t i = 0; i + 1 < cdf.size(); ++i) {
    if (cdf[i] != cdf[i + 1]) continue;
    uint32_t best_freq = std::numeric_limits<uint32_t>::max();
    size_t best = cdf.size();
    for (size_t j = 0; j + 1 < cdf.size(); ++j) {
      const uint32_t freq = cdf[j + 1] - cdf[j];
      if (freq > 1 && freq < best_freq) {
        best_freq = freq;
        best = j;
      }
    }
    if (best == cdf.size()) throw Error("entropy model: more symbols than 16-bit counts");
    if (best < i) {
      for (size_t j = best + 1; j <= i; ++j) --cdf[j];
    } else {
      for (size_t j = i + 1; j <= best; ++j) ++cdf[j];
    }
  }
  return cdf;
}

namespace {
// Tables already in the module (a converted CompressAI checkpoint after update()).
std::vector<CdfTable> stored_tables(const torch::Tensor& quantized_cdf, const torch::Tensor& cdf_length,
                                    const torch::Tensor& offset, const std::string& what) {
  if (quantized_cdf.dim() != 2 || cdf_length.numel() != quantized_cdf.size(0) || offset.numel() != quantized_cdf.size(0))
    throw Error(what + ": the stored entropy-coder tables have inconsistent shapes; convert the checkpoint again after update()");
  auto cdf = quantized_cdf.to(torch::kCPU, torch::kInt64).contiguous();
  auto lengths = cdf_length.to(torch::kCPU, torch::kInt64).contiguous();
  auto offsets = offset.to(torch::kCPU, torch::kInt64).contiguous();
  std::vector<CdfTable> tables(static_cast<size_t>(cdf.size(0)));
  for (int64_t i = 0; i < cdf.size(0); ++i) {
    const int64_t length = lengths[i].item<int64_t>();
    if (length < 2 || length > cdf.size(1))
      throw Error(what + ": stored CDF " + std::to_string(i) + " has length " + std::to_string(length));
    auto& table = tables[static_cast<size_t>(i)];
    for (int64_t j = 0; j < length; ++j) {
      const int64_t v = cdf[i][j].item<int64_t>();
      table.cdf.push_back(v < 0 ? 0xffffffffu : static_cast<uint32_t>(v));
    }
    table.offset = static_cast<int32_t>(offsets[i].item<int64_t>());
    check_cdf_table(table, what + " stored CDF " + std::to_string(i));
  }
  return tables;
}

std::vector<CdfTable> tables_from_pmf(const torch::Tensor& pmf, const torch::Tensor& tail_mass,
                                      const torch::Tensor& pmf_length, const torch::Tensor& offset) {
  auto p = pmf.to(torch::kCPU, torch::kFloat32).contiguous();
  auto tail = tail_mass.to(torch::kCPU, torch::kFloat32).contiguous();
  std::vector<CdfTable> tables(static_cast<size_t>(p.size(0)));
  for (int64_t i = 0; i < p.size(0); ++i) {
    const int64_t length = pmf_length[i].item<int64_t>();
    std::vector<float> probabilities(p[i].data_ptr<float>(), p[i].data_ptr<float>() + length);
    probabilities.push_back(tail[i][0].item<float>());
    tables[static_cast<size_t>(i)] = {pmf_to_quantized_cdf(probabilities), static_cast<int32_t>(offset[i].item<int64_t>())};
  }
  return tables;
}
}  // namespace

torch::Tensor factorized_medians(EntropyBottleneckImpl& bottleneck) {
  return bottleneck.quantiles.index({torch::indexing::Slice(), 0, 1}).detach();
}

std::vector<CdfTable> factorized_tables(EntropyBottleneckImpl& bottleneck) {
  if (bottleneck.quantized_cdf.numel() > 0)
    return stored_tables(bottleneck.quantized_cdf, bottleneck.cdf_length, bottleneck.offset, "entropy_bottleneck");
  torch::NoGradGuard no_grad;
  const torch::Tensor quantiles = bottleneck.quantiles.detach().to(torch::kCPU);
  const torch::Tensor medians = quantiles.index({torch::indexing::Slice(), 0, 1});
  const torch::Tensor minima = torch::clamp_min(torch::ceil(medians - quantiles.index({torch::indexing::Slice(), 0, 0})), 0).to(torch::kInt64);
  const torch::Tensor maxima = torch::clamp_min(torch::ceil(quantiles.index({torch::indexing::Slice(), 0, 2}) - medians), 0).to(torch::kInt64);
  const torch::Tensor pmf_start = medians - minima;
  const torch::Tensor pmf_length = maxima + minima + 1;
  const int64_t max_length = pmf_length.max().item<int64_t>();
  if (max_length > (1 << 20))
    throw Error("entropy_bottleneck: its quantiles span " + std::to_string(max_length) + " values; the weights are broken");
  // Evaluated where the module lives, then brought to the CPU.
  const auto device = bottleneck.quantiles.device();
  torch::Tensor samples = (torch::arange(max_length, torch::kFloat32) + pmf_start.unsqueeze(1)).unsqueeze(1).to(device);
  torch::Tensor lower = bottleneck.logits_cumulative(samples - 0.5);
  torch::Tensor upper = bottleneck.logits_cumulative(samples + 0.5);
  torch::Tensor sign = -torch::sign(lower + upper);
  torch::Tensor pmf = torch::abs(torch::sigmoid(sign * upper) - torch::sigmoid(sign * lower)).index({torch::indexing::Slice(), 0, torch::indexing::Slice()});
  using torch::indexing::Slice;
  torch::Tensor tail_mass = torch::sigmoid(lower.index({Slice(), 0, Slice(0, 1)})) + torch::sigmoid(-upper.index({Slice(), 0, Slice(-1, torch::indexing::None)}));
  return tables_from_pmf(pmf, tail_mass, pmf_length, -minima);
}

torch::Tensor gaussian_scale_table(GaussianConditionalImpl& gaussian) {
  if (gaussian.scale_table.numel() > 0) return gaussian.scale_table.detach().to(torch::kCPU, torch::kFloat32);
  return torch::exp(torch::linspace(std::log(0.11), std::log(256.0), 64, torch::kFloat32));
}

std::vector<CdfTable> gaussian_tables(GaussianConditionalImpl& gaussian) {
  if (gaussian.quantized_cdf.numel() > 0)
    return stored_tables(gaussian.quantized_cdf, gaussian.cdf_length, gaussian.offset, "gaussian_conditional");
  const torch::Tensor scale_table = gaussian_scale_table(gaussian);
  // The tails beyond the multiplier's standard deviations hold 1e-9 of the mass.
  const double tail_mass = 1e-9;
  const double multiplier = -boost::math::quantile(boost::math::normal(), tail_mass / 2);
  const torch::Tensor pmf_center = torch::ceil(scale_table * multiplier).to(torch::kInt64);
  const torch::Tensor pmf_length = 2 * pmf_center + 1;
  const int64_t max_length = pmf_length.max().item<int64_t>();
  if (max_length > (1 << 20))
    throw Error("gaussian_conditional: a scale table entry of " + std::to_string(scale_table.max().item<float>()) + " is too large to code");
  const torch::Tensor samples = torch::abs(torch::arange(max_length, torch::kInt64).unsqueeze(0) - pmf_center.unsqueeze(1)).to(torch::kFloat32);
  const torch::Tensor scales = scale_table.unsqueeze(1);
  const double c = -std::sqrt(0.5);
  const torch::Tensor upper = 0.5 * torch::erfc(c * ((0.5 - samples) / scales));
  const torch::Tensor lower = 0.5 * torch::erfc(c * ((-0.5 - samples) / scales));
  const torch::Tensor pmf = upper - lower;
  const torch::Tensor tail = 2 * lower.index({torch::indexing::Slice(), torch::indexing::Slice(0, 1)});
  return tables_from_pmf(pmf, tail, pmf_length, -pmf_center);
}

torch::Tensor gaussian_indexes(GaussianConditionalImpl& gaussian, const torch::Tensor& scales) {
  const torch::Tensor table = gaussian_scale_table(gaussian).to(scales.device());
  const torch::Tensor bounded = gaussian.lower_bound_scale->forward(scales);
  // The count of entries (all but the last) below the scale: searchsorted's left insertion point.
  const torch::Tensor entries = table.index({torch::indexing::Slice(0, table.size(0) - 1)}).contiguous();
  return torch::searchsorted(entries, bounded.contiguous().reshape({-1}), /*out_int32=*/true).reshape(bounded.sizes());
}

}  // namespace nicenergy
