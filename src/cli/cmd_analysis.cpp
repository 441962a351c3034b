// fit, predict and report: from a results CSV to the paper's models and figures.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <set>

#include "cli/commands.h"
#include "cli/options.h"
#include "complexity/complexity.h"
#include "complexity/record_complexity.h"
#include "complexity/torchscript_count.h"
#include "error.h"
#include "image/image.h"
#include "io/files.h"
#include "io/numbers.h"
#include "meters/estimate_label.h"
#include "meters/power_meter.h"
#include "modeling/coefficients.h"
#include "modeling/embedded_fits.h"
#include "modeling/fit.h"
#include "modeling/predict.h"
#include "models/codec.h"
#include "modes/mode_results.h"
#include "protocol/codec_measurement.h"
#include "protocol/record_groups.h"
#include "protocol/results_csv.h"
#include "report/fit_tables.h"
#include "report/report.h"
#include "report/text_table.h"

namespace nicenergy::cli {
namespace {

// Text from files (names in a CSV, paths) on the terminal: control characters
// as \xNN, so no newline splits a message and no escape code reaches the
// screen; other bytes (UTF-8 names) stay.
std::string escaped(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

// Fits Eq. (2) and the kMAC lines; the network-levels without a kMAC count are said in the notes.
// skip_unfittable: fit_models_skipping (a report with rate-distortion points).
FitResult fit_with_complexity(const std::vector<MeasurementRecord>& records, const RecordsComplexity& complexity,
                              bool skip_unfittable = false) {
  FitResult result = skip_unfittable ? fit_models_skipping(records, kmac_points(complexity.rows))
                                     : fit_models(records, kmac_points(complexity.rows));
  result.notes.insert(result.notes.begin(), complexity.notes.begin(), complexity.notes.end());
  return result;
}

// Records with a rate and distortion (legacy codecs, trained networks) come
// from comparisons at one size: what cannot be fitted to Eq. (2) is left out
// with a note rather than failing the fit.
bool has_rate_distortion(const std::vector<MeasurementRecord>& records) {
  return std::any_of(records.begin(), records.end(),
                     [](const MeasurementRecord& r) { return r.bpp.has_value() && r.psnr_db.has_value(); });
}

// The chain's records; those of other stages go to *stages when given (the
// report's encode-against-decode table), else are left out with a note.
std::vector<MeasurementRecord> read_records(const std::string& path,
                                            std::vector<MeasurementRecord>* stages = nullptr) {
  std::vector<MeasurementRecord> records = read_results(path);
  // Names from the file reach the terminal in tables, notes and errors.
  for (MeasurementRecord& r : records)
    for (std::string* text : {&r.network, &r.abbr, &r.level, &r.image, &r.device, &r.gpu, &r.mode, &r.stage})
      *text = escaped(*text);
  if (records.empty()) throw Error("results file '" + path + "' holds no measurements: run a campaign first");
  // Eq. (2) and the paper's figures are about the chain; a stage's energy is another quantity.
  const auto other = std::stable_partition(records.begin(), records.end(), [](const MeasurementRecord& r) {
    return r.stage.empty() || r.stage == "chain";
  });
  if (other != records.end()) {
    const size_t n = static_cast<size_t>(records.end() - other);
    if (stages) {
      stages->assign(other, records.end());
    } else if (other == records.begin()) {
      throw Error("results file '" + path + "' holds no measurements of the chain, only " + std::to_string(n) +
                  " of other stages: fit models the chain (report shows the stages)");
    } else {
      std::fprintf(stderr, "note: %zu records of stages other than the chain (measure --stage) left out of '%s'\n", n,
                   path.c_str());
    }
    records.erase(other, records.end());
  }
  return records;
}

// The records of one device model (--device): exactly its name, as an error lists them.
std::vector<MeasurementRecord> records_of_device(const std::vector<MeasurementRecord>& records,
                                                 const std::string& device, const std::string& path) {
  std::vector<MeasurementRecord> kept;
  for (const auto& r : records)
    if (device_model(r) == device || group_name(r) == device) kept.push_back(r);
  if (kept.empty()) {
    std::string names;
    for (const auto& m : device_models(records)) names += (names.empty() ? "'" : ", '") + m + "'";
    throw Error("--device '" + device + "': no measurement in '" + path + "' ran on it; its device models: " + names);
  }
  return kept;
}

// FIT.json -> FIT-SLUG.json: one coefficients file per device model.
std::string output_for_group(const std::string& output, const std::string& slug) {
  const std::filesystem::path path(output);
  return (path.parent_path() / (path.stem().string() + "-" + slug + path.extension().string())).string();
}

struct FitParams {
  std::vector<std::string> results;
  std::string output;
  std::string device;
  std::string format = "table";
  bool json = false;
};

// The fit's line warnings (negative beta, zero inside the measured sizes): the
// table and Markdown print them below the table; CSV and JSON on stderr.
void warn_lines(const FitResult& result, const FitParams& p, const std::string& prefix) {
  if (!p.json && p.format != "csv") return;
  for (const std::string& w : fit_line_warnings(result.fits)) std::fprintf(stderr, "warning: %s%s\n", prefix.c_str(), w.c_str());
}

int run_fit_escaped(const FitParams& p);

int run_fit(const FitParams& p) {
  try {
    return run_fit_escaped(p);
  } catch (const Error& e) {
    throw Error(escaped(e.what()));  // a name read from a CSV may sit in the message
  }
}

int run_fit_escaped(const FitParams& p) {
  if (p.results.empty()) throw Error("fit needs a results CSV: nicenergy fit RESULTS.csv");
  if (p.results.size() > 1) {
    // `fit R.csv --json FIT.json` was the old spelling of --output.
    if (p.json && p.results[1].size() > 5 && p.results[1].substr(p.results[1].size() - 5) == ".json")
      throw Error("--json is a flag now (the fit as JSON on stdout): write the coefficients with --output " +
                  p.results[1]);
    throw Error("unexpected argument '" + p.results[1] + "': one results CSV at a time");
  }
  // Checked before the work, so that a fit is not computed and then not written.
  if (!p.output.empty()) check_output_file(p.output, "coefficients file '" + p.output + "'", true);
  auto records = read_records(p.results[0]);
  if (!p.device.empty()) records = records_of_device(records, p.device, p.results[0]);
  const std::vector<RecordGroup> groups = group_records(records, GroupBy::device);
  if (groups.size() > 1) {
    // A mixed cluster: one fit per device model, each under its name.
    if (p.json)
      throw Error("the measurements come from " + std::to_string(groups.size()) +
                  " device models: --json gives one fit, so choose one with --device MODEL (the table names them)");
    if (!p.output.empty())
      for (const auto& g : groups) {
        const std::string path = output_for_group(p.output, g.slug);
        check_output_file(path, "coefficients file '" + path + "'", true);
      }
    for (const auto& g : groups) {
      const FitResult result =
          fit_with_complexity(g.records, complexity_of_records(g.records), has_rate_distortion(g.records));
      std::cout << "device: " << g.name << " (" << g.records.size() << " measurements)\n"
                << format_fit_table(result, p.format) << "\n";
      warn_lines(result, p, g.name + ": ");
      for (const auto& note : result.notes) std::fprintf(stderr, "note: %s: %s\n", g.name.c_str(), note.c_str());
      if (!p.output.empty()) {
        write_fit_result(result, output_for_group(p.output, g.slug));
        std::fprintf(stderr, "coefficients of %s written to %s\n", g.name.c_str(),
                     output_for_group(p.output, g.slug).c_str());
      }
    }
    if (std::any_of(records.begin(), records.end(), [](const auto& r) { return r.method == "estimate"; }))
      std::fprintf(stderr, "note: these %s\n", estimate_sentence().c_str());
    return 0;
  }
  const FitResult result = fit_with_complexity(records, complexity_of_records(records), has_rate_distortion(records));
  if (p.json) {
    std::cout << to_json(result).dump(2) << "\n";
  } else {
    std::cout << format_fit_table(result, p.format);
  }
  warn_lines(result, p, "");
  for (const auto& note : result.notes) std::fprintf(stderr, "note: %s\n", note.c_str());
  if (result.estimate)
    std::fprintf(stderr, "note: these %s\n", estimate_sentence().c_str());
  if (!p.output.empty()) {
    write_fit_result(result, p.output);
    std::fprintf(stderr, "coefficients written to %s\n", p.output.c_str());
  }
  return 0;
}

struct PredictParams {
  std::string model;
  int quality = 0;
  std::string size;
  std::string coeffs;
  std::string gpu;
  bool strict = false;
  bool json = false;
};

// The GPU the meters see here (NVML's first device), "" without one.
std::string present_gpu() {
  const std::unique_ptr<PowerMeter> meter = make_nvml_meter(0);
  return meter->available() ? meter->device_state().name : std::string();
}

// --coeffs FILE, else a shipped fit (--gpu, or the GPU here), else the paper's
// Table 2 (modeling/embedded_fits.h).
FitSource coefficients_for(const PredictParams& p) {
  if (!p.coeffs.empty()) {
    if (!p.gpu.empty()) throw Error("--coeffs and --gpu both choose the coefficients: give one of them");
    return {read_fit_result(p.coeffs), p.coeffs, ""};
  }
  std::vector<std::string> notes;
  FitSource s = default_fit(p.gpu, p.gpu.empty() ? present_gpu() : "", &notes);
  for (const std::string& note : notes) std::fprintf(stderr, "note: %s\n", note.c_str());
  return s;
}

// What the user reads: the energy with the digits its error allows, where the
// coefficients came from, what they cover and every warning.
int print_prediction(const PredictParams& p, const FitSource& s, Prediction pr, const std::string& heading,
                     const std::string& level_note) {
  pr.coefficients = s.source;
  if (p.strict && !pr.warnings.empty())
    throw Error("--strict: " + pr.warnings.front() + "; drop --strict to predict it anyway, with the warning");
  for (const std::string& w : pr.warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
  if (p.json) {
    nlohmann::json j = to_json(pr);
    j["estimate"] = s.fit.estimate;
    if (pr.kmac_per_px) j["kmac_per_px"] = *pr.kmac_per_px;
    if (!level_note.empty()) j["level_note"] = level_note;
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  const double e = pr.expected_relative_error;
  std::printf("%s\n", heading.c_str());
  if (!level_note.empty()) std::printf("%s\n", level_note.c_str());
  std::printf("energy per execution  %s  (expected relative error %s)%s\n", energy_text(pr.energy_j, e).c_str(),
              e > 0 ? format_number(100 * e, 100 * e >= 10 ? "%.0f %%" : "%.2g %%").c_str() : "not known",
              e > 1 ? ": no better than an order of magnitude" : "");
  std::printf("source                %s\n", escaped(s.source).c_str());
  std::printf("model                 %s: alpha %.3g J/pixel, beta %.3g J\n",
              pr.source == "fit" ? "this network-level's fit of Eq. (2)"
                                 : ("alpha from the alpha-versus-kMAC line at " +
                                    format_number(pr.kmac_per_px.value_or(0), "%.4g") +
                                    " kMAC/pixel (no fit of this network-level), beta the mean of the fits'").c_str(),
              pr.alpha_j_per_pixel, pr.beta_j);
  std::printf("fitted on             %s\n",
              pr.max_pixels > 0 ? (format_number(pr.min_pixels, "%.0f") + " to " + format_number(pr.max_pixels, "%.0f") +
                                   " pixels per image").c_str()
                                : "image sizes not recorded in the coefficients");
  if (pr.source == "alpha_vs_kmac")
    std::printf("kMAC range            %s\n", pr.max_kmac > 0 ? (format_number(pr.min_kmac, "%.4g") + " to " +
                                                                 format_number(pr.max_kmac, "%.4g") + " kMAC/pixel").c_str()
                                                              : "not recorded in the coefficients");
  for (const std::string& w : pr.warnings) std::printf("WARNING: %s\n", w.c_str());
  if (s.fit.estimate) std::printf("ESTIMATE: the coefficients were fitted to CPU-time estimates, not measurements\n");
  return 0;
}

// A network outside the zoo: a name a fit knows (a TorchScript file's stem, an
// exec --name), or a TorchScript file, whose operators are counted at the size
// for the alpha-vs-kMAC line when no fit names it.
int predict_custom(const PredictParams& p, const ImageInfo& size) {
  const bool torchscript = is_torchscript_path(p.model);
  const std::string name = torchscript ? std::filesystem::path(p.model).stem().string() : p.model;
  const FitSource source = coefficients_for(p);
  const FitResult& fit = source.fit;
  std::string level = kCustomLevel;
  for (const EnergyFit& f : fit.fits)
    if (f.abbr == name || f.network == name) level = f.level;
  std::optional<double> kmac;
  bool fitted = false;
  for (const EnergyFit& f : fit.fits) fitted = fitted || ((f.abbr == name || f.network == name) && f.level == level);
  if (!fitted && !torchscript) {
    std::string known;
    for (const NetworkSpec& spec : network_specs()) known += (known.empty() ? "" : ", ") + spec.abbr;
    throw Error("unknown model '" + printable(p.model) + "': not a built-in network (" + known +
                "), not a TorchScript file, and no fit in " + escaped(source.source) +
                " names it; give a name that `nicenergy fit` lists");
  }
  if (!fitted && torchscript) {
    const Padding padding = padding_for(size.height, size.width, TorchScriptOptions{}.padding);
    torch::manual_seed(0);
    const torch::Tensor x = pad(torch::rand({1, 3, size.height, size.width}), padding);
    kmac = kmac_per_px(count_torchscript(p.model, TorchScriptOptions{}, torch::kCPU, x), x);
  }
  const Prediction pr = predict_energy(fit, name, level, size.width, size.height, kmac);
  const std::string heading = escaped(name) + ", " + escaped(level) + " level, " + std::to_string(size.width) + "x" +
                              std::to_string(size.height) + " (" + std::to_string(pr.pixels) + " pixels)";
  return print_prediction(p, source, pr, heading, "");
}

// "quality 3 is the low level (qualities 1-5, N=128, M=192)", and whether the
// coefficients fit that network-level themselves.
std::string level_note(const Complexity& c, const FitResult& fit) {
  const NetworkSpec& spec = find_network(c.abbr);
  const bool low = c.level == "low";
  const int first = low ? 1 : spec.first_high, last = low ? spec.first_high - 1 : spec.qualities;
  std::string note = "quality " + std::to_string(c.quality) + " is the " + c.level + " level (qualities " +
                     std::to_string(first) + "-" + std::to_string(last) + " share N=" + std::to_string(c.n) +
                     ", M=" + std::to_string(c.m) + ")";
  bool fitted = false;
  for (const EnergyFit& f : fit.fits) fitted = fitted || (f.abbr == c.abbr && f.level == c.level);
  if (!fitted) note += "; the coefficients hold no fit of " + c.abbr + " at this level";
  return note;
}

int run_predict(const PredictParams& p) {
  const ImageInfo size = parse_size(p.size);
  if (!lookup_network(p.model)) return predict_custom(p, size);
  if (p.quality == 0) throw Error("predict --model " + p.model + " needs --quality Q (a built-in network's quality)");
  const Complexity c = complexity_of(p.model, p.quality);
  const FitSource source = coefficients_for(p);
  const Prediction pr = predict_energy(source.fit, c.abbr, c.level, size.width, size.height, c.kmac_per_px);
  char heading[256];
  std::snprintf(heading, sizeof heading, "%s (%s) quality %d, %s level, %dx%d (%lld pixels)", c.network.c_str(),
                c.abbr.c_str(), p.quality, c.level.c_str(), size.width, size.height, static_cast<long long>(pr.pixels));
  return print_prediction(p, source, pr, heading, level_note(c, source.fit));
}

struct ReportParams {
  std::vector<std::string> results;
  std::string output = "report";
  std::string trace;
  std::string coeffs;
  std::string group_by = "device";
  std::optional<double> target_psnr_db;
  std::string modes;  // a `modes --output` CSV
  std::vector<std::string> bandwidth;  // files of `bandwidth --format json`
};

int run_report(const ReportParams& p) {
  if (p.results.empty()) throw Error("report needs a results CSV: nicenergy report RESULTS.csv");
  if (p.results.size() > 1) throw Error("unexpected argument '" + p.results[1] + "': one results CSV at a time");
  const GroupBy group_by = parse_group_by(p.group_by);
  check_output_folder(p.output, "report folder '" + p.output + "'");
  ReportOptions options;
  options.target_psnr_db = p.target_psnr_db;
  if (!p.modes.empty()) {
    if (!std::filesystem::exists(p.modes)) throw Error("modes file '" + p.modes + "' does not exist: check the path");
    options.mode_rows = read_mode_rows(p.modes);
    if (options.mode_rows.empty()) throw Error("modes file '" + p.modes + "' holds no modes: run `nicenergy modes --output` first");
  }
  for (const std::string& file : p.bandwidth) {
    // A bandwidth JSON of the largest network is tens of kB: a big file is a wrong one, refused before it is read.
    constexpr uintmax_t kMaxBandwidthBytes = 8u << 20;
    std::error_code ec;
    const uintmax_t bytes = std::filesystem::file_size(file, ec);
    if (!ec && bytes > kMaxBandwidthBytes)
      throw Error("bandwidth file '" + escaped(file) + "' has " + std::to_string(bytes) +
                  " bytes, more than the 8 MiB a `nicenergy bandwidth --format json` output can have: check the path");
    options.bandwidths.push_back(read_bandwidth_json(file));
  }
  const auto records = read_records(p.results[0], &options.stage_records);
  // Legacy codecs (and a learned codec's RD points) may sit at one image size:
  // no Eq. (2) line for them, but the rest of the report stays.
  const bool rate_distortion = has_rate_distortion(records);
  // Only stages measured: the encode-against-decode table without the chain's figures and fits.
  const std::vector<RecordGroup> groups = records.empty() ? std::vector<RecordGroup>{} : group_records(records, group_by);
  if (groups.size() > 1 && !p.coeffs.empty())
    throw Error("--coeffs is one fit, but the measurements fall into " + std::to_string(groups.size()) +
                " groups by " + p.group_by + ": drop --coeffs (each group is fitted apart)");
  std::string trace = p.trace;
  if (trace.empty()) {
    // A campaign's traces lie beside its results; Fig. 1 shows the first point's.
    const std::filesystem::path folder = traces_folder(p.results[0]);
    std::vector<std::string> found;
    if (std::filesystem::is_directory(folder))
      for (const auto& entry : std::filesystem::directory_iterator(folder))
        if (entry.path().extension() == ".csv") found.push_back(entry.path().string());
    std::sort(found.begin(), found.end());
    if (!found.empty()) {
      trace = found.front();
      std::fprintf(stderr, "Fig. 1 from %s (choose another with --trace)\n", trace.c_str());
    }
  }
  const RecordsComplexity complexity = complexity_of_records(records);
  std::vector<ReportGroup> report_groups;
  try {
    for (const RecordGroup& g : groups) {
      FitResult fit = p.coeffs.empty()
                          ? fit_with_complexity(g.records, complexity_of_records(g.records), rate_distortion)
                          : read_fit_result(p.coeffs);
      if (!p.coeffs.empty()) fit.notes.insert(fit.notes.end(), complexity.notes.begin(), complexity.notes.end());
      report_groups.push_back({g.name, g.slug, g.records, fit});
    }
  } catch (const Error& e) {
    // A stage study may measure the chain at one size only: too few points for
    // Eq. (2), but still the chain's column of the encode-against-decode table.
    // A bad --coeffs file stays an error.
    if (options.stage_records.empty() || !p.coeffs.empty()) throw;
    std::fprintf(stderr, "note: no Eq. (2) fits (%s): the encode-against-decode table only\n", e.what());
    options.stage_records.insert(options.stage_records.end(), records.begin(), records.end());
    report_groups.clear();
  }
  if (groups.size() > 1)
    std::fprintf(stderr, "%zu groups by %s, each with its own figures and fit:\n", groups.size(), p.group_by.c_str());
  if (groups.size() > 1)
    for (const RecordGroup& g : groups)
      std::fprintf(stderr, "  %s: %zu measurements, files *_%s.*\n", g.name.c_str(), g.records.size(), g.slug.c_str());
  if (records.empty())
    std::fprintf(stderr, "note: '%s' holds only stages other than the chain: no Eq. (2) fits or Fig. 2/3, the "
                         "encode-against-decode table only\n", p.results[0].c_str());
  const ReportResult result = write_report(report_groups, complexity.rows, trace, p.output, options);
  for (const auto& warning : result.warnings) std::fprintf(stderr, "warning: %s\n", warning.c_str());
  std::printf("report written: %s (%zu files)\n", (std::filesystem::path(p.output) / "index.html").string().c_str(),
              result.files.size());
  return 0;
}

}  // namespace

void add_analysis_commands(CLI::App& app, Action& action) {
  CLI::App* fit = add_command(app, "fit", "E = alpha * pixels + beta per network and level, Table 2, alpha vs kMAC");
  fit->footer("Fits Eq. (2) per network and level (S = width x height), with the Pearson correlation and the\n"
              "10-fold cross-validated mean relative error (Eq. 3), then alpha against kMAC per pixel (and the\n"
              "2nd-downsampling kMAC) across networks. Measurements of several device models (a mixed cluster)\n"
              "are fitted per model: one table each, --output FIT.json writes FIT-MODEL.json per model.");
  auto fp = bind<FitParams>(fit, action, run_fit);
  fit->add_option("results", fp->results, "the campaign's results CSV")->type_name("RESULTS.csv");
  fit->add_option("--output", fp->output, "write the coefficients as JSON (for predict and report)")->type_name("FIT.json");
  add_format(fit, fp->format, "table, csv or markdown");
  fit->add_flag("--json", fp->json, "the fit as JSON on stdout instead of the table");
  fit->add_option("--device", fp->device,
                  "fit only the measurements of this device model (the gpu column, or the CPU named in device)")
      ->type_name("MODEL");

  CLI::App* predict = add_command(app, "predict", "energy of a network on an image size from fitted coefficients");
  predict->footer("Energy per execution from E = alpha * S + beta with the fit's expected error, its source and the\n"
                  "sizes it was fitted on (outside them: a warning; --strict refuses). A network without its own fit\n"
                  "is predicted from its kMAC per pixel (alpha-versus-kMAC model). Without --coeffs: the fit shipped\n"
                  "for --gpu NAME or for this machine's GPU (data/GPU/fit.json), else the paper's Table 2 where\n"
                  "the program holds it.");
  auto pp = bind<PredictParams>(predict, action, run_predict);
  add_model(predict, pp->model);
  add_quality(predict, pp->quality)->required(false);  // a built-in network's; none for others
  predict->add_option("--size", pp->size, "image size")->required()->type_name("WxH");
  predict->add_option("--coeffs", pp->coeffs, "coefficients written by fit --output")->type_name("FIT.json");
  predict->add_option("--gpu", pp->gpu, "use the fit shipped for this GPU model (data/GPU/fit.json), or the paper's "
                                        "(Quadro RTX 4000)")
      ->type_name("NAME");
  predict->add_flag("--strict", pp->strict, "refuse, exit 1, outside the image sizes and kMAC the fit covers");
  predict->add_flag("--json", pp->json, "one JSON object on stdout");

  CLI::App* report = add_command(app, "report", "the paper's figures and tables from a results CSV (SVG, PNG, HTML)");
  report->footer("Writes the paper's figures (power trace, energy over pixels, alpha over kMAC) as SVG and PNG\n"
                 "through gnuplot, Tables 1 and 2 as Markdown and CSV, and OUTPUT/index.html. Fig. 1 uses --trace,\n"
                 "else the first trace a campaign left in RESULTS-traces/.");
  auto rp = bind<ReportParams>(report, action, run_report);
  report->add_option("results", rp->results, "the campaign's results CSV")->type_name("RESULTS.csv");
  report->add_option("--output", rp->output, "folder of the report")->capture_default_str()->type_name("DIR");
  add_renamed(report, "--out", "--output");
  report->add_option("--trace", rp->trace, "power trace for Fig. 1 (measure --trace-output)")->type_name("TRACE.csv");
  report->add_option("--coeffs", rp->coeffs, "use these coefficients instead of fitting")->type_name("FIT.json");
  report->add_option("--group-by", rp->group_by,
                     "device: one set of figures and fits per device model (GPU, or CPU for CPU runs); node: per "
                     "node and device model")
      ->capture_default_str()
      ->check(CLI::IsMember({"device", "node"}))
      ->type_name("device|node");
  report->add_option("--target-psnr-db", rp->target_psnr_db,
                     "matched quality of the rate-distortion table (results with bpp and psnr_db): each codec's bpp "
                     "and energy at this PSNR; default: the lowest PSNR of a learned codec's points, else 32")
      ->check(CLI::Range(1.0, 200.0))
      ->type_name("DB");
  report->add_option("--modes", rp->modes, "add the energy modes (table and energy-against-deviation figure) of "
                                           "`nicenergy modes --output`")
      ->type_name("MODES.csv");
  report->add_option("--bandwidth", rp->bandwidth, "add the per-layer activation-bytes figure of this "
                                                   "`nicenergy bandwidth --format json` output (repeatable)")
      ->type_name("BANDWIDTH.json");
}

}  // namespace nicenergy::cli
