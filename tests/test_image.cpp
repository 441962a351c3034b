#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <iterator>
#include <new>
#include <set>

// jpeglib.h needs FILE and size_t declared before it.
#include <jpeglib.h>
#include <png.h>
#include <zlib.h>

#include "error.h"
#include "image/image.h"

using namespace nicenergy;

// The largest single operator new request, so that a test can show that a
// refused image never asked for its pixel buffer (replacing operator new is
// allowed program-wide; this one only records the size).
static std::atomic<size_t> g_largest_new{0};

void* operator new(std::size_t size) {
  size_t seen = g_largest_new.load(std::memory_order_relaxed);
  while (size > seen && !g_largest_new.compare_exchange_weak(seen, size, std::memory_order_relaxed)) {
  }
  if (void* p = std::malloc(size != 0 ? size : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace {

using Bytes = std::vector<uint8_t>;

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("nicenergy_image_" + std::to_string(::getpid()) + "_" + name)).string();
}

void write_bytes(const std::string& path, const Bytes& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

Bytes read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

long peak_rss_kb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

// Runs a call that must throw nicenergy::Error and checks the message the CLI
// would print: one line of printable ASCII naming the input. Returns it.
std::string expect_clean_error(const std::function<void()>& call, const std::string& name) {
  try {
    call();
  } catch (const Error& e) {
    const std::string message = e.what();
    for (unsigned char c : message) EXPECT_TRUE(c >= 0x20 && c < 0x7f) << "byte " << int(c) << " in: " << message;
    EXPECT_NE(message.find(name), std::string::npos) << message;
    return message;
  }
  ADD_FAILURE() << "no nicenergy::Error for " << name;
  return {};
}

// ---- PNG crafting: chunks with correct CRCs, so only what a test breaks is broken.

void put32(Bytes& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(v >> shift));
}

void png_chunk(Bytes& out, const std::string& type, const Bytes& data) {
  put32(out, static_cast<uint32_t>(data.size()));
  Bytes typed(type.begin(), type.end());
  typed.insert(typed.end(), data.begin(), data.end());
  out.insert(out.end(), typed.begin(), typed.end());
  put32(out, static_cast<uint32_t>(crc32(0, typed.data(), static_cast<uInt>(typed.size()))));
}

Bytes zlib_of(const Bytes& raw) {
  uLongf size = compressBound(raw.size());
  Bytes out(size);
  EXPECT_EQ(compress(out.data(), &size, raw.data(), raw.size()), Z_OK);
  out.resize(size);
  return out;
}

// The signature and header of an 8-bit RGB PNG declaring width x height.
Bytes png_header(uint32_t width, uint32_t height) {
  Bytes out = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  Bytes ihdr;
  put32(ihdr, width);
  put32(ihdr, height);
  ihdr.insert(ihdr.end(), {8, 2, 0, 0, 0});
  png_chunk(out, "IHDR", ihdr);
  return out;
}

// Image data of raw_bytes (zero) scanline bytes, then the end.
void png_body(Bytes& out, size_t raw_bytes) {
  png_chunk(out, "IDAT", zlib_of(Bytes(raw_bytes, 0)));
  png_chunk(out, "IEND", {});
}

// A PNG that declares width x height but carries only raw_bytes of pixel data.
Bytes crafted_png(uint32_t width, uint32_t height, size_t raw_bytes) {
  Bytes out = png_header(width, height);
  png_body(out, raw_bytes);
  return out;
}

// A PNG written by libpng itself in any colour type and depth.
struct PngSpec {
  int width, height, bit_depth, color_type;
  bool interlaced = false;
  std::vector<png_color> palette = {};
  Bytes transparency = {};
};

Bytes libpng_encode(const PngSpec& spec, const Bytes& packed_rows) {
  Bytes out;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    ADD_FAILURE() << "libpng could not write the test PNG";
    return {};
  }
  png_set_write_fn(png, &out, [](png_structp p, png_bytep data, size_t n) {
    auto* bytes = static_cast<Bytes*>(png_get_io_ptr(p));
    bytes->insert(bytes->end(), data, data + n);
  }, nullptr);
  png_set_IHDR(png, info, spec.width, spec.height, spec.bit_depth, spec.color_type,
               spec.interlaced ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  if (!spec.palette.empty()) png_set_PLTE(png, info, spec.palette.data(), static_cast<int>(spec.palette.size()));
  if (!spec.transparency.empty())
    png_set_tRNS(png, info, spec.transparency.data(), static_cast<int>(spec.transparency.size()), nullptr);
  png_write_info(png, info);
  const size_t row_bytes = packed_rows.size() / spec.height;
  std::vector<png_bytep> rows;
  for (int y = 0; y < spec.height; ++y) rows.push_back(const_cast<png_bytep>(packed_rows.data() + y * row_bytes));
  png_write_image(png, rows.data());
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return out;
}

// ---- JPEG crafting with libjpeg.

enum class JpegKind { rgb, grey, cmyk, progressive };

Bytes libjpeg_encode(const Image& image, int quality, JpegKind kind) {
  jpeg_compress_struct cinfo{};
  jpeg_error_mgr errors{};
  cinfo.err = jpeg_std_error(&errors);  // the inputs here are valid; libjpeg exits otherwise
  jpeg_create_compress(&cinfo);
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&cinfo, &buffer, &size);
  cinfo.image_width = image.width;
  cinfo.image_height = image.height;
  cinfo.input_components = kind == JpegKind::grey ? 1 : kind == JpegKind::cmyk ? 4 : 3;
  cinfo.in_color_space = kind == JpegKind::grey ? JCS_GRAYSCALE : kind == JpegKind::cmyk ? JCS_CMYK : JCS_RGB;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, quality, TRUE);
  if (kind == JpegKind::progressive) jpeg_simple_progression(&cinfo);
  jpeg_start_compress(&cinfo, TRUE);
  Bytes row(static_cast<size_t>(image.width) * cinfo.input_components);
  while (cinfo.next_scanline < cinfo.image_height) {
    const uint8_t* rgb = image.rgb.data() + static_cast<size_t>(cinfo.next_scanline) * image.width * 3;
    for (int x = 0; x < image.width; ++x) {
      const uint8_t r = rgb[x * 3], g = rgb[x * 3 + 1], b = rgb[x * 3 + 2];
      if (kind == JpegKind::grey) {
        row[x] = g;
      } else if (kind == JpegKind::cmyk) {
        // Adobe's inverted inks with no black: C' = R, M' = G, Y' = B, K' = 255.
        row[x * 4] = r, row[x * 4 + 1] = g, row[x * 4 + 2] = b, row[x * 4 + 3] = 255;
      } else {
        row[x * 3] = r, row[x * 3 + 1] = g, row[x * 3 + 2] = b;
      }
    }
    JSAMPROW rows[1] = {row.data()};
    jpeg_write_scanlines(&cinfo, rows, 1);
  }
  jpeg_finish_compress(&cinfo);
  Bytes out(buffer, buffer + size);
  jpeg_destroy_compress(&cinfo);
  std::free(buffer);
  return out;
}

