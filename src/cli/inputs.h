// What the measuring commands (measure, validate, exec, modes) share on the
// command line: the image of --input or --size, and progress on stderr.
#pragma once
#include <string>

#include "image/image.h"
#include "protocol/protocol.h"

namespace nicenergy::cli {

// The image of --input, or a Kodak mosaic of --size, and its label for the record.
Image measured_image(const std::string& input, const std::string& size, std::string& label);

// Stage progress of one measurement on stderr: redrawn on a terminal, one line
// per stage elsewhere.
ProgressFn stage_progress();

}  // namespace nicenergy::cli
