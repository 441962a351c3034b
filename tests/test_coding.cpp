// The entropy coder and its tables (src/coding).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "coding/cdf_tables.h"
#include "coding/rans.h"
#include "error.h"

using namespace nicenergy;

namespace {
// A table from a pmf drawn at random, some of it tiny, so rounding must steal counts.
CdfTable random_table(std::mt19937& rng, size_t symbols, int32_t offset) {
  std::exponential_distribution<float> weight(1.0f);
  std::vector<float> pmf(symbols + 1);
  float sum = 0;
  for (auto& p : pmf) sum += (p = std::pow(weight(rng), 4.0f));
  for (auto& p : pmf) p /= sum;
  return {pmf_to_quantized_cdf(pmf), offset};
}

double ideal_bits(const std::vector<int32_t>& values, const std::vector<int32_t>& indexes, const std::vector<CdfTable>& tables) {
  double bits = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    const auto& t = tables[static_cast<size_t>(indexes[i])];
    const auto s = static_cast<size_t>(values[i] - t.offset);
    bits -= std::log2((t.cdf[s + 1] - t.cdf[s]) / 65536.0);
  }
  return bits;
}
}  // namespace

TEST(QuantizedCdf, EverySymbolCodableAndTotalExact) {
  // One symbol holds nearly everything: the others round to zero and must steal.
  std::vector<float> pmf = {1e-9f, 0.999f, 1e-7f, 1e-12f, 0.000998f, 0.0f};
  auto cdf = pmf_to_quantized_cdf(pmf);
  ASSERT_EQ(cdf.size(), pmf.size() + 1);
  EXPECT_EQ(cdf.front(), 0u);
  EXPECT_EQ(cdf.back(), 65536u);
  for (size_t i = 1; i < cdf.size(); ++i) EXPECT_GT(cdf[i], cdf[i - 1]) << "entry " << i;
  EXPECT_GT(cdf[2] - cdf[1], 65000u);  // the likely symbol kept its mass
  EXPECT_THROW(pmf_to_quantized_cdf({0.0f, 0.0f}), Error);
  EXPECT_THROW(pmf_to_quantized_cdf({0.5f, std::numeric_limits<float>::quiet_NaN()}), Error);
}

TEST(Rans, RoundTripsRandomValuesAndTablesWithEscapes) {
  std::mt19937 rng(7);
  std::vector<CdfTable> tables;
  for (size_t n : {1, 2, 3, 17, 64, 300}) tables.push_back(random_table(rng, n, -static_cast<int32_t>(n / 2)));
  std::vector<int32_t> values, indexes;
  std::uniform_int_distribution<int> pick(0, static_cast<int>(tables.size()) - 1);
  std::uniform_int_distribution<int> outside(0, 9);
  size_t escapes = 0;
  for (int i = 0; i < 20000; ++i) {
    const int index = pick(rng);
    const auto& t = tables[static_cast<size_t>(index)];
    const int range = static_cast<int>(t.cdf.size()) - 2;
    int64_t value;
    if (outside(rng) == 0) {  // out of range: below, above, or an int32 extreme
      const int64_t far[] = {t.offset - 1, t.offset + range, t.offset - 1000, t.offset + range + 70000,
                             std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max()};
      value = far[rng() % 6];
      ++escapes;
    } else {
      // Drawn from the table's own distribution, so the rate can be checked.
      const uint32_t slot = rng() & 0xffff;
      size_t s = 0;
      while (t.cdf[s + 1] <= slot) ++s;
      value = static_cast<int64_t>(s) + t.offset;
      if (static_cast<int>(s) == range) value = t.offset + range + 3, ++escapes;
    }
    values.push_back(static_cast<int32_t>(value));
    indexes.push_back(index);
  }
  ASSERT_GT(escapes, 1000u);
  const std::string bytes = rans_encode(values, indexes, tables);
  RansDecoder decoder(bytes);
  for (size_t i = 0; i < values.size(); ++i)
    ASSERT_EQ(decoder.decode(tables[static_cast<size_t>(indexes[i])]), values[i]) << "value " << i;
  EXPECT_TRUE(decoder.exhausted());
  EXPECT_EQ(rans_decode(bytes, indexes, tables), values);
}

TEST(Rans, RateWithinOnePercentOfTheIdealCodeLength) {
  std::mt19937 rng(11);
  std::vector<CdfTable> tables = {random_table(rng, 40, -20), random_table(rng, 9, 0)};
  std::vector<int32_t> values, indexes;
  for (int i = 0; i < 200000; ++i) {
    const int index = i % 2;
    const auto& t = tables[static_cast<size_t>(index)];
    const uint32_t slot = rng() & 0xffff;
    size_t s = 0;
    while (t.cdf[s + 1] <= slot) ++s;
    if (s == t.cdf.size() - 2) s = 0;  // no escapes here: the ideal length covers table symbols only
    values.push_back(static_cast<int32_t>(s) + t.offset);
    indexes.push_back(index);
  }
  const double ideal = ideal_bits(values, indexes, tables);
  ASSERT_GT(ideal, 100000.0);  // informative: far from a constant stream
  const double real = 8.0 * static_cast<double>(rans_encode(values, indexes, tables).size());
  EXPECT_LT(std::abs(real - ideal) / ideal, 0.01) << real << " bits against " << ideal;
}

