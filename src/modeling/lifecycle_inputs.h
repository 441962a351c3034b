// The inputs of the full-cycle energy (modeling/lifecycle.h) from our own
// files: the inference energy per image from a campaign's results CSV or a
// fitted Eq. (2), and a codec's identity across training and inference files.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "complexity/complexity_types.h"
#include "modeling/fit.h"
#include "protocol/record.h"

namespace nicenergy {

// "Bfac q1": the paper's abbreviation where the network is known, and the quality.
std::string codec_label(const std::string& network_or_abbr, int quality);

struct InferenceEnergy {
  double inference_energy_per_image_j = 0;  // Eq. (1): dynamic energy per execution
  bool estimate = false;
  std::string source;                       // for outputs: file, records or fit used
  std::vector<std::string> notes;
};

// From the records of the network at this quality (the chain, not a stage):
// those of width x height when a size is given, else the mean over all sizes
// and images (said in a note). Estimate where any record's meter or method is
// the CPU estimate. Throws Error naming the codec and the file when none match.
InferenceEnergy inference_energy_from_records(const std::vector<MeasurementRecord>& records, const std::string& network,
                                              int quality, std::optional<std::pair<int, int>> size,
                                              const std::string& path);

// From a fit (`nicenergy fit --output`) at width x height: Eq. (2) through
// predict_energy, with the network's level and kMAC per pixel at this quality
// (`complexity`: complexity_of(network, quality), the LibTorch side's).
InferenceEnergy inference_energy_from_fit(const FitResult& fit, const Complexity& complexity, int quality, int width,
                                          int height, const std::string& path);

}  // namespace nicenergy
