// An image as the report names it: the file's name ("kodim01.png"), or for a
// generated one ("mosaic 256x128 of ../data/images") its method and folder,
// "mosaic of images", since its size is said beside it.
#pragma once
#include <string>

namespace nicenergy {

std::string image_label(const std::string& image);

}  // namespace nicenergy
