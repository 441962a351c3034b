// Checked numbers from files: every number read from a weights file, a
// coefficients JSON, a results CSV or a power trace goes through here, so that
// text like "50x", "nan", "1e300" or 2^32 is refused with a message naming the
// input instead of being truncated, wrapped or cast with undefined behaviour.
// Each function throws nicenergy::Error "<what> is '<text>': <problem>", where
// `what` names the input ("results file 'a.csv' line 4 column width").
#pragma once
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>

#include "error.h"

namespace nicenergy {

// Input text made safe for a one-line message: printable ASCII kept, anything
// else as \xNN, cut to max_chars with "..." after it.
std::string printable(std::string_view text, size_t max_chars = 60);

// The whole text as a finite double (C syntax, no spaces, no trailing characters).
double parse_double(std::string_view text, const std::string& what);

// The whole text as a decimal integer within T's range (an optional minus sign, digits).
int64_t parse_int64(std::string_view text, const std::string& what);

[[noreturn]] void throw_out_of_range(const std::string& what, const std::string& value, const std::string& range);
std::string number_text(double value);  // %.17g, for messages
// At most `digits` significant digits (%g): 0.2, 1e+03; for settings and limits in messages.
std::string short_number_text(double value, int digits = 6);

// "[low, high]"; out of line because gcc 12 warns falsely (-Warray-bounds)
// on string concatenation inlined into every caller.
std::string interval_text(const std::string& low, const std::string& high);

template <typename T>
std::string range_text() {
  return interval_text(std::to_string(std::numeric_limits<T>::lowest()), std::to_string(std::numeric_limits<T>::max()));
}

// A value converted to integer type T, refused unless it fits. For a double:
// also finite and whole (so 1e300 or 2.5 as a count is an error, not UB).
template <typename T>
T checked_cast(double value, const std::string& what) {
  static_assert(std::is_integral_v<T>);
  if (!std::isfinite(value)) throw_out_of_range(what, number_text(value), "a finite whole number");
  if (value != std::trunc(value)) throw_out_of_range(what, number_text(value), "a whole number");
  // Compare in double on bounds that are exact there: lowest() is a power of
  // two (or 0) and max() + 1 is one.
  const double low = static_cast<double>(std::numeric_limits<T>::lowest());
  const double high_exclusive = 2.0 * static_cast<double>(std::numeric_limits<T>::max() / 2 + 1);
  if (value < low || value >= high_exclusive) throw_out_of_range(what, number_text(value), "within " + range_text<T>());
  return static_cast<T>(value);
}

template <typename T, typename From>
std::enable_if_t<std::is_integral_v<From>, T> checked_cast(From value, const std::string& what) {
  static_assert(std::is_integral_v<T>);
  bool fits;
  if constexpr (std::is_signed_v<From> == std::is_signed_v<T>) {
    fits = value >= std::numeric_limits<T>::lowest() && value <= std::numeric_limits<T>::max();
  } else if constexpr (std::is_signed_v<From>) {  // signed to unsigned
    fits = value >= 0 && static_cast<std::make_unsigned_t<From>>(value) <= std::numeric_limits<T>::max();
  } else {  // unsigned to signed
    fits = value <= static_cast<std::make_unsigned_t<T>>(std::numeric_limits<T>::max());
  }
  if (!fits) throw_out_of_range(what, std::to_string(value), "within " + range_text<T>());
  return static_cast<T>(value);
}

// parse_int64 narrowed to T, and optionally to [low, high].
template <typename T>
T parse_integer(std::string_view text, const std::string& what, T low = std::numeric_limits<T>::lowest(),
                T high = std::numeric_limits<T>::max()) {
  const int64_t v = parse_int64(text, what);
  if (v < static_cast<int64_t>(low) || (high >= 0 && v > 0 && static_cast<uint64_t>(v) > static_cast<uint64_t>(high)))
    throw_out_of_range(what, std::to_string(v), "within " + interval_text(std::to_string(low), std::to_string(high)));
  return static_cast<T>(v);
}

}  // namespace nicenergy