// A small JPEG (8x8 RGB) whose frame header now declares width x height.
Bytes jpeg_declaring(uint16_t width, uint16_t height) {
  Image tiny{8, 8, Bytes(8 * 8 * 3, 128)};
  Bytes jpeg = libjpeg_encode(tiny, 90, JpegKind::rgb);
  for (size_t i = 2; i + 9 < jpeg.size(); ++i)
    if (jpeg[i] == 0xff && jpeg[i + 1] == 0xc0) {  // SOF0: length, precision, height, width
      jpeg[i + 5] = height >> 8, jpeg[i + 6] = height & 0xff;
      jpeg[i + 7] = width >> 8, jpeg[i + 8] = width & 0xff;
      return jpeg;
    }
  ADD_FAILURE() << "no SOF0 in the test JPEG";
  return jpeg;
}

// The defect of the file that crashed stb_image 2.27 (which then wrote past
// its tables): a Huffman table declaring 320 codes, more than the 256 the
// format allows, though its code lengths are otherwise consistent.
Bytes jpeg_with_oversized_huffman_table() {
  Bytes out = {0xff, 0xd8};
  out.insert(out.end(), {0xff, 0xdb, 0x00, 0x43, 0x00});  // DQT, table 0, all ones
  out.insert(out.end(), 64, 1);
  out.insert(out.end(), {0xff, 0xc0, 0x00, 0x0b, 8, 0, 8, 0, 8, 1, 1, 0x11, 0});  // SOF0 8x8 grey
  const int count = 255 + 65;
  const int length = 2 + 1 + 16 + count;
  out.insert(out.end(), {0xff, 0xc4, static_cast<uint8_t>(length >> 8), static_cast<uint8_t>(length & 0xff), 0x00});
  const Bytes counts = {0, 0, 0, 0, 0, 0, 0, 0, 255, 65, 0, 0, 0, 0, 0, 0};  // of 9 and 10 bits
  out.insert(out.end(), counts.begin(), counts.end());
  for (int i = 0; i < count; ++i) out.push_back(static_cast<uint8_t>(i));
  out.insert(out.end(), {0xff, 0xda, 0x00, 0x08, 1, 1, 0x00, 0, 63, 0, 0x00, 0xff, 0xd9});
  return out;
}

