// The rate axis of rate-distortion curves: bits per pixel of a real bitstream.
#pragma once
#include <cstddef>

namespace nicenergy {

// 8 x bytes / (width x height): the whole file, headers included, as codecs'
// papers count it. Throws nicenergy::Error when the size has no pixels.
double bits_per_pixel(size_t bitstream_bytes, int width, int height);

}  // namespace nicenergy
