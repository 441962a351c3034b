// The measurement record, the protocol's result and the device state as JSON
// (measure --json): serialising apart from measuring.
#include "report/record_json.h"

#include "protocol/record_columns.h"
#include "protocol/settings.h"

namespace nicenergy {
namespace {

template <typename T>
nlohmann::ordered_json opt(const std::optional<T>& v) {
  return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json(nullptr);
}

}  // namespace

// Keys in the order of the results CSV's columns (measurement_columns()), as
// documented; ordered_json keeps it (nlohmann::json would sort them).
nlohmann::ordered_json to_json(const MeasurementRecord& r) {
  using R = MeasurementRecord;
  nlohmann::ordered_json j;
  for (const RecordColumn& c : record_columns()) {
    if (const auto* text = std::get_if<std::string R::*>(&c.field))
      j[c.name] = (r.**text).empty() && *c.empty_means ? std::string(c.empty_means) : r.**text;
    else if (const auto* whole = std::get_if<int R::*>(&c.field))
      j[c.name] = r.**whole;
    else if (const auto* whole64 = std::get_if<int64_t R::*>(&c.field))
      j[c.name] = r.**whole64;
    else if (const auto* number = std::get_if<double R::*>(&c.field))
      j[c.name] = r.**number;
    else
      j[c.name] = opt(r.*std::get<std::optional<double> R::*>(c.field));
  }
  return j;
}

nlohmann::ordered_json to_json(const DeviceState& s) {
  return {{"name", s.name},
          {"driver_version", s.driver_version},
          {"temperature_c", opt(s.temperature_c)},
          {"sm_clock_mhz", opt(s.sm_clock_mhz)},
          {"mem_clock_mhz", opt(s.mem_clock_mhz)},
          {"performance_state", opt(s.performance_state)},
          {"gpu_utilization_pct", opt(s.gpu_utilization_pct)},
          {"mem_utilization_pct", opt(s.mem_utilization_pct)},
          {"power_limit_w", opt(s.power_limit_w)},
          {"clock_event_reasons", opt(s.clock_event_reasons)},
          {"clock_event_reasons_text", s.clock_event_reasons ? clock_event_reasons_text(*s.clock_event_reasons) : ""},
          {"other_processes", opt(s.other_processes)}};
}

namespace {

nlohmann::ordered_json idle_json(const IdleReference& idle) {
  return {{"start_s", idle.start_s}, {"end_s", idle.end_s}, {"idle_power_w", idle.idle_power_w},
          {"counter_power_w", opt(idle.counter_power_w)}, {"samples_power_w", opt(idle.samples_power_w)},
          {"method", idle.method ? to_string(*idle.method) : "given"}, {"samples", idle.samples},
          {"start_temperature_c", opt(idle.start_temperature_c)}, {"end_temperature_c", opt(idle.end_temperature_c)},
          {"host_idle_power_w", opt(idle.host_idle_power_w)}};
}

}  // namespace

nlohmann::ordered_json to_json(const ProtocolResult& r) {
  nlohmann::ordered_json windows = nlohmann::ordered_json::array();
  for (const WindowMeasurement& w : r.windows)
    windows.push_back({{"index", w.index}, {"start_s", w.start_s}, {"end_s", w.end_s}, {"length_s", w.length_s()},
                       {"exec_s", w.exec_s}, {"m", w.m}, {"energy_j", w.energy_j},
                       {"dynamic_energy_j", w.dynamic_energy_j}, {"mean_power_w", w.mean_power_w},
                       {"counter_energy_j", opt(w.counter_energy_j)}, {"samples_energy_j", opt(w.samples_energy_j)},
                       {"counter_dynamic_j", opt(w.counter_dynamic_j)}, {"samples_dynamic_j", opt(w.samples_dynamic_j)},
                       {"samples", w.samples},
                       {"exec_start_s", w.exec_start_s}, {"exec_end_s", w.exec_end_s},
                       {"phase_delay_s", w.phase_delay_s}, {"edge_s", w.edge_s}, {"edge_energy_j", w.edge_energy_j},
                       {"exec_energy_j", w.exec_energy_j},
                       {"edge_power_before_w", opt(w.edge_power_before_w)},
                       {"edge_power_after_w", opt(w.edge_power_after_w)},
                       {"cold_dynamic_j", opt(w.cold_dynamic_j)}, {"hot_dynamic_j", opt(w.hot_dynamic_j)},
                       {"warnings", w.warnings},
                       {"memory_energy_j", opt(w.memory_energy_j)}, {"rest_energy_j", opt(w.rest_energy_j)},
                       {"clock_event_reasons", opt(w.clock_event_reasons)}, {"other_processes", opt(w.other_processes)},
                       {"dram_bw_util_pct", opt(w.gpm.dram_bw_util_pct)}, {"sm_util_pct", opt(w.gpm.sm_util_pct)},
                       {"tensor_util_pct", opt(w.gpm.tensor_util_pct)},
                       {"host_energy_j", opt(w.host_energy_j)}, {"host_dynamic_j", opt(w.host_dynamic_j)}});
  nlohmann::ordered_json lags = nlohmann::ordered_json::array();
  for (const FieldLag& l : r.field_lags)
    lags.push_back({{"field", l.field}, {"lag_s", opt(l.lag_s)}, {"before_w", l.before_w}, {"after_w", l.after_w},
                    {"readings", l.readings}});
  return {
      {"meter", r.meter},
      {"method", to_string(r.method)},
      {"estimate", r.estimate},
      {"meter_metadata", r.meter_metadata},
      {"config", settings_to_json(r.config)},
      {"counter_update_s", r.counter_update_s},
      {"started_s", r.started_s},
      {"finished_s", r.finished_s},
      {"idle", idle_json(r.idle)},
      {"idle_reference", r.idle_reference},
      {"idle_cold", r.idle_cold ? idle_json(*r.idle_cold) : nlohmann::ordered_json(nullptr)},
      {"idle_hot", r.idle_hot ? idle_json(*r.idle_hot) : nlohmann::ordered_json(nullptr)},
      {"energy_cold_j", opt(r.energy_cold_j)},
      {"energy_hot_j", opt(r.energy_hot_j)},
      {"field_lags", lags},
      {"warnings", r.warnings},
      {"memory_share", opt(r.memory_share)},
      {"dram_bw_util_pct", opt(r.gpm.dram_bw_util_pct)},
      {"sm_util_pct", opt(r.gpm.sm_util_pct)},
      {"tensor_util_pct", opt(r.gpm.tensor_util_pct)},
      {"host_meter", r.host_meter},
      {"host_estimate", r.host_estimate},
      {"host_idle_power_w", opt(r.host_idle_power_w)},
      {"host_energy_j", opt(r.host_energy_j)},
      {"preheat", {{"outcome", to_string(r.preheat.outcome)}, {"duration_s", r.preheat.duration_s},
                   {"executions", r.preheat.executions}, {"start_temperature_c", opt(r.preheat.start_temperature_c)},
                   {"end_temperature_c", opt(r.preheat.end_temperature_c)}}},
      {"calibration", {{"m", r.calibration.m}, {"duration_s", r.calibration.duration_s},
                       {"timed_executions", r.calibration.timed_executions}, {"timed_s", r.calibration.timed_s},
                       {"recalibrations", r.calibration.recalibrations}}},
      {"windows", windows},
      {"idle_power_w", r.idle_power_w},
      {"mean_power_w", r.mean_power_w},
      {"energy_j", r.energy_j},
      {"energy_ci_j", r.energy_ci_j},
      {"ci_relative", r.ci_relative},
      {"k", r.k},
      {"m", r.m},
      {"duration_s", r.duration_s},
      {"stop", to_string(r.stop)},
      {"state_before", to_json(r.state_before)},
      {"state_after", to_json(r.state_after)},
      {"trace_samples", r.samples.size()},
  };
}

}  // namespace nicenergy
