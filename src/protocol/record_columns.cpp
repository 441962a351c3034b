#include "protocol/record_columns.h"

#include <cstdio>
#include <cstdlib>

#include "io/numbers.h"

namespace nicenergy {

namespace {

using R = MeasurementRecord;

// The shortest of %.15g..%.17g that reads back to the same double.
std::string format_double(double v) {
  char buf[64];
  for (int precision = 15; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

template <class... F>
struct Visit : F... {
  using F::operator()...;
};
template <class... F>
Visit(F...) -> Visit<F...>;

}  // namespace

const std::vector<RecordColumn>& record_columns() {
  static const std::vector<RecordColumn> columns = {
      {"network", &R::network},
      {"abbr", &R::abbr},
      {"quality", &R::quality},
      {"level", &R::level},
      {"image", &R::image},
      {"width", &R::width, false, 1},
      {"height", &R::height, false, 1},
      {"pixels", &R::pixels},
      {"padded_width", &R::padded_width},
      {"padded_height", &R::padded_height},
      {"energy_j", &R::energy_j},
      {"energy_ci_j", &R::energy_ci_j},
      {"k", &R::k},
      {"m", &R::m},
      {"duration_s", &R::duration_s},
      {"idle_power_w", &R::idle_power_w},
      {"mean_power_w", &R::mean_power_w},
      {"meter", &R::meter},
      {"method", &R::method},
      {"device", &R::device},
      {"started_at", &R::started_at},
      {"libtorch", &R::libtorch, true},
      {"cuda", &R::cuda, true},
      {"cudnn", &R::cudnn, true},
      {"threads", &R::threads, true},
      {"idle_reference", &R::idle_reference, true},
      {"idle_cold_power_w", &R::idle_cold_power_w, true},
      {"idle_hot_power_w", &R::idle_hot_power_w, true},
      {"energy_cold_j", &R::energy_cold_j, true},
      {"energy_hot_j", &R::energy_hot_j, true},
      {"warnings", &R::warnings, true},
      {"memory_share", &R::memory_share, true},
      {"kmac_per_px", &R::kmac_per_px, true},
      {"dram_bw_util_pct", &R::dram_bw_util_pct, true},
      {"sm_util_pct", &R::sm_util_pct, true},
      {"tensor_util_pct", &R::tensor_util_pct, true},
      {"stage", &R::stage, true, 0, "chain"},
      {"host_meter", &R::host_meter, true},
      {"host_idle_power_w", &R::host_idle_power_w, true},
      {"host_energy_j", &R::host_energy_j, true},
      {"node", &R::node, true},
      {"slurm_job", &R::slurm_job, true},
      {"gpu", &R::gpu, true},
      {"gpu_uuid", &R::gpu_uuid, true},
      {"bpp", &R::bpp, true},
      {"psnr_db", &R::psnr_db, true},
      {"ms_ssim", &R::ms_ssim, true},
      {"mode", &R::mode, true, 0, "float32"},
  };
  return columns;
}

const std::vector<std::string>& measurement_columns() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const RecordColumn& c : record_columns()) out.push_back(c.name);
    return out;
  }();
  return names;
}

bool is_optional_column(const std::string& column) {
  for (const RecordColumn& c : record_columns())
    if (column == c.name) return c.optional;
  return false;
}

std::string column_text(const MeasurementRecord& r, const RecordColumn& c) {
  return std::visit(Visit{[&](std::string R::*f) { return r.*f; },
                          [&](int R::*f) { return std::to_string(r.*f); },
                          [&](int64_t R::*f) { return std::to_string(r.*f); },
                          [&](double R::*f) { return format_double(r.*f); },
                          [&](std::optional<double> R::*f) {
                            return (r.*f) ? format_double(*(r.*f)) : std::string();
                          }},
                    c.field);
}

void read_column(MeasurementRecord& r, const RecordColumn& c, const std::string& text, const std::string& where) {
  std::visit(Visit{[&](std::string R::*f) { r.*f = text; },
                   [&](int R::*f) { r.*f = parse_integer<int>(text, where, c.min); },
                   [&](int64_t R::*f) { r.*f = parse_integer<int64_t>(text, where, c.min); },
                   [&](double R::*f) { r.*f = parse_double(text, where); },
                   [&](std::optional<double> R::*f) {
                     r.*f = text.empty() ? std::nullopt : std::optional<double>(parse_double(text, where));
                   }},
             c.field);
}

}  // namespace nicenergy
