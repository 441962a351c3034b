#include "training/checkpoint.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "error.h"
#include "io/files.h"
#include "io/numbers.h"
#include "models/weights.h"

namespace nicenergy {

namespace fs = std::filesystem;

std::string optimizer_state_path(const std::string& weights_path) { return weights_path + ".optimizer"; }

std::string previous_optimizer_state_path(const std::string& weights_path) {
  return optimizer_state_path(weights_path) + ".previous";
}

namespace {

// write_file_replacing's temporaries (NAME.partPID) that a killed save left
// beside the pair, 12 to 24 MB each: removed when their writer is this process
// or no longer runs (a pid reused by another program cannot be writing them).
void remove_stale_parts(const std::string& path) {
  const fs::path weights(path);
  const fs::path folder = weights.parent_path().empty() ? fs::path(".") : weights.parent_path();
  const std::string prefixes[] = {weights.filename().string() + ".part",
                                  fs::path(optimizer_state_path(path)).filename().string() + ".part"};
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    const std::string name = entry.path().filename().string();
    for (const std::string& prefix : prefixes) {
      const std::string pid_text = name.size() > prefix.size() && name.rfind(prefix, 0) == 0 ? name.substr(prefix.size()) : "";
      if (pid_text.empty() || pid_text.size() > 9 || pid_text.find_first_not_of("0123456789") != std::string::npos) continue;
      const pid_t pid = static_cast<pid_t>(std::stol(pid_text));
      if (pid == ::getpid() || (::kill(pid, 0) != 0 && errno == ESRCH)) fs::remove(entry.path(), ec);
    }
  }
}

// Loads the optimizer state in `state_path` into both optimizers when it is of
// `iteration`; otherwise leaves them and returns false with *stored_iteration set.
bool load_optimizer_state(const std::string& state_path, int64_t iteration, torch::optim::Optimizer& optimizer,
                          torch::optim::Optimizer& aux_optimizer, int64_t* stored_iteration) {
  torch::serialize::InputArchive archive, main_state, aux_state;
  torch::Tensor stored;
  try {
    std::istringstream bytes(read_input_file(state_path, "optimizer state", "it is written beside the checkpoint", uint64_t{1} << 34));
    archive.load_from(bytes);
    archive.read("iteration", stored);
    if (stored.numel() != 1) throw Error("optimizer state '" + state_path + "' holds no single iteration: it is not ours");
    *stored_iteration = stored.item<int64_t>();
    if (*stored_iteration != iteration) return false;
    archive.read("optimizer", main_state);
    archive.read("aux_optimizer", aux_state);
    optimizer.load(main_state);
    aux_optimizer.load(aux_state);
  } catch (const c10::Error& e) {
    throw Error("optimizer state '" + state_path + "' is unreadable or of another network: " +
                printable(e.what_without_backtrace(), 120));
  }
  return true;
}

}  // namespace

// The pair stays recoverable at every instant: the optimizer state of the
// weights on disk is moved aside to PATH.optimizer.previous before the new one
// replaces it, and removed only once the new weights are in place. A save killed
// between the two files leaves weights of iteration M beside .previous of M.
void save_checkpoint(const std::string& path, NetworkImpl& network, torch::optim::Optimizer& optimizer,
                     torch::optim::Optimizer& aux_optimizer, int64_t iteration,
                     std::map<std::string, std::string> metadata) {
  remove_stale_parts(path);
  torch::serialize::OutputArchive archive, main_state, aux_state;
  optimizer.save(main_state);
  aux_optimizer.save(aux_state);
  archive.write("optimizer", main_state);
  archive.write("aux_optimizer", aux_state);
  archive.write("iteration", torch::tensor({iteration}, torch::kInt64));
  std::ostringstream bytes;
  archive.save_to(bytes);
  const std::string state_path = optimizer_state_path(path), previous = previous_optimizer_state_path(path);
  std::error_code ec;
  // load_checkpoint leaves PATH.optimizer matching the weights (or absent): that is what goes aside.
  if (fs::is_regular_file(state_path, ec) && std::rename(state_path.c_str(), previous.c_str()) != 0)
    throw WriteError("cannot keep the optimizer state '" + state_path + "' as '" + previous + "' while saving");
  write_file_replacing(state_path, bytes.str(), "optimizer state");
  metadata["training_iterations"] = std::to_string(iteration);
  save_weights(network, path, metadata);
  fs::remove(previous, ec);
}

int64_t load_checkpoint(const std::string& path, NetworkImpl& network, torch::optim::Optimizer& optimizer,
                        torch::optim::Optimizer& aux_optimizer, std::map<std::string, std::string>* metadata) {
  const std::string state_path = optimizer_state_path(path), previous = previous_optimizer_state_path(path);
  *metadata = weights_metadata(path);
  const auto found = metadata->find("training_iterations");
  if (found == metadata->end())
    throw Error("weights file '" + path + "' is not a training checkpoint (no training_iterations in its metadata): start it with --init-weights instead of --resume");
  const int64_t iteration = parse_int64(found->second, "training_iterations of '" + path + "'");
  std::error_code ec;
  const bool has_state = fs::is_regular_file(state_path, ec), has_previous = fs::is_regular_file(previous, ec);
  if (!has_state && !has_previous)
    throw Error("checkpoint '" + path + "' lacks its optimizer state '" + state_path + "': resume needs both files (or start afresh with --init-weights)");
  load_weights(network, path);
  int64_t stored = -1, stored_previous = -1;
  if (has_state && load_optimizer_state(state_path, iteration, optimizer, aux_optimizer, &stored)) return iteration;
  if (has_previous && load_optimizer_state(previous, iteration, optimizer, aux_optimizer, &stored_previous)) {
    // A save was killed between the two files: the state of these weights is
    // the kept one. It becomes PATH.optimizer again, so that the next save
    // moves the matching state aside.
    if (std::rename(previous.c_str(), state_path.c_str()) != 0)
      throw WriteError("cannot restore the optimizer state '" + previous + "' as '" + state_path + "'");
    return iteration;
  }
  throw Error("checkpoint '" + path + "' (iteration " + std::to_string(iteration) + ") and its optimizer state '" +
              state_path + "' (iteration " + std::to_string(has_state ? stored : stored_previous) +
              ") are of different iterations: restore both from the same save");
}

}  // namespace nicenergy
