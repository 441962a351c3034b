// JPEG through libjpeg-turbo as a classic codec (src/legacy/jpeg_codec): real
// bitstreams of a Kodak photograph, their rate and distortion, and the errors.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "error.h"
#include "image/image.h"
#include "legacy/jpeg_codec.h"
#include "quality/bits_per_pixel.h"
#include "quality/ms_ssim.h"
#include "quality/psnr.h"
#include "test_util.h"

using namespace nicenergy;
using test_util::error_of;
using test_util::kodak_image;

namespace {

struct RoundTrip {
  std::vector<uint8_t> bitstream;
  Image decoded;
  double bpp = 0;
  double psnr_db = 0;
};

RoundTrip round_trip(const Image& image, int quality, JpegSubsampling subsampling = JpegSubsampling::s420) {
  RoundTrip r;
  r.bitstream = encode_jpeg(image, {quality, subsampling});
  r.decoded = decode_jpeg(r.bitstream);
  r.bpp = bits_per_pixel(r.bitstream.size(), image.width, image.height);
  r.psnr_db = psnr_db(image, r.decoded);
  return r;
}

}  // namespace

TEST(LegacyJpeg, RoundTripsKodim01AtTwoQualities) {
  const Image image = kodak_image("kodim01.png");
  const RoundTrip q50 = round_trip(image, 50);
  const RoundTrip q90 = round_trip(image, 90);
  for (const RoundTrip* r : {&q50, &q90}) {
    EXPECT_EQ(r->decoded.width, image.width);
    EXPECT_EQ(r->decoded.height, image.height);
    // A whole JFIF file: start-of-image and end-of-image markers.
    ASSERT_GE(r->bitstream.size(), 4u);
    EXPECT_EQ(r->bitstream[0], 0xff);
    EXPECT_EQ(r->bitstream[1], 0xd8);
    EXPECT_EQ(r->bitstream[r->bitstream.size() - 2], 0xff);
    EXPECT_EQ(r->bitstream.back(), 0xd9);
    EXPECT_NE(r->decoded.rgb, image.rgb);  // lossy
  }
  // Plausible for this detailed photograph: well under the 24 bpp of raw RGB,
  // and PSNRs of a visible-but-usable (q50) and a good (q90) JPEG.
  EXPECT_GT(q50.bpp, 0.5);
  EXPECT_LT(q50.bpp, 3.0);
  EXPECT_GT(q50.psnr_db, 25.0);
  EXPECT_LT(q50.psnr_db, 36.0);
  EXPECT_GT(q90.bpp, 1.5);
  EXPECT_LT(q90.bpp, 8.0);
  EXPECT_GT(q90.psnr_db, 30.0);
  EXPECT_LT(q90.psnr_db, 45.0);
  // Higher quality costs bits and buys fidelity.
  EXPECT_GT(q90.bpp, q50.bpp);
  EXPECT_GT(q90.psnr_db, q50.psnr_db);
  EXPECT_GT(ms_ssim(image, q90.decoded), ms_ssim(image, q50.decoded));
}

TEST(LegacyJpeg, RateAndPsnrRiseWithQualityOnAnotherImage) {
  const Image image = kodak_image("kodim04.png");
  RoundTrip previous = round_trip(image, 10);
  for (int quality : {30, 60, 85, 95}) {
    const RoundTrip r = round_trip(image, quality);
    EXPECT_GT(r.bpp, previous.bpp) << "q" << quality;
    EXPECT_GT(r.psnr_db, previous.psnr_db) << "q" << quality;
    previous = r;
  }
}

TEST(LegacyJpeg, FullChromaCostsMoreBitsThanSubsampled) {
  const Image image = kodak_image("kodim03.png");
  const RoundTrip s420 = round_trip(image, 90, JpegSubsampling::s420);
  const RoundTrip s422 = round_trip(image, 90, JpegSubsampling::s422);
  const RoundTrip s444 = round_trip(image, 90, JpegSubsampling::s444);
  EXPECT_LT(s420.bitstream.size(), s422.bitstream.size());
  EXPECT_LT(s422.bitstream.size(), s444.bitstream.size());
  EXPECT_GT(s444.psnr_db, s420.psnr_db);
}

TEST(LegacyJpeg, EncodingIsDeterministic) {
  const Image image = kodak_image("kodim02.png");
  EXPECT_EQ(encode_jpeg(image, {75, JpegSubsampling::s420}), encode_jpeg(image, {75, JpegSubsampling::s420}));
}

TEST(LegacyJpeg, RefusesBadSettingsImagesAndBitstreams) {
  const Image image = kodak_image();
  EXPECT_NE(error_of([&] { encode_jpeg(image, {0}); }).find("JPEG quality 0 is outside 1..100"), std::string::npos);
  EXPECT_NE(error_of([&] { encode_jpeg(image, {101}); }).find("JPEG quality 101"), std::string::npos);
  EXPECT_NE(error_of([] { encode_jpeg(Image{}); }).find("has no pixels"), std::string::npos);

  std::vector<uint8_t> bitstream = encode_jpeg(image, {50});
  EXPECT_NE(error_of([] { decode_jpeg({0x89, 'P', 'N', 'G'}); }).find("does not start with a JPEG marker"),
            std::string::npos);
  bitstream.resize(bitstream.size() / 2);  // truncated: refused, not patched with grey
  const std::string truncated = error_of([&] { decode_jpeg(bitstream); });
  EXPECT_NE(truncated.find("JPEG bitstream in memory"), std::string::npos) << truncated;
  EXPECT_EQ(truncated.find('\n'), std::string::npos);
}
