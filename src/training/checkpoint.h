// A training checkpoint is two files: the weights, a safetensors file with
// CompressAI's names that `run --weights` and CompressAI itself load, whose
// metadata records the training so far (iterations, energy, settings); and
// beside it PATH.optimizer, the two Adam states. Both carry the iteration. A
// save killed between the two files leaves the previous state as
// PATH.optimizer.previous, from which a resume restores the pair.
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <string>

#include "models/network.h"

namespace nicenergy {

std::string optimizer_state_path(const std::string& weights_path);
std::string previous_optimizer_state_path(const std::string& weights_path);

// Removes temporaries a killed save left (PATH.partPID, PATH.optimizer.partPID
// of no running process), moves the optimizer state of the weights on disk
// aside to PATH.optimizer.previous, writes the new optimizer state and then the
// weights (each atomically), and removes the previous state: at every instant
// the weights on disk have their optimizer state in one of the two files.
void save_checkpoint(const std::string& path, NetworkImpl& network, torch::optim::Optimizer& optimizer,
                     torch::optim::Optimizer& aux_optimizer, int64_t iteration,
                     std::map<std::string, std::string> metadata);

// Loads both halves into the network and optimizers; returns the iteration and
// fills *metadata. The optimizer state of the weights' iteration is taken from
// PATH.optimizer or, after a save killed between the files, from
// PATH.optimizer.previous (renamed back to PATH.optimizer). Throws Error naming
// the file when a half is missing or corrupt or no state is of that iteration.
int64_t load_checkpoint(const std::string& path, NetworkImpl& network, torch::optim::Optimizer& optimizer,
                        torch::optim::Optimizer& aux_optimizer, std::map<std::string, std::string>* metadata);

}  // namespace nicenergy
