#include "legacy/legacy_measurement.h"

#include <memory>

#include "error.h"
#include "models/zoo.h"
#include "protocol/protocol.h"
#include "protocol/record_rate_distortion.h"

namespace nicenergy {

const LegacyCodec& usable_legacy_codec(const std::string& name, int quality, Stage stage) {
  const LegacyCodec* codec = find_legacy_codec(name);
  if (!codec) codec = &legacy_codec(name);  // throws, naming the known codecs
  if (!codec->available) throw Error(codec->unavailable_reason);
  if (stage != Stage::chain && stage != Stage::encode && stage != Stage::decode)
    throw Error(codec->name + " has the stages chain, encode and decode; " + to_string(stage) +
                " is a learned codec's: measure " + codec->name + " with one of those");
  if (quality < codec->setting_min || quality > codec->setting_max)
    throw Error(codec->name + " " + codec->setting + " " + std::to_string(quality) + " is outside " +
                std::to_string(static_cast<int>(codec->setting_min)) + ".." +
                std::to_string(static_cast<int>(codec->setting_max)) + ": give --quality in that range (the " +
                codec->setting + " of " + codec->library + ", " +
                (codec->higher_is_better ? "higher is better" : "lower is better") + ")");
  return *codec;
}

LegacyWorkload make_legacy_workload(const std::string& codec, int quality, const Image& image,
                                    const std::string& label, Stage stage) {
  LegacyWorkload w;
  w.codec = &usable_legacy_codec(codec, quality, stage);
  w.quality = quality;
  w.stage = stage;
  w.image = image;
  w.label = label;
  w.width = image.width;
  w.height = image.height;
  w.bitstream = w.codec->encode(image, quality);  // checks the setting
  w.rd = rate_distortion(w.bitstream.size(), image, w.codec->decode(w.bitstream));
  return w;
}

Workload LegacyWorkload::workload() const {
  // The workload outlives nothing it points to: it copies what it needs.
  auto shared = std::make_shared<LegacyWorkload>(*this);
  Workload work;
  work.synchronize = [] {};
  switch (stage) {
    case Stage::encode:
      work.run_once = [shared] { (void)shared->codec->encode(shared->image, shared->quality); };
      break;
    case Stage::decode:
      work.run_once = [shared] { (void)shared->codec->decode(shared->bitstream); };
      break;
    default:
      work.run_once = [shared] { (void)shared->codec->decode(shared->codec->encode(shared->image, shared->quality)); };
      break;
  }
  return work;
}

MeasurementRecord make_record(const LegacyWorkload& w, const ProtocolResult& result,
                              const std::string& device_description, const std::string& started_at) {
  MeasurementRecord r;
  r.network = w.codec->name;
  r.abbr = w.codec->abbr;
  r.quality = w.quality;
  r.level = kCustomLevel;
  fill_measured_fields(r, w.label, w.width, w.height, w.width, w.height, result,
                       device_description, started_at);
  // Not LibTorch, so no runtime fields and threads 0: the libraries pick
  // their own threads (x265 inside libheif may start a pool).
  r.stage = to_string(w.stage);
  fill_rate_distortion(r, w.rd);
  return r;
}

}  // namespace nicenergy
