#include "quality/bits_per_pixel.h"

#include <string>

#include "error.h"

namespace nicenergy {

double bits_per_pixel(size_t bitstream_bytes, int width, int height) {
  if (width <= 0 || height <= 0)
    throw Error("bits per pixel: the image is " + std::to_string(width) + "x" + std::to_string(height) +
                ", which has no pixels: give the size of the encoded image");
  return 8.0 * static_cast<double>(bitstream_bytes) / (static_cast<double>(width) * height);
}

}  // namespace nicenergy
