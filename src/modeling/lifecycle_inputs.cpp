#include "modeling/lifecycle_inputs.h"

#include <cstdio>
#include <set>

#include "complexity/complexity_types.h"
#include "error.h"
#include "io/numbers.h"
#include "modeling/predict.h"
#include "models/zoo.h"

namespace nicenergy {

std::string codec_label(const std::string& network_or_abbr, int quality) {
  const NetworkSpec* spec = lookup_network(network_or_abbr);
  return (spec ? spec->abbr : network_or_abbr) + " q" + std::to_string(quality);
}

static std::string canonical_network(const std::string& network_or_abbr) {
  const NetworkSpec* spec = lookup_network(network_or_abbr);
  return spec ? spec->name : network_or_abbr;
}

static bool is_estimate(const MeasurementRecord& r) { return r.meter == "estimate" || r.method == "estimate"; }

InferenceEnergy inference_energy_from_records(const std::vector<MeasurementRecord>& records, const std::string& network,
                                              int quality, std::optional<std::pair<int, int>> size,
                                              const std::string& path) {
  const std::string name = canonical_network(network);
  std::vector<const MeasurementRecord*> of_codec, kept;
  for (const MeasurementRecord& r : records) {
    if (!(r.stage.empty() || r.stage == "chain")) continue;
    if (canonical_network(r.network.empty() ? r.abbr : r.network) != name || r.quality != quality) continue;
    of_codec.push_back(&r);
    if (!size || (r.width == size->first && r.height == size->second)) kept.push_back(&r);
  }
  const std::string codec = codec_label(network, quality);
  if (of_codec.empty())
    throw Error("codec " + codec + " has training energy but no inference measurement in results file '" + path +
                "' (the chain at quality " + std::to_string(quality) + "): measure it, choose another --quality, "
                "or give --coeffs FIT.json and --size WxH");
  if (kept.empty()) {
    std::set<std::string> sizes;
    for (const MeasurementRecord* r : of_codec) sizes.insert(std::to_string(r->width) + "x" + std::to_string(r->height));
    std::string list;
    for (const std::string& s : sizes) list += (list.empty() ? "" : ", ") + s;
    throw Error("codec " + codec + " has no inference measurement at " + std::to_string(size->first) + "x" +
                std::to_string(size->second) + " in results file '" + path + "'; its sizes: " + list);
  }
  InferenceEnergy e;
  double sum = 0;
  std::set<std::string> sizes, devices;
  for (const MeasurementRecord* r : kept) {
    sum += r->energy_j;
    e.estimate = e.estimate || is_estimate(*r);
    sizes.insert(std::to_string(r->width) + "x" + std::to_string(r->height));
    devices.insert(r->gpu.empty() ? r->device : r->gpu);
  }
  e.inference_energy_per_image_j = sum / static_cast<double>(kept.size());
  e.source = "measured: " + path + " (" + std::to_string(kept.size()) + " record" + (kept.size() > 1 ? "s" : "") +
             (size ? ", " + std::to_string(size->first) + "x" + std::to_string(size->second) : "") + ")";
  if (kept.size() > 1) {
    std::string list;
    for (const std::string& s : sizes) list += (list.empty() ? "" : ", ") + s;
    e.notes.push_back(codec + ": inference energy is the mean of " + std::to_string(kept.size()) +
                      " records (images of " + list + ")" + (size ? "" : "; choose one size with --size WxH"));
  }
  if (devices.size() > 1)
    e.notes.push_back(codec + ": the records come from " + std::to_string(devices.size()) +
                      " devices; their mean is taken");
  return e;
}

InferenceEnergy inference_energy_from_fit(const FitResult& fit, const Complexity& c, int quality, int width,
                                          int height, const std::string& path) {
  const std::string& network = c.network;
  Prediction p;
  try {
    p = predict_energy(fit, c.abbr, c.level, width, height, c.kmac_per_px);
  } catch (const Error& error) {
    throw Error("codec " + codec_label(network, quality) + " has training energy but no inference energy from " +
                path + ": " + error.what());
  }
  if (!(p.energy_j > 0))
    throw Error("codec " + codec_label(network, quality) + ": the model in " + path + " predicts " +
                number_text(p.energy_j) + " J per image at " + std::to_string(width) + "x" + std::to_string(height) +
                ", not a positive energy: the fit does not hold there; measure it (--results) or choose another --size");
  InferenceEnergy e;
  e.inference_energy_per_image_j = p.energy_j;
  e.estimate = fit.estimate;
  char error_text[32];
  std::snprintf(error_text, sizeof error_text, "%.1f %%", 100 * p.expected_relative_error);
  e.source = "model: " + path + " (Eq. (2) " + (p.source == "fit" ? "fit" : "alpha-vs-kMAC") + " at " +
             std::to_string(width) + "x" + std::to_string(height) + ", expected error " + error_text + ")";
  return e;
}

}  // namespace nicenergy
