#include "legacy/jpeg_codec.h"

#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

// jpeglib.h needs FILE and size_t declared before it.
#include <jpeglib.h>

#include "error.h"

// libjpeg reports errors through a callback that must not return; it longjmps
// back to the setjmp in encode_steps. As in src/image/image.cpp, that function
// keeps only trivial locals, the library's state lives in a context owned by the
// caller, and the exception is thrown after it has returned, so that no C++
// destructor is skipped.

namespace nicenergy {

namespace {

struct JpegCodecErrors {
  jpeg_error_mgr manager;  // first, so libjpeg's pointer to it is a pointer to this
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

struct EncodeContext {
  jpeg_compress_struct cinfo{};
  JpegCodecErrors errors{};
  unsigned char* buffer = nullptr;  // malloc'd by jpeg_mem_dest, ours to free
  unsigned long size = 0;
  bool created = false;
  ~EncodeContext() {
    if (created) jpeg_destroy_compress(&cinfo);
    std::free(buffer);
  }
};

[[noreturn]] void on_error(j_common_ptr cinfo) {
  auto* errors = reinterpret_cast<JpegCodecErrors*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, errors->message);
  std::longjmp(errors->jump, 1);
}

void on_output(j_common_ptr) {}  // libjpeg would print warnings to stderr

bool encode_steps(EncodeContext& c, const Image& image, const JpegSettings& settings) {
  if (setjmp(c.errors.jump)) return false;
  c.cinfo.err = jpeg_std_error(&c.errors.manager);
  c.errors.manager.error_exit = on_error;
  c.errors.manager.output_message = on_output;
  jpeg_create_compress(&c.cinfo);
  c.created = true;
  jpeg_mem_dest(&c.cinfo, &c.buffer, &c.size);
  c.cinfo.image_width = static_cast<JDIMENSION>(image.width);
  c.cinfo.image_height = static_cast<JDIMENSION>(image.height);
  c.cinfo.input_components = 3;
  c.cinfo.in_color_space = JCS_RGB;
  jpeg_set_defaults(&c.cinfo);  // YCbCr, 4:2:0, standard Huffman tables
  jpeg_set_quality(&c.cinfo, settings.quality, TRUE);
  // Chroma is subsampled by giving luma the larger sampling factors.
  const int h = settings.subsampling == JpegSubsampling::s444 ? 1 : 2;
  const int v = settings.subsampling == JpegSubsampling::s420 ? 2 : 1;
  c.cinfo.comp_info[0].h_samp_factor = h;
  c.cinfo.comp_info[0].v_samp_factor = v;
  jpeg_start_compress(&c.cinfo, TRUE);
  const size_t row_bytes = static_cast<size_t>(image.width) * 3;
  while (c.cinfo.next_scanline < c.cinfo.image_height) {
    // libjpeg reads the rows only; its API is not const-qualified.
    JSAMPROW rows[1] = {const_cast<JSAMPLE*>(image.rgb.data() + c.cinfo.next_scanline * row_bytes)};
    jpeg_write_scanlines(&c.cinfo, rows, 1);
  }
  jpeg_finish_compress(&c.cinfo);
  return true;
}

}  // namespace

std::vector<uint8_t> encode_jpeg(const Image& image, const JpegSettings& settings) {
  if (settings.quality < 1 || settings.quality > 100)
    throw Error("JPEG quality " + std::to_string(settings.quality) + " is outside 1..100: give a quality from 1 to 100");
  if (image.width <= 0 || image.height <= 0 ||
      image.rgb.size() != static_cast<size_t>(image.width) * static_cast<size_t>(image.height) * 3)
    throw Error("JPEG encoding: the image (" + std::to_string(image.width) + "x" + std::to_string(image.height) +
                ") has no pixels or a buffer that is not width x height x 3: load it with load_image");
  // JPEG's frame header holds 16-bit sizes.
  if (image.width > 65535 || image.height > 65535)
    throw Error("JPEG encoding: the image is " + std::to_string(image.width) + "x" + std::to_string(image.height) +
                ", over JPEG's 65535 pixels a side: give a smaller image");
  EncodeContext c;
  if (!encode_steps(c, image, settings))
    throw Error(std::string("JPEG encoding failed (libjpeg: ") + c.errors.message + "): check memory and the image");
  return std::vector<uint8_t>(c.buffer, c.buffer + c.size);
}

Image decode_jpeg(const std::vector<uint8_t>& bitstream) {
  // load_image's decoder also takes PNG; a JPEG codec's output must be JPEG.
  if (bitstream.size() < 3 || bitstream[0] != 0xff || bitstream[1] != 0xd8 || bitstream[2] != 0xff)
    throw Error("JPEG decoding: the " + std::to_string(bitstream.size()) +
                "-byte bitstream does not start with a JPEG marker (FF D8 FF): give encode_jpeg's output");
  return decode_image_bytes(bitstream.data(), bitstream.size(), "JPEG bitstream in memory");
}

}  // namespace nicenergy
