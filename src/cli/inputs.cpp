#include "cli/inputs.h"

#include <cstdio>
#include <memory>

#include "cli/options.h"
#include "error.h"
#include "image/image_source.h"
#include "platform/runtime.h"
#include "protocol/codec_measurement.h"
#include "protocol/progress.h"
#include "subject/resolve.h"

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

void check_measured_input(const std::string& input, const std::string& size) {
  if (input.empty() == size.empty()) throw Error("give one of --input IMAGE or --size WxH");
  if (!input.empty())
    (void)image_info(input);
  else
    (void)parse_size(size);
}

QualityConfig builtin_network(const std::string& model, int quality, const std::string& command) {
  return quality_config(find_network(resolve_network(model, command).name), quality);
}

MeasurementSession open_run_session(const torch::Device& device, const std::string& meter,
                                    const ProtocolConfig& protocol, bool preheat, int threads) {
  SessionOptions options{measured_device(device), meter, protocol, preheat};
  options.preheat_once_per_idle = true;
  MeasurementSession session(options);
  if (!session.note().empty()) std::fprintf(stderr, "note: %s\n", session.note().c_str());
  set_threads(threads);
  set_deterministic(true);
  session.measure_idle();
  return session;
}

void fill_run_identity(RunRow& row, const QualityConfig& config, const std::string& image_label, const Image& image,
                       const std::string& device_text, const std::string& weights, uint64_t seed,
                       const std::string& mode) {
  row.network = config.spec->name;
  row.abbr = config.spec->abbr;
  row.quality = config.quality;
  row.image = image_label;
  row.width = image.width;
  row.height = image.height;
  row.device = device_text;
  row.threads = runtime_info().threads;
  row.weights = weights.empty() ? "seeded " + std::to_string(seed) : weights;
  row.mode = mode;
}

void fill_run_results(RunRow& row, const MeasurementRecord& record, bool estimate) {
  row.meter = record.meter;
  row.estimate = estimate;
  row.duration_s = record.duration_s;
  row.energy_j = record.energy_j;
  row.energy_ci_j = record.energy_ci_j;
  row.k = record.k;
  row.m = record.m;
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
