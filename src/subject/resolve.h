// The resolver: the one place that tells the kinds of subject apart. It turns
// a name or path into a SubjectSpec and answers, from one table of kinds,
// what each kind takes (weights, stages, energy modes, devices, qualities), so
// that `measure`, `exec`, the campaign's config and plan, and the reports
// never branch on the kind themselves. Torch-free.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "subject/subject.h"

namespace nicenergy {

// A name ending in .pt or .ts: a TorchScript file (its stem names the records);
// a classic codec's name or abbreviation (compiled in or not); a built-in
// network's name, abbreviation or CompressAI name. Throws Error listing what a
// model may be otherwise. `source` keeps a file's path as given.
SubjectSpec resolve_subject(const std::string& name_or_path);
// The built-in network of a command that runs only those (modes, layers,
// validate): any other kind is refused in one line that points to `measure`.
SubjectSpec resolve_network(const std::string& name, const std::string& command);
// A command's subject (named by the command).
SubjectSpec command_subject(const CommandSpec& command);

// "" or why this build cannot measure the subject (a classic codec whose
// library was missing when nicenergy was built), in one line.
std::string subject_unavailable(const SubjectSpec& subject);

// Checked before any meter opens: the weights, stage, energy mode, device and
// quality fit the kind. Throws Error naming the option to change.
void check_subject(const SubjectSpec& subject, bool cuda);

// The level of the records: the network's (low, high), "custom" for the rest.
std::string subject_level(const SubjectSpec& subject);
bool subject_takes_weights(const SubjectSpec& subject);
// "network", "TorchScript file", "legacy codec", "command": for messages.
std::string subject_kind_text(SubjectKind kind);

// A campaign's sweep: `levels` or `qualities` for the networks, each classic
// codec's own list (legacy_qualities) or its default sweep; a TorchScript file
// and a command have their one quality.
struct QualitySweep {
  std::vector<std::string> levels;
  std::vector<int> qualities;
  std::map<std::string, std::vector<int>> own_qualities;  // by classic codec name
};
// Ascending; throws Error for a quality the subject does not take.
std::vector<int> subject_qualities(const SubjectSpec& subject, const QualitySweep& sweep);
// Of the campaign's stages, those the subject has (a TorchScript file and a
// command are measured whole: the chain alone); of its modes, those it runs in
// (float32 alone for all but the networks).
std::vector<std::string> subject_stages(const SubjectSpec& subject, const std::vector<std::string>& stages);
std::vector<std::string> subject_modes(const SubjectSpec& subject, const std::vector<std::string>& modes);
// The plan's order: networks (the zoo's order), classic codecs (the
// registry's), TorchScript files, commands (both as given).
bool subject_before(const SubjectSpec& a, const SubjectSpec& b);

// What a record's network names, read back by fit and report: a network or a
// classic codec; nullopt for any other (a TorchScript file's stem, a command).
std::optional<SubjectKind> known_subject_kind(const std::string& network);

}  // namespace nicenergy
