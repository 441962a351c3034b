// The coder's tables for the two entropy models, computed as CompressAI's
// update() computes them (its pmf, tail mass and 16-bit quantisation), or taken
// as they are from a converted checkpoint that holds them.
#pragma once
#include <torch/torch.h>

#include <vector>

#include "coding/rans.h"
#include "models/layers.h"

namespace nicenergy {

// A probability mass function (its last entry the tail mass) to a CDF of
// pmf.size() + 1 entries at 16 bits, every symbol at least one count: CompressAI's
// pmf_to_quantized_cdf (round, rescale to the total, steal counts for empty symbols).
std::vector<uint32_t> pmf_to_quantized_cdf(const std::vector<float>& pmf);

// One table per channel of the factorized (entropy bottleneck) model.
std::vector<CdfTable> factorized_tables(EntropyBottleneckImpl& bottleneck);
// Per-channel medians: symbols are round(x - median).
torch::Tensor factorized_medians(EntropyBottleneckImpl& bottleneck);

// The scale table of the Gaussian model: the checkpoint's, or CompressAI's
// default, exp(linspace(log 0.11, log 256, 64)).
torch::Tensor gaussian_scale_table(GaussianConditionalImpl& gaussian);
// One table per entry of the scale table.
std::vector<CdfTable> gaussian_tables(GaussianConditionalImpl& gaussian);
// Table index per scale (CompressAI's build_indexes): the first entry of the
// scale table at or above the scale, after the scale's lower bound.
torch::Tensor gaussian_indexes(GaussianConditionalImpl& gaussian, const torch::Tensor& scales);

}  // namespace nicenergy
