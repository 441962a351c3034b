#include "protocol/campaign.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <regex>
#include <set>
#include <sstream>
#include <toml++/toml.h>

#include "error.h"
#include "image/image.h"
#include "protocol/progress.h"

namespace fs = std::filesystem;

namespace nicenergy {

// ---- config --------------------------------------------------------------

namespace {

// Reads one config file; every error names the file and, where known, the line.
struct ConfigReader {
  std::string path;
  fs::path dir;  // paths in the config are relative to this

  [[noreturn]] void fail(const toml::node* node, const std::string& message) const {
    std::string where = "config '" + path + "'";
    if (node && node->source().begin.line) where += " line " + std::to_string(node->source().begin.line);
    throw Error(where + ": " + message);
  }

  void check_keys(const toml::table& table, const std::string& where, const std::set<std::string>& known) const {
    for (auto&& [key, node] : table) {
      if (known.count(std::string(key.str()))) continue;
      std::string list;
      for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
      fail(&node, "unknown key '" + std::string(key.str()) + "' in " + where + ": known keys are " + list);
    }
  }

  std::optional<std::string> string(const toml::table& t, const char* key) const {
    const toml::node* n = t.get(key);
    if (!n) return std::nullopt;
    if (!n->is_string()) fail(n, std::string(key) + " must be a string in quotes");
    return n->as_string()->get();
  }

  std::optional<double> number(const toml::table& t, const char* key) const {
    const toml::node* n = t.get(key);
    if (!n) return std::nullopt;
    if (n->is_integer()) return static_cast<double>(n->as_integer()->get());
    if (n->is_floating_point()) return n->as_floating_point()->get();
    fail(n, std::string(key) + " must be a number");
  }

  std::optional<int> integer(const toml::table& t, const char* key) const {
    const toml::node* n = t.get(key);
    if (!n) return std::nullopt;
    if (!n->is_integer()) fail(n, std::string(key) + " must be a whole number");
    const int64_t v = n->as_integer()->get();
    if (v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max())
      fail(n, std::string(key) + " is out of range");
    return static_cast<int>(v);
  }

  // A list of strings; a single string is taken as a list of one.
  std::optional<std::vector<std::string>> strings(const toml::table& t, const char* key) const {
    const toml::node* n = t.get(key);
    if (!n) return std::nullopt;
    if (n->is_string()) return std::vector<std::string>{n->as_string()->get()};
    if (!n->is_array()) fail(n, std::string(key) + " must be a list of strings, like [\"a\", \"b\"]");
    std::vector<std::string> out;
    for (const toml::node& e : *n->as_array()) {
      if (!e.is_string()) fail(&e, std::string(key) + " must hold only strings in quotes");
      out.push_back(e.as_string()->get());
    }
    return out;
  }

  std::optional<std::vector<int>> integers(const toml::table& t, const char* key) const {
    const toml::node* n = t.get(key);
    if (!n) return std::nullopt;
    if (!n->is_array()) fail(n, std::string(key) + " must be a list of whole numbers, like [1, 6]");
    std::vector<int> out;
    for (const toml::node& e : *n->as_array()) {
      if (!e.is_integer()) fail(&e, std::string(key) + " must hold only whole numbers");
      out.push_back(static_cast<int>(e.as_integer()->get()));
    }
    return out;
  }

