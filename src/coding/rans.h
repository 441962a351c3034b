// The entropy coder: range asymmetric numeral systems (rANS, Duda 2013) with a
// 32-bit state renormalised a byte at a time, CDFs quantised to 16 bits, and
// values outside a table's range sent through a 4-bit bypass code, the scheme
// CompressAI's coder uses (its tables and escape rule; our own code).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace nicenergy {

// One quantised CDF, CompressAI's layout (length = pmf length + 2): cdf[0] = 0,
// cdf.back() = 1 << kCdfPrecision, strictly increasing. Symbol s < cdf.size() - 2
// stands for the value s + offset; symbol cdf.size() - 2 is the escape for
// values outside that range, which follow in the bypass code.
struct CdfTable {
  std::vector<uint32_t> cdf;
  int32_t offset = 0;  // the value coded as symbol 0 (CompressAI's _offset)
};

constexpr int kCdfPrecision = 16;
constexpr int kBypassPrecision = 4;

// Throws nicenergy::Error naming `what` if the table cannot code: fewer than
// two entries, not starting at 0, not ending at 1 << 16, or not increasing.
void check_cdf_table(const CdfTable& table, const std::string& what);

// Codes values[i] under tables[indexes[i]] and returns the bytes. Values out of
// a table's range are escaped and sent raw (bypass). Throws on a bad index.
std::string rans_encode(const std::vector<int32_t>& values, const std::vector<int32_t>& indexes,
                        const std::vector<CdfTable>& tables);

// Reads values back one at a time, so a context model can decide the next
// table from what it has decoded. A truncated or corrupt stream throws
// nicenergy::Error; it never reads past the end or loops without bound.
class RansDecoder {
 public:
  explicit RansDecoder(std::string bytes);
  int32_t decode(const CdfTable& table);
  // Every byte used and the state back at its initial value: the stream was
  // read exactly as it was written.
  bool exhausted() const;

 private:
  uint32_t decode_raw(uint32_t mask_bits);
  uint32_t decode_symbol(const CdfTable& table);
  void renormalise();
  std::string bytes_;
  size_t position_ = 0;
  uint32_t state_ = 0;
};

// Decodes a whole sequence (the non-autoregressive case).
std::vector<int32_t> rans_decode(const std::string& bytes, const std::vector<int32_t>& indexes,
                                 const std::vector<CdfTable>& tables);

}  // namespace nicenergy
