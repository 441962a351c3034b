// What is measured: the resolver (which kind a name is, what each kind takes,
// the checks before any meter opens) and the core's subjects measured through
// the session, their records against what the codec and the command saw.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "error.h"
#include "image/image_source.h"
#include "legacy/legacy_codecs.h"
#include "protocol/measurement_session.h"
#include "subject/classic_subject.h"
#include "subject/command_subject.h"
#include "subject/resolve.h"
#include "test_util.h"

using namespace nicenergy;
using test_util::error_of;

namespace {

// A short protocol on the labelled estimate: enough to make a record.
SessionOptions quick_session() {
  SessionOptions o;
  o.meter = "estimate";
  o.preheat = false;
  o.protocol.idle_s = 0.2;
  o.protocol.window_s = 0.05;
  o.protocol.k_min = 2;
  o.protocol.k_max = 2;
  return o;
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST(SubjectResolver, NamesEachKind) {
  const SubjectSpec network = resolve_subject("Bfac");
  EXPECT_EQ(network.kind, SubjectKind::network);
  EXPECT_EQ(network.name, "bmshj2018_factorized");
  EXPECT_EQ(network.abbr, "Bfac");
  const SubjectSpec classic = resolve_subject("JPEG");
  EXPECT_EQ(classic.kind, SubjectKind::classic);
  EXPECT_EQ(classic.name, "jpeg");
  const SubjectSpec file = resolve_subject("models/my-codec.pt");
  EXPECT_EQ(file.kind, SubjectKind::torchscript);
  EXPECT_EQ(file.name, "my-codec") << "the file's stem names the records";
  EXPECT_EQ(file.source, "models/my-codec.pt");
  const std::string unknown = error_of([] { resolve_subject("gif"); });
  EXPECT_TRUE(has(unknown, "unknown model 'gif'")) << unknown;
  EXPECT_TRUE(has(unknown, "TorchScript file")) << unknown;
}

TEST(SubjectResolver, SaysWhatEachKindTakes) {
  const std::vector<std::string> stages = {"chain", "analysis", "encode", "entropy-decode"};
  EXPECT_EQ(subject_stages(resolve_subject("Bfac"), stages), stages);
  EXPECT_EQ(subject_stages(resolve_subject("jpeg"), stages), (std::vector<std::string>{"chain", "encode"}));
  EXPECT_EQ(subject_stages(resolve_subject("m.ts"), stages), (std::vector<std::string>{"chain"}));
  const std::vector<std::string> modes = {"float32", "channels-last"};
  EXPECT_EQ(subject_modes(resolve_subject("Mcont"), modes), modes);
  EXPECT_EQ(subject_modes(resolve_subject("webp"), modes), (std::vector<std::string>{"float32"}));

  QualitySweep sweep;
  sweep.levels = {"low", "high"};
  EXPECT_EQ(subject_qualities(resolve_subject("Bfac"), sweep), (std::vector<int>{1, 6}));
  EXPECT_EQ(subject_qualities(resolve_subject("Cattn"), sweep), (std::vector<int>{1, 4}));
  const LegacyCodec& jpeg = legacy_codec("jpeg");
  std::vector<int> defaults;
  for (double setting : jpeg.default_settings) defaults.push_back(static_cast<int>(setting));
  std::sort(defaults.begin(), defaults.end());
  EXPECT_EQ(subject_qualities(resolve_subject("jpeg"), sweep), defaults) << "a classic codec's own sweep";
  sweep.own_qualities["jpeg"] = {90, 20};
  EXPECT_EQ(subject_qualities(resolve_subject("jpeg"), sweep), (std::vector<int>{20, 90}));
  const std::string outside = error_of([&] {
    sweep.own_qualities["jpeg"] = {101};
    subject_qualities(resolve_subject("jpeg"), sweep);
  });
  EXPECT_TRUE(has(outside, "jpeg quality 101 is outside 1..100")) << outside;
  CommandSpec command{"cjpeg-q75", {"cjpeg", "{input}"}, "ppm", 75};
  EXPECT_EQ(subject_qualities(command_subject(command), sweep), (std::vector<int>{75}));
}

TEST(SubjectResolver, ChecksNameWhatToChange) {
  auto check = [](SubjectSpec s, bool cuda = false) { return error_of([&] { check_subject(s, cuda); }); };
  SubjectSpec jpeg = resolve_subject("jpeg");
  jpeg.quality = 50;
  EXPECT_EQ(check(jpeg), "(no error)");
  SubjectSpec weighted = jpeg;
  weighted.weights = "x.safetensors";
  EXPECT_TRUE(has(check(weighted), "jpeg has none")) << check(weighted);
  EXPECT_TRUE(has(check(jpeg, true), "--device cpu")) << check(jpeg, true);
  SubjectSpec file = resolve_subject("m.pt");
  file.stage = "encode";
  EXPECT_TRUE(has(check(file), "measured whole")) << check(file);
  SubjectSpec network = resolve_subject("Bfac");
  network.quality = 1;
  network.mode = "subpixel";
  network.stage = "encode";
  EXPECT_TRUE(has(check(network), "is for the chain")) << check(network);
  network.stage = "chain";
  network.quality = 9;
  EXPECT_TRUE(has(check(network), "quality 9")) << check(network);
  const std::string modes = error_of([] { resolve_network("jpeg", "modes"); });
  EXPECT_TRUE(has(modes, "jpeg is a legacy codec: modes runs")) << modes;
  EXPECT_TRUE(has(modes, "nicenergy measure --model jpeg")) << modes;
}

// The classic codec's subject carries the point's rate: its bpp is the size of
// the bitstream the library itself writes at that setting, over the pixels.
TEST(Subject, ClassicRecordCarriesTheBitstreamsRate) {
  const LegacyCodec& jpeg = legacy_codec("jpeg");
  if (!jpeg.available) GTEST_SKIP() << jpeg.unavailable_reason;
  const Image image = load_image("data/images/kodim01.png");
  SubjectSpec spec = resolve_subject("jpeg");
  spec.quality = 60;
  const auto subject = make_classic_subject(spec, image, "kodim01");
  MeasurementSession session(quick_session());
  const MeasurementRecord r = session.measure(*subject);
  const double bytes = static_cast<double>(jpeg.encode(image, 60).size());
  ASSERT_TRUE(r.bpp.has_value());
  EXPECT_NEAR(*r.bpp, 8 * bytes / (image.width * image.height), 1e-9);
  EXPECT_GT(*r.psnr_db, 20) << "a quality-60 JPEG of a photograph";
  EXPECT_LT(*r.psnr_db, 50);
  EXPECT_EQ(r.network, "jpeg");
  EXPECT_EQ(r.level, "custom");
  EXPECT_EQ(r.pixels, int64_t(image.width) * image.height);
  EXPECT_EQ(r.meter, "estimate");
  EXPECT_TRUE(r.libtorch.empty()) << "a classic codec runs no LibTorch";
}

// A campaign's command runs on the point's image, written for it: what the
// command reads is that image, and the record names its size.
TEST(Subject, CommandSeesThePointsImage) {
  const test_util::TempDir dir("subject");
  const std::string seen = dir.file("seen");
  CommandSpec command{"size-of", {"sh", "-c", "wc -c < {input} > " + seen + "; echo {width}x{height} >> " + seen},
                      "ppm", 3};
  const Image image = sized_test_image(64, 48);
  const auto subject = make_command_subject(command_subject(command), image, "mosaic 64x48");
  std::ifstream in(seen);
  long bytes = 0;
  std::string size;
  in >> bytes >> size;
  EXPECT_EQ(size, "64x48");
  EXPECT_GE(bytes, 64 * 48 * 3) << "a binary PPM of the image: its pixels and a header";
  EXPECT_LT(bytes, 64 * 48 * 3 + 64);
  MeasurementSession session(quick_session());
  const MeasurementRecord r = session.measure(*subject);
  EXPECT_EQ(r.network, "size-of");
  EXPECT_EQ(r.quality, 3);
  EXPECT_EQ(r.width, 64);
  EXPECT_EQ(r.height, 48);
  EXPECT_EQ(r.padded_width, 64) << "nothing is padded";
  EXPECT_EQ(r.threads, 0) << "the command's threads are its own";
  EXPECT_GE(r.k, 2);
}
