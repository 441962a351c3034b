// A small text table rendered four ways: aligned plain text, CSV, Markdown and
// HTML. The fit table (Table 2), the report's Table 1 and the page share it, so
// every output of one table carries the same header and numbers.
#pragma once
#include <string>
#include <vector>

namespace nicenergy {

struct TextTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;  // each as long as header
};

std::string render_text(const TextTable& table);      // columns padded with spaces
std::string render_csv(const TextTable& table);       // RFC 4180 quoting where needed
std::string render_markdown(const TextTable& table);  // GitHub pipe table
std::string render_html(const TextTable& table);      // <table> with escaped cells

// format is "table", "csv" or "markdown"; throws nicenergy::Error otherwise.
std::string render_table(const TextTable& table, const std::string& format);

std::string html_escape(const std::string& text);
// printf-style formatting of one double, e.g. format_number(0.123, "%.3f").
std::string format_number(double value, const char* printf_format);

}  // namespace nicenergy
