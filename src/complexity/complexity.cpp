#include "complexity/complexity.h"

#include <cstdio>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>

#include "error.h"

namespace nicenergy {

static bool is_convolution(const std::string& type) {
  return type == "conv" || type == "deconv" || type == "masked_conv";
}

static std::vector<LayerRecord> record_layers(NetworkImpl& network, int64_t height, int64_t width,
                                              const std::string& what) {
  torch::NoGradGuard no_grad;
  LayerRecorder recorder(network, /*shape_only=*/true);
  torch::Tensor x = torch::empty({1, 3, height, width});
  if (what == "forward") {
    network.forward(x);
  } else if (what == "encode") {
    network.encode(x);
  } else {
    Latents latents = network.encode(x);
    LayerRecorder decode_only(network, true);
    network.decode(latents);
    return decode_only.records();
  }
  return recorder.records();
}

static double conv_kmac(const std::vector<LayerRecord>& records, double pixels) {
  double macs = 0;
  for (const auto& r : records)
    if (is_convolution(r.type)) macs += r.macs;
  return macs / pixels / 1000.0;
}

// Index of the top-level child of g_a or g_s a layer belongs to ("g_s.5.conv" -> 5).
static int block_index(const std::string& name) {
  const size_t start = name.find('.') + 1;
  return std::stoi(name.substr(start, name.find('.', start) - start));
}

// "Up to the 2nd downsampling": the blocks of g_a up to and including the one
// with the second downsampling, and the blocks of g_s from the one with the
// second-to-last upsampling to the output. Blocks are g_a's and g_s's top-level
// children (a layer, or a residual/attention block); downsampling and
// upsampling are read off the recorded shapes. Only convolutions count.
static void mark_2nd(std::vector<LayerComplexity>& layers, int64_t height) {
  int downsamplings = 0, last_encoder_block = -1;
  int64_t finest = height, coarsest = 0;
  std::vector<int> upsampling_blocks;
  for (const auto& l : layers) {
    if (l.transform == "g_a" && l.layer.out_h < finest) {
      finest = l.layer.out_h;
      if (++downsamplings == 2) last_encoder_block = block_index(l.layer.name);
    }
    if (l.transform == "g_s") {
      if (coarsest == 0) coarsest = l.layer.in_h;
      if (l.layer.out_h > coarsest) {
        coarsest = l.layer.out_h;
        upsampling_blocks.push_back(block_index(l.layer.name));
      }
    }
  }
  const int first_decoder_block =
      upsampling_blocks.size() >= 2 ? upsampling_blocks[upsampling_blocks.size() - 2] : 1 << 30;
  for (auto& l : layers) {
    if (!is_convolution(l.layer.type)) continue;
    if (l.transform == "g_a" && block_index(l.layer.name) <= last_encoder_block) l.in_2nd = true;
    if (l.transform == "g_s" && block_index(l.layer.name) >= first_decoder_block) l.in_2nd = true;
  }
}

Complexity compute_complexity(NetworkImpl& network, int64_t height, int64_t width) {
  const QualityConfig& config = network.config();
  if (height % config.spec->padding != 0 || width % config.spec->padding != 0)
    throw Error("complexity input " + std::to_string(width) + "x" + std::to_string(height) +
                " is not a multiple of " + std::to_string(config.spec->padding));
  const double pixels = static_cast<double>(height) * width;
  Complexity c;
  c.network = config.spec->name;
  c.abbr = config.spec->abbr;
  c.level = config.level;
  c.quality = config.quality;
  c.n = config.n;
  c.m = config.m;
  c.padding = config.spec->padding;
  c.params = count_parameters(network);

  for (const LayerRecord& r : record_layers(network, height, width, "forward")) {
    LayerComplexity l;
    l.layer = r;
    l.transform = r.name.substr(0, r.name.find('.'));
    l.scale = static_cast<double>(r.in_h) / height;
    l.kmac_per_pixel = r.macs / pixels / 1000.0;
    l.activation_bytes_per_pixel = r.activation_bytes / pixels;
    const bool counted = is_convolution(r.type);
    if (counted) {
      c.kmac_per_pixel += l.kmac_per_pixel;
      c.activation_bytes_per_pixel += l.activation_bytes_per_pixel;
    }
    c.kmac_per_pixel_with_gdn += l.kmac_per_pixel;
    c.layers.push_back(l);
  }
  mark_2nd(c.layers, height);
  for (const auto& l : c.layers)
    if (l.in_2nd) c.kmac_per_pixel_2nd += l.kmac_per_pixel;
  c.kmac_per_pixel_encoder = conv_kmac(record_layers(network, height, width, "encode"), pixels);
  c.kmac_per_pixel_decoder = conv_kmac(record_layers(network, height, width, "decode"), pixels);
  return c;
}

Complexity complexity_of(const std::string& name_or_abbr, int quality) {
  const QualityConfig config = quality_config(find_network(name_or_abbr), quality);
  static std::mutex mutex;
  static std::map<std::string, Complexity> cache;
  const std::string key = config.spec->name + "/" + config.level;
  std::lock_guard<std::mutex> lock(mutex);
  auto it = cache.find(key);
  if (it == cache.end()) {
    Network network = make_network(config.spec->name, quality);
    it = cache.emplace(key, compute_complexity(*network)).first;
  }
  Complexity c = it->second;
  c.quality = quality;
  return c;
}

std::vector<Complexity> zoo_complexity() {
  std::vector<Complexity> rows;
  for (const NetworkSpec& spec : network_specs())
    for (int q = 1; q <= spec.qualities; ++q) rows.push_back(complexity_of(spec.name, q));
  return rows;
}

static std::string fixed(double value, int digits) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", digits, value);
  return buffer;
}

