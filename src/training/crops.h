// Training data: random square crops from a folder of photographs, as
// CompressAI's example trains on random 256x256 patches. Every image is decoded
// once into memory (3 bytes a pixel), within a budget of decoded pixels for the
// whole folder; a batch is a pure function of (seed, iteration), so a resumed
// run sees the batches an uninterrupted one would have.
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "image/image.h"

namespace nicenergy {

// The default budget of decoded pixels for a whole --data folder: 1000
// megapixels, 3 GB in memory (300 photographs of 3 megapixels).
constexpr int64_t kDefaultMaxDataMegapixels = 1000;

class CropSampler {
 public:
  // Throws Error naming the folder when it has no .png/.jpg images, when their
  // headers declare more than max_megapixels in all (checked before any is
  // decoded) or memory runs out decoding them, or naming the image that is
  // smaller than crop_px on a side.
  CropSampler(const std::string& folder, int crop_px, int64_t max_megapixels = kDefaultMaxDataMegapixels);

  // [batch, 3, crop_px, crop_px] floats in [0, 1] on the CPU.
  torch::Tensor batch(int64_t batch_size, uint64_t seed, int64_t iteration) const;

  const std::vector<std::string>& names() const { return names_; }
  int crop_px() const { return crop_px_; }

 private:
  std::vector<Image> images_;
  std::vector<std::string> names_;  // file names, for the checkpoint's record
  int crop_px_;
};

}  // namespace nicenergy
