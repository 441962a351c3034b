#include "cli/measure_output.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "io/files.h"
#include "meters/estimate_label.h"
#include "meters/trace_csv.h"
#include "protocol/resolution.h"
#include "protocol/results_csv.h"

namespace nicenergy::cli {

void prepare_trace_output(const std::string& trace_output) {
  if (trace_output.empty()) return;
  const std::string what = "trace file '" + trace_output + "'";
  check_output_file(trace_output, what, true);
  const std::filesystem::path folder = std::filesystem::path(trace_output).parent_path();
  // A file that exists (or a device: /dev/null) is written in place; only a new one needs its folder.
  std::error_code ec;
  if (!std::filesystem::exists(trace_output, ec) && !folder.empty())
    prepare_output_folder(folder.string(), "folder '" + folder.string() + "' of the " + what);
}

std::optional<WriteError> write_trace(const std::string& trace_output, const ProtocolResult& result) {
  if (trace_output.empty()) return std::nullopt;
  try {
    write_trace_csv(trace_output, result.samples, result.windows);
  } catch (const WriteError& e) {
    return e;
  }
  return std::nullopt;
}

void print_protocol_lines(const MeasurementRecord& record, const ProtocolResult& result, double confidence,
                          const char* unit) {
  const std::string estimate_tag = std::string("  (") + kEstimateWord + ": " + kEstimateHow + ")";
  std::printf("preheat        %s after %.1f s\n", to_string(result.preheat.outcome).c_str(), result.preheat.duration_s);
  // M may have grown between windows (a recalibration): its range then.
  int64_t m_low = record.m, m_high = record.m;
  for (const WindowMeasurement& w : result.windows) m_low = std::min(m_low, w.m), m_high = std::max(m_high, w.m);
  const std::string m_text =
      std::to_string(m_low) + (m_high > m_low ? " to " + std::to_string(m_high) : std::string());
  std::printf("windows        K = %d of M = %s %ss (%s)\n", record.k, m_text.c_str(), unit, to_string(result.stop).c_str());
  if (record.bpp && record.psnr_db)
    std::printf("rate, PSNR     %.4f bpp (the bitstream), %.2f dB%s\n", *record.bpp, *record.psnr_db,
                record.ms_ssim ? (", MS-SSIM " + std::to_string(*record.ms_ssim).substr(0, 6)).c_str() : "");
  std::printf("mean power     %.3f W\n", record.mean_power_w);
  std::printf("time           %.4f s per %s\n", record.duration_s, unit);
  std::printf("dynamic energy %.6g J +- %.2g J per %s (%.0f %% CI, %.2f %%)%s%s\n", record.energy_j, record.energy_ci_j,
              unit, 100 * confidence, 100 * result.ci_relative,
              result.estimate ? estimate_tag.c_str() : "",
              energy_resolved(record.energy_j, record.energy_ci_j)
                  ? ""
                  : "  NOT RESOLVED: the interval reaches zero or below (see the warning)");
}

}  // namespace nicenergy::cli
