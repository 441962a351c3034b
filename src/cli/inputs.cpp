#include "cli/inputs.h"

#include <cstdio>
#include <memory>

#include "protocol/codec_measurement.h"
#include "protocol/progress.h"

namespace nicenergy::cli {

Image measured_image(const std::string& input, const std::string& size, std::string& label) {
  if (!input.empty()) {
    label = input;
    return load_image(input);
  }
  const ImageInfo info = parse_size(size);
  label = "mosaic " + size + " of data/images";
  return sized_test_image(info.width, info.height);
}

ProgressFn stage_progress() {
  const bool tty = stderr_is_tty();
  auto last = std::make_shared<std::string>();
  return [tty, last](const std::string& stage, double fraction) {
    if (tty) {
      std::fprintf(stderr, "\r%-10s %3.0f %%", stage.c_str(), 100 * fraction);
      if (fraction >= 1) std::fputc('\n', stderr);
    } else if (stage != *last) {
      std::fprintf(stderr, "%s...\n", stage.c_str());
    }
    *last = stage;
  };
}

}  // namespace nicenergy::cli
