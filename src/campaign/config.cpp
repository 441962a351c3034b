#include "campaign/campaign.h"
#include "models/torchscript_path.h"

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
#include <unistd.h>

#include "coding/stage.h"
#include "error.h"
#include "meters/power_meter.h"
#include "image/image.h"
#include "io/files.h"
#include "io/numbers.h"
#include "legacy/legacy_codecs.h"
#include "modes/mode_name.h"
#include "protocol/settings.h"

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
    // Keys and paths come from the file: kept to one printable line.
    throw Error(where + ": " + printable(message, 1000));
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
      const int64_t v = e.as_integer()->get();
      if (v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max())
        fail(&e, std::string(key) + " holds " + std::to_string(v) + ", which is out of range");
      out.push_back(static_cast<int>(v));
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

// The [protocol] table: the keys and bounds are the settings table's.
static void read_protocol(const ConfigReader& r, const toml::table& t, ProtocolConfig& config) {
  for (auto&& [key, node] : t) {
    const std::string name(key.str());
    const auto renamed = renamed_protocol_settings().find(name);
    if (renamed != renamed_protocol_settings().end())
      r.fail(&node, name + " was renamed: use " + renamed->second + " in [protocol]");
    const ProtocolSetting* setting = find_protocol_setting(name);
    if (!setting) {
      std::string list;
      for (const ProtocolSetting& s : protocol_settings()) list += (list.empty() ? "" : ", ") + s.name;
      r.fail(&node, "unknown key '" + name + "' in [protocol]: known keys are " + list);
    }
    double value = 0;
    if (node.is_integer())
      value = static_cast<double>(node.as_integer()->get());
    else if (node.is_floating_point() && !setting->integer())
      value = node.as_floating_point()->get();
    else
      r.fail(&node, name + " must be " + (setting->integer() ? "a whole number" : "a number"));
    try {
      setting->set(config, value, name);
    } catch (const Error& e) {
      r.fail(&node, e.what());
    }
  }
  try {
    validate(config);
  } catch (const Error& e) {
    r.fail(&t, e.what());
  }
}

// sizes = [...] from = "FOLDER" (an image or a folder of them), method = mosaic | resize.
static void read_sized_images(const ConfigReader& r, const toml::table& t, const std::vector<std::string>* sizes,
                              std::vector<ImageSource>& images) {
  const auto from = r.string(t, "from");
  if (!from) r.fail(&t, "sizes = [...] needs from = \"FOLDER\": the photographs to build the images from");
  const std::string method = r.string(t, "method").value_or("mosaic");
  if (method != "mosaic" && method != "resize")
    r.fail(t.get("method"), "method '" + method + "' is unknown: use mosaic or resize");
  const std::string resolved = r.resolve(*from);
  std::vector<std::string> sources;
  // The error_code forms: the throwing ones raise filesystem_error for a
  // name too long, found by fuzz_toml_config; here that is "neither" below.
  std::error_code unreadable;
  if (fs::is_regular_file(resolved, unreadable)) {
    sources = {resolved};
  } else if (fs::is_directory(resolved, unreadable)) {
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
    try {
      require_regular_file(image.path, "image file '" + image.path + "'", "paths are relative to the config's folder");
    } catch (const Error& e) {
      r.fail(node, e.what());
    }
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
    std::error_code unreadable;  // a name too long or a folder we may not enter: "does not exist" below
    if (!fs::is_directory(resolved, unreadable))
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
    read_sized_images(r, t, &*sizes, images);
  }
}

// An executable file, as posix_spawnp finds it: a name with a slash as a path
// (here relative to the config's folder), any other on PATH.
static std::string find_program(const ConfigReader& r, const std::string& program) {
  auto executable = [](const std::string& file) {
    std::error_code ec;
    return fs::is_regular_file(file, ec) && ::access(file.c_str(), X_OK) == 0;
  };
  if (program.find('/') != std::string::npos) {
    const std::string resolved = r.resolve(program);
    return executable(resolved) ? resolved : "";
  }
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');)
    if (executable((fs::path(dir.empty() ? "." : dir) / program).string())) return program;
  return "";
}

