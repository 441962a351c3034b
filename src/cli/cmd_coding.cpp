// compress and decompress: a network as a working codec (src/coding).
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/options.h"
#include "coding/codec_file.h"
#include "coding/network_coding.h"
#include "coding/stream_checks.h"
#include "error.h"
#include "image/image.h"
#include "io/files.h"
#include "models/codec.h"
#include "models/weights.h"
#include "platform/runtime.h"

namespace nicenergy::cli {

namespace {
// A compressed file is at most the raw latents plus headers; far larger is not ours.
constexpr uint64_t kMaxStreamBytes = 1ull << 30;

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::string weights_text(const std::string& weights, uint64_t seed) {
  return weights.empty() ? "seeded random (seed " + std::to_string(seed) + "), not trained" : weights;
}

struct CompressParams {
  std::string model;
  int quality = 0;
  std::string input;
  std::string output;
  std::string weights;
  std::string device = "cpu";
  uint64_t seed = 0;
  int threads = 0;
  bool json = false;
};

int run_compress(const CompressParams& p) {
  const torch::Device device = parse_device(p.device);
  check_output_file(p.output, "compressed file '" + p.output + "'");
  set_threads(p.threads);
  set_deterministic(true);  // the decoder must recompute the entropy parameters bit for bit
  Network network = make_network(p.model, p.quality, p.seed);
  if (!p.weights.empty()) load_weights(*network, p.weights);
  network->to(device);
  const Image image = load_image(p.input);
  const torch::Tensor x = image_to_tensor(image);
  const Padding padding = padding_for(x.size(2), x.size(3), network->config().spec->padding);
  const torch::Tensor padded = pad(x, padding).to(device);

  const EntropyTables tables = entropy_tables(*network);
  const auto start = std::chrono::steady_clock::now();
  Stream stream;
  stream.coded = compress_latents(*network, tables, padded);
  const double encode_s = seconds_since(start);
  stream.header = {network->config().spec->abbr, p.quality, image.width, image.height,
                   device.is_cuda() ? "cuda" : "cpu", weights_digest(*network)};
  const std::string bytes = write_stream(stream);
  write_file_replacing(p.output, bytes, "compressed file '" + p.output + "'");

  const double pixels = static_cast<double>(image.width) * image.height;
  const double real_bpp = 8.0 * static_cast<double>(bytes.size()) / pixels;
  const double estimated_bpp = stream.coded.estimated_bits / pixels;
  if (p.json) {
    nlohmann::json out = {{"network", stream.header.network}, {"quality", p.quality}, {"input", p.input},
                          {"output", p.output}, {"width", image.width}, {"height", image.height},
                          {"bytes", bytes.size()}, {"bpp", real_bpp}, {"estimated_bpp", estimated_bpp},
                          {"encode_s", encode_s}, {"device", device.str()}, {"weights", weights_text(p.weights, p.seed)}};
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  }
  std::printf("network    %s quality %d, weights %s\n", stream.header.network.c_str(), p.quality,
              weights_text(p.weights, p.seed).c_str());
  std::printf("image      %s, %dx%d\n", p.input.c_str(), image.width, image.height);
  std::printf("file       %s, %zu bytes\n", p.output.c_str(), bytes.size());
  std::printf("rate       %.4f bpp real (whole file), %.4f bpp estimated from the likelihoods (%+.2f %%)\n", real_bpp,
              estimated_bpp, 100.0 * (real_bpp - estimated_bpp) / estimated_bpp);
  std::printf("time       %.3f s to encode on %s (analysis, hyper side, entropy coding)\n", encode_s, device.str().c_str());
  return 0;
}

// The network the header names; an unknown name or quality is the file's fault, said with its name.
Network header_network(const StreamHeader& header, uint64_t seed, const std::string& what) {
  try {
    return make_network(header.network, header.quality, seed);
  } catch (const Error& e) {
    throw Error(what + " has a header nicenergy cannot decode (" + e.what() + "): give a file made by 'nicenergy compress'");
  }
}

struct DecompressParams {
  std::string input;
  std::string output;
  std::string weights;
  std::string device = "cpu";
  uint64_t seed = 0;
  int threads = 0;
};

int run_decompress(const DecompressParams& p) {
  const torch::Device device = parse_device(p.device);
  check_output_file(p.output, "decoded image '" + p.output + "'");
  const std::string what = "compressed file '" + p.input + "'";
  const Stream stream = read_stream(read_input_file(p.input, what, "check the path", kMaxStreamBytes), what);
  // The header's size decides what the decoder allocates (latents, then the image): a file
  // claiming more pixels than compress reads is corrupt, and would ask for gigabytes.
  const uint64_t pixels = static_cast<uint64_t>(stream.header.width) * static_cast<uint64_t>(stream.header.height);
  if (pixels > max_image_pixels())
    throw Error(what + " is for a " + std::to_string(stream.header.width) + "x" + std::to_string(stream.header.height) +
                " image, over the cap of " + std::to_string(max_image_pixels()) +
                " pixels that compress reads: the file is corrupt, or raise NICENERGY_MAX_IMAGE_PIXELS to decode it");
  const std::string kind = device.is_cuda() ? "cuda" : "cpu";
  if (stream.header.device != kind)
    throw Error(what + " was made on " + stream.header.device + ": decode it with --device " + stream.header.device +
                " (the entropy parameters are bit-exact only on the device kind that made them)");
  set_threads(p.threads);
  set_deterministic(true);
  Network network = header_network(stream.header, p.seed, what);
  if (!p.weights.empty()) load_weights(*network, p.weights);
  if (weights_digest(*network) != stream.header.weights_digest)
    throw Error(what + " was made with other weights than " + weights_text(p.weights, p.seed) +
                ": give the --weights (or --seed) it was compressed with");
  check_stream_fits(stream, *network, what);
  network->to(device);
  const EntropyTables tables = entropy_tables(*network);
  const auto start = std::chrono::steady_clock::now();
  // The entropy decoder's errors do not know the file: name it here.
  torch::Tensor y_hat;
  try {
    y_hat = decompress_latents(*network, tables, stream.coded);
  } catch (const Error& e) {
    throw Error(what + ": " + e.what());
  }
  torch::Tensor x_hat = synthesise(*network, y_hat);
  const double decode_s = seconds_since(start);
  const Padding padding = padding_for(stream.header.height, stream.header.width, network->config().spec->padding);
  save_png(tensor_to_image(crop(x_hat, padding).to(torch::kCPU)), p.output);
  std::printf("decoded    %s (%s quality %d, %dx%d) to %s in %.3f s on %s\n", p.input.c_str(),
              stream.header.network.c_str(), stream.header.quality, stream.header.width, stream.header.height,
              p.output.c_str(), decode_s, device.str().c_str());
  return 0;
}
}  // namespace

void add_coding_commands(CLI::App& app, Action& action) {
  CLI::App* compress = add_command(app, "compress", "encode an image to a file with a network and real entropy coding");
  compress->footer("Analysis, hyper-analysis and rANS entropy coding, as CompressAI's compress(); the context models\n"
                   "code one latent position at a time. Prints the real rate (the whole file) beside the likelihoods'\n"
                   "estimate. Without --weights the network has seeded random weights: the rate is real, the\n"
                   "reconstruction is not a trained one.");
  auto cp = bind<CompressParams>(compress, action, run_compress);
  add_model(compress, cp->model);
  add_quality(compress, cp->quality);
  compress->add_option("--input", cp->input, "image to compress (PNG or JPEG)")->required()->type_name("IMAGE");
  compress->add_option("-o,--output", cp->output, "the compressed file")->required()->type_name("FILE");
  compress->add_option("--weights", cp->weights, "CompressAI state_dict as safetensors")->type_name("FILE");
  compress->add_option("--device", cp->device, "cpu, cuda or cuda:N (decode on the same kind)")->capture_default_str();
  add_seed(compress, cp->seed);
  add_threads(compress, cp->threads);
  compress->add_flag("--json", cp->json, "one JSON object on stdout");

  CLI::App* decompress = add_command(app, "decompress", "decode a file made by 'compress' to a PNG");
  decompress->footer("Reads the network, quality and image size from the file's header; the weights must be the ones\n"
                     "it was compressed with (checked by a digest in the header).");
  auto dp = bind<DecompressParams>(decompress, action, run_decompress);
  decompress->add_option("input", dp->input, "the compressed file")->required()->type_name("FILE");
  decompress->add_option("-o,--output", dp->output, "the decoded image (PNG)")->required()->type_name("IMAGE.png");
  decompress->add_option("--weights", dp->weights, "the weights it was compressed with")->type_name("FILE");
  add_device(decompress, dp->device);
  add_seed(decompress, dp->seed);
  add_threads(decompress, dp->threads);
}

}  // namespace nicenergy::cli
