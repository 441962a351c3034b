// Images as 8-bit RGB in memory: PNG and JPEG in (libpng, libjpeg-turbo), PNG
// out (libpng), and the resizing and mosaicking that make campaign images of any
// size from natural photographs (never from zeros).
//
// Inputs are treated as hostile: only regular files are opened (a FIFO would
// block forever), the declared dimensions are checked against a pixel cap before
// any pixel memory is allocated, and every decoder failure is one printable line.
#pragma once
#include <cstddef>
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

// Each side of any image read or made is at most this many pixels.
constexpr int kMaxImageSide = 65535;
// The default cap on width x height, 100 megapixels: a 3-megapixel study needs
// far less, and it keeps a hostile header from asking for gigabytes.
constexpr uint64_t kDefaultMaxImagePixels = 100'000'000;

// The cap in force: set_max_image_pixels's value, else the environment variable
// NICENERGY_MAX_IMAGE_PIXELS (a whole number), else kDefaultMaxImagePixels.
// Throws nicenergy::Error when the variable is not a number in range.
uint64_t max_image_pixels();
// Sets the cap (1 to kMaxImageSide^2); 0 goes back to the environment/default.
void set_max_image_pixels(uint64_t pixels);

// PNG (1 to 16 bits; grey, grey+alpha, palette, RGB, RGBA) or JPEG (baseline or
// progressive; grey, YCbCr, RGB, CMYK), recognised by their first bytes. Alpha
// is dropped and 16-bit samples keep their high byte. Throws nicenergy::Error
// naming the file, in one line of printable ASCII, when it is missing, not a
// regular file, over the caps, truncated or corrupt.
Image load_image(const std::string& path);
// The declared dimensions, from the header alone, through the same decoder and
// caps as load_image up to the first pixel: what load_image would refuse in the
// header (a bad table, a huge size) is refused here, as config checks need.
ImageInfo image_info(const std::string& path);
// The same from bytes in memory (the fuzz harness's entry); name is what the
// error messages call the input.
Image decode_image_bytes(const uint8_t* data, size_t size, const std::string& name);
ImageInfo image_info_bytes(const uint8_t* data, size_t size, const std::string& name);

void save_png(const Image& image, const std::string& path);
// Binary PPM (P6, maxval 255): what encoders such as cjpeg read. Throws as save_png.
void save_ppm(const Image& image, const std::string& path);

// Bilinear resize to exactly width x height.
Image resize_image(const Image& image, int width, int height);
// Tiles the sources (in order, repeating) edge to edge, alternately mirrored so
// that seams stay natural, and crops to width x height.
Image mosaic_images(const std::vector<Image>& sources, int width, int height);

// Files in a folder with a .png, .jpg or .jpeg ending, sorted by name.
std::vector<std::string> list_images(const std::string& folder);

// "768x512" -> {768, 512}; throws nicenergy::Error on anything else, and on
// sizes over the caps above.
ImageInfo parse_size(const std::string& text);

}  // namespace nicenergy