// One [[commands]] table.
static CommandSpec read_command(const ConfigReader& r, const toml::table& t) {
  r.check_keys(t, "[[commands]]", {"name", "argv", "input_format", "quality"});
  CommandSpec command;
  const auto name = r.string(t, "name");
  if (!name || name->empty()) r.fail(&t, "each [[commands]] needs a name = \"...\" (the records' network column)");
  if (lookup_network(*name))
    r.fail(t.get("name"), "command name '" + *name + "' is a built-in network's: choose another");
  if (find_legacy_codec(*name))
    r.fail(t.get("name"), "command name '" + *name + "' is a legacy codec's: choose another");
  command.name = *name;
  const auto argv = r.strings(t, "argv");
  if (!argv || argv->empty() || argv->front().empty())
    r.fail(argv ? t.get("argv") : &t, "command '" + command.name +
                                          "' needs argv = [\"PROGRAM\", \"ARG\", ...] with the program first");
  command.argv = *argv;
  static const std::regex placeholder(R"(\{[^{}]*\})");
  static const std::set<std::string> known = {"{input}", "{output}", "{width}", "{height}"};
  for (const std::string& arg : command.argv)
    for (auto it = std::sregex_iterator(arg.begin(), arg.end(), placeholder); it != std::sregex_iterator(); ++it)
      if (!known.count(it->str()))
        r.fail(t.get("argv"), "command '" + command.name + "': unknown placeholder " + it->str() +
                                  " in argv; use {input}, {output}, {width} or {height}");
  if (command.argv.front().find('{') != std::string::npos)
    r.fail(t.get("argv"), "command '" + command.name + "': the program (argv[0]) cannot be a placeholder");
  const std::string program = find_program(r, command.argv.front());
  if (program.empty())
    r.fail(t.get("argv"), "command '" + command.name + "': program '" + command.argv.front() +
                              "' not found (not an executable on PATH; a path with a slash is relative to the "
                              "config's folder)");
  command.argv.front() = program;
  command.input_format = r.string(t, "input_format").value_or("png");
  if (command.input_format != "png" && command.input_format != "ppm")
    r.fail(t.get("input_format"), "input_format '" + command.input_format + "' is unknown: use png or ppm");
  command.quality = r.integer(t, "quality").value_or(0);
  return command;
}

// legacy_qualities = { jpeg = [10, 50, 90], avif = [50, 30] }: each codec's
// settings in its own scale, checked against its range; the others keep their
// default sweep.
static void read_legacy_qualities(const ConfigReader& r, const toml::table& campaign, CampaignConfig& config) {
  const toml::node* node = campaign.get("legacy_qualities");
  if (!node) return;
  if (!node->is_table())
    r.fail(node, "legacy_qualities must be a table of lists: legacy_qualities = { jpeg = [10, 50, 90] }");
  for (auto&& [key, value] : *node->as_table()) {
    const std::string name(key.str());
    const LegacyCodec* codec = find_legacy_codec(name);
    if (!codec) r.fail(&value, "legacy_qualities names '" + name + "', not a legacy codec: use " + legacy_codec_names());
    if (!codec->available) continue;  // said in the notes
    const auto listed = subject_names(config, SubjectKind::classic);
    if (std::find(listed.begin(), listed.end(), codec->name) == listed.end())
      r.fail(&value, "legacy_qualities names " + codec->name + ", which models does not: add it to models or drop it here");
    const auto qualities = r.integers(*node->as_table(), name.c_str());
    if (qualities->empty()) r.fail(&value, "legacy_qualities for " + name + " is an empty list");
    for (int q : *qualities)
      if (q < codec->setting_min || q > codec->setting_max)
        r.fail(&value, codec->name + " " + codec->setting + " " + std::to_string(q) + " is outside " +
                           std::to_string(static_cast<int>(codec->setting_min)) + ".." +
                           std::to_string(static_cast<int>(codec->setting_max)));
    const std::set<int> unique(qualities->begin(), qualities->end());
    config.sweep.own_qualities[codec->name].assign(unique.begin(), unique.end());
  }
}

