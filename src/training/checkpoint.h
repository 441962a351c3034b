// A training checkpoint is two files: the weights, a safetensors file with
// CompressAI's names that `run --weights` and CompressAI itself load, whose
// metadata records the training so far (iterations, energy, settings); and
// beside it PATH.optimizer, the two Adam states. Both carry the iteration, and
// a resume refuses halves that disagree.
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <string>

#include "models/network.h"

namespace nicenergy {

std::string optimizer_state_path(const std::string& weights_path);

// Writes the optimizer half first, then the weights (each atomically), so the
// weights file, which says the iteration, never runs ahead of its optimizer.
void save_checkpoint(const std::string& path, NetworkImpl& network, torch::optim::Optimizer& optimizer,
                     torch::optim::Optimizer& aux_optimizer, int64_t iteration,
                     std::map<std::string, std::string> metadata);

// Loads both halves into the network and optimizers; returns the iteration and
// fills *metadata. Throws Error naming the file when a half is missing or corrupt
// or the halves are of different iterations.
int64_t load_checkpoint(const std::string& path, NetworkImpl& network, torch::optim::Optimizer& optimizer,
                        torch::optim::Optimizer& aux_optimizer, std::map<std::string, std::string>* metadata);

}  // namespace nicenergy
