#include "image/image.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <regex>

// jpeglib.h needs FILE and size_t declared before it.
#include <jpeglib.h>
#include <jerror.h>
#include <png.h>

#include "error.h"
#include "io/numbers.h"

// Both libraries report errors through a callback that must not return; they
// longjmp back to a setjmp in the function that called them. So that no C++
// destructor is ever skipped, each function holding a setjmp keeps only trivial
// locals and its callees' state (structs, buffers, messages) lives in a context
// object owned by the caller, and C++ exceptions are thrown only after the
// setjmp function has returned. The libraries' own texts reach messages only
// through printable(), as they can quote bytes of the file.

namespace nicenergy {

namespace {

std::atomic<uint64_t> g_max_pixels{0};  // 0: not set; the environment or the default

constexpr uint64_t kMaxPixelsBound = uint64_t(kMaxImageSide) * kMaxImageSide;
// Real progressive JPEGs have about 10 scans; thousands of tiny scans each cost a
// pass over the whole image (a known CPU-time attack), so more than this is refused.
constexpr int kMaxJpegScans = 500;
// Ancillary PNG chunks (text, ICC profiles) are the only memory libpng takes
// before the pixel cap is checked; this bounds each one.
constexpr size_t kMaxPngChunkBytes = 8u << 20;

std::string label(const std::string& name) { return "image '" + printable(name, 1000) + "'"; }

std::string dims(uint64_t width, uint64_t height) { return std::to_string(width) + "x" + std::to_string(height); }

std::string megapixels(uint64_t pixels) {
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", pixels / 1e6);
  return text;
}

uint64_t parse_pixel_cap(const char* text) {
  const std::string value = text;
  uint64_t pixels = 0;
  bool ok = !value.empty() && value.size() <= 12 &&
            std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (ok) pixels = std::stoull(value);
  if (!ok || pixels < 1 || pixels > kMaxPixelsBound)
    throw Error("NICENERGY_MAX_IMAGE_PIXELS='" + printable(value, 40) + "' is not a whole number from 1 to " +
                std::to_string(kMaxPixelsBound) + ": unset it (default " + std::to_string(kDefaultMaxImagePixels) +
                ") or give the largest width x height to accept");
  return pixels;
}

// The one check of declared (or requested) dimensions; what says what is refused.
void check_dimensions(const std::string& what, uint64_t width, uint64_t height) {
  if (width == 0 || height == 0)
    throw Error(what + " has " + dims(width, height) + " pixels, fewer than 1x1: give an intact image or a positive size");
  if (width > kMaxImageSide || height > kMaxImageSide)
    throw Error(what + " has " + dims(width, height) + " pixels, over the limit of " +
                std::to_string(kMaxImageSide) + " a side: give a smaller image");
  const uint64_t cap = max_image_pixels();
  if (width * height > cap)
    throw Error(what + " has " + dims(width, height) + " pixels (" + megapixels(width * height) +
                " megapixels), over the limit of " + megapixels(cap) +
                " megapixels: give a smaller image, or raise NICENERGY_MAX_IMAGE_PIXELS if it is genuine");
}

// Where the bytes come from: an open regular file or a buffer in memory.
struct ByteSource {
  std::FILE* file = nullptr;
  const uint8_t* data = nullptr;
  size_t size = 0;
  size_t position = 0;

