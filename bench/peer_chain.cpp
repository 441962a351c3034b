// nicenergy's side of the peer benchmark (bench/peer_compressai.py): a small
// server that keeps one network and one image in memory and times the chain on
// command, so that process start, LibTorch start-up and weight loading stay out
// of the timings. Commands, one a line on stdin:
//   load ABBR QUALITY WEIGHTS.safetensors   build the network, load the weights
//   run K                                   K executions of the measured chain, each
//                                           synchronised with the device and timed
//   quit
// Every answer is one JSON line on stdout; errors are {"error": "..."}.
// The execution is exactly the one the energy protocol times
// (CodecWorkload::workload().run_once: forward() in the energy mode of --mode,
// float32 under no-grad by default).
#include <ATen/Context.h>
#include <torch/torch.h>

#include <chrono>
#include <iostream>
#include <optional>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "image/image.h"
#include "models/codec.h"
#include "models/network.h"
#include "modes/execution_mode.h"
#include "platform/runtime.h"
#include "protocol/codec_measurement.h"

using namespace nicenergy;

namespace {

// The centred crop bench/peer_compressai.py (and the reference test) uses.
Image centre_crop(const Image& image, int width, int height) {
  if (image.width < width || image.height < height) throw std::runtime_error("image smaller than the crop");
  Image out;
  out.width = width;
  out.height = height;
  const int top = (image.height - height) / 2, left = (image.width - width) / 2;
  for (int row = 0; row < height; ++row) {
    const auto* start = image.rgb.data() + (static_cast<size_t>(top + row) * image.width + left) * 3;
    out.rgb.insert(out.rgb.end(), start, start + static_cast<size_t>(width) * 3);
  }
  return out;
}

int usage() {
  std::cerr << "usage: peer_chain --image PNG --width W --height H --threads N [--mode MODE] [--device cpu|cuda[:N]]"
               "  (then commands on stdin)\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string image_path;
  int width = 0, height = 0, threads = 0;
  std::string mode_text = "float32";
  std::string device_text = "cpu";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i], value = argv[i + 1];
    if (key == "--image") image_path = value;
    else if (key == "--width") width = std::stoi(value);
    else if (key == "--height") height = std::stoi(value);
    else if (key == "--threads") threads = std::stoi(value);
    else if (key == "--mode") mode_text = value;
    else if (key == "--device") device_text = value;
    else return usage();
  }
  if (image_path.empty() || width <= 0 || height <= 0 || threads <= 0) return usage();

  // The same settings as the Python side: intra-op threads and deterministic
  // algorithms (cuDNN deterministic, no autotuning, cuBLAS's fixed workspace).
  torch::set_num_threads(threads);
  set_deterministic(true);
  std::optional<torch::Device> parsed;
  try {
    parsed.emplace(device_text);
  } catch (const std::exception&) {
    return usage();
  }
  const torch::Device device = *parsed;
  const Image image = centre_crop(load_image(image_path), width, height);
  const ExecutionMode mode = parse_mode(mode_text);

  CodecWorkload codec;
  Workload workload;
  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream words(line);
    std::string command;
    words >> command;
    nlohmann::json answer;
    try {
      if (command == "load") {
        std::string abbr, weights;
        int quality = 0;
        words >> abbr >> quality >> weights;
        codec = make_codec_workload(abbr, quality, image, image_path, device, weights, 0, Stage::chain, mode);
        workload = codec.workload();
        // The bpp of this network on the image: the driver checks it against
        // CompressAI's, so that both sides are known to compute the same thing.
        ChainOutput out = run_chain_once(codec);
        answer = {{"loaded", abbr},
                  {"mode", mode_name(mode)},
                  {"quality", quality},
                  {"padded", {codec.padded_height, codec.padded_width}},
                  {"bpp", bits_per_pixel(out.latents, static_cast<int64_t>(width) * height)},
                  {"threads", torch::get_num_threads()},
                  {"device", device.str()}};
      } else if (command == "run") {
        if (!workload.run_once) throw std::runtime_error("run before load");
        int k = 0;
        words >> k;
        std::vector<double> seconds;
        for (int i = 0; i < k; ++i) {
          const auto start = std::chrono::steady_clock::now();
          workload.run_once();
          if (workload.synchronize) workload.synchronize();
          seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
        }
        answer = {{"seconds", seconds}};
      } else if (command == "quit") {
        break;
      } else {
        throw std::runtime_error("unknown command '" + command + "'");
      }
    } catch (const std::exception& e) {
      answer = {{"error", e.what()}};
    }
    std::cout << answer.dump() << std::endl;
  }
  return 0;
}
