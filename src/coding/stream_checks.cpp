#include "coding/stream_checks.h"

#include "error.h"
#include "models/codec.h"

namespace nicenergy {

void check_stream_fits(const Stream& stream, const NetworkImpl& network, const std::string& what) {
  const QualityConfig& c = network.config();
  const Padding p = padding_for(stream.header.height, stream.header.width, c.spec->padding);
  const int64_t height = stream.header.height + p.top + p.bottom, width = stream.header.width + p.left + p.right;
  std::vector<std::array<int64_t, 3>> expected;
  if (network.h_a) expected.push_back({c.n, height / 64, width / 64});
  expected.push_back({c.m, height / 16, width / 16});
  if (stream.coded.latents.size() != expected.size())
    throw Error(what + " has " + std::to_string(stream.coded.latents.size()) + " latent strings; " + c.spec->abbr +
                " makes " + std::to_string(expected.size()) + ": the file is corrupt");
  for (size_t i = 0; i < expected.size(); ++i)
    if (stream.coded.latents[i].shape != expected[i])
      throw Error(what + " is corrupt: its latent shapes do not match " + c.spec->abbr + " at " +
                  std::to_string(stream.header.width) + "x" + std::to_string(stream.header.height));
}

uint64_t weights_digest(const torch::nn::Module& module) {
  uint64_t hash = 1469598103934665603ull;
  auto mix = [&hash](const void* data, size_t size) {
    const auto* p = static_cast<const uint8_t*>(data);
    for (size_t i = 0; i < size; ++i) hash = (hash ^ p[i]) * 1099511628211ull;
  };
  auto add = [&mix](const std::string& name, const torch::Tensor& t) {
    mix(name.data(), name.size());
    if (!t.defined() || t.numel() == 0) return;
    torch::Tensor c = t.detach().to(torch::kCPU).contiguous();
    mix(c.data_ptr(), static_cast<size_t>(c.numel()) * c.element_size());
  };
  for (const auto& item : module.named_parameters()) add(item.key(), item.value());
  for (const auto& item : module.named_buffers()) add(item.key(), item.value());
  return hash;
}

}  // namespace nicenergy
