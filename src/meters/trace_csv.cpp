#include "meters/trace_csv.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "error.h"
#include "io/csv.h"

namespace nicenergy {

static std::string trimmed(const std::string& cell) {
  const size_t a = cell.find_first_not_of(" \t\r");
  const size_t b = cell.find_last_not_of(" \t\r");
  return a == std::string::npos ? "" : cell.substr(a, b - a + 1);
}

static std::string joined(const std::vector<std::string>& fields) {
  std::string line;
  for (size_t i = 0; i < fields.size(); ++i) line += (i ? "," : "") + fields[i];
  return line;
}

std::vector<TracePoint> read_trace_csv(const std::string& path) {
  const std::string what = "power trace '" + path + "'";
  const std::string shape = "a CSV with a header time_s,power_w[,window]";
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot open " + what + ": check the path (" + shape + ")");
  std::ostringstream text;
  text << in.rdbuf();
  CsvText csv = parse_csv(text.str(), what);
  // A trace written by hand may lack the last newline; its last row still counts.
  if (csv.unterminated) csv.rows.push_back(*csv.unterminated);
  if (csv.rows.empty()) throw Error(what + " is empty: it needs " + shape);

  const std::vector<std::string>& header = csv.rows.front().fields;
  auto column = [&](const std::string& name) {
    for (size_t i = 0; i < header.size(); ++i)
      if (trimmed(header[i]) == name) return static_cast<int>(i);
    return -1;
  };
  const int col_time = column("time_s"), col_power = column("power_w"), col_window = column("window");
  for (const auto& [col, name] : {std::make_pair(col_time, "time_s"), std::make_pair(col_power, "power_w")})
    if (col < 0)
      throw Error(what + ": no " + name + " column in the header '" + joined(header) + "'; it needs " + shape);

  std::vector<TracePoint> points;
  for (size_t r = 1; r < csv.rows.size(); ++r) {
    const CsvRow& row = csv.rows[r];
    const std::string where = what + " line " + std::to_string(row.line);
    if (std::all_of(row.fields.begin(), row.fields.end(), [](const std::string& f) { return trimmed(f).empty(); }))
      continue;  // a line of spaces
    TracePoint p;
    try {
      if (static_cast<int>(row.fields.size()) <= std::max({col_time, col_power, col_window}))
        throw std::invalid_argument("short row");
      // The whole cell must be the number: "0.1abc" is an error, not 0.1.
      auto number = [&](int col, auto parse) {
        const std::string cell = trimmed(row.fields[col]);
        size_t used = 0;
        const auto value = parse(cell, &used);
        if (used != cell.size()) throw std::invalid_argument("trailing characters");
        return value;
      };
      p.time_s = number(col_time, [](const std::string& c, size_t* u) { return std::stod(c, u); });
      p.power_w = number(col_power, [](const std::string& c, size_t* u) { return std::stod(c, u); });
      if (col_window >= 0) p.window = number(col_window, [](const std::string& c, size_t* u) { return std::stoi(c, u); });
    } catch (const std::exception&) {
      throw Error(where + ": expected numbers in time_s and power_w" +
                  std::string(col_window >= 0 ? " and an integer window" : "") + ", got '" + joined(row.fields) + "'");
    }
    if (!points.empty() && p.time_s < points.back().time_s)
      throw Error(where + ": time_s goes backwards; sort the trace by time");
    points.push_back(p);
  }
  if (points.empty()) throw Error(what + " has a header but no samples: record a trace first");
  return points;
}

}  // namespace nicenergy
