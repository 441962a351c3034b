#include "io/numbers.h"

#include <charconv>
#include <cstdio>
#include <system_error>

namespace nicenergy {

std::string printable(std::string_view text, size_t max_chars) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (out.size() >= max_chars) return out + "...";
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += static_cast<char>(c);
    } else {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\x%02x", c);
      out += escaped;
    }
  }
  return out;
}

std::string number_text(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.17g", value);
  return text;
}

std::string short_number_text(double value, int digits) {
  char text[48];
  std::snprintf(text, sizeof text, "%.*g", digits, value);
  return text;
}

std::string interval_text(const std::string& low, const std::string& high) {
  std::string text = "[";
  text += low;
  text += ", ";
  text += high;
  text += "]";
  return text;
}

void throw_out_of_range(const std::string& what, const std::string& value, const std::string& range) {
  throw Error(what + " is " + value + ", which is out of range: it must be " + range);
}

double parse_double(std::string_view text, const std::string& what) {
  double value = 0;
  // from_chars: no locale, no leading spaces or '+', no hex without 0x, and
  // it says how much it read, so "50x" is caught.
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error == std::errc::invalid_argument || end != text.data() + text.size())
    throw Error(what + " is '" + printable(text) + "', not a number");
  if (error == std::errc::result_out_of_range)
    throw Error(what + " is '" + printable(text) + "', which is out of range for a double");
  if (!std::isfinite(value)) throw Error(what + " is '" + printable(text) + "': it must be a finite number");
  return value;
}

int64_t parse_int64(std::string_view text, const std::string& what) {
  int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, 10);
  if (text.empty() || error == std::errc::invalid_argument || end != text.data() + text.size())
    throw Error(what + " is '" + printable(text) + "', not a whole number");
  if (error == std::errc::result_out_of_range)
    throw Error(what + " is '" + printable(text) + "', which is out of range: it must be within " +
                range_text<int64_t>());
  return value;
}

}  // namespace nicenergy
