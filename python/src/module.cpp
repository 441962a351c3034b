// _nicenergy: the Python module's C++ side, on nicenergy_core alone (no
// LibTorch, no torch import). python/nicenergy/__init__.py holds the API;
// this file only crosses the border: meters, windows, the protocol around a
// Python callable, the settings table. The GIL is released while nicenergy
// waits and samples, and taken back to call Python.
#include <nanobind/nanobind.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <iostream>
#include <memory>
#include <string>

#include "error.h"
#include "io/files.h"
#include "meters/power_meter.h"
#include "meters/window.h"
#include "models/zoo.h"
#include "protocol/measurement_session.h"
#include "protocol/progress.h"
#include "protocol/results_csv.h"
#include "protocol/settings.h"
#include "report/record_json.h"

namespace nb = nanobind;
using namespace nicenergy;

namespace {

// Ctrl-C reaches Python only when Python runs: check at every callback.
void check_signals() {
  nb::gil_scoped_acquire gil;
  if (PyErr_CheckSignals() != 0) throw nb::python_error();
}

std::string dumped(const nlohmann::ordered_json& j) { return j.dump(); }

nb::list meters() {
  nb::list out;
  for (const MeterInfo& m : list_meters()) {
    nb::dict row;
    row["name"] = m.name;
    row["available"] = m.available;
    row["detail"] = m.detail;
    out.append(row);
  }
  return out;
}

nb::list protocol_settings_list() {
  nb::list out;
  const ProtocolConfig defaults;
  for (const ProtocolSetting& s : protocol_settings()) {
    nb::dict row;
    row["name"] = s.name;
    row["unit"] = s.unit;
    row["default"] = s.get(defaults);
    row["integer"] = s.integer();
    row["bounds"] = s.bounds_text();
    row["help"] = s.help;
    out.append(row);
  }
  return out;
}

// The settings by the table's names; values checked by the table (Error).
ProtocolConfig protocol_config(const nb::dict& settings) {
  ProtocolConfig config;
  for (auto [key, value] : settings) {
    const std::string name = nb::cast<std::string>(nb::str(key));
    const ProtocolSetting* s = find_protocol_setting(name);
    if (!s) {
      std::string known;
      for (const ProtocolSetting& k : protocol_settings()) known += (known.empty() ? "" : ", ") + k.name;
      throw nb::value_error(("protocol setting '" + name + "' is unknown; known: " + known).c_str());
    }
    try {
      s->set(config, nb::cast<double>(value), "protocol setting " + name);
    } catch (const Error& e) {
      throw nb::value_error(e.what());
    }
  }
  try {
    validate(config);
  } catch (const Error& e) {
    throw nb::value_error(e.what());
  }
  return config;
}

class Monitor {
 public:
  Monitor(const std::string& meter, const std::string& device, double sample_hz) {
    meter_ = open_meter_for(parse_measured_device(device), meter, true, &note_);
    monitor_ = std::make_unique<EnergyMonitor>(*meter_, sample_hz);
  }
  void begin_window(const std::string& name) {
    nb::gil_scoped_release release;
    monitor_->begin_window(name);
  }
  nb::dict end_window(const std::string& name) {
    WindowEnergy w;
    {
      nb::gil_scoped_release release;
      w = monitor_->end_window(name);
    }
    nb::dict d;
    d["name"] = w.name;
    d["duration_s"] = w.duration_s();
    d["method"] = to_string(w.method);
    const auto e = w.energy_j(w.method);
    d["energy_j"] = e ? nb::cast(*e) : nb::none();
    d["counter_energy_j"] = w.counter_energy_j ? nb::cast(*w.counter_energy_j) : nb::none();
    d["samples_energy_j"] = w.samples_energy_j ? nb::cast(*w.samples_energy_j) : nb::none();
    d["samples"] = w.samples;
    return d;
  }
  std::string meter_name() const { return meter_->name(); }
  bool is_estimate() const { return meter_->is_estimate(); }
  const std::string& note() const { return note_; }

