// Where a measured image comes from: a file, or a mosaic or resize of natural
// photographs (a campaign's [[images]], `measure --size`).
#pragma once
#include <string>
#include <vector>

#include "image/image.h"

namespace nicenergy {

// One image of a campaign: a file, or one generated from natural photographs.
struct ImageSource {
  std::string label;                 // the CSV "image" column
  std::string path;                  // file to load; empty for a generated image
  std::string method;                // "" for a file; "mosaic" or "resize"
  std::vector<std::string> sources;  // generated: photographs to build from (mosaic
                                     // tiles all in order, resize uses the first)
  int width = 0;
  int height = 0;
};

// The image: the file, or a mosaic or resize of its sources. Throws Error
// naming the image for a missing source or an unknown method.
Image load_image_source(const ImageSource& source);
// A natural-looking WxH image for `measure --size`: the repository's Kodak
// photographs (data/images, from the current folder or the source tree) tiled.
Image sized_test_image(int width, int height);

}  // namespace nicenergy
