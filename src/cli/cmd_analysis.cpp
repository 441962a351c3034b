// fit, predict and report: from a results CSV to the paper's models and figures.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <set>

#include "cli/args.h"
#include "complexity/complexity.h"
#include "image/image.h"
#include "modeling/coefficients.h"
#include "modeling/fit.h"
#include "modeling/predict.h"
#include "protocol/codec_measurement.h"
#include "protocol/results_csv.h"
#include "report/fit_tables.h"
#include "report/report.h"

namespace nicenergy {

// Complexity of every network-level present in the records (one row per level).
static std::vector<ComplexityRow> complexity_rows(const std::vector<MeasurementRecord>& records) {
  std::vector<ComplexityRow> rows;
  std::set<std::string> seen;
  for (const auto& r : records) {
    const NetworkSpec& spec = find_network(r.network.empty() ? r.abbr : r.network);
    const int quality = level_qualities(spec, r.level).front();
    if (!seen.insert(spec.name + "/" + r.level).second) continue;
    const Complexity c = complexity_of(spec.name, quality);
    rows.push_back({c.abbr, c.network, c.level, c.quality, c.n, c.m, c.params, c.kmac_per_pixel, c.kmac_per_pixel_2nd});
  }
  return rows;
}

static std::vector<MeasurementRecord> read_records(const std::string& path) {
  std::vector<MeasurementRecord> records = read_results(path);
  if (records.empty()) throw Error("results file '" + path + "' holds no measurements: run a campaign first");
  return records;
}

int cmd_fit(Args& args) {
  if (args.help()) {
    std::puts("usage: nicenergy fit RESULTS.csv [--json FIT.json] [--format table|csv|markdown]\n"
              "Fits E = alpha * S + beta per network and level (S = width x height), with the\n"
              "Pearson correlation and the 10-fold cross-validated mean relative error (Eq. 3),\n"
              "then alpha against kMAC per pixel (and the 2nd-downsampling kMAC) across networks.");
    return 0;
  }
  const std::string json_path = args.get("json");
  const std::string format = args.get("format", "table");
  args.finish(1);
  if (args.positionals().empty()) throw Error("fit needs a results CSV: nicenergy fit RESULTS.csv");
  const auto records = read_records(args.positionals()[0]);
  const FitResult result = fit_models(records, kmac_points(complexity_rows(records)));
  std::cout << format_fit_table(result, format);
  for (const auto& note : result.notes) std::fprintf(stderr, "note: %s\n", note.c_str());
  if (result.estimate)
    std::fprintf(stderr, "note: these energies are ESTIMATES (CPU time x TDP share), not measurements\n");
  if (!json_path.empty()) {
    write_fit_result(result, json_path);
    std::fprintf(stderr, "coefficients written to %s\n", json_path.c_str());
  }
  return 0;
}

int cmd_predict(Args& args) {
  if (args.help()) {
    std::puts("usage: nicenergy predict --model NAME --quality Q --size WxH --coeffs FIT.json [--json]\n"
              "Energy per execution from E = alpha * S + beta with the fit's expected error. A network\n"
              "without its own fit is predicted from its kMAC per pixel (alpha-versus-kMAC model).");
    return 0;
  }
  const std::string model = args.require("model");
  const int quality = args.require_integer("quality");
  const ImageInfo size = parse_size(args.require("size"));
  const std::string coeffs = args.get("coeffs");
  const bool json = args.flag("json");
  args.finish();
  if (coeffs.empty())
    throw Error("no coefficients: pass --coeffs FIT.json written by 'nicenergy fit RESULTS.csv --json FIT.json'");
  const Complexity c = complexity_of(model, quality);
  const FitResult fit = read_fit_result(coeffs);
  const Prediction p = predict_energy(fit, c.abbr, c.level, size.width, size.height, c.kmac_per_pixel);
  if (json) {
    nlohmann::json j = to_json(p);
    j["estimate"] = fit.estimate;
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  std::printf("%s (%s) quality %d, %s level, %dx%d (%lld pixels)\n", c.network.c_str(), c.abbr.c_str(), quality,
              c.level.c_str(), size.width, size.height, static_cast<long long>(p.pixels));
  std::printf("energy per execution  %.6g J  (expected relative error %.1f %%)\n", p.energy_j, 100 * p.expected_relative_error);
  std::printf("alpha %.6g J/pixel, beta %.6g J, from %s\n", p.alpha_j_per_pixel, p.beta_j,
              p.source == "fit" ? "this network's fit" : "the alpha-versus-kMAC model (no fit for this network)");
  if (fit.estimate) std::printf("ESTIMATE: the coefficients were fitted to CPU-time estimates, not measurements\n");
  return 0;
}

int cmd_report(Args& args) {
  if (args.help()) {
    std::puts("usage: nicenergy report RESULTS.csv [--out DIR] [--trace TRACE.csv] [--coeffs FIT.json]\n"
              "Writes the paper's figures (power trace, energy over pixels, alpha over kMAC) as SVG\n"
              "and PNG through gnuplot, Tables 1 and 2 as Markdown and CSV, and DIR/index.html.\n"
              "Fig. 1 uses --trace, else the first trace a campaign left in RESULTS-traces/.");
    return 0;
  }
  const std::string out_dir = args.get("out", "report");
  std::string trace = args.get("trace");
  const std::string coeffs = args.get("coeffs");
  args.finish(1);
  if (args.positionals().empty()) throw Error("report needs a results CSV: nicenergy report RESULTS.csv");
  const auto records = read_records(args.positionals()[0]);
  if (trace.empty()) {
    // A campaign's traces lie beside its results; Fig. 1 shows the first point's.
    const std::filesystem::path folder = traces_folder(args.positionals()[0]);
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
  const auto rows = complexity_rows(records);
  const FitResult fit = coeffs.empty() ? fit_models(records, kmac_points(rows)) : read_fit_result(coeffs);
  const ReportResult result = write_report(records, fit, rows, trace, out_dir);
  for (const auto& warning : result.warnings) std::fprintf(stderr, "warning: %s\n", warning.c_str());
  std::printf("report written: %s (%zu files)\n", (std::filesystem::path(out_dir) / "index.html").string().c_str(),
              result.files.size());
  return 0;
}

}  // namespace nicenergy
