// A learned codec's rate and distortion through the real codec (issue 17):
// compress to the bytes of `compress`'s file, decompress, crop, compare with
// the source. Meaningful only with trained weights; callers say so.
#pragma once
#include <torch/torch.h>

#include "image/image.h"
#include "models/network.h"
#include "quality/rate_distortion.h"

namespace nicenergy {

// The network must already be on `device`. bpp counts the whole file
// (header included), as `compress` prints.
RateDistortion coded_rate_distortion(NetworkImpl& network, const Image& image, const torch::Device& device);

}  // namespace nicenergy
