#include "protocol/command_workload.h"

#include <csignal>
#include <cstdio>
#include <cstring>

#include "error.h"
#include "io/numbers.h"
#include "platform/subprocess.h"

namespace nicenergy {

std::string command_text(const std::vector<std::string>& argv) {
  std::string text;
  for (const std::string& arg : argv) {
    if (!text.empty()) text += ' ';
    const bool quote = arg.empty() || arg.find_first_of(" \t\"'") != std::string::npos;
    text += quote ? "'" + arg + "'" : arg;
  }
  return text;
}

namespace {

std::string signal_text(int signal_number) {
  return std::to_string(signal_number) + " (" + strsignal(signal_number) + ")";
}

}  // namespace

void run_command_once(const std::vector<std::string>& argv, double timeout_s) {
  if (argv.empty()) throw Error("exec needs a command after '--': nicenergy exec [options] -- CMD ARGS...");
  const std::string what = "command '" + command_text(argv) + "'";
  const ChildEnd end = run_silently(argv, timeout_s);
  switch (end.kind) {
    case ChildEnd::exited:
      if (end.code == 0) return;
      // glibc's posix_spawnp reports a missing program as exit status 127 from the child on some versions.
      throw Error(what + " failed with exit status " + std::to_string(end.code) + "; run it alone to see its output");
    case ChildEnd::signalled:
      throw Error(what + " was killed by signal " + signal_text(end.code) + "; run it alone to see why");
    case ChildEnd::stopped:
      throw Error(what + " stopped (signal " + signal_text(end.code) +
                  ") and was killed: it runs without a terminal, its input from /dev/null; give it what it asks for as arguments");
    case ChildEnd::timed_out:
      throw Error(what + " did not end within the " + short_number_text(timeout_s) +
                  " s limit per run and was killed: does it wait for something? (exec: raise the limit with --run-timeout-s)");
    case ChildEnd::not_started:
      if (end.code == ENOENT) throw Error(what + " not found: check its name or give its path");
      throw Error(what + " cannot be started (" + std::strerror(end.code) + ")");
    case ChildEnd::wait_failed:
      break;
  }
  throw Error(what + ": waiting for it failed (" + std::strerror(end.code) + ")");
}

Workload command_workload(const std::vector<std::string>& argv, double timeout_s) {
  Workload w;
  w.run_once = [argv, timeout_s]() { run_command_once(argv, timeout_s); };
  return w;
}

}  // namespace nicenergy
