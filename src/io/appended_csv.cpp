#include "io/appended_csv.h"

#include <algorithm>
#include <filesystem>

#include "error.h"
#include "io/csv.h"
#include "io/files.h"
#include "io/numbers.h"

namespace nicenergy {

const std::string& AppendedRow::text(const std::string& column) const {
  auto it = fields.find(column);
  if (it == fields.end()) throw Error(where + " has no column '" + column + "'");
  return it->second;
}

double AppendedRow::number(const std::string& column) const {
  return parse_double(text(column), where + " column " + column);
}

int64_t AppendedRow::whole(const std::string& column) const {
  return parse_int64(text(column), where + " column " + column);
}

namespace {

// A file of appended rows as read: its rows and what was left out.
struct AppendedText {
  std::vector<AppendedRow> rows;
  size_t torn_bytes = 0;  // a last row without its line break
  int torn_line = 0;
  bool older = false;     // its header lacks the newer columns
};

std::string header_text(const std::vector<std::string>& columns, size_t count) {
  return csv_line({columns.begin(), columns.begin() + static_cast<std::ptrdiff_t>(count)});
}

// Which header the first line is: the writer's (false) or an older version's
// (true). Anything else is not ours and is refused, before the rest is read.
bool check_header(const std::string& text, const AppendedFormat& f) {
  std::string first = text.substr(0, text.find('\n'));
  if (!first.empty() && first.back() == '\r') first.pop_back();
  const std::string current = header_text(f.columns, f.columns.size());
  if (first + "\n" == current) return false;
  if (f.newer_columns > 0 && first + "\n" == header_text(f.columns, f.columns.size() - f.newer_columns)) return true;
  std::string missing;
  for (const std::string& c : f.columns)
    if (missing.empty() && ("," + first + ",").find("," + c + ",") == std::string::npos) missing = c;
  throw Error(f.what + (missing.empty() ? " has other columns" : " has no column '" + missing + "'") +
              " (its first line is '" + printable(first) + "'): it is not a file `" + f.writer +
              "` wrote; give another file (nothing was changed)");
}

// The text's last row without its line break is torn only when nothing follows
// a line break after it: an unclosed quote in the middle would hide every row
// after it, so it is damage, refused with its line.
size_t torn_tail(const std::string& text, const CsvText& csv, const std::string& what, int* line) {
  if (csv.complete_end >= text.size()) return 0;
  *line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + csv.complete_end, '\n'));
  if (text.find('\n', csv.complete_end) != std::string::npos)
    throw Error(what + " line " + std::to_string(*line) +
                ": a quoted field is never closed, so that row runs over every row after it; fix or delete that "
                "row (nothing was changed)");
  return text.size() - csv.complete_end;
}

AppendedText parse_appended(const std::string& text, const AppendedFormat& f) {
  AppendedText out;
  if (text.empty()) return out;
  // A kill while the header was written leaves a prefix of it, without a line break.
  if (text.find('\n') == std::string::npos && header_text(f.columns, f.columns.size()).rfind(text, 0) == 0) {
    out.torn_bytes = text.size();
    out.torn_line = 1;
    return out;
  }
  out.older = check_header(text, f);
  const CsvText csv = parse_csv(text, f.what);
  out.torn_bytes = torn_tail(text, csv, f.what, &out.torn_line);
  const CsvRow& header = csv.rows.front();
  for (size_t n = 1; n < csv.rows.size(); ++n) {
    const CsvRow& row = csv.rows[n];
    if (row.fields.size() != header.fields.size())
      throw Error(f.what + " line " + std::to_string(row.line) + " has " + std::to_string(row.fields.size()) +
                  " fields, the header " + std::to_string(header.fields.size()) + ": repair or remove the line");
    AppendedRow r;
    r.line = row.line;
    r.where = f.what + " line " + std::to_string(row.line);
    for (const std::string& c : f.columns) r.fields[c] = "";  // an older file's newer columns
    for (size_t i = 0; i < header.fields.size(); ++i) r.fields[header.fields[i]] = row.fields[i];
    out.rows.push_back(std::move(r));
  }
  return out;
}

std::string read_text(const std::string& path, const AppendedFormat& f) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return "";
  return read_input_file(path, f.what, "check the path", 1ull << 30);
}

}  // namespace

std::vector<AppendedRow> read_appended_csv(const std::string& path, const AppendedFormat& format) {
  return parse_appended(read_text(path, format), format).rows;
}

std::vector<AppendedRow> resume_appended_csv(const std::string& path, const AppendedFormat& format,
                                             std::string* note) {
  const std::string text = read_text(path, format);
  AppendedText t = parse_appended(text, format);
  if (t.older)
    throw Error(format.what + " was written by an older nicenergy (it lacks the column '" + format.columns.back() +
                "'): give a new file to append to; `report` still reads this one");
  if (t.torn_bytes > 0) {
    // The last append was cut short: the row is dropped and its work done again.
    write_file_replacing(path, text.substr(0, text.size() - t.torn_bytes), format.what);
    if (note)
      *note = format.what + ": its last row (line " + std::to_string(t.torn_line) +
              ") was cut short by an interrupted write and is measured again";
  }
  return std::move(t.rows);
}

void append_csv_row(const std::string& path, const AppendedFormat& format, const std::vector<std::string>& values) {
  if (values.size() != format.columns.size())
    throw Error(format.what + ": a row of " + std::to_string(values.size()) + " values for " +
                std::to_string(format.columns.size()) + " columns (a bug: please report it)");
  std::error_code ec;
  const bool fresh = !std::filesystem::exists(path, ec) || std::filesystem::file_size(path, ec) == 0;
  append_text_synced(path, (fresh ? csv_line(format.columns) : std::string()) + csv_line(values), format.what);
}

}  // namespace nicenergy
