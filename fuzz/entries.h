// What each libFuzzer harness checks on one input, shared with the regression
// test (tests/test_fuzz_regressions.cpp) so that a stored crash input is rerun
// through exactly the code that found it. Each function returns "" when the
// input was handled well: parsed into values that keep the reader's promises,
// or refused with one nicenergy::Error of one printable line naming the input.
// Anything else (another exception, a broken promise, a bad message) comes back
// as a description; sanitizer reports and crashes end the process by themselves.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

#include "campaign/campaign.h"
#include "error.h"
#include "meters/trace_csv.h"
#include "models/safetensors_header.h"
#include "protocol/results_csv.h"

namespace fuzz_entries {

inline const char* const kName = "fuzz input";

// One line, printable ASCII, naming the input.
inline std::string bad_message(const std::string& message) {
  if (message.empty()) return "empty error message";
  for (unsigned char c : message)
    if (c < 0x20 || c >= 0x7f) return "error message with a non-printable byte: " + message;
  if (message.find(kName) == std::string::npos) return "error message does not name the input: " + message;
  return "";
}

// Runs f; a nicenergy::Error is a refusal whose message is checked.
template <typename F>
std::string guarded(F&& f) {
  try {
    return f();
  } catch (const nicenergy::Error& e) {
    return bad_message(e.what());
  } catch (const std::exception& e) {
    return std::string("exception other than nicenergy::Error: ") + e.what();
  }
}

inline std::string safetensors(const uint8_t* data, size_t size) {
  return guarded([&]() -> std::string {
    const nicenergy::SafetensorsHeader h = nicenergy::parse_safetensors_bytes(data, size, kName);
    // Promises: the tensors tile the data exactly, each of the size its dtype and shape give.
    uint64_t at = 0;
    for (const auto& t : h.tensors) {
      if (t.begin != at || t.end < t.begin) return "tensors are not contiguous: " + t.name;
      uint64_t elements = 1;
      for (int64_t d : t.shape) {
        if (d < 0) return "negative dimension in " + t.name;
        elements *= static_cast<uint64_t>(d);
      }
      if (elements != t.elements || t.end - t.begin != elements * t.element_size) return "size mismatch in " + t.name;
      at = t.end;
    }
    if (h.data_start + at != size) return "the tensors do not cover the data";
    return "";
  });
}

inline std::string results_csv(const uint8_t* data, size_t size) {
  return guarded([&]() -> std::string {
    const std::string text(reinterpret_cast<const char*>(data), size);
    const auto records = nicenergy::parse_results(text, kName);
    // Promises: numbers finite, sizes positive; and what is written reads back the same.
    std::string rewritten;
    for (const auto& c : nicenergy::measurement_columns()) rewritten += (rewritten.empty() ? "" : ",") + c;
    rewritten += "\n";
    for (const auto& r : records) {
      if (!std::isfinite(r.energy_j) || !std::isfinite(r.energy_ci_j) || !std::isfinite(r.duration_s) ||
          !std::isfinite(r.idle_power_w) || !std::isfinite(r.mean_power_w))
        return "a non-finite number was accepted";
      if (r.width < 1 || r.height < 1) return "a size below 1 was accepted";
      rewritten += nicenergy::format_record_row(r);
    }
    const auto again = nicenergy::parse_results(rewritten, kName);
    if (again.size() != records.size()) return "rewritten rows read back as another count";
    for (size_t i = 0; i < records.size(); ++i)
      if (nicenergy::format_record_row(again[i]) != nicenergy::format_record_row(records[i]))
        return "a rewritten row reads back differently";
    return "";
  });
}

inline std::string trace(const uint8_t* data, size_t size) {
  return guarded([&]() -> std::string {
    const std::string text(reinterpret_cast<const char*>(data), size);
    const auto points = nicenergy::parse_trace_csv(text, std::string("power trace '") + kName + "'");
    if (points.empty()) return "a trace without samples was accepted";
    for (size_t i = 0; i < points.size(); ++i) {
      const auto& p = points[i];
      if (!std::isfinite(p.time_s) || !std::isfinite(p.power_w) || std::fabs(p.time_s) > nicenergy::kMaxTraceTimeS ||
          std::fabs(p.power_w) > nicenergy::kMaxTracePowerW || p.window < -1)
        return "a sample out of the limits was accepted";
      if (i > 0 && p.time_s < points[i - 1].time_s) return "time went backwards";
    }
    return "";
  });
}

// A folder for the config and a 1x1 PNG beside it, made once per process.
inline const std::filesystem::path& config_folder() {
  static const std::filesystem::path folder = [] {
    const auto dir = std::filesystem::temp_directory_path() / ("nicenergy_fuzz_config_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    static std::filesystem::path remove_at_exit;
    remove_at_exit = dir;
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(remove_at_exit, ignored);
    });
    static const unsigned char png[] = {
        0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00,
        0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00, 0x00, 0x90, 0x77, 0x53, 0xde, 0x00, 0x00, 0x00,
        0x0c, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0x00, 0x00, 0x03, 0x01, 0x01, 0x00, 0xc9,
        0xfe, 0x92, 0xef, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82};
    std::ofstream(dir / "a.png", std::ios::binary).write(reinterpret_cast<const char*>(png), sizeof png);
    std::filesystem::create_directories(dir / "photos");
    std::filesystem::copy_file(dir / "a.png", dir / "photos" / "b.png",
                               std::filesystem::copy_options::overwrite_existing);
    return dir;
  }();
  return folder;
}

inline std::string toml_config(const uint8_t* data, size_t size) {
  const std::string path = (config_folder() / kName).string() + ".toml";  // the name appears in every message
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  return guarded([&]() -> std::string {
    const nicenergy::CampaignConfig c = nicenergy::load_campaign_config(path);
    if (c.networks.empty() || c.images.empty()) return "a config without networks or images was accepted";
    for (const auto& image : c.images)
      if (image.width < 1 || image.height < 1) return "an image size below 1 was accepted";
    if (!(c.idle_refresh_s > 0)) return "idle_refresh_s <= 0 was accepted";
    return "";
  });
}

}  // namespace fuzz_entries
