#include "bandwidth/data_movement_energy.h"

#include <cmath>
#include <string>

#include "error.h"

namespace nicenergy {

DataMovementEnergy data_movement_energy(double macs, const ActivationBytes& bytes, const DataMovementCosts& c) {
  auto check = [](double v, const std::string& what) {
    if (!std::isfinite(v) || v < 0) throw Error(what + " " + std::to_string(v) + " is not a finite number >= 0");
  };
  check(c.mac_pj, "--mac-pj");
  check(c.byte_pj, "--byte-pj");
  check(c.accesses_per_byte, "--accesses-per-byte");
  DataMovementEnergy e;
  const double pj = 1e-12, per_byte = c.byte_pj * c.accesses_per_byte * pj;
  e.mac_j = c.mac_pj * pj * macs;
  e.float32_bytes_j = per_byte * bytes.float32;
  e.int8_bytes_j = per_byte * bytes.int8;
  e.exp_golomb_bytes_j = per_byte * bytes.exp_golomb;
  return e;
}

}  // namespace nicenergy
