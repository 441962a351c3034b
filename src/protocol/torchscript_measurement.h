// Measuring a TorchScript codec (models/torchscript_model.h) with the paper's
// protocol: the workload and the record, as codec_measurement.h does for the
// built-in networks. The record names the file's stem as network and
// abbreviation, quality as given (0 when none) and the level "custom", so
// campaign, fit, predict and report take it like any other network.
#pragma once
#include <memory>
#include <string>

#include "image/image.h"
#include "models/torchscript_model.h"
#include "models/zoo.h"
#include "protocol/protocol.h"
#include "protocol/record.h"

namespace nicenergy {

struct TorchScriptWorkload {
  std::shared_ptr<TorchScriptCodec> codec;
  torch::Device device = torch::kCPU;
  torch::Tensor x_padded;  // 1x3xHxW on `device`
  std::string image;
  int quality = 0;
  int width = 0, height = 0;
  int padded_width = 0, padded_height = 0;
  double kmac_per_px = 0;  // the operator count of one execution on x_padded, per padded pixel
  // run_once: one execution; synchronize: waits for the device (CUDA) after it.
  Workload workload() const;
};

// Loads the file, pads the image to options.padding, moves both to `device`
// and runs once to check the reconstruction's shape (Error otherwise); then
// counts the operators of one execution on a fresh load (complexity/torchscript_count.h).
TorchScriptWorkload make_torchscript_workload(const std::string& path, const TorchScriptOptions& options,
                                              const Image& image, const std::string& image_label,
                                              const torch::Device& device, int quality = 0);

MeasurementRecord make_record(const TorchScriptWorkload& workload, const ProtocolResult& result,
                              const std::string& device_description, const std::string& started_at);

}  // namespace nicenergy
