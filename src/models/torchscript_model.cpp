#include "models/torchscript_model.h"

#include <filesystem>

#include "error.h"
#include "io/files.h"

namespace nicenergy {

namespace {

std::string sizes_text(const torch::Tensor& t) {
  std::string text;
  for (int64_t d = 0; d < t.dim(); ++d) text += (d ? "x" : "") + std::to_string(t.size(d));
  return text;
}

}  // namespace

TorchScriptCodec::TorchScriptCodec(const std::string& path, TorchScriptOptions options, const torch::Device& device)
    : path_(path), options_(std::move(options)) {
  const std::string what = "TorchScript file '" + path + "'";
  require_regular_file(path, what, "export your model with torch.jit.script or torch.jit.trace and save it (see docs/exec.md)");
  if (options_.padding < 1) throw Error("--padding must be at least 1");
  try {
    module_ = torch::jit::load(path, device);
  } catch (const c10::Error& e) {
    // The first line of LibTorch's message says why (not a zip archive, unknown
    // opcode of a newer PyTorch, ...); the rest is a C++ stack.
    std::string why = e.what_without_backtrace();
    why = why.substr(0, why.find('\n'));
    throw Error(what + " does not load as TorchScript (" + why +
                "); save it with torch.jit.save from a PyTorch no newer than this LibTorch");
  }
  module_.eval();
  const bool pair = !options_.encode_method.empty() || !options_.decode_method.empty();
  if (pair && (options_.encode_method.empty() || options_.decode_method.empty()))
    throw Error("--encode-method and --decode-method go together: give both, or neither for forward");
  for (const std::string& method :
       pair ? std::vector<std::string>{options_.encode_method, options_.decode_method}
            : std::vector<std::string>{options_.forward_method})
    if (!module_.find_method(method))
      throw Error(what + " has no method '" + method + "': export it (@torch.jit.export) or name another");
}

std::string TorchScriptCodec::name() const { return std::filesystem::path(path_).stem().string(); }

torch::Tensor TorchScriptCodec::output(const c10::IValue& result) const {
  const std::string& key = options_.output_key;
  const std::string what = "the output of '" + path_ + "'";
  if (result.isTensor()) return result.toTensor();
  if (result.isGenericDict()) {
    const auto dict = result.toGenericDict();
    for (const auto& entry : dict)
      if (entry.key().isString() && entry.key().toStringRef() == key) {
        if (!entry.value().isTensor()) throw Error(what + ": entry '" + key + "' is not a tensor; name another with --output-key");
        return entry.value().toTensor();
      }
    throw Error(what + " is a dict without the key '" + key + "': name the reconstruction with --output-key");
  }
  if (result.isTuple() || result.isList()) {
    std::vector<c10::IValue> items;
    if (result.isTuple()) {
      const auto& elements = result.toTupleRef().elements();
      items.assign(elements.begin(), elements.end());
    } else {
      items = result.toListRef().vec();
    }
    size_t index = 0;
    try {
      size_t used = 0;
      index = std::stoul(key, &used);
      if (used != key.size()) throw std::invalid_argument(key);
    } catch (const std::exception&) {
      throw Error(what + " is a tuple or list: give --output-key INDEX of the reconstruction (0 is the first)");
    }
    if (index >= items.size() || !items[index].isTensor())
      throw Error(what + " has no tensor at index " + key + ": give --output-key INDEX of the reconstruction");
    return items[index].toTensor();
  }
  throw Error(what + " is a " + result.tagKind() + ", not a tensor, dict, tuple or list");
}

torch::Tensor TorchScriptCodec::run(const torch::Tensor& x) {
  torch::NoGradGuard no_grad;
  if (options_.encode_method.empty()) return output(module_.get_method(options_.forward_method)({x}));
  c10::IValue code = module_.get_method(options_.encode_method)({x});
  // A tuple from encode is spread over decode's arguments, as Python's decode(*encode(x)).
  std::vector<c10::IValue> args;
  if (code.isTuple()) {
    const auto& elements = code.toTupleRef().elements();
    args.assign(elements.begin(), elements.end());
  } else
    args = {code};
  return output(module_.get_method(options_.decode_method)(args));
}

void TorchScriptCodec::check(const torch::Tensor& x) {
  const torch::Tensor y = run(x);
  if (!y.sizes().equals(x.sizes()))
    throw Error("the reconstruction of '" + path_ + "' is " + sizes_text(y) + ", the input " + sizes_text(x) +
                ": the model must return 1x3xHxW for a 1x3xHxW input in [0, 1] (try --padding or --output-key)");
}

}  // namespace nicenergy