  size_t read(uint8_t* out, size_t count) {
    if (file != nullptr) return std::fread(out, 1, count, file);
    const size_t n = std::min(count, size - position);
    if (n > 0) std::memcpy(out, data + position, n);
    position += n;
    return n;
  }
  bool rewind() {
    if (file != nullptr) return std::fseek(file, 0, SEEK_SET) == 0;
    position = 0;
    return true;
  }
};

enum class Format { png, jpeg, unknown };

Format sniff(ByteSource& source) {
  uint8_t head[8] = {};
  const size_t n = source.read(head, sizeof head);
  if (!source.rewind()) return Format::unknown;
  static const uint8_t png_signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (n == 8 && std::memcmp(head, png_signature, 8) == 0) return Format::png;
  if (n >= 3 && head[0] == 0xff && head[1] == 0xd8 && head[2] == 0xff) return Format::jpeg;
  return Format::unknown;
}

void copy_message(char* out, size_t capacity, const char* text) {
  std::snprintf(out, capacity, "%s", text != nullptr ? text : "unknown error");
}

// ---------------------------------------------------------------- PNG ----

struct PngContext {
  png_structp png = nullptr;
  png_infop info = nullptr;
  ByteSource* source = nullptr;
  std::vector<uint8_t> row;
  char message[256] = "";
  ~PngContext() {
    if (png != nullptr) png_destroy_read_struct(&png, info != nullptr ? &info : nullptr, nullptr);
  }
};

void png_on_error(png_structp png, png_const_charp text) {
  auto* context = static_cast<PngContext*>(png_get_error_ptr(png));
  copy_message(context->message, sizeof context->message, text);
  png_longjmp(png, 1);
}

// Warnings are about ancillary chunks (colour profiles, text) that are not used;
// they are not printed (libpng's default would write them, bytes and all, to stderr).
void png_on_warning(png_structp, png_const_charp) {}

void png_read_bytes(png_structp png, png_bytep out, size_t count) {
  auto* context = static_cast<PngContext*>(png_get_io_ptr(png));
  if (context->source->read(out, count) != count) png_error(png, "the file ends early (truncated)");
}

bool png_read_header(PngContext& c, png_uint_32& width, png_uint_32& height) {
  if (setjmp(png_jmpbuf(c.png))) return false;
  png_set_read_fn(c.png, &c, png_read_bytes);
  png_set_chunk_malloc_max(c.png, kMaxPngChunkBytes);
  png_read_info(c.png, c.info);
  width = png_get_image_width(c.png, c.info);
  height = png_get_image_height(c.png, c.info);
  return true;
}

bool png_read_pixels(PngContext& c, Image& image) {
  if (setjmp(png_jmpbuf(c.png))) return false;
  const int bit_depth = png_get_bit_depth(c.png, c.info);
  const int color_type = png_get_color_type(c.png, c.info);
  if (bit_depth == 16) png_set_strip_16(c.png);  // the high byte, as stb_image did
  if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(c.png);
  if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(c.png);
  if (color_type == PNG_COLOR_TYPE_GRAY || color_type == PNG_COLOR_TYPE_GRAY_ALPHA) png_set_gray_to_rgb(c.png);
  png_set_strip_alpha(c.png);  // alpha (and tRNS expanded to alpha) is dropped, not composited
  const int passes = png_set_interlace_handling(c.png);
  png_read_update_info(c.png, c.info);
  const size_t row_bytes = static_cast<size_t>(image.width) * 3;
  if (png_get_channels(c.png, c.info) != 3 || png_get_bit_depth(c.png, c.info) != 8 ||
      png_get_rowbytes(c.png, c.info) != row_bytes)
    png_error(c.png, "unexpected pixel layout after conversion to 8-bit RGB");
  const size_t total = row_bytes * static_cast<size_t>(image.height);
  if (passes == 1) {
    // Reserved, not filled: pages are touched only as rows arrive, so a small
    // file declaring a large image fails before it costs real memory.
    image.rgb.reserve(total);
    c.row.resize(row_bytes);
    for (int y = 0; y < image.height; ++y) {
      png_read_row(c.png, c.row.data(), nullptr);
      image.rgb.insert(image.rgb.end(), c.row.begin(), c.row.end());
    }
  } else {
    // Interlaced rows are revisited pass after pass: the whole image up front.
    image.rgb.assign(total, 0);
    for (int pass = 0; pass < passes; ++pass)
      for (int y = 0; y < image.height; ++y) png_read_row(c.png, image.rgb.data() + y * row_bytes, nullptr);
  }
  return true;
}

void decode_png(ByteSource& source, const std::string& name, Image* image, ImageInfo* info) {
  PngContext c;
  c.source = &source;
  c.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &c, png_on_error, png_on_warning);
  if (c.png != nullptr) c.info = png_create_info_struct(c.png);
  if (c.png == nullptr || c.info == nullptr) throw Error(label(name) + ": libpng could not start (out of memory?)");
  const std::string failed = label(name) + " cannot be decoded as PNG (libpng: ";
  png_uint_32 width = 0, height = 0;
  if (!png_read_header(c, width, height)) throw Error(failed + printable(c.message, 300) + "): give an intact PNG or JPEG file");
  check_dimensions(label(name), width, height);
  if (info != nullptr) *info = {static_cast<int>(width), static_cast<int>(height)};
  if (image == nullptr) return;
  image->width = static_cast<int>(width);
  image->height = static_cast<int>(height);
  if (!png_read_pixels(c, *image)) {
    image->rgb = {};
    throw Error(failed + printable(c.message, 300) + "): give an intact PNG or JPEG file");
  }
}

// ---------------------------------------------------------------- JPEG ---

struct JpegErrors {
  jpeg_error_mgr manager;  // first, so libjpeg's pointer to it is a pointer to this
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

struct JpegContext {
  jpeg_decompress_struct cinfo{};
  JpegErrors errors{};
  jpeg_progress_mgr progress{};
  std::vector<uint8_t> row;
  ~JpegContext() { jpeg_destroy_decompress(&cinfo); }  // safe on a zeroed or half-made struct
};

[[noreturn]] void jpeg_fail(j_common_ptr cinfo, const char* text) {
  auto* errors = reinterpret_cast<JpegErrors*>(cinfo->err);
  copy_message(errors->message, sizeof errors->message, text);
  std::longjmp(errors->jump, 1);
}

[[noreturn]] void jpeg_on_error(j_common_ptr cinfo) {
  auto* errors = reinterpret_cast<JpegErrors*>(cinfo->err);
  if (cinfo->err->msg_code == JERR_NO_BACKING_STORE)
    jpeg_fail(cinfo, "it needs more memory than its dimensions justify");
  char text[JMSG_LENGTH_MAX];
  (*cinfo->err->format_message)(cinfo, text);
  copy_message(errors->message, sizeof errors->message, text);
  std::longjmp(errors->jump, 1);
}

// Level -1 is a warning about corrupt data, which libjpeg would patch over
// (grey for a truncated file): refused, so no measurement runs on a damaged
// image. Warnings about metadata alone leave the pixels intact and pass.
void jpeg_on_message(j_common_ptr cinfo, int level) {
  if (level >= 0) return;  // trace messages
  const int code = cinfo->err->msg_code;
  if (code == JWRN_JFIF_MAJOR || code == JWRN_ADOBE_XFORM || code == JWRN_BOGUS_ICC) return;
  jpeg_on_error(cinfo);
}

void jpeg_on_output(j_common_ptr) {}  // libjpeg would print to stderr

void jpeg_on_progress(j_common_ptr cinfo) {
  if (cinfo->is_decompressor && reinterpret_cast<j_decompress_ptr>(cinfo)->input_scan_number > kMaxJpegScans)
    jpeg_fail(cinfo, "more than 500 scans (real progressive files have about 10)");
}

bool jpeg_read_header_safely(JpegContext& c, ByteSource& source) {
  if (setjmp(c.errors.jump)) return false;
  c.cinfo.err = jpeg_std_error(&c.errors.manager);
  c.errors.manager.error_exit = jpeg_on_error;
  c.errors.manager.emit_message = jpeg_on_message;
  c.errors.manager.output_message = jpeg_on_output;
  jpeg_create_decompress(&c.cinfo);
  c.progress.progress_monitor = jpeg_on_progress;
  c.cinfo.progress = &c.progress;
  if (source.file != nullptr)
    jpeg_stdio_src(&c.cinfo, source.file);
  else
    jpeg_mem_src(&c.cinfo, source.data, static_cast<unsigned long>(source.size));
  jpeg_read_header(&c.cinfo, TRUE);  // parses every table up to the first scan
  return true;
}

bool jpeg_read_pixels(JpegContext& c, Image& image, bool cmyk) {
  if (setjmp(c.errors.jump)) return false;
  c.cinfo.out_color_space = cmyk ? JCS_CMYK : JCS_RGB;
  // A progressive file keeps all its coefficients: at most 4 components x 2
  // bytes a pixel, plus slack for small images padded to whole blocks.
  const uint64_t budget = static_cast<uint64_t>(image.width) * image.height * 8 + (64u << 20);
  c.cinfo.mem->max_memory_to_use = static_cast<long>(budget);
  jpeg_start_decompress(&c.cinfo);
  const int components = cmyk ? 4 : 3;
  if (c.cinfo.output_width != static_cast<JDIMENSION>(image.width) ||
      c.cinfo.output_height != static_cast<JDIMENSION>(image.height) || c.cinfo.output_components != components)
    jpeg_fail(reinterpret_cast<j_common_ptr>(&c.cinfo), "unexpected output layout");
  const size_t row_bytes = static_cast<size_t>(image.width) * 3;
  image.rgb.reserve(row_bytes * image.height);  // reserved, filled as rows arrive (see PNG)
  c.row.resize(static_cast<size_t>(image.width) * components);
  while (c.cinfo.output_scanline < c.cinfo.output_height) {
    JSAMPROW rows[1] = {c.row.data()};
    if (jpeg_read_scanlines(&c.cinfo, rows, 1) != 1)
      jpeg_fail(reinterpret_cast<j_common_ptr>(&c.cinfo), "no scanline decoded");
    if (!cmyk) {
      image.rgb.insert(image.rgb.end(), c.row.begin(), c.row.end());
      continue;
    }
    // CMYK JPEGs (Adobe's) store inverted inks: R = C' K' / 255 and so on.
    for (int x = 0; x < image.width; ++x) {
      const unsigned k = c.row[x * 4 + 3];
      for (int ch = 0; ch < 3; ++ch) image.rgb.push_back(static_cast<uint8_t>((c.row[x * 4 + ch] * k + 127) / 255));
    }
  }
  return true;
}

void decode_jpeg(ByteSource& source, const std::string& name, Image* image, ImageInfo* info) {
  JpegContext c;
  const std::string failed = label(name) + " cannot be decoded as JPEG (libjpeg: ";
  const std::string advice = "): give an intact PNG or JPEG file";
  if (!jpeg_read_header_safely(c, source)) throw Error(failed + printable(c.errors.message, 300) + advice);
  check_dimensions(label(name), c.cinfo.image_width, c.cinfo.image_height);
  bool cmyk = false;
  switch (c.cinfo.jpeg_color_space) {
    case JCS_GRAYSCALE: case JCS_YCbCr: case JCS_RGB: break;
    case JCS_CMYK: case JCS_YCCK: cmyk = true; break;
    default:
      throw Error(label(name) + " cannot be decoded as JPEG: its colour space (" +
                  std::to_string(c.cinfo.num_components) + " components) is none of grey, YCbCr, RGB or CMYK; "
                  "convert it to an RGB PNG or JPEG");
  }
  if (info != nullptr) *info = {static_cast<int>(c.cinfo.image_width), static_cast<int>(c.cinfo.image_height)};
  if (image == nullptr) return;
  image->width = static_cast<int>(c.cinfo.image_width);
  image->height = static_cast<int>(c.cinfo.image_height);
  if (!jpeg_read_pixels(c, *image, cmyk)) {
    image->rgb = {};
    throw Error(failed + printable(c.errors.message, 300) + advice);
  }
}

void decode(ByteSource& source, const std::string& name, Image* image, ImageInfo* info) {
  switch (sniff(source)) {
    case Format::png: return decode_png(source, name, image, info);
    case Format::jpeg: return decode_jpeg(source, name, image, info);
    case Format::unknown: break;
  }
  throw Error(label(name) + " cannot be decoded: its first bytes are neither PNG's nor JPEG's; give a PNG or JPEG file");
}

// An open regular file, closed on the way out.
struct OpenFile {
  std::FILE* file = nullptr;
  ~OpenFile() {
    if (file != nullptr) std::fclose(file);
  }
};

// Refuses anything but a regular file before reading it: opening a FIFO for
// reading blocks until a writer comes, and devices can be endless. The type is
// checked again on the open descriptor (O_NONBLOCK, so even a FIFO swapped in
// meanwhile cannot block the open).
void open_regular_file(const std::string& path, OpenFile& out) {
  namespace fs = std::filesystem;
  std::error_code error;
  const fs::file_status status = fs::status(path, error);
  const std::string what = label(path);
  const std::string advice = ": give the path of a PNG or JPEG file";
  switch (status.type()) {
    case fs::file_type::regular: break;
    case fs::file_type::not_found: throw Error(what + " does not exist" + advice);
    case fs::file_type::directory: throw Error(what + " is a directory, not a file" + advice);
    case fs::file_type::fifo: throw Error(what + " is a FIFO (named pipe), not a regular file" + advice);
    case fs::file_type::character: throw Error(what + " is a character device, not a regular file" + advice);
    case fs::file_type::block: throw Error(what + " is a block device, not a regular file" + advice);
    case fs::file_type::socket: throw Error(what + " is a socket, not a regular file" + advice);
    case fs::file_type::none:
      throw Error(what + " cannot be examined (" + printable(error.message(), 300) + "): check the path and its permissions");
    default: throw Error(what + " is not a regular file" + advice);
  }
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) throw Error(what + " cannot be opened (" + printable(std::strerror(errno), 300) + "): check its permissions");
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw Error(what + " is not a regular file" + advice);
  }
  out.file = ::fdopen(fd, "rb");
  if (out.file == nullptr) {
    ::close(fd);
    throw Error(what + " cannot be opened (" + printable(std::strerror(errno), 300) + "): check its permissions");
  }
}