std::string format_zoo(const std::vector<Complexity>& rows, const std::string& format) {
  std::ostringstream out;
  if (format == "json") {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& c : rows)
      list.push_back({{"network", c.network}, {"abbr", c.abbr}, {"quality", c.quality}, {"level", c.level},
                      {"N", c.n}, {"M", c.m}, {"padding", c.padding}, {"params", c.params},
                      {"kmac_per_pixel", c.kmac_per_pixel}, {"kmac_per_pixel_2nd", c.kmac_per_pixel_2nd},
                      {"kmac_per_pixel_encoder", c.kmac_per_pixel_encoder},
                      {"kmac_per_pixel_decoder", c.kmac_per_pixel_decoder},
                      {"kmac_per_pixel_with_gdn", c.kmac_per_pixel_with_gdn}});
    out << list.dump(2) << "\n";
  } else if (format == "csv") {
    out << "network,abbr,quality,level,N,M,padding,params,kmac_per_pixel,kmac_per_pixel_2nd,"
           "kmac_per_pixel_encoder,kmac_per_pixel_decoder,kmac_per_pixel_with_gdn\n";
    for (const auto& c : rows)
      out << c.network << ',' << c.abbr << ',' << c.quality << ',' << c.level << ',' << c.n << ',' << c.m << ','
          << c.padding << ',' << c.params << ',' << fixed(c.kmac_per_pixel, 3) << ',' << fixed(c.kmac_per_pixel_2nd, 3)
          << ',' << fixed(c.kmac_per_pixel_encoder, 3) << ',' << fixed(c.kmac_per_pixel_decoder, 3) << ','
          << fixed(c.kmac_per_pixel_with_gdn, 3) << "\n";
  } else if (format == "table") {
    char line[256];
    std::snprintf(line, sizeof line, "%-22s %-6s %2s %-5s %4s %4s %4s %11s %9s %9s %9s %9s %9s\n", "network", "abbr",
                  "q", "level", "N", "M", "pad", "params", "kMAC/px", "2nd", "encoder", "decoder", "with GDN");
    out << line;
    for (const auto& c : rows) {
      std::snprintf(line, sizeof line, "%-22s %-6s %2d %-5s %4d %4d %4d %11lld %9.2f %9.2f %9.2f %9.2f %9.2f\n",
                    c.network.c_str(), c.abbr.c_str(), c.quality, c.level.c_str(), c.n, c.m, c.padding,
                    static_cast<long long>(c.params), c.kmac_per_pixel, c.kmac_per_pixel_2nd, c.kmac_per_pixel_encoder,
                    c.kmac_per_pixel_decoder, c.kmac_per_pixel_with_gdn);
      out << line;
    }
  } else {
    throw Error("unknown format '" + format + "': use table, csv or json");
  }
  return out.str();
}

