#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "error.h"
#include "image/image.h"

using namespace nicenergy;

static std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("nicenergy_image_" + std::to_string(::getpid()) + "_" + name)).string();
}

TEST(Image, LoadsShippedKodakImage) {
  Image image = load_image("data/images/kodim01.png");
  EXPECT_EQ(image.width, 500);
  EXPECT_EQ(image.height, 500);
  ASSERT_EQ(image.rgb.size(), 500u * 500u * 3u);
  // A natural photograph: many distinct values, not a constant.
  std::set<uint8_t> values(image.rgb.begin(), image.rgb.end());
  EXPECT_GT(values.size(), 100u);
  EXPECT_EQ(image_info("data/images/kodim01.png").width, 500);
}

TEST(Image, PngRoundTrip) {
  Image image{5, 3, {}};
  for (int i = 0; i < 5 * 3 * 3; ++i) image.rgb.push_back(static_cast<uint8_t>(i * 17));
  const std::string path = temp_path("round.png");
  save_png(image, path);
  Image back = load_image(path);
  EXPECT_EQ(back.width, 5);
  EXPECT_EQ(back.rgb, image.rgb);
  std::filesystem::remove(path);
}

TEST(Image, BadFilesGiveClearErrors) {
  const std::string corrupt = temp_path("corrupt.png");
  std::ofstream(corrupt) << "\x89PNG\r\n\x1a\n not really";
  try {
    load_image(corrupt);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(corrupt), std::string::npos);
  }
  EXPECT_THROW(load_image(temp_path("missing.png")), Error);
  EXPECT_THROW(load_image(std::filesystem::temp_directory_path().string()), Error);
  EXPECT_THROW(image_info(corrupt), Error);
  std::filesystem::remove(corrupt);
}

TEST(Image, ResizeAndMosaic) {
  Image a = load_image("data/images/kodim01.png");
  Image b = load_image("data/images/kodim02.png");
  Image r = resize_image(a, 768, 512);
  EXPECT_EQ(r.width, 768);
  EXPECT_EQ(r.rgb.size(), 768u * 512u * 3u);
  // Resizing to the same size changes nothing.
  EXPECT_EQ(resize_image(a, 500, 500).rgb, a.rgb);
  Image m = mosaic_images({a, b}, 1200, 700);
  EXPECT_EQ(m.width, 1200);
  EXPECT_EQ(m.height, 700);
  // First tile is a verbatim copy of the first source; the second is b mirrored.
  EXPECT_EQ(m.rgb[0], a.rgb[0]);
  EXPECT_EQ(m.rgb[(0 * 1200 + 500) * 3], b.rgb[(0 * 500 + 499) * 3]);
  EXPECT_THROW(mosaic_images({}, 10, 10), Error);
}

TEST(Image, SizesAndFolders) {
  EXPECT_EQ(parse_size("768x512").width, 768);
  EXPECT_EQ(parse_size("2048X1366").height, 1366);
  EXPECT_THROW(parse_size("768"), Error);
  EXPECT_THROW(parse_size("0x5"), Error);
  EXPECT_THROW(parse_size("-3x5"), Error);
  auto files = list_images("data/images");
  ASSERT_GE(files.size(), 4u);
  EXPECT_TRUE(std::is_sorted(files.begin(), files.end()));
  EXPECT_THROW(list_images("data/no_such_folder"), Error);
}
