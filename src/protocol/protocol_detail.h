// What the protocol's files share inside src/protocol/ (not for callers).
#pragma once
#include <functional>
#include <optional>
#include <vector>

#include "error.h"
#include "protocol/protocol.h"
#include "protocol/stop_rule.h"

namespace nicenergy::protocol_detail {

inline void sync(const Workload& w) {
  if (w.synchronize) w.synchronize();
}

inline void require_run_once(const Workload& w) {
  if (!w.run_once) throw Error("protocol: the workload has no run_once function; give the network to measure");
}

// Per execution over all windows: each window's value (Eq. (1) per execution)
// weighted by its M, i.e. the windows' total over their executions. Windows of
// different M (after a recalibration) count by their executions, like the time
// per execution, so energy / time stays the mean dynamic power. None where a
// window lacks the value.
std::optional<double> per_execution(const std::vector<WindowMeasurement>& windows,
                                    const std::function<std::optional<double>(const WindowMeasurement&)>& value);

// The result's energies, times and spreads from its windows (protocol_summary.cpp).
void summarize_windows(ProtocolResult& r, const StopDecision& decision);

}  // namespace nicenergy::protocol_detail
