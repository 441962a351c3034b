#include "bandwidth/exp_golomb.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "error.h"

namespace nicenergy {

QuantisedActivation quantise_min_max(const float* data, int64_t channels, int64_t per_channel) {
  QuantisedActivation q;
  q.channels = channels;
  q.per_channel = per_channel;
  q.values.resize(static_cast<size_t>(channels * per_channel));
  q.min.resize(static_cast<size_t>(channels));
  q.max.resize(static_cast<size_t>(channels));
  for (int64_t c = 0; c < channels; ++c) {
    const float* row = data + c * per_channel;
    const auto [lo, hi] = per_channel > 0 ? std::minmax_element(row, row + per_channel) : std::pair{row, row};
    const float min = per_channel > 0 ? *lo : 0.0f, max = per_channel > 0 ? *hi : 0.0f;
    q.min[c] = min;
    q.max[c] = max;
    const double step = max > min ? (static_cast<double>(max) - min) / 255.0 : 0.0;
    uint8_t* out = q.values.data() + c * per_channel;
    for (int64_t i = 0; i < per_channel; ++i) {
      const double v = step > 0 ? std::nearbyint((row[i] - static_cast<double>(min)) / step) : 0.0;
      out[i] = static_cast<uint8_t>(std::clamp(v, 0.0, 255.0));
    }
  }
  return q;
}

std::vector<uint8_t> channel_medians(const QuantisedActivation& q) {
  std::vector<uint8_t> medians(static_cast<size_t>(q.channels), 0);
  for (int64_t c = 0; c < q.channels; ++c) {
    if (q.per_channel == 0) continue;
    int64_t histogram[256] = {};
    const uint8_t* row = q.values.data() + c * q.per_channel;
    for (int64_t i = 0; i < q.per_channel; ++i) ++histogram[row[i]];
    const int64_t rank = (q.per_channel - 1) / 2;  // 0-based: the lower median
    int64_t seen = 0;
    for (int v = 0; v < 256; ++v) {
      seen += histogram[v];
      if (seen > rank) {
        medians[c] = static_cast<uint8_t>(v);
        break;
      }
    }
  }
  return medians;
}

static int floor_log2(uint32_t v) { return 31 - __builtin_clz(v); }  // v > 0

int exp_golomb_bits(uint32_t r, int order) { return 2 * floor_log2((r >> order) + 1) + 1 + order; }

namespace {
class BitWriter {
 public:
  explicit BitWriter(std::vector<uint8_t>& bytes) : bytes_(bytes) {}
  void put(uint32_t value, int count) {  // the low `count` bits, MSB first
    for (int i = count - 1; i >= 0; --i) {
      if (bits_ % 8 == 0) bytes_.push_back(0);
      if ((value >> i) & 1u) bytes_.back() |= static_cast<uint8_t>(0x80u >> (bits_ % 8));
      ++bits_;
    }
  }
  uint64_t bits() const { return bits_; }

 private:
  std::vector<uint8_t>& bytes_;
  uint64_t bits_ = 0;
};

class BitReader {
 public:
  BitReader(const std::vector<uint8_t>& bytes, uint64_t bits) : bytes_(bytes), bits_(std::min<uint64_t>(bits, bytes.size() * 8)) {}
  uint32_t bit() {
    if (at_ >= bits_) throw Error("exp-Golomb stream ends early: the coded activation is truncated");
    const uint32_t b = (bytes_[at_ / 8] >> (7 - at_ % 8)) & 1u;
    ++at_;
    return b;
  }
  uint32_t get(int count) {
    uint32_t v = 0;
    for (int i = 0; i < count; ++i) v = (v << 1) | bit();
    return v;
  }
  uint64_t at() const { return at_; }

