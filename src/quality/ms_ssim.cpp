#include "quality/ms_ssim.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <vector>

#include "error.h"
#include "quality/image_pair.h"

namespace nicenergy {

namespace {

constexpr int kWindow = 11;
constexpr double kSigma = 1.5;
constexpr double kK1 = 0.01;
constexpr double kK2 = 0.03;
constexpr double kRange = 255.0;
constexpr std::array<double, 5> kWeights = {0.0448, 0.2856, 0.3001, 0.2363, 0.1333};

// One channel as doubles, row-major.
struct Plane {
  int width = 0;
  int height = 0;
  std::vector<double> value;
  double at(int x, int y) const { return value[static_cast<size_t>(y) * width + x]; }
};

std::array<double, kWindow> gaussian_window() {
  std::array<double, kWindow> g{};
  double sum = 0;
  for (int i = 0; i < kWindow; ++i) {
    const double d = i - kWindow / 2;
    g[i] = std::exp(-d * d / (2 * kSigma * kSigma));
    sum += g[i];
  }
  for (double& v : g) v /= sum;
  return g;
}

// Separable Gaussian filtering over the positions where the whole window fits.
Plane filter_valid(const Plane& in, const std::array<double, kWindow>& g) {
  Plane rows{in.width - kWindow + 1, in.height, {}};
  rows.value.resize(static_cast<size_t>(rows.width) * rows.height);
  for (int y = 0; y < in.height; ++y)
    for (int x = 0; x < rows.width; ++x) {
      double s = 0;
      for (int k = 0; k < kWindow; ++k) s += g[k] * in.at(x + k, y);
      rows.value[static_cast<size_t>(y) * rows.width + x] = s;
    }
  Plane out{rows.width, in.height - kWindow + 1, {}};
  out.value.resize(static_cast<size_t>(out.width) * out.height);
  for (int y = 0; y < out.height; ++y)
    for (int x = 0; x < out.width; ++x) {
      double s = 0;
      for (int k = 0; k < kWindow; ++k) s += g[k] * rows.at(x, y + k);
      out.value[static_cast<size_t>(y) * out.width + x] = s;
    }
  return out;
}

Plane product(const Plane& a, const Plane& b) {
  Plane out{a.width, a.height, std::vector<double>(a.value.size())};
  for (size_t i = 0; i < a.value.size(); ++i) out.value[i] = a.value[i] * b.value[i];
  return out;
}

// 2x2 block means; an odd side gets one zero sample before and after it.
Plane halve(const Plane& in) {
  const int pad_x = in.width % 2;
  const int pad_y = in.height % 2;
  Plane out{(in.width + 2 * pad_x) / 2, (in.height + 2 * pad_y) / 2, {}};
  out.value.resize(static_cast<size_t>(out.width) * out.height);
  auto sample = [&](int x, int y) {
    return (x < 0 || y < 0 || x >= in.width || y >= in.height) ? 0.0 : in.at(x, y);
  };
  for (int y = 0; y < out.height; ++y)
    for (int x = 0; x < out.width; ++x) {
      const int x0 = 2 * x - pad_x;
      const int y0 = 2 * y - pad_y;
      out.value[static_cast<size_t>(y) * out.width + x] =
          (sample(x0, y0) + sample(x0 + 1, y0) + sample(x0, y0 + 1) + sample(x0 + 1, y0 + 1)) / 4.0;
    }
  return out;
}

struct ScaleTerms {
  double cs = 0;    // mean contrast-structure term
  double ssim = 0;  // mean of luminance x contrast-structure
};

ScaleTerms scale_terms(const Plane& x, const Plane& y, const std::array<double, kWindow>& g) {
  const double c1 = (kK1 * kRange) * (kK1 * kRange);
  const double c2 = (kK2 * kRange) * (kK2 * kRange);
  const Plane mu_x = filter_valid(x, g);
  const Plane mu_y = filter_valid(y, g);
  const Plane xx = filter_valid(product(x, x), g);
  const Plane yy = filter_valid(product(y, y), g);
  const Plane xy = filter_valid(product(x, y), g);
  double cs_sum = 0;
  double ssim_sum = 0;
  for (size_t i = 0; i < mu_x.value.size(); ++i) {
    const double mx = mu_x.value[i];
    const double my = mu_y.value[i];
    const double var_x = xx.value[i] - mx * mx;
    const double var_y = yy.value[i] - my * my;
    const double cov = xy.value[i] - mx * my;
    const double cs = (2 * cov + c2) / (var_x + var_y + c2);
    const double luminance = (2 * mx * my + c1) / (mx * mx + my * my + c1);
    cs_sum += cs;
    ssim_sum += luminance * cs;
  }
  const double n = static_cast<double>(mu_x.value.size());
  return {cs_sum / n, ssim_sum / n};
}

double ms_ssim_plane(Plane x, Plane y) {
  const auto g = gaussian_window();
  double result = 1.0;
  for (size_t j = 0; j < kWeights.size(); ++j) {
    const ScaleTerms terms = scale_terms(x, y, g);
    const bool last = j + 1 == kWeights.size();
    result *= std::pow(std::max(last ? terms.ssim : terms.cs, 0.0), kWeights[j]);
    if (!last) {
      x = halve(x);
      y = halve(y);
    }
  }
  return result;
}

Plane channel(const Image& image, int c) {
  Plane p{image.width, image.height, std::vector<double>(static_cast<size_t>(image.width) * image.height)};
  for (size_t i = 0; i < p.value.size(); ++i) p.value[i] = image.rgb[i * 3 + c];
  return p;
}

Plane luma(const Image& image) {
  Plane p{image.width, image.height, std::vector<double>(static_cast<size_t>(image.width) * image.height)};
  for (size_t i = 0; i < p.value.size(); ++i)
    p.value[i] = 0.299 * image.rgb[i * 3] + 0.587 * image.rgb[i * 3 + 1] + 0.114 * image.rgb[i * 3 + 2];
  return p;
}

}  // namespace

double ms_ssim(const Image& reference, const Image& decoded, MsSsimChannels channels) {
  check_image_pair(reference, decoded, "MS-SSIM");
  if (std::min(reference.width, reference.height) < kMsSsimMinSide)
    throw Error("MS-SSIM: the images are " + std::to_string(reference.width) + "x" +
                std::to_string(reference.height) + ", but its five scales need both sides of at least " +
                std::to_string(kMsSsimMinSide) + " pixels: use larger images or PSNR");
  if (channels == MsSsimChannels::luma) return ms_ssim_plane(luma(reference), luma(decoded));
  double sum = 0;
  for (int c = 0; c < 3; ++c) sum += ms_ssim_plane(channel(reference, c), channel(decoded, c));
  return sum / 3.0;
}

double ms_ssim_db(double ms_ssim_value) {
  if (ms_ssim_value >= 1.0) return std::numeric_limits<double>::infinity();
  return -10.0 * std::log10(1.0 - ms_ssim_value);
}

}  // namespace nicenergy
