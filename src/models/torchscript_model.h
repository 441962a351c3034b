// A user's codec as a TorchScript file (`--model codec.pt`, any name ending in
// .pt or .ts): loaded with torch::jit::load and run as the paper's execution,
// the full encoder-decoder chain on one padded image. By default forward(x),
// x a 1x3xHxW float tensor in [0, 1]; or decode(encode(x)) with method names of
// the user's choice. The output waited for (and checked to be the
// reconstruction, 1x3xHxW) is the tensor itself, or the named entry of a dict,
// or the numbered element of a tuple or list.
#pragma once
#include <torch/script.h>
#include <torch/torch.h>

#include <string>

#include "models/torchscript_path.h"

namespace nicenergy {

struct TorchScriptOptions {
  std::string encode_method;        // empty: one call of `forward_method`
  std::string decode_method;        // with encode_method: decode(encode(x))
  std::string forward_method = "forward";
  int64_t padding = 64;             // inputs are padded to a multiple of this (CompressAI: 64)
  std::string output_key = "x_hat"; // dict key or tuple/list index of the reconstruction
};

// The loaded module with its methods checked. Throws Error naming the file for
// a missing or corrupt file and for a method it lacks.
class TorchScriptCodec {
 public:
  TorchScriptCodec(const std::string& path, TorchScriptOptions options, const torch::Device& device);

  // One execution under no-grad; returns the reconstruction (see output()).
  torch::Tensor run(const torch::Tensor& x);
  // The reconstruction in a method's result; Error when it is not there or not a tensor.
  torch::Tensor output(const c10::IValue& result) const;
  // Runs once on x and checks the reconstruction's shape is x's; Error otherwise.
  void check(const torch::Tensor& x);

  const std::string& path() const { return path_; }
  std::string name() const;  // the file's stem: "bmshj2018-factorized-q1"
  const TorchScriptOptions& options() const { return options_; }

 private:
  std::string path_;
  TorchScriptOptions options_;
  torch::jit::Module module_;
};

}  // namespace nicenergy
