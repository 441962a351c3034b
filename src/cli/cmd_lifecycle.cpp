// lifecycle: full-cycle energy E_full(N) = E_train + N x E_infer per codec (Li
// et al., arXiv 2108.13465) from training CSVs (or joules given) and inference
// energy from a results CSV (or a fit), with break-evens, CO2e and a plot.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>

#include "cli/commands.h"
#include "cli/options.h"
#include "complexity/complexity.h"
#include "error.h"
#include "image/image.h"
#include "io/files.h"
#include "io/numbers.h"
#include "meters/estimate_label.h"
#include "modeling/coefficients.h"
#include "modeling/lifecycle.h"
#include "modeling/lifecycle_inputs.h"
#include "modeling/training_prediction.h"
#include "models/zoo.h"
#include "protocol/results_csv.h"
#include "report/lifecycle_report.h"

namespace nicenergy::cli {
namespace {

struct LifecycleParams {
  std::vector<std::string> training;
  std::vector<std::string> training_energy_j;  // NETWORK:Q=J
  int64_t iterations = 0;
  std::string schedule;
  std::string rescale;  // "" = pixels, the default; kept apart to refuse it without --schedule
  int64_t warmup_iterations = -1;
  std::string results;
  std::string coeffs;
  std::string size;
  int quality = 0;
  std::string images = "1,1e3,1e6,1e9";
  double grid_intensity_g_per_kwh = CarbonSettings::kDefaultGridIntensityGPerKwh;
  double pue = CarbonSettings::kDefaultPue;
  std::string output;
  std::string plot;
  std::string gnuplot = "gnuplot";
  bool json = false;
};

std::vector<double> parse_images(const std::string& text) {
  std::vector<double> images;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    const double n = parse_double(item, "--images '" + printable(item) + "'");
    if (!(n > 0)) throw Error("--images " + printable(item) + ": the number of images N must be more than 0");
    if (n != std::floor(n))
      throw Error("--images " + printable(item) + ": the number of images N must be a whole number (1e6 is, 1.5 is not)");
    images.push_back(n);
  }
  if (images.empty()) throw Error("--images is empty: give numbers of images, e.g. 1,1e3,1e6");
  return images;
}

// "Bfac:1=3.2e6" or, with --quality, "Bfac=3.2e6".
struct GivenTraining {
  std::string network;
  int quality = 0;
  double training_energy_j = 0;
};
GivenTraining parse_given(const std::string& text, int quality) {
  const size_t eq = text.find('=');
  if (eq == std::string::npos)
    throw Error("--training-energy-j '" + printable(text) + "' is not NETWORK:QUALITY=JOULES (e.g. Bfac:1=3.2e6)");
  std::string name = text.substr(0, eq);
  GivenTraining g;
  if (const size_t colon = name.find(':'); colon != std::string::npos) {
    g.quality = parse_integer<int>(name.substr(colon + 1), "--training-energy-j '" + printable(text) + "' quality", 1);
    name = name.substr(0, colon);
  } else if (quality > 0) {
    g.quality = quality;
  } else {
    throw Error("--training-energy-j '" + printable(text) + "' names no quality: write NETWORK:QUALITY=JOULES");
  }
  const NetworkSpec* spec = lookup_network(name);
  if (!spec) throw Error("--training-energy-j '" + printable(text) + "': unknown network '" + printable(name) + "'");
  g.network = spec->name;
  g.training_energy_j = parse_double(text.substr(eq + 1), "--training-energy-j '" + printable(text) + "' energy");
  if (g.training_energy_j < 0) throw Error("--training-energy-j '" + printable(text) + "': the energy is negative");
  return g;
}

// Windows of 1e308 J sum to inf, which would print as "inf" and go into JSON
// as null: refused, naming the file.
void check_finite_training(const TrainingEnergy& t, const std::string& what) {
  if (std::isfinite(t.measured_training_energy_j) && std::isfinite(t.energy_per_iteration_j) &&
      std::isfinite(t.energy_per_iteration_ci_j))
    return;
  throw Error(what + ": the training energy of " + codec_label(t.network.empty() ? t.abbr : t.network, t.quality) +
              " overflows a double (its windows' dynamic energies sum to " + number_text(t.measured_training_energy_j) +
              " J): no real training uses that much; check the log's energy columns");
}

// The output's kind from its ending: .csv or .json.
bool output_is_json(const std::string& path) {
  const std::string ext = std::filesystem::path(path).extension().string();
  if (ext == ".json") return true;
  if (ext == ".csv") return false;
  throw Error("--output '" + path + "': end it in .csv or .json (the format follows the ending)");
}

// The settings of one run, checked before any file is read.
struct LifecycleSettings {
  bool training_only = false;  // no inference energy: the training CSVs' energy (and its prediction) alone
  TrainingRescale rescale;
  CarbonSettings carbon;
  std::vector<double> images;
  std::optional<std::pair<int, int>> size;
  const TrainingSchedule* schedule = nullptr;
  bool json_output = false;
};

// Training energy per codec (network, quality).
struct LifecycleCodec {
  std::string network;
  int quality = 0;
  CodecLifecycle lifecycle;
};

struct TrainingInputs {
  std::vector<LifecycleCodec> codecs;
  std::vector<TrainingEstimate> training;
  std::vector<std::string> notes;
};

LifecycleSettings lifecycle_settings(const LifecycleParams& p) {
  LifecycleSettings s;
  // Settings first, so that a bad one is said before any file is read.
  if (p.training.empty() && p.training_energy_j.empty())
    throw Error("no training energy: give --training TRAIN.csv (from `nicenergy train`) or --training-energy-j "
                "NETWORK:QUALITY=JOULES");
  s.training_only = p.results.empty() && p.coeffs.empty();
  if (!p.results.empty() && !p.coeffs.empty())
    throw Error("--results and --coeffs both given: choose one source of inference energy");
  if (s.training_only && p.training.empty())
    throw Error("no inference energy: give --results RESULTS.csv (a campaign's) or --coeffs FIT.json with --size WxH");
  if (s.training_only && !p.plot.empty())
    throw Error("--plot draws E_full over N and needs inference energy: give --results RESULTS.csv or --coeffs FIT.json");
  if (!p.coeffs.empty() && p.size.empty()) throw Error("--coeffs needs --size WxH: the image size to predict for");
  if (p.iterations != 0 && !p.schedule.empty()) throw Error("--iterations and --schedule both given: choose one");
  if (!p.rescale.empty() && p.schedule.empty())
    throw Error("--rescale applies to --schedule (a schedule's batch and crop): drop it, or give --schedule NAME");
  s.rescale = parse_training_rescale(p.rescale.empty() ? "pixels" : p.rescale);
  s.carbon.grid_intensity_g_per_kwh = p.grid_intensity_g_per_kwh;
  s.carbon.pue = p.pue;
  check_carbon_settings(s.carbon);
  s.images = parse_images(p.images);
  if (!p.size.empty()) {
    const ImageInfo size = parse_size(p.size);
    s.size = std::make_pair(size.width, size.height);
  }
  s.schedule = p.schedule.empty() ? nullptr : &find_training_schedule(p.schedule);
  s.json_output = !p.output.empty() && output_is_json(p.output);
  if (!p.output.empty()) check_output_file(p.output, "output '" + p.output + "'", true);
  if (!p.plot.empty()) check_output_folder(p.plot, "plot folder '" + p.plot + "'");

  return s;
}

// One training run's energy: measured, or predicted for --iterations or --schedule.
LifecycleCodec training_codec(const LifecycleParams& p, const LifecycleSettings& s,
                              const std::vector<TrainingWindow>& group,
                              const std::string& path, TrainingInputs& in) {
  TrainingPredictionOptions options;
  if (p.warmup_iterations >= 0) options.warmup_iterations = p.warmup_iterations;
  const std::string what = "training file '" + path + "'";
  const TrainingEnergy t = training_energy(group, options, what);
  check_finite_training(t, what);
  LifecycleCodec c;
  c.network = t.network.empty() ? t.abbr : t.network;
  c.quality = t.quality;
  c.lifecycle.codec = codec_label(c.network, c.quality);
  c.lifecycle.estimate = t.estimate;
  in.training.push_back({c.lifecycle.codec, t, std::nullopt});
  if (p.iterations == 0 && !s.schedule) {
    c.lifecycle.training_energy_j = t.measured_training_energy_j;
    c.lifecycle.training_source = "measured: " + path + " (" + std::to_string(t.measured_iterations) +
                                  " iterations, warm-up included)";
  } else {
    const TrainingPrediction pr =
        s.schedule ? predict_training_energy(t, *s.schedule, s.rescale) : predict_training_energy(t, p.iterations);
    if (!std::isfinite(pr.training_energy_low_j) || !std::isfinite(pr.training_energy_high_j))
      throw Error(what + ": the predicted training energy of " + codec_label(t.network.empty() ? t.abbr : t.network, t.quality) +
                  " overflows a double (" + number_text(t.energy_per_iteration_j) + " J per iteration x " +
                  std::to_string(pr.iterations_max) + " iterations): check the log's energies");
    in.training.back().predicted = pr;
    c.lifecycle.training_energy_j = pr.training_energy_j;
    c.lifecycle.training_energy_low_j = pr.training_energy_low_j;
    c.lifecycle.training_energy_high_j = pr.training_energy_high_j;
    c.lifecycle.training_model = pr.rescaled;
    char per[160];
    std::snprintf(per, sizeof per, "%.6g +- %.2g J per iteration, %.0f%% interval", t.energy_per_iteration_j,
                  t.energy_per_iteration_ci_j, 100 * t.confidence);
    c.lifecycle.training_source = "predicted: " + path + " (" + std::to_string(t.windows_used) + " windows, " +
                                  std::to_string(t.iterations_used) + " iterations after " +
                                  std::to_string(t.warmup_iterations) + " of warm-up; " + per + ") x " +
                                  std::to_string(pr.iterations) + " iterations" +
                                  (s.schedule ? " (schedule " + s.schedule->name + ")" : "") +
                                  (pr.rescaled ? ", scaled by pixels per iteration (a MODEL)" : "");
    for (const std::string& n : pr.notes) in.notes.push_back(c.lifecycle.codec + ": " + n);
    if (in.notes.empty() || in.notes.front().rfind("training prediction:", 0) != 0)
      in.notes.insert(in.notes.begin(), "training prediction: " + pr.method);
  }
  return c;
}

TrainingInputs read_training_inputs(const LifecycleParams& p, const LifecycleSettings& s) {
  TrainingInputs in;
  for (const std::string& path : p.training) {
    const auto windows = read_training_csv(path);
    const std::string what = "training file '" + path + "'";
    if (windows.empty()) throw Error(what + " holds no windows: run `nicenergy train` first");
    for (const auto& group : group_training_windows(windows, what)) in.codecs.push_back(training_codec(p, s, group, path, in));
  }
  bool any_rescaled = false;
  for (const TrainingEstimate& t : in.training) any_rescaled = any_rescaled || (t.predicted && t.predicted->rescaled);
  if (any_rescaled) in.notes.push_back("pixel rescale: " + pixel_rescale_model());
  for (const std::string& text : p.training_energy_j) {
    const GivenTraining g = parse_given(text, p.quality);
    LifecycleCodec c;
    c.network = g.network;
    c.quality = g.quality;
    c.lifecycle.codec = codec_label(g.network, g.quality);
    c.lifecycle.training_energy_j = g.training_energy_j;
    c.lifecycle.training_source = "given: " + text;
    in.codecs.push_back(c);
  }

  return in;
}

void print_carbon_lines(const CarbonSettings& carbon) {
  std::printf("  grid intensity %g gCO2e/kWh: %s\n", carbon.grid_intensity_g_per_kwh,
              carbon.grid_intensity_g_per_kwh == CarbonSettings::kDefaultGridIntensityGPerKwh
                  ? (std::string("default, ") + CarbonSettings::grid_intensity_source()).c_str()
                  : "given with --grid-intensity-g-per-kwh");
  std::printf("  PUE %g: %s\n", carbon.pue,
              carbon.pue == CarbonSettings::kDefaultPue ? (std::string("default, ") + CarbonSettings::pue_source()).c_str()
                                                        : "given with --pue");
}

void print_training(const std::vector<TrainingEstimate>& training) {
  std::printf("Training energy from training CSVs (dynamic energy, Eq. (1)); prediction as Carbontracker does: "
              "energy per iteration after the warm-up x the schedule's iterations\n");
  std::cout << render_text(training_energy_table(training));
}

// Without inference energy: the training energy, its CO2e, and what E_full needs.
int report_training_only(const LifecycleParams& p, const LifecycleSettings& s, const TrainingInputs& in) {
  bool training_estimate = false;
  for (const TrainingEstimate& t : in.training) training_estimate = training_estimate || t.measured.estimate;
  nlohmann::json j = {{"training", training_json(in.training)},
                      {"estimate", training_estimate},
                      {"grid_intensity_g_per_kwh", s.carbon.grid_intensity_g_per_kwh},
                      {"pue", s.carbon.pue},
                      {"notes", in.notes}};
  if (p.json) {
    std::cout << j.dump(2) << "\n";
  } else {
    print_training(in.training);
    std::printf("\nCO2-equivalent of training in kg: kWh x PUE x grid intensity\n");
    for (const LifecycleCodec& c : in.codecs)
      std::printf("  %s: %.4g kg CO2e%s\n", c.lifecycle.codec.c_str(), co2e_kg(c.lifecycle.training_energy_j, s.carbon),
                  c.lifecycle.estimate ? " (ESTIMATE)" : "");
    print_carbon_lines(s.carbon);
    if (training_estimate)
      std::printf("note: some %s\n", estimate_sentence().c_str());
    std::printf("E_full(N) needs inference energy: add --results RESULTS.csv or --coeffs FIT.json --size WxH\n");
  }
  for (const std::string& n : in.notes) std::fprintf(stderr, "note: %s\n", n.c_str());
  if (!p.output.empty()) {
    write_file_replacing(p.output, s.json_output ? j.dump(2) + "\n" : render_csv(training_energy_table(in.training)),
                         "output '" + p.output + "'");
    std::fprintf(stderr, "written to %s\n", p.output.c_str());
  }
  return 0;
}

// Inference energy per image, at the training's quality unless --quality
// says another, from a campaign's results or a fit; then E_full and break-evens.
LifecycleResult lifecycle_result(const LifecycleParams& p, const LifecycleSettings& s, TrainingInputs& in) {
  std::vector<MeasurementRecord> records;
  FitResult fit;
  if (!p.results.empty()) {
    records = read_results(p.results);
    if (records.empty()) throw Error("results file '" + p.results + "' holds no measurements: run a campaign first");
  } else {
    fit = read_fit_result(p.coeffs);
  }
  std::vector<CodecLifecycle> inputs;
  for (LifecycleCodec& c : in.codecs) {
    const int quality = p.quality > 0 ? p.quality : c.quality;
    const InferenceEnergy e =
        !p.results.empty() ? inference_energy_from_records(records, c.network, quality, s.size, p.results)
                           : inference_energy_from_fit(fit, complexity_of(c.network, quality), quality, s.size->first,
                                                     s.size->second, p.coeffs);
    c.lifecycle.inference_energy_per_image_j = e.inference_energy_per_image_j;
    c.lifecycle.inference_source = e.source + (quality != c.quality ? ", at quality " + std::to_string(quality) : "");
    c.lifecycle.estimate = c.lifecycle.estimate || e.estimate;
    in.notes.insert(in.notes.end(), e.notes.begin(), e.notes.end());
    inputs.push_back(c.lifecycle);
  }
  return compute_lifecycle(inputs, s.images, s.carbon);
}

void print_lifecycle(const LifecycleResult& result, const std::vector<TrainingEstimate>& training,
                     const CarbonSettings& carbon) {
  if (!training.empty()) {
    print_training(training);
    std::printf("\n");
  }
  std::printf("Full-cycle energy E_full(N) = E_train + N x E_infer (Li et al., arXiv 2108.13465), in joules\n");
  std::cout << render_text(lifecycle_energy_table(result));
  for (const LifecycleRow& r : result.rows)
    std::printf("  %s: training %s; inference %s\n", r.codec.codec.c_str(), r.codec.training_source.c_str(),
                r.codec.inference_source.c_str());
  std::printf("\nCO2-equivalent in kg: kWh x PUE %g x grid %g gCO2e/kWh\n", carbon.pue,
              carbon.grid_intensity_g_per_kwh);
  std::cout << render_text(lifecycle_co2e_table(result));
  print_carbon_lines(carbon);
  if (!result.break_evens.empty()) {
    std::printf("\nBreak-even N* = (E_train_b - E_train_a) / (E_infer_a - E_infer_b):\n");
    for (const BreakEven& b : result.break_evens) std::printf("  %s\n", b.text.c_str());
  }
  if (result.estimate)
    std::printf("note: some %s\n", estimate_sentence().c_str());
}

void write_lifecycle_outputs(const LifecycleParams& p, const LifecycleSettings& s, const LifecycleResult& result,
                             const nlohmann::json& json) {
  if (!p.output.empty()) {
    if (s.json_output) {
      write_file_replacing(p.output, json.dump(2) + "\n", "output '" + p.output + "'");
    } else {
      write_file_replacing(p.output, render_csv(lifecycle_long_table(result)), "output '" + p.output + "'");
      const std::filesystem::path path(p.output);
      const std::string pairs = (path.parent_path() / (path.stem().string() + "-break-even.csv")).string();
      write_file_replacing(pairs, render_csv(break_even_table(result)), "output '" + pairs + "'");
      std::fprintf(stderr, "break-evens written to %s\n", pairs.c_str());
    }
    std::fprintf(stderr, "written to %s\n", p.output.c_str());
  }
  if (!p.plot.empty()) {
    std::string warning;
    const auto files = write_lifecycle_plot(result, p.plot, p.gnuplot, &warning);
    if (!warning.empty()) std::fprintf(stderr, "warning: %s\n", warning.c_str());
    std::fprintf(stderr, "plot: %zu files in %s\n", files.size(), p.plot.c_str());
  }
}

int run_lifecycle(const LifecycleParams& p) {
  const LifecycleSettings s = lifecycle_settings(p);
  TrainingInputs in = read_training_inputs(p, s);
  if (s.training_only) return report_training_only(p, s, in);
  const LifecycleResult result = lifecycle_result(p, s, in);
  nlohmann::json json = to_json(result, in.notes);
  json["training"] = training_json(in.training);
  if (p.json)
    std::cout << json.dump(2) << "\n";
  else
    print_lifecycle(result, in.training, s.carbon);
  for (const std::string& n : in.notes) std::fprintf(stderr, "note: %s\n", n.c_str());
  write_lifecycle_outputs(p, s, result, json);
  return 0;
}

}  // namespace

