#include "subject/classic_subject.h"

#include "coding/stage.h"
#include "legacy/legacy_measurement.h"

namespace nicenergy {

namespace {

class ClassicSubject : public Subject {
 public:
  explicit ClassicSubject(LegacyWorkload w) : w_(std::move(w)) {}
  Workload workload() const override { return w_.workload(); }
  MeasurementRecord record(const ProtocolResult& result, const std::string& device_text,
                           const std::string& started_at) const override {
    return make_record(w_, result, device_text, started_at);
  }
  void describe(nlohmann::ordered_json& json) const override { json["library"] = w_.codec->library_version(); }

 private:
  LegacyWorkload w_;
};

}  // namespace

std::unique_ptr<Subject> make_classic_subject(const SubjectSpec& spec, const Image& image, const std::string& label) {
  return std::make_unique<ClassicSubject>(
      make_legacy_workload(spec.name, spec.quality, image, label, parse_stage(spec.stage)));
}

}  // namespace nicenergy
