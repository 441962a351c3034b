// Measuring a codec: the bridge between the LibTorch networks and the torch-free
// protocol. Builds the paper's workload (one execution = the full encoder-decoder
// chain on the padded image), picks the meter for a device, and turns a
// ProtocolResult into a MeasurementRecord. `measure` and `campaign` both use it.
#pragma once
#include <torch/torch.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "coding/network_coding.h"
#include "coding/stage.h"
#include "image/image.h"
#include "meters/power_meter.h"
#include "models/network.h"
#include "modes/chain_graph.h"
#include "modes/execution_mode.h"
#include "platform/time_text.h"
#include "protocol/measured_device.h"
#include "protocol/protocol.h"
#include "protocol/record.h"

namespace nicenergy {

// One network on one image on one device, ready to run back to back.
struct CodecWorkload {
  Network network{nullptr};
  torch::Device device = torch::kCPU;
  torch::Tensor x_padded;  // 1x3xHxW on `device`
  std::string image;       // path or generated label
  int width = 0, height = 0;
  int padded_width = 0, padded_height = 0;
  Stage stage = Stage::chain;
  // What the stages other than the chain start from, made once beforehand:
  // the tables, y = g_a(x), the coded strings and the decoded y_hat.
  std::shared_ptr<EntropyTables> tables;
  torch::Tensor y;
  std::shared_ptr<CodedImage> coded;
  torch::Tensor y_hat;
  // The energy mode the chain runs in (float32 by default); network and input
  // are already in its memory format. The rewrite keeps sub-pixel weights.
  ExecutionMode mode;
  std::shared_ptr<SubpixelRewrite> subpixel = std::make_shared<SubpixelRewrite>();
  // The cuda_graph mode's captured chain (null otherwise): run_once replays it.
  std::shared_ptr<ChainGraph> graph;
  // run_once: the stage under NoGradGuard (the chain: under its mode's
  // ModeGuard); synchronize: waits for CUDA (no-op on CPU).
  Workload workload() const;
};

// Seeded weights unless `weights` names a safetensors file. Pads to the
// network's multiple (16 or 128) and moves network and image to `device`.
// A mode other than float32 is for the chain only (Error otherwise, or where
// the device cannot run it).
CodecWorkload make_codec_workload(const std::string& model, int quality, const Image& image,
                                  const std::string& image_label, const torch::Device& device,
                                  const std::string& weights = "", uint64_t seed = 0, Stage stage = Stage::chain,
                                  const ExecutionMode& mode = {});
// One chain of the workload in its mode, for comparing modes' outputs.
ChainOutput run_chain_once(const CodecWorkload& workload);

// The device as the core's measurement code sees it (protocol/measured_device.h),
// with its PCI bus id from the CUDA runtime.
MeasuredDevice measured_device(const torch::Device& device);
// The core's functions of protocol/measured_device.h for a LibTorch device.
std::unique_ptr<PowerMeter> open_meter_for(const torch::Device& device, const std::string& spec,
                                           bool estimate_fallback, std::string* note = nullptr);
std::unique_ptr<PowerMeter> open_host_meter(const torch::Device& device, const std::string& spec,
                                            std::string* note = nullptr);
std::string describe_device(const torch::Device& device, PowerMeter& meter);
MeasurementSite measurement_site(const torch::Device& device, PowerMeter& meter);


// What a workload waits on after each execution: the CUDA device's queue; none
// on the CPU. Shared by the built-in networks and TorchScript files.
std::function<void()> device_synchronizer(const torch::Device& device);

// The runtime fields (libtorch, cuda, cudnn, threads) of a record.
void fill_runtime(MeasurementRecord& record);

// The record of one measurement: network and image fields from the workload,
// energy fields from the protocol (fill_record), device and start time.
MeasurementRecord make_record(const CodecWorkload& workload, const ProtocolResult& result,
                              const std::string& device_description, const std::string& started_at);


}  // namespace nicenergy
