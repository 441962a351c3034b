#include "protocol/results_csv.h"

#include <fcntl.h>
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
#include "models/zoo.h"

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
  return std::tie(network, quality, image, width, height) <
         std::tie(o.network, o.quality, o.image, o.width, o.height);
}

bool MeasurementKey::operator==(const MeasurementKey& o) const {
  return network == o.network && quality == o.quality && image == o.image && width == o.width &&
         height == o.height;
}

std::string MeasurementKey::text() const {
  return network + " q" + std::to_string(quality) + " " + image + " " + std::to_string(width) + "x" +
         std::to_string(height);
}

MeasurementKey measurement_key(const MeasurementRecord& r) {
  MeasurementKey key;
  key.network = canonical_network(r);
  key.quality = r.quality;
  key.image = r.image;
  key.width = r.width;
  key.height = r.height;
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

// RFC 4180: quote a field holding a comma, quote or line break; double the quotes.
static std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// The shortest of %.15g..%.17g that reads back to the same double.
static std::string format_double(double v) {
  char buf[64];
  for (int precision = 15; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

static std::string header_line() {
  std::string line;
  for (const auto& c : measurement_columns()) line += (line.empty() ? "" : ",") + c;
  return line + "\n";
}

std::string format_record_row(const MeasurementRecord& r) {
  const std::vector<std::string> fields = {
      r.network, r.abbr, std::to_string(r.quality), r.level, r.image, std::to_string(r.width),
      std::to_string(r.height), std::to_string(r.pixels), std::to_string(r.padded_width),
      std::to_string(r.padded_height), format_double(r.energy_j), format_double(r.energy_ci_j),
      std::to_string(r.k), std::to_string(r.m), format_double(r.duration_s),
      format_double(r.idle_power_w), format_double(r.mean_power_w), r.meter, r.method, r.device,
      r.started_at, r.libtorch, r.cuda, r.cudnn, std::to_string(r.threads)};
  std::string line;
  for (size_t i = 0; i < fields.size(); ++i) line += (i ? "," : "") + csv_field(fields[i]);
  return line + "\n";
}

// Writes bytes at the end of the file and forces them (and a new file's directory
// entry) to disk, so that a power cut or kill after return keeps them.
static void append_synced(const std::string& path, const std::string& bytes) {
  const bool existed = fs::exists(path);
  const fs::path parent = fs::path(path).parent_path();
  if (!existed && !parent.empty()) {
    std::error_code ec;
    fs::create_directories(parent, ec);
  }
  std::FILE* f = std::fopen(path.c_str(), "ab");
  if (!f)
    throw Error("cannot open results file '" + path + "' for appending (" + std::strerror(errno) +
                "): check that its folder exists and is writable");
  const bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size() && std::fflush(f) == 0 &&
                  ::fsync(fileno(f)) == 0;
  const int err = errno;
  std::fclose(f);
  if (!ok)
    throw Error("cannot write to results file '" + path + "' (" + std::strerror(err) + "): check free disk space");
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

static std::string read_file_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("results file '" + path + "' does not exist or cannot be read: check the path");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

static int64_t parse_integer(const std::string& s, const std::string& path, int line, const std::string& column) {
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(s.c_str(), &end, 10);
  if (s.empty() || *end != '\0' || errno == ERANGE)
    throw Error("results file '" + path + "' line " + std::to_string(line) + ": column " + column + " is '" + s +
                "', not an integer; fix or delete that row");
  return v;
}

static double parse_number(const std::string& s, const std::string& path, int line, const std::string& column) {
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (s.empty() || *end != '\0')
    throw Error("results file '" + path + "' line " + std::to_string(line) + ": column " + column + " is '" + s +
                "', not a number; fix or delete that row");
  return v;
}

std::vector<MeasurementRecord> read_results(const std::string& path) {
  const std::string text = read_file_text(path);
  // A last row without a line break is a torn append: not a measurement.
  const std::vector<CsvRow> rows = parse_csv(text, "results file '" + path + "'").rows;
  if (rows.empty()) return {};

  std::map<std::string, size_t> index;
  for (size_t c = 0; c < rows[0].fields.size(); ++c) index.emplace(rows[0].fields[c], c);
  std::string missing;
  for (const auto& column : measurement_columns())
    if (!index.count(column) && !is_optional_column(column)) missing += (missing.empty() ? "" : ", ") + column;
  if (!missing.empty())
    throw Error("results file '" + path + "' lacks the column(s) " + missing +
                ": is it a nicenergy results CSV? Its first line must name the columns");

  std::vector<MeasurementRecord> records;
  const size_t columns = rows[0].fields.size();
  for (size_t r = 1; r < rows.size(); ++r) {
    const CsvRow& row = rows[r];
    if (row.fields.size() != columns)
      throw Error("results file '" + path + "' line " + std::to_string(row.line) + ": " +
                  std::to_string(row.fields.size()) + " fields where the header has " + std::to_string(columns) +
                  "; fix or delete that row");
    auto str = [&](const char* c) { return row.fields[index.at(c)]; };
    auto integer = [&](const char* c) { return parse_integer(str(c), path, row.line, c); };
    auto number = [&](const char* c) { return parse_number(str(c), path, row.line, c); };
    MeasurementRecord m;
    m.network = str("network");
    m.abbr = str("abbr");
    m.quality = static_cast<int>(integer("quality"));
    m.level = str("level");
    m.image = str("image");
    m.width = static_cast<int>(integer("width"));
    m.height = static_cast<int>(integer("height"));
    m.pixels = integer("pixels");
    m.padded_width = static_cast<int>(integer("padded_width"));
    m.padded_height = static_cast<int>(integer("padded_height"));
    m.energy_j = number("energy_j");
    m.energy_ci_j = number("energy_ci_j");
    m.k = static_cast<int>(integer("k"));
    m.m = integer("m");
    m.duration_s = number("duration_s");
    m.idle_power_w = number("idle_power_w");
    m.mean_power_w = number("mean_power_w");
    m.meter = str("meter");
    m.method = str("method");
    m.device = str("device");
    m.started_at = str("started_at");
    if (index.count("libtorch")) m.libtorch = str("libtorch");
    if (index.count("cuda")) m.cuda = str("cuda");
    if (index.count("cudnn")) m.cudnn = str("cudnn");
    if (index.count("threads")) m.threads = static_cast<int>(integer("threads"));
    records.push_back(std::move(m));
  }
  return records;
}

size_t repair_results(const std::string& path) {
  if (!fs::exists(path)) return 0;
  const std::string text = read_file_text(path);
  const size_t complete_end = parse_csv(text, "results file '" + path + "'").complete_end;
  if (complete_end == text.size()) return 0;
  fs::resize_file(path, complete_end);
  const int fd = ::open(path.c_str(), O_WRONLY);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
  return text.size() - complete_end;
}

// ---- merging -------------------------------------------------------------

MergeSummary merge_results(const std::vector<std::string>& inputs, const std::string& output) {
  if (inputs.empty()) throw Error("merge needs at least one results CSV");
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
  std::map<MeasurementKey, bool> seen;
  std::vector<MeasurementRecord> kept;
  for (auto& r : all) {
    if (!seen.emplace(measurement_key(r), true).second) {
      ++summary.duplicates;
      continue;
    }
    kept.push_back(std::move(r));
  }
  std::stable_sort(kept.begin(), kept.end(), record_before);

  std::string bytes = header_line();
  for (const auto& r : kept) bytes += format_record_row(r);
  const std::string tmp = output + ".tmp";
  std::error_code ec;
  fs::remove(tmp, ec);
  append_synced(tmp, bytes);
  fs::rename(tmp, output, ec);
  if (ec) throw Error("cannot write merged results '" + output + "' (" + ec.message() + "): check the folder");
  summary.rows = kept.size();
  return summary;
}

}  // namespace nicenergy
