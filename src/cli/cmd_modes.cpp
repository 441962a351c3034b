// modes: one network measured in each energy mode, with each mode's output
// against the float32 reference's.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <set>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/inputs.h"
#include "cli/options.h"
#include "cli/output_claim.h"
#include "error.h"
#include "io/files.h"
#include "io/numbers.h"
#include "meters/estimate_label.h"
#include "models/codec.h"
#include "modes/execution_mode.h"
#include "modes/mode_deviation.h"
#include "modes/mode_results.h"
#include "modes/mode_verdict.h"
#include "platform/runtime.h"
#include "platform/time_text.h"
#include "report/modes_figure.h"
#include "protocol/codec_measurement.h"
#include "protocol/measurement_session.h"

namespace nicenergy::cli {
namespace {

struct ModesParams : MeasuringParams {
  std::string model;
  int quality = 0;
  std::vector<std::string> modes;  // empty: standard_modes(device)
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

// The energy with its interval, "12.3 +- 4.5".
std::string energy_text(const ModeRow& r) {
  char text[48];
  std::snprintf(text, sizeof text, "%.4g +- %.2g", r.energy_j, r.energy_ci_j);
  return text;
}

// The energy over float32's with its interval, and where the intervals put it.
std::string ratio_text(const ModeRow& r, const ModeRow* reference) {
  if (reference == nullptr || &r == reference) return "";
  const auto ratio = energy_ratio(r, *reference);
  if (!ratio) return "";
  char text[64];
  std::snprintf(text, sizeof text, "%.3f +- %.2g %s", ratio->ratio, ratio->ci,
                to_string(energy_order(r, *reference)).c_str());
  return text;
}

void print_row(const ModeRow& r, const ModeRow* reference, int width) {
  if (r.failed()) {
    std::printf("%-*s FAILED: %s\n", width, r.mode.c_str(), r.error.c_str());
    return;
  }
  std::printf("%-*s %10.4g %20s %24s %10.2g %+9.4f %+9.5f  %s\n", width, r.mode.c_str(), r.duration_s,
              energy_text(r).c_str(), ratio_text(r, reference).c_str(), r.max_abs_diff,
              r.psnr_db - r.psnr_db_float32, r.bpp - r.bpp_float32, output_verdict(r).c_str());
}

void print_table(const std::vector<ModeRow>& rows, const ModesVerdict& verdict, double confidence) {
  const ModeRow& first = verdict.reference != nullptr ? *verdict.reference : rows.front();
  std::printf("%s quality %d on %s (%dx%d), %s, meter %s, %d threads, weights %s\n", first.abbr.c_str(),
              first.quality, first.image.c_str(), first.width, first.height, first.device.c_str(),
              first.meter.c_str(), first.threads, first.weights.c_str());
  int width = 4;
  for (const ModeRow& r : rows) width = std::max(width, static_cast<int>(r.mode.size()));
  std::printf("%-*s %10s %20s %24s %10s %9s %9s  %s\n", width, "mode", "time_s", "energy_j", "x float32", "max|dx|",
              "dPSNR_dB", "dbpp", "output");
  for (const ModeRow& r : rows) print_row(r, verdict.reference, width);
  std::printf("%s\n", verdict.text.c_str());
  std::printf("energy_j: dynamic energy per execution +- the half-width of its %.0f %% interval; x float32: the ratio "
              "+- its interval, lower or higher only where the intervals do not overlap\n"
              "dPSNR and dbpp: the mode's PSNR (dB) and likelihood rate (bpp) minus float32's on this image%s\n",
              100 * confidence,
              first.estimate ? ("\nnote: " + estimate_sentence()).c_str() : "");
}

nlohmann::json to_json(const ModeRow& r, const ModeRow* reference) {
  nlohmann::json j = {{"mode", r.mode}, {"by_design", r.by_design}};
  if (r.failed()) {
    j["error"] = r.error;
    return j;
  }
  j.update({{"duration_s", r.duration_s},   {"energy_j", r.energy_j},         {"energy_ci_j", r.energy_ci_j},
            {"k", r.k},                     {"m", r.m},                       {"max_abs_diff", r.max_abs_diff},
            {"tolerance", r.tolerance},     {"exact", r.exact},               {"psnr_db", r.psnr_db},
            {"psnr_db_float32", r.psnr_db_float32}, {"bpp", r.bpp},           {"bpp_float32", r.bpp_float32},
            {"output", output_verdict(r)}});
  if (reference != nullptr && &r != reference) {
    if (const auto ratio = energy_ratio(r, *reference)) j.update({{"x_float32", ratio->ratio}, {"x_float32_ci", ratio->ci}});
    j["vs_float32"] = to_string(energy_order(r, *reference));
  }
  return j;
}

void print_json(const std::vector<ModeRow>& rows, const ModesVerdict& verdict, int quality, const Image& image) {
  const ModeRow& first = verdict.reference != nullptr ? *verdict.reference : rows.front();
  nlohmann::json j = {{"network", first.network}, {"abbr", first.abbr},       {"quality", quality},
                      {"image", first.image},     {"width", image.width},     {"height", image.height},
                      {"device", first.device},   {"weights", first.weights}, {"estimate", first.estimate},
                      {"exact_tolerance", exact_tolerance}, {"verdict", verdict.text}};
  j["modes"] = nlohmann::json::array();
  for (const ModeRow& r : rows) j["modes"].push_back(to_json(r, verdict.reference));
  j["best_exact_mode"] = verdict.best_exact != nullptr ? nlohmann::json(verdict.best_exact->mode) : nlohmann::json();
  if (first.estimate) j["note"] = estimate_sentence();
  std::cout << j.dump(2) << "\n" << std::flush;
}

// The first line of an error, fit for a table cell and a CSV field.
std::string one_line(const std::string& message) {
  return printable(message.substr(0, message.find('\n')), 300);
}

// What one mode's measurement needs from the run.
struct ModeRun {
  const ModesParams& p;
  const CodecWorkload& reference;
  const ChainOutput& reference_output;
  const Image& image;
  const std::string& label;
  const torch::Tensor& x;
  const Padding& padding;
  MeasurementSession& session;
  const std::string& device_text;
};

// Measures one mode into `row`: its deviation from float32's output, then the protocol.
void measure_mode(const ModeRun& run, const ExecutionMode& mode, ModeRow& row) {
  // Tests make a mode fail here, as a failed cuda_graph capture would; nothing else sets it.
  if (const char* fail = std::getenv("NICENERGY_TEST_FAIL_MODE"); fail != nullptr && row.mode == fail)
    throw Error("mode " + row.mode + " failed on purpose (NICENERGY_TEST_FAIL_MODE)");
  const ModesParams& p = run.p;
  std::optional<CodecWorkload> own;
  if (!(mode == ExecutionMode{}))
    own = make_codec_workload(p.model, p.quality, run.image, run.label, run.reference.device, p.weights, p.seed,
                              Stage::chain, mode);
  const CodecWorkload& w = own ? *own : run.reference;
  const ModeDeviation deviation = compare_outputs(run.reference_output, run_chain_once(w), run.x, run.padding);
  ProtocolResult result;
  const MeasurementRecord record = run.session.measure(w.workload(), MeasurementRecord{}, &result);
  for (const std::string& warning : result.warnings)
    std::fprintf(stderr, "warning: %s: %s\n", row.mode.c_str(), warning.c_str());
  fill_run_results(row, record, result.estimate);
  row.max_abs_diff = deviation.max_abs_diff;
  row.tolerance = deviation.tolerance;
  row.exact = deviation.exact;
  row.psnr_db = deviation.psnr_db;
  row.psnr_db_float32 = deviation.psnr_db_float32;
  row.bpp = deviation.bpp;
  row.bpp_float32 = deviation.bpp_float32;
}

// Each mode in turn, taken from `done` where it is there already; a failed
// mode is recorded with its reason and the others are still measured.
std::vector<ModeRow> measure_modes(const ModeRun& run, const std::vector<ExecutionMode>& modes,
                                   const std::vector<ModeRow>& done, const QualityConfig& config) {
  std::vector<ModeRow> rows;
  for (size_t i = 0; i < modes.size(); ++i) {
    ModeRow row;
    fill_run_identity(row, config, run.label, run.image, run.device_text, run.p.weights, run.p.seed, mode_name(modes[i]));
    row.by_design = by_design(modes[i]);
    const auto resumed = std::find_if(done.rbegin(), done.rend(), [&](const ModeRow& d) { return d.key() == row.key(); });
    if (resumed != done.rend()) {
      std::fprintf(stderr, "mode %zu/%zu %s: in %s already\n", i + 1, modes.size(), row.mode.c_str(), run.p.output.c_str());
      rows.push_back(*resumed);
      continue;
    }
    std::fprintf(stderr, "mode %zu/%zu %s\n", i + 1, modes.size(), row.mode.c_str());
    try {
      measure_mode(run, modes[i], row);
    } catch (const WriteError&) {
      throw;
    } catch (const std::exception& e) {
      // One mode's failure (a cuda_graph capture, say) is recorded; the others are still measured.
      row.error = one_line(e.what());
      row.meter = run.session.meter().name();
      row.estimate = run.session.meter().is_estimate();
      std::fprintf(stderr, "error: mode %s: %s\n", row.mode.c_str(), row.error.c_str());
    }
    if (!run.p.output.empty()) append_mode_row(run.p.output, row);
    rows.push_back(row);
  }

  return rows;
}


int run_modes(ModesParams p) {
  const torch::Device device = parse_device(p.device);
  validate(p.protocol);
  const QualityConfig config = builtin_network(p.model, p.quality, "modes");
  const std::vector<ExecutionMode> modes = chosen_modes(p, device);
  check_measured_input(p.input, p.size);
  if (!p.plot.empty()) check_output_folder(p.plot, "plot folder '" + p.plot + "'");  // before any measuring
  std::vector<ModeRow> done;
  const auto lock = claim_output(p.output, "modes file '" + p.output + "'", [](const std::string& f) { return read_mode_rows(f); },
                                 [](const std::string& f, std::string* note) { return resume_mode_rows(f, note); }, done);

  if (p.weights.empty())
    std::fprintf(stderr, "note: seeded weights: their output is not an image, so PSNR, rate and deviation say little "
                         "about a mode; give trained ones with --weights\n");
  p.protocol.progress = stage_progress();
  // Preheated once, as a campaign is: the modes then run back to back on the
  // hot device, each against the same cold and hot idle references.
  MeasurementSession session = open_run_session(device, p.meter, p.protocol, !p.no_preheat, p.threads);
  std::string label;
  const Image image = measured_image(p.input, p.size, label);
  const torch::Tensor x = image_to_tensor(image);
  const Padding padding = padding_for(image.height, image.width, config.spec->padding);

  const CodecWorkload reference = make_codec_workload(p.model, p.quality, image, label, device, p.weights, p.seed);
  const ChainOutput reference_output = run_chain_once(reference);
  const std::string device_text = describe_device(device, session.meter());
  const ModeRun run{p, reference, reference_output, image, label, x, padding, session, device_text};

  const std::vector<ModeRow> rows = measure_modes(run, modes, done, config);
  const size_t failed = std::count_if(rows.begin(), rows.end(), [](const ModeRow& r) { return r.failed(); });
  std::vector<ModeRow> measured;
  for (const ModeRow& r : rows)
    if (!r.failed()) measured.push_back(r);
  if (!p.plot.empty() && !measured.empty()) {
    std::string warning;
    const auto files = write_modes_plot(measured, p.plot, "gnuplot", &warning);
    if (!warning.empty()) std::fprintf(stderr, "warning: %s\n", warning.c_str());
    std::fprintf(stderr, "plot: %s/%s\n", p.plot.c_str(), files.back().c_str());
  }
  const ModesVerdict verdict = modes_verdict(rows);
  if (p.json) {
    print_json(rows, verdict, p.quality, image);
  } else {
    print_table(rows, verdict, p.protocol.confidence);
    if (!p.output.empty()) std::printf("rows in %s\n", p.output.c_str());
    std::fflush(stdout);
  }
  if (failed == 0) return 0;
  std::fprintf(stderr, "%zu of %zu modes failed%s\n", failed, modes.size(),
               p.output.empty() ? "" : "; run the same command again to retry them");
  return 1;
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
                "the device has. Each energy comes with its confidence interval; a mode is called lower or higher\n"
                "than float32, and the best exact mode named, only where the intervals do not overlap.\n"
                "A mode that fails is listed as FAILED with its reason, the others are still measured, and the\n"
                "exit status is 1. --output keeps a row per finished or failed mode; a rerun measures what is\n"
                "missing or failed. One run at a time per --output (a lock beside it).");
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