std::string format_layers(const Complexity& c, const std::string& format) {
  std::ostringstream out;
  if (format == "json") {
    nlohmann::json layers = nlohmann::json::array();
    for (const auto& l : c.layers)
      layers.push_back({{"name", l.layer.name}, {"type", l.layer.type}, {"transform", l.transform},
                        {"in_channels", l.layer.in_channels}, {"out_channels", l.layer.out_channels},
                        {"kernel", l.layer.kernel}, {"stride", l.layer.stride}, {"scale", l.scale},
                        {"params", l.layer.params}, {"kmac_per_pixel", l.kmac_per_pixel},
                        {"activation_bytes_per_pixel", l.activation_bytes_per_pixel}, {"in_2nd", l.in_2nd}});
    nlohmann::json doc = {{"network", c.network}, {"abbr", c.abbr}, {"quality", c.quality}, {"level", c.level},
                          {"params", c.params}, {"kmac_per_pixel", c.kmac_per_pixel},
                          {"kmac_per_pixel_2nd", c.kmac_per_pixel_2nd}, {"kmac_per_pixel_with_gdn", c.kmac_per_pixel_with_gdn},
                          {"kmac_per_pixel_encoder", c.kmac_per_pixel_encoder},
                          {"kmac_per_pixel_decoder", c.kmac_per_pixel_decoder}, {"layers", layers}};
    out << doc.dump(2) << "\n";
    return out.str();
  }
  const bool csv = format == "csv";
  if (!csv && format != "table") throw Error("unknown format '" + format + "': use table, csv or json");
  char line[320];
  if (csv)
    out << "name,type,transform,in_channels,out_channels,kernel,stride,scale,params,kmac_per_pixel,"
           "activation_bytes_per_pixel,in_2nd\n";
  else {
    std::snprintf(line, sizeof line, "%-32s %-11s %5s %5s %2s %2s %7s %10s %9s %9s %4s\n", "layer", "type", "in", "out",
                  "k", "s", "scale", "params", "kMAC/px", "act B/px", "2nd");
    out << line;
  }
  for (const auto& l : c.layers) {
    const auto& r = l.layer;
    const std::string scale = "1/" + std::to_string(static_cast<long long>(1.0 / l.scale + 0.5));
    if (csv)
      std::snprintf(line, sizeof line, "%s,%s,%s,%lld,%lld,%lld,%lld,%.6g,%lld,%.4f,%.4f,%d\n", r.name.c_str(),
                    r.type.c_str(), l.transform.c_str(), (long long)r.in_channels, (long long)r.out_channels,
                    (long long)r.kernel, (long long)r.stride, l.scale, (long long)r.params, l.kmac_per_pixel,
                    l.activation_bytes_per_pixel, l.in_2nd ? 1 : 0);
    else
      std::snprintf(line, sizeof line, "%-32s %-11s %5lld %5lld %2lld %2lld %7s %10lld %9.3f %9.2f %4s\n", r.name.c_str(),
                    r.type.c_str(), (long long)r.in_channels, (long long)r.out_channels, (long long)r.kernel,
                    (long long)r.stride, scale.c_str(), (long long)r.params, l.kmac_per_pixel, l.activation_bytes_per_pixel,
                    l.in_2nd ? "yes" : "");
    out << line;
  }
  if (!csv) {
    std::snprintf(line, sizeof line,
                  "%s (%s) quality %d, %s level: %lld parameters; kMAC/px %.1f (2nd %.1f, encoder %.1f, decoder %.1f, "
                  "with GDN %.1f)\n",
                  c.network.c_str(), c.abbr.c_str(), c.quality, c.level.c_str(), (long long)c.params, c.kmac_per_pixel,
                  c.kmac_per_pixel_2nd, c.kmac_per_pixel_encoder, c.kmac_per_pixel_decoder, c.kmac_per_pixel_with_gdn);
    out << line;
  }
  return out.str();
}

}  // namespace nicenergy
