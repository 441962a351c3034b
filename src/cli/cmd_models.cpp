// zoo, complexity, run and version: the networks, their complexity, one
// reconstruction, and the LibTorch they run on.
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/options.h"
#include "complexity/complexity.h"
#include "complexity/op_counter.h"
#include "complexity/torchscript_count.h"
#include "models/torchscript_model.h"
#include "report/op_tables.h"
#include "error.h"
#include "image/image.h"
#include "models/codec.h"
#include "models/weights.h"
#include "legacy/legacy_codecs.h"
#include "legacy/legacy_measurement.h"
#include "quality/rate_distortion.h"
#include "platform/runtime.h"
#include "report/complexity_tables.h"
#include "subject/resolve.h"

namespace nicenergy::cli {
namespace {

struct ZooParams {
  std::string format = "table";
};

int run_zoo(const ZooParams& p) {
  std::cout << format_zoo(zoo_complexity(), p.format);
  return 0;
}

struct ComplexityParams {
  std::string model;
  int quality = 0;
  std::string format = "table";
  std::string size = "256x256";
  TorchScriptOptions torchscript;
};

int run_complexity(const ComplexityParams& p) {
  if (!is_torchscript_path(p.model)) {
    std::cout << format_layers(complexity_of(p.model, p.quality), p.format);
    return 0;
  }
  // A TorchScript file: counted from the operators one execution runs, on the CPU.
  if (p.format != "table" && p.format != "csv" && p.format != "json")
    throw Error("format '" + p.format + "' is unknown: use table, csv or json");
  const ImageInfo size = parse_size(p.size);
  const Padding padding = padding_for(size.height, size.width, p.torchscript.padding);
  torch::manual_seed(0);
  const torch::Tensor x = pad(torch::rand({1, 3, size.height, size.width}), padding);
  const OpCount count = count_torchscript(p.model, p.torchscript, torch::kCPU, x);
  std::cout << format_operator_count(count, x.size(2) * x.size(3), p.model, p.format);
  return 0;
}

struct RunParams {
  std::string model;
  int quality = 0;
  std::string input;
  std::string weights;
  std::string output;
  std::string device = "cpu";
  uint64_t seed = 0;
  const CLI::Option* seed_option = nullptr;  // given: seeded random weights asked for
  int threads = 0;
};

// The trained weights the repository ships for a network at a quality
// (data/weights/bfac-q1.safetensors), from the current folder or the source
// tree; "" where none ship.
std::string shipped_weights(const std::string& abbr, int quality) {
  std::string name = abbr + "-q" + std::to_string(quality) + ".safetensors";
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::vector<std::string> folders = {"data/weights"};
#if defined(NICENERGY_SOURCE_DIR)
  folders.push_back(std::string(NICENERGY_SOURCE_DIR) + "/data/weights");
#endif
  std::error_code ec;
  for (const std::string& folder : folders)
    if (std::filesystem::is_regular_file(folder + "/" + name, ec)) return folder + "/" + name;
  return "";
}

// A legacy codec (issue 17): encode and decode in memory, the real rate.
int run_legacy(const RunParams& p, const LegacyCodec& codec) {
  if (!p.weights.empty()) throw Error("--weights is for the learned networks; " + codec.name + " has none");
  usable_legacy_codec(codec.name, p.quality, Stage::chain);
  const Image image = load_image(p.input);
  const auto start = std::chrono::steady_clock::now();
  const std::vector<uint8_t> bitstream = codec.encode(image, p.quality);
  const double encode_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const Image decoded = codec.decode(bitstream);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!p.output.empty()) save_png(decoded, p.output);
  const RateDistortion rd = rate_distortion(bitstream.size(), image, decoded);
  std::printf("codec      %s (%s), %s %d\n", codec.name.c_str(), codec.library_version().c_str(), codec.setting.c_str(),
              p.quality);
  std::printf("image      %s, %dx%d\n", p.input.c_str(), image.width, image.height);
  std::printf("time       %.3f s (encode %.3f s, decode %.3f s; first run)\n", seconds, encode_s, seconds - encode_s);
  std::printf("PSNR       %.2f dB\n", rd.psnr_db);
  if (rd.ms_ssim) std::printf("MS-SSIM    %.4f\n", *rd.ms_ssim);
  std::printf("rate       %.4f bpp (the bitstream, %zu bytes)\n", rd.bpp, bitstream.size());
  if (!p.output.empty()) std::printf("output     %s\n", p.output.c_str());
  return 0;
}

int run_run(const RunParams& p) {
  const SubjectSpec subject = resolve_subject(p.model);
  if (subject.kind == SubjectKind::classic) return run_legacy(p, legacy_codec(subject.name));
  if (subject.kind != SubjectKind::network)
    throw Error(p.model + " is a " + subject_kind_text(subject.kind) +
                ": run codes an image with a built-in network or a classic codec");
  const torch::Device device = parse_device(p.device);
  set_threads(p.threads);
  set_deterministic(true);
  Network network = make_network(p.model, p.quality, p.seed);
  // Trained weights where the repository ships them, unless --weights or --seed says otherwise.
  const bool seeded = p.seed_option && p.seed_option->count() > 0;
  const std::string shipped = p.weights.empty() && !seeded ? shipped_weights(network->config().spec->abbr, p.quality) : "";
  const std::string weights = p.weights.empty() ? shipped : p.weights;
  if (!weights.empty()) load_weights(*network, weights);
  network->to(device);
  const Image image = load_image(p.input);
  const torch::Tensor x = image_to_tensor(image);

  const auto start = std::chrono::steady_clock::now();
  Reconstruction r = reconstruct(*network, x, device);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!p.output.empty()) save_png(tensor_to_image(r.x_hat), p.output);

