// A command as a Subject (protocol/command_workload.h): `exec`'s, run as
// given, and a campaign's [[commands]] entry, run on the point's image
// written to a temporary folder (removed with the subject). The command runs
// outside this process: its record has no padding and no LibTorch threads.
#pragma once
#include <memory>
#include <string>

#include "image/image.h"
#include "protocol/command_workload.h"
#include "subject/subject.h"

namespace nicenergy {

// The command as given; the record names the image it works on (label and
// size; none leaves them empty and 0). Runs it once first: a command that
// fails, hangs or is missing costs one line, not an idle reference.
std::unique_ptr<Subject> make_command_subject(const SubjectSpec& spec, const std::string& image_label, int width,
                                              int height, double timeout_s = kDefaultRunTimeoutS);
// The command on `picture`, written as {input} in its input format; runs it once first.
std::unique_ptr<Subject> make_command_subject(const SubjectSpec& spec, const Image& picture,
                                              const std::string& image_label,
                                              double timeout_s = kDefaultRunTimeoutS);

}  // namespace nicenergy