TEST(Rans, DegenerateAndSkewedTables) {
  // One value only (plus escape), and a table where one symbol has all but one count per other.
  CdfTable single{{0, 65535, 65536}, 5};
  CdfTable skewed{{0, 1, 65534, 65535, 65536}, -1};
  std::vector<CdfTable> tables = {single, skewed};
  std::vector<int32_t> values = {5, 5, 6, 4, -1, 0, 1, 2, 9, -7, 0, 0};
  std::vector<int32_t> indexes = {0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1};
  EXPECT_EQ(rans_decode(rans_encode(values, indexes, tables), indexes, tables), values);
  EXPECT_THROW(check_cdf_table({{0, 5, 5, 65536}, 0}, "test"), Error);
  EXPECT_THROW(check_cdf_table({{0, 65535}, 0}, "test"), Error);
  EXPECT_THROW(rans_encode({1}, {2}, tables), Error);
}

TEST(Rans, TruncatedOrForeignStreamsThrowOrAreCaughtNeverCrash) {
  std::mt19937 rng(3);
  std::vector<CdfTable> tables = {random_table(rng, 30, -15)};
  std::vector<int32_t> values(5000), indexes(5000, 0);
  for (auto& v : values) v = static_cast<int32_t>(rng() % 40) - 20;
  const std::string bytes = rans_encode(values, indexes, tables);
  // Truncated: it throws, or it did not read the stream as written.
  for (size_t keep : {size_t{0}, size_t{3}, bytes.size() / 2, bytes.size() - 1}) {
    const std::string cut = bytes.substr(0, keep);
    bool caught = false;
    try {
      RansDecoder decoder(cut);
      for (size_t i = 0; i < values.size(); ++i) decoder.decode(tables[0]);
      caught = !decoder.exhausted();
    } catch (const Error&) {
      caught = true;
    }
    EXPECT_TRUE(caught) << "kept " << keep << " of " << bytes.size();
  }
  // Random bytes decode to something or throw; they never crash or hang.
  for (int trial = 0; trial < 200; ++trial) {
    std::string noise(static_cast<size_t>(4 + rng() % 64), '\0');
    for (auto& c : noise) c = static_cast<char>(rng());
    try {
      RansDecoder decoder(noise);
      for (int i = 0; i < 1000; ++i) decoder.decode(tables[0]);
    } catch (const Error&) {
    }
  }
}

TEST(CdfTables, GaussianTablesAndIndexes) {
  GaussianConditional gaussian;
  auto tables = gaussian_tables(*gaussian);
  ASSERT_EQ(tables.size(), 64u);
  for (size_t i = 0; i < tables.size(); ++i) check_cdf_table(tables[i], "table " + std::to_string(i));
  // Wider scales: longer tables, offset at minus the centre.
  EXPECT_LT(tables.front().cdf.size(), tables.back().cdf.size());
  EXPECT_EQ(tables.front().offset, -static_cast<int32_t>((tables.front().cdf.size() - 3) / 2));
  auto table = gaussian_scale_table(*gaussian);
  torch::Tensor scales = torch::tensor({0.01f, 0.11f, 0.2f, 1.0f, 10.0f, 255.0f, 1000.0f});
  auto idx = gaussian_indexes(*gaussian, scales);
  EXPECT_EQ(idx[0].item<int>(), 0);
  EXPECT_EQ(idx[1].item<int>(), 0);
  EXPECT_EQ(idx[6].item<int>(), 63);
  for (int i = 2; i < 6; ++i) {
    const int k = idx[i].item<int>();
    EXPECT_GE(table[k].item<float>(), scales[i].item<float>()) << i;      // the table entry covers the scale
    EXPECT_LT(table[k - 1].item<float>(), scales[i].item<float>()) << i;  // and is the first that does
  }
}

TEST(CdfTables, FactorizedTablesFromTheBottleneck) {
  torch::manual_seed(1);
  EntropyBottleneck bottleneck(8);
  {
    torch::NoGradGuard no_grad;
    // Quantiles off the integers and unequal per channel, as after training.
    bottleneck->quantiles.copy_(torch::tensor({-6.3f, 0.4f, 5.2f}).repeat({8, 1, 1}) +
                                torch::linspace(0, 2.5, 8).reshape({8, 1, 1}));
  }
  auto tables = factorized_tables(*bottleneck);
  ASSERT_EQ(tables.size(), 8u);
  for (size_t c = 0; c < 8; ++c) {
    check_cdf_table(tables[c], "channel " + std::to_string(c));
    const float median = bottleneck->quantiles[static_cast<int64_t>(c)][0][1].item<float>();
    const float low = bottleneck->quantiles[static_cast<int64_t>(c)][0][0].item<float>();
    EXPECT_EQ(tables[c].offset, -static_cast<int32_t>(std::ceil(median - low)));
  }
}
