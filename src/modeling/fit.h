// Energy models after Herglotz et al., "Processing energy modeling for neural
// network based image compression" (ICIP):
//   Eq. (2)  E = alpha * S + beta      per network and parameter level,
//            S = width * height pixels, E = dynamic energy per execution (J);
//   Eq. (3)  MRE = (1/n) * sum |E_pred - E_meas| / E_meas;
//   Sec. 5   alpha = slope * kMAC/pixel + offset across networks and levels.
// Torch-free: the kMAC numbers come from the caller (the complexity module).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "complexity/complexity_types.h"
#include "protocol/record.h"
#include "stats/stats.h"

namespace nicenergy {

// Eq. (2) of Herglotz et al. (ICIP): E = alpha * S + beta, the energy (J) of one execution
// on S = width x height pixels. Every modelled energy (fit, cross-validation,
// prediction) is computed here.
double model_energy_j(double alpha_j_per_pixel, double beta_j, double pixels);

// Eq. (3) of Herglotz et al. (ICIP): MRE = (1/n) * sum |E_pred - E_meas| / E_meas, as a
// fraction (0.05 = 5 %). Throws on empty input or a zero measurement.
double mean_relative_error(const std::vector<double>& predicted, const std::vector<double>& measured);

// One network at one parameter level: Eq. (2) fitted over all its images and
// qualities at that level.
struct EnergyFit {
  std::string network;           // CompressAI name
  std::string abbr;              // "Bfac", ...
  std::string level;             // "low" or "high"
  int n = 0;                     // measurements in the fit
  double alpha_j_per_pixel = 0;  // slope, J per pixel
  double beta_j = 0;             // offset, J
  double pearson = 0;            // correlation of E and S
  double mre = 0;                // Eq. (3) under 10-fold cross-validation, fraction
  double mre_in_sample = 0;      // Eq. (3) of the fit on all points, fraction
  // The image sizes the fit was measured on, pixels; 0: unknown (files written
  // before they were recorded). Outside them a prediction extrapolates.
  double min_pixels = 0;
  double max_pixels = 0;
};

// What a reader of a fit must be told about its line: a negative beta (a fixed
// cost cannot be negative), and a line that crosses zero inside the measured
// sizes (it predicts negative energies for some of them). One sentence each,
// naming the network and level; empty when the line is sound.
std::vector<std::string> fit_line_warnings(const EnergyFit& fit);
// The same for every fit of a result, in its order.
std::vector<std::string> fit_line_warnings(const std::vector<EnergyFit>& fits);

// alpha against kMAC per pixel (Sec. 5), one point per network and level.
struct KmacFit {
  double slope = 0;          // J per pixel per (kMAC per pixel)
  double offset = 0;         // J per pixel
  double pearson = 0;
  double mre = 0;            // Eq. (3) on alpha, leave-one-out, fraction
  double mre_in_sample = 0;  // Eq. (3) on alpha, fit on all points, fraction
  int n = 0;                 // networks x levels in the fit
  double min_kmac = 0;       // the kMAC per pixel the line was fitted over; 0: unknown
  double max_kmac = 0;
};

struct FitResult {
  std::vector<EnergyFit> fits;                  // sorted by network order of the paper, then level
  std::optional<KmacFit> alpha_vs_kmac;         // against kMAC/pixel of the whole network
  std::optional<KmacFit> alpha_vs_kmac_2nd;     // against kMAC/pixel up to the 2nd downsampling
  std::vector<std::string> notes;               // why a kMAC fit is absent; not in the JSON
  bool estimate = false;                        // fitted to estimated energies (method "estimate")
};


// One network-level point for the alpha-vs-kMAC fit.
struct KmacPoint {
  std::string abbr;
  std::string level;
  double kmac_per_px = 0;
  double kmac_per_px_2nd = 0;
  bool has_2nd = true;  // every row of the point has kmac_per_px_2nd
};

// One point per (abbr, level): the mean over its qualities (all qualities of a
// level share N and M, so they agree up to padding).
std::vector<KmacPoint> kmac_points(const std::vector<ComplexityRow>& rows);

// Cross-validation folds of Eq. (3), fixed so that results are reproducible:
// the points of a group are ranked by (pixels, width, image, quality, energy_j)
// and the point of rank i goes to fold i mod 10. With fewer than 10 points this
// is leave-one-out. Returns the fold of each record, in the input order.
std::vector<int> cv_folds(const std::vector<MeasurementRecord>& group);

// Eq. (2) per (network, level) with Pearson and both MREs. Throws
// nicenergy::Error for empty input, records of more than one device model
// (device_model(): group them first, see record_groups.h), a group with fewer than 3 measurements or a
// single distinct image size, or a cross-validation fold whose training points
// all share one size.
std::vector<EnergyFit> fit_energy(const std::vector<MeasurementRecord>& records);

// alpha = slope * kMAC + offset over the fits that have a kMAC point (matched on
// abbr and level). use_2nd picks kmac_per_px_2nd (points without it are left
// out). Throws nicenergy::Error
// with fewer than 3 matched network-levels or kMAC values all equal.
KmacFit fit_alpha_vs_kmac(const std::vector<EnergyFit>& fits, const std::vector<KmacPoint>& points,
                          bool use_2nd);

// fit_energy, then both kMAC fits where possible; a kMAC fit that is not
// possible is left empty with a line in notes (an empty `points` gives a note too).
FitResult fit_models(const std::vector<MeasurementRecord>& records, const std::vector<KmacPoint>& points);

// fit_models for a report that also shows rate and distortion (issue 17):
// legacy codecs measured at one image size, or a learned codec at one point for
// its RD point, have no Eq. (2) line, and the rest of the report should not be
// lost for them. A network-level that cannot be fitted is left out with a note
// (its error, "(left out of the fits)"); the checks across groups (empty
// input, several device models, a point measured twice) still throw.
FitResult fit_models_skipping(const std::vector<MeasurementRecord>& records, const std::vector<KmacPoint>& points);

}  // namespace nicenergy
