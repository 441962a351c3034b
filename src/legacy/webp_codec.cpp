#include "legacy/webp_codec.h"

#include "error.h"
#include "legacy/codec_input.h"

#ifdef NICENERGY_WITH_WEBP
#include <webp/decode.h>
#include <webp/encode.h>
#endif

namespace nicenergy {

#ifdef NICENERGY_WITH_WEBP

namespace {

// WebP's header holds 14-bit sizes.
constexpr int max_side = 16383;

struct WebpBuffer {
  uint8_t* data = nullptr;  // libwebp's allocation, freed with WebPFree
  ~WebpBuffer() { WebPFree(data); }
};

}  // namespace

std::vector<uint8_t> encode_webp(const Image& image, const WebpSettings& settings) {
  if (settings.quality < 0 || settings.quality > 100)
    throw Error("WebP quality " + std::to_string(settings.quality) + " is outside 0..100: give a quality from 0 to 100");
  check_codec_input(image, "WebP", max_side);
  WebpBuffer out;
  const size_t size = WebPEncodeRGB(image.rgb.data(), image.width, image.height, image.width * 3,
                                    static_cast<float>(settings.quality), &out.data);
  if (size == 0 || out.data == nullptr) throw Error("WebP encoding failed in libwebp: check memory and the image");
  return std::vector<uint8_t>(out.data, out.data + size);
}

Image decode_webp(const std::vector<uint8_t>& bitstream) {
  int width = 0, height = 0;
  WebpBuffer pixels;
  pixels.data = WebPDecodeRGB(bitstream.data(), bitstream.size(), &width, &height);
  if (pixels.data == nullptr)
    throw Error("WebP decoding: libwebp refused the " + std::to_string(bitstream.size()) +
                "-byte bitstream (corrupt, truncated or not WebP): give encode_webp's output");
  Image image;
  image.width = width;
  image.height = height;
  image.rgb.assign(pixels.data, pixels.data + static_cast<size_t>(width) * static_cast<size_t>(height) * 3);
  return image;
}

std::string webp_library_version() {
  const int v = WebPGetEncoderVersion();  // 0xMMmmpp
  return std::to_string((v >> 16) & 0xff) + "." + std::to_string((v >> 8) & 0xff) + "." + std::to_string(v & 0xff);
}

#else

namespace {
[[noreturn]] void without_webp() {
  throw Error("WebP: nicenergy was built without libwebp: apt install libwebp-dev and rebuild");
}
}  // namespace

std::vector<uint8_t> encode_webp(const Image&, const WebpSettings&) { without_webp(); }
Image decode_webp(const std::vector<uint8_t>&) { without_webp(); }
std::string webp_library_version() { return ""; }

#endif

}  // namespace nicenergy
