// The one table of protocol settings: every setting reachable from the CLI, the
// TOML and the JSON record under one name, its bounds enforced everywhere, and
// the old spellings refused with a line that names the new one.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "campaign/campaign.h"
#include "error.h"
#include "protocol/settings.h"
#include "test_util.h"

using namespace nicenergy;
using test_util::error_of;
using test_util::TempDir;

namespace {

// A value inside the bounds and unlike the default, so that reading it proves
// the setting arrived.
double other_value(const ProtocolSetting& s, const ProtocolConfig& defaults) {
  const double d = s.get(defaults);
  double v = s.integer() ? std::floor((s.min + std::min(s.max, s.min + 20)) / 2) + 1 : (s.min + std::min(s.max, d + 1)) / 2;
  if (v == d) v = s.integer() ? v + 1 : v * 0.75 + s.min * 0.25;
  return v;
}

const char* kQuick = " --idle-s 0.3 --window-s 0.1 --k-min 2 --k-max 2 --preheat-max-s 0";

}  // namespace

TEST(Settings, DefaultsAreValidAndBoundsFinite) {
  const ProtocolConfig defaults;
  EXPECT_NO_THROW(validate(defaults));
  std::set<std::string> names;
  for (const ProtocolSetting& s : protocol_settings()) {
    EXPECT_TRUE(names.insert(s.name).second) << "twice: " << s.name;
    EXPECT_TRUE(std::isfinite(s.min) && std::isfinite(s.max)) << s.name;
    EXPECT_LT(s.min, s.max) << s.name;
    EXPECT_FALSE(s.help.empty()) << s.name;
    EXPECT_EQ(s.option(), "--" + [&] { std::string n = s.name; for (char& c : n) if (c == '_') c = '-'; return n; }());
    EXPECT_EQ(find_protocol_setting(s.name), &s);
  }
  EXPECT_EQ(find_protocol_setting("no_such_setting"), nullptr);
  EXPECT_GE(names.size(), 13u);
}

TEST(Settings, BoundsAreEnforcedBeforeStoring) {
  for (const ProtocolSetting& s : protocol_settings()) {
    ProtocolConfig c;
    const double before = s.get(c);
    for (double bad : {s.min - 1, s.max * 2 + 1, std::numeric_limits<double>::infinity(),
                       -std::numeric_limits<double>::infinity(), std::nan("")}) {
      const std::string message = error_of([&] { s.set(c, bad, "where"); });
      EXPECT_NE(message.find(s.name), std::string::npos) << s.name << " " << bad << ": " << message;
      EXPECT_NE(message.find("where"), std::string::npos) << message;
      EXPECT_EQ(s.get(c), before) << s.name << " changed by a refused value";
    }
    if (!s.min_inclusive) EXPECT_NE(error_of([&] { s.set(c, s.min, "x"); }), "(no error)") << s.name;
    if (!s.max_inclusive) EXPECT_NE(error_of([&] { s.set(c, s.max, "x"); }), "(no error)") << s.name;
    if (s.integer()) EXPECT_NE(error_of([&] { s.set(c, s.min + 0.5, "x"); }), "(no error)") << s.name;
    const double good = other_value(s, ProtocolConfig{});
    s.set(c, good, "x");
    EXPECT_EQ(s.get(c), good) << s.name;
  }
  ProtocolConfig c;
  c.k_min = 5;
  c.k_max = 4;
  EXPECT_NE(error_of([&] { validate(c); }).find("k_max"), std::string::npos);
}

TEST(Settings, JsonCarriesEverySettingUnderItsName) {
  ProtocolConfig c;
  c.idle_s = 7;
  const nlohmann::json j = settings_to_json(c);
  EXPECT_EQ(j.size(), protocol_settings().size());
  for (const ProtocolSetting& s : protocol_settings()) EXPECT_EQ(j.at(s.name).get<double>(), s.get(c)) << s.name;
  EXPECT_EQ(j["idle_s"], 7);
}

TEST(Settings, EverySettingIsReadFromTheToml) {
  TempDir dir("settings");
  const ProtocolConfig defaults;
  std::string protocol;
  ProtocolConfig expected;
  for (const ProtocolSetting& s : protocol_settings()) {
    if (s.name == "k_min" || s.name == "k_max") continue;  // set together below
    const double v = other_value(s, defaults);
    std::ostringstream line;
    line.precision(17);
    line << s.name << " = " << (s.integer() ? std::to_string(static_cast<long long>(v)) : [&] {
      std::ostringstream x;
      x.precision(17);
      x << std::showpoint << v;
      return x.str();
    }()) << "\n";
    protocol += line.str();
    s.set(expected, v, "expected");
  }
  protocol += "k_min = 4\nk_max = 9\n";
  expected.k_min = 4;
  expected.k_max = 9;
  std::filesystem::create_directories(dir.path / "photos");
  std::filesystem::copy_file("data/images/kodim01.png", dir.path / "photos/kodim01.png");
  test_util::spit(dir.file("c.toml"), "[campaign]\nmodels = [\"Bfac\"]\nlevels = [\"low\"]\n[protocol]\n" + protocol +
                                           "[[images]]\nfiles = [\"photos/kodim01.png\"]\n");
  const CampaignConfig config = load_campaign_config(dir.file("c.toml"));
  for (const ProtocolSetting& s : protocol_settings())
    EXPECT_DOUBLE_EQ(s.get(config.protocol), s.get(expected)) << s.name;
}

