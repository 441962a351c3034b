#include "coding/rans.h"

#include <algorithm>

#include "error.h"

namespace nicenergy {

namespace {
// The state lives in [kLower, 256 * kLower): 32 bits, a byte out or in at a time.
constexpr uint32_t kLower = 1u << 23;
constexpr uint32_t kBypassMax = (1u << kBypassPrecision) - 1;
// An escaped value is at most 2^33 (int32 against int32 offsets): 9 nibbles.
// More in a stream means it is corrupt, not that a value is large.
constexpr uint32_t kMaxBypassNibbles = 9;

struct Step {
  uint32_t start, freq;
  uint8_t bits;
};

void push_symbol(std::vector<Step>& steps, const CdfTable& table, int64_t value) {
  const int64_t escape = static_cast<int64_t>(table.cdf.size()) - 2;
  int64_t symbol = value - table.offset;
  uint64_t raw = 0;
  // Below the range: odd raw values; at or above it: even ones (CompressAI's rule).
  if (symbol < 0) {
    raw = static_cast<uint64_t>(-2 * symbol - 1);
    symbol = escape;
  } else if (symbol >= escape) {
    raw = static_cast<uint64_t>(2 * (symbol - escape));
    symbol = escape;
  }
  const auto s = static_cast<size_t>(symbol);
  steps.push_back({table.cdf[s], table.cdf[s + 1] - table.cdf[s], kCdfPrecision});
  if (symbol != escape) return;
  uint32_t nibbles = 0;
  while (nibbles < 16 && (raw >> (nibbles * kBypassPrecision)) != 0) ++nibbles;
  // The count itself, in nibbles of which all-ones means "more follows".
  uint32_t count = nibbles;
  while (count >= kBypassMax) {
    steps.push_back({kBypassMax, 1, kBypassPrecision});
    count -= kBypassMax;
  }
  steps.push_back({count, 1, kBypassPrecision});
  for (uint32_t j = 0; j < nibbles; ++j)
    steps.push_back({static_cast<uint32_t>((raw >> (j * kBypassPrecision)) & kBypassMax), 1, kBypassPrecision});
}
}  // namespace

void check_cdf_table(const CdfTable& table, const std::string& what) {
  const auto& cdf = table.cdf;
  if (cdf.size() < 2) throw Error(what + ": a CDF needs at least 2 entries, has " + std::to_string(cdf.size()));
  if (cdf.front() != 0 || cdf.back() != (1u << kCdfPrecision))
    throw Error(what + ": a CDF must run from 0 to " + std::to_string(1u << kCdfPrecision) + ", runs from " +
                std::to_string(cdf.front()) + " to " + std::to_string(cdf.back()));
  for (size_t i = 1; i < cdf.size(); ++i)
    if (cdf[i] <= cdf[i - 1])
      throw Error(what + ": the CDF does not increase at entry " + std::to_string(i) +
                  " (a symbol of zero probability cannot be coded); recompute the tables");
}

std::string rans_encode(const std::vector<int32_t>& values, const std::vector<int32_t>& indexes,
                        const std::vector<CdfTable>& tables) {
  if (values.size() != indexes.size())
    throw Error("entropy coder: " + std::to_string(values.size()) + " values but " +
                std::to_string(indexes.size()) + " table indexes");
  std::vector<Step> steps;
  steps.reserve(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    if (indexes[i] < 0 || static_cast<size_t>(indexes[i]) >= tables.size())
      throw Error("entropy coder: table index " + std::to_string(indexes[i]) + " out of " +
                  std::to_string(tables.size()) + " tables");
    push_symbol(steps, tables[static_cast<size_t>(indexes[i])], values[i]);
  }
  // rANS is last in, first out: code backwards so the decoder reads forwards.
  std::string out;
  uint32_t state = kLower;
  for (auto step = steps.rbegin(); step != steps.rend(); ++step) {
    const uint32_t limit = ((kLower >> step->bits) << 8) * step->freq;
    while (state >= limit) {
      out.push_back(static_cast<char>(state & 0xff));
      state >>= 8;
    }
    state = ((state / step->freq) << step->bits) + (state % step->freq) + step->start;
  }
  for (int i = 0; i < 4; ++i) {
    out.push_back(static_cast<char>(state & 0xff));
    state >>= 8;
  }
  std::reverse(out.begin(), out.end());
  return out;
}

RansDecoder::RansDecoder(std::string bytes) : bytes_(std::move(bytes)) {
  if (bytes_.size() < 4)
    throw Error("entropy-coded stream of " + std::to_string(bytes_.size()) + " bytes is truncated (at least 4)");
  for (int i = 0; i < 4; ++i) state_ = (state_ << 8) | static_cast<uint8_t>(bytes_[position_++]);
}

void RansDecoder::renormalise() {
  while (state_ < kLower) {
    if (position_ >= bytes_.size()) throw Error("entropy-coded stream is truncated or corrupt (read past its end)");
    state_ = (state_ << 8) | static_cast<uint8_t>(bytes_[position_++]);
  }
}

uint32_t RansDecoder::decode_raw(uint32_t bits) {
  const uint32_t value = state_ & ((1u << bits) - 1);
  state_ >>= bits;
  renormalise();
  return value;
}

uint32_t RansDecoder::decode_symbol(const CdfTable& table) {
  const auto& cdf = table.cdf;
  const uint32_t slot = state_ & ((1u << kCdfPrecision) - 1);
  // The symbol s with cdf[s] <= slot < cdf[s + 1].
  const auto above = std::upper_bound(cdf.begin(), cdf.end(), slot);
  const auto s = static_cast<size_t>(above - cdf.begin()) - 1;
  state_ = (cdf[s + 1] - cdf[s]) * (state_ >> kCdfPrecision) + slot - cdf[s];
  renormalise();
  return static_cast<uint32_t>(s);
}

int32_t RansDecoder::decode(const CdfTable& table) {
  const int64_t escape = static_cast<int64_t>(table.cdf.size()) - 2;
  const int64_t symbol = decode_symbol(table);
  if (symbol != escape) return static_cast<int32_t>(symbol + table.offset);
  uint32_t nibbles = 0;
  for (uint32_t part = kBypassMax; part == kBypassMax;) {
    part = decode_raw(kBypassPrecision);
    nibbles += part;
    if (nibbles > kMaxBypassNibbles) throw Error("entropy-coded stream is corrupt (escape longer than any value)");
  }
  uint64_t raw = 0;
  for (uint32_t j = 0; j < nibbles; ++j) raw |= static_cast<uint64_t>(decode_raw(kBypassPrecision)) << (j * kBypassPrecision);
  const int64_t offset_symbol = (raw & 1) ? -static_cast<int64_t>(raw >> 1) - 1 : static_cast<int64_t>(raw >> 1) + escape;
  const int64_t value = offset_symbol + table.offset;
  if (value < INT32_MIN || value > INT32_MAX) throw Error("entropy-coded stream is corrupt (escaped value out of range)");
  return static_cast<int32_t>(value);
}

bool RansDecoder::exhausted() const { return position_ == bytes_.size() && state_ == kLower; }

std::vector<int32_t> rans_decode(const std::string& bytes, const std::vector<int32_t>& indexes,
                                 const std::vector<CdfTable>& tables) {
  RansDecoder decoder(bytes);
  std::vector<int32_t> values;
  values.reserve(indexes.size());
  for (int32_t index : indexes) {
    if (index < 0 || static_cast<size_t>(index) >= tables.size())
      throw Error("entropy coder: table index " + std::to_string(index) + " out of " + std::to_string(tables.size()) + " tables");
    values.push_back(decoder.decode(tables[static_cast<size_t>(index)]));
  }
  if (!decoder.exhausted()) throw Error("entropy-coded stream is corrupt (it does not end where its values do)");
  return values;
}

}  // namespace nicenergy