  std::string resolve(const std::string& relative) const {
    const fs::path p(relative);
    return (p.is_absolute() ? p : dir / p).lexically_normal().string();
  }
};

std::string normal(const std::string& p) { return fs::path(p).lexically_normal().string(); }

}  // namespace

static void read_protocol(const ConfigReader& r, const toml::table& t, ProtocolOverrides& p) {
  r.check_keys(t, "[protocol]",
               {"idle_s", "window_s", "k_min", "k_max", "ci_target", "confidence", "preheat_max_s",
                "preheat_temp_c", "sample_hz"});
  p.idle_s = r.number(t, "idle_s");
  p.window_s = r.number(t, "window_s");
  p.k_min = r.integer(t, "k_min");
  p.k_max = r.integer(t, "k_max");
  p.ci_target = r.number(t, "ci_target");
  p.confidence = r.number(t, "confidence");
  p.preheat_max_s = r.number(t, "preheat_max_s");
  p.preheat_temp_c = r.number(t, "preheat_temp_c");
  p.sample_hz = r.number(t, "sample_hz");
  auto bad = [&](const char* key, const std::string& why) { r.fail(t.get(key), std::string(key) + " " + why); };
  if (p.idle_s && *p.idle_s < 0) bad("idle_s", "must be 0 or more seconds");
  if (p.window_s && *p.window_s <= 0) bad("window_s", "must be more than 0 seconds");
  if (p.k_min && *p.k_min < 2) bad("k_min", "must be at least 2 (a confidence interval needs two windows)");
  if (p.k_max && *p.k_max < 2) bad("k_max", "must be at least 2");
  if (p.k_min && p.k_max && *p.k_min > *p.k_max)
    bad("k_min", "(" + std::to_string(*p.k_min) + ") is larger than k_max (" + std::to_string(*p.k_max) + ")");
  if (p.ci_target && !(*p.ci_target > 0 && *p.ci_target < 1))
    bad("ci_target", "must be a fraction between 0 and 1, like 0.02 for 2 %");
  if (p.confidence && !(*p.confidence > 0 && *p.confidence < 1))
    bad("confidence", "must be between 0 and 1, like 0.95");
  if (p.preheat_max_s && *p.preheat_max_s < 0) bad("preheat_max_s", "must be 0 or more seconds");
  if (p.preheat_temp_c && !(*p.preheat_temp_c > 0 && *p.preheat_temp_c < 120))
    bad("preheat_temp_c", "must be a temperature in degrees Celsius between 0 and 120");
  if (p.sample_hz && *p.sample_hz <= 0) bad("sample_hz", "must be more than 0");
}

static void read_images(const ConfigReader& r, const toml::table& t, std::vector<ImageSource>& images) {
  r.check_keys(t, "[[images]]", {"files", "folder", "sizes", "from", "method"});
  const auto files = r.strings(t, "files");
  const auto folder = r.string(t, "folder");
  const auto sizes = r.strings(t, "sizes");
  const int kinds = int(files.has_value()) + int(folder.has_value()) + int(sizes.has_value());
  if (kinds != 1)
    r.fail(&t, "each [[images]] needs exactly one of files = [...], folder = \"...\" or sizes = [...] "
               "(with from = \"FOLDER\")");
  if (!sizes && (t.get("from") || t.get("method")))
    r.fail(&t, "from and method belong to an [[images]] with sizes = [...]");

  auto add_file = [&](const std::string& written, const toml::node* node) {
    ImageSource image;
    image.label = normal(written);
    image.path = r.resolve(written);
    if (!fs::is_regular_file(image.path))
      r.fail(node, "image file '" + image.path + "' does not exist (paths are relative to the config's folder)");
    try {
      const ImageInfo info = image_info(image.path);
      image.width = info.width;
      image.height = info.height;
    } catch (const Error& e) {
      r.fail(node, e.what());
    }
    images.push_back(image);
  };

  if (files) {
    if (files->empty()) r.fail(t.get("files"), "files is an empty list");
    for (const auto& f : *files) add_file(f, t.get("files"));
  } else if (folder) {
    const std::string resolved = r.resolve(*folder);
    if (!fs::is_directory(resolved))
      r.fail(t.get("folder"),
             "image folder '" + resolved + "' does not exist (paths are relative to the config's folder)");
    std::vector<std::string> listed;
    try {
      listed = list_images(resolved);
    } catch (const Error& e) {
      r.fail(t.get("folder"), e.what());
    }
    for (const auto& f : listed) add_file((fs::path(*folder) / fs::path(f).filename()).string(), t.get("folder"));
  } else {
    const auto from = r.string(t, "from");
    if (!from) r.fail(&t, "sizes = [...] needs from = \"FOLDER\": the photographs to build the images from");
    const std::string method = r.string(t, "method").value_or("mosaic");
    if (method != "mosaic" && method != "resize")
      r.fail(t.get("method"), "method '" + method + "' is unknown: use mosaic or resize");
    const std::string resolved = r.resolve(*from);
    std::vector<std::string> sources;
    if (fs::is_regular_file(resolved)) {
      sources = {resolved};
    } else if (fs::is_directory(resolved)) {
      try {
        sources = list_images(resolved);
      } catch (const Error& e) {
        r.fail(t.get("from"), e.what());
      }
    } else {
      r.fail(t.get("from"), "from '" + resolved +
                                "' is neither an image nor a folder (paths are relative to the config's folder)");
    }
    if (sizes->empty()) r.fail(t.get("sizes"), "sizes is an empty list");
    for (const auto& s : *sizes) {
      ImageInfo size;
      try {
        size = parse_size(s);
      } catch (const Error& e) {
        r.fail(t.get("sizes"), e.what());
      }
      ImageSource image;
      image.width = size.width;
      image.height = size.height;
      image.method = method;
      image.sources = sources;
      image.label = method + " " + std::to_string(size.width) + "x" + std::to_string(size.height) + " of " +
                    normal(*from);
      images.push_back(image);
    }
  }
}

CampaignConfig load_campaign_config(const std::string& path) {
  if (!fs::is_regular_file(path)) throw Error("config '" + path + "' does not exist: give a campaign TOML file");
  ConfigReader r{path, fs::path(path).parent_path()};
  if (r.dir.empty()) r.dir = ".";
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    throw Error("config '" + path + "' line " + std::to_string(e.source().begin.line) +
                " is not valid TOML: " + std::string(e.description()));
  }
  r.check_keys(root, "the config", {"campaign", "protocol", "images"});

