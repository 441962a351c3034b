// What each libFuzzer harness checks on one input, shared with the regression
// test (tests/test_fuzz_regressions.cpp) so that a stored crash input is rerun
// through exactly the code that found it. Each function returns "" when the
// input was handled well: parsed into values that keep the reader's promises,
// or refused with one nicenergy::Error of one printable line naming the input.
// Anything else (another exception, a broken promise, a bad message) comes back
// as a description; sanitizer reports and crashes end the process by themselves.
#pragma once
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>
#include <utility>
#include <vector>

#include "campaign/campaign.h"
#include "coding/codec_file.h"
#include "coding/rans.h"
#include "error.h"
#include "meters/trace_csv.h"
#include "models/safetensors_header.h"
#include "protocol/results_csv.h"

namespace fuzz_entries {

inline const char* const kName = "fuzz input";

// One line, printable ASCII.
inline std::string not_one_line(const std::string& message) {
  if (message.empty()) return "empty error message";
  for (unsigned char c : message)
    if (c < 0x20 || c >= 0x7f) return "error message with a non-printable byte: " + message;
  return "";
}

// One line, printable ASCII, naming the input.
inline std::string bad_message(const std::string& message) {
  if (const std::string problem = not_one_line(message); !problem.empty()) return problem;
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
    if (c.subjects.empty() || c.images.empty()) return "a config without subjects or images was accepted";
    for (const auto& image : c.images)
      if (image.width < 1 || image.height < 1) return "an image size below 1 was accepted";
    if (!(c.idle_refresh_s > 0)) return "idle_refresh_s <= 0 was accepted";
    return "";
  });
}

// The entropy coder's tables for decoding the latents of a compressed file: a
// fixed set standing in for a network's (which need LibTorch), informative
// enough to reach every path of the decoder. Discretised Laplacians from very
// peaked (several symbols per bit) to wide, and one table that is nothing but
// the escape, so that every value goes through the bypass code.
inline const std::vector<nicenergy::CdfTable>& codec_file_tables() {
  static const std::vector<nicenergy::CdfTable> tables = [] {
    std::vector<nicenergy::CdfTable> out;
    const int32_t total = 1 << nicenergy::kCdfPrecision;
    auto laplace_cdf = [](double x, double scale) { return x < 0 ? 0.5 * std::exp(x / scale) : 1 - 0.5 * std::exp(-x / scale); };
    for (const auto& [scale, half_range] : {std::pair{0.15, 2}, std::pair{1.0, 8}, std::pair{6.0, 40}}) {
      // Symbols -half_range..half_range, then the escape with the tails' mass.
      std::vector<double> pmf;
      double inside = 0;
      for (int v = -half_range; v <= half_range; ++v) {
        pmf.push_back(laplace_cdf(v + 0.5, scale) - laplace_cdf(v - 0.5, scale));
        inside += pmf.back();
      }
      pmf.push_back(1 - inside);
      // Every symbol at least one count; what rounding leaves over goes to the likeliest.
      const auto spare = static_cast<double>(total - static_cast<int32_t>(pmf.size()));
      std::vector<int32_t> counts;
      int32_t used = 0;
      for (double p : pmf) used += counts.emplace_back(1 + static_cast<int32_t>(std::floor(p * spare)));
      counts[static_cast<size_t>(half_range)] += total - used;
      nicenergy::CdfTable table{{0}, -half_range};
      for (int32_t c : counts) table.cdf.push_back(table.cdf.back() + static_cast<uint32_t>(c));
      out.push_back(std::move(table));
    }
    out.push_back({{0, static_cast<uint32_t>(total)}, 0});  // escape only
    for (const auto& table : out) nicenergy::check_cdf_table(table, "fuzz harness table");
    return out;
  }();
  return tables;
}

// At most this many symbols of a latent are decoded: a peaked table codes
// thousands of symbols in a few bytes, and the shapes allow 2^44.
constexpr size_t kMaxDecodedSymbols = 4096;

