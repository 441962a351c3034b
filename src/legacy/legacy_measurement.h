// A legacy codec as the protocol's workload (issue 17): one execution is the
// codec's encode and decode of the image in memory (the chain), or one of the
// two sides (stages "encode" and "decode", the entropy-coding issue's names).
// The image is coded once beforehand for the decode side's input and for the
// point's rate and distortion, which go into the record.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "coding/stage.h"
#include "image/image.h"
#include "legacy/legacy_codecs.h"
#include "protocol/protocol.h"
#include "protocol/record.h"
#include "quality/rate_distortion.h"

namespace nicenergy {

struct LegacyWorkload {
  const LegacyCodec* codec = nullptr;
  int quality = 0;  // the codec's own setting (LegacyCodec::setting)
  Stage stage = Stage::chain;
  Image image;
  std::string label;  // path or generated label
  int width = 0, height = 0;  // the image's (nothing is padded)
  std::vector<uint8_t> bitstream;
  RateDistortion rd;
  Workload workload() const;
};

// The codec, checked before anything is measured: throws nicenergy::Error (one
// line) for an unknown or not compiled-in codec, a setting outside its range,
// or a stage other than chain, encode and decode.
const LegacyCodec& usable_legacy_codec(const std::string& name, int quality, Stage stage);

// Throws nicenergy::Error (one line) for an unknown or not compiled-in codec, a
// setting outside its range, or a stage other than chain, encode and decode.
LegacyWorkload make_legacy_workload(const std::string& codec, int quality, const Image& image,
                                    const std::string& label, Stage stage = Stage::chain);

// The record: network and abbr the codec's, level "custom", no padding, no
// LibTorch threads, and the point's bpp, PSNR and MS-SSIM.
MeasurementRecord make_record(const LegacyWorkload& workload, const ProtocolResult& result,
                              const std::string& device_description, const std::string& started_at);

}  // namespace nicenergy
