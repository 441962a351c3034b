// The complexity accounting as tables for the CLI (`nicenergy zoo`,
// `nicenergy complexity`): aligned text, CSV or JSON.
#pragma once
#include <string>
#include <vector>

#include "complexity/complexity_types.h"

namespace nicenergy {

// One row per network and quality. format is table, csv or json; throws
// nicenergy::Error otherwise.
std::string format_zoo(const std::vector<Complexity>& rows, const std::string& format);
// One row per recorded layer, then the totals. format as for format_zoo.
std::string format_layers(const Complexity& complexity, const std::string& format);

}  // namespace nicenergy
