// The coefficients file (`nicenergy fit --json`): a FitResult as JSON, written
// by fit and read back by predict and report. Writer and reader sit together so
// that the schema is defined once.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

#include "modeling/fit.h"

namespace nicenergy {

// {"estimate": bool,
//  "fits": [{"network","abbr","level","n","alpha_j_per_pixel","beta_j","pearson","mre","mre_in_sample"}...],
//  "alpha_vs_kmac": {"slope","offset","pearson","mre","mre_in_sample","n"} or null,
//  "alpha_vs_kmac_2nd": same}; alpha in J/pixel, beta in J, MREs as fractions.
nlohmann::json to_json(const FitResult& result);
// Throws nicenergy::Error naming `source` (a file name, say) when the JSON is malformed.
FitResult fit_result_from_json(const nlohmann::json& json, const std::string& source);
FitResult read_fit_result(const std::string& path);
void write_fit_result(const FitResult& result, const std::string& path);

}  // namespace nicenergy
