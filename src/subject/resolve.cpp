#include "subject/resolve.h"

#include <algorithm>
#include <filesystem>
#include <set>
#include <tuple>

#include "coding/stage.h"
#include "error.h"
#include "legacy/legacy_codecs.h"
#include "models/torchscript_path.h"
#include "models/zoo.h"
#include "modes/mode_name.h"

namespace nicenergy {

namespace {

// What each kind takes: the one table the rest of nicenergy asks.
struct KindRow {
  SubjectKind kind;
  const char* text;
  bool learned;       // takes weights and energy modes
  bool cpu_only;      // runs on the CPU whatever the device
  bool whole;         // measured whole: the chain is its one stage
  bool coded_stages;  // chain, encode and decode only
  const char* no_weights;  // why --weights does not apply ("{}" is the name)
};

const KindRow kKinds[] = {
    {SubjectKind::network, "network", true, false, false, false, ""},
    {SubjectKind::torchscript, "TorchScript file", false, false, true, false, "a TorchScript file carries its own"},
    {SubjectKind::classic, "legacy codec", false, true, false, true, "{} has none"},
    {SubjectKind::command, "command", false, false, true, false, "a command has none"},
};

const KindRow& row(SubjectKind kind) {
  for (const KindRow& r : kKinds)
    if (r.kind == kind) return r;
  throw Error("unknown subject kind");  // not reached: every kind has its row
}

std::string with_name(std::string text, const std::string& name) {
  if (const size_t at = text.find("{}"); at != std::string::npos) text.replace(at, 2, name);
  return text;
}

int registry_rank(const SubjectSpec& s) {
  const auto& codecs = legacy_codecs();
  for (size_t i = 0; i < codecs.size(); ++i)
    if (codecs[i].name == s.name) return static_cast<int>(i);
  return 0;
}

}  // namespace

SubjectSpec resolve_subject(const std::string& name_or_path) {
  SubjectSpec s;
  if (is_torchscript_path(name_or_path)) {
    s.kind = SubjectKind::torchscript;
    s.source = name_or_path;
    s.name = s.abbr = std::filesystem::path(name_or_path).stem().string();
    return s;
  }
  if (const LegacyCodec* codec = find_legacy_codec(name_or_path)) {
    s.kind = SubjectKind::classic;
    s.name = codec->name;
    s.abbr = codec->abbr;
    return s;
  }
  const NetworkSpec* spec = lookup_network(name_or_path);
  if (!spec)
    throw Error("unknown model '" + name_or_path +
                "': use a network (Bfac, Bhyp, Mmean, Mcont, Canch, Cattn or its CompressAI name), a TorchScript "
                "file (.pt, .ts) or a legacy codec (" + legacy_codec_names() + ")");
  s.kind = SubjectKind::network;
  s.name = spec->name;
  s.abbr = spec->abbr;
  return s;
}

SubjectSpec resolve_network(const std::string& name, const std::string& command) {
  SubjectSpec s = resolve_subject(name);
  if (s.kind != SubjectKind::network)
    throw Error(name + " is a " + row(s.kind).text + ": " + command +
                " runs the built-in learned networks; measure it with `nicenergy measure --model " + name + "`");
  return s;
}

SubjectSpec command_subject(const CommandSpec& command) {
  SubjectSpec s;
  s.kind = SubjectKind::command;
  s.name = s.abbr = command.name;
  s.command = command;
  s.quality = command.quality;
  return s;
}

std::string subject_unavailable(const SubjectSpec& s) {
  if (row(s.kind).coded_stages) {
    const LegacyCodec& codec = legacy_codec(s.name);
    if (!codec.available) return codec.unavailable_reason;
  }
  return "";
}

void check_subject(const SubjectSpec& s, bool cuda) {
  const KindRow& k = row(s.kind);
  if (!s.weights.empty() && !k.learned)
    throw Error("weights are for the built-in networks; " + with_name(k.no_weights, s.name));
  if (cuda && k.cpu_only)
    throw Error(s.name + " runs on the CPU: measure it with --device cpu (in a campaign, device = \"cpu\", and the "
                "learned codecs on the GPU in a second one; report takes both CSVs)");
  const Stage stage = parse_stage(s.stage);
  const ExecutionMode mode = parse_mode(s.mode);
  const bool float32 = mode == ExecutionMode{};
  if (!float32 && !k.learned)
    throw Error("energy modes are for the built-in networks; " + s.name + " runs as it is: measure it in float32");
  if (!float32 && stage != Stage::chain)
    throw Error("energy mode " + s.mode + " is for the chain; measure stage " + s.stage + " in float32");
  if (auto why = mode_unavailable_on(mode, cuda)) throw Error(*why);
  if (k.whole && stage != Stage::chain)
    throw Error("stages are for the built-in networks and legacy codecs; a " + std::string(k.text) +
                " is measured whole, as the chain");
  if (const std::string why = subject_unavailable(s); !why.empty()) throw Error(why);
  (void)subject_qualities(s, QualitySweep{{}, {s.quality}, {{s.name, {s.quality}}}});
  if (k.coded_stages && stage != Stage::chain && stage != Stage::encode && stage != Stage::decode)
    throw Error(s.name + " has the stages chain, encode and decode; " + s.stage +
                " is a learned codec's: measure " + s.name + " with one of those");
}

std::string subject_level(const SubjectSpec& s) {
  if (!row(s.kind).learned) return kCustomLevel;
  return quality_config(find_network(s.name), s.quality).level;
}

bool subject_takes_weights(const SubjectSpec& s) { return row(s.kind).learned; }

std::string subject_kind_text(SubjectKind kind) { return row(kind).text; }

std::vector<int> subject_qualities(const SubjectSpec& s, const QualitySweep& sweep) {
  const KindRow& k = row(s.kind);
  std::set<int> out;
  if (k.learned) {
    const NetworkSpec& spec = find_network(s.name);
    for (int q : sweep.qualities) out.insert(quality_config(spec, q).quality);  // throws for one it lacks
    for (const auto& level : sweep.levels) out.insert(level_qualities(spec, level).front());
  } else if (k.coded_stages) {
    const LegacyCodec& codec = legacy_codec(s.name);
    const auto own = sweep.own_qualities.find(s.name);
    std::vector<int> given;
    if (own != sweep.own_qualities.end())
      given = own->second;
    else
      for (double setting : codec.default_settings) given.push_back(static_cast<int>(setting));
    for (int q : given) {
      if (q < codec.setting_min || q > codec.setting_max)
        throw Error(codec.name + " " + codec.setting + " " + std::to_string(q) + " is outside " +
                    std::to_string(static_cast<int>(codec.setting_min)) + ".." +
                    std::to_string(static_cast<int>(codec.setting_max)) + ": give a quality in that range (the " +
                    codec.setting + " of " + codec.library + ", " +
                    (codec.higher_is_better ? "higher is better" : "lower is better") + ")");
      out.insert(q);
    }
  } else {
    out.insert(s.quality);
  }
  return {out.begin(), out.end()};
}

std::vector<std::string> subject_stages(const SubjectSpec& s, const std::vector<std::string>& stages) {
  const KindRow& k = row(s.kind);
  if (k.whole) return {"chain"};
  std::vector<std::string> out;
  for (const std::string& stage : stages)
    if (!k.coded_stages || stage == "chain" || stage == "encode" || stage == "decode") out.push_back(stage);
  return out;
}

std::vector<std::string> subject_modes(const SubjectSpec& s, const std::vector<std::string>& modes) {
  if (row(s.kind).learned) return modes;
  return {"float32"};
}

bool subject_before(const SubjectSpec& a, const SubjectSpec& b) {
  auto key = [](const SubjectSpec& s) {
    const int within = s.kind == SubjectKind::network   ? network_rank(s.name)
                       : s.kind == SubjectKind::classic ? registry_rank(s)
                                                        : 0;  // as given (the plan sorts stably)
    return std::make_tuple(static_cast<int>(s.kind), within);
  };
  return key(a) < key(b);
}

std::optional<SubjectKind> known_subject_kind(const std::string& network) {
  if (lookup_network(network)) return SubjectKind::network;
  if (find_legacy_codec(network)) return SubjectKind::classic;
  return std::nullopt;
}

}  // namespace nicenergy