  CampaignConfig config;
  config.path = path;
  const toml::table* c = root.get_as<toml::table>("campaign");
  if (!c) r.fail(root.get("campaign"), "needs a [campaign] table (name, output, networks, ...)");
  r.check_keys(*c, "[campaign]",
               {"name", "output", "device", "meter", "networks", "levels", "qualities", "idle_refresh_s"});

  config.name = r.string(*c, "name").value_or(fs::path(path).stem().string());
  config.output = r.string(*c, "output").value_or("results/" + config.name + ".csv");
  if (config.output.empty()) r.fail(c->get("output"), "output is empty: name the results CSV");

  config.device = r.string(*c, "device").value_or("cpu");
  static const std::regex device_pattern("^(cpu|cuda|cuda:[0-9]+)$");
  if (!std::regex_match(config.device, device_pattern))
    r.fail(c->get("device"), "device '" + config.device + "' is unknown: use cpu, cuda or cuda:N");

  config.meter = r.string(*c, "meter").value_or("auto");
  if (config.meter.rfind("replay:", 0) == 0) {
    const std::string file = config.meter.substr(7);
    if (file.empty()) r.fail(c->get("meter"), "replay needs a trace file: meter = \"replay:TRACE.csv\"");
    const std::string resolved = r.resolve(file);
    if (!fs::is_regular_file(resolved))
      r.fail(c->get("meter"), "replay trace '" + resolved + "' does not exist (paths are relative to the config's folder)");
    config.meter = "replay:" + resolved;
  } else if (config.meter != "auto" && config.meter != "nvml" && config.meter != "rapl" &&
             config.meter != "estimate") {
    r.fail(c->get("meter"), "meter '" + config.meter + "' is unknown: use auto, nvml, rapl, estimate or replay:FILE");
  }

  std::set<std::string> chosen;
  if (const auto names = r.strings(*c, "networks")) {
    if (names->empty()) r.fail(c->get("networks"), "networks is an empty list");
    for (const auto& n : *names) {
      try {
        chosen.insert(find_network(n).name);
      } catch (const Error& e) {
        r.fail(c->get("networks"), e.what());
      }
    }
  }
  for (const auto& spec : network_specs())
    if (chosen.empty() || chosen.count(spec.name)) config.networks.push_back(spec);