void check_image(const Image& image, const std::string& what) {
  if (image.width <= 0 || image.height <= 0 ||
      image.rgb.size() != static_cast<size_t>(image.width) * image.height * 3)
    throw Error(what + ": the image is empty or its pixels do not match its " + dims(std::max(image.width, 0), std::max(image.height, 0)) + " size");
}

}  // namespace

uint64_t max_image_pixels() {
  const uint64_t set = g_max_pixels.load();
  if (set != 0) return set;
  const char* env = std::getenv("NICENERGY_MAX_IMAGE_PIXELS");
  if (env == nullptr || *env == '\0') return kDefaultMaxImagePixels;
  return parse_pixel_cap(env);
}

void set_max_image_pixels(uint64_t pixels) {
  if (pixels > kMaxPixelsBound)
    throw Error("the image pixel cap " + std::to_string(pixels) + " is over " + std::to_string(kMaxPixelsBound) +
                " (" + std::to_string(kMaxImageSide) + " a side): give a smaller cap");
  g_max_pixels.store(pixels);
}

Image load_image(const std::string& path) {
  OpenFile file;
  open_regular_file(path, file);
  ByteSource source;
  source.file = file.file;
  Image image;
  decode(source, path, &image, nullptr);
  return image;
}

ImageInfo image_info(const std::string& path) {
  OpenFile file;
  open_regular_file(path, file);
  ByteSource source;
  source.file = file.file;
  ImageInfo info;
  decode(source, path, nullptr, &info);
  return info;
}

