#include "coding/codec_file.h"

#include <cctype>
#include <cstring>

#include "error.h"

namespace nicenergy {

namespace {
// Image sides and latent dimensions far beyond any real image are corruption.
constexpr uint32_t kMaxSide = 1u << 16;
constexpr uint32_t kMaxChannels = 4096;

void put(std::string& out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

class Reader {
 public:
  Reader(const std::string& bytes, const std::string& what) : bytes_(bytes), what_(what) {}
  uint64_t get(int bytes) {
    need(static_cast<size_t>(bytes));
    uint64_t value = 0;
    for (int i = 0; i < bytes; ++i) value |= static_cast<uint64_t>(static_cast<uint8_t>(bytes_[position_ + i])) << (8 * i);
    position_ += static_cast<size_t>(bytes);
    return value;
  }
  std::string take(size_t count) {
    need(count);
    std::string out = bytes_.substr(position_, count);
    position_ += count;
    return out;
  }
  bool at_end() const { return position_ == bytes_.size(); }

 private:
  void need(size_t count) const {
    if (bytes_.size() - position_ < count)
      throw Error(what_ + " is truncated (" + std::to_string(bytes_.size()) + " bytes): compress the image again");
  }
  const std::string& bytes_;
  const std::string& what_;
  size_t position_ = 0;
};
}  // namespace

std::string write_stream(const Stream& stream) {
  const StreamHeader& h = stream.header;
  std::string out(kStreamMagic, sizeof kStreamMagic);
  put(out, kStreamVersion, 1);
  put(out, h.network.size(), 1);
  out += h.network;
  put(out, static_cast<uint64_t>(h.quality), 1);
  put(out, static_cast<uint64_t>(h.width), 4);
  put(out, static_cast<uint64_t>(h.height), 4);
  put(out, h.device == "cuda" ? 1 : 0, 1);
  put(out, h.weights_digest, 8);
  put(out, stream.coded.latents.size(), 1);
  for (const auto& latent : stream.coded.latents) {
    for (int64_t d : latent.shape) put(out, static_cast<uint64_t>(d), 4);
    put(out, latent.bytes.size(), 4);
    out += latent.bytes;
  }
  return out;
}

Stream read_stream(const std::string& bytes, const std::string& what) {
  if (bytes.size() < sizeof kStreamMagic || std::memcmp(bytes.data(), kStreamMagic, sizeof kStreamMagic) != 0)
    throw Error(what + " is not a nicenergy compressed file (no 'NICE' magic): give a file made by 'nicenergy compress'");
  Reader in(bytes, what);
  in.take(sizeof kStreamMagic);
  Stream stream;
  StreamHeader& h = stream.header;
  const auto version = in.get(1);
  if (version != kStreamVersion)
    throw Error(what + " is stream version " + std::to_string(version) + "; this nicenergy reads version " +
                std::to_string(kStreamVersion));
  h.network = in.take(in.get(1));
  if (h.network.empty()) throw Error(what + " is corrupt (no network name)");
  for (char c : h.network)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') throw Error(what + " is corrupt (network name)");
  h.quality = static_cast<int>(in.get(1));
  h.width = static_cast<int>(in.get(4));
  h.height = static_cast<int>(in.get(4));
  if (h.width <= 0 || h.height <= 0 || static_cast<uint32_t>(h.width) > kMaxSide || static_cast<uint32_t>(h.height) > kMaxSide)
    throw Error(what + " is corrupt (image size " + std::to_string(h.width) + "x" + std::to_string(h.height) + ")");
  const auto device = in.get(1);
  if (device > 1) throw Error(what + " is corrupt (device code " + std::to_string(device) + ")");
  h.device = device == 1 ? "cuda" : "cpu";
  h.weights_digest = in.get(8);
  const auto count = in.get(1);
  if (count < 1 || count > 2) throw Error(what + " is corrupt (" + std::to_string(count) + " latent strings)");
  for (uint64_t i = 0; i < count; ++i) {
    CodedLatent latent;
    for (auto& d : latent.shape) d = static_cast<int64_t>(in.get(4));
    if (latent.shape[0] < 1 || latent.shape[0] > kMaxChannels || latent.shape[1] < 1 || latent.shape[2] < 1 ||
        latent.shape[1] > kMaxSide || latent.shape[2] > kMaxSide)
      throw Error(what + " is corrupt (latent shape)");
    latent.bytes = in.take(in.get(4));
    stream.coded.latents.push_back(std::move(latent));
  }
  if (!in.at_end()) throw Error(what + " is corrupt (bytes after the last latent string)");
  return stream;
}

}  // namespace nicenergy
