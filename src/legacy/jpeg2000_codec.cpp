#include "legacy/jpeg2000_codec.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "error.h"
#include "legacy/codec_input.h"

#ifdef NICENERGY_WITH_OPENJP2
#include <openjpeg.h>
#endif

namespace nicenergy {

#ifdef NICENERGY_WITH_OPENJP2

namespace {

constexpr int max_side = kMaxImageSide;

// OpenJPEG's stream over bytes in memory: reads from data, or writes into out
// (the encoder may seek back to patch a marker it wrote).
struct MemoryStream {
  const uint8_t* data = nullptr;
  size_t size = 0;
  std::vector<uint8_t>* out = nullptr;
  size_t position = 0;
};

OPJ_SIZE_T read_bytes(void* buffer, OPJ_SIZE_T count, void* user) {
  auto* s = static_cast<MemoryStream*>(user);
  if (s->position >= s->size) return static_cast<OPJ_SIZE_T>(-1);  // OpenJPEG's end of stream
  const size_t n = std::min<size_t>(count, s->size - s->position);
  std::memcpy(buffer, s->data + s->position, n);
  s->position += n;
  return n;
}

OPJ_SIZE_T write_bytes(void* buffer, OPJ_SIZE_T count, void* user) {
  auto* s = static_cast<MemoryStream*>(user);
  if (s->out->size() < s->position + count) s->out->resize(s->position + count);
  std::memcpy(s->out->data() + s->position, buffer, count);
  s->position += count;
  return count;
}


OPJ_BOOL seek_to(OPJ_OFF_T offset, void* user) {
  auto* s = static_cast<MemoryStream*>(user);
  if (offset < 0 || (s->out == nullptr && static_cast<size_t>(offset) > s->size)) return OPJ_FALSE;
  s->position = static_cast<size_t>(offset);
  return OPJ_TRUE;
}

OPJ_OFF_T skip_bytes(OPJ_OFF_T count, void* user) {
  auto* s = static_cast<MemoryStream*>(user);
  if (count < 0 && static_cast<size_t>(-count) > s->position) return -1;
  size_t target = s->position + static_cast<size_t>(count);
  if (s->out == nullptr) target = std::min(target, s->size);
  const OPJ_OFF_T moved = static_cast<OPJ_OFF_T>(target) - static_cast<OPJ_OFF_T>(s->position);
  s->position = target;
  return moved;
}

// OpenJPEG's error messages, kept (the last one, on one line) for the exception.
void keep_message(const char* message, void* user) {
  auto* last = static_cast<std::string*>(user);
  *last = message ? message : "";
  std::replace(last->begin(), last->end(), '\n', ' ');
  while (!last->empty() && last->back() == ' ') last->pop_back();
}

void ignore_message(const char*, void*) {}

// The library's objects, released in any case.
struct OpjContext {
  opj_codec_t* codec = nullptr;
  opj_stream_t* stream = nullptr;
  opj_image_t* image = nullptr;
  std::string error;
  ~OpjContext() {
    if (stream) opj_stream_destroy(stream);
    if (codec) opj_destroy_codec(codec);
    if (image) opj_image_destroy(image);
  }
  void listen() {
    opj_set_error_handler(codec, keep_message, &error);
    opj_set_warning_handler(codec, ignore_message, nullptr);
    opj_set_info_handler(codec, ignore_message, nullptr);
  }
};

opj_stream_t* make_stream(MemoryStream& memory, bool input) {
  opj_stream_t* stream = opj_stream_create(OPJ_J2K_STREAM_CHUNK_SIZE, input ? OPJ_TRUE : OPJ_FALSE);
  if (stream == nullptr) return nullptr;
  opj_stream_set_user_data(stream, &memory, nullptr);
  if (input) {
    opj_stream_set_read_function(stream, read_bytes);
    opj_stream_set_user_data_length(stream, memory.size);
  } else {
    opj_stream_set_write_function(stream, write_bytes);
  }
  opj_stream_set_skip_function(stream, skip_bytes);
  opj_stream_set_seek_function(stream, seek_to);
  return stream;
}

std::string format_ratio(double ratio) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", ratio);
  return text;
}

}  // namespace

