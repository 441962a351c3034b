#include "bandwidth/memory_energy.h"

#include "error.h"

namespace nicenergy {

const std::vector<MemoryEnergy>& memory_energies() {
  static const std::vector<MemoryEnergy> table = {
      // 640 pJ per 32-bit access, 45 nm (the figure Yin, Xu et al. and this issue start from).
      {"horowitz45", 160, 160, 160, "a 32-bit off-chip DRAM access, 45 nm",
       "Horowitz, ISSCC 2014: 640 pJ per 32-bit DRAM access"},
      // Micron 4Gb DDR4-2400 x8 currents (DRAMSys memspec MICRON_4Gb_DDR4-2400_8bit_A): read burst
      // VDD x (IDD4R - IDD3N) x 4 tCK = 562 pJ per 8 bytes = 70 pJ/B; a row activation and precharge
      // (about 1.0 nJ per device, from IDD0 and IDD2N over tRC) for every 64-byte line: 197 pJ/B.
      // Central: the geometric middle. Device core only: no I/O termination, no refresh.
      {"ddr4", 117, 70, 197, "DDR4 device core: column read (low) to a row activation per 64-byte line (high); no I/O",
       "Micron TN-40-07 formula on a Micron 4Gb DDR4-2400 x8 part's IDD currents"},
      // O'Connor et al., "Fine-Grained DRAM", MICRO 2017: "The energy to access a bit in HBM2 is
      // approximately 3.97 pJ/bit" (device + interposer I/O, GPU-average row activation: 31.8 pJ/B);
      // low end its datapath 2.24 + interposer I/O 0.3 pJ/bit without row activation (20.3 pJ/B); high end
      // 6.25 pJ/bit (50 pJ/B), the Accelergy/CACTI plug-in's current HBM2 figure. HBM2E and HBM3
      // are taken as HBM2: no checked figure for them.
      {"hbm2", 31.8, 20.3, 50, "HBM2 device and interposer I/O, GPU-average row activation (HBM2E/HBM3 assumed alike)",
       "O'Connor et al., MICRO 2017: 3.97 pJ/bit"},
  };
  return table;
}

const MemoryEnergy& find_memory_energy(const std::string& name) {
  std::string known;
  for (const MemoryEnergy& m : memory_energies()) {
    if (m.name == name) return m;
    known += (known.empty() ? "" : ", ") + m.name;
  }
  throw Error("memory '" + name + "' is unknown: use " + known + ", or give its energy per byte with --byte-pj");
}

}  // namespace nicenergy
