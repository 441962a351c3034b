// Where `predict` takes its coefficients from when none are given: a fit the
// project ships for a GPU model (data/<GPU>/fit.json, as `fit --output` writes
// it), else the fit of Herglotz et al.'s Table 2 compiled into the program.
// Torch-free.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "modeling/fit.h"

namespace nicenergy {

// Coefficients and the words that name where they came from.
struct FitSource {
  FitResult fit;
  std::string source;  // "data/NVIDIA_H100/fit.json", "paper Table 2 (Herglotz et al., ICIP 2023), Quadro RTX 4000"
  std::string gpu;     // the GPU model the fit was measured on, where known
};

// The GPU of the paper's measurements, as NVML names it.
inline constexpr char kPaperGpu[] = "Quadro RTX 4000";

// The paper's Table 2 as compiled in (embedded_fits.cpp), or nullopt with *why
// set when the program holds none.
std::optional<FitSource> paper_table2(std::string* why);

// A GPU model's name as a folder name: letters and digits kept, runs of
// anything else one '_' ("NVIDIA H100 80GB HBM3" -> "NVIDIA_H100_80GB_HBM3"),
// as the report and `fit --output` name a device model's files.
std::string gpu_slug(const std::string& gpu);

// The folders searched for data/<GPU>/fit.json: ./data, then the source tree's.
std::vector<std::string> fit_data_folders();

// The GPU models with a shipped fit: the folder names under the data folders
// that hold a fit.json.
std::vector<std::string> shipped_fit_gpus();

// The shipped fit of one GPU model (matched by slug, any case), or nullopt.
// Throws nicenergy::Error when the file is there but cannot be read.
std::optional<FitSource> shipped_fit(const std::string& gpu);

// The coefficients for `predict` without --coeffs: --gpu NAME (gpu_option)
// chooses; else the GPU the meters see (present_gpu, "" for none) where a fit
// ships for it; else the paper's Table 2. *notes gets why a step was passed
// over. Throws nicenergy::Error, saying what to do, when none is there.
FitSource default_fit(const std::string& gpu_option, const std::string& present_gpu, std::vector<std::string>* notes);

}  // namespace nicenergy
