#include "protocol/command_workload.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

#include "error.h"

extern char** environ;

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

void run_command_once(const std::vector<std::string>& argv) {
  if (argv.empty()) throw Error("exec needs a command after '--': nicenergy exec [options] -- CMD ARGS...");
  const std::string what = "command '" + command_text(argv) + "'";
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    if (rc == ENOENT) throw Error(what + " not found: check its name or give its path");
    throw Error(what + " cannot be started (" + std::strerror(rc) + ")");
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw Error(what + ": waiting for it failed (" + std::strerror(errno) + ")");
  }
  if (WIFSIGNALED(status))
    throw Error(what + " was killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
                strsignal(WTERMSIG(status)) + "); run it alone to see why");
  // glibc's posix_spawnp reports a missing program as exit status 127 from the child on some versions.
  if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
    throw Error(what + " failed with exit status " + std::to_string(WEXITSTATUS(status)) +
                "; run it alone to see its output");
}

Workload command_workload(const std::vector<std::string>& argv) {
  Workload w;
  w.run_once = [argv]() { run_command_once(argv); };
  return w;
}

}  // namespace nicenergy
