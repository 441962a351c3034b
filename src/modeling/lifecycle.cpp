#include "modeling/lifecycle.h"

#include <cmath>
#include <cstdio>
#include <set>

#include "error.h"
#include "io/numbers.h"

namespace nicenergy {

const char* CarbonSettings::grid_intensity_source() {
  return "world average carbon intensity of electricity generation in 2022, 436 gCO2/kWh (Ember, Global Electricity "
         "Review 2023, https://ember-climate.org/insights/research/global-electricity-review-2023/)";
}
const char* CarbonSettings::pue_source() {
  return "average annual PUE of the largest data centres of the respondents, 1.56 (Uptime Institute, Global Data "
         "Center Survey 2024, https://uptimeinstitute.com/resources/research-and-reports/uptime-institute-global-"
         "data-center-survey-results-2024)";
}

static std::string short_number(double value) {
  char text[64];
  std::snprintf(text, sizeof text, "%.4g", value);
  return text;
}

double full_cycle_energy_j(double training_energy_j, double inference_energy_per_image_j, double images) {
  if (!(images > 0) || !std::isfinite(images))
    throw Error("number of images " + number_text(images) + " is not positive: E_full(N) needs N > 0");
  if (training_energy_j < 0 || inference_energy_per_image_j < 0)
    throw Error("negative energy (training " + number_text(training_energy_j) + " J, per image " +
                number_text(inference_energy_per_image_j) + " J): check the inputs");
  const double full_j = training_energy_j + images * inference_energy_per_image_j;
  // inf would print as "inf" and go into JSON as null: no energy of a real codec is that large.
  if (!std::isfinite(full_j))
    throw Error("E_full = E_train + N x E_infer overflows a double (training " + number_text(training_energy_j) +
                " J, per image " + number_text(inference_energy_per_image_j) + " J, N = " + number_text(images) +
                "): no real energy is that large; check the inputs");
  return full_j;
}

BreakEven break_even(const CodecLifecycle& a_in, const CodecLifecycle& b_in) {
  BreakEven r;
  r.codec_a = a_in.codec;
  r.codec_b = b_in.codec;
  // a: the cheaper (or equal) to train.
  const bool swap = b_in.training_energy_j < a_in.training_energy_j;
  const CodecLifecycle& a = swap ? b_in : a_in;
  const CodecLifecycle& b = swap ? a_in : b_in;
  const double dt = b.training_energy_j - a.training_energy_j;                      // >= 0
  const double di = a.inference_energy_per_image_j - b.inference_energy_per_image_j;  // > 0: b cheaper per image
  if (dt > 0 && di > 0) {
    const double n = dt / di;
    if (!std::isfinite(n))
      throw Error(a.codec + " vs " + b.codec + ": the break-even N* = " + number_text(dt) + " J / " + number_text(di) +
                  " J overflows a double: check the inputs");
    r.break_even_images = n;
    r.cheaper_below = a.codec;
    r.cheaper_above = b.codec;
    r.text = a.codec + " vs " + b.codec + ": break-even at N* = " + short_number(n) + " images (" + a.codec +
             " uses less energy below, " + b.codec + " above)";
    return r;
  }
  if (dt == 0 && di == 0) {
    r.text = a.codec + " vs " + b.codec + ": equal training and per-image energy: no break-even";
    return r;
  }
  // Not worse in either: a when it is also no dearer per image, else b
  // (equal to train, cheaper per image).
  r.dominant = di <= 0 ? a.codec : b.codec;
  const std::string other = r.dominant == a.codec ? b.codec : a.codec;
  r.cheaper_below = r.cheaper_above = r.dominant;
  r.text = a.codec + " vs " + b.codec + ": " + r.dominant + " needs no more energy than " + other +
           " to train nor per image, so it uses less at every N: no break-even";
  return r;
}

std::vector<BreakEven> break_evens(const std::vector<CodecLifecycle>& codecs) {
  std::vector<BreakEven> out;
  for (size_t i = 0; i < codecs.size(); ++i)
    for (size_t j = i + 1; j < codecs.size(); ++j) out.push_back(break_even(codecs[i], codecs[j]));
  return out;
}

void check_carbon_settings(const CarbonSettings& s) {
  if (!std::isfinite(s.grid_intensity_g_per_kwh) || s.grid_intensity_g_per_kwh < 0)
    throw Error("grid intensity " + number_text(s.grid_intensity_g_per_kwh) +
                " gCO2e/kWh is not a grid intensity: give 0 or more");
  if (!std::isfinite(s.pue) || s.pue < 1)
    throw Error("PUE " + number_text(s.pue) +
                " is not a PUE: facility energy over IT energy is 1 or more (1: no data-centre overhead)");
}

double co2e_kg(double energy_j, const CarbonSettings& s) {
  check_carbon_settings(s);
  const double kwh = energy_j / 3.6e6;
  return kwh * s.pue * s.grid_intensity_g_per_kwh / 1000.0;
}

LifecycleResult compute_lifecycle(const std::vector<CodecLifecycle>& codecs, const std::vector<double>& images,
                                  const CarbonSettings& carbon) {
  if (codecs.empty()) throw Error("no codecs: give training and inference energy for at least one");
  if (images.empty()) throw Error("no numbers of images: give --images N,...");
  check_carbon_settings(carbon);
  std::set<std::string> names;
  LifecycleResult result;
  result.carbon = carbon;
  for (const CodecLifecycle& c : codecs) {
    if (!names.insert(c.codec).second) throw Error("codec " + c.codec + " given twice: give each codec once");
    LifecycleRow row;
    row.codec = c;
    row.training_co2e_kg = co2e_kg(c.training_energy_j, carbon);
    for (double n : images) {
      const double e = full_cycle_energy_j(c.training_energy_j, c.inference_energy_per_image_j, n);
      row.points.push_back({n, e, co2e_kg(e, carbon)});
    }
    result.estimate = result.estimate || c.estimate;
    result.rows.push_back(row);
  }
  result.break_evens = break_evens(codecs);
  return result;
}

}  // namespace nicenergy
