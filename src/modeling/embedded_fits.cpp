#include "modeling/embedded_fits.h"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "error.h"
#include "io/numbers.h"
#include "modeling/coefficients.h"

namespace fs = std::filesystem;

namespace nicenergy {
namespace {

// One row of Table 2 of Herglotz, Brand, Regensky, Rievel, Kaup, "Processing
// energy modeling for neural network based image compression", ICIP 2023
// (arXiv 2306.16755): alpha and beta of Eq. (2) for one network and parameter
// level, measured on a Quadro RTX 4000 with CompressAI in PyTorch, and the
// cross-validated MRE of Eq. (3).
struct PaperRow {
  const char* abbr;       // Bfac, Bhyp, Mmean, Mcont, Canch, Cattn
  const char* level;      // "low" or "high"
  double alpha_uj_per_px; // µJ per pixel, as the table prints it
  double beta_j;          // J
  double mre_percent;     // %
};

// EMPTY ON PURPOSE. The rows must be copied from the paper itself, with its
// units, together with the image sizes the fit was measured on
// (kPaperMinPixels, kPaperMaxPixels). In the work that wrote this file the
// paper's text could only be searched by excerpt and Table 2 could not be
// read, so no number is given rather than one from memory. While it is empty,
// `predict` without --coeffs uses a fit shipped in data/ or says what to do.
const std::vector<PaperRow> kTable2 = {};
constexpr double kPaperMinPixels = 0;  // smallest image of the paper's fits, pixels
constexpr double kPaperMaxPixels = 0;  // largest

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

}  // namespace

std::optional<FitSource> paper_table2(std::string* why) {
  if (kTable2.empty()) {
    if (why)
      *why = "the paper's Table 2 is not compiled into this program (its numbers could not be checked against the "
             "paper when it was built)";
    return std::nullopt;
  }
  FitSource s;
  s.source = "paper Table 2 (Herglotz et al., ICIP 2023, arXiv 2306.16755), " + std::string(kPaperGpu);
  s.gpu = kPaperGpu;
  for (const PaperRow& row : kTable2) {
    EnergyFit f;
    f.abbr = row.abbr;
    f.level = row.level;
    f.alpha_j_per_pixel = row.alpha_uj_per_px * 1e-6;
    f.beta_j = row.beta_j;
    f.mre = row.mre_percent / 100;
    f.min_pixels = kPaperMinPixels;
    f.max_pixels = kPaperMaxPixels;
    s.fit.fits.push_back(f);
  }
  return s;
}

std::string gpu_slug(const std::string& gpu) {
  std::string slug;
  for (char c : gpu) {
    if (std::isalnum(static_cast<unsigned char>(c))) slug += c;
    else if (!slug.empty() && slug.back() != '_') slug += '_';
  }
  while (!slug.empty() && slug.back() == '_') slug.pop_back();
  return slug;
}

std::vector<std::string> fit_data_folders() {
  std::vector<std::string> folders = {"data"};
#if defined(NICENERGY_SOURCE_DIR)
  // Run from elsewhere, the binary still finds the fits of its source tree.
  std::error_code ec;
  if (!fs::equivalent("data", std::string(NICENERGY_SOURCE_DIR) + "/data", ec))
    folders.push_back(std::string(NICENERGY_SOURCE_DIR) + "/data");
#endif
  return folders;
}

// data/<folder>/fit.json of the first data folder that has one for this slug.
static std::optional<fs::path> shipped_fit_path(const std::string& slug) {
  if (slug.empty()) return std::nullopt;
  for (const std::string& folder : fit_data_folders()) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(folder, ec))
      if (entry.is_directory(ec) && lower(gpu_slug(entry.path().filename().string())) == lower(slug) &&
          fs::is_regular_file(entry.path() / "fit.json", ec))
        return entry.path() / "fit.json";
  }
  return std::nullopt;
}

std::vector<std::string> shipped_fit_gpus() {
  std::vector<std::string> names;
  for (const std::string& folder : fit_data_folders()) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(folder, ec))
      if (entry.is_directory(ec) && fs::is_regular_file(entry.path() / "fit.json", ec))
        names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

std::optional<FitSource> shipped_fit(const std::string& gpu) {
  const std::optional<fs::path> path = shipped_fit_path(gpu_slug(gpu));
  if (!path) return std::nullopt;
  FitSource s;
  s.fit = read_fit_result(path->string());
  s.source = path->string();
  s.gpu = path->parent_path().filename().string();
  return s;
}

FitSource default_fit(const std::string& gpu_option, const std::string& present_gpu, std::vector<std::string>* notes) {
  std::string shipped;
  for (const std::string& name : shipped_fit_gpus()) shipped += (shipped.empty() ? "" : ", ") + printable(name);
  if (shipped.empty()) shipped = "none";
  std::string why_no_paper;
  const bool paper_gpu = lower(gpu_slug(gpu_option)) == lower(gpu_slug(kPaperGpu));
  if (!gpu_option.empty() && !paper_gpu) {
    if (std::optional<FitSource> s = shipped_fit(gpu_option)) return *s;
    throw Error("--gpu '" + printable(gpu_option) + "': no fit ships for it (data/<GPU>/fit.json; shipped: " + shipped +
                ", and " + kPaperGpu + " for the paper's); give one of them, or --coeffs FIT.json");
  }
  if (gpu_option.empty() && !present_gpu.empty()) {
    if (std::optional<FitSource> s = shipped_fit(present_gpu)) return *s;
    if (notes) notes->push_back("no fit ships for this machine's GPU (" + printable(present_gpu) + ")");
  }
  if (std::optional<FitSource> s = paper_table2(&why_no_paper)) return *s;
  throw Error("no coefficients: " + why_no_paper + ", and no fit ships for " +
              (present_gpu.empty() ? std::string("this machine") : "its GPU (" + printable(present_gpu) + ")") +
              " (shipped in data/<GPU>/fit.json: " + shipped +
              "); pass --coeffs FIT.json written by 'nicenergy fit RESULTS.csv --output FIT.json', or --gpu NAME");
}

}  // namespace nicenergy
