#include "legacy/heic_codec.h"

#include <algorithm>
#include <cstring>

#include "error.h"
#include "legacy/codec_input.h"

#ifdef NICENERGY_WITH_HEIF
#include <libheif/heif.h>
#endif

namespace nicenergy {

#ifdef NICENERGY_WITH_HEIF

namespace {

// HEVC's level limits aside, libheif's default cap is 32768 a side.
constexpr int max_side = 32768;

// The library's objects, released in any case.
struct HeifContext {
  heif_context* context = nullptr;
  heif_encoder* encoder = nullptr;
  heif_image* image = nullptr;
  heif_image_handle* handle = nullptr;
  HeifContext() {
    // Once a process and never undone, so that no encode pays for it: it
    // loads the plugins where a libheif has them (1.14 and later).
    static const bool initialised = (heif_init(nullptr), true);
    (void)initialised;
    context = heif_context_alloc();
  }
  ~HeifContext() {
    if (handle) heif_image_handle_release(handle);
    if (image) heif_image_release(image);
    if (encoder) heif_encoder_release(encoder);
    if (context) heif_context_free(context);
  }
};

heif_error append_bytes(heif_context*, const void* data, size_t size, void* bytes) {
  auto* out = static_cast<std::vector<uint8_t>*>(bytes);
  out->insert(out->end(), static_cast<const uint8_t*>(data), static_cast<const uint8_t*>(data) + size);
  return heif_error{heif_error_Ok, heif_suberror_Unspecified, "ok"};
}

// what, then libheif's message on the same line, then what to do.
void check(const heif_error& error, const std::string& what, const std::string& hint) {
  if (error.code == heif_error_Ok) return;
  std::string message = error.message ? error.message : "no message";
  // libheif's messages can end in a newline; nicenergy's errors are one line.
  std::replace(message.begin(), message.end(), '\n', ' ');
  while (!message.empty() && message.back() == ' ') message.pop_back();
  throw Error(what + " (libheif: " + message + "): " + hint);
}

}  // namespace

std::vector<uint8_t> encode_heic(const Image& image, const HeicSettings& settings) {
  if (settings.quality < 0 || settings.quality > 100)
    throw Error("HEIC quality " + std::to_string(settings.quality) + " is outside 0..100: give a quality from 0 to 100");
  check_codec_input(image, "HEIC", max_side);
  HeifContext c;
  if (c.context == nullptr) throw Error("HEIC encoding: libheif could not make a context: check memory");
  check(heif_context_get_encoder_for_format(c.context, heif_compression_HEVC, &c.encoder),
        "HEIC encoding: this libheif has no HEVC encoder", "install a libheif with x265 (Debian: libheif1, or libheif-plugin-x265)");
  check(heif_encoder_set_lossy_quality(c.encoder, settings.quality), "HEIC encoding: the quality was refused", "give a quality from 0 to 100");
  check(heif_image_create(image.width, image.height, heif_colorspace_RGB, heif_chroma_interleaved_RGB, &c.image),
        "HEIC encoding: libheif could not make an image", "check memory");
  check(heif_image_add_plane(c.image, heif_channel_interleaved, image.width, image.height, 8),
        "HEIC encoding: libheif could not make an image plane", "check memory");
  int stride = 0;
  uint8_t* plane = heif_image_get_plane(c.image, heif_channel_interleaved, &stride);
  const size_t row_bytes = static_cast<size_t>(image.width) * 3;
  for (int y = 0; y < image.height; ++y)
    std::memcpy(plane + static_cast<size_t>(y) * stride, image.rgb.data() + y * row_bytes, row_bytes);
  check(heif_context_encode_image(c.context, c.image, c.encoder, nullptr, &c.handle),
        "HEIC encoding failed", "check memory and the image");
  std::vector<uint8_t> bitstream;
  heif_writer writer{1, append_bytes};
  check(heif_context_write(c.context, &writer, &bitstream), "HEIC encoding: writing the file failed", "check memory");
  return bitstream;
}

Image decode_heic(const std::vector<uint8_t>& bitstream) {
  const std::string refused = "HEIC decoding: libheif refused the " + std::to_string(bitstream.size()) + "-byte bitstream";
  const std::string hint = "give encode_heic's output";
  HeifContext c;
  if (c.context == nullptr) throw Error("HEIC decoding: libheif could not make a context: check memory");
  // nicenergy's cap on pixels as a side limit for libheif (which takes the
  // larger side), so that a hostile header asks for no more.
  heif_context_set_maximum_image_size_limit(c.context, kMaxImageSide);
  check(heif_context_read_from_memory_without_copy(c.context, bitstream.data(), bitstream.size(), nullptr), refused, hint);
  check(heif_context_get_primary_image_handle(c.context, &c.handle), refused, hint);
  const int width = heif_image_handle_get_width(c.handle), height = heif_image_handle_get_height(c.handle);
  if (width <= 0 || height <= 0 || static_cast<uint64_t>(width) * static_cast<uint64_t>(height) > max_image_pixels())
    throw Error(refused + " (" + std::to_string(width) + "x" + std::to_string(height) +
                " is empty or over nicenergy's image size cap): give a smaller image");
  check(heif_decode_image(c.handle, &c.image, heif_colorspace_RGB, heif_chroma_interleaved_RGB, nullptr), refused, hint);
  int stride = 0;
  const uint8_t* plane = heif_image_get_plane_readonly(c.image, heif_channel_interleaved, &stride);
  if (plane == nullptr || heif_image_get_width(c.image, heif_channel_interleaved) != width ||
      heif_image_get_height(c.image, heif_channel_interleaved) != height)
    throw Error(refused + " (no 8-bit RGB image came out): " + hint);
  Image image;
  image.width = width;
  image.height = height;
  image.rgb.resize(static_cast<size_t>(width) * static_cast<size_t>(height) * 3);
  const size_t row_bytes = static_cast<size_t>(width) * 3;
  for (int y = 0; y < height; ++y)
    std::copy_n(plane + static_cast<size_t>(y) * stride, row_bytes, image.rgb.data() + y * row_bytes);
  return image;
}

std::string heic_library_version() {
  HeifContext c;
  std::string encoder = "none";
  if (c.context && heif_context_get_encoder_for_format(c.context, heif_compression_HEVC, &c.encoder).code == heif_error_Ok)
    encoder = heif_encoder_get_name(c.encoder);
  return std::string("libheif ") + heif_get_version() + " (HEVC encoder: " + encoder + ")";
}

#else

namespace {
[[noreturn]] void without_heif() {
  throw Error("HEIC: nicenergy was built without libheif: apt install libheif-dev and rebuild");
}
}  // namespace

std::vector<uint8_t> encode_heic(const Image&, const HeicSettings&) { without_heif(); }
Image decode_heic(const std::vector<uint8_t>&) { without_heif(); }
std::string heic_library_version() { return ""; }

#endif

}  // namespace nicenergy
