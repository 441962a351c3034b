// The results CSV: one MeasurementRecord a row, columns as measurement_columns().
// Rows are appended one at a time and forced to disk, so a campaign killed at any
// moment keeps every finished row; a torn last row (no trailing newline) is ignored
// when reading and cut away by repair_results before appending resumes.
#pragma once
#include <string>
#include <vector>

#include "protocol/record.h"

namespace nicenergy {

// Identity of a measurement, for resume and merging: the same network, quality
// and image (label and size) is measured once.
struct MeasurementKey {
  std::string network;  // CompressAI name
  int quality = 0;
  std::string image;    // the "image" column
  int width = 0;
  int height = 0;
  bool operator<(const MeasurementKey& o) const;
  bool operator==(const MeasurementKey& o) const;
  std::string text() const;  // "bmshj2018_factorized q1 kodim01.png 768x512"
};

// The network is canonicalised through find_network when it is known (so "Bfac"
// and "bmshj2018_factorized" give the same key).
MeasurementKey measurement_key(const MeasurementRecord& record);

// Writes the header line (replacing the file).
void write_header(const std::string& path);
// Appends one row and fsyncs it before returning. Writes the header first when
// the file is missing or empty; throws Error when the file's header differs.
void append_record(const std::string& path, const MeasurementRecord& record);
// The row as written by append_record, with its newline.
std::string format_record_row(const MeasurementRecord& record);

// Reads every complete row. Columns may come in any order, extra columns are
// ignored; missing columns or a malformed row throw Error naming the file (and
// the line). A last row without a trailing newline is a torn write: ignored.
// An empty file gives no rows.
std::vector<MeasurementRecord> read_results(const std::string& path);

// Cuts a torn last row away. Returns the number of bytes removed (0 when the
// file ends with a complete row, or does not exist).
size_t repair_results(const std::string& path);

// Order of rows in a merged file, the order of a campaign plan: network in the
// order of network_specs(), quality, pixels, width, height, image, started_at.
bool record_before(const MeasurementRecord& a, const MeasurementRecord& b);

struct MergeSummary {
  size_t rows = 0;        // rows written
  size_t duplicates = 0;  // rows dropped because their key was already there
};

// Merges shard CSVs into output (written whole, then renamed into place). Each key
// is kept once: its earliest started_at. Rows are sorted by record_before.
MergeSummary merge_results(const std::vector<std::string>& inputs, const std::string& output);

}  // namespace nicenergy
