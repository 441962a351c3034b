#include "protocol/measured_device.h"

#include "error.h"
#include "io/numbers.h"
#include "meters/estimate_fallback.h"
#include "meters/estimate_label.h"
#include "platform/host.h"

namespace nicenergy {

std::string MeasuredDevice::text() const { return cuda ? "cuda:" + std::to_string(index) : "cpu"; }

MeasuredDevice parse_measured_device(const std::string& text) {
  MeasuredDevice d;
  if (text == "cpu") return d;
  d.cuda = true;
  if (text == "cuda") return d;
  const std::string prefix = "cuda:";
  const std::string rest = text.rfind(prefix, 0) == 0 ? text.substr(prefix.size()) : "";
  if (rest.empty() || rest.size() > 3 || rest.find_first_not_of("0123456789") != std::string::npos)
    throw Error("device '" + text + "' is unknown: use cpu, cuda or cuda:N");
  d.index = std::stoi(rest);
  return d;
}

std::unique_ptr<PowerMeter> open_meter_for(const MeasuredDevice& device, const std::string& spec,
                                           bool estimate_fallback, std::string* note) {
  const std::string estimate_note = estimate_sentence();
  const int cuda_index = device.index;
  if (spec == "nvml" && device.cuda) {
    // Plain "nvml" means the GPU doing the work; "nvml:INDEX" stays an NVML index.
    std::unique_ptr<PowerMeter> meter = make_nvml_meter_for_cuda_device(cuda_index, device.pci_bus_id);
    if (!meter->available()) throw Error("--meter nvml: " + meter->unavailable_reason());
    return meter;
  }
  if (spec != "auto") {
    std::unique_ptr<PowerMeter> meter = open_meter(spec);
    if (note && meter->is_estimate()) *note = "meter 'estimate': " + estimate_note;
    return meter;
  }
  // The meter that sees the device doing the work: NVML for a GPU, RAPL for the CPU.
  std::unique_ptr<PowerMeter> meter;
  if (device.cuda) {
    meter = make_nvml_meter_for_cuda_device(cuda_index, device.pci_bus_id);  // the allocated GPU, not NVML's index N
  } else {
    meter = make_rapl_meter();
  }
  if (meter->available()) return meter;
  const std::string why = meter->unavailable_reason();
  if (!estimate_fallback)
    throw Error("--meter auto: no " + meter->name() + " meter for " + device.text() + " (" + why +
                "); pass --meter estimate for a CPU-time ESTIMATE, or see 'nicenergy meters'");
  // The one fallback of every command (meters/estimate_fallback.h): its warning says it all.
  return nicenergy::estimate_fallback("no " + meter->name() + " meter for " + device.text() + ": " + why);
}

std::unique_ptr<PowerMeter> open_host_meter(const MeasuredDevice& device, const std::string& spec, std::string* note) {
  if (spec != "auto" && spec != "none" && spec != "rapl" && spec != "estimate")
    throw Error("host meter '" + spec + "' is unknown: use auto, none, rapl or estimate");
  if (spec == "none" || (spec == "auto" && !device.cuda)) return nullptr;
  if (spec != "estimate") {
    std::unique_ptr<PowerMeter> rapl = make_rapl_meter();
    if (rapl->available()) return rapl;
    if (spec == "rapl") throw Error("host meter rapl: " + rapl->unavailable_reason() + "; or use --host-meter estimate");
    if (note)
      *note = "host meter: no rapl (" + rapl->unavailable_reason() +
              "), so the host side is the CPU-time estimate: ESTIMATES, not measurements";
  } else if (note) {
    *note = "host meter 'estimate': the host side is ESTIMATED (CPU time x TDP share), not measured";
  }
  return make_estimate_meter();
}

std::string describe_device(const MeasuredDevice& device, PowerMeter& meter) {
  const std::string name = meter.device_state().name;
  std::string text = device.text();
  // The CPU meter names the CPU; a GPU meter names the GPU. A replay names nothing.
  if (!name.empty() && (device.cuda == (meter.name() == "nvml"))) text += " (" + name + ")";
  return text;
}

MeasurementSite measurement_site(const MeasuredDevice& device, PowerMeter& meter) {
  MeasurementSite site;
  site.node = node_name();
  site.slurm_job = slurm_job();
  if (!device.cuda) return site;
  std::unique_ptr<PowerMeter> own;
  PowerMeter* nvml = &meter;
  if (meter.name() != "nvml") {
    own = make_nvml_meter_for_cuda_device(device.index, device.pci_bus_id);
    nvml = own.get();
  }
  if (!nvml->available()) return site;
  site.gpu = nvml->device_state().name;
  const auto meta = nvml->metadata();
  if (const auto uuid = meta.find("device_uuid"); uuid != meta.end()) site.gpu_uuid = uuid->second;
  return site;
}

void fill_site(MeasurementRecord& r, const MeasurementSite& site) {
  r.node = site.node;
  r.slurm_job = site.slurm_job;
  r.gpu = site.gpu;
  r.gpu_uuid = site.gpu_uuid;
}

}  // namespace nicenergy
