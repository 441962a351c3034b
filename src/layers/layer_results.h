// The results of `nicenergy layers`: one CSV row for the whole chain and one
// per replayed layer, appended as each finishes (a rerun with the same
// --output measures only what is missing), and the summary drawn from them:
// the layers' sum against the chain, and the measured share of "up to the
// 2nd downsampling" beside its kMAC share (the paper's Section 5 claim).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "modes/run_row.h"

namespace nicenergy {

struct LayerRow : RunRow {
  int index = -1;              // position in the chain's execution order; -1: the whole chain
  std::string layer;           // state_dict prefix ("g_a.0"), or "chain"
  std::string kind;            // conv, deconv, masked_conv, gdn, igdn, pixel_shuffle; "chain"
  std::string transform;       // g_a, h_a, ...; "" for the chain
  std::string input_shape, output_shape;  // "CxHxW"
  double macs = 0;             // the paper's rule (convolutions; GDN and the chain: see README)
  bool in_2nd = false;         // in the "up to the 2nd downsampling" region
  bool is_chain() const { return index < 0; }
  // What makes two rows the same measurement (all but the results).
  std::string key() const;
};

// The rows of a file written by append_layer_row, changing nothing; none when
// it does not exist. A file that `layers` did not write, or damaged before its
// last row, is refused in one line naming the file (and the line).
std::vector<LayerRow> read_layer_rows(const std::string& path);
// For `layers --output` about to append, holding its lock: the rows, a torn
// last row (an interrupted write) cut from the file and said in *note.
std::vector<LayerRow> resume_layer_rows(const std::string& path, std::string* note);
void append_layer_row(const std::string& path, const LayerRow& row);

struct LayerSummary {
  std::optional<double> chain_energy_j, chain_energy_ci_j, chain_duration_s;
  double layers_energy_j = 0, layers_duration_s = 0;  // sums over the replayed layers
  double layers_energy_ci_j = 0;                      // the layers' intervals in quadrature (measured apart)
  // Chain minus the layers' sum: launch overhead and what runs between the
  // recorded layers (activations, residual sums, quantisation, likelihoods).
  std::optional<double> gap_energy_j, gap_energy_ci_j, gap_share;
  double macs = 0, macs_2nd = 0;                      // convolutions
  double share_2nd_kmac = 0;                          // the paper's figure: region's convolution MACs / all
  double share_2nd_conv_energy = 0;                   // the same, measured: region's convolutions' energy / all convolutions'
  double share_2nd_energy = 0;                        // every layer of the region (GDN included) / the layers' sum
  double share_2nd_chain_energy = 0;                  // the region's layers / the chain (0 without the chain)
};
// From one chain's rows: the chain's and its layers'.
LayerSummary summarise_layers(const std::vector<LayerRow>& rows);

}  // namespace nicenergy
