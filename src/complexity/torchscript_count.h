// The operator count of a TorchScript file (op_counter.h) on one padded input:
// what `complexity --model FILE.pt` prints and what a TorchScript record keeps
// as kmac_per_px.
#pragma once
#include <torch/torch.h>

#include <string>

#include "complexity/op_counter.h"
#include "models/torchscript_model.h"

namespace nicenergy {

// Loads the file afresh and counts one execution on x (1x3xHxW, already padded)
// on TorchScript's simple executor: the profiling executor optimises the graph
// after its first run, and its fusers call kernels past the dispatcher, where no
// callback sees them. The executor mode is restored afterwards, so a model
// measured in the same process runs as a user would run it. Throws Error as
// TorchScriptCodec does, and for a reconstruction of another shape.
OpCount count_torchscript(const std::string& path, const TorchScriptOptions& options, const torch::Device& device,
                          const torch::Tensor& x);

// kMAC per pixel of x (the padded input) of every counted operator, as
// `complexity --model` reports it.
double kmac_per_px(const OpCount& count, const torch::Tensor& x);

}  // namespace nicenergy
