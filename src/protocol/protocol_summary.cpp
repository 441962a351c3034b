// From windows to the result and the record: energies per execution, their
// interval, the unresolved-energy warning, and the record's fields.
#include "protocol/protocol.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "error.h"
#include "io/numbers.h"
#include "meters/power_integral.h"
#include "protocol/protocol_detail.h"
#include "protocol/resolution.h"
#include "protocol/settings.h"

namespace nicenergy {

namespace protocol_detail {

std::optional<double> per_execution(const std::vector<WindowMeasurement>& windows,
                                    const std::function<std::optional<double>(const WindowMeasurement&)>& value) {
  double sum = 0;
  int64_t executions = 0;
  for (const WindowMeasurement& w : windows) {
    const std::optional<double> v = value(w);
    if (!v) return std::nullopt;
    sum += *v * static_cast<double>(w.m);
    executions += w.m;
  }
  return executions > 0 ? std::optional<double>(sum / static_cast<double>(executions)) : std::nullopt;
}

namespace {

// A dynamic energy whose interval reaches zero is not resolved above the idle
// power: said in the warnings (the record's too), never passed as a number like any other.
void warn_unresolved(ProtocolResult& r) {
  if (r.k == 0 || energy_resolved(r.energy_j, r.energy_ci_j)) return;
  char text[400];
  std::snprintf(text, sizeof text,
                "dynamic energy %.4g J +- %.2g J per execution reaches zero or below: the executions are not "
                "resolved above the idle power (%.4g W, %s reference); lengthen the idle reference (idle_s) and "
                "the windows (window_s), and check that nothing else ran",
                r.energy_j, r.energy_ci_j, r.idle_power_w, r.idle_reference.c_str());
  r.warnings.push_back(text);
}

}  // namespace

// The run's numbers from its windows: energy and time per execution, their
// interval, powers, shares and warnings.
void summarize_windows(ProtocolResult& r, const StopDecision& decision) {
  r.k = static_cast<int>(r.windows.size());
  r.stop = decision.outcome;
  auto dynamic = [](const WindowMeasurement& w) -> std::optional<double> { return w.dynamic_energy_j; };
  r.energy_j = per_execution(r.windows, dynamic).value_or(0);
  // The interval is the windows' (one value each, as K is chosen); with equal M
  // its centre, their plain mean, is energy_j.
  r.energy_ci_j = decision.ci.n >= 2 ? decision.ci.half_width : 0;
  r.ci_relative = decision.ci.n >= 2 ? decision.relative_half_width : 0;
  if (r.idle_cold) r.energy_cold_j = per_execution(r.windows, [](const WindowMeasurement& w) { return w.cold_dynamic_j; });
  if (r.idle_hot) r.energy_hot_j = per_execution(r.windows, [](const WindowMeasurement& w) { return w.hot_dynamic_j; });
  double energy_j = 0, length_s = 0, exec_s = 0, memory_j = 0, exec_j = 0;
  int64_t executions = 0;
  bool all_memory = r.k > 0;
  for (const WindowMeasurement& w : r.windows) {
    energy_j += w.energy_j;
    length_s += w.length_s();
    exec_s += w.exec_s;
    executions += w.m;
    all_memory = all_memory && w.memory_energy_j.has_value();
    if (w.memory_energy_j) memory_j += *w.memory_energy_j;
    exec_j += w.exec_energy_j;
    r.warnings.insert(r.warnings.end(), w.warnings.begin(), w.warnings.end());
  }
  if (all_memory && exec_j > 0) r.memory_share = memory_j / exec_j;
  r.mean_power_w = length_s > 0 ? energy_j / length_s : 0;
  // The executions' time over their number: M may differ between windows.
  r.duration_s = executions > 0 ? exec_s / static_cast<double>(executions) : 0;
  // GPM: a metric's mean over the windows, weighted by their executions' time, where every window has it.
  auto gpm_mean = [&](std::optional<double> GpmMetrics::*field) -> std::optional<double> {
    double sum = 0, weight = 0;
    for (const WindowMeasurement& w : r.windows) {
      if (!(w.gpm.*field)) return std::nullopt;
      sum += *(w.gpm.*field) * w.exec_s;
      weight += w.exec_s;
    }
    return weight > 0 ? std::optional<double>(sum / weight) : std::nullopt;
  };
  r.gpm.dram_bw_util_pct = gpm_mean(&GpmMetrics::dram_bw_util_pct);
  r.gpm.sm_util_pct = gpm_mean(&GpmMetrics::sm_util_pct);
  r.gpm.tensor_util_pct = gpm_mean(&GpmMetrics::tensor_util_pct);
  warn_unresolved(r);
}

}  // namespace protocol_detail

void fill_measured_fields(MeasurementRecord& r, const std::string& image, int width, int height, int padded_width,
                          int padded_height, const ProtocolResult& result, const std::string& device_description,
                          const std::string& started_at) {
  r.image = image;
  r.width = width;
  r.height = height;
  r.pixels = static_cast<int64_t>(width) * height;
  r.padded_width = padded_width;
  r.padded_height = padded_height;
  fill_record(result, r);
  r.device = device_description;
  r.started_at = started_at;
}

void fill_record(const ProtocolResult& r, MeasurementRecord& record) {
  record.energy_j = r.energy_j;
  record.energy_ci_j = r.energy_ci_j;
  record.k = r.k;
  record.m = r.m;
  record.duration_s = r.duration_s;
  record.idle_power_w = r.idle_power_w;
  record.mean_power_w = r.mean_power_w;
  record.meter = r.meter;
  record.method = to_string(r.method);
  record.idle_reference = r.idle_reference;
  if (r.idle_cold && r.idle_cold->method) record.idle_cold_power_w = r.idle_cold->idle_power_w;
  if (r.idle_hot) record.idle_hot_power_w = r.idle_hot->idle_power_w;
  if (r.idle_cold && r.idle_cold->method) record.energy_cold_j = r.energy_cold_j;
  record.energy_hot_j = r.energy_hot_j;
  record.memory_share = r.memory_share;
  record.dram_bw_util_pct = r.gpm.dram_bw_util_pct;
  record.sm_util_pct = r.gpm.sm_util_pct;
  record.tensor_util_pct = r.gpm.tensor_util_pct;
  record.host_meter = r.host_meter;
  record.host_idle_power_w = r.host_idle_power_w;
  record.host_energy_j = r.host_energy_j;
  record.warnings.clear();
  for (const std::string& w : r.warnings) record.warnings += (record.warnings.empty() ? "" : "; ") + w;
}

}  // namespace nicenergy