Image decode_image_bytes(const uint8_t* data, size_t size, const std::string& name) {
  ByteSource source;
  source.data = data;
  source.size = data != nullptr ? size : 0;
  Image image;
  decode(source, name, &image, nullptr);
  return image;
}

ImageInfo image_info_bytes(const uint8_t* data, size_t size, const std::string& name) {
  ByteSource source;
  source.data = data;
  source.size = data != nullptr ? size : 0;
  ImageInfo info;
  decode(source, name, nullptr, &info);
  return info;
}

// ---------------------------------------------------------- PNG out ------

namespace {

struct PngWriter {
  png_structp png = nullptr;
  png_infop info = nullptr;
  std::FILE* file = nullptr;
  char message[256] = "";
  ~PngWriter() {
    if (png != nullptr) png_destroy_write_struct(&png, info != nullptr ? &info : nullptr);
    if (file != nullptr) std::fclose(file);
  }
};

void png_on_write_error(png_structp png, png_const_charp text) {
  auto* writer = static_cast<PngWriter*>(png_get_error_ptr(png));
  copy_message(writer->message, sizeof writer->message, text);
  png_longjmp(png, 1);
}

bool png_write_all(PngWriter& w, const Image& image) {
  if (setjmp(png_jmpbuf(w.png))) return false;
  png_init_io(w.png, w.file);
  png_set_IHDR(w.png, w.info, image.width, image.height, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(w.png, w.info);
  const size_t row_bytes = static_cast<size_t>(image.width) * 3;
  for (int y = 0; y < image.height; ++y)
    png_write_row(w.png, const_cast<png_bytep>(image.rgb.data() + y * row_bytes));
  png_write_end(w.png, nullptr);
  return true;
}

}  // namespace

void save_png(const Image& image, const std::string& path) {
  const std::string what = "PNG '" + printable(path, 1000) + "'";
  check_image(image, "cannot write " + what);
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  std::error_code error;
  if (!parent.empty()) std::filesystem::create_directories(parent, error);
  PngWriter w;
  w.file = std::fopen(path.c_str(), "wb");
  if (w.file == nullptr)
    throw Error("cannot write " + what + " (" + printable(std::strerror(errno), 300) + "): check that its folder is writable");
  w.png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &w, png_on_write_error, png_on_warning);
  if (w.png != nullptr) w.info = png_create_info_struct(w.png);
  if (w.png == nullptr || w.info == nullptr) throw Error("cannot write " + what + ": libpng could not start (out of memory?)");
  const bool written = png_write_all(w, image);
  const int closed = std::fclose(w.file);
  w.file = nullptr;
  if (!written || closed != 0)
    throw Error("cannot write " + what + " (" + printable(written ? std::strerror(errno) : w.message, 300) +
                "): check that its folder is writable and has space");
}

