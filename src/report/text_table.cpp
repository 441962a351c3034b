#include "report/text_table.h"

#include <algorithm>
#include <cstdio>

#include "error.h"

namespace nicenergy {

// Width on screen: UTF-8 continuation bytes take no column (units like µJ).
static size_t display_width(const std::string& text) {
  size_t width = 0;
  for (unsigned char c : text)
    if ((c & 0xC0) != 0x80) ++width;
  return width;
}

static std::string pad(const std::string& text, size_t width, bool right) {
  const size_t have = display_width(text);
  const std::string fill(width > have ? width - have : 0, ' ');
  return right ? fill + text : text + fill;
}

// Numbers read better right-aligned; a cell counts as a number if it starts like one.
static bool looks_numeric(const std::string& text) {
  if (text.empty()) return false;
  const char c = text[0];
  return (c >= '0' && c <= '9') || ((c == '-' || c == '+' || c == '.') && text.size() > 1);
}

std::string render_text(const TextTable& table) {
  std::vector<size_t> widths(table.header.size(), 0);
  for (size_t c = 0; c < table.header.size(); ++c) widths[c] = display_width(table.header[c]);
  for (const auto& row : table.rows)
    for (size_t c = 0; c < row.size() && c < widths.size(); ++c)
      widths[c] = std::max(widths[c], display_width(row[c]));
  std::string out;
  auto line = [&](const std::vector<std::string>& cells, bool header) {
    std::string text;
    for (size_t c = 0; c < widths.size(); ++c) {
      const std::string cell = c < cells.size() ? cells[c] : "";
      if (c) text += "  ";
      text += pad(cell, widths[c], !header && looks_numeric(cell));
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    out += text + "\n";
  };
  line(table.header, true);
  std::string rule;
  for (size_t c = 0; c < widths.size(); ++c) rule += (c ? "  " : "") + std::string(widths[c], '-');
  out += rule + "\n";
  for (const auto& row : table.rows) line(row, false);
  return out;
}

static std::string csv_cell(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string render_csv(const TextTable& table) {
  std::string out;
  auto line = [&](const std::vector<std::string>& cells) {
    for (size_t c = 0; c < cells.size(); ++c) out += (c ? "," : "") + csv_cell(cells[c]);
    out += "\n";
  };
  line(table.header);
  for (const auto& row : table.rows) line(row);
  return out;
}

std::string render_markdown(const TextTable& table) {
  auto cell = [](std::string text) {
    std::string out;
    for (char c : text) out += c == '|' ? std::string("\\|") : std::string(1, c);
    return out;
  };
  std::string out = "|";
  for (const auto& h : table.header) out += " " + cell(h) + " |";
  out += "\n|";
  // Right-align a column whose cells are all numbers (or "-" for none).
  for (size_t c = 0; c < table.header.size(); ++c) {
    bool numeric = !table.rows.empty();
    for (const auto& row : table.rows)
      if (c >= row.size() || !(looks_numeric(row[c]) || row[c] == "-")) numeric = false;
    out += numeric ? " ---: |" : " --- |";
  }
  out += "\n";
  for (const auto& row : table.rows) {
    out += "|";
    for (const auto& v : row) out += " " + cell(v) + " |";
    out += "\n";
  }
  return out;
}

std::string html_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string render_html(const TextTable& table) {
  std::string out = "<table>\n<thead><tr>";
  for (const auto& h : table.header) out += "<th>" + html_escape(h) + "</th>";
  out += "</tr></thead>\n<tbody>\n";
  for (const auto& row : table.rows) {
    out += "<tr>";
    for (const auto& v : row)
      out += std::string(looks_numeric(v) ? "<td class=\"num\">" : "<td>") + html_escape(v) + "</td>";
    out += "</tr>\n";
  }
  return out + "</tbody>\n</table>\n";
}

std::string render_table(const TextTable& table, const std::string& format) {
  if (format == "table") return render_text(table);
  if (format == "csv") return render_csv(table);
  if (format == "markdown") return render_markdown(table);
  throw Error("unknown table format '" + format + "': use table, csv or markdown");
}

std::string format_number(double value, const char* printf_format) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, printf_format, value);
  return buffer;
}

}  // namespace nicenergy