void add_lifecycle_commands(CLI::App& app, Action& action) {
  CLI::App* cmd = add_command(app, "lifecycle",
                              "full-cycle energy E_train + N x E_infer per codec, break-evens and CO2e");
  cmd->footer(std::string(
      "E_full(N) = E_train + N x E_infer (Li et al., Full-Cycle Energy Consumption Benchmark for Low-Carbon\n"
      "Computer Vision, arXiv 2108.13465). E_train: a training CSV's measured total (dynamic energy, Eq. (1),\n"
      "summed over all windows), or predicted for --iterations N or --schedule NAME from the energy per\n"
      "iteration after the warm-up (as Carbontracker does; for a schedule scaled to its batch x crop^2, a\n"
      "MODEL, unless --rescale none), or given with --training-energy-j. E_infer: the\n"
      "dynamic energy per execution of the chain from a results CSV (at --size, else the mean over sizes), or\n"
      "Eq. (2) from a fit at --size. For every pair of codecs, the break-even N* where the one cheaper to\n"
      "train stops being cheaper, or which dominates. CO2e = kWh x PUE x grid intensity. Without --results\n"
      "or --coeffs: the training CSVs' energy and its prediction alone. A training CSV comes from\n"
      "`nicenergy train ... --output MODEL.safetensors` (MODEL.csv beside it).\n"
      "Defaults: grid intensity ") +
      CarbonSettings::grid_intensity_source() + ";\nPUE " + CarbonSettings::pue_source() + ".\nSchedules: " +
      [] {
        std::string s;
        for (const TrainingSchedule& t : training_schedules())
          s += t.name + ": " + std::to_string(t.iterations_min) + " to " + std::to_string(t.iterations_max) +
               " iterations, " + t.source + ".";
        return s;
      }());
  auto p = bind<LifecycleParams>(cmd, action, run_lifecycle);
  cmd->add_option("--training", p->training, "training CSV written by `nicenergy train` (repeatable)")
      ->type_name("TRAIN.csv");
  cmd->add_option("--training-energy-j", p->training_energy_j,
                  "a codec's training energy in joules, given (repeatable)")
      ->type_name("NETWORK:Q=J");
  cmd->add_option("--iterations", p->iterations,
                  "predict E_train for a schedule of N iterations (default: the measured total)")
      ->check(whole_number("--iterations", 1, 1000000000000LL))
      ->type_name("N");
  cmd->add_option("--schedule", p->schedule, "predict E_train for a published schedule: compressai")
      ->type_name("NAME");
  cmd->add_option("--rescale", p->rescale,
                  "--schedule measured at another batch or crop: pixels (scale the energy per iteration by batch x "
                  "crop^2, a MODEL; the default) or none")
      ->type_name("pixels|none");
  cmd->add_option("--warmup-iterations", p->warmup_iterations,
                  "windows beginning before this iteration are warm-up (default: the first window)")
      ->check(whole_number("--warmup-iterations", 0, 1000000000000LL))
      ->type_name("N");
  cmd->add_option("--results", p->results, "inference energy from this campaign's results CSV")->type_name("RESULTS.csv");
  cmd->add_option("--coeffs", p->coeffs, "inference energy from this fit (with --size)")->type_name("FIT.json");
  cmd->add_option("--size", p->size, "image size of the inference energy")->type_name("WxH");
  cmd->add_option("--quality", p->quality,
                  "inference energy at this quality (default: each codec's training quality)")
      ->check(whole_number("--quality", 1, 1000))
      ->type_name("Q");
  cmd->add_option("--images", p->images, "numbers of images N for E_full(N), comma-separated")
      ->capture_default_str()
      ->type_name("N,...");
  cmd->add_option("--grid-intensity-g-per-kwh", p->grid_intensity_g_per_kwh, "grid carbon intensity, gCO2e per kWh")
      ->capture_default_str()
      ->check(real_number("--grid-intensity-g-per-kwh", 0, 1e300))
      ->type_name("G_PER_KWH");
  add_renamed(cmd, "--grid-intensity", "--grid-intensity-g-per-kwh");
  cmd->add_option("--pue", p->pue, "data centre power usage effectiveness (1: none)")
      ->capture_default_str()
      ->check(real_number("--pue", 1, 1e300))
      ->type_name("PUE");
  cmd->add_option("--output", p->output, "also write the result: .csv (and -break-even.csv) or .json")
      ->type_name("FILE");
  cmd->add_option("--plot", p->plot, "draw E_full over N (log axes) into DIR/lifecycle.{svg,png}")->type_name("DIR");
  cmd->add_flag("--json", p->json, "one JSON object on stdout instead of the tables");
}

}  // namespace nicenergy::cli
