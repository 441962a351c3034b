// The parts write_report puts together, one file each: Fig. 1 to 3
// (fig*_*.cpp), Table 1 (table1.cpp), the page (html_page.cpp). Internal to
// src/report/.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "meters/trace_csv.h"
#include "modeling/fit.h"
#include "protocol/record.h"
#include "report/image_label.h"
#include "report/report.h"
#include "report/text_table.h"

namespace nicenergy {

// The report folder: every file goes through write() so that ReportResult
// lists it, and every figure title carries title_note (the estimate label).
struct ReportFolder {
  std::filesystem::path dir;
  ReportResult* result;
  std::string title_note;
  void write(const std::string& name, const std::string& text);  // throws nicenergy::Error when it cannot
};

// One figure: its file stem (stem.gp, .dat, .svg, .png) and its caption on the page.
struct Figure {
  std::string stem;
  std::string caption;
};

// Some energy is a CPU-time estimate (method or meter "estimate"): every figure,
// table and the page then say so.
bool any_estimate(const std::vector<MeasurementRecord>& records);
// Some host-CPU energy beside a GPU (the stage table's host columns) is the
// CPU-time estimate, while the device's own energies may be measured.
bool any_host_estimate(const std::vector<MeasurementRecord>& records);

const EnergyFit* find_fit(const FitResult& fit, const std::string& abbr, const std::string& level);

// "256x128": the size said beside image_label (report/image_label.h).
std::string size_label(const MeasurementRecord& r);

// The answer first (energy_table.cpp): one row per measurement, energy per
// image, per megapixel, the interval's half-width and the windows K, sorted by
// network, level, quality and size; the meter column says ESTIMATE for estimates.
TextTable energy_table(const std::vector<MeasurementRecord>& records);

// fig1_power.{gp,dat}: power over time with the measurement windows shaded;
// point names the measurement the trace belongs to ("Bfac q1 (low level),
// 256x128"), or says it is not known.
void write_fig1_power_trace(ReportFolder& w, const std::vector<TracePoint>& trace, const std::string& point);
// stem.{gp,dat}: E over S at one level, error bars energy_ci_j, the Eq. (2) lines.
void write_fig2_energy_over_pixels(ReportFolder& w, const std::vector<MeasurementRecord>& records,
                                   const FitResult& fit, const std::string& level, const std::string& stem);
// stem.{gp,dat}: alpha over kMAC/pixel (use_2nd: up to the 2nd downsampling)
// with the Sec. 5 line. False, writing nothing, when no fit has a kMAC point.
bool write_fig3_alpha_over_kmac(ReportFolder& w, const FitResult& fit, const std::vector<KmacPoint>& points,
                                bool use_2nd, const std::string& stem);

// Table 1: params, kMAC/px, kMAC/px 2nd and measured alpha per network-level.
TextTable table1(const FitResult& fit, const std::vector<ComplexityRow>& complexity);

// Encode against decode (stage_table.cpp): one row per point measured in a
// stage besides the chain; chain, encode and decode energies, decode/encode,
// the entropy side's share of each side, and the stages' kMAC per pixel.
bool has_stage_records(const std::vector<MeasurementRecord>& records);
TextTable stage_table(const std::vector<MeasurementRecord>& records);
// stem.{gp,dat}: each network-quality's stages in energy per megapixel (mean
// over its images), clustered bars. False, writing nothing, without stage records.
bool write_fig4_stages(ReportFolder& w, const std::vector<MeasurementRecord>& records, const std::string& stem);

// Table 2 for the page: one row per fit, both MREs (fit_tables.cpp).
TextTable table2_html(const FitResult& fit);

struct RdSection;  // rd_report.h

// What index.html shows besides the records and the fits.
struct PageParts {
  std::vector<Figure> figures;        // all of them, Fig. 1 included
  std::vector<std::string> failed;    // stems of figures not drawn
  std::vector<std::string> warnings;  // the first says why figures were not drawn
  std::vector<std::string> notes;
  bool has_trace = false;
  const TextTable* table1 = nullptr;  // the one-group html_page below only
  const TextTable* energy = nullptr;  // the answer, first on the page (energy_table)
  const TextTable* stages = nullptr;  // encode against decode; null without stage records
  const RdSection* rd = nullptr;  // rate, distortion and energy; null without records with bpp and psnr_db
  const TextTable* modes = nullptr;  // energy modes; null without mode rows
  bool bandwidth = false;            // per-layer activation bytes (fig6_*)
};

// One device model's part of the page: its figures, fit and tables.
struct PageGroup {
  std::string name;                   // "" for a report of one group: the page without a group heading
  std::string suffix;                 // of its file names: "" or "_SLUG"
  const FitResult* fit = nullptr;
  std::vector<Figure> figures;        // its Fig. 2 and Fig. 3
  const TextTable* table1 = nullptr;  // nullptr without complexity rows
};
std::string html_page(const std::vector<MeasurementRecord>& records, const std::vector<PageGroup>& groups,
                      const PageParts& parts);
// The page of one group: its figures are parts.figures, its Table 1 parts.table1.
std::string html_page(const std::vector<MeasurementRecord>& records, const FitResult& fit, const PageParts& parts);

}  // namespace nicenergy
