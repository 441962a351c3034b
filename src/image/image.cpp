#include "image/image.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <regex>

#include "error.h"

#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#include <stb/stb_image.h>
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb/stb_image_write.h>

namespace nicenergy {

static void check_readable(const std::string& path) {
  if (!std::filesystem::exists(path))
    throw Error("image '" + path + "' does not exist: give the path of a PNG or JPEG file");
  if (std::filesystem::is_directory(path))
    throw Error("image '" + path + "' is a folder: give the path of a PNG or JPEG file");
}

Image load_image(const std::string& path) {
  check_readable(path);
  int width = 0, height = 0, channels = 0;
  stbi_uc* pixels = stbi_load(path.c_str(), &width, &height, &channels, 3);
  if (pixels == nullptr)
    throw Error("image '" + path + "' cannot be decoded (" + stbi_failure_reason() +
                "): give an intact PNG or JPEG file");
  Image image;
  image.width = width;
  image.height = height;
  image.rgb.assign(pixels, pixels + static_cast<size_t>(width) * height * 3);
  stbi_image_free(pixels);
  return image;
}

ImageInfo image_info(const std::string& path) {
  check_readable(path);
  int width = 0, height = 0, channels = 0;
  if (!stbi_info(path.c_str(), &width, &height, &channels))
    throw Error("image '" + path + "' is not a readable PNG or JPEG (" + stbi_failure_reason() + ")");
  return {width, height};
}

void save_png(const Image& image, const std::string& path) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent);
  if (!stbi_write_png(path.c_str(), image.width, image.height, 3, image.rgb.data(), image.width * 3))
    throw Error("cannot write PNG '" + path + "': check that its folder is writable");
}

Image resize_image(const Image& image, int width, int height) {
  if (width <= 0 || height <= 0) throw Error("cannot resize to " + std::to_string(width) + "x" + std::to_string(height));
  Image out{width, height, std::vector<uint8_t>(static_cast<size_t>(width) * height * 3)};
  // Bilinear with pixel centres aligned (the usual half-pixel convention).
  const double sx = static_cast<double>(image.width) / width;
  const double sy = static_cast<double>(image.height) / height;
  for (int y = 0; y < height; ++y) {
    const double fy = std::clamp((y + 0.5) * sy - 0.5, 0.0, image.height - 1.0);
    const int y0 = static_cast<int>(fy), y1 = std::min(y0 + 1, image.height - 1);
    const double wy = fy - y0;
    for (int x = 0; x < width; ++x) {
      const double fx = std::clamp((x + 0.5) * sx - 0.5, 0.0, image.width - 1.0);
      const int x0 = static_cast<int>(fx), x1 = std::min(x0 + 1, image.width - 1);
      const double wx = fx - x0;
      for (int c = 0; c < 3; ++c) {
        auto at = [&](int yy, int xx) { return image.rgb[(static_cast<size_t>(yy) * image.width + xx) * 3 + c]; };
        const double v = (1 - wy) * ((1 - wx) * at(y0, x0) + wx * at(y0, x1)) +
                         wy * ((1 - wx) * at(y1, x0) + wx * at(y1, x1));
        out.rgb[(static_cast<size_t>(y) * width + x) * 3 + c] = static_cast<uint8_t>(std::lround(v));
      }
    }
  }
  return out;
}

Image mosaic_images(const std::vector<Image>& sources, int width, int height) {
  if (sources.empty()) throw Error("mosaic needs at least one source image");
  if (width <= 0 || height <= 0) throw Error("cannot make a mosaic of " + std::to_string(width) + "x" + std::to_string(height));
  Image out{width, height, std::vector<uint8_t>(static_cast<size_t>(width) * height * 3)};
  size_t next = 0;
  for (int ty = 0, row = 0; ty < height; ++row) {
    int tile_height = 0;
    for (int tx = 0, col = 0; tx < width; ++col) {
      const Image& tile = sources[next++ % sources.size()];
      // Mirror every other tile so neighbouring edges continue each other.
      const bool flip_x = col % 2 == 1, flip_y = row % 2 == 1;
      for (int y = 0; y < tile.height && ty + y < height; ++y)
        for (int x = 0; x < tile.width && tx + x < width; ++x) {
          const int sx = flip_x ? tile.width - 1 - x : x;
          const int sy = flip_y ? tile.height - 1 - y : y;
          for (int c = 0; c < 3; ++c)
            out.rgb[(static_cast<size_t>(ty + y) * width + tx + x) * 3 + c] =
                tile.rgb[(static_cast<size_t>(sy) * tile.width + sx) * 3 + c];
        }
      tx += tile.width;
      tile_height = std::max(tile_height, tile.height);
    }
    ty += tile_height;
  }
  return out;
}

std::vector<std::string> list_images(const std::string& folder) {
  if (!std::filesystem::is_directory(folder))
    throw Error("image folder '" + folder + "' does not exist: give a folder of PNG or JPEG files");
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    if (!entry.is_regular_file()) continue;
    std::string ext = entry.path().extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
    if (ext == ".png" || ext == ".jpg" || ext == ".jpeg") files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) throw Error("image folder '" + folder + "' holds no PNG or JPEG files");
  return files;
}

ImageInfo parse_size(const std::string& text) {
  static const std::regex pattern(R"(^\s*([0-9]{1,6})\s*[xX]\s*([0-9]{1,6})\s*$)");
  std::smatch match;
  if (!std::regex_match(text, match, pattern))
    throw Error("size '" + text + "' is not WIDTHxHEIGHT: write it like 768x512");
  const int width = std::stoi(match[1]), height = std::stoi(match[2]);
  if (width < 1 || height < 1) throw Error("size '" + text + "' must be at least 1x1");
  return {width, height};
}

}  // namespace nicenergy
