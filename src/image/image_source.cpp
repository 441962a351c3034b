#include "image/image_source.h"

#include <filesystem>

#include "error.h"

namespace fs = std::filesystem;

namespace nicenergy {

Image load_image_source(const ImageSource& source) {
  if (source.method.empty()) return load_image(source.path);
  if (source.sources.empty()) throw Error("image '" + source.label + "' has no source photographs to build from");
  if (source.method == "resize") return resize_image(load_image(source.sources.front()), source.width, source.height);
  if (source.method == "mosaic") {
    std::vector<Image> tiles;
    for (const auto& path : source.sources) tiles.push_back(load_image(path));
    return mosaic_images(tiles, source.width, source.height);
  }
  throw Error("image '" + source.label + "': method '" + source.method + "' is unknown: use mosaic or resize");
}

Image sized_test_image(int width, int height) {
  if (width <= 0 || height <= 0) throw Error("image size must be positive, e.g. --size 768x512");
  std::string folder = "data/images";
#if defined(NICENERGY_SOURCE_DIR)
  if (!fs::is_directory(folder)) folder = std::string(NICENERGY_SOURCE_DIR) + "/data/images";
#endif
  if (!fs::is_directory(folder))
    throw Error("--size needs the repository's photographs in data/images: run from the repository root, or give --input IMAGE");
  ImageSource source;
  source.label = "mosaic of " + folder;
  source.method = "mosaic";
  source.sources = list_images(folder);
  source.width = width;
  source.height = height;
  if (source.sources.empty()) throw Error("folder '" + folder + "' holds no images: give --input IMAGE");
  return load_image_source(source);
}

}  // namespace nicenergy
