#include "report/fit_tables.h"

#include <algorithm>

#include "meters/estimate_label.h"
#include "report/report_parts.h"
#include "report/text_table.h"

namespace nicenergy {

std::string format_fit_table(const FitResult& result, const std::string& format) {
  auto alpha = [](double j) { return format_number(j * 1e6, "%.4g"); };  // J -> µJ
  auto beta = [](double j) { return format_number(j, "%.4g"); };
  auto pearson = [](double r) { return format_number(r, "%.4f"); };
  auto percent = [](double f) { return format_number(f * 100, "%.2f"); };
  TextTable table;
  if (format == "csv") {
    // One tidy row per fit: easier to load than the wide layout.
    table.header = {"network", "abbr", "level", "n", "alpha_uj_per_pixel", "beta_j", "pearson",
                    "mre_percent", "mre_in_sample_percent", "estimate"};
    for (const EnergyFit& f : result.fits)
      table.rows.push_back({f.network, f.abbr, f.level, std::to_string(f.n), alpha(f.alpha_j_per_pixel),
                            beta(f.beta_j), pearson(f.pearson), percent(f.mre), percent(f.mre_in_sample),
                            result.estimate ? "true" : "false"});
    return render_csv(table);
  }
  // The wide layout of the paper's Table 2: one row per network, low then high,
  // then the columns of any other level in the fits (custom: networks outside the zoo).
  table.header = {"Network", "α low (µJ/px)", "β low (J)", "ρ low", "MRE low (%)",
                  "α high (µJ/px)", "β high (J)", "ρ high", "MRE high (%)"};
  std::vector<std::string> levels = {"low", "high"};
  for (const EnergyFit& f : result.fits)
    if (std::find(levels.begin(), levels.end(), f.level) == levels.end()) {
      levels.push_back(f.level);
      for (const std::string& column : {"α " + f.level + " (µJ/px)", "β " + f.level + " (J)", "ρ " + f.level,
                                        "MRE " + f.level + " (%)"})
        table.header.push_back(column);
    }
  std::vector<std::string> networks;
  for (const EnergyFit& f : result.fits)
    if (std::find(networks.begin(), networks.end(), f.abbr) == networks.end()) networks.push_back(f.abbr);
  for (const std::string& abbr : networks) {
    std::vector<std::string> row = {abbr};
    for (const std::string& level : levels) {
      const EnergyFit* found = nullptr;
      for (const EnergyFit& f : result.fits)
        if (f.abbr == abbr && f.level == level) found = &f;
      if (found) {
        for (const std::string& cell : {alpha(found->alpha_j_per_pixel), beta(found->beta_j),
                                        pearson(found->pearson), percent(found->mre)})
          row.push_back(cell);
      } else {
        for (int i = 0; i < 4; ++i) row.push_back("-");
      }
    }
    table.rows.push_back(row);
  }
  std::string out = render_table(table, format);
  if (format == "table" || format == "markdown") {
    std::string kmac;
    for (const auto& [name, fit] : {std::make_pair("kMAC/px", &result.alpha_vs_kmac),
                                    std::make_pair("kMAC/px up to the 2nd downsampling", &result.alpha_vs_kmac_2nd)})
      if (*fit)
        kmac += std::string(format == "markdown" && !kmac.empty() ? "\n" : "") + "alpha vs " + name + ": alpha = " +
                format_number((*fit)->slope * 1e6, "%.4g") + " µJ/px per kMAC/px * kMAC + " +
                format_number((*fit)->offset * 1e6, "%.4g") + " µJ/px, ρ = " + pearson((*fit)->pearson) +
                ", MRE (leave-one-out) = " + percent((*fit)->mre) + " %, n = " + std::to_string((*fit)->n) + "\n";
    out += (kmac.empty() ? "" : "\n") + kmac;
    out += std::string(format == "markdown" ? "\n" : "") +
           "MRE: Eq. (3) under 10-fold cross-validation (leave-one-out below 10 points).\n";
    for (const std::string& w : fit_line_warnings(result.fits))
      out += std::string(format == "markdown" ? "\n**WARNING**: " : "WARNING: ") + w + "\n";
    if (result.estimate)
      out += std::string(format == "markdown" ? "\n**Note:** " : "note: ") + "fitted to " + estimate_sentence() + ".\n";
  }
  return out;
}

// The page's Table 2: one row per fit with both MREs (the wide layout is for text).
TextTable table2_html(const FitResult& fit) {
  TextTable t;
  t.header = {"Network", "Level", "n", "α (µJ/px)", "β (J)", "ρ", "MRE (%)", "MRE in-sample (%)"};
  for (const EnergyFit& f : fit.fits)
    t.rows.push_back({f.abbr, f.level, std::to_string(f.n), format_number(f.alpha_j_per_pixel * 1e6, "%.4g"),
                      format_number(f.beta_j, "%.4g"), format_number(f.pearson, "%.4f"),
                      format_number(f.mre * 100, "%.2f"), format_number(f.mre_in_sample * 100, "%.2f")});
  return t;
}

}  // namespace nicenergy