  const auto levels = r.strings(*c, "levels");
  const auto qualities = r.integers(*c, "qualities");
  if (levels && qualities)
    r.fail(c->get("qualities"), "give levels or qualities, not both");
  if (qualities) {
    if (qualities->empty()) r.fail(c->get("qualities"), "qualities is an empty list");
    std::set<int> unique(qualities->begin(), qualities->end());
    config.qualities.assign(unique.begin(), unique.end());
    for (const auto& spec : config.networks)
      for (int q : config.qualities) {
        try {
          quality_config(spec, q);
        } catch (const Error& e) {
          r.fail(c->get("qualities"), e.what());
        }
      }
  } else {
    config.levels = levels.value_or(std::vector<std::string>{"low", "high"});
    if (config.levels.empty()) r.fail(c->get("levels"), "levels is an empty list");
    for (const auto& level : config.levels)
      if (level != "low" && level != "high")
        r.fail(c->get("levels"), "level '" + level + "' is unknown: use low or high");
  }

  config.idle_refresh_s = r.number(*c, "idle_refresh_s").value_or(1800);
  if (!(config.idle_refresh_s > 0)) r.fail(c->get("idle_refresh_s"), "idle_refresh_s must be more than 0 seconds");

  if (const toml::node* p = root.get("protocol")) {
    if (!p->is_table()) r.fail(p, "protocol must be a table: [protocol]");
    read_protocol(r, *p->as_table(), config.protocol);
  }

  const toml::node* images = root.get("images");
  if (!images || !images->is_array_of_tables())
    r.fail(images, "needs at least one [[images]] table (files = [...], folder = \"...\" or sizes = [...])");
  for (const toml::node& block : *images->as_array()) read_images(r, *block.as_table(), config.images);

  // The plan's image order; an image listed twice is measured once.
  std::sort(config.images.begin(), config.images.end(), [](const ImageSource& a, const ImageSource& b) {
    const int64_t pa = int64_t(a.width) * a.height, pb = int64_t(b.width) * b.height;
    return std::tie(pa, a.width, a.height, a.label) < std::tie(pb, b.width, b.height, b.label);
  });
  config.images.erase(std::unique(config.images.begin(), config.images.end(),
                                  [](const ImageSource& a, const ImageSource& b) {
                                    return a.label == b.label && a.width == b.width && a.height == b.height;
                                  }),
                      config.images.end());
  return config;
}

std::vector<int> campaign_qualities(const CampaignConfig& config, const NetworkSpec& spec) {
  if (!config.qualities.empty()) return config.qualities;
  std::set<int> qualities;
  for (const auto& level : config.levels) qualities.insert(level_qualities(spec, level).front());
  return {qualities.begin(), qualities.end()};
}

// ---- plan, shards, estimate ----------------------------------------------

std::string CampaignPoint::label() const {
  return spec.abbr + " q" + std::to_string(quality) + " " + image.label + " " + std::to_string(image.width) + "x" +
         std::to_string(image.height);
}

std::vector<CampaignPoint> plan_campaign(const CampaignConfig& config) {
  std::vector<CampaignPoint> plan;
  for (const auto& spec : config.networks)
    for (int quality : campaign_qualities(config, spec))
      for (const auto& image : config.images) {
        CampaignPoint p;
        p.index = plan.size();
        p.spec = spec;
        p.quality = quality;
        p.level = quality_config(spec, quality).level;
        p.image = image;
        plan.push_back(std::move(p));
      }
  return plan;
}

MeasurementKey point_key(const CampaignPoint& p) {
  return {p.spec.name, p.quality, p.image.label, p.image.width, p.image.height};
}

Shard parse_shard(const std::string& text) {
  static const std::regex pattern(R"(^\s*([0-9]{1,6})\s*/\s*([0-9]{1,6})\s*$)");
  std::smatch m;
  if (!std::regex_match(text, m, pattern))
    throw Error("shard '" + text + "' is not i/n: write it like --shard 2/4 (the second of four)");
  Shard s{std::stoi(m[1]), std::stoi(m[2])};
  if (s.count < 1 || s.index < 1 || s.index > s.count)
    throw Error("shard '" + text + "' is out of range: i/n needs 1 <= i <= n");
  return s;
}

