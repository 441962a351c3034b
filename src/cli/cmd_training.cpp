// train: CompressAI's training recipe with energy measured per window.
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "cli/commands.h"
#include "error.h"
#include "models/codec.h"
#include "platform/runtime.h"
#include "protocol/codec_measurement.h"
#include "protocol/progress.h"
#include "training/trainer.h"

namespace nicenergy::cli {

namespace {

struct TrainParams {
  TrainSettings settings;
  std::string meter = "auto";
  int threads = 0;
};

int run_train(TrainParams p) {
  TrainSettings& s = p.settings;
  check_train_settings(s);
  const std::string log = s.log.empty() ? default_training_log(s.output) : s.log;
  // A damaged log to resume is one line too, before anything is decoded or measured.
  std::error_code ec;
  if (s.resume && std::filesystem::exists(log, ec)) read_training_csv(log);
  const CropSampler crops(s.data, s.crop_px, s.max_data_megapixels);  // bad data is one line, before the meter's notes
  const torch::Device device = parse_device(s.device);
  std::string note;
  const auto meter = open_meter_for(device, p.meter, true, &note);
  if (!note.empty()) std::fprintf(stderr, "note: %s\n", note.c_str());
  set_threads(p.threads);
  std::fprintf(stderr, "training %s quality %d on %s: %lld iterations of %lld crops of %d px, energy on %s%s\n",
               s.model.c_str(), s.quality, s.data.c_str(), static_cast<long long>(s.iterations),
               static_cast<long long>(s.batch_size), s.crop_px, meter->name().c_str(),
               meter->is_estimate() ? " (an estimate)" : "");
  if (s.idle_s > 0) std::fprintf(stderr, "idle reference: %.0f s...\n", s.idle_s);
  ProgressBar bar(std::cerr, stderr_is_tty());
  auto show = [&](const TrainingWindow& w, int64_t total, double elapsed_s, double eta_s) {
    char label[200];
    std::snprintf(label, sizeof label, "loss %.4g  PSNR %.2f dB  bpp %.3f  %.2f it/s  %.3g J/it%s", w.loss, w.psnr_db,
                  w.bpp, static_cast<double>(w.iterations()) / w.duration_s, w.energy_per_iteration_j,
                  w.estimate ? " (estimate)" : "");
    bar.show(static_cast<size_t>(w.iteration_end), static_cast<size_t>(total), label, elapsed_s, eta_s);
  };
  TrainResult r;
  try {
    r = train(s, crops, *meter, show);
  } catch (const std::bad_alloc&) {
    throw Error("out of memory training " + s.model + " on batches of " + std::to_string(s.batch_size) + " crops of " +
                std::to_string(s.crop_px) + " px: lower --batch-size or --crop-px (the last checkpoint is kept; --resume continues it)");
  }
  bar.finish(r.interrupted ? "interrupted: checkpoint saved; run again with --resume to continue" : "done");
  const char* label = r.estimate ? " (estimate: CPU time x TDP share, not a measurement)" : "";
  std::printf("iterations     %lld to %lld\n", static_cast<long long>(r.iteration_begin), static_cast<long long>(r.iteration_end));
  std::printf("last window    loss %.4g, PSNR %.2f dB, bpp %.4f (training crops, noisy latents)\n", r.last.loss,
              r.last.psnr_db, r.last.bpp);
  std::printf("energy         %.1f J total, %.1f J dynamic (Eq. 1), %.3f kWh, over %s%s\n", r.energy_j,
              r.dynamic_energy_j, r.dynamic_energy_j / 3.6e6, format_duration(r.duration_s).c_str(), label);
  std::printf("checkpoint     %s (and %s.optimizer)\n", s.output.c_str(), s.output.c_str());
  std::printf("log            %s\n", log.c_str());
  return r.interrupted ? 130 : 0;
}

}  // namespace

void add_training_commands(CLI::App& app, Action& action) {
  CLI::App* train = add_command(app, "train", "train a network with CompressAI's rate-distortion recipe, energy measured");
  train->footer("Loss lambda x 255^2 x MSE + bpp (lambda by quality as CompressAI's zoo), auxiliary loss on the\n"
                "entropy bottleneck's quantiles, Adam, random crops from the photographs in --data. Every\n"
                "--window-iterations iterations a row (energy, Eq. (1) dynamic energy per iteration, loss, PSNR,\n"
                "bpp) is appended to the log; checkpoints are safetensors with CompressAI's names (run --weights\n"
                "loads them) and resume with --resume. Ctrl-C or SIGTERM saves and stops.");
  auto p = bind<TrainParams>(train, action, run_train);
  TrainSettings& s = p->settings;
  add_model(train, s.model);
  add_quality(train, s.quality);
  train->add_option("--data", s.data, "folder of photographs (PNG or JPEG) to crop from; a resume needs the same")->required()->type_name("FOLDER");
  train->add_option("--max-data-megapixels", s.max_data_megapixels,
                    "budget of --data's pixels, all decoded into memory at 3 bytes a pixel (checked from the headers first)")
      ->capture_default_str()->check(whole_number("--max-data-megapixels", 1, 1000000));
  train->add_option("-o,--output", s.output, "checkpoint to write (and resume)")->required()->type_name("FILE.safetensors");
  train->add_option("--log", s.log, "training CSV (default: the checkpoint's name with .csv)")->type_name("FILE.csv");
  train->add_option("--iterations", s.iterations, "total iterations, a resumed checkpoint's included")
      ->capture_default_str()->check(whole_number("--iterations", 1, 1000000000));
  train->add_option("--batch-size", s.batch_size, "crops per iteration")->capture_default_str()->check(whole_number("--batch-size", 1, 4096));
  train->add_option("--crop-px", s.crop_px, "side of the square crops")->capture_default_str()->check(whole_number("--crop-px", 16, 4096));
  train->add_option("--lambda", s.lambda, "rate-distortion trade-off (0: the zoo's for --quality)")
      ->capture_default_str()->check(real_number("--lambda", 0, 100));
  train->add_option("--learning-rate", s.learning_rate, "Adam's")->capture_default_str()->check(real_number("--learning-rate", 1e-9, 1));
  train->add_option("--aux-learning-rate", s.aux_learning_rate, "Adam's, for the quantiles")
      ->capture_default_str()->check(real_number("--aux-learning-rate", 1e-9, 1));
  train->add_option("--clip-max-norm", s.clip_max_norm, "gradient norm clip (0: none)")->capture_default_str()->check(real_number("--clip-max-norm", 0, 1e6));
  train->add_option("--window-iterations", s.window_iterations, "iterations per energy window and log row")
      ->capture_default_str()->check(whole_number("--window-iterations", 1, 1000000));
  train->add_option("--checkpoint-iterations", s.checkpoint_iterations, "iterations between checkpoints")
      ->capture_default_str()->check(whole_number("--checkpoint-iterations", 1, 1000000000));
  train->add_option("--idle-s", s.idle_s, "idle reference before training, for Eq. (1) (0: none)")->capture_default_str()->check(real_number("--idle-s", 0, 3600));
  add_device(train, s.device);
  train->add_option("--meter", p->meter, "auto, nvml, rapl, estimate[:TDP_W], ... (auto falls back to the labelled estimate)")->capture_default_str();
  train->add_option("--init-weights", s.init_weights, "start from these weights (fine-tuning)")->type_name("FILE");
  train->add_flag("--resume", s.resume, "continue --output where it stopped (same settings)");
  add_seed(train, s.seed)->description("seed of the initial weights (without --init-weights), the crops and the noise");
  add_threads(train, p->threads);
}

}  // namespace nicenergy::cli
