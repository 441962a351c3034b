// What one execution of a measurement is: the paper's whole chain (without
// entropy coding), or one side or part of the working codec (src/coding).
// encode = analysis + entropy-encode and decode = entropy-decode + synthesis,
// by construction: each stage runs the same code as its parts.
#pragma once
#include <string>
#include <vector>

namespace nicenergy {

enum class Stage { chain, encode, decode, analysis, synthesis, entropy_encode, entropy_decode };

// "chain", "encode", "decode", "analysis", "synthesis", "entropy-encode", "entropy-decode".
std::string to_string(Stage stage);
// Throws Error listing the names.
Stage parse_stage(const std::string& name);
const std::vector<std::string>& stage_names();

}  // namespace nicenergy
