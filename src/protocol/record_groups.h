// Which device a measurement ran on, and the records split by it. The energy of
// one network on an H100 and on an A100 are two functions of S: Eq. (2) is
// fitted, and the report drawn, once per device model (README "Campaigns on a
// Slurm cluster").
#pragma once
#include <string>
#include <vector>

#include "protocol/record.h"

namespace nicenergy {

// The device model of a record: the `gpu` column; without it (CPU runs, files
// written before it) the name in `device` ("cpu (AMD EPYC 7B13 64-Core
// Processor)" -> "AMD EPYC 7B13 64-Core Processor"), else its kind ("cpu",
// "cuda"), so that cuda:0 and cuda:1 of one model meet. "" when `device` is empty.
std::string device_model(const MeasurementRecord& record);

// What one fit and one report section cover: the device model, and the energy
// mode where it is not float32 ("AMD EPYC 7B13, mode channels_last"): a mode
// changes the energy of the same network on the same device, so Eq. (2) is
// fitted per mode as per device model.
std::string group_name(const MeasurementRecord& record);

// How `report` splits the records (--group-by): by device model, or by node
// and device model (a node's GPUs of one model together).
enum class GroupBy { device, node };
GroupBy parse_group_by(const std::string& text);  // "device" or "node"; Error otherwise
std::string to_string(GroupBy group_by);

struct RecordGroup {
  std::string name;  // "NVIDIA H100 80GB HBM3", or "gpu07: NVIDIA H100 80GB HBM3" by node
  std::string slug;  // the name in file names: "NVIDIA_H100_80GB_HBM3"
  std::vector<MeasurementRecord> records;  // in the input order
};
// The groups sorted by name, each with its records; one group for records of
// one device model (and node). Slugs are unique.
std::vector<RecordGroup> group_records(const std::vector<MeasurementRecord>& records, GroupBy group_by);

// The groups (group_name) of the records, distinct and sorted, for messages and --device.
std::vector<std::string> device_models(const std::vector<MeasurementRecord>& records);

}  // namespace nicenergy