void save_ppm(const Image& image, const std::string& path) {
  const std::string what = "PPM '" + printable(path, 1000) + "'";
  check_image(image, "cannot write " + what);
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr)
    throw Error("cannot write " + what + " (" + printable(std::strerror(errno), 300) + "): check that its folder is writable");
  const std::string header = "P6\n" + std::to_string(image.width) + " " + std::to_string(image.height) + "\n255\n";
  const bool written = std::fwrite(header.data(), 1, header.size(), file) == header.size() &&
                       std::fwrite(image.rgb.data(), 1, image.rgb.size(), file) == image.rgb.size();
  const int closed = std::fclose(file);
  if (!written || closed != 0)
    throw Error("cannot write " + what + " (" + printable(std::strerror(errno), 300) + "): check that its folder has space");
}

// ----------------------------------------------------- resize, mosaic ----

Image resize_image(const Image& image, int width, int height) {
  check_image(image, "cannot resize");
  check_dimensions("a resize to " + dims(std::max(width, 0), std::max(height, 0)), std::max(width, 0), std::max(height, 0));
  Image out{width, height, std::vector<uint8_t>(static_cast<size_t>(width) * height * 3)};
  // Bilinear with pixel centres aligned (the usual half-pixel convention).
  const double sx = static_cast<double>(image.width) / width;
  const double sy = static_cast<double>(image.height) / height;
  for (int y = 0; y < height; ++y) {
    const double fy = std::clamp((y + 0.5) * sy - 0.5, 0.0, image.height - 1.0);
    const int y0 = static_cast<int>(fy), y1 = std::min(y0 + 1, image.height - 1);
    const double wy = fy - y0;
    for (int x = 0; x < width; ++x) {
      const double fx = std::clamp((x + 0.5) * sx - 0.5, 0.0, image.width - 1.0);
      const int x0 = static_cast<int>(fx), x1 = std::min(x0 + 1, image.width - 1);
      const double wx = fx - x0;
      for (int c = 0; c < 3; ++c) {
        auto at = [&](int yy, int xx) { return image.rgb[(static_cast<size_t>(yy) * image.width + xx) * 3 + c]; };
        const double v = (1 - wy) * ((1 - wx) * at(y0, x0) + wx * at(y0, x1)) +
                         wy * ((1 - wx) * at(y1, x0) + wx * at(y1, x1));
        out.rgb[(static_cast<size_t>(y) * width + x) * 3 + c] = static_cast<uint8_t>(std::lround(v));
      }
    }
  }
  return out;
}

