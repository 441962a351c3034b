#include "subject/make_subject.h"

#include <optional>

#include "coding/coded_rate_distortion.h"
#include "error.h"
#include "image/image_source.h"
#include "models/codec.h"
#include "modes/execution_mode.h"
#include "protocol/codec_measurement.h"
#include "protocol/record_rate_distortion.h"
#include "protocol/torchscript_measurement.h"
#include "subject/classic_subject.h"
#include "subject/command_subject.h"
#include "subject/resolve.h"

namespace nicenergy {

namespace {

class NetworkSubject : public Subject {
 public:
  NetworkSubject(CodecWorkload w, std::optional<RateDistortion> rd, std::string weights)
      : w_(std::move(w)), rd_(std::move(rd)), weights_(std::move(weights)) {}
  Workload workload() const override { return w_.workload(); }
  MeasurementRecord record(const ProtocolResult& result, const std::string& device_text,
                           const std::string& started_at) const override {
    MeasurementRecord r = make_record(w_, result, device_text, started_at);
    if (rd_) fill_rate_distortion(r, *rd_);
    return r;
  }
  void describe(nlohmann::ordered_json& json) const override { json["weights"] = weights_; }

 private:
  CodecWorkload w_;
  std::optional<RateDistortion> rd_;  // trained weights only: seeded ones have none worth a record
  std::string weights_;
};

class TorchScriptSubject : public Subject {
 public:
  TorchScriptSubject(TorchScriptWorkload w, std::string path, TorchScriptOptions options)
      : w_(std::move(w)), path_(std::move(path)), options_(std::move(options)) {}
  Workload workload() const override { return w_.workload(); }
  MeasurementRecord record(const ProtocolResult& result, const std::string& device_text,
                           const std::string& started_at) const override {
    return make_record(w_, result, device_text, started_at);
  }
  void describe(nlohmann::ordered_json& json) const override {
    json["torchscript"] = {{"file", path_},
                           {"encode_method", options_.encode_method},
                           {"decode_method", options_.decode_method},
                           {"padding", options_.padding},
                           {"output_key", options_.output_key}};
  }

 private:
  TorchScriptWorkload w_;
  std::string path_;
  TorchScriptOptions options_;
};

std::unique_ptr<Subject> make_network(const SubjectSpec& s, const Image& image, const std::string& label,
                                      const torch::Device& device, const TorchScriptOptions&) {
  CodecWorkload w = make_codec_workload(s.name, s.quality, image, label, device, s.weights, s.seed,
                                        parse_stage(s.stage), parse_mode(s.mode));
  std::optional<RateDistortion> rd;
  if (!s.weights.empty()) rd = coded_rate_distortion(*w.network, image, device);
  const std::string weights =
      s.weights.empty() ? "seeded random (seed " + std::to_string(s.seed) + ")" : s.weights;
  return std::make_unique<NetworkSubject>(std::move(w), std::move(rd), weights);
}

std::unique_ptr<Subject> make_torchscript(const SubjectSpec& s, const Image& image, const std::string& label,
                                          const torch::Device& device, const TorchScriptOptions& options) {
  return std::make_unique<TorchScriptSubject>(
      make_torchscript_workload(s.source, options, image, label, device, s.quality), s.source, options);
}

std::unique_ptr<Subject> make_classic(const SubjectSpec& s, const Image& image, const std::string& label,
                                      const torch::Device&, const TorchScriptOptions&) {
  return make_classic_subject(s, image, label);
}

std::unique_ptr<Subject> make_command(const SubjectSpec& s, const Image& image, const std::string& label,
                                      const torch::Device&, const TorchScriptOptions&) {
  return make_command_subject(s, image, label);
}

// The probe: loaded, run once on a small mosaic on the device, let go.
void probe_torchscript(const SubjectSpec& s, const torch::Device& device, const TorchScriptOptions& options) {
  const int64_t side = options.padding * ((64 + options.padding - 1) / options.padding);
  TorchScriptCodec probe(s.source, options, device);
  const Image small = sized_test_image(static_cast<int>(side), static_cast<int>(side));
  probe.check(image_to_tensor(small).to(device));
}

using Maker = std::unique_ptr<Subject> (*)(const SubjectSpec&, const Image&, const std::string&,
                                           const torch::Device&, const TorchScriptOptions&);
using Probe = void (*)(const SubjectSpec&, const torch::Device&, const TorchScriptOptions&);

struct TorchKindRow {
  SubjectKind kind;
  Maker make;
  Probe probe;  // null: check_subject says all
};

const TorchKindRow kTorchKinds[] = {
    {SubjectKind::network, make_network, nullptr},
    {SubjectKind::classic, make_classic, nullptr},
    {SubjectKind::torchscript, make_torchscript, probe_torchscript},
    {SubjectKind::command, make_command, nullptr},
};

const TorchKindRow& torch_row(SubjectKind kind) {
  for (const TorchKindRow& r : kTorchKinds)
    if (r.kind == kind) return r;
  throw Error("unknown subject kind");  // not reached: every kind has its row
}

}  // namespace

void check_subject_on(const SubjectSpec& spec, const torch::Device& device, const TorchScriptOptions& torchscript) {
  check_subject(spec, device.is_cuda());
  if (auto why = mode_unavailable(parse_mode(spec.mode), device)) throw Error(*why);
  if (const Probe probe = torch_row(spec.kind).probe) probe(spec, device, torchscript);
}

std::unique_ptr<Subject> make_subject(const SubjectSpec& spec, const Image& image, const std::string& label,
                                      const torch::Device& device, const TorchScriptOptions& torchscript) {
  return torch_row(spec.kind).make(spec, image, label, device, torchscript);
}

}  // namespace nicenergy