double psnr(const Image& a, const Image& b) {
  EXPECT_EQ(a.rgb.size(), b.rgb.size());
  double sum = 0;
  for (size_t i = 0; i < a.rgb.size() && i < b.rgb.size(); ++i) {
    const double d = double(a.rgb[i]) - b.rgb[i];
    sum += d * d;
  }
  const double mse = sum / a.rgb.size();
  return mse == 0 ? 99.0 : 10 * std::log10(255.0 * 255.0 / mse);
}

// Puts the pixel cap back to the environment's or the default on every exit.
struct CapGuard {
  ~CapGuard() { set_max_image_pixels(0); }
};

}  // namespace

TEST(Image, LoadsShippedKodakImage) {
  Image image = load_image("data/images/kodim01.png");
  EXPECT_EQ(image.width, 500);
  EXPECT_EQ(image.height, 500);
  ASSERT_EQ(image.rgb.size(), 500u * 500u * 3u);
  // A natural photograph: many distinct values, not a constant.
  std::set<uint8_t> values(image.rgb.begin(), image.rgb.end());
  EXPECT_GT(values.size(), 100u);
  EXPECT_EQ(image_info("data/images/kodim01.png").width, 500);
  // From memory, the same pixels.
  const Bytes file = read_bytes("data/images/kodim01.png");
  EXPECT_EQ(decode_image_bytes(file.data(), file.size(), "kodim01").rgb, image.rgb);
}

TEST(Image, PngRoundTrip) {
  Image image{5, 3, {}};
  for (int i = 0; i < 5 * 3 * 3; ++i) image.rgb.push_back(static_cast<uint8_t>(i * 17));
  const std::string path = temp_path("round.png");
  save_png(image, path);
  Image back = load_image(path);
  EXPECT_EQ(back.width, 5);
  EXPECT_EQ(back.rgb, image.rgb);
  // The shipped photographs survive save and load unchanged.
  for (const char* name : {"data/images/kodim01.png", "data/images/kodim02.png", "data/images/kodim03.png",
                           "data/images/kodim04.png"}) {
    const Image kodak = load_image(name);
    save_png(kodak, path);
    const Image again = load_image(path);
    EXPECT_EQ(again.width, kodak.width) << name;
    EXPECT_EQ(again.height, kodak.height) << name;
    EXPECT_TRUE(again.rgb == kodak.rgb) << name;
  }
  std::filesystem::remove(path);
  EXPECT_THROW(save_png(Image{2, 2, Bytes(5)}, path), Error);  // pixels do not match the size
}

