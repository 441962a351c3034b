#include "protocol/results_csv.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <tuple>

#include "error.h"
#include "io/csv.h"
#include "io/files.h"
#include "io/numbers.h"
#include "models/zoo.h"
#include "protocol/record_columns.h"
#include "protocol/record_groups.h"

namespace fs = std::filesystem;

namespace nicenergy {

// ---- keys and order ------------------------------------------------------

// Known networks by their CompressAI name, so "Bfac" and "bmshj2018_factorized" meet.
static std::string canonical_network(const MeasurementRecord& r) {
  const std::string& network = r.network.empty() ? r.abbr : r.network;
  const NetworkSpec* spec = lookup_network(network);
  return spec ? spec->name : network;
}

bool MeasurementKey::operator<(const MeasurementKey& o) const {
  return std::tie(network, quality, image, width, height, stage, mode) <
         std::tie(o.network, o.quality, o.image, o.width, o.height, o.stage, o.mode);
}

bool MeasurementKey::operator==(const MeasurementKey& o) const {
  return network == o.network && quality == o.quality && image == o.image && width == o.width &&
         height == o.height && stage == o.stage && mode == o.mode;
}

std::string MeasurementKey::text() const {
  return network + " q" + std::to_string(quality) + " " + image + " " + std::to_string(width) + "x" +
         std::to_string(height) + (stage == "chain" ? "" : " " + stage) + (mode == "float32" ? "" : " " + mode);
}

MeasurementKey measurement_key(const MeasurementRecord& r) {
  MeasurementKey key;
  key.network = canonical_network(r);
  key.quality = r.quality;
  key.image = r.image;
  key.width = r.width;
  key.height = r.height;
  if (!r.stage.empty()) key.stage = r.stage;
  if (!r.mode.empty()) key.mode = r.mode;
  return key;
}

bool record_before(const MeasurementRecord& a, const MeasurementRecord& b) {
  const std::string na = canonical_network(a), nb = canonical_network(b);
  const int ra = network_rank(na), rb = network_rank(nb);
  const int64_t pa = int64_t(a.width) * a.height, pb = int64_t(b.width) * b.height;
  return std::tie(ra, na, a.quality, pa, a.width, a.height, a.image, a.started_at) <
         std::tie(rb, nb, b.quality, pb, b.width, b.height, b.image, b.started_at);
}

// ---- writing -------------------------------------------------------------


static std::string header_line() {
  std::string line;
  for (const auto& c : measurement_columns()) line += (line.empty() ? "" : ",") + c;
  return line + "\n";
}

std::string format_record_row(const MeasurementRecord& r) {
  std::vector<std::string> fields;
  for (const RecordColumn& c : record_columns()) fields.push_back(column_text(r, c));
  return csv_line(fields);
}

// Writes bytes at the end of the file and forces them (and a new file's directory
// entry) to disk, so that a power cut or kill after return keeps them. A failure
// is a WriteError: the caller must stop rather than measure into a file that
// does not take the rows.
static void append_synced(const std::string& path, const std::string& bytes) {
  const bool existed = fs::exists(path);
  const fs::path parent = fs::path(path).parent_path();
  if (!existed && !parent.empty()) {
    std::error_code ec;
    fs::create_directories(parent, ec);
  }
  append_text_synced(path, bytes, "results file '" + path + "'");
  if (!existed) {
    const int dir = ::open(parent.empty() ? "." : parent.c_str(), O_RDONLY);
    if (dir >= 0) {
      ::fsync(dir);
      ::close(dir);
    }
  }
}

void write_header(const std::string& path) {
  std::error_code ec;
  fs::remove(path, ec);
  append_synced(path, header_line());
}

static std::string read_first_line(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string line;
  std::getline(in, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

void append_record(const std::string& path, const MeasurementRecord& record) {
  // A device (/dev/full reads as endless zeros) or a directory is refused first.
  check_output_file(path, "results file '" + path + "'");
  std::error_code ec;
  const bool empty = !fs::exists(path) || fs::file_size(path, ec) == 0;
  if (!empty) {
    std::string expected = header_line();
    expected.pop_back();
    if (read_first_line(path) != expected)
      throw Error("results file '" + path +
                  "' has other columns than this version writes: merge it into a new file "
                  "(nicenergy merge) or choose another output");
  }
  append_synced(path, (empty ? header_line() : "") + format_record_row(record));
}

// ---- reading -------------------------------------------------------------

// Results files are read whole; a campaign of a million points is ~300 MB.
static constexpr uint64_t kMaxResultsBytes = uint64_t(1) << 30;

static std::string read_file_text(const std::string& path) {
  return read_input_file(path, "results file '" + path + "'", "check the path", kMaxResultsBytes);
}

namespace {

// The text split into rows, with the torn tail told apart from damage.
struct ResultsText {
  std::vector<CsvRow> rows;  // complete rows, the header first
  size_t torn_bytes = 0;     // a torn last row to ignore (and, on resume, to cut)
};

// A row is appended with one write, so a kill leaves at most a prefix of one
// row at the end of the file, without a line break at its end. Only that is a
// torn row. An unclosed quote or a bad row in the middle is damage, refused
// with its line: "repairing" it would cut every finished row after it.
ResultsText split_results(const std::string& text, const std::string& what) {
  CsvText csv = parse_csv(text, what);
  ResultsText out;
  out.rows = std::move(csv.rows);
  if (csv.complete_end < text.size()) {
    const std::string tail = text.substr(csv.complete_end);
    const int line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + csv.complete_end, '\n'));
    if (tail.find('\n') != std::string::npos)
      throw Error(what + " line " + std::to_string(line) +
                  ": a quoted field is never closed, so that row runs to the end of the file; fix or delete that "
                  "row (nothing was changed)");
    out.torn_bytes = tail.size();
  }
  return out;
}

std::map<std::string, size_t> column_index(const CsvRow& header, const std::string& what) {
  std::map<std::string, size_t> index;
  for (size_t c = 0; c < header.fields.size(); ++c) index.emplace(header.fields[c], c);
  std::string missing;
  for (const auto& column : measurement_columns())
    if (!index.count(column) && !is_optional_column(column)) missing += (missing.empty() ? "" : ", ") + column;
  if (!missing.empty())
    throw Error(what + " lacks the column(s) " + printable(missing, 200) +
                ": is it a nicenergy results CSV? Its first line must name the columns");
  return index;
}

}  // namespace

std::vector<MeasurementRecord> parse_results(const std::string& text, const std::string& path) {
  const std::string what = "results file '" + path + "'";
  const std::vector<CsvRow> rows = split_results(text, what).rows;
  if (rows.empty()) return {};
  const std::map<std::string, size_t> index = column_index(rows[0], what);

  std::vector<MeasurementRecord> records;
  const size_t columns = rows[0].fields.size();
  for (size_t r = 1; r < rows.size(); ++r) {
    const CsvRow& row = rows[r];
    const std::string where = what + " line " + std::to_string(row.line);
    if (row.fields.size() != columns)
      throw Error(where + ": " + std::to_string(row.fields.size()) + " fields where the header has " +
                  std::to_string(columns) + "; fix or delete that row");
    // Every number whole, finite and in range: "50x", "nan" or a width of 2^32
    // is an error naming the row and column, not a silently wrong value.
    try {
      MeasurementRecord m;
      for (const RecordColumn& c : record_columns()) {
        const auto at = index.find(c.name);
        if (at == index.end()) continue;  // an optional column older files lack
        read_column(m, c, row.fields[at->second], where + " column " + c.name);
      }
      records.push_back(std::move(m));
    } catch (const Error& e) {
      throw Error(std::string(e.what()) + "; fix or delete that row");
    }
  }
  return records;
}

std::vector<MeasurementRecord> read_results(const std::string& path) {
  return parse_results(read_file_text(path), path);
}

std::vector<MeasurementRecord> check_results_for_append(const std::string& path, size_t* torn_bytes) {
  if (torn_bytes) *torn_bytes = 0;
  const std::string what = "results file '" + path + "'";
  check_output_file(path, what);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {};  // a new file
  const std::string text = read_file_text(path);
  if (text.empty()) return {};
  // The header before anything else, so that a file of another kind (notes.txt)
  // is refused whole and never "repaired". A kill while the header was written
  // leaves a prefix of it, without a line break.
  const std::string header = header_line();
  const size_t first_break = text.find('\n');
  const std::string first_line = text.substr(0, first_break);
  const bool torn_header = first_break == std::string::npos && header.compare(0, text.size(), text) == 0;
  std::string expected = header;
  expected.pop_back();
  if (!torn_header && first_line != expected && first_line != expected + "\r")
    throw Error(what + " is not a results CSV of this version (its first line is '" + printable(first_line) +
                "'): give another --output (a new or empty file), or join old results into a new file with "
                "`nicenergy campaign merge OLD.csv --output NEW.csv`");
  if (torn_header) {
    if (torn_bytes) *torn_bytes = text.size();
    return {};
  }
  const ResultsText split = split_results(text, what);
  if (torn_bytes) *torn_bytes = split.torn_bytes;
  return parse_results(text, path);
}

size_t repair_results(const std::string& path) {
  if (!fs::exists(path)) return 0;
  size_t torn = 0;
  check_results_for_append(path, &torn);  // refuses, changing nothing, what is not a torn last row
  if (torn == 0) return 0;
  const uint64_t size = fs::file_size(path);
  std::error_code ec;
  fs::resize_file(path, size - torn, ec);
  if (ec) throw WriteError("cannot cut the torn last row of results file '" + path + "' (" + ec.message() + ")");
  const int fd = ::open(path.c_str(), O_WRONLY);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
  return torn;
}

// ---- merging -------------------------------------------------------------

MergeSummary merge_results(const std::vector<std::string>& inputs, const std::string& output) {
  if (inputs.empty()) throw Error("merge needs at least one results CSV");
  // Before reading the inputs: an output that is a directory, or under a file,
  // is refused at once, and no campaign may be appending to it meanwhile.
  check_output_file(output, "merged results file '" + output + "'");
  const fs::path parent = fs::path(output).parent_path();
  if (!parent.empty()) prepare_output_folder(parent.string(), "folder '" + parent.string() + "'");
  const OutputLock lock(output, "results file '" + output + "'");
  std::vector<MeasurementRecord> all;
  for (const auto& input : inputs) {
    auto records = read_results(input);
    all.insert(all.end(), records.begin(), records.end());
  }
  // Earliest measurement of each key wins; stable so equal times keep input order.
  std::stable_sort(all.begin(), all.end(), [](const MeasurementRecord& a, const MeasurementRecord& b) {
    return a.started_at < b.started_at;
  });
  MergeSummary summary;
  // The same point on two device models (one campaign per GPU type, merged) is
  // two measurements, both kept (two stages differ in the key itself).
  std::map<std::pair<MeasurementKey, std::string>, bool> seen;
  std::vector<MeasurementRecord> kept;
  for (auto& r : all) {
    if (!seen.emplace(std::make_pair(measurement_key(r), device_model(r)), true).second) {
      ++summary.duplicates;
      continue;
    }
    kept.push_back(std::move(r));
  }
  std::stable_sort(kept.begin(), kept.end(), record_before);

  std::string bytes = header_line();
  for (const auto& r : kept) bytes += format_record_row(r);
  // Written beside the output and renamed into place, so that the output is
  // either the old file or the whole new one; the temporary never stays.
  const std::string tmp = output + ".tmp";
  std::error_code ec;
  fs::remove(tmp, ec);
  try {
    append_synced(tmp, bytes);
  } catch (...) {
    fs::remove(tmp, ec);
    throw;
  }
  fs::rename(tmp, output, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove(tmp, ignored);
    throw Error("cannot write merged results '" + output + "' (" + ec.message() + "): check the folder");
  }
  summary.rows = kept.size();
  return summary;
}

std::string traces_folder(const std::string& results_csv) {
  fs::path folder(results_csv);
  folder.replace_extension();
  return folder.string() + "-traces";
}

}  // namespace nicenergy
