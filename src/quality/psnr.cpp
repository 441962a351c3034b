#include "quality/psnr.h"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>

#include "quality/image_pair.h"

namespace nicenergy {

double mean_squared_error(const Image& reference, const Image& decoded) {
  check_image_pair(reference, decoded, "mean squared error");
  // Integer sums are exact: 255^2 x 3 x 100 megapixels is far below 2^64.
  uint64_t sum = 0;
  for (size_t i = 0; i < reference.rgb.size(); ++i) {
    const int difference = int(reference.rgb[i]) - int(decoded.rgb[i]);
    sum += static_cast<uint64_t>(difference * difference);
  }
  return static_cast<double>(sum) / static_cast<double>(reference.rgb.size());
}

double psnr_db(const Image& reference, const Image& decoded) {
  check_image_pair(reference, decoded, "PSNR");
  const double mse = mean_squared_error(reference, decoded);
  if (mse == 0.0) return std::numeric_limits<double>::infinity();
  return 10.0 * std::log10(255.0 * 255.0 / mse);
}

}  // namespace nicenergy
