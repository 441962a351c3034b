// One measurement of one network on one image: a row of the results CSV and the
// core of `nicenergy measure --json`. Field names are the CSV column names.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace nicenergy {

struct MeasurementRecord {
  std::string network;      // CompressAI name, e.g. "bmshj2018_factorized"
  std::string abbr;         // paper abbreviation, e.g. "Bfac"
  int quality = 0;          // CompressAI quality index
  std::string level;        // "low" or "high" parameter level
  std::string image;        // image path or generated-image label
  int width = 0;
  int height = 0;
  int64_t pixels = 0;       // width * height (S in the paper)
  int padded_width = 0;
  int padded_height = 0;
  double energy_j = 0;      // dynamic energy per execution, Eq. (1)
  double energy_ci_j = 0;   // half-width of its confidence interval
  int k = 0;                // number of measurement windows
  int64_t m = 0;            // executions per window
  double duration_s = 0;    // wall time per execution
  double idle_power_w = 0;
  double mean_power_w = 0;  // mean power over the measurement windows
  std::string meter;        // "nvml", "rapl", "estimate", "replay"
  std::string method;       // "counter", "samples" or "estimate"
  std::string device;       // "cuda:0 NVIDIA H100 ...", "cpu"
  std::string started_at;   // ISO 8601 UTC
  // The runtime (src/platform/runtime.h): the same network costs other joules on
  // another LibTorch, CUDA, cuDNN or thread count.
  std::string libtorch;     // "2.11.0"
  std::string cuda;         // CUDA runtime of LibTorch; "" without CUDA
  std::string cudnn;        // "" without cuDNN
  int threads = 0;          // LibTorch intra-op threads that ran
  // Protocol hardening (issue 10; README "How accurate is this?"). Optional
  // columns: empty in files written before them, and where not measured.
  std::string idle_reference;               // "hot", "cold" or "given": the one energy_j used
  std::optional<double> idle_cold_power_w;  // the paper's, before the model is loaded
  std::optional<double> idle_hot_power_w;   // after preheat, context and model resident
  std::optional<double> energy_cold_j;      // Eq. (1) against each, mean over the windows
  std::optional<double> energy_hot_j;
  std::string warnings;                     // sanity findings, "; "-separated; empty: none
  std::optional<double> memory_share;       // memory-scope share of the executions' energy (NVML, H100)
  // Complexity for the alpha-vs-kMAC model (Sec. 5), counted when measured, so
  // that fit and report know it for networks outside the zoo: the zoo's
  // kmac_per_px (paper's rule), a TorchScript file's operator count per padded
  // pixel (complexity --model); empty for a command (exec), which is not counted.
  std::optional<double> kmac_per_px;
  // Where it ran (issue 18): optional columns, empty in files written before them.
  std::string node;       // SLURMD_NODENAME in a Slurm job, else the host name
  std::string slurm_job;  // "1234_2" (array job 1234, task 2) or "1234"; "" outside Slurm
  std::string gpu;        // GPU model from NVML, "NVIDIA H100 80GB HBM3"; "" for CPU runs
  std::string gpu_uuid;   // "GPU-..." from NVML; "" for CPU runs
  // GPM means over the windows' executions, % (NVML, Hopper and later); empty where not measured.
  std::optional<double> dram_bw_util_pct;
  std::optional<double> sm_util_pct;
  std::optional<double> tensor_util_pct;
  std::string stage;                        // what one execution is (src/coding/stage.h); empty in older files: "chain"
  // The host CPU beside a GPU (issue 13: networks on the GPU, entropy coding on
  // the CPU): its meter ("rapl", or "estimate", labelled), idle power, and
  // Eq. (1) per execution over the same executions. Empty without a host meter.
  std::string host_meter;
  std::optional<double> host_idle_power_w;
  std::optional<double> host_energy_j;
  // Rate and distortion of the point's image (issue 17), from the real
  // bitstream and the decoded image: empty where not known (seeded networks,
  // whose rate and distortion mean nothing; TorchScript models; commands).
  std::optional<double> bpp;      // bits per pixel of the bitstream
  std::optional<double> psnr_db;  // PSNR of the decoded image against the source, 8-bit RGB
  std::optional<double> ms_ssim;  // MS-SSIM of the same pair
  // The energy mode the chain ran in (issue 14, src/modes): "float32" or flags
  // joined by '+'; empty in older files, which is float32.
  std::string mode;
};

// What one execution of the record was: its stage, "chain" in older files.
inline std::string record_stage(const MeasurementRecord& r) { return r.stage.empty() ? "chain" : r.stage; }

// Column order of the results CSV (the record-column table,
// protocol/record_columns.h); extra columns may follow in a file.
const std::vector<std::string>& measurement_columns();
// A column files written before it lack (read as empty).
bool is_optional_column(const std::string& column);

}  // namespace nicenergy
