// The torch half of the resolver: a SubjectSpec on an image and a device
// becomes a Subject, from one table of kinds (the built-in networks and
// TorchScript files here; the classic codecs and commands from the core).
#pragma once
#include <memory>
#include <string>

#include <torch/torch.h>

#include "image/image.h"
#include "models/torchscript_model.h"
#include "subject/subject.h"

namespace nicenergy {

// check_subject (subject/resolve.h), then what needs the device: a
// TorchScript file is loaded, run once on a small Kodak mosaic and let go.
// Throws Error naming the option or the file; meant before any meter opens.
void check_subject_on(const SubjectSpec& spec, const torch::Device& device, const TorchScriptOptions& torchscript = {});

// The subject on `image` (its label for the record) on `device`: the network
// or file loaded, the image padded and moved; a network with trained weights
// also codes the image for the record's rate and distortion.
std::unique_ptr<Subject> make_subject(const SubjectSpec& spec, const Image& image, const std::string& label,
                                      const torch::Device& device, const TorchScriptOptions& torchscript = {});

}  // namespace nicenergy
