// The one check before any distortion measure: a reference image and its
// decoded version must both hold pixels and have the same size.
#pragma once
#include <string>

#include "image/image.h"

namespace nicenergy {

// Throws nicenergy::Error naming the measure (what, e.g. "PSNR") when either
// image is empty, the sizes differ, or a pixel buffer is not width x height x 3.
void check_image_pair(const Image& reference, const Image& decoded, const std::string& what);

}  // namespace nicenergy