// [[weights]] model = "bfac", quality = 1, file = "bfac-q1.safetensors".
static void read_weights(const ConfigReader& r, const toml::node& node, CampaignConfig& config) {
  if (!node.is_array_of_tables())
    r.fail(&node, "weights must be [[weights]] tables (model = \"...\", quality = N, file = \"...\")");
  for (const toml::node& block : *node.as_array()) {
    const toml::table& t = *block.as_table();
    r.check_keys(t, "[[weights]]", {"model", "quality", "file"});
    CampaignWeights w;
    const auto model = r.string(t, "model");
    const auto quality = r.integer(t, "quality");
    const auto file = r.string(t, "file");
    if (!model || !quality || !file) r.fail(&block, "each [[weights]] needs model, quality and file");
    const NetworkSpec* spec = lookup_network(*model);
    if (!spec) r.fail(t.get("model"), "[[weights]] model '" + *model + "' is not a built-in network");
    const auto measured = subject_names(config, SubjectKind::network);
    if (std::find(measured.begin(), measured.end(), spec->name) == measured.end())
      r.fail(t.get("model"), "[[weights]] for " + spec->abbr + ", which models does not measure: add it or drop these weights");
    try {
      quality_config(*spec, static_cast<int>(*quality));
    } catch (const Error& e) {
      r.fail(t.get("quality"), e.what());
    }
    w.model = spec->name;
    w.quality = static_cast<int>(*quality);
    w.file = r.resolve(*file);
    try {
      require_regular_file(w.file, "weights '" + w.file + "'", "paths are relative to the config's folder");
    } catch (const Error& e) {
      r.fail(t.get("file"), e.what());
    }
    for (const CampaignWeights& other : config.weights)
      if (other.model == w.model && other.quality == w.quality)
        r.fail(&block, "two [[weights]] for " + spec->abbr + " quality " + std::to_string(w.quality) + ": keep one");
    config.weights.push_back(std::move(w));
  }
}

// `models` and the [[commands]], each resolved (subject/resolve.h): a
// TorchScript file relative to the config's folder, a classic codec this build
// lacks left out and said once (one config serves machines with and without
// each library). No models key: all six networks, unless there are [[commands]].
static void read_subjects(const ConfigReader& r, const toml::table& root, const toml::table& c,
                          CampaignConfig& config) {
  const auto names = r.strings(c, "models");
  if (names && names->empty()) r.fail(c.get("models"), "models is an empty list");
  std::vector<SubjectSpec> subjects;
  for (const auto& n : names.value_or(std::vector<std::string>{})) {
    SubjectSpec s;
    try {
      s = resolve_subject(n);
      if (!s.source.empty()) {
        s.source = r.resolve(s.source);
        require_regular_file(s.source, "TorchScript model '" + s.source + "'", "paths are relative to the config's folder");
      }
    } catch (const Error& e) {
      r.fail(c.get("models"), e.what());
    }
    if (const std::string why = subject_unavailable(s); !why.empty()) {
      config.notes.push_back(why + "; left out of this campaign");
      continue;
    }
    subjects.push_back(std::move(s));
  }
  if (const toml::node* commands = root.get("commands")) {
    if (!commands->is_array_of_tables())
      r.fail(commands, "commands must be [[commands]] tables (name = \"...\", argv = [...])");
    for (const toml::node& block : *commands->as_array()) {
      subjects.push_back(command_subject(read_command(r, *block.as_table())));
      for (size_t i = 0; i + 1 < subjects.size(); ++i)
        if (subjects[i].name == subjects.back().name)
          r.fail(&block, "two models or commands are named '" + subjects.back().name + "' (the name names the results): rename one");
    }
  }
  if (!names && subjects.empty())
    for (const auto& spec : network_specs()) subjects.push_back(resolve_subject(spec.name));
  std::stable_sort(subjects.begin(), subjects.end(), subject_before);
  // A name listed twice is measured once; two files with one stem would share their results.
  for (const SubjectSpec& s : subjects) {
    const auto same = std::find_if(config.subjects.begin(), config.subjects.end(),
                                   [&](const SubjectSpec& o) { return o.name == s.name; });
    if (same == config.subjects.end())
      config.subjects.push_back(s);
    else if (same->source != s.source)
      r.fail(c.get("models"), "two TorchScript models are named '" + s.name +
                                  "' (the file name without .pt/.ts names the results): rename one");
  }
  read_legacy_qualities(r, c, config);
  if (names && config.subjects.empty())
    r.fail(c.get("models"), "nothing to measure: every codec models names was left out (" +
                                (config.notes.empty() ? std::string("none") : config.notes.front()) + ")");
  for (const SubjectSpec& s : config.subjects)
    if (subject_stages(s, config.stages).empty())
      r.fail(c.get("stages"), "the legacy codecs have the stages chain, encode and decode, and stages names none of them: add one");
}