// Decodes one latent's bytes under codec_file_tables() (channel c under table
// c mod 4, as the networks index by channel) and checks what comes back: the
// values, coded again, decode to the same values. "" when it decoded or was
// refused with one line.
inline std::string decode_latent(const nicenergy::CodedLatent& latent) {
  const auto& tables = codec_file_tables();
  const uint64_t plane = static_cast<uint64_t>(latent.shape[1]) * static_cast<uint64_t>(latent.shape[2]);
  const uint64_t all = static_cast<uint64_t>(latent.shape[0]) * plane;
  const size_t count = static_cast<size_t>(std::min<uint64_t>(all, kMaxDecodedSymbols));
  std::vector<int32_t> indexes(count);
  for (size_t i = 0; i < count; ++i) indexes[i] = static_cast<int32_t>((i / plane) % tables.size());
  std::vector<int32_t> values;
  try {
    if (count == all) {
      values = nicenergy::rans_decode(latent.bytes, indexes, tables);  // also checks the stream ends with them
      if (values.size() != count) return "rans_decode gave " + std::to_string(values.size()) + " values for " + std::to_string(count);
    } else {
      nicenergy::RansDecoder decoder(latent.bytes);
      for (int32_t index : indexes) values.push_back(decoder.decode(tables[static_cast<size_t>(index)]));
    }
  } catch (const nicenergy::Error& e) {
    if (const std::string problem = not_one_line(e.what()); !problem.empty()) return "entropy decoder: " + problem;
    return "";
  } catch (const std::exception& e) {
    return std::string("entropy decoder: exception other than nicenergy::Error: ") + e.what();
  }
  const std::string again = nicenergy::rans_encode(values, indexes, tables);
  if (nicenergy::rans_decode(again, indexes, tables) != values) return "decoded values do not survive coding again";
  return "";
}

inline std::string codec_file(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  return guarded([&]() -> std::string {
    const nicenergy::Stream stream = nicenergy::read_stream(bytes, kName);
    // Promises: what the reader checks (sizes, shapes, names, device) holds, and
    // the layout is canonical: written again it is the very same bytes.
    const auto& h = stream.header;
    if (h.width < 1 || h.height < 1 || h.width > 65536 || h.height > 65536) return "an image size out of bounds was accepted";
    if (h.device != "cpu" && h.device != "cuda") return "a device other than cpu or cuda was accepted";
    for (char c : h.network)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return "a network name with '" + std::string(1, c) + "' was accepted";
    if (stream.coded.latents.empty() || stream.coded.latents.size() > 2) return "a latent count out of 1 to 2 was accepted";
    for (const auto& latent : stream.coded.latents)
      if (latent.shape[0] < 1 || latent.shape[0] > 4096 || latent.shape[1] < 1 || latent.shape[1] > 65536 ||
          latent.shape[2] < 1 || latent.shape[2] > 65536)
        return "a latent shape out of bounds was accepted";
    const std::string rewritten = nicenergy::write_stream(stream);
    if (rewritten != bytes) return "the stream written again differs from the input";
    const nicenergy::Stream again = nicenergy::read_stream(rewritten, kName);
    if (again.header.network != h.network || again.header.quality != h.quality || again.header.width != h.width ||
        again.header.height != h.height || again.header.device != h.device ||
        again.header.weights_digest != h.weights_digest || again.coded.latents.size() != stream.coded.latents.size())
      return "the stream written again reads back with another header";
    for (size_t i = 0; i < stream.coded.latents.size(); ++i)
      if (again.coded.latents[i].shape != stream.coded.latents[i].shape || again.coded.latents[i].bytes != stream.coded.latents[i].bytes)
        return "the stream written again reads back with another latent";
    for (const auto& latent : stream.coded.latents)
      if (std::string decoded = decode_latent(latent); !decoded.empty()) return decoded;
    return "";
  });
}

}  // namespace fuzz_entries
