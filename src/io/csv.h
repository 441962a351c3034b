// The one CSV reader: RFC 4180 text (quoted fields, "" for a quote, line
// breaks inside quotes, LF or CRLF) split into rows of fields. The results CSV
// and the power traces both read through it.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace nicenergy {

struct CsvRow {
  int line = 0;  // line number where the row starts, 1-based
  std::vector<std::string> fields;
};

struct CsvText {
  std::vector<CsvRow> rows;            // rows that end with a line break; blank lines left out
  std::optional<CsvRow> unterminated;  // a last row without a line break (its quotes closed), if any
  size_t complete_end = 0;             // offset just past the last row that ends with a line break
};

// A last row without a line break is returned apart, in `unterminated`, so that
// each caller decides: a results file, appended row by row, takes it for a torn
// write; a trace written by hand may simply lack the final newline. A last row
// torn inside a quoted field is neither in rows nor in unterminated. `what`
// names the input in errors ("results file 'a.csv'"): nicenergy::Error for a
// quote inside an unquoted field or characters after a closing quote, with the line.
CsvText parse_csv(const std::string& text, const std::string& what);

// One field as RFC 4180 writes it: quoted when it holds a comma, quote or line
// break, its quotes doubled. The writers of every CSV use it.
std::string csv_field(const std::string& field);
// The fields as one line, ending in a line break.
std::string csv_line(const std::vector<std::string>& fields);

}  // namespace nicenergy