TEST(Image, EveryPngColourTypeBecomesRgb) {
  // Three pixels in one row, each written in the format under test; the
  // expected RGB is what each format means (alpha dropped, 16 bits -> high byte).
  struct Case {
    std::string what;
    PngSpec spec;
    Bytes row;
    Bytes expected;
  };
  const std::vector<png_color> palette = {{10, 20, 30}, {200, 100, 50}, {0, 255, 0}};
  std::vector<Case> cases = {
      {"grey 8", {3, 1, 8, PNG_COLOR_TYPE_GRAY}, {0, 128, 255}, {0, 0, 0, 128, 128, 128, 255, 255, 255}},
      {"grey 1", {3, 1, 1, PNG_COLOR_TYPE_GRAY}, {0b10100000}, {255, 255, 255, 0, 0, 0, 255, 255, 255}},
      {"grey+alpha", {3, 1, 8, PNG_COLOR_TYPE_GRAY_ALPHA}, {7, 0, 8, 100, 9, 255}, {7, 7, 7, 8, 8, 8, 9, 9, 9}},
      {"palette", {3, 1, 8, PNG_COLOR_TYPE_PALETTE, false, palette, {0, 255, 128}}, {2, 1, 0},
       {0, 255, 0, 200, 100, 50, 10, 20, 30}},
      {"RGB 16", {3, 1, 16, PNG_COLOR_TYPE_RGB}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 255, 255, 0, 0, 128, 1},
       {1, 3, 5, 7, 9, 11, 255, 0, 128}},
      {"RGBA", {3, 1, 8, PNG_COLOR_TYPE_RGB_ALPHA}, {1, 2, 3, 0, 4, 5, 6, 128, 7, 8, 9, 255},
       {1, 2, 3, 4, 5, 6, 7, 8, 9}},
  };
  // Interlaced (Adam7): a 9x9 gradient, every pass used.
  Case adam7{"RGB interlaced", {9, 9, 8, PNG_COLOR_TYPE_RGB, true}, {}, {}};
  for (int i = 0; i < 9 * 9 * 3; ++i) adam7.row.push_back(static_cast<uint8_t>(i * 7));
  adam7.expected = adam7.row;
  cases.push_back(adam7);
  for (const Case& c : cases) {
    const Bytes png = libpng_encode(c.spec, c.row);
    const Image image = decode_image_bytes(png.data(), png.size(), c.what);
    EXPECT_EQ(image.width, c.spec.width) << c.what;
    EXPECT_EQ(image.height, c.spec.height) << c.what;
    EXPECT_EQ(image.rgb, c.expected) << c.what;
  }
}

TEST(Image, JpegDecodesCloseToItsSource) {
  const Image kodak = load_image("data/images/kodim01.png");
  const std::string path = temp_path("kodim01.jpg");
  for (JpegKind kind : {JpegKind::rgb, JpegKind::progressive, JpegKind::cmyk}) {
    write_bytes(path, libjpeg_encode(kodak, 95, kind));
    const Image image = load_image(path);
    ASSERT_EQ(image.width, 500);
    ASSERT_EQ(image.height, 500);
    EXPECT_GT(psnr(image, kodak), 35.0) << "kind " << int(kind);
    EXPECT_EQ(image_info(path).height, 500);
  }
  // Grey: three equal channels, close to the source's green.
  write_bytes(path, libjpeg_encode(kodak, 95, JpegKind::grey));
  const Image grey = load_image(path);
  Image green = kodak;
  for (size_t i = 0; i < green.rgb.size(); i += 3) green.rgb[i] = green.rgb[i + 2] = green.rgb[i + 1];
  for (size_t i = 0; i < grey.rgb.size(); i += 3) {
    ASSERT_EQ(grey.rgb[i], grey.rgb[i + 1]);
    ASSERT_EQ(grey.rgb[i], grey.rgb[i + 2]);
  }
  EXPECT_GT(psnr(grey, green), 35.0);
  std::filesystem::remove(path);
}

