// libFuzzer harness for the image loader (src/image): every input must either
// decode to a consistent image within the caps or be refused with one
// nicenergy::Error of one printable line; anything else (a sanitizer report, a
// crash, another exception, a bad message) is a finding.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "error.h"
#include "image/image.h"

namespace {

// A message a terminal can show safely: printable ASCII, one line, not empty.
bool is_one_printable_line(const std::string& text) {
  if (text.empty()) return false;
  for (unsigned char c : text)
    if (c < 0x20 || c >= 0x7f) return false;
  return true;
}

void check_message(const nicenergy::Error& error) {
  const std::string message = error.what();
  if (!is_one_printable_line(message) || message.find("image 'fuzz input'") == std::string::npos) {
    std::fprintf(stderr, "bad error message (%zu bytes)\n", message.size());
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // A lower cap than the default keeps each execution fast; the dimension
  // checks are the same code whatever the cap.
  nicenergy::set_max_image_pixels(1'000'000);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  nicenergy::ImageInfo info;
  bool header_ok = false;
  try {
    info = nicenergy::image_info_bytes(data, size, "fuzz input");
    header_ok = true;
  } catch (const nicenergy::Error& error) {
    check_message(error);
  }
  try {
    const nicenergy::Image image = nicenergy::decode_image_bytes(data, size, "fuzz input");
    // A decoded image passed the header check with the same dimensions.
    if (!header_ok || image.width != info.width || image.height != info.height || image.width < 1 ||
        image.height < 1 || uint64_t(image.width) * image.height > nicenergy::max_image_pixels() ||
        image.rgb.size() != size_t(image.width) * image.height * 3)
      std::abort();
  } catch (const nicenergy::Error& error) {
    check_message(error);
  }
  return 0;
}
