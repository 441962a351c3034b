// What is measured: the one seam between the protocol and the four kinds of
// subject (a built-in network, a TorchScript file, a classic codec, a
// command). A SubjectSpec names one; the resolver (subject/resolve.h) is the
// only place that tells the kinds apart; a Subject is one, ready on one image.
// Torch-free: the torch side makes the networks' subjects
// (subject/make_subject.h), the core the classic codecs' and commands'.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "protocol/protocol.h"
#include "protocol/record.h"

namespace nicenergy {

// A program measured like `nicenergy exec` (a campaign's [[commands]] entry).
// Placeholders in argv: {input} (the image written for the point), {output} (a
// path beside it, for what the command writes), {width}, {height}.
struct CommandSpec {
  std::string name;                  // the records' network and abbr
  std::vector<std::string> argv;     // with placeholders; argv[0] found on PATH or as a path
  std::string input_format = "png";  // png or ppm: the file {input} names
  int quality = 0;                   // the records' quality
};

// argv with the placeholders replaced.
std::vector<std::string> command_argv(const CommandSpec& command, const std::string& input, const std::string& output,
                                      int width, int height);

// In the plan's order (subject_before).
enum class SubjectKind { network, classic, torchscript, command };

// One subject as a command line or a campaign point names it. The resolver
// fills kind, name, abbr and source; the rest is the caller's.
struct SubjectSpec {
  SubjectKind kind = SubjectKind::network;
  std::string name;     // the records' network: the zoo's name, the file's stem, the codec's or the command's name
  std::string abbr;     // the records' abbr
  std::string source;   // a TorchScript file's path; "" for the others
  CommandSpec command;  // a command's argv and input format
  std::string weights;  // a network's safetensors file; "" runs seeded weights
  uint64_t seed = 0;    // the seeded weights' seed
  int quality = 0;
  std::string stage = "chain";   // coding/stage.h names
  std::string mode = "float32";  // modes/mode_name.h names
};

class Subject {
 public:
  virtual ~Subject() = default;
  // One execution and what waits for it (the device's queue).
  virtual Workload workload() const = 0;
  // The record of a finished protocol run: the subject's identity (network,
  // quality, level, image and its sizes) and the extras that apply to it
  // (kmac_per_px, bpp, PSNR, MS-SSIM), the energy fields from `result`.
  virtual MeasurementRecord record(const ProtocolResult& result, const std::string& device_text,
                                   const std::string& started_at) const = 0;
  // What `--json` says of the subject beyond the record: the file and its
  // calling options, the codec's library, the weights.
  virtual void describe(nlohmann::ordered_json& json) const = 0;
};

}  // namespace nicenergy
