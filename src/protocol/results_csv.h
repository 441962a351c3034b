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
  std::string stage = "chain";  // the "stage" column; empty in older files, which is the chain
  std::string mode = "float32"; // the "mode" column; empty in older files, which is float32
  bool operator<(const MeasurementKey& o) const;
  bool operator==(const MeasurementKey& o) const;
  std::string text() const;  // "bmshj2018_factorized q1 kodim01.png 768x512", then the stage unless the chain and the mode unless float32
};

// The network is canonicalised through find_network when it is known (so "Bfac"
// and "bmshj2018_factorized" give the same key).
MeasurementKey measurement_key(const MeasurementRecord& record);

// Where the power traces of a results file go: results/x.csv -> results/x-traces.
std::string traces_folder(const std::string& results_csv);

// Writes the header line (replacing the file).
void write_header(const std::string& path);
// Appends one row and fsyncs it before returning. Writes the header first when
// the file is missing or empty; throws Error when the file's header differs, and
// WriteError when the write fails (disk full).
void append_record(const std::string& path, const MeasurementRecord& record);
// The row as written by append_record, with its newline.
std::string format_record_row(const MeasurementRecord& record);

// Reads every complete row. Columns may come in any order, extra columns are
// ignored; missing columns, a malformed row, or a number that is not whole,
// finite and in range ("50x", "nan", a width of 2^32) throw Error naming the file,
// the line and the column. A last row without a trailing newline is a torn
// write: ignored; an unclosed quote that runs over several lines to the end is
// damage, refused with its line. An empty file gives no rows. The file must be
// a regular file of at most 1 GiB.
std::vector<MeasurementRecord> read_results(const std::string& path);
// The same on text in memory (`path` only names it in errors).
std::vector<MeasurementRecord> parse_results(const std::string& text, const std::string& path);

// What a campaign checks before it measures anything, changing nothing: the
// output is writable and not a directory; if it exists and is not empty, its
// first line is this version's header (or a torn prefix of it) and every
// complete row reads. Returns the rows; *torn_bytes gets the size of a torn
// last row (0 without one). Throws Error otherwise.
std::vector<MeasurementRecord> check_results_for_append(const std::string& path, size_t* torn_bytes = nullptr);

// Cuts a torn last row away, after check_results_for_append has found the file
// to be a results CSV whose only damage is that row (otherwise it throws and
// changes nothing). Returns the number of bytes removed (0 when the file ends
// with a complete row, or does not exist).
size_t repair_results(const std::string& path);

// Order of rows in a merged file, the order of a campaign plan: network in the
// order of network_specs(), quality, pixels, width, height, image, started_at.
bool record_before(const MeasurementRecord& a, const MeasurementRecord& b);

struct MergeSummary {
  size_t rows = 0;        // rows written
  size_t duplicates = 0;  // rows dropped because their key was already there
};

// Merges shard CSVs into output (written whole, then renamed into place; the
// temporary OUTPUT.tmp never stays). Each key is kept once per device model
// (record_groups.h): its earliest started_at. Rows are sorted by record_before. Holds the output's campaign lock
// (see OutputLock) while it writes.
MergeSummary merge_results(const std::vector<std::string>& inputs, const std::string& output);

}  // namespace nicenergy
