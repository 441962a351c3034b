#include "training/crops.h"

#include <filesystem>
#include <new>
#include <random>

#include "error.h"

namespace nicenergy {

// The pixels the headers declare, summed before anything is decoded: eight
// small PNGs of 10000x9900 once took 2.8 GB, and 25 ended in a bare bad_alloc.
static void check_data_budget(const std::string& folder, const std::vector<std::string>& files, int64_t max_megapixels) {
  if (max_megapixels < 1) throw Error("--max-data-megapixels must be 1 or more");
  uint64_t pixels = 0;
  for (const std::string& file : files) {
    const ImageInfo info = image_info(file);
    pixels += static_cast<uint64_t>(info.width) * static_cast<uint64_t>(info.height);
  }
  if (pixels > static_cast<uint64_t>(max_megapixels) * 1000000)
    throw Error("training data '" + folder + "' holds " + std::to_string((pixels + 999999) / 1000000) + " megapixels in " +
                std::to_string(files.size()) + " images, over the budget of " + std::to_string(max_megapixels) +
                " megapixels decoded in memory (3 bytes a pixel): give fewer or smaller images, or raise "
                "--max-data-megapixels");
}

CropSampler::CropSampler(const std::string& folder, int crop_px, int64_t max_megapixels) : crop_px_(crop_px) {
  if (crop_px < 16) throw Error("--crop-px " + std::to_string(crop_px) + " is too small: use 16 or more (CompressAI uses 256)");
  std::error_code ec;
  if (!std::filesystem::is_directory(folder, ec))
    throw Error("training data '" + folder + "' is not a folder: give a folder of .png or .jpg photographs");
  const std::vector<std::string> files = list_images(folder);
  if (files.empty()) throw Error("training data '" + folder + "' has no .png or .jpg images: give a folder of photographs");
  check_data_budget(folder, files, max_megapixels);
  for (const std::string& file : files) {
    try {
      Image image = load_image(file);
      if (image.width < crop_px || image.height < crop_px)
        throw Error("image '" + file + "' (" + std::to_string(image.width) + "x" + std::to_string(image.height) +
                    ") is smaller than the " + std::to_string(crop_px) + "-pixel crops: choose a smaller --crop-px or remove it");
      images_.push_back(std::move(image));
    } catch (const std::bad_alloc&) {
      throw Error("training data '" + folder + "': out of memory decoding '" + file + "' after " +
                  std::to_string(images_.size()) + " images: give fewer or smaller images, or lower --max-data-megapixels");
    }
    names_.push_back(std::filesystem::path(file).filename().string());
  }
}

torch::Tensor CropSampler::batch(int64_t batch_size, uint64_t seed, int64_t iteration) const {
  std::mt19937_64 rng(seed * 0x9E3779B97F4A7C15ULL + static_cast<uint64_t>(iteration));
  const int64_t c = crop_px_;
  torch::Tensor out = torch::empty({batch_size, 3, c, c});
  auto a = out.accessor<float, 4>();
  for (int64_t b = 0; b < batch_size; ++b) {
    const Image& image = images_[std::uniform_int_distribution<size_t>(0, images_.size() - 1)(rng)];
    const int x0 = std::uniform_int_distribution<int>(0, image.width - crop_px_)(rng);
    const int y0 = std::uniform_int_distribution<int>(0, image.height - crop_px_)(rng);
    for (int64_t y = 0; y < c; ++y) {
      const uint8_t* row = image.rgb.data() + (static_cast<size_t>(y0 + y) * image.width + x0) * 3;
      for (int64_t x = 0; x < c; ++x)
        for (int ch = 0; ch < 3; ++ch) a[b][ch][y][x] = row[x * 3 + ch] / 255.0f;
    }
  }
  return out;
}

}  // namespace nicenergy
