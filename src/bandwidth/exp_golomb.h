// The activation coder of Yin, Xu et al., "Bandwidth-efficient Inference for
// Neural Image Compression" (arXiv 2309.02855, ICASSP 2024): per-channel
// min-max quantisation to 8 bits, then a symmetric exponential-Golomb code
// (per-channel median, zig-zag mapped residual, order-k exp-Golomb, 8 bits of
// side information per channel). Plain C++ on channel-major data (NCHW with
// N = 1 is C rows of H*W): no LibTorch here.
#pragma once
#include <cstdint>
#include <vector>

namespace nicenergy {

// 8-bit values of C channels, channel-major, with each channel's float range.
struct QuantisedActivation {
  int64_t channels = 0, per_channel = 0;
  std::vector<uint8_t> values;  // channels * per_channel
  std::vector<float> min, max;  // per channel: the dequantisation range
};

// q = round((x - min) / (max - min) * 255) per channel; a constant channel is all 0.
QuantisedActivation quantise_min_max(const float* data, int64_t channels, int64_t per_channel);

// The per-channel median (the lower one for even counts), the side information.
std::vector<uint8_t> channel_medians(const QuantisedActivation& q);

// Zig-zag: d >= 0 -> 2d, d < 0 -> -2d - 1 (so |d| small -> r small).
inline uint32_t zigzag(int32_t d) { return d >= 0 ? 2u * static_cast<uint32_t>(d) : 2u * static_cast<uint32_t>(-d) - 1u; }
inline int32_t unzigzag(uint32_t r) { return (r & 1u) ? -static_cast<int32_t>((r + 1) / 2) : static_cast<int32_t>(r / 2); }

// Bits of the order-k exp-Golomb code of r >= 0: 2 floor(log2(floor(r / 2^k) + 1)) + 1 + k.
int exp_golomb_bits(uint32_t r, int order);

constexpr int side_bits_per_channel = 8;  // the median, as the paper counts it

// The coded activation: medians (8 bits each) then every residual, MSB first.
struct ExpGolombStream {
  int order = 0;
  uint64_t bits = 0;           // what goes to memory, side information included
  std::vector<uint8_t> bytes;  // ceil(bits / 8)
};

ExpGolombStream encode_exp_golomb(const QuantisedActivation& q, int order);
// Throws nicenergy::Error on a stream that does not decode to channels * per_channel values in 0..255.
std::vector<uint8_t> decode_exp_golomb(const ExpGolombStream& stream, int64_t channels, int64_t per_channel);
// The closed form of the encoded size (side information included), without encoding.
uint64_t exp_golomb_size_bits(const QuantisedActivation& q, int order);

// The ideal code length (-sum log2 p) of the 8-bit values under a per-channel
// Gaussian: mean and (population) standard deviation of the channel's 8-bit
// values, the density integrated over each bin [v - 0.5, v + 0.5], the end bins
// taking the tails so that the 256 bins sum to 1. The scale is floored at 0.11
// and each probability at 1e-9 (CompressAI's GaussianConditional bounds).
// Side information: mean and scale as float32, 64 bits per channel, included.
constexpr int gaussian_side_bits_per_channel = 64;
double gaussian_ideal_bits(const QuantisedActivation& q);

}  // namespace nicenergy
