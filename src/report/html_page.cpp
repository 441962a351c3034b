#include <algorithm>
#include <set>

#include "report/rd_report.h"
#include "meters/estimate_label.h"
#include "report/report_parts.h"

namespace nicenergy {

static std::string joined(const std::set<std::string>& values) {
  std::string out;
  for (const std::string& v : values) out += (out.empty() ? "" : ", ") + (v.empty() ? std::string("(none)") : v);
  return out;
}

// Idle references and sanity warnings of the records (issue 10): shown where
// present, so that no warning of the measurement stays in the CSV unseen.
static std::string measurement_quality_html(const std::vector<MeasurementRecord>& records) {
  std::string html;
  bool any_idle = false;
  bool any_memory = false;
  for (const MeasurementRecord& r : records) {
    any_idle = any_idle || r.idle_cold_power_w || r.idle_hot_power_w;
    any_memory = any_memory || r.memory_share || r.dram_bw_util_pct || r.sm_util_pct || r.tensor_util_pct;
  }
  if (any_memory) {
    html += "<h2>Memory and the rest</h2>\n<p>Share of the executions' energy drawn by the GPU memory (NVML's "
            "memory-scope power, a 1 s average, integrated over the executions); the rest is 1 minus it. "
            "DRAM bandwidth, SM and tensor-core utilisation are NVML's GPM means over the executions "
            "(Hopper and later; &ndash; where not measured).</p>\n"
            "<table><tr><th>network</th><th>q</th><th>image</th><th>E J</th><th>memory share</th><th>rest share</th>"
            "<th>DRAM bandwidth</th><th>SM</th><th>tensor cores</th></tr>\n";
    auto pct = [](const std::optional<double>& v) {
      return "<td class=\"num\">" + (v ? format_number(*v, "%.1f") + " %" : std::string("&ndash;")) + "</td>";
    };
    for (const MeasurementRecord& r : records)
      if (r.memory_share || r.dram_bw_util_pct || r.sm_util_pct || r.tensor_util_pct)
        html += "<tr><td>" + html_escape(r.abbr) + "</td><td>" + std::to_string(r.quality) + "</td><td>" +
                html_escape(image_label(r.image) + " " + size_label(r)) + "</td><td class=\"num\">" +
                format_number(r.energy_j, "%.5g") + "</td>" +
                pct(r.memory_share ? std::optional<double>(100 * *r.memory_share) : std::nullopt) +
                pct(r.memory_share ? std::optional<double>(100 * (1 - *r.memory_share)) : std::nullopt) +
                pct(r.dram_bw_util_pct) + pct(r.sm_util_pct) + pct(r.tensor_util_pct) + "</tr>\n";
    html += "</table>\n";
  }
  if (any_idle) {
    html += "<h2>Idle references</h2>\n<p>Eq. (1) subtracts the idle power named in the last column. Cold: the "
            "paper's, before the model is loaded; hot: after preheat, CUDA context and model resident.</p>\n"
            "<table><tr><th>network</th><th>q</th><th>image</th><th>idle cold W</th><th>idle hot W</th>"
            "<th>E cold J</th><th>E hot J</th><th>used</th></tr>\n";
    auto cell = [](const std::optional<double>& v) {
      return "<td class=\"num\">" + (v ? format_number(*v, "%.5g") : std::string("&ndash;")) + "</td>";
    };
    for (const MeasurementRecord& r : records)
      html += "<tr><td>" + html_escape(r.abbr) + "</td><td>" + std::to_string(r.quality) + "</td><td>" +
              html_escape(image_label(r.image) + " " + size_label(r)) + "</td>" +
              cell(r.idle_cold_power_w) + cell(r.idle_hot_power_w) + cell(r.energy_cold_j) + cell(r.energy_hot_j) +
              "<td>" + html_escape(r.idle_reference) + "</td></tr>\n";
    html += "</table>\n";
  }
  std::string warnings;
  for (const MeasurementRecord& r : records)
    if (!r.warnings.empty())
      warnings += "<li>" + html_escape(r.abbr + " q" + std::to_string(r.quality) + " " + image_label(r.image) + " " +
                                       size_label(r) + ": " + r.warnings) +
                  "</li>\n";
  if (!warnings.empty())
    html += "<h2>Measurement warnings</h2>\n<p class=\"banner\">Some measurements carry warnings of the "
            "protocol's sanity checks; read them before trusting those rows.</p>\n<ul>\n" + warnings + "</ul>\n";
  return html;
}

namespace {

// The head, the style and the estimate banner.
std::string page_head(const std::vector<MeasurementRecord>& records) {
  std::string html =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<title>nicenergy report</title>\n<style>\n"
      "body { font-family: Helvetica, Arial, sans-serif; max-width: 70em; margin: 2em auto; padding: 0 1em; color: #222; }\n"
      "table { border-collapse: collapse; margin: 1em 0; }\n"
      "th, td { border: 1px solid #bbb; padding: 0.25em 0.6em; }\n"
      "th { background: #f0f0f0; } td.num { text-align: right; font-variant-numeric: tabular-nums; }\n"
      "figure { margin: 1.5em 0; } figure img { max-width: 100%; border: 1px solid #eee; }\n"
      ".banner { background: #fff3cd; border: 2px solid #d39e00; padding: 0.8em 1em; font-size: 1.15em; }\n"
      ".note { background: #eef4fb; border-left: 4px solid #4a86c5; padding: 0.5em 1em; }\n"
      "</style>\n</head>\n<body>\n<h1>Processing energy of neural image codecs</h1>\n";
  if (any_estimate(records))
    html += "<p class=\"banner\"><strong>ESTIMATES, NOT MEASUREMENTS.</strong> Some or all energies below are "
            "estimated from CPU time &times; a share of the TDP (method &ldquo;estimate&rdquo;); no power meter "
            "was read for them. Use them for rough comparisons only.</p>\n";
  else if (any_host_estimate(records))
    html += "<p class=\"banner\"><strong>HOST CPU ENERGIES ARE ESTIMATES.</strong> The device's energies were "
            "measured, but the host CPU beside it had no power meter: its energies (the stage table's host "
            "columns) are estimated from CPU time &times; a share of the TDP.</p>\n";
  return html;
}

// The figures whose stem starts with `prefix`, or a note for each one gnuplot did not draw.
std::string figure_html(const PageParts& parts, const std::vector<Figure>& figures, const std::string& prefix) {
  std::string out;
  for (const Figure& f : figures) {
    if (f.stem.rfind(prefix, 0) != 0) continue;
    if (std::find(parts.failed.begin(), parts.failed.end(), f.stem) != parts.failed.end()) {
      out += "<p class=\"note\">" + html_escape(f.caption) + " Not drawn; script: <a href=\"" + f.stem + ".gp\">" +
             f.stem + ".gp</a></p>\n";
      continue;
    }
    out += "<figure><img src=\"" + f.stem + ".svg\" alt=\"" + html_escape(f.caption) + "\"><figcaption>" +
           html_escape(f.caption) + " <a href=\"" + f.stem + ".png\">PNG</a>, <a href=\"" + f.stem +
           ".gp\">script</a>, <a href=\"" + f.stem + ".dat\">data</a></figcaption></figure>\n";
  }
  return out;
}

// What was measured, with what, and the model the page fits.
std::string data_section(const std::vector<MeasurementRecord>& records, const std::vector<PageGroup>& groups,
                         const PageParts& parts) {
  std::set<std::string> meters, methods, devices, networks, images;
  for (const MeasurementRecord& r : records) {
    meters.insert(r.meter);
    methods.insert(r.method);
    devices.insert(r.device);
    networks.insert(r.abbr);
    images.insert(r.image);
  }
  std::string html;
  html += "<h2>Data</h2>\n<ul>\n";
  html += "<li>" + std::to_string(records.size()) + " measurements of " + std::to_string(networks.size()) +
          " network(s) on " + std::to_string(images.size()) + " image(s)</li>\n";
  html += "<li>Meter: " + html_escape(joined(meters)) + "</li>\n";
  html += "<li>Method: " + html_escape(joined(methods)) + "</li>\n";
  html += "<li>Device: " + html_escape(joined(devices)) + "</li>\n";
  if (groups.size() > 1) {
    html += "<li>" + std::to_string(groups.size()) + " groups, each with its own figures and fits (energies of "
            "different devices do not share one &alpha;):";
    for (const PageGroup& g : groups) html += " " + html_escape(g.name) + (&g == &groups.back() ? "" : ";");
    html += "</li>\n";
  }
  html += "</ul>\n";
  html += "<p>Model after Herglotz et al., &ldquo;Processing energy modeling for neural network based image "
          "compression&rdquo; (ICIP): E = &alpha;&middot;S + &beta; per network and parameter level, S = width "
          "&times; height in pixels, E the dynamic energy of one execution. MRE is Eq. (3), (1/n)&nbsp;&sum;&nbsp;"
          "|E<sub>pred</sub> &minus; E<sub>meas</sub>| / E<sub>meas</sub>, under 10-fold cross-validation "
          "(points ranked by pixels, width, image, quality, energy; rank mod 10 is the fold; leave-one-out below "
          "10 points).</p>\n";
  if (!parts.failed.empty())
    html += "<p class=\"note\">Figures not drawn: " +
            html_escape(parts.warnings.empty() ? std::string("gnuplot failed") : parts.warnings.front()) +
            ". Their .gp scripts and .dat files are in this folder.</p>\n";
  for (const std::string& note : parts.notes) html += "<p class=\"note\">" + html_escape(note) + "</p>\n";
  html += measurement_quality_html(records);

  return html;
}

// Per group (one device model): Fig. 2, Table 2, the kMAC lines, Table 1 and Fig. 3.
std::string group_sections(const std::vector<PageGroup>& groups, const PageParts& parts) {
  std::string html;
  // A mixed cluster: one section per device model, its headings one level down.
  for (const PageGroup& g : groups) {
    const std::string h = g.name.empty() ? "h2" : "h3";
    auto heading = [&](const std::string& text) { return "<" + h + ">" + text + "</" + h + ">\n"; };
    if (!g.name.empty()) html += "<h2>" + html_escape(g.name) + "</h2>\n";
    const FitResult& fit = *g.fit;
    html += heading("Energy over image size") + figure_html(parts, g.figures, "fig2_");
    html += heading("Table 2: energy models, Eq. (2)") + render_html(table2_html(fit)) + "<p><a href=\"table2_fits" +
            g.suffix + ".md\">Markdown</a>, <a href=\"table2_fits" + g.suffix + ".csv\">CSV</a></p>\n";
    for (const std::string& w : fit_line_warnings(fit.fits))
      html += "<p class=\"banner\"><strong>WARNING:</strong> " + html_escape(w) + "</p>\n";
    for (const auto& [name, line] : {std::make_pair("kMAC per pixel", &fit.alpha_vs_kmac),
                                     std::make_pair("kMAC per pixel up to the 2nd downsampling", &fit.alpha_vs_kmac_2nd)})
      if (*line)
        html += "<p>&alpha; over " + std::string(name) + ": &alpha; = " + format_number((*line)->slope * 1e6, "%.4g") +
                " &micro;J/px per kMAC/px &middot; kMAC + " + format_number((*line)->offset * 1e6, "%.4g") +
                " &micro;J/px; &rho; = " + format_number((*line)->pearson, "%.4f") + ", MRE (leave-one-out) = " +
                format_number((*line)->mre * 100, "%.2f") + " %, in-sample " +
                format_number((*line)->mre_in_sample * 100, "%.2f") + " %, n = " + std::to_string((*line)->n) + ".</p>\n";
    if (g.table1) {
      html += heading("Table 1: complexity and measured &alpha;") + render_html(*g.table1) +
              "<p><a href=\"table1_complexity" + g.suffix + ".md\">Markdown</a>, <a href=\"table1_complexity" +
              g.suffix + ".csv\">CSV</a></p>\n";
      html += heading("&alpha; over complexity") + figure_html(parts, g.figures, "fig3_");
    }
  }
  return html;
}

// The working codec's stages, rate-distortion, energy modes and bandwidth, where given.
std::string extra_sections(const std::vector<MeasurementRecord>& records, const PageParts& parts) {
  std::string html;
  if (parts.stages) {
    html += "<h2>Encode against decode</h2>\n<p>The working codec's stages (measure --stage, the campaign's "
            "<code>stages</code>): dynamic energy per execution, decode over encode, and the entropy side's share of "
            "each side (its own record over the side's, else over the sum of the side's two parts); kMAC per pixel "
            "of each side by the paper's rule.</p>\n" +
            render_html(*parts.stages) + "<p><a href=\"stages.md\">Markdown</a>, <a href=\"stages.csv\">CSV</a></p>\n" +
            figure_html(parts, parts.figures, "fig4_");
  }
  if (parts.rd) {
    const bool estimate = any_estimate(records);
    html += std::string("<h2>Rate, distortion and energy") + (estimate ? kEstimateTitle : "") + "</h2>\n" +
            "<p>Learned codecs (solid) against JPEG, WebP, AVIF, JPEG XL, HEIC and JPEG 2000 (dashed): bits per "
            "pixel of the real bitstream, PSNR of the decoded image (8-bit RGB) and the dynamic energy of coding "
            "and decoding one image; each point the mean over its images. Per point: <a href=\"rd_points.csv\">"
            "rd_points.csv</a>.</p>\n" +
            figure_html(parts, parts.figures, "rd_");
    html += std::string("<h3>Matched quality and BD-rate against JPEG") + (estimate ? kEstimateTitle : "") +
            "</h3>\n" + render_html(parts.rd->table) +
            "<p><a href=\"rd_table.md\">Markdown</a>, <a href=\"rd_table.csv\">CSV</a></p>\n";
    for (const std::string& note : parts.rd->notes) html += "<p class=\"note\">" + html_escape(note) + "</p>\n";
  }
  if (parts.modes) {
    html += std::string("<h2>Energy modes") + (any_estimate(records) ? kEstimateTitle : "") + "</h2>\n" +
            "<p>One network run in each energy mode (<code>nicenergy modes</code>): dynamic energy and time per "
            "execution against float32's, and how far its output strays from float32's on the same image and "
            "weights (max |x_hat difference|, PSNR and likelihood-rate differences). A mode is called exact only "
            "when it is exact by design and measured within float32 rounding; Pareto: no other mode has both less "
            "energy and less deviation.</p>\n" +
            render_html(*parts.modes) + "<p><a href=\"modes.md\">Markdown</a>, <a href=\"modes.csv\">CSV</a></p>\n" +
            figure_html(parts, parts.figures, "fig5_");
  }
  if (parts.bandwidth)
    html += "<h2>Activation bandwidth</h2>\n<p>What each layer output of one chain run moves to memory (<code>nicenergy "
            "bandwidth</code>): float32, 8 bits (per-channel min-max) and the symmetric exponential-Golomb code, "
            "encoded and decoded back; a data-movement energy model built on it is in that command's output.</p>\n" +
            figure_html(parts, parts.figures, "fig6_");
  return html;
}

}  // namespace

std::string html_page(const std::vector<MeasurementRecord>& records, const std::vector<PageGroup>& groups,
                      const PageParts& parts) {
  std::string html = page_head(records);
  if (parts.energy) {
    const bool estimate = any_estimate(records);
    html += std::string("<h2>Energy per image") + (estimate ? kEstimateTitle : "") + "</h2>\n" +
            "<p>Dynamic energy of one execution of each network on one image, as measured (Eq. (1)): per image, "
            "per megapixel, the half-width of its confidence interval and the number of measurement windows K it "
            "rests on.</p>\n" +
            render_html(*parts.energy) + "<p><a href=\"energy.md\">Markdown</a>, <a href=\"energy.csv\">CSV</a></p>\n";
  }
  html += data_section(records, groups, parts);
  if (parts.has_trace) html += "<h2>Power trace</h2>\n" + figure_html(parts, parts.figures, "fig1_");
  html += group_sections(groups, parts);
  html += extra_sections(records, parts);
  html += "</body>\n</html>\n";
  return html;
}

std::string html_page(const std::vector<MeasurementRecord>& records, const FitResult& fit, const PageParts& parts) {
  PageGroup group;
  group.fit = &fit;
  group.table1 = parts.table1;
  for (const Figure& f : parts.figures)
    if (f.stem.rfind("fig1_", 0) != 0) group.figures.push_back(f);
  return html_page(records, std::vector<PageGroup>{group}, parts);
}

}  // namespace nicenergy
