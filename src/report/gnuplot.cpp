#include "report/gnuplot.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <utility>
#include <vector>

#include "io/files.h"
#include "report/text_table.h"

namespace fs = std::filesystem;

namespace nicenergy {

std::string gp_number(double value) { return format_number(value, "%.9g"); }

// Quotes for the shell and for gnuplot strings alike (no quote characters expected).
static std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}
std::string gp_plain(const std::string& text) {
  std::string out;
  for (char c : text)
    if (c != '\'' && c != '"' && c != '\\' && c != '\n' && c != '\r') out += c;
  return out;
}
std::string gp_string(const std::string& text) { return "\"" + gp_plain(text) + "\""; }

std::string network_color(const std::string& abbr) {
  static const std::vector<std::pair<std::string, std::string>> colors = {
      {"Bfac", "#1f77b4"}, {"Bhyp", "#ff7f0e"}, {"Mmean", "#2ca02c"},
      {"Mcont", "#d62728"}, {"Canch", "#9467bd"}, {"Cattn", "#8c564b"},
      // The legacy codecs of issue 17, so that they never share a colour.
      {"JPEG", "#000000"}, {"WebP", "#17becf"}, {"AVIF", "#bcbd22"}, {"JPEG-XL", "#e377c2"},
      {"HEIC", "#7f7f7f"}, {"JPEG-2000", "#8c6d31"}, {"JPEG XL", "#e377c2"}, {"JPEG 2000", "#8c6d31"}};
  for (const auto& [name, color] : colors)
    if (name == abbr) return color;
  static const std::vector<std::string> spare = {"#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
  size_t hash = 0;
  for (char c : abbr) hash = hash * 31 + static_cast<unsigned char>(c);
  return spare[hash % spare.size()];
}

// Both terminals from one script: SVG for the page, PNG for slides and mail.
std::string gp_header(const std::string& stem) {
  return "# Made by nicenergy; edit and rerun with: gnuplot " + stem + ".gp\n"
         "set terminal svg size 820,560 dynamic noenhanced font 'Helvetica,14' background rgb 'white'\n"
         "set output '" + stem + ".svg'\n"
         "set encoding utf8\n"
         "set grid lc rgb '#dddddd'\n"
         "set border lc rgb '#444444'\n";
}
std::string gp_footer(const std::string& stem) {
  return "set terminal pngcairo size 1230,840 noenhanced font 'Helvetica,19' background rgb 'white'\n"
         "set output '" + stem + ".png'\n"
         "replot\n"
         "unset output\n";
}

bool gnuplot_available(const std::string& program) {
  const std::string command = "command -v " + shell_quote(program) + " >/dev/null 2>&1";
  return std::system(command.c_str()) == 0;
}

std::string run_gnuplot(const std::string& program, const fs::path& dir, const std::string& stem) {
  const std::string log = stem + ".log";
  const std::string command = "cd " + shell_quote(dir.string()) + " && " + shell_quote(program) + " " +
                              shell_quote(stem + ".gp") + " >" + shell_quote(log) + " 2>&1";
  const int status = std::system(command.c_str());
  std::string log_text;
  {
    std::ifstream in(dir / log);
    std::stringstream buffer;
    buffer << in.rdbuf();
    log_text = buffer.str();
  }
  const bool made = fs::exists(dir / (stem + ".svg")) && fs::file_size(dir / (stem + ".svg")) > 0 &&
                    fs::exists(dir / (stem + ".png")) && fs::file_size(dir / (stem + ".png")) > 0;
  if (status == 0 && made) {
    std::error_code ignored;
    if (log_text.empty()) fs::remove(dir / log, ignored);  // keep the log only when it says something
    return "";
  }
  std::string last_line = log_text;
  while (!last_line.empty() && (last_line.back() == '\n' || last_line.back() == '\r')) last_line.pop_back();
  if (const size_t nl = last_line.rfind('\n'); nl != std::string::npos) last_line = last_line.substr(nl + 1);
  return stem + ".gp failed (exit status " + std::to_string(status) + ")" +
         (last_line.empty() ? "" : ": " + last_line) + "; see " + log;
}

std::vector<std::string> write_standalone_figure(const std::string& dir, const std::string& stem,
                                                 const std::string& dat, const std::string& gp,
                                                 const std::string& program, std::string* warning) {
  prepare_output_folder(dir, "plot folder '" + dir + "'");
  write_file_replacing((fs::path(dir) / (stem + ".dat")).string(), dat, "plot data '" + stem + ".dat'");
  write_file_replacing((fs::path(dir) / (stem + ".gp")).string(), gp, "plot script '" + stem + ".gp'");
  std::vector<std::string> files = {stem + ".dat", stem + ".gp"};
  if (!gnuplot_available(program)) {
    *warning = "gnuplot ('" + program + "') is not on PATH: figure not drawn; install gnuplot (Debian: gnuplot-nox) "
               "and run " + stem + ".gp in " + dir;
    return files;
  }
  const std::string why = run_gnuplot(program, dir, stem);
  if (!why.empty()) {
    *warning = why;
    return files;
  }
  files.push_back(stem + ".svg");
  files.push_back(stem + ".png");
  return files;
}

}  // namespace nicenergy
