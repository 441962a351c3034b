// The classic codecs through their Debian libraries (src/legacy): WebP, AVIF,
// JPEG XL, HEIC and JPEG 2000 beside JPEG, by name through the registry. Real bitstreams
// of a Kodak photograph, their rate and distortion, and the errors. A codec
// whose library was not found at build time is skipped, saying why.
#include <gtest/gtest.h>

#include <string>
#include <tuple>
#include <vector>

#include "error.h"
#include "image/image.h"
#include "legacy/avif_codec.h"
#include "legacy/heic_codec.h"
#include "legacy/jpeg2000_codec.h"
#include "legacy/jxl_codec.h"
#include "legacy/legacy_codecs.h"
#include "legacy/webp_codec.h"
#include "quality/bits_per_pixel.h"
#include "quality/psnr.h"
#include "test_util.h"

using namespace nicenergy;
using test_util::error_of;
using test_util::kodak_image;

namespace {

// What CMake compiled in (the same definitions as the library's).
bool compiled_in(const std::string& name) {
  if (name == "jpeg") return true;
#ifdef NICENERGY_WITH_WEBP
  if (name == "webp") return true;
#endif
#ifdef NICENERGY_WITH_AVIF
  if (name == "avif") return true;
#endif
#ifdef NICENERGY_WITH_JXL
  if (name == "jxl") return true;
#endif
#ifdef NICENERGY_WITH_HEIF
  if (name == "heic") return true;
#endif
#ifdef NICENERGY_WITH_OPENJP2
  if (name == "jpeg2000") return true;
#endif
  return false;
}

struct RoundTrip {
  std::vector<uint8_t> bitstream;
  Image decoded;
  double bpp = 0;
  double psnr_db = 0;
};

RoundTrip round_trip(const LegacyCodec& codec, const Image& image, double setting) {
  RoundTrip r;
  r.bitstream = codec.encode(image, setting);
  r.decoded = codec.decode(r.bitstream);
  r.bpp = bits_per_pixel(r.bitstream.size(), image.width, image.height);
  r.psnr_db = psnr_db(image, r.decoded);
  return r;
}

bool starts_with(const std::vector<uint8_t>& bytes, size_t at, const std::string& text) {
  return bytes.size() >= at + text.size() && std::string(bytes.begin() + at, bytes.begin() + at + text.size()) == text;
}

// The file format each library should have written.
void expect_format(const std::string& name, const std::vector<uint8_t>& b) {
  if (name == "jpeg") {
    EXPECT_TRUE(starts_with(b, 0, "\xff\xd8\xff"));
  } else if (name == "webp") {
    EXPECT_TRUE(starts_with(b, 0, "RIFF") && starts_with(b, 8, "WEBPVP8 "));  // lossy VP8
  } else if (name == "avif") {
    EXPECT_TRUE(starts_with(b, 4, "ftypavif"));
  } else if (name == "jxl") {
    EXPECT_TRUE(starts_with(b, 0, "\xff\x0a"));  // bare codestream
  } else if (name == "heic") {
    EXPECT_TRUE(starts_with(b, 4, "ftypheic"));
  } else if (name == "jpeg2000") {
    EXPECT_TRUE(starts_with(b, 0, "\xff\x4f\xff\x51"));  // SOC, SIZ: a raw J2K codestream
  } else {
    ADD_FAILURE() << "no format check for " << name;
  }
}

class LegacyCodecs : public ::testing::TestWithParam<std::string> {
 protected:
  const LegacyCodec& codec() {
    const LegacyCodec& c = legacy_codec(GetParam());
    return c;
  }
};

}  // namespace

