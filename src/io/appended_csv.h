// The CSVs that commands append one finished row at a time (`modes --output`,
// `layers --output`): read back by column name, with a torn last row cut off
// so that its work is done again. An interrupted run keeps what it finished.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace nicenergy {

struct AppendedRow {
  int line = 0;
  std::string where;  // "modes file 'a.csv' line 3", for errors
  std::map<std::string, std::string> fields;
  const std::string& text(const std::string& column) const;
  // Errors name the file, the line and the column.
  double number(const std::string& column) const;
  int64_t whole(const std::string& column) const;
};

// The rows of `path`; none when it does not exist or is empty. `what` names the
// file in messages ("modes file 'a.csv'"), `writer` the command that writes it.
// A last row without its line break (an interrupted append) is cut from the
// file and said in *note. Every column of `columns` must be in the header, and
// every row must have the header's number of fields.
std::vector<AppendedRow> read_appended_csv(const std::string& path, const std::string& what,
                                           const std::vector<std::string>& columns, const std::string& writer,
                                           std::string* note = nullptr);

// Appends one row, and the header first to a new or empty file, synced to disk.
void append_csv_row(const std::string& path, const std::vector<std::string>& columns,
                    const std::vector<std::string>& values, const std::string& what);

}  // namespace nicenergy
