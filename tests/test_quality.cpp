// Distortion measures (src/quality): PSNR against its closed form, MS-SSIM's
// fixed point and its response to noise, bits per pixel, and their errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "error.h"
#include "image/image.h"
#include "protocol/record_rate_distortion.h"
#include "protocol/results_csv.h"
#include "quality/bits_per_pixel.h"
#include "quality/ms_ssim.h"
#include "quality/psnr.h"
#include "quality/rate_distortion.h"
#include "test_util.h"

using namespace nicenergy;
using test_util::error_of;
using test_util::kodak_crop;
using test_util::kodak_image;
using test_util::TempDir;

namespace {

// The image with zero-mean Gaussian noise of the given deviation, rounded and
// clipped to 0..255; a fixed seed keeps the test deterministic.
Image with_noise(const Image& image, double sigma, unsigned seed = 17) {
  std::mt19937 random(seed);
  std::normal_distribution<double> noise(0.0, sigma);
  Image out = image;
  for (uint8_t& v : out.rgb) v = static_cast<uint8_t>(std::clamp(std::lround(v + noise(random)), 0L, 255L));
  return out;
}

Image cropped(const Image& image, int width, int height) {
  Image out{width, height, {}};
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width * 3; ++x) out.rgb.push_back(image.rgb[(static_cast<size_t>(y) * image.width) * 3 + x]);
  return out;
}

}  // namespace

TEST(Psnr, IdenticalImagesAreInfinite) {
  const Image image = kodak_image();
  EXPECT_EQ(mean_squared_error(image, image), 0.0);
  EXPECT_EQ(psnr_db(image, image), std::numeric_limits<double>::infinity());
}

TEST(Psnr, KnownPerturbationMatchesTheClosedForm) {
  const Image image = kodak_image();
  // Every 7th sample moves by 3 levels, away from the nearer end of 0..255 so
  // nothing clips: MSE = 9 x changed / all, exactly.
  Image changed = image;
  size_t count = 0;
  for (size_t i = 0; i < changed.rgb.size(); i += 7, ++count)
    changed.rgb[i] = static_cast<uint8_t>(changed.rgb[i] >= 128 ? changed.rgb[i] - 3 : changed.rgb[i] + 3);
  const double mse = 9.0 * count / image.rgb.size();
  EXPECT_DOUBLE_EQ(mean_squared_error(image, changed), mse);
  EXPECT_NEAR(psnr_db(image, changed), 10 * std::log10(255.0 * 255.0 / mse), 1e-12);
  // Symmetric in its arguments.
  EXPECT_DOUBLE_EQ(psnr_db(changed, image), psnr_db(image, changed));
}

TEST(Psnr, FallsWithNoise) {
  const Image image = kodak_image();
  double previous = std::numeric_limits<double>::infinity();
  for (double sigma : {1.0, 3.0, 8.0, 20.0}) {
    const double psnr = psnr_db(image, with_noise(image, sigma));
    EXPECT_LT(psnr, previous) << "sigma " << sigma;
    // Gaussian noise of deviation sigma (before clipping) gives about 20 log10(255 / sigma).
    EXPECT_NEAR(psnr, 20 * std::log10(255.0 / sigma), 1.0) << "sigma " << sigma;
    previous = psnr;
  }
}

TEST(Psnr, RefusesMismatchedOrEmptyImages) {
  const Image image = kodak_image();
  const Image smaller = cropped(image, 200, 200);
  EXPECT_NE(error_of([&] { psnr_db(image, smaller); }).find("decoded image is 200x200 but the reference is " +
                                                           std::to_string(image.width) + "x" +
                                                           std::to_string(image.height)),
            std::string::npos);
  EXPECT_NE(error_of([&] { psnr_db(Image{}, image); }).find("reference image (0x0) has no pixels"), std::string::npos);
  Image broken = image;
  broken.rgb.pop_back();
  EXPECT_NE(error_of([&] { mean_squared_error(image, broken); }).find("not width x height x 3"), std::string::npos);
}