TEST_P(LegacyCodecs, RoundTripsKodim01AtTwoSettings) {
  const LegacyCodec& c = codec();
  if (!c.available) GTEST_SKIP() << c.unavailable_reason;
  const Image image = kodak_image("kodim01.png");
  // A low and a high quality from the codec's own sweep.
  ASSERT_GE(c.default_settings.size(), 4u);
  const RoundTrip low = round_trip(c, image, c.default_settings[1]);
  const RoundTrip high = round_trip(c, image, c.default_settings[c.default_settings.size() - 1]);
  for (const RoundTrip* r : {&low, &high}) {
    EXPECT_EQ(r->decoded.width, image.width);
    EXPECT_EQ(r->decoded.height, image.height);
    expect_format(c.name, r->bitstream);
    EXPECT_NE(r->decoded.rgb, image.rgb);  // lossy
  }
  // Plausible for this detailed photograph: well under raw RGB's 24 bpp, a
  // visibly coded low point and a good high point.
  EXPECT_GT(low.bpp, 0.1) << c.name;
  EXPECT_LT(low.bpp, 3.0) << c.name;
  EXPECT_GT(low.psnr_db, 22.0) << c.name;
  EXPECT_LT(low.psnr_db, 36.0) << c.name;
  EXPECT_GT(high.bpp, 1.0) << c.name;
  EXPECT_LT(high.bpp, 8.0) << c.name;
  EXPECT_GT(high.psnr_db, 30.0) << c.name;
  EXPECT_LT(high.psnr_db, 50.0) << c.name;
  // Higher quality costs bits and buys fidelity.
  EXPECT_GT(high.bpp, low.bpp) << c.name;
  EXPECT_GT(high.psnr_db, low.psnr_db) << c.name;
}

TEST_P(LegacyCodecs, RateAndPsnrFollowTheWholeSweep) {
  const LegacyCodec& c = codec();
  if (!c.available) GTEST_SKIP() << c.unavailable_reason;
  // A smaller crop keeps the slow encoders quick; kodim04 has a face and flat areas.
  Image full = kodak_image("kodim04.png");
  Image image;
  image.width = 256;
  image.height = 192;
  for (int y = 0; y < image.height; ++y)
    image.rgb.insert(image.rgb.end(), full.rgb.begin() + (static_cast<size_t>(y + 200) * full.width + 200) * 3,
                     full.rgb.begin() + (static_cast<size_t>(y + 200) * full.width + 200 + image.width) * 3);
  RoundTrip previous = round_trip(c, image, c.default_settings.front());
  for (size_t i = 1; i < c.default_settings.size(); ++i) {
    const RoundTrip r = round_trip(c, image, c.default_settings[i]);
    EXPECT_GT(r.bpp, previous.bpp) << c.name << " " << c.setting << " " << c.default_settings[i];
    EXPECT_GT(r.psnr_db, previous.psnr_db) << c.name << " " << c.setting << " " << c.default_settings[i];
    previous = r;
  }
}

TEST_P(LegacyCodecs, KeepsOddSizesThroughChromaSubsampling) {
  const LegacyCodec& c = codec();
  if (!c.available) GTEST_SKIP() << c.unavailable_reason;
  // 4:2:0 codecs pad odd sides to whole chroma samples and must crop back.
  const Image full = kodak_image("kodim01.png");
  Image image;
  image.width = 333;
  image.height = 201;
  for (int y = 0; y < image.height; ++y)
    image.rgb.insert(image.rgb.end(), full.rgb.begin() + static_cast<size_t>(y) * full.width * 3,
                     full.rgb.begin() + (static_cast<size_t>(y) * full.width + image.width) * 3);
  const RoundTrip r = round_trip(c, image, c.default_settings[3]);
  EXPECT_EQ(r.decoded.width, 333);
  EXPECT_EQ(r.decoded.height, 201);
  EXPECT_GT(r.psnr_db, 25.0) << c.name;  // aligned, not shifted or garbled
}

