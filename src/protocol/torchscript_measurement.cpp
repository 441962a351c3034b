#include "protocol/torchscript_measurement.h"

#include "complexity/torchscript_count.h"
#include "error.h"
#include "models/codec.h"
#include "protocol/codec_measurement.h"
#include "platform/runtime.h"

#if defined(NICENERGY_WITH_CUDA)
#include <torch/cuda.h>
#endif

namespace nicenergy {

Workload TorchScriptWorkload::workload() const {
  Workload w;
  auto codec_handle = codec;
  torch::Tensor x = x_padded;
  w.run_once = [codec_handle, x]() { (void)codec_handle->run(x); };
  w.synchronize = device_synchronizer(device);
  return w;
}

TorchScriptWorkload make_torchscript_workload(const std::string& path, const TorchScriptOptions& options,
                                              const Image& image, const std::string& image_label,
                                              const torch::Device& device, int quality) {
  TorchScriptWorkload w;
  w.codec = std::make_shared<TorchScriptCodec>(path, options, device);
  w.device = device;
  const Padding p = padding_for(image.height, image.width, options.padding);
  w.x_padded = pad(image_to_tensor(image), p).to(device);
  w.codec->check(w.x_padded);
  w.image = image_label;
  w.quality = quality;
  w.width = image.width;
  w.height = image.height;
  w.padded_width = static_cast<int>(w.x_padded.size(3));
  w.padded_height = static_cast<int>(w.x_padded.size(2));
  // Once per point, at the measured size, so that fit and report can place the
  // model on the alpha-vs-kMAC line without the file.
  w.kmac_per_px = kmac_per_px(count_torchscript(path, options, device, w.x_padded), w.x_padded);
  return w;
}

MeasurementRecord make_record(const TorchScriptWorkload& w, const ProtocolResult& result,
                              const std::string& device_description, const std::string& started_at) {
  MeasurementRecord r;
  r.network = w.codec->name();
  r.abbr = w.codec->name();
  r.quality = w.quality;
  r.level = kCustomLevel;
  fill_measured_fields(r, w.image, w.width, w.height, w.padded_width, w.padded_height, result, device_description,
                       started_at);
  fill_runtime(r);
  r.kmac_per_px = w.kmac_per_px;
  return r;
}

}  // namespace nicenergy