 private:
  std::string note_;
  std::unique_ptr<PowerMeter> meter_;
  std::unique_ptr<EnergyMonitor> monitor_;
};

// The protocol around `fn` (and `sync` at every window edge, after each call):
// returns the record's JSON and the protocol's JSON.
nb::tuple measure(nb::callable fn, nb::object sync, const nb::dict& identity, const std::string& device,
                  const std::string& meter, const nb::dict& settings, bool preheat, const std::string& output,
                  bool progress) {
  SessionOptions options;
  try {
    options.device = parse_measured_device(device);
  } catch (const Error& e) {
    throw nb::value_error(e.what());
  }
  options.meter = meter;
  options.protocol = protocol_config(settings);
  options.preheat = preheat;
  if (!output.empty()) check_results_for_append(output);
  const ProgressFn shown = progress ? protocol_progress(options.protocol, std::cerr, stderr_is_tty(), SettingNames::keys) : ProgressFn{};
  options.protocol.progress = [shown](const std::string& stage, double fraction) {
    if (shown) shown(stage, fraction);
    check_signals();
  };
  MeasurementRecord record;
  record.network = record.abbr = nb::cast<std::string>(identity["name"]);
  record.quality = nb::cast<int>(identity["quality"]);
  record.level = kCustomLevel;
  record.image = nb::cast<std::string>(identity["image"]);
  record.width = record.padded_width = nb::cast<int>(identity["width"]);
  record.height = record.padded_height = nb::cast<int>(identity["height"]);
  record.pixels = nb::cast<int64_t>(identity["pixels"]);

  Workload work;
  work.run_once = [&fn] {
    nb::gil_scoped_acquire gil;
    fn();
    if (PyErr_CheckSignals() != 0) throw nb::python_error();
  };
  work.synchronize = [&sync] {
    if (sync.is_none()) return;
    nb::gil_scoped_acquire gil;
    sync();
  };
  ProtocolResult result;
  {
    nb::gil_scoped_release release;
    MeasurementSession session(options);
    if (!session.note().empty()) std::cerr << "note: " << session.note() << "\n";
    record = session.measure(work, record, &result);
    if (!output.empty()) append_record(output, record);
  }
  return nb::make_tuple(dumped(to_json(record)), dumped(to_json(result)));
}

}  // namespace

NB_MODULE(_nicenergy, m) {
  m.doc() = "nicenergy's core (no LibTorch): meters, windows and the paper's protocol";
  static nb::object error_type =
      nb::steal(PyErr_NewException("nicenergy._nicenergy.Error", PyExc_RuntimeError, nullptr));
  m.attr("Error") = error_type;
  // Files that cannot be written are OSError; every other Error nicenergy.Error.
  nb::register_exception_translator([](const std::exception_ptr& p, void*) {
    try {
      std::rethrow_exception(p);
    } catch (const WriteError& e) {
      PyErr_SetString(PyExc_OSError, e.what());
    } catch (const Error& e) {
      PyErr_SetString(error_type.ptr(), e.what());
    }
  });
  m.def("meters", &meters);
  m.def("protocol_settings", &protocol_settings_list);
  m.def("measure", &measure, nb::arg("fn"), nb::arg("sync").none(), nb::arg("identity"), nb::arg("device"),
        nb::arg("meter"), nb::arg("settings"), nb::arg("preheat"), nb::arg("output"), nb::arg("progress"));
  nb::class_<Monitor>(m, "Monitor")
      .def(nb::init<const std::string&, const std::string&, double>())
      .def("begin_window", &Monitor::begin_window)
      .def("end_window", &Monitor::end_window)
      .def_prop_ro("meter", &Monitor::meter_name)
      .def_prop_ro("is_estimate", &Monitor::is_estimate)
      .def_prop_ro("note", &Monitor::note);
}
