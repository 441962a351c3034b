#include "complexity/complexity.h"

#include <algorithm>
#include <map>
#include <mutex>

#include "error.h"
#include "models/layer_type.h"

namespace nicenergy {

// LayerRecord carries its type as text; the accounting reads it once here.
static bool is_convolution(const LayerRecord& record) { return is_convolution(record.type); }

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

// The convolutions' kMAC per pixel, leaving out one transform's layers when named.
static double conv_kmac(const std::vector<LayerRecord>& records, double pixels, const std::string& except = "") {
  double macs = 0;
  for (const auto& r : records)
    if (is_convolution(r) && (except.empty() || r.name.rfind(except + ".", 0) != 0)) macs += r.macs;
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
    if (!is_convolution(l.layer)) continue;
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
    l.kmac_per_px = r.macs / pixels / 1000.0;
    l.activation_bytes_per_pixel = r.activation_bytes / pixels;
    const bool counted = is_convolution(r);
    if (counted) {
      c.kmac_per_px += l.kmac_per_px;
      c.activation_bytes_per_pixel += l.activation_bytes_per_pixel;
    }
    c.kmac_per_px_with_gdn += l.kmac_per_px;
    c.layers.push_back(l);
  }
  mark_2nd(c.layers, height);
  for (const auto& l : c.layers) {
    if (l.in_2nd) c.kmac_per_px_2nd += l.kmac_per_px;
    if (!is_convolution(l.layer)) continue;
    if (l.transform == "g_a") c.kmac_per_px_analysis += l.kmac_per_px;
    if (l.transform == "g_s") c.kmac_per_px_synthesis += l.kmac_per_px;
  }
  const std::vector<LayerRecord> encoder = record_layers(network, height, width, "encode");
  const std::vector<LayerRecord> decoder = record_layers(network, height, width, "decode");
  c.kmac_per_px_encoder = conv_kmac(encoder, pixels);
  c.kmac_per_px_decoder = conv_kmac(decoder, pixels);
  // Summed, not subtracted, so that a side without entropy-model layers is exactly 0.
  c.kmac_per_px_entropy_encode = conv_kmac(encoder, pixels, "g_a");
  c.kmac_per_px_entropy_decode = conv_kmac(decoder, pixels, "g_s");
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

std::pair<std::string, int> layer_block(const std::string& name) {
  const size_t dot = name.find('.');
  const std::string transform = name.substr(0, dot);
  if ((transform != "g_a" && transform != "g_s") || dot == std::string::npos) return {transform, -1};
  const size_t end = name.find('.', dot + 1);
  return {transform, std::stoi(name.substr(dot + 1, end - dot - 1))};
}

bool SecondDownsamplingRegion::contains(const std::string& layer_name) const {
  const auto [transform, block] = layer_block(layer_name);
  return (transform == "g_a" && block <= last_g_a) || (transform == "g_s" && block >= first_g_s);
}

SecondDownsamplingRegion second_downsampling_region(const Complexity& complexity) {
  SecondDownsamplingRegion region;
  for (const auto& l : complexity.layers) {
    if (!l.in_2nd) continue;
    const auto [transform, block] = layer_block(l.layer.name);
    if (transform == "g_a") region.last_g_a = std::max(region.last_g_a, block);
    if (transform == "g_s") region.first_g_s = std::min(region.first_g_s, block);
  }
  return region;
}

double stage_kmac_per_px(const Complexity& c, Stage stage) {
  switch (stage) {
    case Stage::chain: return c.kmac_per_px;
    case Stage::encode: return c.kmac_per_px_encoder;
    case Stage::decode: return c.kmac_per_px_decoder;
    case Stage::analysis: return c.kmac_per_px_analysis;
    case Stage::synthesis: return c.kmac_per_px_synthesis;
    case Stage::entropy_encode: return c.kmac_per_px_entropy_encode;
    case Stage::entropy_decode: return c.kmac_per_px_entropy_decode;
  }
  return 0;
}

std::vector<Complexity> zoo_complexity() {
  std::vector<Complexity> rows;
  for (const NetworkSpec& spec : network_specs())
    for (int q = 1; q <= spec.qualities; ++q) rows.push_back(complexity_of(spec.name, q));
  return rows;
}

}  // namespace nicenergy
