#include "training/checkpoint.h"

#include <filesystem>
#include <sstream>

#include "error.h"
#include "io/files.h"
#include "io/numbers.h"
#include "models/weights.h"

namespace nicenergy {

std::string optimizer_state_path(const std::string& weights_path) { return weights_path + ".optimizer"; }

void save_checkpoint(const std::string& path, NetworkImpl& network, torch::optim::Optimizer& optimizer,
                     torch::optim::Optimizer& aux_optimizer, int64_t iteration,
                     std::map<std::string, std::string> metadata) {
  torch::serialize::OutputArchive archive, main_state, aux_state;
  optimizer.save(main_state);
  aux_optimizer.save(aux_state);
  archive.write("optimizer", main_state);
  archive.write("aux_optimizer", aux_state);
  archive.write("iteration", torch::tensor({iteration}, torch::kInt64));
  std::ostringstream bytes;
  archive.save_to(bytes);
  write_file_replacing(optimizer_state_path(path), bytes.str(), "optimizer state");
  metadata["training_iterations"] = std::to_string(iteration);
  save_weights(network, path, metadata);
}

int64_t load_checkpoint(const std::string& path, NetworkImpl& network, torch::optim::Optimizer& optimizer,
                        torch::optim::Optimizer& aux_optimizer, std::map<std::string, std::string>* metadata) {
  const std::string state_path = optimizer_state_path(path);
  *metadata = weights_metadata(path);
  const auto found = metadata->find("training_iterations");
  if (found == metadata->end())
    throw Error("weights file '" + path + "' is not a training checkpoint (no training_iterations in its metadata): start it with --init-weights instead of --resume");
  const int64_t iteration = parse_int64(found->second, "training_iterations of '" + path + "'");
  std::error_code ec;
  if (!std::filesystem::is_regular_file(state_path, ec))
    throw Error("checkpoint '" + path + "' lacks its optimizer state '" + state_path + "': resume needs both files (or start afresh with --init-weights)");
  load_weights(network, path);
  torch::serialize::InputArchive archive, main_state, aux_state;
  torch::Tensor stored;
  try {
    std::istringstream bytes(read_input_file(state_path, "optimizer state", "it is written beside the checkpoint", uint64_t{1} << 34));
    archive.load_from(bytes);
    archive.read("optimizer", main_state);
    archive.read("aux_optimizer", aux_state);
    archive.read("iteration", stored);
    optimizer.load(main_state);
    aux_optimizer.load(aux_state);
  } catch (const c10::Error& e) {
    throw Error("optimizer state '" + state_path + "' is unreadable or of another network: " +
                printable(e.what_without_backtrace(), 120));
  }
  if (stored.numel() != 1 || stored.item<int64_t>() != iteration)
    throw Error("checkpoint '" + path + "' (iteration " + std::to_string(iteration) + ") and its optimizer state '" +
                state_path + "' are of different iterations: restore both from the same save");
  return iteration;
}

}  // namespace nicenergy