// device, meter (as the CLI's --meter takes it; files relative to the
// config's folder) and host_meter.
static void read_device_and_meters(const ConfigReader& r, const toml::table* c, CampaignConfig& config) {
  config.device = r.string(*c, "device").value_or("cpu");
  static const std::regex device_pattern("^(cpu|cuda|cuda:[0-9]+)$");
  if (!std::regex_match(config.device, device_pattern))
    r.fail(c->get("device"), "device '" + config.device + "' is unknown: use cpu, cuda or cuda:N");

  config.meter = r.string(*c, "meter").value_or("auto");
  if (config.meter.rfind("replay:", 0) == 0) {
    const std::string file = config.meter.substr(7);
    if (file.empty()) r.fail(c->get("meter"), "replay needs a trace file: meter = \"replay:TRACE.csv\"");
    const std::string resolved = r.resolve(file);
    try {
      require_regular_file(resolved, "replay trace '" + resolved + "'", "paths are relative to the config's folder");
    } catch (const Error& e) {
      r.fail(c->get("meter"), e.what());
    }
    config.meter = "replay:" + resolved;
  } else {
    // What the CLI's --meter takes (the meters' table), nvml:INDEX and estimate:TDP_W included.
    try {
      check_meter_spec(config.meter);
    } catch (const Error& e) {
      r.fail(c->get("meter"), e.what());
    }
    if (config.meter.rfind("external:", 0) == 0) config.meter = "external:" + r.resolve(config.meter.substr(9));
  }

  config.host_meter = r.string(*c, "host_meter").value_or("auto");
  if (config.host_meter != "auto" && config.host_meter != "none" && config.host_meter != "rapl" &&
      config.host_meter != "estimate")
    r.fail(c->get("host_meter"), "host_meter '" + config.host_meter + "' is unknown: use auto, none, rapl or estimate");

}

// stages and modes: each known, each once, modes only with the chain.
static void read_stages_and_modes(const ConfigReader& r, const toml::table* c, CampaignConfig& config) {
  if (const auto stages = r.strings(*c, "stages")) {
    if (stages->empty()) r.fail(c->get("stages"), "stages is an empty list: leave it out to measure the chain");
    config.stages.clear();
    for (const auto& stage : *stages) {
      try {
        parse_stage(stage);
      } catch (const Error& e) {
        r.fail(c->get("stages"), e.what());
      }
      if (std::find(config.stages.begin(), config.stages.end(), stage) == config.stages.end())
        config.stages.push_back(stage);
    }
  }

  if (const auto modes = r.strings(*c, "modes")) {
    if (modes->empty()) r.fail(c->get("modes"), "modes is an empty list: leave it out to measure in float32");
    config.modes.clear();
    for (const auto& text : *modes) {
      std::string name;
      try {
        const ExecutionMode mode = parse_mode(text);
        if (auto why = mode_unavailable_on(mode, config.device != "cpu")) throw Error(*why);
        name = mode_name(mode);  // one spelling per mode, whatever order the flags came in
      } catch (const Error& e) {
        r.fail(c->get("modes"), e.what());
      }
      if (std::find(config.modes.begin(), config.modes.end(), name) == config.modes.end()) config.modes.push_back(name);
    }
    if (std::find(config.stages.begin(), config.stages.end(), "chain") == config.stages.end())
      r.fail(c->get("modes"), "modes are ways of running the chain, and stages leaves the chain out: add \"chain\" to stages");
  }

}

// levels or qualities, and each subject checked at each of its qualities.
static void read_sweep(const ConfigReader& r, const toml::table* c, CampaignConfig& config) {
  const auto levels = r.strings(*c, "levels");
  const auto qualities = r.integers(*c, "qualities");
  if (levels && qualities)
    r.fail(c->get("qualities"), "give levels or qualities, not both");
  if (qualities) {
    if (qualities->empty()) r.fail(c->get("qualities"), "qualities is an empty list");
    std::set<int> unique(qualities->begin(), qualities->end());
    config.sweep.qualities.assign(unique.begin(), unique.end());
    for (const SubjectSpec& subject : config.subjects) {
      try {
        subject_qualities(subject, config.sweep);
      } catch (const Error& e) {
        r.fail(c->get("qualities"), e.what());
      }
    }
  } else {
    config.sweep.levels = levels.value_or(std::vector<std::string>{"low", "high"});
    if (config.sweep.levels.empty()) r.fail(c->get("levels"), "levels is an empty list");
    for (const auto& level : config.sweep.levels)
      if (level != "low" && level != "high")
        r.fail(c->get("levels"), "level '" + level + "' is unknown: use low or high");
  }

  // Each subject at each of its qualities, as `measure` checks one (a classic codec on a GPU).
  for (const SubjectSpec& subject : config.subjects)
    for (int quality : subject_qualities(subject, config.sweep)) {
      SubjectSpec s = subject;
      s.quality = quality;
      try {
        check_subject(s, config.device != "cpu");
      } catch (const Error& e) {
        r.fail(c->get("models"), e.what());
      }
    }

}

