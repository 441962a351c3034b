#include "meters/trace_csv.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <cmath>

#include "error.h"
#include "io/csv.h"
#include "io/files.h"
#include "io/numbers.h"

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

static const char* const kShape = "a CSV with a header time_s,power_w[,window]";

std::vector<TracePoint> read_trace_csv(const std::string& path) {
  const std::string what = "power trace '" + path + "'";
  return parse_trace_csv(read_input_file(path, what, "give " + std::string(kShape), kMaxTraceBytes), what);
}

std::vector<TracePoint> parse_trace_csv(const std::string& text, const std::string& what) {
  const std::string shape = kShape;
  CsvText csv = parse_csv(text, what);
  // A trace written by hand may lack the last newline; its last row still counts.
  if (csv.unterminated) csv.rows.push_back(*csv.unterminated);
  if (csv.complete_end < text.size() && !csv.unterminated)
    throw Error(what + ": a quoted field is never closed; fix the trace");
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
      throw Error(what + ": no " + name + " column in the header '" + printable(joined(header)) + "'; it needs " + shape);

  std::vector<TracePoint> points;
  for (size_t r = 1; r < csv.rows.size(); ++r) {
    const CsvRow& row = csv.rows[r];
    const std::string where = what + " line " + std::to_string(row.line);
    if (std::all_of(row.fields.begin(), row.fields.end(), [](const std::string& f) { return trimmed(f).empty(); }))
      continue;  // a line of spaces
    if (static_cast<int>(row.fields.size()) <= std::max({col_time, col_power, col_window}))
      throw Error(where + ": expected time_s and power_w" + std::string(col_window >= 0 ? " and window" : "") +
                  ", got '" + printable(joined(row.fields)) + "'");
    // The whole cell must be a finite number within the bounds: "0.1abc",
    // "nan" or "inf" is an error naming the line and column, not 0.1 or a nan J.
    auto number = [&](int col, const char* name, double bound) {
      const double v = parse_double(trimmed(row.fields[col]), where + " column " + name);
      if (std::fabs(v) > bound)
        throw_out_of_range(where + " column " + name, number_text(v), "within +-" + number_text(bound));
      return v;
    };
    TracePoint p;
    p.time_s = number(col_time, "time_s", kMaxTraceTimeS);
    p.power_w = number(col_power, "power_w", kMaxTracePowerW);
    if (col_window >= 0) p.window = parse_integer<int>(trimmed(row.fields[col_window]), where + " column window", -1);
    if (!points.empty() && p.time_s < points.back().time_s)
      throw Error(where + ": time_s goes backwards; sort the trace by time");
    points.push_back(p);
  }
  if (points.empty()) throw Error(what + " has a header but no samples: record a trace first");
  return points;
}

void write_power_trace_csv(const std::string& path, const std::vector<PowerSample>& samples,
                           const std::vector<TraceWindow>& windows) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (!f)
    throw WriteError("trace '" + path + "': cannot write it (" + std::strerror(errno) +
                     "); check that the folder exists and is writable");
  bool ok = std::fprintf(f, "time_s,power_w,window\n") > 0;
  const double origin_s = samples.empty() ? 0 : samples.front().t_s;
  size_t w = 0;  // samples and windows are both in time order
  for (const PowerSample& s : samples) {
    while (w < windows.size() && windows[w].end_s < s.t_s) ++w;
    const int window = w < windows.size() && s.t_s >= windows[w].start_s ? windows[w].index : -1;
    ok = ok && std::fprintf(f, "%.6f,%.9g,%d\n", s.t_s - origin_s, s.power_w, window) > 0;
  }
  // Buffered bytes reach the disk at fflush and fclose: a full disk shows there.
  ok = std::fflush(f) == 0 && ok;
  const int error = errno;
  if (std::fclose(f) != 0 || !ok)
    throw WriteError("trace '" + path + "': writing failed (" + std::strerror(ok ? errno : error) +
                     "); free space and run again");
}

}  // namespace nicenergy