TEST(Image, BadFilesGiveClearErrors) {
  const std::string corrupt = temp_path("corrupt.png");
  std::ofstream(corrupt) << "\x89PNG\r\n\x1a\n not really";
  expect_clean_error([&] { load_image(corrupt); }, corrupt);
  expect_clean_error([&] { image_info(corrupt); }, corrupt);
  const std::string text = temp_path("text.png");
  std::ofstream(text) << "not an image";
  EXPECT_NE(expect_clean_error([&] { load_image(text); }, text).find("cannot be decoded"), std::string::npos);
  const std::string missing = temp_path("missing.png");
  EXPECT_NE(expect_clean_error([&] { load_image(missing); }, missing).find("does not exist"), std::string::npos);
  const std::string folder = std::filesystem::temp_directory_path().string();
  EXPECT_NE(expect_clean_error([&] { load_image(folder); }, folder).find("is a directory"), std::string::npos);
  EXPECT_NE(expect_clean_error([&] { image_info("/dev/null"); }, "/dev/null").find("character device"),
            std::string::npos);
  std::filesystem::remove(corrupt);
  std::filesystem::remove(text);
}

TEST(Image, JpegWithTooManyHuffmanCodesIsRefused) {
  // stb_image 2.27 wrote past its tables on this and crashed every command.
  const std::string path = temp_path("huffman.jpg");
  write_bytes(path, jpeg_with_oversized_huffman_table());
  // Refused already by the header check a campaign runs on its config.
  const std::string message = expect_clean_error([&] { image_info(path); }, path);
  EXPECT_NE(message.find("Huffman"), std::string::npos) << message;
  expect_clean_error([&] { load_image(path); }, path);
  std::filesystem::remove(path);
}