  const QualityConfig& c = network->config();
  std::printf("network    %s (%s) quality %d, %s level, N=%d M=%d\n", c.spec->name.c_str(), c.spec->abbr.c_str(),
              c.quality, c.level.c_str(), c.n, c.m);
  // Said once it ran, so that a bad input stays a one-line error.
  if (!shipped.empty())
    std::fprintf(stderr, "note: trained weights shipped with nicenergy: %s (--weights FILE for others, --seed N for "
                 "seeded random weights)\n", shipped.c_str());
  std::printf("weights    %s\n", weights.empty() ? ("seeded random (seed " + std::to_string(p.seed) + "), not trained").c_str()
                                                 : (weights + (shipped.empty() ? "" : " (shipped, trained)")).c_str());
  std::printf("image      %s, %dx%d padded to %lldx%lld\n", p.input.c_str(), image.width, image.height,
              static_cast<long long>(r.padded_width), static_cast<long long>(r.padded_height));
  const RuntimeInfo runtime = runtime_info();
  std::printf("device     %s (LibTorch %s%s%s, %d threads)\n", device.str().c_str(), runtime.libtorch.c_str(),
              runtime.cuda.empty() ? "" : (", CUDA " + runtime.cuda).c_str(),
              runtime.cudnn.empty() ? "" : (", cuDNN " + runtime.cudnn).c_str(), runtime.threads);
  std::printf("time       %.3f s (first run, includes warm-up)\n", seconds);
  std::printf("PSNR       %.2f dB\n", r.psnr_db);
  std::printf("rate       %.4f bpp (estimated from the likelihoods)\n", r.bpp);
  if (!p.output.empty()) std::printf("output     %s\n", p.output.c_str());
  return 0;
}

// The legacy codecs: compiled in or why not, their library, setting and sweep.
struct CodecsParams {};

int run_codecs(const CodecsParams&) {
  std::printf("%-9s %-10s %-26s %-18s %-9s %s\n", "codec", "abbr", "library", "setting", "range", "default sweep");
  for (const LegacyCodec& codec : legacy_codecs()) {
    std::string sweep;
    for (double s : codec.default_settings) sweep += (sweep.empty() ? "" : " ") + std::to_string(static_cast<int>(s));
    // The first words: libavif and libheif append their plugins' versions in parentheses.
    std::string library = codec.available ? codec.library_version() : "not built in";
    library = library.substr(0, library.find(" ("));
    const std::string range =
        std::to_string(static_cast<int>(codec.setting_min)) + ".." + std::to_string(static_cast<int>(codec.setting_max));
    std::printf("%-9s %-10s %-26s %-18s %-9s %s\n", codec.name.c_str(), codec.abbr.c_str(), library.c_str(),
                (codec.setting + (codec.higher_is_better ? " (up)" : " (down)")).c_str(), range.c_str(), sweep.c_str());
  }
  for (const LegacyCodec& codec : legacy_codecs())
    if (!codec.available) std::printf("note: %s\n", codec.unavailable_reason.c_str());
  return 0;
}

