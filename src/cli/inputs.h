// What the measuring commands (measure, validate, exec, modes) share on the
// command line: the image of --input or --size, and progress on stderr.
#pragma once
#include <string>

#include <memory>

#include <torch/torch.h>

#include "image/image.h"
#include "meters/power_meter.h"
#include "modes/run_row.h"
#include "protocol/record.h"
#include "models/zoo.h"
#include "protocol/measurement_session.h"
#include "protocol/protocol.h"

namespace nicenergy::cli {

// The options every measuring command (measure, validate, exec, modes, layers)
// takes: the image, the device, the meter, the protocol and its preheat.
struct MeasuringParams {
  std::string input;
  std::string size;
  std::string device = "cpu";
  std::string meter = "auto";
  ProtocolConfig protocol;
  bool no_preheat = false;
};

// The image of --input, or a Kodak mosaic of --size, and its label for the record.
Image measured_image(const std::string& input, const std::string& size, std::string& label);

// Checked before any measuring: one of --input and --size, the image readable
// or the size well formed.
void check_measured_input(const std::string& input, const std::string& size);

// The built-in network of a command that runs only those (modes, layers): a
// legacy codec or a TorchScript file is refused, pointing to `measure`.
QualityConfig builtin_network(const std::string& model, int quality, const std::string& command);

// The session of a command that measures several things back to back (modes,
// layers): preheated once, each against the same cold and hot idle references,
// the meter's note on stderr, LibTorch's threads and determinism set; then the
// paper's cold idle reference, before any network is loaded.
MeasurementSession open_run_session(const torch::Device& device, const std::string& meter,
                                    const ProtocolConfig& protocol, bool preheat, int threads);

// The identity of one run of `modes` or `layers`: the network, the image (its
// label and size), the device, LibTorch's threads, the weights (the file, or
// "seeded N") and the mode.
void fill_run_identity(RunRow& row, const QualityConfig& config, const std::string& image_label, const Image& image,
                       const std::string& device_text, const std::string& weights, uint64_t seed,
                       const std::string& mode);
// The protocol's figures of a finished run: meter, time, energy and its spread.
void fill_run_results(RunRow& row, const MeasurementRecord& record, bool estimate);

// Stage progress of one measurement on stderr: redrawn on a terminal, one line
// per stage elsewhere.
ProgressFn stage_progress();

}  // namespace nicenergy::cli
