#include "quality/image_pair.h"

#include <cstddef>

#include "error.h"

namespace nicenergy {

namespace {

std::string size_of(const Image& image) { return std::to_string(image.width) + "x" + std::to_string(image.height); }

bool well_formed(const Image& image) {
  return image.width > 0 && image.height > 0 &&
         image.rgb.size() == static_cast<size_t>(image.width) * static_cast<size_t>(image.height) * 3;
}

}  // namespace

void check_image_pair(const Image& reference, const Image& decoded, const std::string& what) {
  if (!well_formed(reference))
    throw Error(what + ": the reference image (" + size_of(reference) +
                ") has no pixels or a buffer that is not width x height x 3: load it with load_image");
  if (!well_formed(decoded))
    throw Error(what + ": the decoded image (" + size_of(decoded) +
                ") has no pixels or a buffer that is not width x height x 3: decode the whole bitstream");
  if (reference.width != decoded.width || reference.height != decoded.height)
    throw Error(what + ": the decoded image is " + size_of(decoded) + " but the reference is " + size_of(reference) +
                ": compare an image with its own decoded version");
}

}  // namespace nicenergy
