#include "legacy/legacy_codecs.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <utility>

// jpeglib.h needs FILE and size_t declared before it; jconfig.h (which it
// includes) names libjpeg-turbo's version.
#include <jpeglib.h>

#include "error.h"
#include "legacy/avif_codec.h"
#include "legacy/heic_codec.h"
#include "legacy/jpeg2000_codec.h"
#include "legacy/jpeg_codec.h"
#include "legacy/jxl_codec.h"
#include "legacy/webp_codec.h"

namespace nicenergy {

namespace {

std::string format_setting(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", value);
  return text;
}

// The setting's name and range, copied into each codec's encode.
struct SettingRange {
  std::string codec, setting;
  double min = 0, max = 0;
};

// Each encoder checks its own range too; this catches what a double cannot
// carry into an int setting (a fraction, NaN, a huge value).
int whole_setting(const SettingRange& range, double value) {
  if (!(value >= range.min && value <= range.max) || value != std::floor(value))
    throw Error(range.codec + " " + range.setting + " " + format_setting(value) + " is not a whole number in " +
                format_setting(range.min) + ".." + format_setting(range.max) + ": give a whole " + range.setting +
                " from " + format_setting(range.min) + " to " + format_setting(range.max));
  return static_cast<int>(value);
}

#define NICENERGY_STRINGIFY2(x) #x
#define NICENERGY_STRINGIFY(x) NICENERGY_STRINGIFY2(x)

// Whether CMake's NICENERGY_LEGACY_SKIP left the codec out although its library was there.
bool skipped(const std::string& name) {
  const std::pair<const char*, bool> left_out[] = {
#ifdef NICENERGY_SKIPPED_WEBP
      {"webp", true},
#endif
#ifdef NICENERGY_SKIPPED_AVIF
      {"avif", true},
#endif
#ifdef NICENERGY_SKIPPED_JXL
      {"jxl", true},
#endif
#ifdef NICENERGY_SKIPPED_HEIF
      {"heic", true},
#endif
#ifdef NICENERGY_SKIPPED_OPENJP2
      {"jpeg2000", true},
#endif
      {"", false}};
  for (const auto& [codec, yes] : left_out)
    if (yes && name == codec) return true;
  return false;
}

// available: whether the library was compiled in (CMake's NICENERGY_WITH_*).
LegacyCodec make(const std::string& name, const std::string& abbr, const std::string& library, const std::string& package, bool available,
                 const std::string& setting, double min, double max, bool higher_is_better, bool integer,
                 std::vector<double> defaults) {
  LegacyCodec codec;
  codec.name = name;
  codec.abbr = abbr;
  codec.library = library;
  codec.available = available;
  if (!available)
    codec.unavailable_reason = skipped(name) ? name + ": left out of this build by NICENERGY_LEGACY_SKIP: "
                                                      "reconfigure without it and rebuild"
                                             : name + ": nicenergy was built without " + library + ": apt install " +
                                                   package + " and rebuild";
  codec.setting = setting;
  codec.setting_min = min;
  codec.setting_max = max;
  codec.higher_is_better = higher_is_better;
  codec.integer_setting = integer;
  codec.default_settings = std::move(defaults);
  return codec;
}

std::vector<LegacyCodec> make_codecs() {
  std::vector<LegacyCodec> codecs;

  // Always compiled in: load_image decodes JPEG with the same library.
  LegacyCodec jpeg = make("jpeg", "JPEG", "libjpeg-turbo", "libjpeg62-turbo-dev", true, "quality", 1, 100, true, true,
                          {10, 30, 50, 75, 90});
  SettingRange jpeg_range{"jpeg", "quality", 1, 100};
  jpeg.encode = [jpeg_range](const Image& image, double q) { return encode_jpeg(image, {whole_setting(jpeg_range, q)}); };
  jpeg.decode = decode_jpeg;
  jpeg.library_version = [] { return std::string("libjpeg-turbo " NICENERGY_STRINGIFY(LIBJPEG_TURBO_VERSION)); };
  codecs.push_back(std::move(jpeg));

#ifdef NICENERGY_WITH_WEBP
  const bool with_webp = true;
#else
  const bool with_webp = false;
#endif
  LegacyCodec webp = make("webp", "WebP", "libwebp", "libwebp-dev", with_webp, "quality", 0, 100, true, true,
                          {10, 30, 50, 75, 90});
  SettingRange webp_range{"webp", "quality", 0, 100};
  webp.encode = [webp_range](const Image& image, double q) { return encode_webp(image, {whole_setting(webp_range, q)}); };
  webp.decode = decode_webp;
  webp.library_version = [] { return std::string("libwebp ") + webp_library_version(); };
  codecs.push_back(std::move(webp));

#ifdef NICENERGY_WITH_AVIF
  const bool with_avif = true;
#else
  const bool with_avif = false;
#endif
  LegacyCodec avif = make("avif", "AVIF", "libavif", "libavif-dev", with_avif, "quantizer", 0, 63, false, true,
                          {50, 40, 30, 20, 10});
  SettingRange avif_range{"avif", "quantizer", 0, 63};
  avif.encode = [avif_range](const Image& image, double q) {
    AvifSettings settings;
    settings.quantizer = whole_setting(avif_range, q);
    return encode_avif(image, settings);
  };
  avif.decode = decode_avif;
  avif.library_version = avif_library_version;
  codecs.push_back(std::move(avif));

#ifdef NICENERGY_WITH_JXL
  const bool with_jxl = true;
#else
  const bool with_jxl = false;
#endif
  // Swept on libjxl's 0..100 quality scale (cjxl -q), so that every codec's
  // setting is a whole number, the results CSV's quality column.
  LegacyCodec jxl = make("jxl", "JPEG-XL", "libjxl", "libjxl-dev", with_jxl, "quality", 1, 99, true, true,
                         {30, 50, 70, 85, 95});
  SettingRange jxl_range{"jxl", "quality", 1, 99};
  jxl.encode = [jxl_range](const Image& image, double q) {
    JxlSettings settings;
    settings.distance = jxl_distance_from_quality(whole_setting(jxl_range, q));
    return encode_jxl(image, settings);
  };
  jxl.decode = decode_jxl;
  jxl.library_version = [] { return std::string("libjxl ") + jxl_library_version(); };
  codecs.push_back(std::move(jxl));

#ifdef NICENERGY_WITH_HEIF
  const bool with_heif = true;
#else
  const bool with_heif = false;
#endif
  // libheif's scale is steep (about 2 bpp at 50, 6.5 at 90 on kodim01): the
  // sweep stays in the others' range of rates.
  LegacyCodec heic = make("heic", "HEIC", "libheif", "libheif-dev", with_heif, "quality", 0, 100, true, true,
                          {10, 20, 30, 40, 50});
  SettingRange heic_range{"heic", "quality", 0, 100};
  heic.encode = [heic_range](const Image& image, double q) { return encode_heic(image, {whole_setting(heic_range, q)}); };
  heic.decode = decode_heic;
  heic.library_version = heic_library_version;
  codecs.push_back(std::move(heic));

#ifdef NICENERGY_WITH_OPENJP2
  const bool with_openjp2 = true;
#else
  const bool with_openjp2 = false;
#endif
  LegacyCodec jpeg2000 = make("jpeg2000", "JPEG-2000", "OpenJPEG", "libopenjp2-7-dev", with_openjp2, "compression_ratio", 2, 1000,
                              false, true, {160, 80, 40, 20, 10});
  SettingRange jpeg2000_range{"jpeg2000", "compression_ratio", 2, 1000};
  jpeg2000.encode = [jpeg2000_range](const Image& image, double ratio) {
    return encode_jpeg2000(image, {static_cast<double>(whole_setting(jpeg2000_range, ratio))});
  };
  jpeg2000.decode = decode_jpeg2000;
  jpeg2000.library_version = [] { return std::string("OpenJPEG ") + jpeg2000_library_version(); };
  codecs.push_back(std::move(jpeg2000));

  // An unavailable codec's encode and decode throw its reason, not the stub's
  // message, and it reports no version.
  for (LegacyCodec& codec : codecs) {
    if (codec.available) continue;
    const std::string reason = codec.unavailable_reason;
    codec.encode = [reason](const Image&, double) -> std::vector<uint8_t> { throw Error(reason); };
    codec.decode = [reason](const std::vector<uint8_t>&) -> Image { throw Error(reason); };
    codec.library_version = [] { return std::string(); };
  }
  return codecs;
}

}  // namespace

const std::vector<LegacyCodec>& legacy_codecs() {
  static const std::vector<LegacyCodec> codecs = make_codecs();
  return codecs;
}

const LegacyCodec& legacy_codec(const std::string& name) {
  std::string known;
  for (const LegacyCodec& codec : legacy_codecs()) {
    if (codec.name == name) return codec;
    known += (known.empty() ? "" : ", ") + codec.name;
  }
  throw Error("legacy codec '" + name + "' is unknown: give one of " + known);
}

const LegacyCodec* find_legacy_codec(const std::string& name_or_abbr) {
  auto lower = [](std::string text) {
    for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
  };
  const std::string wanted = lower(name_or_abbr);
  for (const LegacyCodec& codec : legacy_codecs())
    if (wanted == codec.name || wanted == lower(codec.abbr)) return &codec;
  return nullptr;
}

std::string legacy_codec_names() {
  std::string names;
  for (const LegacyCodec& codec : legacy_codecs()) names += (names.empty() ? "" : ", ") + codec.name;
  return names;
}

}  // namespace nicenergy
