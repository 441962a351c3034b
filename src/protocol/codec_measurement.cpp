#include "protocol/codec_measurement.h"

#include <chrono>
#include <ctime>
#include <filesystem>

#include "complexity/complexity.h"
#include "error.h"
#include "meters/estimate_fallback.h"
#include "models/codec.h"
#include "models/weights.h"
#include "platform/host.h"
#include "platform/runtime.h"

#if defined(NICENERGY_WITH_CUDA)
#include <torch/cuda.h>
#endif

namespace fs = std::filesystem;

namespace nicenergy {

Workload CodecWorkload::workload() const {
  Workload w;
  // Copies of the handles: the workload may outlive this struct's scope in a caller.
  Network net = network;
  torch::Tensor x = x_padded;
  switch (stage) {
    case Stage::chain:
      if (graph) {
        w.run_once = [g = graph]() { g->replay(); };
        break;
      }
      w.run_once = [net, x, mode = mode, rewrite = subpixel]() mutable {
        ModeGuard guard(mode, rewrite.get());
        ChainOutput out = net->forward(x);
        (void)out;
      };
      break;
    case Stage::encode:
      w.run_once = [net, x, t = tables]() mutable { (void)compress_latents(*net, *t, x); };
      break;
    case Stage::analysis:
      w.run_once = [net, x]() mutable {
        torch::NoGradGuard no_grad;
        (void)run_sequential(net->g_a, x);
      };
      break;
    case Stage::entropy_encode:
      w.run_once = [net, y = y, t = tables]() mutable { (void)encode_latents(*net, *t, y); };
      break;
    case Stage::decode:
      w.run_once = [net, t = tables, c = coded]() mutable { (void)synthesise(*net, decompress_latents(*net, *t, *c)); };
      break;
    case Stage::entropy_decode:
      w.run_once = [net, t = tables, c = coded]() mutable { (void)decompress_latents(*net, *t, *c); };
      break;
    case Stage::synthesis:
      w.run_once = [net, y_hat = y_hat]() mutable { (void)synthesise(*net, y_hat); };
      break;
  }
  w.synchronize = device_synchronizer(device);
  return w;
}

std::function<void()> device_synchronizer(const torch::Device& device) {
  if (!device.is_cuda()) return {};
#if defined(NICENERGY_WITH_CUDA)
  const int64_t index = device.has_index() ? device.index() : -1;
  return [index]() { torch::cuda::synchronize(index); };
#else
  throw Error("this build has no CUDA: rebuild against a CUDA LibTorch (see docs/install.md)");
#endif
}

void fill_runtime(MeasurementRecord& r) {
  const RuntimeInfo runtime = runtime_info();
  r.libtorch = runtime.libtorch;
  r.cuda = runtime.cuda;
  r.cudnn = runtime.cudnn;
  r.threads = runtime.threads;
}

CodecWorkload make_codec_workload(const std::string& model, int quality, const Image& image,
                                  const std::string& image_label, const torch::Device& device,
                                  const std::string& weights, uint64_t seed, Stage stage, const ExecutionMode& mode) {
  if (!(mode == ExecutionMode{}) && stage != Stage::chain)
    throw Error("mode " + mode_name(mode) + " is for the chain; measure --stage " + to_string(stage) +
                " in float32 (drop --mode)");
  if (auto why = mode_unavailable(mode, device)) throw Error(*why);
  CodecWorkload w;
  w.network = make_network(model, quality, seed);
  if (!weights.empty()) load_weights(*w.network, weights);
  w.network->eval();
  w.network->to(device);
  w.device = device;
  const int64_t multiple = w.network->config().spec->padding;
  const Padding p = padding_for(image.height, image.width, multiple);
  w.x_padded = pad(image_to_tensor(image), p).to(device);
  w.image = image_label;
  w.width = image.width;
  w.height = image.height;
  w.padded_width = static_cast<int>(w.x_padded.size(3));
  w.padded_height = static_cast<int>(w.x_padded.size(2));
  w.stage = stage;
  w.mode = mode;
  apply_memory_format(*w.network, mode);
  w.x_padded = in_memory_format(w.x_padded, mode);
  if (mode.cuda_graph) w.graph = std::make_shared<ChainGraph>(w.network, w.x_padded, mode, w.subpixel);
  if (stage != Stage::chain) {
    // Each stage starts from what the one before it hands over, made here once.
    torch::NoGradGuard no_grad;
    w.tables = std::make_shared<EntropyTables>(entropy_tables(*w.network));
    w.y = run_sequential(w.network->g_a, w.x_padded);
    w.coded = std::make_shared<CodedImage>(encode_latents(*w.network, *w.tables, w.y));
    w.y_hat = decompress_latents(*w.network, *w.tables, *w.coded);
  }
  return w;
}

ChainOutput run_chain_once(const CodecWorkload& w) {
  ModeGuard guard(w.mode, w.subpixel.get());
  Network network = w.network;  // a handle: forward is not const
  ChainOutput out;
  if (w.graph) {
    w.graph->replay();
    out = w.graph->output();
    // The graph's own memory, which the next replay overwrites: copied out.
    for (torch::Tensor* t : {&out.x_hat, &out.latents.y_hat, &out.latents.z_hat, &out.latents.y_likelihoods,
                             &out.latents.z_likelihoods})
      if (t->defined()) *t = t->clone();
  } else {
    out = network->forward(w.x_padded);
  }
  // Out of the mode's types and layout, so that outputs compare as float32.
  out.x_hat = out.x_hat.to(torch::kFloat32).contiguous();
  for (torch::Tensor* t : {&out.latents.y_likelihoods, &out.latents.z_likelihoods})
    if (t->defined()) *t = t->to(torch::kFloat32).contiguous();
  return out;
}

MeasuredDevice measured_device(const torch::Device& device) {
  MeasuredDevice d;
  d.cuda = device.is_cuda();
  d.index = device.is_cuda() && device.has_index() ? device.index() : 0;
  if (d.cuda) d.pci_bus_id = cuda_pci_bus_id(d.index);
  return d;
}

std::unique_ptr<PowerMeter> open_meter_for(const torch::Device& device, const std::string& spec,
                                           bool estimate_fallback, std::string* note) {
  return open_meter_for(measured_device(device), spec, estimate_fallback, note);
}

std::unique_ptr<PowerMeter> open_host_meter(const torch::Device& device, const std::string& spec, std::string* note) {
  return open_host_meter(measured_device(device), spec, note);
}

std::string describe_device(const torch::Device& device, PowerMeter& meter) {
  return describe_device(measured_device(device), meter);
}

MeasurementSite measurement_site(const torch::Device& device, PowerMeter& meter) {
  return measurement_site(measured_device(device), meter);
}

MeasurementRecord make_record(const CodecWorkload& w, const ProtocolResult& result,
                              const std::string& device_description, const std::string& started_at) {
  MeasurementRecord r;
  const QualityConfig& c = w.network->config();
  r.network = c.spec->name;
  r.abbr = c.spec->abbr;
  r.quality = c.quality;
  r.level = c.level;
  fill_measured_fields(r, w.image, w.width, w.height, w.padded_width, w.padded_height, result, device_description,
                       started_at);
  fill_runtime(r);
  r.stage = to_string(w.stage);
  r.mode = mode_name(w.mode);
  r.kmac_per_px = stage_kmac_per_px(complexity_of(c.spec->name, c.quality), w.stage);
  return r;
}



}  // namespace nicenergy
