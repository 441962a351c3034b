// nicenergy: the command line. Each command parses its options, calls the
// library and prints; errors from anywhere below surface here as one line.
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "cli/args.h"
#include "error.h"
#include "platform/runtime.h"

namespace nicenergy {
int cmd_zoo(Args& args);
int cmd_complexity(Args& args);
int cmd_run(Args& args);
int cmd_meters(Args& args);
int cmd_measure(Args& args);
int cmd_campaign(Args& args);
int cmd_fit(Args& args);
int cmd_predict(Args& args);
int cmd_report(Args& args);
int cmd_version(Args& args);
}  // namespace nicenergy

static const char* usage =
    "usage: nicenergy COMMAND [options]\n"
    "\n"
    "commands:\n"
    "  zoo         the six networks at every quality: parameters and kMAC per pixel\n"
    "  complexity  per-layer complexity of one network (--model NAME --quality Q)\n"
    "  run         reconstruct one image with one network (--model --quality --input)\n"
    "  meters      the power meters, whether each works here and why not\n"
    "  measure     dynamic energy per execution of one network on one image (paper Sec. 3)\n"
    "  campaign    networks x qualities x images into a results CSV (resumable, shardable)\n"
    "  fit         E = alpha * pixels + beta per network and level, Table 2, alpha vs kMAC\n"
    "  predict     energy of a network on an image size from fitted coefficients\n"
    "  report      the paper's figures and tables from a results CSV (SVG, PNG, HTML)\n"
    "  version     the LibTorch, CUDA and cuDNN built against, GPUs visible, CPU threads\n"
    "\n"
    "Run 'nicenergy COMMAND --help' for the options of a command.\n";

int main(int argc, char** argv) {
  using namespace nicenergy;
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0) {
    std::fputs(usage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  const std::string command = argv[1];
  // Before anything can start CUDA: cuBLAS fixes its workspace when its first
  // handle is made, and deterministic mode needs a fixed one.
  prepare_cublas_determinism();
  try {
    Args args(argc - 2, argv + 2);
    if (command == "zoo") return cmd_zoo(args);
    if (command == "complexity") return cmd_complexity(args);
    if (command == "run") return cmd_run(args);
    if (command == "meters") return cmd_meters(args);
    if (command == "measure") return cmd_measure(args);
    if (command == "campaign") return cmd_campaign(args);
    if (command == "fit") return cmd_fit(args);
    if (command == "predict") return cmd_predict(args);
    if (command == "report") return cmd_report(args);
    if (command == "version" || command == "--version") return cmd_version(args);
    throw Error("unknown command '" + command + "': run 'nicenergy --help' for the list");
  } catch (const Error& e) {
    std::fprintf(stderr, "nicenergy %s: error: %s\n", command.c_str(), e.what());
    return 1;
  } catch (const c10::Error& e) {
    std::fprintf(stderr, "nicenergy %s: error from LibTorch: %s\n", command.c_str(), e.what_without_backtrace());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "nicenergy %s: error: %s\n", command.c_str(), e.what());
    return 1;
  }
}
