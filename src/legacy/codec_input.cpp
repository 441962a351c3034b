#include "legacy/codec_input.h"

#include "error.h"

namespace nicenergy {

void check_codec_input(const Image& image, const std::string& codec, int max_side) {
  const std::string size = std::to_string(image.width) + "x" + std::to_string(image.height);
  if (image.width <= 0 || image.height <= 0 ||
      image.rgb.size() != static_cast<size_t>(image.width) * static_cast<size_t>(image.height) * 3)
    throw Error(codec + " encoding: the image (" + size +
                ") has no pixels or a buffer that is not width x height x 3: load it with load_image");
  if (image.width > max_side || image.height > max_side)
    throw Error(codec + " encoding: the image is " + size + ", over " + codec + "'s " + std::to_string(max_side) +
                " pixels a side: give a smaller image");
}

}  // namespace nicenergy
