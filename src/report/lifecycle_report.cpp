#include "report/lifecycle_report.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "io/files.h"
#include "meters/estimate_label.h"
#include "report/gnuplot.h"

namespace nicenergy {

static std::string g(double value) { return format_number(value, "%.4g"); }
static std::string n_text(double images) { return format_number(images, "%.3g"); }
static std::string label(bool estimate, bool pixel_scaled = false) {
  return std::string(estimate ? kEstimateWord : "measured") + (pixel_scaled ? ", pixel-scaled MODEL" : "");
}
static std::string label(const CodecLifecycle& c) { return label(c.estimate, c.training_model); }

// The figure key's note: " (estimate, pixel-scaled E_train)", either part alone, or nothing.
static std::string key_note(const CodecLifecycle& c) {
  std::string note;
  if (c.estimate) note = "estimate";
  if (c.training_model) note += (note.empty() ? "" : ", ") + std::string("pixel-scaled E_train");
  return note.empty() ? "" : " (" + note + ")";
}

static std::string interval(const CodecLifecycle& c) {
  if (!c.training_energy_low_j || !c.training_energy_high_j) return "-";
  std::string text = "[";  // appended, not "[" + ...: GCC 12 warns falsely on that
  text += g(*c.training_energy_low_j);
  text += ", ";
  text += g(*c.training_energy_high_j);
  return text + "]";
}

TextTable lifecycle_energy_table(const LifecycleResult& result) {
  TextTable t;
  t.header = {"codec", "training_energy_j", "interval_j", "inference_energy_per_image_j"};
  if (!result.rows.empty())
    for (const LifecyclePoint& p : result.rows.front().points) t.header.push_back("E_full(" + n_text(p.images) + ")_j");
  t.header.push_back("label");
  for (const LifecycleRow& r : result.rows) {
    std::vector<std::string> row = {r.codec.codec, g(r.codec.training_energy_j), interval(r.codec),
                                    g(r.codec.inference_energy_per_image_j)};
    for (const LifecyclePoint& p : r.points) row.push_back(g(p.full_cycle_energy_j));
    row.push_back(label(r.codec));
    t.rows.push_back(row);
  }
  return t;
}

TextTable lifecycle_co2e_table(const LifecycleResult& result) {
  TextTable t;
  t.header = {"codec", "training_co2e_kg"};
  if (!result.rows.empty())
    for (const LifecyclePoint& p : result.rows.front().points) t.header.push_back("co2e(" + n_text(p.images) + ")_kg");
  t.header.push_back("label");
  for (const LifecycleRow& r : result.rows) {
    std::vector<std::string> row = {r.codec.codec, g(r.training_co2e_kg)};
    for (const LifecyclePoint& p : r.points) row.push_back(g(p.co2e_kg));
    row.push_back(label(r.codec));
    t.rows.push_back(row);
  }
  return t;
}

TextTable break_even_table(const LifecycleResult& result) {
  TextTable t;
  t.header = {"codec_a", "codec_b", "break_even_images", "cheaper_below", "cheaper_above", "dominant", "estimate"};
  for (const BreakEven& b : result.break_evens) {
    bool estimate = false;
    for (const LifecycleRow& r : result.rows)
      if (r.codec.codec == b.codec_a || r.codec.codec == b.codec_b) estimate = estimate || r.codec.estimate;
    t.rows.push_back({b.codec_a, b.codec_b, b.break_even_images ? gp_number(*b.break_even_images) : "",
                      b.break_even_images ? b.cheaper_below : "", b.break_even_images ? b.cheaper_above : "",
                      b.dominant, estimate ? "1" : "0"});
  }
  return t;
}

TextTable lifecycle_long_table(const LifecycleResult& result) {
  TextTable t;
  t.header = {"codec", "images", "full_cycle_energy_j", "co2e_kg", "training_energy_j", "training_energy_low_j",
              "training_energy_high_j", "inference_energy_per_image_j", "estimate", "training_source",
              "inference_source", "grid_intensity_g_per_kwh", "pue"};
  for (const LifecycleRow& r : result.rows)
    for (const LifecyclePoint& p : r.points)
      t.rows.push_back({r.codec.codec, gp_number(p.images), gp_number(p.full_cycle_energy_j), gp_number(p.co2e_kg),
                        gp_number(r.codec.training_energy_j),
                        r.codec.training_energy_low_j ? gp_number(*r.codec.training_energy_low_j) : "",
                        r.codec.training_energy_high_j ? gp_number(*r.codec.training_energy_high_j) : "",
                        gp_number(r.codec.inference_energy_per_image_j), r.codec.estimate ? "1" : "0",
                        r.codec.training_source, r.codec.inference_source,
                        gp_number(result.carbon.grid_intensity_g_per_kwh), gp_number(result.carbon.pue)});
  return t;
}

static std::string plus_minus(double value, double half_width) {
  std::string text = g(value);
  text += " +- ";
  return text + g(half_width);
}

TextTable training_energy_table(const std::vector<TrainingEstimate>& training) {
  TextTable t;
  t.header = {"codec",           "windows",           "measured_iterations", "measured_training_energy_j",
              "warmup_iterations", "energy_per_iteration_j", "predicted_iterations", "training_energy_j",
              "interval_j",      "label"};
  for (const TrainingEstimate& e : training) {
    const TrainingEnergy& m = e.measured;
    const bool per_iteration = m.windows_used >= 2;
    std::vector<std::string> row = {e.codec, std::to_string(m.windows), std::to_string(m.measured_iterations),
                                    g(m.measured_training_energy_j), std::to_string(m.warmup_iterations),
                                    per_iteration ? plus_minus(m.energy_per_iteration_j, m.energy_per_iteration_ci_j)
                                                  : "-"};
    if (e.predicted) {
      std::string range = std::to_string(e.predicted->iterations);
      if (e.predicted->iterations_min != e.predicted->iterations_max)
        range = std::to_string(e.predicted->iterations_min) + "-" + std::to_string(e.predicted->iterations_max);
      std::string interval = "[";
      interval += g(e.predicted->training_energy_low_j);
      interval += ", ";
      interval += g(e.predicted->training_energy_high_j);
      row.insert(row.end(), {range, g(e.predicted->training_energy_j), interval + "]"});
    } else {
      row.insert(row.end(), {"-", g(m.measured_training_energy_j), "-"});
    }
    row.push_back(label(m.estimate, e.predicted && e.predicted->rescaled));
    t.rows.push_back(row);
  }
  return t;
}

nlohmann::json training_json(const std::vector<TrainingEstimate>& training) {
  nlohmann::json out = nlohmann::json::array();
  for (const TrainingEstimate& e : training) {
    const TrainingEnergy& m = e.measured;
    nlohmann::json j = {{"codec", e.codec},
                        {"source", m.source},
                        {"device", m.device},
                        {"batch_size", m.batch_size},
                        {"crop_px", m.crop_px},
                        {"estimate", m.estimate},
                        {"windows", m.windows},
                        {"measured_iterations", m.measured_iterations},
                        {"measured_training_energy_j", m.measured_training_energy_j},
                        {"windows_used", m.windows_used},
                        {"warmup_iterations", m.warmup_iterations},
                        {"confidence", m.confidence}};
    j["energy_per_iteration_j"] = m.windows_used >= 2 ? nlohmann::json(m.energy_per_iteration_j) : nullptr;
    j["energy_per_iteration_ci_j"] = m.windows_used >= 2 ? nlohmann::json(m.energy_per_iteration_ci_j) : nullptr;
    if (e.predicted)
      j["prediction"] = {{"schedule", e.predicted->schedule},
                         {"iterations", e.predicted->iterations},
                         {"iterations_min", e.predicted->iterations_min},
                         {"iterations_max", e.predicted->iterations_max},
                         {"training_energy_j", e.predicted->training_energy_j},
                         {"training_energy_low_j", e.predicted->training_energy_low_j},
                         {"training_energy_high_j", e.predicted->training_energy_high_j},
                         {"method", e.predicted->method},
                         {"rescale", e.predicted->rescaled ? "pixels" : "none"},
                         {"pixel_scale", e.predicted->pixel_scale},
                         {"pixel_scale_min", e.predicted->pixel_scale_min},
                         {"pixel_scale_max", e.predicted->pixel_scale_max},
                         {"pixel_rescale_model", e.predicted->rescaled ? nlohmann::json(pixel_rescale_model()) : nullptr},
                         {"notes", e.predicted->notes}};
    else
      j["prediction"] = nullptr;
    out.push_back(j);
  }
  return out;
}

nlohmann::json to_json(const LifecycleResult& result, const std::vector<std::string>& notes) {
  nlohmann::json j;
  j["model"] = "E_full(N) = E_train + N x E_infer (Li et al., arXiv 2108.13465)";
  j["estimate"] = result.estimate;
  j["grid_intensity_g_per_kwh"] = result.carbon.grid_intensity_g_per_kwh;
  j["grid_intensity_source"] = CarbonSettings::grid_intensity_source();
  j["pue"] = result.carbon.pue;
  j["pue_source"] = CarbonSettings::pue_source();
  j["codecs"] = nlohmann::json::array();
  for (const LifecycleRow& r : result.rows) {
    nlohmann::json c;
    c["codec"] = r.codec.codec;
    c["training_energy_j"] = r.codec.training_energy_j;
    c["training_energy_low_j"] = r.codec.training_energy_low_j ? nlohmann::json(*r.codec.training_energy_low_j) : nullptr;
    c["training_energy_high_j"] =
        r.codec.training_energy_high_j ? nlohmann::json(*r.codec.training_energy_high_j) : nullptr;
    c["training_source"] = r.codec.training_source;
    c["inference_energy_per_image_j"] = r.codec.inference_energy_per_image_j;
    c["inference_source"] = r.codec.inference_source;
    c["estimate"] = r.codec.estimate;
    c["training_model"] = r.codec.training_model ? nlohmann::json("pixel-scaled") : nullptr;
    c["training_co2e_kg"] = r.training_co2e_kg;
    c["points"] = nlohmann::json::array();
    for (const LifecyclePoint& p : r.points)
      c["points"].push_back({{"images", p.images}, {"full_cycle_energy_j", p.full_cycle_energy_j}, {"co2e_kg", p.co2e_kg}});
    j["codecs"].push_back(c);
  }
  j["break_evens"] = nlohmann::json::array();
  for (const BreakEven& b : result.break_evens)
    j["break_evens"].push_back({{"codec_a", b.codec_a},
                                {"codec_b", b.codec_b},
                                {"break_even_images", b.break_even_images ? nlohmann::json(*b.break_even_images) : nullptr},
                                {"cheaper_below", b.cheaper_below},
                                {"cheaper_above", b.cheaper_above},
                                {"dominant", b.dominant},
                                {"text", b.text}});
  j["notes"] = notes;
  return j;
}

std::vector<std::string> write_lifecycle_plot(const LifecycleResult& result, const std::string& dir,
                                              const std::string& gnuplot, std::string* warning) {
  const std::string stem = "lifecycle";
  // N from 1 to past every break-even and every requested N, by decades.
  double n_max = 10;
  for (const LifecycleRow& r : result.rows)
    for (const LifecyclePoint& p : r.points) n_max = std::max(n_max, p.images);
  for (const BreakEven& b : result.break_evens)
    if (b.break_even_images) n_max = std::max(n_max, *b.break_even_images * 10);
  n_max = std::pow(10.0, std::ceil(std::log10(n_max)));

  std::string dat = "# break-even points: images full_cycle_energy_j \"codec_a vs codec_b\"\n";
  bool any_break_even = false;
  for (const BreakEven& b : result.break_evens) {
    if (!b.break_even_images || *b.break_even_images < 1) continue;
    for (const LifecycleRow& r : result.rows)
      if (r.codec.codec == b.cheaper_below) {
        const double e = full_cycle_energy_j(r.codec.training_energy_j, r.codec.inference_energy_per_image_j,
                                             *b.break_even_images);
        dat += gp_number(*b.break_even_images) + " " + gp_number(e) + " " + gp_string(b.codec_a + " / " + b.codec_b) + "\n";
        any_break_even = true;
      }
  }
  if (dat.find('\n') == dat.size() - 1) dat += "NaN NaN \"none\"\n";  // gnuplot refuses an empty file

  std::string gp = gp_header(stem);
  gp += "set title 'E_full(N) = E_train + N x E_infer (Li et al.)" + std::string(result.estimate ? std::string(", ") + kEstimateWord : "") +
        "'\n"
        "set xlabel 'Images coded N'\n"
        "set ylabel 'E_full (J)'\n"
        "set logscale xy\n"
        "set format x '1e%T'\nset format y '1e%T'\n"  // noenhanced terminals: no superscripts
        "set xrange [1:" + gp_number(n_max) + "]\n"
        "set samples 400\n"
        "set key top left box opaque Left reverse\n";
  std::string plot;
  for (const LifecycleRow& r : result.rows) {
    const std::string color = network_color(r.codec.codec.substr(0, r.codec.codec.find(' ')));
    plot += std::string(plot.empty() ? "plot " : ", \\\n     ") + gp_number(r.codec.training_energy_j) + " + x * " +
            gp_number(r.codec.inference_energy_per_image_j) + " with lines lw 2 lc rgb '" + color + "' title " +
            gp_string(r.codec.codec + key_note(r.codec));
  }
  if (any_break_even)  // no empty key entry where one codec dominates
    plot += ", \\\n     '" + stem + ".dat' using 1:2 with points pt 7 ps 1.2 lc rgb '#444444' title 'break-even N*'";
  plot += "\n";
  gp += plot + gp_footer(stem);
  return write_standalone_figure(dir, stem, dat, gp, gnuplot, warning);
}

}  // namespace nicenergy