std::vector<CampaignPoint> shard_points(const std::vector<CampaignPoint>& plan, const Shard& shard) {
  std::vector<CampaignPoint> out;
  for (const auto& p : plan)
    if (p.index % shard.count == static_cast<size_t>(shard.index - 1)) out.push_back(p);
  return out;
}

std::string shard_output_path(const std::string& output, const Shard& shard) {
  if (shard.count == 1) return output;
  const fs::path p(output);
  const std::string tag = ".shard" + std::to_string(shard.index) + "of" + std::to_string(shard.count);
  return (p.parent_path() / (p.stem().string() + tag + p.extension().string())).string();
}

double estimate_duration_s(const CampaignConfig& config, size_t points) {
  if (points == 0) return 0;
  const ProtocolOverrides& p = config.protocol;
  const double idle_s = p.idle_s.value_or(120), window_s = p.window_s.value_or(5);
  const int k_min = p.k_min.value_or(3);
  const double preheat_s = p.preheat_max_s.value_or(60);
  // Calibration takes about one window; then k_min windows at least.
  const double measuring_s = points * window_s * (1 + k_min);
  const double refreshes = std::floor(measuring_s / config.idle_refresh_s);
  return idle_s * (1 + refreshes) + preheat_s + measuring_s;
}

// ---- running -------------------------------------------------------------

static std::string campaign_output(const CampaignConfig& config, const CampaignOptions& options) {
  return options.output.empty() ? shard_output_path(config.output, options.shard) : options.output;
}

static std::set<MeasurementKey> done_keys(const std::string& output) {
  std::set<MeasurementKey> keys;
  if (!fs::exists(output)) return keys;
  for (const auto& r : read_results(output)) keys.insert(measurement_key(r));
  return keys;
}

std::string dry_run_text(const CampaignConfig& config, const CampaignOptions& options) {
  const std::string output = campaign_output(config, options);
  const auto points = shard_points(plan_campaign(config), options.shard);
  // A dry run changes nothing: a torn last row is only reported.
  const auto done = done_keys(output);
  std::ostringstream out;
  out << "campaign " << config.name << " (" << config.path << "): shard " << options.shard.index << "/"
      << options.shard.count << ", " << points.size() << " points, device " << config.device << ", meter "
      << config.meter << "\n"
      << "output " << output << "\n";
  size_t already = 0;
  for (const auto& p : points) {
    const bool is_done = done.count(point_key(p)) > 0;
    already += is_done;
    char line[64];
    std::snprintf(line, sizeof line, "%5zu  %-6s q%-2d %-5s ", p.index + 1, p.spec.abbr.c_str(), p.quality,
                  p.level.c_str());
    out << line << p.image.width << "x" << p.image.height << "  " << p.image.label << (is_done ? "  [done]" : "")
        << "\n";
  }
  const size_t todo = points.size() - already;
  const int k_min = config.protocol.k_min.value_or(3), k_max = config.protocol.k_max.value_or(k_min);
  out << already << " of " << points.size() << " points already done, " << todo << " to measure\n";
  if (todo > 0)
    out << "estimated duration: at least " << format_duration(estimate_duration_s(config, todo))
        << " (idle reference, preheat, calibration and k_min windows"
        << (k_max > k_min ? "; K may grow to k_max, so this is a lower bound" : "") << ")\n";
  return out.str();
}

static std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Fills the key fields the measurer left empty and checks the rest, so that a
// resumed run recognises the row as this point.
static void complete_record(const CampaignPoint& p, MeasurementRecord& r) {
  if (r.network.empty()) r.network = p.spec.name;
  if (r.abbr.empty()) r.abbr = p.spec.abbr;
  if (r.quality == 0) r.quality = p.quality;
  if (r.level.empty()) r.level = p.level;
  if (r.image.empty()) r.image = p.image.label;
  if (r.width == 0) r.width = p.image.width;
  if (r.height == 0) r.height = p.image.height;
  if (r.pixels == 0) r.pixels = int64_t(r.width) * r.height;
  if (r.started_at.empty()) r.started_at = utc_now();
  if (!(measurement_key(r) == point_key(p)))
    throw Error("the measurement of " + point_key(p).text() + " came back as " + measurement_key(r).text() +
                ": the measurer must keep the point's network, quality, image label and size");
}