Image mosaic_images(const std::vector<Image>& sources, int width, int height) {
  if (sources.empty()) throw Error("mosaic needs at least one source image");
  // An empty tile would never advance the loops below.
  for (const Image& source : sources) check_image(source, "cannot make a mosaic");
  check_dimensions("a mosaic of " + dims(std::max(width, 0), std::max(height, 0)), std::max(width, 0), std::max(height, 0));
  Image out{width, height, std::vector<uint8_t>(static_cast<size_t>(width) * height * 3)};
  size_t next = 0;
  for (int ty = 0, row = 0; ty < height; ++row) {
    int tile_height = 0;
    for (int tx = 0, col = 0; tx < width; ++col) {
      const Image& tile = sources[next++ % sources.size()];
      // Mirror every other tile so neighbouring edges continue each other.
      const bool flip_x = col % 2 == 1, flip_y = row % 2 == 1;
      for (int y = 0; y < tile.height && ty + y < height; ++y)
        for (int x = 0; x < tile.width && tx + x < width; ++x) {
          const int sx = flip_x ? tile.width - 1 - x : x;
          const int sy = flip_y ? tile.height - 1 - y : y;
          for (int c = 0; c < 3; ++c)
            out.rgb[(static_cast<size_t>(ty + y) * width + tx + x) * 3 + c] =
                tile.rgb[(static_cast<size_t>(sy) * tile.width + sx) * 3 + c];
        }
      tx += tile.width;
      tile_height = std::max(tile_height, tile.height);
    }
    ty += tile_height;
  }
  return out;
}

