// zoo, complexity and run: the networks and their complexity.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/args.h"
#include "complexity/complexity.h"
#include "image/image.h"
#include "models/codec.h"
#include "models/weights.h"
#include "platform/runtime.h"
#include "report/complexity_tables.h"

namespace nicenergy {

int cmd_zoo(Args& args) {
  if (args.help()) {
    std::puts("usage: nicenergy zoo [--format table|csv|json]\n"
              "One row per network and quality: N, M, padding, parameters and kMAC per pixel\n"
              "(convolutions only, the paper's rule; 2nd = up to the 2nd downsampling; with GDN).");
    return 0;
  }
  const std::string format = args.get("format", "table");
  args.finish();
  std::cout << format_zoo(zoo_complexity(), format);
  return 0;
}

int cmd_complexity(Args& args) {
  if (args.help()) {
    std::puts("usage: nicenergy complexity --model NAME --quality Q [--format table|csv|json]\n"
              "Per-layer table: type, channels, kernel, stride, scale, parameters, kMAC per pixel,\n"
              "activation bytes per pixel and whether the layer counts up to the 2nd downsampling.");
    return 0;
  }
  const std::string model = args.require("model");
  const int quality = args.require_integer("quality");
  const std::string format = args.get("format", "table");
  args.finish();
  std::cout << format_layers(complexity_of(model, quality), format);
  return 0;
}

int cmd_run(Args& args) {
  if (args.help()) {
    std::puts("usage: nicenergy run --model NAME --quality Q --input IMAGE [--weights FILE.safetensors]\n"
              "                     [--device cpu|cuda] [--output RECON.png] [--seed S]\n"
              "Pads the image to the network's multiple, runs the full encoder-decoder chain,\n"
              "crops, writes the reconstruction and prints time, PSNR and estimated bits per pixel.\n"
              "Without --weights the network has seeded random weights: timing and energy are\n"
              "those of the real architecture, but the reconstruction is not a trained one.\n"
              "--threads N: LibTorch intra-op threads on the CPU (default 0: one per core).");
    return 0;
  }
  const std::string model = args.require("model");
  const int quality = args.require_integer("quality");
  const std::string input = args.require("input");
  const std::string weights = args.get("weights");
  const std::string output = args.get("output");
  const torch::Device device = parse_device(args.get("device", "cpu"));
  const int seed = args.integer("seed", 0);
  const int threads = args.integer("threads", 0);
  args.finish();
  set_threads(threads);
  set_deterministic(true);

  Network network = make_network(model, quality, static_cast<uint64_t>(seed));
  if (!weights.empty()) load_weights(*network, weights);
  network->to(device);
  const Image image = load_image(input);
  const torch::Tensor x = image_to_tensor(image);

  const auto start = std::chrono::steady_clock::now();
  Reconstruction r = reconstruct(*network, x, device);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!output.empty()) save_png(tensor_to_image(r.x_hat), output);

  const QualityConfig& c = network->config();
  std::printf("network    %s (%s) quality %d, %s level, N=%d M=%d\n", c.spec->name.c_str(), c.spec->abbr.c_str(),
              c.quality, c.level.c_str(), c.n, c.m);
  std::printf("weights    %s\n", weights.empty() ? ("seeded random (seed " + std::to_string(seed) + "), not trained").c_str()
                                                 : weights.c_str());
  std::printf("image      %s, %dx%d padded to %lldx%lld\n", input.c_str(), image.width, image.height,
              static_cast<long long>(r.padded_width), static_cast<long long>(r.padded_height));
  const RuntimeInfo runtime = runtime_info();
  std::printf("device     %s (LibTorch %s%s%s, %d threads)\n", device.str().c_str(), runtime.libtorch.c_str(),
              runtime.cuda.empty() ? "" : (", CUDA " + runtime.cuda).c_str(),
              runtime.cudnn.empty() ? "" : (", cuDNN " + runtime.cudnn).c_str(), runtime.threads);
  std::printf("time       %.3f s (first run, includes warm-up)\n", seconds);
  std::printf("PSNR       %.2f dB\n", r.psnr_db);
  std::printf("rate       %.4f bpp (estimated from the likelihoods)\n", r.bpp);
  if (!output.empty()) std::printf("output     %s\n", output.c_str());
  return 0;
}

int cmd_version(Args& args) {
  if (args.help()) {
    std::puts("usage: nicenergy version [--json]\n"
              "The LibTorch this nicenergy was built against, whether its CUDA paths are compiled in,\n"
              "the CUDA and cuDNN versions, the GPUs visible and the CPU threads LibTorch uses.");
    return 0;
  }
  const bool json = args.flag("json");
  args.finish();
#ifdef NICENERGY_WITH_CUDA
  const bool cuda_paths = true;
#else
  const bool cuda_paths = false;
#endif
  const RuntimeInfo runtime = runtime_info();
  const bool cuda_available = torch::cuda::is_available();
  const int gpus = cuda_available ? static_cast<int>(torch::cuda::device_count()) : 0;
  const char* cublas = std::getenv("CUBLAS_WORKSPACE_CONFIG");
  if (json) {
    nlohmann::json j{{"libtorch", runtime.libtorch}, {"cuda_paths", cuda_paths}, {"cuda", runtime.cuda},
                     {"cudnn", runtime.cudnn}, {"cuda_available", cuda_available}, {"gpus", gpus},
                     {"threads", runtime.threads}, {"cublas_workspace_config", cublas ? cublas : ""}};
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  std::printf("LibTorch   %s\n", runtime.libtorch.c_str());
  std::printf("CUDA paths %s\n", cuda_paths ? "compiled in" : "not compiled (this LibTorch has no CUDA)");
  std::printf("CUDA       %s\n", runtime.cuda.empty() ? "none" : runtime.cuda.c_str());
  std::printf("cuDNN      %s\n", runtime.cudnn.empty() ? "none" : runtime.cudnn.c_str());
  std::printf("GPUs       %d visible%s\n", gpus, cuda_available ? "" : " (no GPU or no driver: --device cuda is refused)");
  std::printf("threads    %d (LibTorch intra-op, CPU)\n", runtime.threads);
  return 0;
}

}  // namespace nicenergy
