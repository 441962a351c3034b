// What moving one byte between DRAM and the processor costs, per kind of
// memory: a central figure and the range the sources span, each with where it
// comes from. Inputs of the data-movement MODEL (data_movement_energy.h), not
// measurements; `bandwidth --memory NAME` picks one.
#pragma once
#include <string>
#include <vector>

namespace nicenergy {

struct MemoryEnergy {
  std::string name;      // "horowitz45", "ddr4", "hbm2"
  double byte_pj = 0;    // central figure, pJ per byte
  double low_pj = 0, high_pj = 0;
  std::string includes;  // what the figure covers (device, I/O, row activation)
  std::string source;    // where it comes from, short
};

// horowitz45 (the default: the and the paper's 45 nm figure), ddr4, hbm2.
const std::vector<MemoryEnergy>& memory_energies();
// Error naming the known ones for any other name.
const MemoryEnergy& find_memory_energy(const std::string& name);

}  // namespace nicenergy