std::vector<std::string> list_images(const std::string& folder) {
  // error_code forms throughout: the throwing ones raise filesystem_error (a
  // name too long, a folder we may not read) instead of a line naming the folder.
  std::error_code error;
  if (!std::filesystem::is_directory(folder, error))
    throw Error("image folder '" + printable(folder, 1000) + "' does not exist: give a folder of PNG or JPEG files");
  std::vector<std::string> files;
  std::filesystem::directory_iterator entries(folder, error), end;
  for (; !error && entries != end; entries.increment(error)) {
    const auto& entry = *entries;
    std::error_code type_error;
    if (!entry.is_regular_file(type_error)) continue;  // FIFOs and devices are never images
    std::string ext = entry.path().extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
    if (ext == ".png" || ext == ".jpg" || ext == ".jpeg") files.push_back(entry.path().string());
  }
  if (error)
    throw Error("image folder '" + printable(folder, 1000) + "' cannot be read (" + error.message() +
                "): check its permissions");
  std::sort(files.begin(), files.end());
  if (files.empty()) throw Error("image folder '" + printable(folder, 1000) + "' holds no PNG or JPEG files");
  return files;
}

ImageInfo parse_size(const std::string& text) {
  static const std::regex pattern(R"(^\s*([0-9]{1,6})\s*[xX]\s*([0-9]{1,6})\s*$)");
  std::smatch match;
  if (!std::regex_match(text, match, pattern))
    throw Error("size '" + printable(text, 300) + "' is not WIDTHxHEIGHT: write it like 768x512");
  const int width = std::stoi(match[1]), height = std::stoi(match[2]);
  if (width < 1 || height < 1) throw Error("size '" + printable(text, 300) + "' must be at least 1x1");
  check_dimensions("size '" + printable(text, 300) + "'", width, height);
  return {width, height};
}

}  // namespace nicenergy
