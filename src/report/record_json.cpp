// The measurement record, the protocol's result and the device state as JSON
// (measure --json): serialising apart from measuring.
#include "report/record_json.h"

#include "protocol/settings.h"

namespace nicenergy {
namespace {

template <typename T>
nlohmann::json opt(const std::optional<T>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

}  // namespace

nlohmann::json to_json(const MeasurementRecord& r) {
  return nlohmann::json{{"network", r.network}, {"abbr", r.abbr}, {"quality", r.quality}, {"level", r.level},
                        {"image", r.image}, {"width", r.width}, {"height", r.height}, {"pixels", r.pixels},
                        {"padded_width", r.padded_width}, {"padded_height", r.padded_height},
                        {"energy_j", r.energy_j}, {"energy_ci_j", r.energy_ci_j}, {"k", r.k}, {"m", r.m},
                        {"duration_s", r.duration_s}, {"idle_power_w", r.idle_power_w},
                        {"mean_power_w", r.mean_power_w}, {"meter", r.meter}, {"method", r.method},
                        {"device", r.device}, {"started_at", r.started_at}, {"libtorch", r.libtorch},
                        {"cuda", r.cuda}, {"cudnn", r.cudnn}, {"threads", r.threads}};
}

nlohmann::json to_json(const DeviceState& s) {
  return {{"name", s.name},
          {"driver_version", s.driver_version},
          {"temperature_c", opt(s.temperature_c)},
          {"sm_clock_mhz", opt(s.sm_clock_mhz)},
          {"mem_clock_mhz", opt(s.mem_clock_mhz)},
          {"performance_state", opt(s.performance_state)},
          {"gpu_utilization_pct", opt(s.gpu_utilization_pct)},
          {"mem_utilization_pct", opt(s.mem_utilization_pct)},
          {"power_limit_w", opt(s.power_limit_w)}};
}

nlohmann::json to_json(const ProtocolResult& r) {
  nlohmann::json windows = nlohmann::json::array();
  for (const WindowMeasurement& w : r.windows)
    windows.push_back({{"index", w.index}, {"start_s", w.start_s}, {"end_s", w.end_s}, {"length_s", w.length_s()},
                       {"exec_s", w.exec_s}, {"m", w.m}, {"energy_j", w.energy_j},
                       {"dynamic_energy_j", w.dynamic_energy_j}, {"mean_power_w", w.mean_power_w},
                       {"counter_energy_j", opt(w.counter_energy_j)}, {"samples_energy_j", opt(w.samples_energy_j)},
                       {"counter_dynamic_j", opt(w.counter_dynamic_j)}, {"samples_dynamic_j", opt(w.samples_dynamic_j)},
                       {"samples", w.samples}});
  return {
      {"meter", r.meter},
      {"method", to_string(r.method)},
      {"estimate", r.estimate},
      {"meter_metadata", r.meter_metadata},
      {"config", settings_to_json(r.config)},
      {"counter_update_s", r.counter_update_s},
      {"started_s", r.started_s},
      {"finished_s", r.finished_s},
      {"idle", {{"start_s", r.idle.start_s}, {"end_s", r.idle.end_s}, {"idle_power_w", r.idle.idle_power_w},
                {"counter_power_w", opt(r.idle.counter_power_w)}, {"samples_power_w", opt(r.idle.samples_power_w)},
                {"method", r.idle.method ? to_string(*r.idle.method) : "given"}, {"samples", r.idle.samples}}},
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
