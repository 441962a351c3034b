#include "modes/mode_name.h"

#include <sstream>

#include "error.h"

namespace nicenergy {

const std::vector<ModeFlag>& mode_flags() {
  static const std::vector<ModeFlag> flags = {
      {"channels_last", false, "exact", "NHWC tensors and weights (channels innermost)"},
      {"subpixel", false, "exact",
       "each stride-2 transposed convolution as one stride-1 convolution and a pixel shuffle"},
      {"inference_mode", false, "exact", "LibTorch's InferenceMode instead of no-grad (no version counters or views)"},
      {"bf16", false, "lower precision", "autocast to bfloat16 (convolutions and matmuls)"},
      {"fp16", true, "lower precision", "autocast to float16 (convolutions and matmuls)"},
      {"tf32", true, "lower precision", "TF32 tensor cores for float32 convolutions and matmuls"},
      {"cudnn_benchmark", true, "non-deterministic", "cuDNN autotuning picks the fastest algorithm per shape"},
      {"cuda_graph", true, "exact", "the chain captured once as a CUDA graph at its input size, then replayed"},
  };
  return flags;
}

std::string mode_name(const ExecutionMode& m) {
  std::vector<std::string> parts;
  if (m.channels_last) parts.push_back("channels_last");
  if (m.subpixel) parts.push_back("subpixel");
  if (m.inference_mode) parts.push_back("inference_mode");
  if (!m.autocast.empty()) parts.push_back(m.autocast);
  if (m.tf32) parts.push_back("tf32");
  if (m.cudnn_benchmark) parts.push_back("cudnn_benchmark");
  if (m.cuda_graph) parts.push_back("cuda_graph");
  if (parts.empty()) return "float32";
  std::string name = parts.front();
  for (size_t i = 1; i < parts.size(); ++i) name += "+" + parts[i];
  return name;
}

static std::string known_flags() {
  std::string known = "float32";
  for (const ModeFlag& f : mode_flags()) known += ", " + f.name;
  return known;
}

ExecutionMode parse_mode(const std::string& text) {
  ExecutionMode m;
  if (text == "float32") return m;
  if (text.empty()) throw Error("empty mode: use float32 or flags joined by '+' (" + known_flags() + ")");
  std::stringstream in(text);
  std::string flag;
  while (std::getline(in, flag, '+')) {
    bool* target = nullptr;
    if (flag == "channels_last") target = &m.channels_last;
    else if (flag == "subpixel") target = &m.subpixel;
    else if (flag == "inference_mode") target = &m.inference_mode;
    else if (flag == "tf32") target = &m.tf32;
    else if (flag == "cudnn_benchmark") target = &m.cudnn_benchmark;
    else if (flag == "cuda_graph") target = &m.cuda_graph;
    else if (flag == "bf16" || flag == "fp16") {
      if (!m.autocast.empty())
        throw Error("mode '" + text + "' asks for two autocast types: choose bf16 or fp16");
      m.autocast = flag;
      continue;
    } else {
      throw Error("mode '" + text + "' has an unknown flag '" + flag + "': use " + known_flags() + ", joined by '+'");
    }
    if (*target) throw Error("mode '" + text + "' names " + flag + " twice");
    *target = true;
  }
  if (text.back() == '+') throw Error("mode '" + text + "' ends with '+': remove it");
  return m;
}

std::optional<std::string> mode_unavailable_on(const ExecutionMode& m, bool cuda) {
  if (cuda) return std::nullopt;
  for (const ModeFlag& f : mode_flags())
    if (f.cuda_only && mode_name(m).find(f.name) != std::string::npos)
      return mode_name(m) + ": " + f.name + " is for CUDA devices; run it with --device cuda";
  return std::nullopt;
}

bool mode_lower_precision(const ExecutionMode& m) { return !m.autocast.empty() || m.tf32; }
bool mode_deterministic(const ExecutionMode& m) { return !m.cudnn_benchmark; }

}  // namespace nicenergy
