// The classic codecs nicenergy can run, by name (issue 17): which were compiled
// in, the one setting each is swept over, and encode/decode through one
// signature, so that callers (the CLI and campaigns, later) need not know each
// library's settings struct.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "image/image.h"

namespace nicenergy {

struct LegacyCodec {
  std::string name;     // "jpeg", "webp", "avif", "jxl", "heic", "jpeg2000": the records' network
  std::string abbr;     // "JPEG", "WebP", "AVIF", "JPEG-XL", "HEIC", "JPEG-2000": the records' abbr, in plots
  std::string library;  // the Debian library: "libwebp"
  bool available = false;         // compiled in (its library was found when nicenergy was built)
  std::string unavailable_reason;  // one line with what to install, when not available
  // The setting swept for rate and distortion, in the library's own scale:
  // "quality" (higher is better) or "quantizer", "distance", "compression_ratio"
  // (lower is better).
  std::string setting;
  double setting_min = 0;
  double setting_max = 0;
  bool higher_is_better = true;
  bool integer_setting = true;
  std::vector<double> default_settings;  // a sweep, from the lowest quality to the highest
  // Encode at a setting (the codec's other settings at their defaults) and
  // decode; both throw nicenergy::Error, with unavailable_reason when not available.
  std::function<std::vector<uint8_t>(const Image&, double setting)> encode;
  std::function<Image(const std::vector<uint8_t>&)> decode;
  std::function<std::string()> library_version;  // empty when not available
};

// Every codec nicenergy knows, available or not, in a fixed order.
const std::vector<LegacyCodec>& legacy_codecs();

// The codec of that name. Throws nicenergy::Error naming the known ones.
const LegacyCodec& legacy_codec(const std::string& name);

// The codec whose name or abbr this is, in any case ("JPEG", "webp"), whether
// compiled in or not; null for any other name (a network, a file).
const LegacyCodec* find_legacy_codec(const std::string& name_or_abbr);

// "jpeg, webp, avif, jxl, heic, jpeg2000": for messages that list what a model may be.
std::string legacy_codec_names();

}  // namespace nicenergy
