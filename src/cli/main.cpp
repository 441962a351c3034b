// nicenergy: the program is cli::run over its arguments.
#include <string>
#include <vector>

#include "cli/run.h"
#include "platform/runtime.h"

int main(int argc, char** argv) {
  // Before anything can start CUDA: cuBLAS fixes its workspace when its first
  // handle is made, and deterministic mode needs a fixed one.
  nicenergy::prepare_cublas_determinism();
  return nicenergy::cli::run(std::vector<std::string>(argv + 1, argv + argc));
}