TEST(Settings, TomlBoundsAndOldNamesAreRefused) {
  TempDir dir("settings");
  std::filesystem::create_directories(dir.path / "photos");
  std::filesystem::copy_file("data/images/kodim01.png", dir.path / "photos/kodim01.png");
  auto load = [&](const std::string& campaign, const std::string& protocol) {
    test_util::spit(dir.file("c.toml"), "[campaign]\n" + campaign + "[protocol]\n" + protocol +
                                             "[[images]]\nfiles = [\"photos/kodim01.png\"]\n");
    return error_of([&] { load_campaign_config(dir.file("c.toml")); });
  };
  EXPECT_NE(load("", "idle_s = inf\n").find("idle_s"), std::string::npos);
  EXPECT_NE(load("", "sample_hz = 1e-9\n").find("sample_hz"), std::string::npos);
  EXPECT_NE(load("", "window_s = 1e300\n").find("window_s"), std::string::npos);
  EXPECT_NE(load("", "k_min = 10000000000\n").find("k_min"), std::string::npos);
  EXPECT_NE(load("", "preheat_temp_c = 70\n").find("use preheat_target_c"), std::string::npos);
  EXPECT_NE(load("networks = [\"Bfac\"]\n", "").find("use models"), std::string::npos);
  EXPECT_NE(load("qualities = [4294967297]\n", "").find("out of range"), std::string::npos);
  EXPECT_EQ(load("", "preheat_target_c = 70\n"), "(no error)");
}

TEST(CliSettings, EverySettingIsAnOptionWithItsDefault) {
  const Result r = run_cli("measure --help");
  ASSERT_EQ(r.code, 0) << r.err;
  for (const ProtocolSetting& s : protocol_settings()) {
    const size_t at = r.out.find(s.option() + " ");
    ASSERT_NE(at, std::string::npos) << s.option() << " missing from measure --help";
    std::ostringstream d;
    d << s.get(ProtocolConfig{});
    const std::string line = r.out.substr(at, r.out.find('\n', at) - at);
    EXPECT_NE(line.find(d.str()), std::string::npos) << "default of " << s.option() << " not shown: " << line;
  }
}

TEST(CliSettings, OptionsReachTheRecordAndBoundsHold) {
  const Result r = run_cli("measure --model Bfac --quality 1 --size 48x32 --meter estimate --json" + std::string(kQuick) +
                           " --confidence 0.9 --ci-target 0.5 --sample-hz 20 --counter-edge-wait-s 0.05");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto config = nlohmann::json::parse(r.out)["protocol"]["config"];
  for (const ProtocolSetting& s : protocol_settings()) EXPECT_TRUE(config.contains(s.name)) << s.name;
  EXPECT_EQ(config["confidence"], 0.9);
  EXPECT_EQ(config["ci_target"], 0.5);
  EXPECT_EQ(config["sample_hz"], 20);
  EXPECT_EQ(config["counter_edge_wait_s"], 0.05);
  EXPECT_EQ(config["k_min"], 2);

  const std::string m = "measure --model Bfac --quality 1 --size 48x32 --meter estimate";
  expect_one_line_error(m + " --idle-s inf", "--idle-s");
  expect_one_line_error(m + " --sample-hz 1e-9", "sample_hz");
  expect_one_line_error(m + " --k-min 1e10", "k_min");
  expect_one_line_error(m + " --k-min 1", "k_min");
  expect_one_line_error(m + " --window-s 50x", "--window-s '50x'");
  expect_one_line_error(m + " --seed 1e300", "--seed");
}

TEST(CliSettings, OldSpellingsNameTheirNewOnes) {
  const std::string m = "measure --model Bfac --quality 1 --size 48x32 --meter estimate";
  expect_one_line_error(m + " --preheat-temp-c 70", "use --preheat-target-c");
  expect_one_line_error(m + " --trace t.csv", "use --trace-output");
  expect_one_line_error("report results.csv --out somewhere", "use --output");
  expect_one_line_error("fit results.csv --json fit.json", "--output fit.json");
}
