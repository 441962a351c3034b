#include "subject/command_subject.h"

#include <stdlib.h>

#include <filesystem>

#include "error.h"
#include "models/zoo.h"

namespace nicenergy {

std::vector<std::string> command_argv(const CommandSpec& command, const std::string& input, const std::string& output,
                                      int width, int height) {
  const std::pair<std::string, std::string> values[] = {
      {"{input}", input}, {"{output}", output}, {"{width}", std::to_string(width)}, {"{height}", std::to_string(height)}};
  std::vector<std::string> argv;
  for (std::string arg : command.argv) {
    for (const auto& [placeholder, value] : values)
      for (size_t at = arg.find(placeholder); at != std::string::npos; at = arg.find(placeholder, at + value.size()))
        arg.replace(at, placeholder.size(), value);
    argv.push_back(std::move(arg));
  }
  return argv;
}

namespace {

class CommandSubject : public Subject {
 public:
  CommandSubject(const SubjectSpec& spec, std::string label, int width, int height, double timeout_s)
      : spec_(spec), label_(std::move(label)), width_(width), height_(height), timeout_s_(timeout_s) {
    argv_ = spec.command.argv;
  }
  ~CommandSubject() override {
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }
  CommandSubject(const CommandSubject&) = delete;
  CommandSubject& operator=(const CommandSubject&) = delete;

  // The image written to a temporary folder, and the placeholders replaced.
  void write_input(const Image& picture) {
    std::string pattern = (std::filesystem::temp_directory_path() / "nicenergy-command-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw Error("cannot make a temporary folder for command '" + spec_.name + "'");
    dir_ = pattern;
    const std::string input = (dir_ / ("input." + spec_.command.input_format)).string();
    if (spec_.command.input_format == "ppm")
      save_ppm(picture, input);
    else
      save_png(picture, input);
    argv_ = command_argv(spec_.command, input, (dir_ / "output").string(), picture.width, picture.height);
  }
  void run_once() const { run_command_once(argv_, timeout_s_); }

  Workload workload() const override { return command_workload(argv_, timeout_s_); }
  MeasurementRecord record(const ProtocolResult& result, const std::string& device_text,
                           const std::string& started_at) const override {
    MeasurementRecord r;
    r.network = r.abbr = spec_.name;
    r.quality = spec_.quality;
    r.level = kCustomLevel;
    fill_measured_fields(r, label_, width_, height_, width_, height_, result, device_text, started_at);
    r.threads = 0;  // the command's own threads are not nicenergy's to know
    return r;
  }
  void describe(nlohmann::ordered_json& json) const override { json["command"] = argv_; }

 private:
  SubjectSpec spec_;
  std::string label_;
  int width_, height_;
  double timeout_s_;
  std::filesystem::path dir_;
  std::vector<std::string> argv_;
};

}  // namespace

std::unique_ptr<Subject> make_command_subject(const SubjectSpec& spec, const std::string& image_label, int width,
                                              int height, double timeout_s) {
  auto subject = std::make_unique<CommandSubject>(spec, image_label, width, height, timeout_s);
  subject->run_once();
  return subject;
}

std::unique_ptr<Subject> make_command_subject(const SubjectSpec& spec, const Image& picture,
                                              const std::string& image_label, double timeout_s) {
  auto subject = std::make_unique<CommandSubject>(spec, image_label, picture.width, picture.height, timeout_s);
  subject->write_input(picture);
  subject->run_once();
  return subject;
}

}  // namespace nicenergy
