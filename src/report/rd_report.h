// Rate, distortion and energy of codecs (issue 17): learned codecs with trained
// weights against JPEG, WebP, AVIF, JPEG XL, HEIC and JPEG 2000. From the
// records that carry bpp and psnr_db: each codec-quality's means over its
// images (rd_points.csv), PSNR and joules per image over bpp (rd_psnr and
// rd_energy figures), and each codec's rate and energy at one matched PSNR with
// its BD-rate and BD-PSNR against JPEG (rd_table.{md,csv}). Internal to
// src/report/ (write_report calls it).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "protocol/record.h"
#include "report/report_parts.h"
#include "report/text_table.h"

namespace nicenergy {

// True for the classic codecs of src/legacy (network "jpeg", "webp", ...);
// every other network is a learned codec.
bool is_legacy_codec(const std::string& network);

// One codec at one quality: means over the images measured there.
struct RdCodecPoint {
  std::string network;  // "jpeg", "bmshj2018_factorized"
  std::string codec;    // the display name (abbr): "JPEG", "Bfac"
  bool learned = false;
  int quality = 0;      // the codec's own setting
  int images = 0;       // images with bpp and PSNR, the means' count
  double bpp = 0;
  double psnr_db = 0;
  std::optional<double> ms_ssim;          // mean over the images that have it
  // Joules per image: the chain's energy_j, else encode + decode where both
  // were measured; the mean over the images that have it.
  std::optional<double> energy_j;
  std::optional<double> encode_energy_j;  // means of the stages, where measured
  std::optional<double> decode_energy_j;
  std::string meter;                      // the meters of the records used, "+"-joined
  bool estimate = false;                  // some energy is a CPU-time estimate
};

// Codecs in report order (legacy codecs as legacy_codecs() lists them, JPEG
// first; then learned ones in zoo order), each codec's points by rising bpp.
// Records without bpp or psnr_db give no point. Images are told apart by image
// and device model, so two devices' runs of one image count twice.
std::vector<RdCodecPoint> rd_points(const std::vector<MeasurementRecord>& records);

// What the page shows of it.
struct RdSection {
  std::vector<RdCodecPoint> points;
  double target_psnr_db = 32;
  std::string target_source;       // why that PSNR: "given", or the learned point it comes from
  TextTable points_table;          // rd_points.csv
  TextTable table;                 // rd_table.{md,csv}
  std::vector<std::string> notes;  // under the table: method, seeded networks, figures left out
  std::vector<Figure> figures;     // rd_psnr and rd_energy (their .gp and .dat written)
};

// Writes rd_points.csv, rd_table.{md,csv}, rd_psnr.{gp,dat} and
// rd_energy.{gp,dat} (the figures drawn by the caller) and returns what the
// page shows; std::nullopt, writing nothing, when no record has both bpp and
// psnr_db. target_psnr_db: the matched quality; unset, the PSNR of the
// lowest-PSNR learned-codec point, else 32 dB.
std::optional<RdSection> write_rd_report(ReportFolder& w, const std::vector<MeasurementRecord>& records,
                                         std::optional<double> target_psnr_db);

}  // namespace nicenergy
