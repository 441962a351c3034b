// The CSVs that commands append one finished row at a time (`modes --output`,
// `layers --output`): read back by column name. A file is ours only when its
// first line is the writer's header; anything else is refused and left as it
// is. Only a torn last row (an interrupted append) is dropped, and cut from the
// file only by the command about to append; damage before it is refused with
// its line. An interrupted run keeps what it finished.
#pragma once
#include <cstddef>
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

// What a file of appended rows is.
struct AppendedFormat {
  std::string what;                  // names the file in messages: "modes file 'a.csv'"
  std::vector<std::string> columns;  // the header, in order
  std::string writer;                // the command that writes it: "nicenergy modes --output"
  // The last columns, which files of an older version lack: such files are
  // read (those columns empty) but not appended to.
  size_t newer_columns = 0;
};

// The rows of `path`, changing nothing; none when it does not exist or is
// empty. Refused in one line: a first line that is not the header, a row with
// another number of fields, an unclosed quote that runs over later rows (with
// its line). A last row without its line break is left out.
std::vector<AppendedRow> read_appended_csv(const std::string& path, const AppendedFormat& format);

// For a command about to append (holding the output's lock): the rows read as
// above, a file of an older version refused, and a torn last row cut from the
// file, said in *note.
std::vector<AppendedRow> resume_appended_csv(const std::string& path, const AppendedFormat& format,
                                             std::string* note = nullptr);

// Appends one row, and the header first to a new or empty file, synced to disk.
void append_csv_row(const std::string& path, const AppendedFormat& format, const std::vector<std::string>& values);

}  // namespace nicenergy
