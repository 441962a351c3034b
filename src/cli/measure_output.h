// What measure and exec share on the command line: the trace file (checked
// before the measurement, written after it) and the protocol's lines.
#pragma once
#include <optional>
#include <string>

#include "io/files.h"
#include "protocol/protocol.h"
#include "protocol/record.h"

namespace nicenergy::cli {

// Checked (and its folder made) before the measurement, not after it.
void prepare_trace_output(const std::string& trace_output);
// The trace, if asked for; a write error is returned, to end the command after
// the result is printed.
std::optional<WriteError> write_trace(const std::string& trace_output, const ProtocolResult& result);
// The protocol's course and its result, per `unit` (an execution of a network,
// a run of a command).
void print_protocol_lines(const MeasurementRecord& record, const ProtocolResult& result, double confidence,
                          const char* unit);

}  // namespace nicenergy::cli