std::vector<uint8_t> encode_jpeg2000(const Image& image, const Jpeg2000Settings& settings) {
  if (!(settings.compression_ratio >= 2 && settings.compression_ratio <= 1000))
    throw Error("JPEG 2000 compression_ratio " + format_ratio(settings.compression_ratio) +
                " is outside 2..1000: give a ratio from 2 (best) to 1000 (smallest)");
  check_codec_input(image, "JPEG 2000", max_side);
  OpjContext c;
  opj_image_cmptparm_t components[3];
  std::memset(components, 0, sizeof components);
  for (opj_image_cmptparm_t& component : components) {
    component.dx = component.dy = 1;
    component.w = static_cast<OPJ_UINT32>(image.width);
    component.h = static_cast<OPJ_UINT32>(image.height);
    component.prec = 8;
    component.sgnd = 0;
  }
  c.image = opj_image_create(3, components, OPJ_CLRSPC_SRGB);
  if (c.image == nullptr) throw Error("JPEG 2000 encoding: OpenJPEG could not make an image: check memory");
  c.image->x0 = c.image->y0 = 0;
  c.image->x1 = static_cast<OPJ_UINT32>(image.width);
  c.image->y1 = static_cast<OPJ_UINT32>(image.height);
  const size_t pixels = static_cast<size_t>(image.width) * static_cast<size_t>(image.height);
  for (int k = 0; k < 3; ++k)
    for (size_t i = 0; i < pixels; ++i) c.image->comps[k].data[i] = image.rgb[i * 3 + k];
  opj_cparameters_t parameters;
  opj_set_default_encoder_parameters(&parameters);
  parameters.tcp_numlayers = 1;
  parameters.tcp_rates[0] = static_cast<float>(settings.compression_ratio);
  parameters.cp_disto_alloc = 1;
  parameters.irreversible = 1;
  parameters.tcp_mct = 1;
  c.codec = opj_create_compress(OPJ_CODEC_J2K);
  if (c.codec == nullptr) throw Error("JPEG 2000 encoding: OpenJPEG could not make an encoder: check memory");
  c.listen();
  std::vector<uint8_t> bitstream;
  MemoryStream memory;
  memory.out = &bitstream;
  c.stream = make_stream(memory, false);
  if (c.stream == nullptr || !opj_setup_encoder(c.codec, &parameters, c.image) ||
      !opj_start_compress(c.codec, c.image, c.stream) || !opj_encode(c.codec, c.stream) ||
      !opj_end_compress(c.codec, c.stream))
    throw Error("JPEG 2000 encoding failed (OpenJPEG: " + (c.error.empty() ? std::string("no message") : c.error) +
                "): check memory and the image");
  return bitstream;
}

Image decode_jpeg2000(const std::vector<uint8_t>& bitstream) {
  const std::string refused =
      "JPEG 2000 decoding: OpenJPEG refused the " + std::to_string(bitstream.size()) + "-byte bitstream";
  const std::string hint = ": give encode_jpeg2000's output";
  // OpenJPEG reads past a J2K codestream's start only when it is one.
  if (bitstream.size() < 4 || bitstream[0] != 0xff || bitstream[1] != 0x4f || bitstream[2] != 0xff || bitstream[3] != 0x51)
    throw Error(refused + " (it does not start with the J2K markers FF 4F FF 51)" + hint);
  OpjContext c;
  c.codec = opj_create_decompress(OPJ_CODEC_J2K);
  if (c.codec == nullptr) throw Error("JPEG 2000 decoding: OpenJPEG could not make a decoder: check memory");
  c.listen();
  opj_dparameters_t parameters;
  opj_set_default_decoder_parameters(&parameters);
  MemoryStream memory;
  memory.data = bitstream.data();
  memory.size = bitstream.size();
  c.stream = make_stream(memory, true);
  const auto detail = [&c] { return c.error.empty() ? std::string() : " (OpenJPEG: " + c.error + ")"; };
  if (c.stream == nullptr || !opj_setup_decoder(c.codec, &parameters) || !opj_read_header(c.stream, c.codec, &c.image))
    throw Error(refused + detail() + hint);
  const uint64_t width = c.image->x1 - c.image->x0, height = c.image->y1 - c.image->y0;
  if (width == 0 || height == 0 || width > static_cast<uint64_t>(kMaxImageSide) ||
      height > static_cast<uint64_t>(kMaxImageSide) || width * height > max_image_pixels())
    throw Error(refused + " (" + std::to_string(width) + "x" + std::to_string(height) +
                " is empty or over nicenergy's image size cap): give a smaller image");
  if (!opj_decode(c.codec, c.stream, c.image) || !opj_end_decompress(c.codec, c.stream))
    throw Error(refused + detail() + hint);
  if (c.image->numcomps != 3) throw Error(refused + " (not three components)" + hint);
  for (int k = 0; k < 3; ++k) {
    const opj_image_comp_t& component = c.image->comps[k];
    if (component.w != width || component.h != height || component.prec != 8 || component.sgnd || !component.data)
      throw Error(refused + " (not three full-size unsigned 8-bit components)" + hint);
  }
  Image image;
  image.width = static_cast<int>(width);
  image.height = static_cast<int>(height);
  image.rgb.resize(width * height * 3);
  for (int k = 0; k < 3; ++k)
    for (size_t i = 0; i < width * height; ++i)
      image.rgb[i * 3 + k] = static_cast<uint8_t>(std::clamp<OPJ_INT32>(c.image->comps[k].data[i], 0, 255));
  return image;
}

std::string jpeg2000_library_version() { return opj_version(); }

#else

namespace {
[[noreturn]] void without_openjpeg() {
  throw Error("JPEG 2000: nicenergy was built without OpenJPEG: apt install libopenjp2-7-dev and rebuild");
}
}  // namespace

std::vector<uint8_t> encode_jpeg2000(const Image&, const Jpeg2000Settings&) { without_openjpeg(); }
Image decode_jpeg2000(const std::vector<uint8_t>&) { without_openjpeg(); }
std::string jpeg2000_library_version() { return ""; }

#endif

}  // namespace nicenergy