// The [[images]] tables in the plan's order; an image listed twice is measured once.
static void read_all_images(const ConfigReader& r, const toml::table& root, CampaignConfig& config) {
  const toml::node* images = root.get("images");
  if (!images || !images->is_array_of_tables())
    r.fail(images, "needs at least one [[images]] table (files = [...], folder = \"...\" or sizes = [...])");
  for (const toml::node& block : *images->as_array()) read_images(r, *block.as_table(), config.images);

  std::sort(config.images.begin(), config.images.end(), [](const ImageSource& a, const ImageSource& b) {
    const int64_t pa = int64_t(a.width) * a.height, pb = int64_t(b.width) * b.height;
    return std::tie(pa, a.width, a.height, a.label) < std::tie(pb, b.width, b.height, b.label);
  });
  config.images.erase(std::unique(config.images.begin(), config.images.end(),
                                  [](const ImageSource& a, const ImageSource& b) {
                                    return a.label == b.label && a.width == b.width && a.height == b.height;
                                  }),
                      config.images.end());
}

std::vector<std::string> subject_names(const CampaignConfig& config, SubjectKind kind) {
  std::vector<std::string> names;
  for (const SubjectSpec& s : config.subjects)
    if (s.kind == kind) names.push_back(s.name);
  return names;
}

CampaignConfig load_campaign_config(const std::string& path) {
  // A directory is said to be one, and a FIFO is refused before it is opened
  // (reading it would wait forever).
  const std::string text =
      read_input_file(path, "config '" + path + "'", "give a campaign TOML file (see configs/example.toml)", 1 << 20);
  ConfigReader r{path, fs::path(path).parent_path()};
  if (r.dir.empty()) r.dir = ".";
  toml::table root;
  try {
    root = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    throw Error("config '" + path + "' line " + std::to_string(e.source().begin.line) +
                " is not valid TOML: " + printable(e.description(), 200));
  }
  r.check_keys(root, "the config", {"campaign", "protocol", "images", "commands", "weights"});

  CampaignConfig config;
  config.path = path;
  const toml::table* c = root.get_as<toml::table>("campaign");
  if (!c) r.fail(root.get("campaign"), "needs a [campaign] table (name, output, models, ...)");
  // One name per setting: `models`, as the CLI's --model.
  if (const toml::node* old = c->get("networks")) r.fail(old, "networks was renamed: use models = [...]");
  r.check_keys(*c, "[campaign]",
               {"name", "output", "device", "meter", "host_meter", "models", "levels", "qualities", "stages", "modes",
                "idle_refresh_s", "legacy_qualities"});

  config.name = r.string(*c, "name").value_or(fs::path(path).stem().string());
  config.output = r.string(*c, "output").value_or("results/" + config.name + ".csv");
  if (config.output.empty()) r.fail(c->get("output"), "output is empty: name the results CSV");

  read_device_and_meters(r, c, config);
  read_stages_and_modes(r, c, config);
  read_subjects(r, root, *c, config);
  if (const toml::node* weights = root.get("weights")) read_weights(r, *weights, config);

  read_sweep(r, c, config);
  config.idle_refresh_s = r.number(*c, "idle_refresh_s").value_or(1800);
  if (!(config.idle_refresh_s > 0)) r.fail(c->get("idle_refresh_s"), "idle_refresh_s must be more than 0 seconds");

  if (const toml::node* p = root.get("protocol")) {
    if (!p->is_table()) r.fail(p, "protocol must be a table: [protocol]");
    read_protocol(r, *p->as_table(), config.protocol);
  }

  read_all_images(r, root, config);
  return config;
}

}  // namespace nicenergy
