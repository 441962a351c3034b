// An operator count (complexity/op_counter.h) as a table for
// `nicenergy complexity --model FILE.pt`: aligned text, CSV or JSON.
#pragma once
#include <string>

#include "complexity/op_count.h"

namespace nicenergy {

// One row per operator and shapes, kMAC per pixel of `pixels` (the padded
// input's), then the totals and the operators not counted. format is table, csv
// or json; throws Error otherwise.
std::string format_operator_count(const OpCount& count, int64_t pixels, const std::string& model,
                                  const std::string& format);

}  // namespace nicenergy
