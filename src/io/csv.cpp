#include "io/csv.h"

#include "error.h"

namespace nicenergy {

CsvText parse_csv(const std::string& text, const std::string& what) {
  CsvText out;
  size_t i = 0;
  int line = 1;
  while (i < text.size()) {
    CsvRow row;
    row.line = line;
    std::string field;
    bool ended = false;       // the row ended with a line break
    bool open_quote = false;  // the text ended inside a quoted field
    bool in_field_quoted = false;
    while (i < text.size()) {
      const char c = text[i];
      if (c == '"' && field.empty() && !in_field_quoted) {
        // Quoted field: up to the closing quote, "" is a quote.
        in_field_quoted = true;
        size_t j = i + 1;
        bool closed = false;
        while (j < text.size()) {
          if (text[j] == '"') {
            if (j + 1 < text.size() && text[j + 1] == '"') {
              field += '"';
              j += 2;
              continue;
            }
            closed = true;
            ++j;
            break;
          }
          if (text[j] == '\n') ++line;
          field += text[j++];
        }
        i = j;
        if (!closed) {
          open_quote = true;
          break;
        }
        if (i < text.size() && text[i] != ',' && text[i] != '\n' && text[i] != '\r')
          throw Error(what + " line " + std::to_string(line) +
                      ": characters after a closing quote; fix or delete that row");
        continue;
      }
      if (c == ',') {
        row.fields.push_back(field);
        field.clear();
        in_field_quoted = false;
        ++i;
      } else if (c == '\n' || (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n')) {
        i += c == '\r' ? 2 : 1;
        ++line;
        ended = true;
        break;
      } else if (c == '"') {
        throw Error(what + " line " + std::to_string(line) +
                    ": a quote inside an unquoted field; fix or delete that row");
      } else {
        field += c;
        ++i;
      }
    }
    row.fields.push_back(field);
    if (!ended) {
      if (!open_quote) out.unterminated = std::move(row);
      break;
    }
    out.complete_end = i;
    if (row.fields.size() == 1 && row.fields[0].empty()) continue;  // blank line
    out.rows.push_back(std::move(row));
  }
  return out;
}

std::string csv_field(const std::string& field) {
  if (field.find_first_of(",\"\r\n") == std::string::npos) return field;
  std::string out = "\"";
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string csv_line(const std::vector<std::string>& fields) {
  std::string line;
  for (size_t i = 0; i < fields.size(); ++i) line += (i ? "," : "") + csv_field(fields[i]);
  return line + "\n";
}

}  // namespace nicenergy
