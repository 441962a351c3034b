// A MODEL of inference energy from data movement, not a measurement:
//   E = e_mac x MACs + e_byte x DRAM bytes,
// where every layer output is written to DRAM once and read back `accesses_per_byte - 1`
// times. Defaults (Horowitz, "Computing's energy problem", ISSCC 2014, 45 nm):
// an fp32 multiply 3.7 pJ + add 0.9 pJ per MAC; a 32-bit DRAM access 640 pJ,
// 160 pJ per byte. Every figure is overridable, as DRAM and process differ.
#pragma once

#include "bandwidth/bandwidth_types.h"

namespace nicenergy {

struct DataMovementCosts {
  double mac_pj = 3.7 + 0.9;      // fp32 multiply + add, Horowitz ISSCC 2014 (int8: 0.2 + 0.03)
  double byte_pj = 640.0 / 4.0;   // 32-bit DRAM access 640 pJ, Horowitz ISSCC 2014
  double accesses_per_byte = 2;   // written once, read once by the next layer
};

struct DataMovementEnergy {
  double mac_j = 0;
  double float32_bytes_j = 0, int8_bytes_j = 0, exp_golomb_bytes_j = 0;  // DRAM traffic of the activations
  double total_float32_j() const { return mac_j + float32_bytes_j; }
  double total_int8_j() const { return mac_j + int8_bytes_j; }
  double total_exp_golomb_j() const { return mac_j + exp_golomb_bytes_j; }
  double saving_vs_float32() const { return total_float32_j() / total_exp_golomb_j(); }
  double saving_vs_int8() const { return total_int8_j() / total_exp_golomb_j(); }
};

// Throws nicenergy::Error for a negative or non-finite cost.
DataMovementEnergy data_movement_energy(double macs, const ActivationBytes& bytes, const DataMovementCosts& costs);

}  // namespace nicenergy
