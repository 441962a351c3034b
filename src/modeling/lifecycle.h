// Full-cycle energy after Li et al., "Full-Cycle Energy Consumption Benchmark
// for Low-Carbon Computer Vision" (arXiv 2108.13465): a model's energy counts
// its training as well as its use, E_full(N) = E_train + N x E_infer for N
// images coded. Two codecs trade places at the break-even usage N*, and energy
// becomes CO2-equivalent through the data centre's PUE and the grid's intensity.
#pragma once
#include <optional>
#include <string>
#include <vector>

namespace nicenergy {

// One codec's inputs, with where they came from (said in every output).
struct CodecLifecycle {
  std::string codec;                          // "Bfac q1"
  double training_energy_j = 0;               // E_train
  std::optional<double> training_energy_low_j, training_energy_high_j;  // its interval, where predicted
  std::string training_source;                // "measured: t.csv", "predicted: schedule compressai", "given"
  double inference_energy_per_image_j = 0;    // E_infer, Eq. (1) per execution
  std::string inference_source;
  bool estimate = false;                      // a CPU estimate meter's numbers went in
  bool training_model = false;                // E_train scaled to a schedule's pixels per iteration (a MODEL)
};

// E_full(N) = E_train + N x E_infer (Li et al., arXiv 2108.13465): the one place
// it is computed. Throws Error for N <= 0, a negative energy, or a sum that
// overflows a double (inf).
double full_cycle_energy_j(double training_energy_j, double inference_energy_per_image_j, double images);

// How two codecs compare over all N >= 1.
struct BreakEven {
  std::string codec_a, codec_b;
  // N* = (E_train_b - E_train_a) / (E_infer_a - E_infer_b) where a is cheaper
  // to train and b cheaper per image: a wins below N*, b above it.
  std::optional<double> break_even_images;
  std::string cheaper_below;  // the codec with less E_full for N < N*
  std::string cheaper_above;
  std::string dominant;       // without N*: the codec never worse (cheaper or equal in both), "" when equal
  std::string text;           // one line for people
};
BreakEven break_even(const CodecLifecycle& a, const CodecLifecycle& b);
// Every pair (i < j), in input order.
std::vector<BreakEven> break_evens(const std::vector<CodecLifecycle>& codecs);

// Energy to CO2-equivalent: kWh x PUE x grid intensity.
struct CarbonSettings {
  // Defaults and their sources, for --help and outputs.
  static constexpr double kDefaultGridIntensityGPerKwh = 436;
  static constexpr double kDefaultPue = 1.56;
  static const char* grid_intensity_source();
  static const char* pue_source();
  double grid_intensity_g_per_kwh = kDefaultGridIntensityGPerKwh;
  double pue = kDefaultPue;
};
// Throws Error for a negative intensity or a PUE below 1 (facility energy over
// IT energy cannot be less than the IT energy).
void check_carbon_settings(const CarbonSettings& settings);
double co2e_kg(double energy_j, const CarbonSettings& settings);

// The table of E_full and CO2e over N for every codec.
struct LifecyclePoint {
  double images = 0;
  double full_cycle_energy_j = 0;
  double co2e_kg = 0;
};
struct LifecycleRow {
  CodecLifecycle codec;
  double training_co2e_kg = 0;
  std::vector<LifecyclePoint> points;  // one per N of the request
};
struct LifecycleResult {
  std::vector<LifecycleRow> rows;
  std::vector<BreakEven> break_evens;
  CarbonSettings carbon;
  bool estimate = false;  // any codec is
};
// Throws Error for no codecs, no or non-positive N, or a codec name given twice.
LifecycleResult compute_lifecycle(const std::vector<CodecLifecycle>& codecs, const std::vector<double>& images,
                                  const CarbonSettings& carbon);

}  // namespace nicenergy