TEST(MsSsim, IdenticalImagesGiveOne) {
  const Image image = kodak_image();
  EXPECT_DOUBLE_EQ(ms_ssim(image, image), 1.0);
  EXPECT_DOUBLE_EQ(ms_ssim(image, image, MsSsimChannels::luma), 1.0);
  EXPECT_EQ(ms_ssim_db(1.0), std::numeric_limits<double>::infinity());
}

TEST(MsSsim, FallsMonotonicallyWithNoise) {
  const Image image = kodak_image("kodim03.png");
  for (MsSsimChannels channels : {MsSsimChannels::rgb_mean, MsSsimChannels::luma}) {
    double previous = 1.0;
    for (double sigma : {2.0, 5.0, 12.0, 30.0}) {
      const double value = ms_ssim(image, with_noise(image, sigma), channels);
      EXPECT_LT(value, previous) << "sigma " << sigma;
      EXPECT_GT(value, 0.0) << "sigma " << sigma;
      previous = value;
    }
  }
}

TEST(MsSsim, DecibelsFollowTheDefinition) {
  EXPECT_NEAR(ms_ssim_db(0.99), 20.0, 1e-12);
  EXPECT_NEAR(ms_ssim_db(0.9), 10.0, 1e-12);
}

TEST(MsSsim, HandlesOddSidesAndRefusesSmallImages) {
  const Image image = kodak_image();
  // 333x201: every halving meets an odd side, the padded path.
  const Image odd = cropped(image, 333, 201);
  const double value = ms_ssim(odd, with_noise(odd, 5.0));
  EXPECT_GT(value, 0.5);
  EXPECT_LT(value, 1.0);
  EXPECT_DOUBLE_EQ(ms_ssim(odd, odd), 1.0);
  const Image small = cropped(image, 300, 160);
  EXPECT_NE(error_of([&] { ms_ssim(small, small); }).find("at least 161 pixels"), std::string::npos);
  EXPECT_NE(error_of([&] { ms_ssim(image, odd); }).find("MS-SSIM: the decoded image is 333x201"), std::string::npos);
}

TEST(BitsPerPixel, CountsWholeBytes) {
  EXPECT_DOUBLE_EQ(bits_per_pixel(49152, 768, 512), 1.0);
  EXPECT_DOUBLE_EQ(bits_per_pixel(3, 2, 3), 4.0);
  EXPECT_NE(error_of([] { bits_per_pixel(10, 0, 5); }).find("has no pixels"), std::string::npos);
}

// A codec that reconstructs exactly (a flat image through a lossless path) has
// an infinite PSNR; its campaign row must still read back, or the campaign
// could never resume past it.
TEST(RateDistortion, LosslessReconstructionLeavesPsnrEmptyAndTheRowReadsBack) {
  const Image image = kodak_crop();
  MeasurementRecord record;
  record.network = "jpeg";
  record.abbr = "jpeg";
  record.level = "q95";
  record.image = "kodim01 crop";
  record.width = record.height = 64;
  record.pixels = 64 * 64;
  record.energy_j = 0.5;
  record.energy_ci_j = 0.01;
  record.k = 3;
  record.m = 10;
  record.duration_s = 0.01;
  record.meter = record.method = "estimate";
  fill_rate_distortion(record, rate_distortion(1234, image, image));
  EXPECT_FALSE(record.psnr_db.has_value());
  EXPECT_NE(record.warnings.find("PSNR is infinite"), std::string::npos) << record.warnings;
  const TempDir dir("rd");
  const std::string csv = dir.file("results.csv");
  write_header(csv);
  append_record(csv, record);
  const std::vector<MeasurementRecord> back = read_results(csv);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_FALSE(back[0].psnr_db.has_value());
  EXPECT_NEAR(*back[0].bpp, 1234 * 8.0 / (64 * 64), 1e-9);
}
