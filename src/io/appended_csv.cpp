#include "io/appended_csv.h"

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

std::vector<AppendedRow> read_appended_csv(const std::string& path, const std::string& what,
                                           const std::vector<std::string>& columns, const std::string& writer,
                                           std::string* note) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return {};
  const std::string text = read_input_file(path, what, "check the path", 1ull << 30);
  CsvText csv = parse_csv(text, what);
  if (csv.unterminated) {
    // The last append was cut short: the row is dropped and its work done again.
    write_file_replacing(path, text.substr(0, csv.complete_end), what);
    if (note)
      *note = what + ": its last row (line " + std::to_string(csv.unterminated->line) +
              ") was cut short by an interrupted write and is measured again";
  }
  if (csv.rows.empty()) return {};
  const CsvRow& header = csv.rows.front();
  for (const std::string& c : columns) {
    bool found = false;
    for (const std::string& h : header.fields) found = found || h == c;
    if (!found)
      throw Error(what + " has no column '" + c + "': it is not a file `" + writer + "` wrote; give another file");
  }
  std::vector<AppendedRow> rows;
  for (size_t n = 1; n < csv.rows.size(); ++n) {
    const CsvRow& row = csv.rows[n];
    if (row.fields.size() != header.fields.size())
      throw Error(what + " line " + std::to_string(row.line) + " has " + std::to_string(row.fields.size()) +
                  " fields, the header " + std::to_string(header.fields.size()) + ": repair or remove the line");
    AppendedRow r;
    r.line = row.line;
    r.where = what + " line " + std::to_string(row.line);
    for (size_t i = 0; i < header.fields.size(); ++i) r.fields[header.fields[i]] = row.fields[i];
    rows.push_back(std::move(r));
  }
  return rows;
}

void append_csv_row(const std::string& path, const std::vector<std::string>& columns,
                    const std::vector<std::string>& values, const std::string& what) {
  if (values.size() != columns.size())
    throw Error(what + ": a row of " + std::to_string(values.size()) + " values for " +
                std::to_string(columns.size()) + " columns (a bug: please report it)");
  std::error_code ec;
  const bool fresh = !std::filesystem::exists(path, ec) || std::filesystem::file_size(path, ec) == 0;
  append_text_synced(path, (fresh ? csv_line(columns) : std::string()) + csv_line(values), what);
}

}  // namespace nicenergy