TEST_P(LegacyCodecs, RefusesCorruptBitstreamsInOneLine) {
  const LegacyCodec& c = codec();
  if (!c.available) GTEST_SKIP() << c.unavailable_reason;
  const Image image = kodak_image("kodim01.png");
  std::vector<uint8_t> bitstream = c.encode(image, c.default_settings[2]);
  const std::vector<std::vector<uint8_t>> bad = {
      {},                                                          // nothing
      {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13},  // another format
      std::vector<uint8_t>(bitstream.begin(), bitstream.begin() + bitstream.size() / 2),  // truncated
  };
  for (const std::vector<uint8_t>& bytes : bad) {
    const std::string message = error_of([&] { c.decode(bytes); });
    EXPECT_NE(message, "(no error)") << c.name << ", " << bytes.size() << " bytes";
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

TEST_P(LegacyCodecs, RefusesSettingsOutsideTheRangeNamingTheSetting) {
  const LegacyCodec& c = codec();
  if (!c.available) GTEST_SKIP() << c.unavailable_reason;
  const Image image = kodak_image("kodim01.png");
  const double step = c.integer_setting ? 1.0 : 0.05;
  for (double setting : {c.setting_min - step, c.setting_max + step}) {
    const std::string message = error_of([&] { c.encode(image, setting); });
    EXPECT_NE(message.find(c.setting), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
  if (c.integer_setting) {
    const std::string message = error_of([&] { c.encode(image, c.default_settings[2] + 0.5); });
    EXPECT_NE(message.find("is not a whole number"), std::string::npos) << message;
  }
}

INSTANTIATE_TEST_SUITE_P(Each, LegacyCodecs, ::testing::Values("jpeg", "webp", "avif", "jxl", "heic", "jpeg2000"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

TEST(LegacyCodecRegistry, ListsWhatWasCompiledInAndWhyNot) {
  std::vector<std::string> names;
  for (const LegacyCodec& c : legacy_codecs()) {
    names.push_back(c.name);
    EXPECT_EQ(c.available, compiled_in(c.name)) << c.name;
    EXPECT_LT(c.setting_min, c.setting_max) << c.name;
    ASSERT_FALSE(c.default_settings.empty()) << c.name;
    for (double s : c.default_settings) {
      EXPECT_GE(s, c.setting_min) << c.name;
      EXPECT_LE(s, c.setting_max) << c.name;
    }
    if (c.available) {
      EXPECT_TRUE(c.unavailable_reason.empty()) << c.name;
      EXPECT_NE(c.library_version().find_first_of("0123456789"), std::string::npos) << c.library_version();
    } else {
      // The library missing, or left out by CMake's NICENERGY_LEGACY_SKIP: each says what to do.
      const bool missing = c.unavailable_reason.find("built without " + c.library) != std::string::npos &&
                           c.unavailable_reason.find("apt install") != std::string::npos;
      const bool skipped = c.unavailable_reason.find("NICENERGY_LEGACY_SKIP") != std::string::npos;
      EXPECT_TRUE(missing || skipped) << c.unavailable_reason;
      EXPECT_EQ(error_of([&] { c.encode(kodak_image(), c.default_settings[0]); }), c.unavailable_reason);
      EXPECT_EQ(c.library_version(), "");
    }
  }
  EXPECT_EQ(names, (std::vector<std::string>{"jpeg", "webp", "avif", "jxl", "heic", "jpeg2000"}));
  const std::string unknown = error_of([] { legacy_codec("jpeg2001"); });
  EXPECT_NE(unknown.find("legacy codec 'jpeg2001' is unknown"), std::string::npos) << unknown;
  EXPECT_NE(unknown.find("jpeg, webp, avif, jxl, heic, jpeg2000"), std::string::npos) << unknown;
}

// The libraries' own settings structs, beside the registry's single setting.
TEST(LegacyCodecSettings, EachEncoderNamesTheSettingItRefuses) {
  const Image image = kodak_image("kodim01.png");
  struct Case {
    bool available;
    std::function<void()> encode;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {compiled_in("webp"), [&] { encode_webp(image, {101}); }, "WebP quality 101 is outside 0..100"},
      {compiled_in("webp"), [&] { encode_webp(image, {-1}); }, "WebP quality -1 is outside 0..100"},
      {compiled_in("avif"), [&] { encode_avif(image, {64, 6}); }, "AVIF quantizer 64 is outside 0..63"},
      {compiled_in("avif"), [&] { encode_avif(image, {30, 11}); }, "AVIF speed 11 is outside 0..10"},
      {compiled_in("jxl"), [&] { encode_jxl(image, {0.0, 7}); }, "JPEG XL distance 0 is outside 0.1..25"},
      {compiled_in("jxl"), [&] { encode_jxl(image, {1.0, 10}); }, "JPEG XL effort 10 is outside 1..9"},
      {compiled_in("heic"), [&] { encode_heic(image, {101}); }, "HEIC quality 101 is outside 0..100"},
      {compiled_in("jpeg2000"), [&] { encode_jpeg2000(image, {1.5}); },
       "JPEG 2000 compression_ratio 1.5 is outside 2..1000"},
  };
  int checked = 0;
  for (const Case& c : cases) {
    if (!c.available) continue;
    const std::string message = error_of(c.encode);
    EXPECT_NE(message.find(c.expected), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    ++checked;
  }
  if (checked == 0) GTEST_SKIP() << "no codec beyond JPEG was compiled in";
}

TEST(LegacyCodecSettings, EncodersRefuseImagesWithoutPixels) {
  const Image empty;
  int checked = 0;
  for (const LegacyCodec& c : legacy_codecs()) {
    if (!c.available) continue;
    const std::string message = error_of([&] { c.encode(empty, c.default_settings[2]); });
    EXPECT_NE(message.find("has no pixels"), std::string::npos) << c.name << ": " << message;
    ++checked;
  }
  EXPECT_GE(checked, 1);  // JPEG at least
}

// cjxl's quality scale: 90 is distance 1 ("visually lossless"), the two pieces
// meet at 30, and lower quality is a longer distance.
TEST(LegacyCodecSettings, JxlQualityMapsToButteraugliDistance) {
  EXPECT_NEAR(jxl_distance_from_quality(90), 1.0, 1e-12);
  EXPECT_NEAR(jxl_distance_from_quality(30), 6.4, 1e-12);
  EXPECT_NEAR(jxl_distance_from_quality(29), 53.0 / 3000.0 * 29 * 29 - 23.0 / 20.0 * 29 + 25.0, 1e-12);
  for (int q = 2; q <= 99; ++q) EXPECT_LT(jxl_distance_from_quality(q), jxl_distance_from_quality(q - 1)) << q;
  EXPECT_GT(jxl_distance_from_quality(1), 20.0);
  EXPECT_NE(error_of([] { jxl_distance_from_quality(100); }).find("jxl quality 100 is outside 1..99"), std::string::npos);
}

// The refusal of the sizes libjxl 0.7 crashes on is narrow: the neighbours of
// the crashing box (one block wider, a row shorter or taller, a quality past
// the distance range) still encode and decode. (The refusal itself is tested
// through the CLI, in a child process, in test_legacy_measurement.cpp.)
TEST(LegacyCodecSettings, JxlRefusesOnlyTheBoxLibjxl07CrashesIn) {
  if (!compiled_in("jxl")) GTEST_SKIP() << "built without libjxl";
  if (jxl_library_version().rfind("0.7.", 0) != 0) GTEST_SKIP() << "libjxl " << jxl_library_version() << " is not 0.7";
  auto image = [](int width, int height) {
    Image im;
    im.width = width;
    im.height = height;
    for (int i = 0; i < 3 * width * height; ++i) im.rgb.push_back(static_cast<uint8_t>((i * 37) % 251));
    return im;
  };
  const double q30 = jxl_distance_from_quality(30);
  for (const auto& [w, h, distance] : std::vector<std::tuple<int, int, double>>{
           {9, 2049, q30}, {25, 3000, q30}, {1, 2048, q30}, {24, 4105, q30}, {2049, 1, q30},
           {1, 2049, jxl_distance_from_quality(52)}, {1, 2049, jxl_distance_from_quality(4)}}) {
    const Image decoded = decode_jxl(encode_jxl(image(w, h), {distance, 7}));
    EXPECT_EQ(decoded.width, w);
    EXPECT_EQ(decoded.height, h);
  }
  EXPECT_NE(error_of([&] { encode_jxl(image(17, 4104), {q30, 7}); }).find("crashes on a 17x4104 image"), std::string::npos);
  EXPECT_NO_THROW(encode_jxl(image(1, 2049), {q30, 3}));  // effort 3 does not crash
}
