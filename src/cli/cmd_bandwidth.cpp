// bandwidth: what each layer output of one chain run moves to memory, raw and
// coded as Yin, Xu et al. (arXiv 2309.02855) code it, and a data-movement
// energy MODEL built on that.
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "bandwidth/activation_bandwidth.h"
#include "bandwidth/data_movement_energy.h"
#include "bandwidth/exp_golomb.h"
#include "bandwidth/memory_energy.h"
#include "cli/commands.h"
#include "report/bandwidth_figure.h"
#include "cli/options.h"
#include "error.h"
#include "io/files.h"
#include "image/image.h"
#include "models/codec.h"
#include "models/weights.h"
#include "platform/runtime.h"

namespace nicenergy::cli {
namespace {

struct BandwidthParams {
  std::string model;
  int quality = 0;
  std::string input;
  std::string weights;
  std::string format = "table";
  uint64_t seed = 0;
  int threads = 0;
  DataMovementCosts costs;     // byte_pj: --byte-pj, else the memory's central figure
  std::string memory = "horowitz45";
  double byte_pj = -1;         // --byte-pj; < 0: not given
  std::string plot;  // folder of the per-layer figure; empty: none
};

const char* kUntrained =
    "WARNING: seeded random weights (no --weights): activation statistics, and so every coded size and saving "
    "below, are meaningless (untrained weights)";
const char* kModelLabel = "MODEL, not a measurement: E = e_mac x MACs + e_byte x DRAM bytes";

std::string weights_line(const BandwidthParams& p) {
  if (p.weights.empty()) return "seeded random (seed " + std::to_string(p.seed) + "), untrained";
  const auto metadata = weights_metadata(p.weights);
  const auto it = metadata.find("training_iterations");
  return p.weights + (it == metadata.end() ? "" : " (" + it->second + " training iterations per its metadata)");
}

nlohmann::json bytes_json(const ActivationBytes& b) {
  nlohmann::json j{{"float32_bytes", b.float32}, {"int8_bytes", b.int8}, {"exp_golomb_bytes", b.exp_golomb},
                   {"gaussian_ideal_bytes", b.gaussian_ideal}};
  for (int k = 0; k < exp_golomb_orders; ++k) j["exp_golomb_k" + std::to_string(k) + "_bytes"] = b.exp_golomb_order[k];
  return j;
}

nlohmann::json energy_json(const DataMovementEnergy& e) {
  return {{"mac_j", e.mac_j},
          {"float32_total_j", e.total_float32_j()},
          {"int8_total_j", e.total_int8_j()},
          {"exp_golomb_total_j", e.total_exp_golomb_j()},
          {"saving_vs_float32", e.saving_vs_float32()},
          {"saving_vs_int8", e.saving_vs_int8()}};
}

// The chain's model at the low and high ends of the memory's range (none when
// --byte-pj was given or the memory has one figure).
struct EnergyRange {
  bool present = false;
  double low_pj = 0, high_pj = 0;
  DataMovementEnergy low, high;
};

EnergyRange energy_range(const BandwidthParams& p, const ActivationBandwidth& a) {
  EnergyRange r;
  const MemoryEnergy& m = find_memory_energy(p.memory);
  if (p.byte_pj >= 0 || m.low_pj == m.high_pj) return r;
  r.present = true;
  r.low_pj = m.low_pj;
  r.high_pj = m.high_pj;
  DataMovementCosts c = p.costs;
  c.byte_pj = m.low_pj;
  r.low = data_movement_energy(a.macs(), a.total, c);
  c.byte_pj = m.high_pj;
  r.high = data_movement_energy(a.macs(), a.total, c);
  return r;
}

std::string costs_source(const BandwidthParams& p) {
  const DataMovementCosts defaults;
  const std::string mac = p.costs.mac_pj == defaults.mac_pj ? "e_mac: Horowitz ISSCC 2014, 45 nm, fp32 MAC"
                                                            : "e_mac as given";
  if (p.byte_pj >= 0) return mac + "; e_byte as given on the command line";
  const MemoryEnergy& m = find_memory_energy(p.memory);
  return mac + "; e_byte: --memory " + m.name + " (" + m.includes + "; " + m.source + ")";
}

void print_table(const BandwidthParams& p, const ActivationBandwidth& a, const DataMovementEnergy& chain,
                 const DataMovementEnergy& second) {
  if (p.weights.empty()) std::printf("%s\n", kUntrained);
  std::printf("network    %s (%s) quality %d, input %s padded to %lldx%lld\n", a.network.c_str(), a.abbr.c_str(),
              a.quality, p.input.c_str(), static_cast<long long>(a.padded_width),
              static_cast<long long>(a.padded_height));
  std::printf("weights    %s\n", weights_line(p).c_str());
  std::printf("coding     8-bit per-channel min-max; EG = symmetric exp-Golomb order 0 (median + zig-zag, 8 bits/channel "
              "side info), encoded and decoded back; EGk = order k; Gauss = ideal length under a per-channel Gaussian "
              "(64 bits/channel side info); bytes\n");
  std::printf("%-28s %-6s %-18s %3s %12s %11s %11s %11s %11s %11s %11s %11s %11s\n", "layer", "kind", "CxHxW", "2nd",
              "float32", "8-bit", "EG", "EG1", "EG2", "EG3", "EG4", "Gauss", "8bit/EG");
  auto row = [](const std::string& name, const std::string& kind, const std::string& shape, const std::string& in_2nd,
                const ActivationBytes& b) {
    std::printf("%-28s %-6s %-18s %3s %12.0f %11.0f %11.0f %11.0f %11.0f %11.0f %11.0f %11.0f %11.2f\n", name.c_str(),
                kind.c_str(), shape.c_str(), in_2nd.c_str(), b.float32, b.int8, b.exp_golomb, b.exp_golomb_order[1],
                b.exp_golomb_order[2], b.exp_golomb_order[3], b.exp_golomb_order[4], b.gaussian_ideal,
                b.int8 / b.exp_golomb);
  };
  for (const auto& l : a.layers)
    row(l.name, l.kind, std::to_string(l.channels) + "x" + std::to_string(l.height) + "x" + std::to_string(l.width),
        l.in_2nd ? "yes" : "", l.bytes);
  row("total (chain)", "", "", "", a.total);
  row("total (up to 2nd)", "", "", "", a.total_2nd);
  std::printf("reduction  chain: %.2fx vs float32, %.2fx vs 8-bit; up to the 2nd downsampling: %.2fx vs float32, "
              "%.2fx vs 8-bit (symmetric exp-Golomb)\n",
              a.total.float32 / a.total.exp_golomb, a.total.int8 / a.total.exp_golomb,
              a.total_2nd.float32 / a.total_2nd.exp_golomb, a.total_2nd.int8 / a.total_2nd.exp_golomb);
  std::printf("energy     %s\n", kModelLabel);
  std::printf("           e_mac %.3g pJ, e_byte %.3g pJ, %.3g DRAM accesses per activation byte\n           (%s)\n",
              p.costs.mac_pj, p.costs.byte_pj, p.costs.accesses_per_byte, costs_source(p).c_str());
  auto energy_row = [](const char* what, const DataMovementEnergy& e, double macs) {
    std::printf("           %-8s %.4g MAC: float32 %.4g J, 8-bit %.4g J, exp-Golomb %.4g J; saving %.2fx vs float32, "
                "%.2fx vs 8-bit\n",
                what, macs, e.total_float32_j(), e.total_int8_j(), e.total_exp_golomb_j(), e.saving_vs_float32(),
                e.saving_vs_int8());
  };
  energy_row("chain", chain, a.macs());
  energy_row("2nd", second, a.macs_2nd());
  const EnergyRange range = energy_range(p, a);
  if (range.present)
    std::printf("           e_byte %.3g..%.3g pJ (the range of --memory %s): chain saving %.2fx..%.2fx vs float32, "
                "%.2fx..%.2fx vs 8-bit\n",
                range.low_pj, range.high_pj, p.memory.c_str(), range.low.saving_vs_float32(),
                range.high.saving_vs_float32(), range.low.saving_vs_int8(), range.high.saving_vs_int8());
  if (p.weights.empty()) std::printf("%s\n", kUntrained);
}

void print_csv(const BandwidthParams& p, const ActivationBandwidth& a) {
  const std::string note = p.weights.empty() ? "untrained weights: figures meaningless" : "trained weights";
  std::printf("network,quality,layer,kind,transform,channels,height,width,in_2nd,float32_bytes,int8_bytes,"
              "exp_golomb_bytes,exp_golomb_k0_bytes,exp_golomb_k1_bytes,exp_golomb_k2_bytes,exp_golomb_k3_bytes,"
              "exp_golomb_k4_bytes,gaussian_ideal_bytes,note\n");
  auto row = [&](const std::string& name, const std::string& kind, const std::string& transform, int64_t c, int64_t h,
                 int64_t w, bool in_2nd, const ActivationBytes& b) {
    std::printf("%s,%d,%s,%s,%s,%lld,%lld,%lld,%d,%.0f,%.0f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%s\n", a.abbr.c_str(),
                a.quality, name.c_str(), kind.c_str(), transform.c_str(), static_cast<long long>(c),
                static_cast<long long>(h), static_cast<long long>(w), in_2nd ? 1 : 0, b.float32, b.int8, b.exp_golomb,
                b.exp_golomb_order[0], b.exp_golomb_order[1], b.exp_golomb_order[2], b.exp_golomb_order[3],
                b.exp_golomb_order[4], b.gaussian_ideal, note.c_str());
  };
  for (const auto& l : a.layers) row(l.name, l.kind, l.transform, l.channels, l.height, l.width, l.in_2nd, l.bytes);
  row("total", "", "", 0, 0, 0, false, a.total);
  row("total_2nd", "", "", 0, 0, 0, true, a.total_2nd);
}

void print_json(const BandwidthParams& p, const ActivationBandwidth& a, const DataMovementEnergy& chain,
                const DataMovementEnergy& second) {
  nlohmann::json j{{"network", a.network}, {"abbr", a.abbr}, {"quality", a.quality}, {"input", p.input},
                   {"padded_width", a.padded_width}, {"padded_height", a.padded_height},
                   {"weights", weights_line(p)}, {"trained", !p.weights.empty()}};
  if (p.weights.empty()) j["warning"] = kUntrained;
  j["side_bits_per_channel"] = side_bits_per_channel;
  j["gaussian_side_bits_per_channel"] = gaussian_side_bits_per_channel;
  for (const auto& l : a.layers) {
    nlohmann::json lj{{"layer", l.name}, {"kind", l.kind}, {"transform", l.transform}, {"channels", l.channels},
                      {"height", l.height}, {"width", l.width}, {"in_2nd", l.in_2nd}};
    lj.update(bytes_json(l.bytes));
    j["layers"].push_back(lj);
  }
  j["total"] = bytes_json(a.total);
  j["total_2nd"] = bytes_json(a.total_2nd);
  j["reduction_vs_float32"] = a.total.float32 / a.total.exp_golomb;
  j["reduction_vs_int8"] = a.total.int8 / a.total.exp_golomb;
  j["reduction_2nd_vs_float32"] = a.total_2nd.float32 / a.total_2nd.exp_golomb;
  j["reduction_2nd_vs_int8"] = a.total_2nd.int8 / a.total_2nd.exp_golomb;
  j["energy_model"] = {{"label", kModelLabel},
                       {"source", costs_source(p)},
                       {"memory", p.byte_pj >= 0 ? "as given" : p.memory},
                       {"mac_pj", p.costs.mac_pj},
                       {"byte_pj", p.costs.byte_pj},
                       {"accesses_per_byte", p.costs.accesses_per_byte},
                       {"macs", a.macs()},
                       {"macs_2nd", a.macs_2nd()},
                       {"chain", energy_json(chain)},
                       {"up_to_2nd", energy_json(second)}};
  const EnergyRange range = energy_range(p, a);
  if (range.present)
    j["energy_model"]["byte_pj_range"] = {{"low_pj", range.low_pj}, {"high_pj", range.high_pj},
                                          {"chain_low", energy_json(range.low)}, {"chain_high", energy_json(range.high)}};
  std::cout << j.dump(2) << "\n";
}

int run_bandwidth(BandwidthParams p) {
  if (p.format != "table" && p.format != "csv" && p.format != "json")
    throw Error("format '" + p.format + "' is unknown: use table, csv or json");
  p.costs.byte_pj = p.byte_pj >= 0 ? p.byte_pj : find_memory_energy(p.memory).byte_pj;
  if (!p.plot.empty()) check_output_folder(p.plot, "plot folder '" + p.plot + "'");  // before the chain runs
  set_threads(p.threads);
  set_deterministic(true);
  Network network = make_network(p.model, p.quality, p.seed);
  if (!p.weights.empty()) load_weights(*network, p.weights);
  const torch::Tensor x = image_to_tensor(load_image(p.input));
  const ActivationBandwidth a = measure_activation_bandwidth(*network, x);
  const DataMovementEnergy chain = data_movement_energy(a.macs(), a.total, p.costs);
  const DataMovementEnergy second = data_movement_energy(a.macs_2nd(), a.total_2nd, p.costs);
  if (p.format == "table") print_table(p, a, chain, second);
  if (p.format == "csv") print_csv(p, a);
  if (p.format == "json") print_json(p, a, chain, second);
  if (p.weights.empty() && p.format != "table") std::fprintf(stderr, "%s\n", kUntrained);
  if (!p.plot.empty()) {
    std::string warning;
    const auto files = write_bandwidth_plot(a, !p.weights.empty(), p.plot, "gnuplot", &warning);
    if (!warning.empty()) std::fprintf(stderr, "warning: %s\n", warning.c_str());
    std::fprintf(stderr, "plot: %s/%s\n", p.plot.c_str(), files.back().c_str());
  }
  return 0;
}

}  // namespace

void add_bandwidth_commands(CLI::App& app, Action& action) {
  CLI::App* bandwidth = add_command(app, "bandwidth", "activation bytes per layer, raw and exp-Golomb coded, and a data-movement energy MODEL");
  bandwidth->footer(
      "Runs the chain once on the CPU (image padded as `run` pads it). For every output that would go to memory\n"
      "(convolution, transposed convolution, GDN/IGDN, block): float32 and 8-bit (per-channel min-max) bytes, the\n"
      "symmetric exp-Golomb code of Yin, Xu et al. (arXiv 2309.02855) encoded and decoded back, exp-Golomb of order\n"
      "k = 0..4, and a per-channel Gaussian's ideal length. Energy: a MODEL, E = e_mac x MACs + e_byte x DRAM bytes.\n"
      "Without --weights the weights are seeded random and the figures meaningless.");
  auto bp = bind<BandwidthParams>(bandwidth, action, [](const BandwidthParams& params) { return run_bandwidth(params); });
  add_model(bandwidth, bp->model);
  add_quality(bandwidth, bp->quality);
  bandwidth->add_option("--input", bp->input, "image (PNG or JPEG)")->required()->type_name("IMAGE");
  bandwidth->add_option("--weights", bp->weights, "CompressAI state_dict as safetensors (trained weights)")->type_name("FILE");
  add_format(bandwidth, bp->format, "table, csv or json");
  bandwidth->add_option("--plot", bp->plot, "draw the per-layer figure (float32, 8 bits, exp-Golomb; the 2nd downsampling marked) into this folder")
      ->type_name("DIR");
  add_seed(bandwidth, bp->seed);
  add_threads(bandwidth, bp->threads);
  bandwidth->add_option("--mac-pj", bp->costs.mac_pj, "energy per MAC in pJ (Horowitz ISSCC 2014, 45 nm: fp32 3.7 + 0.9, int8 0.2 + 0.03)")
      ->check(real_number("--mac-pj", 0, 1e6))
      ->capture_default_str()
      ->type_name("PJ");
  auto g = [](double v) {
    char text[32];
    std::snprintf(text, sizeof text, "%g", v);
    return std::string(text);
  };
  std::string memories;
  for (const MemoryEnergy& m : memory_energies())
    memories += "\n    " + m.name + ": " + g(m.byte_pj) + " pJ/B" +
                (m.low_pj < m.high_pj ? " (" + g(m.low_pj) + ".." + g(m.high_pj) + ")" : "") +
                ", " + m.source;
  bandwidth->add_option("--memory", bp->memory, "the DRAM's energy per byte, with its range:" + memories)
      ->capture_default_str()
      ->type_name("NAME");
  bandwidth->add_option("--byte-pj", bp->byte_pj, "DRAM energy per byte in pJ, instead of --memory's figure")
      ->check(real_number("--byte-pj", 0, 1e6))
      ->type_name("PJ");
  bandwidth->add_option("--accesses-per-byte", bp->costs.accesses_per_byte, "DRAM accesses per activation byte (2: written once, read once)")
      ->check(real_number("--accesses-per-byte", 0, 1000))
      ->capture_default_str()
      ->type_name("N");
}

}  // namespace nicenergy::cli