 private:
  const std::vector<uint8_t>& bytes_;
  uint64_t bits_, at_ = 0;
};

void check_order(int order) {
  if (order < 0 || order > 8) throw Error("exp-Golomb order " + std::to_string(order) + " is out of range: use 0 to 8");
}
}  // namespace

ExpGolombStream encode_exp_golomb(const QuantisedActivation& q, int order) {
  check_order(order);
  ExpGolombStream s;
  s.order = order;
  BitWriter w(s.bytes);
  const std::vector<uint8_t> medians = channel_medians(q);
  for (uint8_t m : medians) w.put(m, side_bits_per_channel);
  for (int64_t c = 0; c < q.channels; ++c) {
    const uint8_t* row = q.values.data() + c * q.per_channel;
    for (int64_t i = 0; i < q.per_channel; ++i) {
      const uint32_t r = zigzag(static_cast<int32_t>(row[i]) - medians[c]);
      // Order k: floor(r / 2^k) + 1 in binary after as many zeros as it has bits
      // past the first, then the k low bits of r.
      const uint32_t high = (r >> order) + 1;
      const int length = floor_log2(high);
      w.put(0, length);
      w.put(high, length + 1);
      w.put(r & ((1u << order) - 1u), order);
    }
  }
  s.bits = w.bits();
  return s;
}

std::vector<uint8_t> decode_exp_golomb(const ExpGolombStream& s, int64_t channels, int64_t per_channel) {
  check_order(s.order);
  BitReader in(s.bytes, s.bits);
  std::vector<uint8_t> medians(static_cast<size_t>(channels));
  for (auto& m : medians) m = static_cast<uint8_t>(in.get(side_bits_per_channel));
  std::vector<uint8_t> values(static_cast<size_t>(channels * per_channel));
  for (int64_t c = 0; c < channels; ++c) {
    for (int64_t i = 0; i < per_channel; ++i) {
      int zeros = 0;
      while (in.bit() == 0)
        if (++zeros > 16) throw Error("exp-Golomb stream has a prefix longer than any 8-bit residual: it is corrupt");
      const uint32_t high = (1u << zeros) | in.get(zeros);
      const uint32_t r = ((high - 1) << s.order) | in.get(s.order);
      const int32_t v = medians[c] + unzigzag(r);
      if (v < 0 || v > 255) throw Error("exp-Golomb stream decodes to " + std::to_string(v) + ", outside 0..255: it is corrupt");
      values[c * per_channel + i] = static_cast<uint8_t>(v);
    }
  }
  if (in.at() != s.bits) throw Error("exp-Golomb stream has bits left after the last value: it is corrupt");
  return values;
}

uint64_t exp_golomb_size_bits(const QuantisedActivation& q, int order) {
  check_order(order);
  const std::vector<uint8_t> medians = channel_medians(q);
  uint64_t bits = static_cast<uint64_t>(q.channels) * side_bits_per_channel;
  for (int64_t c = 0; c < q.channels; ++c) {
    const uint8_t* row = q.values.data() + c * q.per_channel;
    for (int64_t i = 0; i < q.per_channel; ++i)
      bits += exp_golomb_bits(zigzag(static_cast<int32_t>(row[i]) - medians[c]), order);
  }
  return bits;
}

double gaussian_ideal_bits(const QuantisedActivation& q) {
  double bits = static_cast<double>(q.channels) * gaussian_side_bits_per_channel;
  for (int64_t c = 0; c < q.channels; ++c) {
    if (q.per_channel == 0) continue;
    const uint8_t* row = q.values.data() + c * q.per_channel;
    int64_t histogram[256] = {};
    double sum = 0, sum2 = 0;
    for (int64_t i = 0; i < q.per_channel; ++i) {
      ++histogram[row[i]];
      sum += row[i];
    }
    const double n = static_cast<double>(q.per_channel);
    const float mean = static_cast<float>(sum / n);  // float32, as the side information carries it
    for (int v = 0; v < 256; ++v) sum2 += histogram[v] * (v - static_cast<double>(mean)) * (v - static_cast<double>(mean));
    const float scale = std::max(static_cast<float>(std::sqrt(sum2 / n)), 0.11f);
    // Each bin's mass from the nearer tail (erfc), so that bins far from the
    // mean keep their precision; the end bins take the tails.
    const double root2s = scale * std::sqrt(2.0);
    auto below = [&](double edge) { return 0.5 * std::erfc(-(edge - mean) / root2s); };  // P(X < edge)
    auto above = [&](double edge) { return 0.5 * std::erfc((edge - mean) / root2s); };   // P(X > edge)
    for (int v = 0; v < 256; ++v) {
      if (histogram[v] == 0) continue;
      double p;
      if (v >= mean)
        p = (v == 0 ? 1.0 : above(v - 0.5)) - (v == 255 ? 0.0 : above(v + 0.5));
      else
        p = (v == 255 ? 1.0 : below(v + 0.5)) - (v == 0 ? 0.0 : below(v - 0.5));
      bits += histogram[v] * -std::log2(std::max(p, 1e-9));
    }
  }
  return bits;
}

}  // namespace nicenergy