CampaignSummary run_campaign(const CampaignConfig& config, const CampaignOptions& options,
                             const CampaignCallbacks& callbacks) {
  std::ostream& out = options.out ? *options.out : std::cout;
  std::ostream& log = options.log ? *options.log : std::cerr;
  CampaignSummary summary;
  summary.output = campaign_output(config, options);
  const auto points = shard_points(plan_campaign(config), options.shard);
  summary.planned = points.size();

  if (options.dry_run) {
    out << dry_run_text(config, options) << std::flush;
    const auto done = done_keys(summary.output);
    for (const auto& p : points) summary.skipped += done.count(point_key(p));
    return summary;
  }
  if (!callbacks.measure_idle || !callbacks.measure_point)
    throw Error("run_campaign needs both measure_idle and measure_point");

  summary.repaired_bytes = repair_results(summary.output);
  const auto done = done_keys(summary.output);
  if (!options.resume && !done.empty())
    throw Error("results file '" + summary.output + "' already holds " + std::to_string(done.size()) +
                " measurements: delete it to start afresh, or resume (the default)");
  std::vector<const CampaignPoint*> pending;
  for (const auto& p : points) {
    if (done.count(point_key(p)))
      ++summary.skipped;
    else
      pending.push_back(&p);
  }

  const auto start = std::chrono::steady_clock::now();
  std::function<double()> clock = options.clock_s;
  if (!clock) clock = [start]() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  const bool redraw = options.redraw < 0 ? (&log == &std::cerr && stderr_is_tty()) : options.redraw == 1;
  ProgressBar bar(log, redraw);
  if (summary.repaired_bytes)
    bar.note("note: cut a torn last row (" + std::to_string(summary.repaired_bytes) + " bytes) from " +
             summary.output);
  if (summary.skipped)
    bar.note("resuming: " + std::to_string(summary.skipped) + " of " + std::to_string(points.size()) +
             " points already in " + summary.output);

  const double t0 = clock();
  bool have_idle = false;
  double idle_w = 0, idle_at = 0;
  for (size_t i = 0; i < pending.size(); ++i) {
    const CampaignPoint& p = *pending[i];
    const double now = clock();
    const size_t finished = summary.measured + summary.failed;
    const double eta_s = finished ? (now - t0) / finished * (pending.size() - i) : -1;
    bar.show(i + 1, pending.size(), p.label(), now - t0, eta_s);
    if (!have_idle || now - idle_at >= config.idle_refresh_s) {
      idle_w = callbacks.measure_idle();  // a failure here ends the run: nothing can be measured
      idle_at = clock();
      have_idle = true;
    }
    MeasurementRecord record;
    try {
      record = callbacks.measure_point(p, idle_w);
      complete_record(p, record);
    } catch (const std::exception& e) {
      ++summary.failed;
      bar.note("error: " + p.label() + ": " + e.what());
      std::ofstream errors(summary.output + ".errors", std::ios::app);
      errors << utc_now() << " " << point_key(p).text() << ": " << e.what() << "\n";
      continue;
    }
    append_record(summary.output, record);
    ++summary.measured;
  }
  summary.elapsed_s = clock() - t0;
  bar.finish("campaign " + config.name + ": " + std::to_string(summary.measured) + " measured, " +
             std::to_string(summary.skipped) + " already done, " + std::to_string(summary.failed) + " failed in " +
             format_duration(summary.elapsed_s) + "; results in " + summary.output +
             (summary.failed ? " (errors in " + summary.output + ".errors)" : ""));
  return summary;
}

}  // namespace nicenergy
