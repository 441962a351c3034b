// The input check every legacy encoder makes before it calls its library, so
// that all of them refuse a bad image with the same one-line message.
#pragma once
#include <string>

#include "image/image.h"

namespace nicenergy {

// Throws nicenergy::Error naming the codec when the image has no pixels, a
// buffer that is not width x height x 3, or a side over the format's max_side.
void check_codec_input(const Image& image, const std::string& codec, int max_side);

}  // namespace nicenergy
