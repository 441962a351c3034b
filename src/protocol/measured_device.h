// The device a measurement is for, as the core sees it (no LibTorch): the CPU
// or CUDA device N, with its PCI bus id where the LibTorch side found one
// (measured_device(torch::Device) in protocol/codec_measurement.h). What
// follows from it: the meter (one fallback policy), the host meter, the
// device's text and where the measurement ran.
#pragma once
#include <memory>
#include <string>

#include "meters/power_meter.h"
#include "protocol/record.h"

namespace nicenergy {

struct MeasuredDevice {
  bool cuda = false;
  int index = 0;           // the CUDA device's index (0 on the CPU)
  std::string pci_bus_id;  // from the CUDA runtime; "" where unknown (then CUDA_VISIBLE_DEVICES decides)
  std::string text() const;  // "cpu", "cuda:0"
};
// "cpu", "cuda", "cuda:N"; throws Error naming the text otherwise.
MeasuredDevice parse_measured_device(const std::string& text);

// Picks the meter for a device. "auto": NVML for a CUDA device, RAPL for the CPU;
// without it, the estimate and its warning line (meters/estimate_fallback.h) if
// `estimate_fallback` (every command but validate, which needs a measurement), else an
// Error. Any other spec goes to open_meter; *note says when the estimate was asked for.
std::unique_ptr<PowerMeter> open_meter_for(const MeasuredDevice& device, const std::string& spec,
                                           bool estimate_fallback, std::string* note = nullptr);

// The host CPU's meter beside the device's, for a GPU's stages whose entropy
// coding runs on the CPU: "none"; "rapl" or "estimate" as named; "auto": RAPL
// for a CUDA device, else the labelled estimate (said in *note), and none for
// the CPU, whose own meter already sees the host. Null for none; throws Error
// for an unknown spec or an unavailable rapl.
std::unique_ptr<PowerMeter> open_host_meter(const MeasuredDevice& device, const std::string& spec,
                                            std::string* note = nullptr);

// "cpu (Intel Xeon ...)" or "cuda:0 (NVIDIA H100 ...)".
std::string describe_device(const MeasuredDevice& device, PowerMeter& meter);

// Where a measurement runs, for the record's node, slurm_job, gpu and gpu_uuid
// columns: found once per command or campaign, then put into every record.
struct MeasurementSite {
  std::string node;       // node_name()
  std::string slurm_job;  // slurm_job(); "" outside Slurm
  std::string gpu;        // NVML's name of the CUDA device; "" on the CPU or without NVML
  std::string gpu_uuid;
};
// The GPU through the meter when it is NVML, else through an NVML handle opened
// for the CUDA device alone (a GPU measured with the estimate or replay meter
// still names its model).
MeasurementSite measurement_site(const MeasuredDevice& device, PowerMeter& meter);
void fill_site(MeasurementRecord& record, const MeasurementSite& site);

}  // namespace nicenergy
