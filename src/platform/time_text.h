// Wall-clock time as records write it.
#pragma once
#include <string>

namespace nicenergy {

// Now in ISO 8601 UTC, to the second: "2026-11-23T10:15:00Z".
std::string utc_now_iso8601();

}  // namespace nicenergy
