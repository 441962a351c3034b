#include "legacy/jxl_codec.h"

#include <cstdio>

#include "error.h"
#include "legacy/codec_input.h"

#ifdef NICENERGY_WITH_JXL
#include <jxl/decode.h>
#include <jxl/encode.h>
#endif

namespace nicenergy {

#ifdef NICENERGY_WITH_JXL

namespace {

// JPEG XL's own limit is 2^30 a side; nicenergy's images stop at 65535.
constexpr int max_side = kMaxImageSide;

struct JxlEncoderOwner {
  JxlEncoder* encoder = JxlEncoderCreate(nullptr);
  ~JxlEncoderOwner() {
    if (encoder) JxlEncoderDestroy(encoder);
  }
};

struct JxlDecoderOwner {
  JxlDecoder* decoder = JxlDecoderCreate(nullptr);
  ~JxlDecoderOwner() {
    if (decoder) JxlDecoderDestroy(decoder);
  }
};

std::string format_distance(double distance) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", distance);
  return text;
}

// libjxl 0.7's lossy encoder dies of SIGSEGV (nothing to catch: it took `run`,
// `measure` and whole campaigns with it, and every resume died again) on images
// 1 to 8 or 17 to 24 pixels wide and 2049 to 4104 high, at effort 4 and up and
// distances from 4.5 to under 20 (cjxl qualities 5 to 51), whatever the pixels.
// Mapped on Debian's 0.7.0, each encode in a child process: the neighbours (9-16
// and 25-320 wide, 2048 or 4105 and more high, distance 4.49 or 20, effort 3,
// the transposed sizes) encode. So exactly that box is refused, and only for 0.7.
bool crashes_libjxl_07(int width, int height, double distance, int effort) {
  if (JxlEncoderVersion() / 1000 != 7) return false;  // 0.7.x: major 0, minor 7
  const int blocks_across = (width + 7) / 8;
  const float d = static_cast<float>(distance);  // what libjxl is given
  return (blocks_across == 1 || blocks_across == 3) && height >= 2049 && height <= 4104 && effort >= 4 &&
         d >= 4.5f && d < 20.0f;
}

[[noreturn]] void encode_failed(const char* step) {
  throw Error(std::string("JPEG XL encoding failed at ") + step + " (libjxl): check memory and the image");
}

}  // namespace

std::vector<uint8_t> encode_jxl(const Image& image, const JxlSettings& settings) {
  // !(a <= x) also refuses NaN.
  if (!(settings.distance >= 0.1 && settings.distance <= 25.0))
    throw Error("JPEG XL distance " + format_distance(settings.distance) +
                " is outside 0.1..25: give a distance from 0.1 (best) to 25 (smallest), 1 is visually lossless");
  if (settings.effort < 1 || settings.effort > 9)
    throw Error("JPEG XL effort " + std::to_string(settings.effort) + " is outside 1..9: give an effort from 1 to 9");
  check_codec_input(image, "JPEG XL", max_side);
  if (crashes_libjxl_07(image.width, image.height, settings.distance, settings.effort))
    throw Error("JPEG XL: libjxl " + jxl_library_version() + " crashes on a " + std::to_string(image.width) + "x" +
                std::to_string(image.height) + " image at distance " + format_distance(settings.distance) +
                " (widths 1-8 and 17-24, heights 2049-4104, distances 4.5 to 20, effort 4 up): refused; "
                "give another size or quality, or build with a newer libjxl");
  JxlEncoderOwner owner;
  JxlEncoder* encoder = owner.encoder;
  if (encoder == nullptr) throw Error("JPEG XL encoding: libjxl could not make an encoder: check memory");
  JxlBasicInfo info;
  JxlEncoderInitBasicInfo(&info);
  info.xsize = static_cast<uint32_t>(image.width);
  info.ysize = static_cast<uint32_t>(image.height);
  info.bits_per_sample = 8;
  info.num_color_channels = 3;
  info.uses_original_profile = JXL_FALSE;  // lossy: libjxl codes in its XYB space
  if (JxlEncoderSetBasicInfo(encoder, &info) != JXL_ENC_SUCCESS) encode_failed("the basic info");
  JxlColorEncoding color;
  JxlColorEncodingSetToSRGB(&color, JXL_FALSE);
  if (JxlEncoderSetColorEncoding(encoder, &color) != JXL_ENC_SUCCESS) encode_failed("the colour encoding");
  JxlEncoderFrameSettings* frame = JxlEncoderFrameSettingsCreate(encoder, nullptr);
  if (frame == nullptr ||
      JxlEncoderSetFrameDistance(frame, static_cast<float>(settings.distance)) != JXL_ENC_SUCCESS ||
      JxlEncoderFrameSettingsSetOption(frame, JXL_ENC_FRAME_SETTING_EFFORT, settings.effort) != JXL_ENC_SUCCESS)
    encode_failed("the frame settings");
  const JxlPixelFormat format{3, JXL_TYPE_UINT8, JXL_NATIVE_ENDIAN, 0};
  if (JxlEncoderAddImageFrame(frame, &format, image.rgb.data(), image.rgb.size()) != JXL_ENC_SUCCESS)
    encode_failed("the image frame");
  JxlEncoderCloseInput(encoder);
  std::vector<uint8_t> bitstream(64 * 1024);
  size_t written = 0;
  for (;;) {
    uint8_t* next = bitstream.data() + written;
    size_t left = bitstream.size() - written;
    const JxlEncoderStatus status = JxlEncoderProcessOutput(encoder, &next, &left);
    written = static_cast<size_t>(next - bitstream.data());
    if (status == JXL_ENC_SUCCESS) break;
    if (status != JXL_ENC_NEED_MORE_OUTPUT) encode_failed("the output");
    bitstream.resize(bitstream.size() * 2);
  }
  bitstream.resize(written);
  return bitstream;
}

