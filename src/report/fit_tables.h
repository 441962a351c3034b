// Table 2 of the paper from a FitResult, as text, Markdown or CSV (`nicenergy
// fit` prints it; the report writes it as table2_fits.{md,csv}).
#pragma once
#include <string>

#include "modeling/fit.h"

namespace nicenergy {

// One row per network, alpha (µJ/pixel), beta (J), Pearson and MRE (%) for the
// low and the high level. format "table" or "markdown" gives that wide layout
// with the alpha-vs-kMAC lines and the ESTIMATES label below; "csv" gives one row
// per fit with units in the column names. Throws nicenergy::Error for another format.
std::string format_fit_table(const FitResult& result, const std::string& format);

}  // namespace nicenergy
