// The one label of an energy from the CPU-time estimate meter, in every output
// (tables, notes, reports, figures): a user never reads an estimate as a
// measurement. Change the wording here, nowhere else.
#pragma once
#include <string>

namespace nicenergy {

// A table cell or a tag beside a number.
inline constexpr const char* kEstimateWord = "ESTIMATE";
// After a figure's, table's or section's title.
inline constexpr const char* kEstimateTitle = " (ESTIMATES)";
// How the estimate is made.
inline constexpr const char* kEstimateHow = "CPU time x TDP share";
// The sentence, for notes: "energies are ESTIMATES (CPU time x TDP share), not measurements".
inline std::string estimate_sentence() {
  return std::string("energies are ESTIMATES (") + kEstimateHow + "), not measurements";
}
// The same as a Markdown paragraph opening a report file.
inline std::string estimate_markdown_note() { return "**Note:** " + estimate_sentence() + ".\n\n"; }

}  // namespace nicenergy
