// A classic codec as a Subject (legacy/legacy_measurement.h's workload): its
// records carry the point's bpp, PSNR and MS-SSIM; --json names the library.
#pragma once
#include <memory>
#include <string>

#include "image/image.h"
#include "subject/subject.h"

namespace nicenergy {

// Codes the image once (for the decode side's input and the rate and
// distortion); throws Error for a codec or setting this build cannot run.
std::unique_ptr<Subject> make_classic_subject(const SubjectSpec& spec, const Image& image, const std::string& label);

}  // namespace nicenergy
