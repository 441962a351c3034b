// Images as 8-bit RGB in memory: PNG and JPEG in (stb_image), PNG out
// (stb_image_write), and the resizing and mosaicking that make campaign images
// of any size from natural photographs (never from zeros).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace nicenergy {

struct Image {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> rgb;  // row-major, 3 bytes a pixel
};

struct ImageInfo {
  int width = 0;
  int height = 0;
};

// Throws nicenergy::Error naming the file when it is missing, unreadable or corrupt.
Image load_image(const std::string& path);
ImageInfo image_info(const std::string& path);
void save_png(const Image& image, const std::string& path);

// Bilinear resize to exactly width x height.
Image resize_image(const Image& image, int width, int height);
// Tiles the sources (in order, repeating) edge to edge, alternately mirrored so
// that seams stay natural, and crops to width x height.
Image mosaic_images(const std::vector<Image>& sources, int width, int height);

// Files in a folder with a .png, .jpg or .jpeg ending, sorted by name.
std::vector<std::string> list_images(const std::string& folder);

// "768x512" -> {768, 512}; throws nicenergy::Error on anything else.
ImageInfo parse_size(const std::string& text);

}  // namespace nicenergy
