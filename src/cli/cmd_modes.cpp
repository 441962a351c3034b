// modes: one network measured in each energy mode, with each mode's output
// against the float32 reference's.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <optional>
#include <set>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/inputs.h"
#include "cli/options.h"
#include "error.h"
#include "io/files.h"
#include "models/codec.h"
#include "modes/execution_mode.h"
#include "modes/mode_deviation.h"
#include "modes/mode_results.h"
#include "platform/runtime.h"
#include "platform/time_text.h"
#include "report/modes_figure.h"
#include "protocol/codec_measurement.h"

namespace nicenergy::cli {
namespace {

struct ModesParams {
  std::string model;
  int quality = 0;
  std::string input;
  std::string size;
  std::string device = "cpu";
  std::string meter = "auto";
  std::vector<std::string> modes;  // empty: standard_modes(device)
  ProtocolConfig protocol;
  bool no_preheat = false;
  std::string weights;
  uint64_t seed = 0;
  int threads = 0;
  std::string output;
  std::string plot;  // folder of the energy-against-deviation figure; empty: none
  bool json = false;
};

// What the mode is by design, the record's by_design column.
std::string by_design(const ExecutionMode& mode) {
  if (mode == ExecutionMode{}) return "reference";
  if (mode_lower_precision(mode)) return "lower precision";
  if (!mode_deterministic(mode)) return "non-deterministic";
  return "exact";
}

// What the output column says: a mode is called exact only when it is exact by
// design and its output measured within float32 rounding.
std::string output_verdict(const ModeRow& row) {
  if (row.by_design == "reference") return "reference";
  char diff[32];
  std::snprintf(diff, sizeof diff, "%.2g", row.max_abs_diff);
  if (row.by_design == "exact") return row.exact ? "exact" : std::string("NOT exact (max ") + diff + ")";
  return row.by_design + " (max " + diff + ")";
}

std::vector<ExecutionMode> chosen_modes(const ModesParams& p, const torch::Device& device) {
  if (p.modes.empty()) return standard_modes(device);
  std::vector<ExecutionMode> modes;
  std::set<std::string> seen;
  for (const std::string& text : p.modes) {
    const ExecutionMode mode = parse_mode(text);
    if (auto why = mode_unavailable(mode, device)) throw Error(*why);
    if (seen.insert(mode_name(mode)).second) modes.push_back(mode);
  }
  // The reference is always measured: every other mode is stated against it.
  if (!seen.count("float32")) modes.insert(modes.begin(), ExecutionMode{});
  return modes;
}

const ModeRow* best_exact(const std::vector<ModeRow>& rows) {
  const ModeRow* best = nullptr;
  for (const ModeRow& r : rows)
    if ((r.by_design == "exact" && r.exact) || r.by_design == "reference")
      if (best == nullptr || r.energy_j < best->energy_j) best = &r;
  return best;
}

void print_table(const std::vector<ModeRow>& rows, const ModeRow& reference) {
  const bool estimate = reference.estimate;
  std::printf("%s quality %d on %s (%dx%d), %s, meter %s, %d threads, weights %s\n", reference.abbr.c_str(),
              reference.quality, reference.image.c_str(), reference.width, reference.height, reference.device.c_str(),
              reference.meter.c_str(), reference.threads, reference.weights.c_str());
  int width = 4;
  for (const ModeRow& r : rows) width = std::max(width, static_cast<int>(r.mode.size()));
  std::printf("%-*s %10s %12s %9s %10s %9s %9s  %s\n", width, "mode", "time_s", "energy_j", "x float32", "max|dx|",
              "dPSNR_dB", "dbpp", "output");
  for (const ModeRow& r : rows) {
    const double ratio = reference.energy_j > 0 ? r.energy_j / reference.energy_j : 0;
    std::printf("%-*s %10.4g %12.5g %9.3f %10.2g %+9.4f %+9.5f  %s\n", width, r.mode.c_str(), r.duration_s, r.energy_j, ratio,
                r.max_abs_diff, r.psnr_db - r.psnr_db_float32, r.bpp - r.bpp_float32, output_verdict(r).c_str());
  }
  if (const ModeRow* best = best_exact(rows))
    std::printf("best exact mode: %s, %.3f x float32's dynamic energy per execution\n", best->mode.c_str(),
                reference.energy_j > 0 ? best->energy_j / reference.energy_j : 0);
  std::printf("dPSNR and dbpp: the mode's PSNR (dB) and likelihood rate (bpp) minus float32's on this image%s\n",
              estimate ? "\nESTIMATE: energies from the CPU-time x TDP-share estimate, not a power meter" : "");
}

nlohmann::json to_json(const ModeRow& r) {
  return {{"mode", r.mode},           {"by_design", r.by_design},     {"duration_s", r.duration_s},
          {"energy_j", r.energy_j},   {"energy_ci_j", r.energy_ci_j}, {"k", r.k},
          {"m", r.m},                 {"max_abs_diff", r.max_abs_diff}, {"tolerance", r.tolerance},
          {"exact", r.exact},         {"psnr_db", r.psnr_db},         {"psnr_db_float32", r.psnr_db_float32},
          {"bpp", r.bpp},             {"bpp_float32", r.bpp_float32}, {"output", output_verdict(r)}};
}

int run_modes(ModesParams p) {
  const torch::Device device = parse_device(p.device);
  validate(p.protocol);
  const QualityConfig config = builtin_network(p.model, p.quality, "modes");
  const std::vector<ExecutionMode> modes = chosen_modes(p, device);
  check_measured_input(p.input, p.size);
  if (!p.plot.empty()) check_output_folder(p.plot, "plot folder '" + p.plot + "'");  // before any measuring
  std::string note;
  std::vector<ModeRow> done;
  if (!p.output.empty()) {
    check_output_file(p.output, "modes file '" + p.output + "'");
    done = read_mode_rows(p.output, &note);
    if (!note.empty()) std::fprintf(stderr, "note: %s\n", note.c_str());
  }

  if (p.weights.empty())
    std::fprintf(stderr, "note: seeded weights: their output is not an image, so PSNR, rate and deviation say little "
                         "about a mode; give trained ones with --weights\n");
  const auto meter = open_measuring_meter(device, p.meter, p.threads);
  p.protocol.progress = stage_progress();
  Protocol protocol(*meter, p.protocol);
  // The paper's cold idle reference, before any network is loaded.
  const IdleReference cold_idle = protocol.measure_idle();
  std::string label;
  const Image image = measured_image(p.input, p.size, label);
  const torch::Tensor x = image_to_tensor(image);
  const Padding padding = padding_for(image.height, image.width, config.spec->padding);

  const CodecWorkload reference = make_codec_workload(p.model, p.quality, image, label, device, p.weights, p.seed);
  const ChainOutput reference_output = run_chain_once(reference);
  const std::string device_text = describe_device(device, *meter);

  std::vector<ModeRow> rows;
  for (size_t i = 0; i < modes.size(); ++i) {
    const ExecutionMode& mode = modes[i];
    ModeRow row;
    fill_run_identity(row, config, label, image, device_text, p.weights, p.seed, mode_name(mode));
    row.by_design = by_design(mode);
    const std::string key = row.key();
    bool resumed = false;
    for (const ModeRow& d : done)
      if (d.key() == key) {
        rows.push_back(d);
        resumed = true;
      }
    if (resumed) {
      std::fprintf(stderr, "mode %zu/%zu %s: in %s already\n", i + 1, modes.size(), row.mode.c_str(), p.output.c_str());
      continue;
    }
    std::fprintf(stderr, "mode %zu/%zu %s\n", i + 1, modes.size(), row.mode.c_str());
    std::optional<CodecWorkload> own;
    if (!(mode == ExecutionMode{}))
      own = make_codec_workload(p.model, p.quality, image, label, device, p.weights, p.seed, Stage::chain, mode);
    const CodecWorkload& w = own ? *own : reference;
    const ModeDeviation deviation = compare_outputs(reference_output, run_chain_once(w), x, padding);
    const ProtocolResult result = protocol.run(w.workload(), cold_idle, !p.no_preheat);
    for (const std::string& warning : result.warnings)
      std::fprintf(stderr, "warning: %s: %s\n", row.mode.c_str(), warning.c_str());
    const MeasurementRecord record = make_record(w, result, device_text, utc_now_iso8601());
    fill_run_results(row, record, result.estimate);
    row.max_abs_diff = deviation.max_abs_diff;
    row.tolerance = deviation.tolerance;
    row.exact = deviation.exact;
    row.psnr_db = deviation.psnr_db;
    row.psnr_db_float32 = deviation.psnr_db_float32;
    row.bpp = deviation.bpp;
    row.bpp_float32 = deviation.bpp_float32;
    if (!p.output.empty()) append_mode_row(p.output, row);
    rows.push_back(row);
  }

  if (!p.plot.empty()) {
    std::string warning;
    const auto files = write_modes_plot(rows, p.plot, "gnuplot", &warning);
    if (!warning.empty()) std::fprintf(stderr, "warning: %s\n", warning.c_str());
    std::fprintf(stderr, "plot: %s/%s\n", p.plot.c_str(), files.back().c_str());
  }
  const ModeRow* reference_row = nullptr;
  for (const ModeRow& r : rows)
    if (r.mode == "float32") reference_row = &r;
  if (p.json) {
    nlohmann::json j = {{"network", rows.front().network}, {"abbr", rows.front().abbr},  {"quality", p.quality},
                        {"image", label},                  {"width", image.width},       {"height", image.height},
                        {"device", device_text},           {"weights", rows.front().weights},         {"estimate", reference_row->estimate},
                        {"exact_tolerance", exact_tolerance}};
    j["modes"] = nlohmann::json::array();
    for (const ModeRow& r : rows) j["modes"].push_back(to_json(r));
    if (const ModeRow* best = best_exact(rows)) j["best_exact_mode"] = best->mode;
    std::cout << j.dump(2) << "\n" << std::flush;
    return 0;
  }
  print_table(rows, *reference_row);
  if (!p.output.empty()) std::printf("rows in %s\n", p.output.c_str());
  std::fflush(stdout);
  return 0;
}

}  // namespace

void add_modes_commands(CLI::App& app, Action& action) {
  CLI::App* modes = add_command(app, "modes", "one network in each energy mode: time, dynamic energy and output deviation");
  std::string flags_text;
  for (const ModeFlag& f : mode_flags())
    flags_text += "  " + f.name + std::string(f.name.size() < 16 ? 16 - f.name.size() : 1, ' ') + f.by_design +
                  (f.cuda_only ? ", CUDA" : "") + ": " + f.help + "\n";
  modes->footer("Each mode runs the paper's protocol on the chain; its output is compared with float32's on the\n"
                "same image and weights (max |x_hat difference|, PSNR and likelihood-rate differences). A mode is\n"
                "called exact only when its output is within float32 rounding (" +
                std::to_string(exact_tolerance).substr(0, 6) +
                " x max |x_hat|). Modes are flags joined by '+':\n" + flags_text +
                "Default: float32, each flag alone, the exact ones together, and that with each lower-precision flag\n"
                "the device has. --output keeps a row per finished mode; a rerun measures only what is missing.");
  auto p = bind<ModesParams>(modes, action, [](const ModesParams& params) { return run_modes(params); });
  add_model(modes, p->model)->description("network: Bfac, Bhyp, Mmean, Mcont, Canch, Cattn or its CompressAI name");
  add_quality(modes, p->quality);
  add_measured_image(modes, p->input, p->size);
  add_device(modes, p->device);
  add_meter(modes, p->meter);
  modes->add_option("--modes", p->modes, "the modes to measure, comma-separated (default: the device's standard set)")
      ->delimiter(',')
      ->type_name("MODE,...");
  add_protocol_options(modes, p->protocol);
  modes->add_flag("--no-preheat", p->no_preheat, "skip the preheat");
  modes->add_option("--weights", p->weights, "CompressAI state_dict as safetensors (trained weights make dPSNR and dbpp telling)")
      ->type_name("FILE");
  add_seed(modes, p->seed);
  add_threads(modes, p->threads);
  modes->add_option("--output", p->output, "append a row per finished mode to this CSV; a rerun resumes")
      ->type_name("MODES.csv");
  modes->add_option("--plot", p->plot, "draw energy against output deviation, with the Pareto front, into this folder")
      ->type_name("DIR");
  modes->add_flag("--json", p->json, "one JSON object on stdout");
}

}  // namespace nicenergy::cli
