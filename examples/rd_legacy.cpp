// Every classic codec of the registry on kodim01 at its default settings:
// bpp, PSNR and the best of 5 wall-clock times of one in-process encode and
// decode (docs/classic-codecs.md gives a table it printed).
//
//   build/rd_legacy      run from the source folder (it reads data/images)
//
// Built by CMake with the other examples (ninja -C build rd_legacy); by hand,
// against the library, leaving out the -l of a library not installed:
//   g++ -std=c++20 -O2 -Isrc examples/rd_legacy.cpp build/libnicenergy_lib.a -lwebp -lavif -ljxl -lheif -lopenjp2 -lpng -ljpeg -o rd_legacy
#include <algorithm>
#include <chrono>
#include <cstdio>
#include "image/image.h"
#include "legacy/legacy_codecs.h"
#include "quality/bits_per_pixel.h"
#include "quality/psnr.h"
using namespace nicenergy;

int main() {
  const Image image = load_image("data/images/kodim01.png");
  for (const LegacyCodec& c : legacy_codecs()) {
    if (!c.available) {
      std::printf("# %s\n", c.unavailable_reason.c_str());
      continue;
    }
    std::printf("# %s: %s\n", c.name.c_str(), c.library_version().c_str());
    for (double setting : c.default_settings) {
      double encode_ms = 1e9, decode_ms = 1e9;
      std::vector<uint8_t> bitstream;
      Image decoded;
      for (int i = 0; i < 5; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        bitstream = c.encode(image, setting);
        const auto t1 = std::chrono::steady_clock::now();
        decoded = c.decode(bitstream);
        const auto t2 = std::chrono::steady_clock::now();
        encode_ms = std::min(encode_ms, std::chrono::duration<double, std::milli>(t1 - t0).count());
        decode_ms = std::min(decode_ms, std::chrono::duration<double, std::milli>(t2 - t1).count());
      }
      std::printf("| %s | %s %g | %.3f | %.2f | %.1f | %.1f |\n", c.name.c_str(), c.setting.c_str(), setting,
                  bits_per_pixel(bitstream.size(), image.width, image.height), psnr_db(image, decoded),
                  encode_ms, decode_ms);
    }
  }
}
