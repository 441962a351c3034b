// The report of a campaign: the paper's figures (via gnuplot, SVG and PNG),
// Tables 1 and 2 (Markdown and CSV) and an index.html that gathers them.
// The .gp scripts and .dat files stay in the folder so figures can be restyled:
// `cd OUT && gnuplot fig2_energy_low.gp`.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "bandwidth/bandwidth_json.h"
#include "modeling/fit.h"
#include "modes/mode_results.h"
#include "protocol/record.h"

namespace nicenergy {

struct ReportOptions {
  std::string gnuplot = "gnuplot";  // program run on each .gp script (a name on PATH or a path)
  // Records of the codec's stages other than the chain (measure --stage, the
  // campaign's `stages`): the encode-against-decode table and Fig. 4. The
  // figures and fits above model the chain alone.
  std::vector<MeasurementRecord> stage_records;
  // The matched quality of the rate-distortion table (rd_table): unset, the
  // PSNR of the lowest-PSNR learned-codec point, else 32 dB.
  std::optional<double> target_psnr_db;
  // Rows of `nicenergy modes --output` (report --modes): the modes table and
  // Fig. 5, energy against output deviation with the Pareto front, per
  // network, quality, image and device.
  std::vector<ModeRow> mode_rows;
  // Files of `nicenergy bandwidth --format json` (report --bandwidth): one
  // per-layer activation-bytes figure each, float32 against coded.
  std::vector<BandwidthFile> bandwidths;
};

struct ReportResult {
  std::vector<std::string> files;     // file names written, relative to out_dir
  std::vector<std::string> warnings;  // e.g. gnuplot missing: tables and page written, figures not
};

// Writes into out_dir (created if needed):
//   fig1_power.{gp,dat,svg,png}            power over time, windows shaded (only with trace_csv)
//   fig2_energy_<level>.{gp,dat,svg,png}   E over S per level, error bars energy_ci_j, fitted lines
//   fig3_alpha_kmac.{gp,dat,svg,png}       alpha over kMAC/pixel with the Sec. 5 line
//   fig3_alpha_kmac_2nd.{...}              the same over kMAC/pixel up to the 2nd downsampling
//   table1_complexity.{md,csv}             params, kMAC/px, kMAC/px 2nd and measured alpha
//   table2_fits.{md,csv}                   format_fit_table
//   stages.{md,csv}, fig4_stages.{...}     encode against decode, entropy shares (with stage records)
//   rd_points.csv, rd_table.{md,csv}       rate, distortion and energy per codec-quality, matched
//   rd_psnr.{...}, rd_energy.{...}         quality and BD-rate against JPEG (records with bpp and psnr_db)
//   modes.{md,csv}, fig5_modes[_N].{...}   energy against output deviation per mode (options.mode_rows)
//   fig6_bandwidth[_N].{...}               activation bytes per layer, raw and coded (options.bandwidths)
//   index.html                             all of it, with meter, method and an ESTIMATE banner
// trace_csv empty means no Fig. 1. A figure without data (no complexity rows,
// say) is skipped with a warning. Without gnuplot, tables and page are written
// and a warning returned; nothing is thrown for that. Throws nicenergy::Error
// for no records (neither of the chain nor of a stage), an unreadable trace, or
// an out_dir that cannot be written.
ReportResult write_report(const std::vector<MeasurementRecord>& records, const FitResult& fit,
                          const std::vector<ComplexityRow>& complexity, const std::string& trace_csv,
                          const std::string& out_dir, const ReportOptions& options = {});

// The records of one device model (protocol/record_groups.h) and their fit.
struct ReportGroup {
  std::string name;  // "NVIDIA H100 80GB HBM3": in titles and on the page
  std::string slug;  // "NVIDIA_H100_80GB_HBM3": in file names
  std::vector<MeasurementRecord> records;
  FitResult fit;
};

// One group: the report above, file names and titles as there. Several (a
// mixed cluster): Fig. 2, Fig. 3 and Tables 1 and 2 once per group, each file
// name ending in _SLUG (fig2_energy_low_NVIDIA_H100_80GB_HBM3.svg,
// table2_fits_NVIDIA_H100_80GB_HBM3.md) and each title naming the group; Fig. 1
// and index.html once, the page with a section per group.
ReportResult write_report(const std::vector<ReportGroup>& groups, const std::vector<ComplexityRow>& complexity,
                          const std::string& trace_csv, const std::string& out_dir, const ReportOptions& options = {});

}  // namespace nicenergy
