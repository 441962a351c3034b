#include "legacy/avif_codec.h"

#include <algorithm>

#include "error.h"
#include "legacy/codec_input.h"

#ifdef NICENERGY_WITH_AVIF
#include <avif/avif.h>
#endif

namespace nicenergy {

#ifdef NICENERGY_WITH_AVIF

namespace {

// libavif's default decoder size limit is 16384 x 16384; encoding stays inside it.
constexpr int max_side = 16384;

// The library's objects, released in any case.
struct AvifEncodeContext {
  avifImage* image = nullptr;
  avifEncoder* encoder = nullptr;
  avifRWData output = AVIF_DATA_EMPTY;
  ~AvifEncodeContext() {
    avifRWDataFree(&output);
    if (encoder) avifEncoderDestroy(encoder);
    if (image) avifImageDestroy(image);
  }
};

struct AvifDecodeContext {
  avifImage* image = nullptr;
  avifDecoder* decoder = nullptr;
  avifRGBImage rgb{};
  ~AvifDecodeContext() {
    avifRGBImageFreePixels(&rgb);
    if (decoder) avifDecoderDestroy(decoder);
    if (image) avifImageDestroy(image);
  }
};

}  // namespace

std::vector<uint8_t> encode_avif(const Image& image, const AvifSettings& settings) {
  if (settings.quantizer < 0 || settings.quantizer > 63)
    throw Error("AVIF quantizer " + std::to_string(settings.quantizer) +
                " is outside 0..63: give a quantizer from 0 (best) to 63 (smallest)");
  if (settings.speed < 0 || settings.speed > 10)
    throw Error("AVIF speed " + std::to_string(settings.speed) + " is outside 0..10: give a speed from 0 to 10");
  check_codec_input(image, "AVIF", max_side);
  if (avifCodecName(AVIF_CODEC_CHOICE_AOM, AVIF_CODEC_FLAG_CAN_ENCODE) == nullptr)
    throw Error("AVIF encoding: this libavif has no aom encoder (it has: " + avif_library_version() +
                "): install a libavif built with libaom");
  AvifEncodeContext c;
  c.image = avifImageCreate(static_cast<uint32_t>(image.width), static_cast<uint32_t>(image.height), 8,
                            AVIF_PIXEL_FORMAT_YUV420);
  if (c.image == nullptr) throw Error("AVIF encoding: libavif could not make an image: check memory");
  avifRGBImage rgb;
  avifRGBImageSetDefaults(&rgb, c.image);
  rgb.format = AVIF_RGB_FORMAT_RGB;
  rgb.depth = 8;
  // libavif reads the pixels only; its struct is not const-qualified.
  rgb.pixels = const_cast<uint8_t*>(image.rgb.data());
  rgb.rowBytes = static_cast<uint32_t>(image.width) * 3;
  avifResult result = avifImageRGBToYUV(c.image, &rgb);
  if (result != AVIF_RESULT_OK)
    throw Error(std::string("AVIF encoding: RGB to YUV failed (libavif: ") + avifResultToString(result) +
                "): check memory and the image");
  c.encoder = avifEncoderCreate();
  if (c.encoder == nullptr) throw Error("AVIF encoding: libavif could not make an encoder: check memory");
  c.encoder->codecChoice = AVIF_CODEC_CHOICE_AOM;
  c.encoder->maxThreads = 1;
  c.encoder->speed = settings.speed;
  c.encoder->minQuantizer = settings.quantizer;
  c.encoder->maxQuantizer = settings.quantizer;
  result = avifEncoderWrite(c.encoder, c.image, &c.output);
  if (result != AVIF_RESULT_OK)
    throw Error(std::string("AVIF encoding failed (libavif: ") + avifResultToString(result) +
                "): check memory and the image");
  return std::vector<uint8_t>(c.output.data, c.output.data + c.output.size);
}

Image decode_avif(const std::vector<uint8_t>& bitstream) {
  AvifDecodeContext c;
  c.decoder = avifDecoderCreate();
  c.image = avifImageCreateEmpty();
  if (c.decoder == nullptr || c.image == nullptr) throw Error("AVIF decoding: libavif could not start: check memory");
  c.decoder->maxThreads = 1;
  // nicenergy's cap on pixels, which is below libavif's own 16384 x 16384.
  c.decoder->imageSizeLimit = static_cast<uint32_t>(std::min<uint64_t>(max_image_pixels(), AVIF_DEFAULT_IMAGE_SIZE_LIMIT));
  avifResult result = avifDecoderReadMemory(c.decoder, c.image, bitstream.data(), bitstream.size());
  if (result == AVIF_RESULT_OK) {
    avifRGBImageSetDefaults(&c.rgb, c.image);
    c.rgb.format = AVIF_RGB_FORMAT_RGB;
    c.rgb.depth = 8;
    avifRGBImageAllocatePixels(&c.rgb);
    result = avifImageYUVToRGB(c.image, &c.rgb);
  }
  if (result != AVIF_RESULT_OK)
    throw Error("AVIF decoding: libavif refused the " + std::to_string(bitstream.size()) + "-byte bitstream (" +
                avifResultToString(result) + "): give encode_avif's output");
  Image image;
  image.width = static_cast<int>(c.rgb.width);
  image.height = static_cast<int>(c.rgb.height);
  image.rgb.resize(static_cast<size_t>(image.width) * static_cast<size_t>(image.height) * 3);
  const size_t row_bytes = static_cast<size_t>(image.width) * 3;
  for (int y = 0; y < image.height; ++y)
    std::copy_n(c.rgb.pixels + static_cast<size_t>(y) * c.rgb.rowBytes, row_bytes, image.rgb.data() + y * row_bytes);
  return image;
}

std::string avif_library_version() {
  char codecs[256];
  avifCodecVersions(codecs);
  return std::string("libavif ") + avifVersion() + " (" + codecs + ")";
}

#else

namespace {
[[noreturn]] void without_avif() {
  throw Error("AVIF: nicenergy was built without libavif: apt install libavif-dev and rebuild");
}
}  // namespace

std::vector<uint8_t> encode_avif(const Image&, const AvifSettings&) { without_avif(); }
Image decode_avif(const std::vector<uint8_t>&) { without_avif(); }
std::string avif_library_version() { return ""; }

#endif

}  // namespace nicenergy
