// JPEG's rate-distortion points on kodim01 and a BD-rate, with the library's
// torch-free quality and legacy-codec files (docs/classic-codecs.md).
//
//   build/rd_jpeg        run from the source folder (it reads data/images)
//
// Built by CMake with the other examples (ninja -C build rd_jpeg). These files
// use no LibTorch, so the program also builds by hand against the library with
// libpng and libjpeg alone:
//   g++ -std=c++20 -O2 -Isrc examples/rd_jpeg.cpp build/libnicenergy_core.a -lpng -ljpeg -o rd_jpeg
#include <cstdio>
#include "image/image.h"
#include "legacy/jpeg_codec.h"
#include "modeling/bd_rate.h"
#include "quality/bits_per_pixel.h"
#include "quality/ms_ssim.h"
#include "quality/psnr.h"
using namespace nicenergy;

int main() {
  const Image image = load_image("data/images/kodim01.png");
  RdCurve jpeg{"jpeg", {}};
  for (int quality : {10, 30, 50, 75, 90}) {
    const std::vector<uint8_t> bitstream = encode_jpeg(image, {quality, JpegSubsampling::s420});
    const Image decoded = decode_jpeg(bitstream);
    const double bpp = bits_per_pixel(bitstream.size(), image.width, image.height);
    std::printf("q%-3d %.4f bpp  %.2f dB  MS-SSIM %.4f\n", quality, bpp, psnr_db(image, decoded),
                ms_ssim(image, decoded));
    jpeg.points.push_back({bpp, psnr_db(image, decoded)});
  }
  RdCurve better = jpeg;  // a made-up codec that needs 10 % fewer bits
  better.name = "better";
  for (RdPoint& p : better.points) p.bpp *= 0.9;
  std::printf("%s\n", bd_rate(jpeg, better).describe().c_str());
  std::printf("at 33 dB: %.4f bpp (%s)\n", at_matched_quality(jpeg, 33.0).bpp, matched_quality_method().c_str());
}