TEST(Image, HugeDeclaredDimensionsAreRefusedBeforeDecoding) {
  const std::string png = temp_path("huge.png"), jpg = temp_path("huge.jpg");
  write_bytes(png, crafted_png(60000, 60000, 100));
  write_bytes(jpg, jpeg_declaring(60000, 60000));
  const long rss_before = peak_rss_kb();
  const auto start = std::chrono::steady_clock::now();
  for (const std::string& path : {png, jpg}) {
    g_largest_new = 0;
    const std::string message = expect_clean_error([&] { load_image(path); }, path);
    EXPECT_NE(message.find("60000x60000"), std::string::npos) << message;
    EXPECT_NE(message.find("NICENERGY_MAX_IMAGE_PIXELS"), std::string::npos) << message;
    EXPECT_LT(g_largest_new.load(), 1u << 20) << "a buffer was requested for " << path;
    expect_clean_error([&] { image_info(path); }, path);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  EXPECT_LT(peak_rss_kb() - rss_before, 64 * 1024);
  // Each side is capped whatever the area.
  write_bytes(png, crafted_png(70000, 2, 10));
  EXPECT_NE(expect_clean_error([&] { image_info(png); }, png).find("65535 a side"), std::string::npos);
  // Zero is refused (by libpng's own IHDR check).
  write_bytes(png, crafted_png(0, 5, 10));
  expect_clean_error([&] { load_image(png); }, png);
  std::filesystem::remove(png);
  std::filesystem::remove(jpg);
}

TEST(Image, SmallFileDeclaringALargeImageFailsFast) {
  // 8000x8000 is under the default cap: the decoder starts, and must stop at
  // the end of the data rather than invent the missing 64 megapixels.
  const std::string png = temp_path("8000.png"), jpg = temp_path("8000.jpg");
  write_bytes(png, crafted_png(8000, 8000, 1000));
  write_bytes(jpg, jpeg_declaring(8000, 8000));
  ASSERT_LT(read_bytes(jpg).size(), 2000u);
  const long rss_before = peak_rss_kb();
  const auto start = std::chrono::steady_clock::now();
  for (const std::string& path : {png, jpg})
    EXPECT_NE(expect_clean_error([&] { load_image(path); }, path).find("cannot be decoded"), std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  EXPECT_LT(peak_rss_kb() - rss_before, 64 * 1024);  // the reserved buffer is never filled
  // With a lower cap the header alone refuses them.
  CapGuard guard;
  set_max_image_pixels(1'000'000);
  for (const std::string& path : {png, jpg}) {
    g_largest_new = 0;
    EXPECT_NE(expect_clean_error([&] { load_image(path); }, path).find("64 megapixels"), std::string::npos);
    EXPECT_LT(g_largest_new.load(), 1u << 20);
  }
  std::filesystem::remove(png);
  std::filesystem::remove(jpg);
}

TEST(Image, PixelCapComesFromTheEnvironmentOrTheSetting) {
  CapGuard guard;
  EXPECT_EQ(max_image_pixels(), kDefaultMaxImagePixels);
  ASSERT_EQ(setenv("NICENERGY_MAX_IMAGE_PIXELS", "100000", 1), 0);
  EXPECT_EQ(max_image_pixels(), 100000u);
  // kodim01 is 500x500 = 250000 pixels.
  EXPECT_NE(expect_clean_error([] { load_image("data/images/kodim01.png"); }, "kodim01.png")
                .find("NICENERGY_MAX_IMAGE_PIXELS"),
            std::string::npos);
  set_max_image_pixels(250000);  // the setting wins over the environment
  EXPECT_EQ(load_image("data/images/kodim01.png").width, 500);
  set_max_image_pixels(0);
  ASSERT_EQ(setenv("NICENERGY_MAX_IMAGE_PIXELS", "lots\x1b[2J", 1), 0);
  expect_clean_error([] { max_image_pixels(); }, "NICENERGY_MAX_IMAGE_PIXELS");
  ASSERT_EQ(setenv("NICENERGY_MAX_IMAGE_PIXELS", "0", 1), 0);
  EXPECT_THROW(max_image_pixels(), Error);
  ASSERT_EQ(unsetenv("NICENERGY_MAX_IMAGE_PIXELS"), 0);
  EXPECT_EQ(max_image_pixels(), kDefaultMaxImagePixels);
  EXPECT_THROW(set_max_image_pixels(uint64_t(1) << 40), Error);
}

TEST(Image, ChunkTypeBytesNeverReachTheTerminal) {
  // A chunk whose type is an escape sequence that clears the terminal, and one
  // with a newline and a bell, between the header and the pixels.
  for (const std::string& type : {std::string("\x1b[2J"), std::string("\n\r\x07Z")}) {
    Bytes png = png_header(4, 4);
    png_chunk(png, type, {1, 2, 3});
    png_body(png, 4 * 13);
    expect_clean_error([&] { decode_image_bytes(png.data(), png.size(), "chunky.png"); }, "chunky.png");
  }
  // The same image without the bad chunk decodes: the chunk was the problem.
  const Bytes good = crafted_png(4, 4, 4 * 13);
  EXPECT_EQ(decode_image_bytes(good.data(), good.size(), "good.png").rgb.size(), 4u * 4u * 3u);
  // A file name with control characters is escaped too.
  const std::string odd = temp_path("odd\x1b]0;name\x07.png");
  expect_clean_error([&] { load_image(odd); }, "odd\\x1b]0;name\\x07.png");
}

TEST(Image, TruncatedFilesAreRefused) {
  const Bytes png = read_bytes("data/images/kodim01.png");
  for (size_t keep : {size_t(20), size_t(40), png.size() / 2, png.size() - 20}) {
    const std::string message =
        expect_clean_error([&] { decode_image_bytes(png.data(), keep, "cut.png"); }, "cut.png");
    EXPECT_NE(message.find("truncated"), std::string::npos) << message;
  }
  const Bytes jpeg = libjpeg_encode(load_image("data/images/kodim02.png"), 90, JpegKind::rgb);
  expect_clean_error([&] { decode_image_bytes(jpeg.data(), jpeg.size() / 2, "cut.jpg"); }, "cut.jpg");
  expect_clean_error([&] { decode_image_bytes(jpeg.data(), 2, "cut.jpg"); }, "cut.jpg");
  expect_clean_error([&] { decode_image_bytes(nullptr, 0, "empty"); }, "empty");
}

TEST(Image, FifoIsRefusedWithoutBlocking) {
  const std::string fifo = temp_path("fifo.png");
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  auto attempt = std::async(std::launch::async, [&] {
    std::string messages;
    for (auto call : {+[](const std::string& p) { load_image(p); }, +[](const std::string& p) { image_info(p); }}) {
      try {
        call(fifo);
      } catch (const Error& e) {
        messages += std::string(e.what()) + "\n";
      }
    }
    return messages;
  });
  if (attempt.wait_for(std::chrono::seconds(1)) != std::future_status::ready) {
    ADD_FAILURE() << "reading a FIFO blocked";
    // Unblock each waiting reader so that the test fails instead of hanging.
    while (attempt.wait_for(std::chrono::milliseconds(50)) != std::future_status::ready) {
      const int writer = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK);
      if (writer >= 0) ::close(writer);
    }
  }
  const std::string messages = attempt.get();
  EXPECT_NE(messages.find("FIFO"), std::string::npos) << messages;
  EXPECT_EQ(std::count(messages.begin(), messages.end(), '\n'), 2) << messages;
  std::filesystem::remove(fifo);
}

TEST(Image, ResizeAndMosaic) {
  Image a = load_image("data/images/kodim01.png");
  Image b = load_image("data/images/kodim02.png");
  Image r = resize_image(a, 768, 512);
  EXPECT_EQ(r.width, 768);
  EXPECT_EQ(r.rgb.size(), 768u * 512u * 3u);
  // Resizing to the same size changes nothing.
  EXPECT_EQ(resize_image(a, 500, 500).rgb, a.rgb);
  Image m = mosaic_images({a, b}, 1200, 700);
  EXPECT_EQ(m.width, 1200);
  EXPECT_EQ(m.height, 700);
  // First tile is a verbatim copy of the first source; the second is b mirrored.
  EXPECT_EQ(m.rgb[0], a.rgb[0]);
  EXPECT_EQ(m.rgb[(0 * 1200 + 500) * 3], b.rgb[(0 * 500 + 499) * 3]);
  EXPECT_THROW(mosaic_images({}, 10, 10), Error);
  // An empty tile would loop forever; sizes over the cap never allocate.
  EXPECT_THROW(mosaic_images({Image{}}, 10, 10), Error);
  EXPECT_THROW(resize_image(a, 60000, 60000), Error);
  EXPECT_THROW(mosaic_images({a}, 0, 10), Error);
}

TEST(Image, SizesAndFolders) {
  EXPECT_EQ(parse_size("768x512").width, 768);
  EXPECT_EQ(parse_size("2048X1366").height, 1366);
  EXPECT_THROW(parse_size("768"), Error);
  EXPECT_THROW(parse_size("0x5"), Error);
  EXPECT_THROW(parse_size("-3x5"), Error);
  EXPECT_NE(expect_clean_error([] { parse_size("70000x10"); }, "70000x10").find("a side"), std::string::npos);
  EXPECT_NE(expect_clean_error([] { parse_size("20000x20000"); }, "20000x20000").find("megapixels"),
            std::string::npos);
  auto files = list_images("data/images");
  ASSERT_GE(files.size(), 4u);
  EXPECT_TRUE(std::is_sorted(files.begin(), files.end()));
  EXPECT_THROW(list_images("data/no_such_folder"), Error);
}