struct VersionParams {
  bool json = false;
};

int run_version(const VersionParams& p) {
#ifdef NICENERGY_WITH_CUDA
  const bool cuda_paths = true;
#else
  const bool cuda_paths = false;
#endif
  const RuntimeInfo runtime = runtime_info();
  const bool cuda_available = torch::cuda::is_available();
  const int gpus = cuda_available ? static_cast<int>(torch::cuda::device_count()) : 0;
  const char* cublas = std::getenv("CUBLAS_WORKSPACE_CONFIG");
  if (p.json) {
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

}  // namespace

void add_model_commands(CLI::App& app, Action& action) {
  CLI::App* zoo = add_command(app, "zoo", "the six networks at every quality: parameters and kMAC per pixel");
  zoo->footer("kMAC per pixel counts convolutions only (the paper's rule); 2nd = up to the 2nd downsampling.");
  auto zp = bind<ZooParams>(zoo, action, run_zoo);
  add_format(zoo, zp->format, "table, csv or json");

  CLI::App* complexity = add_command(app, "complexity", "per-layer complexity of one network, or per operator of a TorchScript file");
  complexity->footer("Per layer: type, channels, kernel, stride, scale, parameters, kMAC per pixel, activation\n"
                     "bytes per pixel, and whether it counts up to the 2nd downsampling.");
  auto cp = bind<ComplexityParams>(complexity, action, run_complexity);
  add_model(complexity, cp->model);
  add_quality(complexity, cp->quality)->required(false);  // not for a TorchScript file
  add_format(complexity, cp->format, "table, csv or json");
  complexity->add_option("--size", cp->size, "TorchScript model: the image size counted on (padded to --padding)")
      ->capture_default_str()
      ->type_name("WxH");
  add_torchscript_options(complexity, cp->torchscript);

  CLI::App* run = add_command(app, "run", "reconstruct one image with one network or legacy codec: time, PSNR, bpp (no energy)");
  run->footer("Pads the image to the network's multiple, runs the full encoder-decoder chain once, crops, writes\n"
              "the reconstruction and prints the time of that first run (warm-up included), PSNR and estimated\n"
              "bits per pixel; no energy (measure does that). Without --weights the trained weights shipped in\n"
              "data/weights are used where they exist (Bfac quality 1), said on stderr; otherwise, or with --seed,\n"
              "the network has seeded random weights: the real architecture, not a trained reconstruction.");
  auto rp = bind<RunParams>(run, action, run_run);
  add_model(run, rp->model)->description("network (Bfac, Bhyp, Mmean, Mcont, Canch, Cattn or its CompressAI name), or a legacy codec (jpeg, webp, avif, jxl, heic, jpeg2000: see `nicenergy codecs`)");
  add_quality(run, rp->quality);
  run->add_option("--input", rp->input, "image to reconstruct (PNG or JPEG)")->required()->type_name("IMAGE");
  run->add_option("--weights", rp->weights, "CompressAI state_dict as safetensors")->type_name("FILE");
  run->add_option("--output", rp->output, "write the reconstruction here (PNG)")->type_name("RECON.png");
  add_device(run, rp->device);
  rp->seed_option = add_seed(run, rp->seed)->description(
      "seeded random weights with this seed, instead of the shipped trained ones (without --weights)");
  add_threads(run, rp->threads);

  CLI::App* codecs = add_command(app, "codecs", "the legacy codecs (JPEG, WebP, AVIF, JPEG XL, HEIC, JPEG 2000): built in or why not");
  codecs->footer("Each works wherever a network name does (run, measure, campaign, fit, report), with --quality in\n"
                 "its own setting: (up) higher is better quality, (down) lower is. They run on the CPU.");
  bind<CodecsParams>(codecs, action, run_codecs);

  CLI::App* version = add_command(app, "version", "the LibTorch, CUDA and cuDNN built against, GPUs visible, CPU threads");
  auto vp = bind<VersionParams>(version, action, run_version);
  version->add_flag("--json", vp->json, "one JSON object on stdout");
}

}  // namespace nicenergy::cli