Image decode_jxl(const std::vector<uint8_t>& bitstream) {
  const std::string refused = "JPEG XL decoding: libjxl refused the " + std::to_string(bitstream.size()) + "-byte bitstream";
  JxlDecoderOwner owner;
  JxlDecoder* decoder = owner.decoder;
  if (decoder == nullptr) throw Error("JPEG XL decoding: libjxl could not make a decoder: check memory");
  if (JxlDecoderSubscribeEvents(decoder, JXL_DEC_BASIC_INFO | JXL_DEC_FULL_IMAGE) != JXL_DEC_SUCCESS ||
      JxlDecoderSetInput(decoder, bitstream.data(), bitstream.size()) != JXL_DEC_SUCCESS)
    throw Error(refused + ": give encode_jxl's output");
  JxlDecoderCloseInput(decoder);
  const JxlPixelFormat format{3, JXL_TYPE_UINT8, JXL_NATIVE_ENDIAN, 0};
  Image image;
  for (;;) {
    const JxlDecoderStatus status = JxlDecoderProcessInput(decoder);
    if (status == JXL_DEC_SUCCESS) break;
    if (status == JXL_DEC_ERROR) throw Error(refused + " (corrupt or not JPEG XL): give encode_jxl's output");
    if (status == JXL_DEC_NEED_MORE_INPUT) throw Error(refused + " (truncated): give encode_jxl's whole output");
    if (status == JXL_DEC_BASIC_INFO) {
      JxlBasicInfo info;
      if (JxlDecoderGetBasicInfo(decoder, &info) != JXL_DEC_SUCCESS) throw Error(refused + ": give encode_jxl's output");
      if (info.xsize == 0 || info.ysize == 0 || info.xsize > static_cast<uint32_t>(kMaxImageSide) ||
          info.ysize > static_cast<uint32_t>(kMaxImageSide) ||
          static_cast<uint64_t>(info.xsize) * info.ysize > max_image_pixels())
        throw Error(refused + " (" + std::to_string(info.xsize) + "x" + std::to_string(info.ysize) +
                    " is over nicenergy's image size cap): give a smaller image");
      image.width = static_cast<int>(info.xsize);
      image.height = static_cast<int>(info.ysize);
    } else if (status == JXL_DEC_NEED_IMAGE_OUT_BUFFER) {
      size_t size = 0;
      if (JxlDecoderImageOutBufferSize(decoder, &format, &size) != JXL_DEC_SUCCESS ||
          size != static_cast<size_t>(image.width) * static_cast<size_t>(image.height) * 3)
        throw Error(refused + " (unexpected image size): give encode_jxl's output");
      image.rgb.resize(size);
      if (JxlDecoderSetImageOutBuffer(decoder, &format, image.rgb.data(), size) != JXL_DEC_SUCCESS)
        throw Error(refused + ": give encode_jxl's output");
    }
    // JXL_DEC_FULL_IMAGE: the buffer is filled; JXL_DEC_SUCCESS follows.
  }
  if (image.rgb.empty()) throw Error(refused + " (no image in it): give encode_jxl's output");
  return image;
}

std::string jxl_library_version() {
  const uint32_t v = JxlEncoderVersion();  // major * 1000000 + minor * 1000 + patch
  return std::to_string(v / 1000000) + "." + std::to_string(v / 1000 % 1000) + "." + std::to_string(v % 1000);
}

#else

namespace {
[[noreturn]] void without_jxl() {
  throw Error("JPEG XL: nicenergy was built without libjxl: apt install libjxl-dev and rebuild");
}
}  // namespace

std::vector<uint8_t> encode_jxl(const Image&, const JxlSettings&) { without_jxl(); }
Image decode_jxl(const std::vector<uint8_t>&) { without_jxl(); }
std::string jxl_library_version() { return ""; }

#endif

double jxl_distance_from_quality(int quality) {
  if (quality < 1 || quality > 99)
    throw Error("jxl quality " + std::to_string(quality) + " is outside 1..99: give a whole quality from 1 to 99");
  const double q = quality;
  return q >= 30 ? 0.1 + (100 - q) * 0.09 : 53.0 / 3000.0 * q * q - 23.0 / 20.0 * q + 25.0;
}

}  // namespace nicenergy
