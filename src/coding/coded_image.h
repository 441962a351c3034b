// What the entropy coder makes of one image: plain bytes and shapes, no
// tensors, so that the file reader (codec_file) and its fuzz harness need no
// LibTorch.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace nicenergy {

// One entropy-coded latent tensor of batch 1: shape (C, H, W) and its bytes.
struct CodedLatent {
  std::array<int64_t, 3> shape{};
  std::string bytes;
};

// What the encoder sends: z (hyperprior networks only) first, then y.
struct CodedImage {
  std::vector<CodedLatent> latents;
  // Encoder side only (not in the file): the rate the likelihoods promise for
  // exactly the symbols coded (for the context models, under the entropy
  // parameters of the coded neighbours, not forward()'s plain rounding).
  double estimated_bits = 0;
};

}  // namespace nicenergy
