// layers: where the joules go. Each recorded layer of one chain replayed alone
// on the input it saw, under the protocol, beside the whole chain.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <memory>
#include <cstdio>
#include <iostream>
#include <map>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/inputs.h"
#include "cli/options.h"
#include "cli/output_claim.h"
#include "error.h"
#include "io/files.h"
#include "layers/layer_replay.h"
#include "layers/layer_results.h"
#include "meters/estimate_label.h"
#include "models/codec.h"
#include "modes/execution_mode.h"
#include "platform/runtime.h"
#include "platform/time_text.h"
#include "protocol/measurement_session.h"
#include "protocol/codec_measurement.h"

namespace nicenergy::cli {
namespace {

struct LayersParams : MeasuringParams {
  std::string model;
  int quality = 0;
  std::string mode = "float32";
  std::string weights;
  uint64_t seed = 0;
  int threads = 0;
  std::string output;
  bool json = false;
};

std::string shape_text(int64_t c, int64_t h, int64_t w) {
  return std::to_string(c) + "x" + std::to_string(h) + "x" + std::to_string(w);
}

double pj_per_mac(const LayerRow& r) { return r.macs > 0 ? r.energy_j / r.macs * 1e12 : 0; }

// An energy with its interval, "0.0123 +- 0.004".
std::string energy_text(double energy_j, double ci_j) {
  char text[48];
  std::snprintf(text, sizeof text, "%.4g +- %.2g", energy_j, ci_j);
  return text;
}

// What the gap is, said only when its interval leaves out zero.
std::string gap_meaning(const LayerSummary& s) {
  if (std::abs(*s.gap_energy_j) <= *s.gap_energy_ci_j) return ": within the noise of the measurements";
  return *s.gap_energy_j > 0 ? ": launch overhead and what runs between the layers"
                             : ": the layers alone cost more than the chain";
}

void print_table(const std::vector<LayerRow>& rows, const LayerSummary& s, double confidence) {
  const LayerRow& first = rows.front();
  std::printf("%s quality %d on %s (%dx%d), %s, meter %s, %d threads, mode %s, weights %s\n", first.abbr.c_str(),
              first.quality, first.image.c_str(), first.width, first.height, first.device.c_str(),
              first.meter.c_str(), first.threads, first.mode.c_str(), first.weights.c_str());
  int width = 5;
  for (const LayerRow& r : rows) width = std::max(width, static_cast<int>(r.layer.size()));
  std::printf("%-*s %-13s %-14s %3s %10s %11s %20s %8s %9s %8s\n", width, "layer", "kind", "output", "2nd", "GMAC",
              "time_s", "energy_j", "share", "pJ/MAC", "MAC sh.");
  for (const LayerRow& r : rows) {
    if (r.is_chain()) continue;
    const double share = s.layers_energy_j > 0 ? r.energy_j / s.layers_energy_j : 0;
    const double mac_share = s.macs > 0 && r.macs > 0 && (r.kind == "conv" || r.kind == "deconv" || r.kind == "masked_conv")
                                 ? r.macs / s.macs : 0;
    std::printf("%-*s %-13s %-14s %3s %10.4f %11.4g %20s %7.1f%% %9.2f %7.1f%%\n", width, r.layer.c_str(),
                r.kind.c_str(), r.output_shape.c_str(), r.in_2nd ? "yes" : "", r.macs / 1e9, r.duration_s,
                energy_text(r.energy_j, r.energy_ci_j).c_str(), 100 * share, pj_per_mac(r), 100 * mac_share);
  }
  std::printf("sum of the layers: %.4g s, %s J per execution\n", s.layers_duration_s,
              energy_text(s.layers_energy_j, s.layers_energy_ci_j).c_str());
  if (s.chain_energy_j) {
    std::printf("whole chain:       %.4g s, %s J per execution\n", *s.chain_duration_s,
                energy_text(*s.chain_energy_j, *s.chain_energy_ci_j).c_str());
    std::printf("gap (chain - sum): %s J, %.1f%% of the chain%s\n", energy_text(*s.gap_energy_j, *s.gap_energy_ci_j).c_str(),
                100 * s.gap_share.value_or(0), gap_meaning(s).c_str());
  }
  std::printf("up to the 2nd downsampling: %.1f%% of the convolutions' MACs (the paper's figure), %.1f%% of their "
              "measured energy;\n  %.1f%% of the layers' energy with GDN/IGDN and the other layers in that range",
              100 * s.share_2nd_kmac, 100 * s.share_2nd_conv_energy, 100 * s.share_2nd_energy);
  if (s.chain_energy_j) std::printf(", %.1f%% of the chain's", 100 * s.share_2nd_chain_energy);
  std::printf("\nenergy_j: dynamic energy per execution, Eq. (1), +- the half-width of its %.0f %% interval (the sum's "
              "and the gap's: the intervals in quadrature);\n  MACs by the paper's rule (convolutions; GDN as its "
              "1x1 convolution)%s\n",
              100 * confidence, first.estimate ? ("\nnote: " + estimate_sentence()).c_str() : "");
}

nlohmann::json to_json(const LayerRow& r) {
  return {{"index", r.index},           {"layer", r.layer},           {"kind", r.kind},
          {"transform", r.transform},   {"input_shape", r.input_shape}, {"output_shape", r.output_shape},
          {"macs", r.macs},             {"in_2nd", r.in_2nd},         {"duration_s", r.duration_s},
          {"energy_j", r.energy_j},     {"energy_ci_j", r.energy_ci_j}, {"k", r.k},
          {"m", r.m}};
}


// Row 0 is the chain, then the layers in execution order.
std::vector<LayerRow> plan_layer_rows(const LayerRow& base, const CodecWorkload& workload, const CapturedChain& chain) {
  std::vector<LayerRow> planned;
  LayerRow chain_row = base;
  chain_row.index = -1;
  chain_row.layer = "chain";
  chain_row.kind = "chain";
  chain_row.input_shape = shape_text(3, workload.padded_height, workload.padded_width);
  chain_row.output_shape = chain_row.input_shape;
  chain_row.macs = chain.macs;
  planned.push_back(chain_row);
  for (size_t i = 0; i < chain.layers.size(); ++i) {
    const CapturedLayer& l = chain.layers[i];
    LayerRow r = base;
    r.index = static_cast<int>(i);
    r.layer = l.record.name;
    r.kind = to_string(l.record.type);
    r.transform = l.transform;
    r.input_shape = shape_text(l.record.in_channels, l.record.in_h, l.record.in_w);
    r.output_shape = shape_text(l.record.out_channels, l.record.out_h, l.record.out_w);
    r.macs = l.record.macs;
    r.in_2nd = l.in_2nd;
    planned.push_back(r);
  }
  return planned;
}

// Each planned row not in `done` yet, measured through the session (preheated
// once: the device stays busy in between) and appended to --output.
std::vector<LayerRow> measure_layer_rows(const LayersParams& p, MeasurementSession& session,
                                         const std::vector<LayerRow>& planned, const std::vector<LayerRow>& done,
                                         const CodecWorkload& workload, const CapturedChain& chain) {
  std::map<std::string, LayerRow> finished;
  for (const LayerRow& d : done) finished[d.key()] = d;
  std::vector<LayerRow> rows;
  for (size_t n = 0; n < planned.size(); ++n) {
    LayerRow row = planned[n];
    auto it = finished.find(row.key());
    if (it != finished.end()) {
      rows.push_back(it->second);
      continue;
    }
    std::fprintf(stderr, "%zu/%zu %s\n", n + 1, planned.size(), row.layer.c_str());
    const Workload w = row.is_chain() ? workload.workload() : layer_workload(chain, static_cast<size_t>(row.index));
    ProtocolResult result;
    const MeasurementRecord record = session.measure(w, MeasurementRecord{}, &result);
    for (const std::string& warning : result.warnings)
      std::fprintf(stderr, "warning: %s: %s\n", row.layer.c_str(), warning.c_str());
    fill_run_results(row, record, result.estimate);
    if (!p.output.empty()) append_layer_row(p.output, row);
    rows.push_back(row);
  }
  if (done.size() && finished.size() >= planned.size())
    std::fprintf(stderr, "every layer is in %s already: nothing measured\n", p.output.c_str());
  return rows;
}

void print_json(const std::vector<LayerRow>& rows, const LayerSummary& s, const LayerRow& base, int quality,
                const Image& image) {
  nlohmann::json j = {{"network", base.network}, {"abbr", base.abbr},     {"quality", quality},
                      {"image", base.image},     {"width", image.width},  {"height", image.height},
                      {"device", base.device},   {"weights", base.weights}, {"mode", base.mode},
                      {"threads", base.threads}, {"meter", rows.front().meter}, {"estimate", rows.front().estimate}};
  j["chain"] = to_json(rows.front());
  j["layers"] = nlohmann::json::array();
  for (const LayerRow& r : rows)
    if (!r.is_chain()) j["layers"].push_back(to_json(r));
  j["summary"] = {{"layers_energy_j", s.layers_energy_j},
                  {"layers_energy_ci_j", s.layers_energy_ci_j},
                  {"chain_energy_ci_j", s.chain_energy_ci_j.value_or(0)},
                  {"gap_energy_ci_j", s.gap_energy_ci_j.value_or(0)},
                  {"layers_duration_s", s.layers_duration_s},
                  {"chain_energy_j", s.chain_energy_j.value_or(0)},
                  {"chain_duration_s", s.chain_duration_s.value_or(0)},
                  {"gap_energy_j", s.gap_energy_j.value_or(0)},
                  {"gap_share", s.gap_share.value_or(0)},
                  {"share_2nd_kmac", s.share_2nd_kmac},
                  {"share_2nd_conv_energy", s.share_2nd_conv_energy},
                  {"share_2nd_energy", s.share_2nd_energy},
                  {"share_2nd_chain_energy", s.share_2nd_chain_energy}};
  if (rows.front().estimate) j["note"] = estimate_sentence();
  std::cout << j.dump(2) << "\n" << std::flush;
}

int run_layers(LayersParams p) {
  const torch::Device device = parse_device(p.device);
  validate(p.protocol);
  const QualityConfig config = builtin_network(p.model, p.quality, "layers");
  const ExecutionMode mode = parse_mode(p.mode);
  if (auto why = mode_unavailable(mode, device)) throw Error(*why);
  check_measured_input(p.input, p.size);
  std::vector<LayerRow> done;
  const auto lock = claim_output(p.output, "layers file '" + p.output + "'", [](const std::string& f) { return read_layer_rows(f); },
                                 [](const std::string& f, std::string* note) { return resume_layer_rows(f, note); }, done);

  p.protocol.progress = stage_progress();
  MeasurementSession session = open_run_session(device, p.meter, p.protocol, !p.no_preheat, p.threads);
  std::string label;
  const Image image = measured_image(p.input, p.size, label);
  const CodecWorkload workload =
      make_codec_workload(p.model, p.quality, image, label, device, p.weights, p.seed, Stage::chain, mode);
  const CapturedChain chain = capture_layers(workload);
  LayerRow base;
  fill_run_identity(base, config, label, image, describe_device(device, session.meter()), p.weights, p.seed,
                    mode_name(mode));
  const std::vector<LayerRow> planned = plan_layer_rows(base, workload, chain);
  const std::vector<LayerRow> rows = measure_layer_rows(p, session, planned, done, workload, chain);
  const LayerSummary s = summarise_layers(rows);
  if (p.json) {
    print_json(rows, s, base, p.quality, image);
    return 0;
  }
  print_table(rows, s, p.protocol.confidence);
  if (!p.output.empty()) std::printf("rows in %s\n", p.output.c_str());
  std::fflush(stdout);
  return 0;
}

}  // namespace

void add_layers_commands(CLI::App& app, Action& action) {
  CLI::App* layers = add_command(app, "layers", "where the joules go: each layer replayed alone under the protocol");
  layers->footer(
      "Runs the chain once keeping each recorded layer's input (convolutions, transposed and masked\n"
      "convolutions, GDN/IGDN, pixel shuffles), then measures the whole chain and each layer alone on\n"
      "its input, in windows of M executions with the paper's protocol. Prints each layer's time and\n"
      "dynamic energy, their sum against the chain (the gap is launch overhead and what runs between\n"
      "the layers), and the measured share of \"up to the 2nd downsampling\" beside its kMAC share.\n"
      "--output keeps a row per finished layer; a rerun measures only what is missing.");
  auto p = bind<LayersParams>(layers, action, [](const LayersParams& params) { return run_layers(params); });
  add_model(layers, p->model)->description("network: Bfac, Bhyp, Mmean, Mcont, Canch, Cattn or its CompressAI name");
  add_quality(layers, p->quality);
  add_measured_image(layers, p->input, p->size);
  add_device(layers, p->device);
  add_meter(layers, p->meter);
  layers->add_option("--mode", p->mode, "energy mode of the chain and its layers (see `nicenergy modes --help`)")
      ->capture_default_str();
  add_protocol_options(layers, p->protocol);
  layers->add_flag("--no-preheat", p->no_preheat, "skip the preheat");
  layers->add_option("--weights", p->weights, "CompressAI state_dict as safetensors")->type_name("FILE");
  add_seed(layers, p->seed);
  add_threads(layers, p->threads);
  layers->add_option("--output", p->output, "append a row per finished layer to this CSV; a rerun resumes")
      ->type_name("LAYERS.csv");
  layers->add_flag("--json", p->json, "one JSON object on stdout");
}

}  // namespace nicenergy::cli
