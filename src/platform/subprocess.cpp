#include "platform/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>

extern char** environ;

namespace nicenergy {
namespace {

// The process group run_silently waits on, for the signal handler; 0: none.
std::atomic<pid_t> child_group{0};
constexpr int kForwarded[] = {SIGINT, SIGTERM, SIGHUP};
constexpr size_t kForwardedCount = sizeof kForwarded / sizeof kForwarded[0];
struct sigaction previous_actions[kForwardedCount];

// Async-signal-safe: kill, sigaction and raise only.
void kill_group_then_go_on(int signal_number) {
  const pid_t group = child_group.load();
  if (group > 0) ::kill(-group, SIGKILL);
  for (size_t i = 0; i < kForwardedCount; ++i)
    if (kForwarded[i] == signal_number) ::sigaction(signal_number, &previous_actions[i], nullptr);
  // Pending until this handler returns, then handled as before (by default: this process ends).
  ::raise(signal_number);
}

bool ignored(const struct sigaction& action) {
  return !(action.sa_flags & SA_SIGINFO) && action.sa_handler == SIG_IGN;
}

// While a child runs: SIGINT, SIGTERM and SIGHUP kill its group on their way.
// A signal this process ignores (nohup's SIGHUP) stays ignored.
class ChildGroupGuard {
 public:
  ChildGroupGuard() {
    struct sigaction action {};
    action.sa_handler = kill_group_then_go_on;
    sigemptyset(&action.sa_mask);
    for (size_t i = 0; i < kForwardedCount; ++i) {
      ::sigaction(kForwarded[i], nullptr, &previous_actions[i]);
      installed_[i] = !ignored(previous_actions[i]);
      if (installed_[i]) ::sigaction(kForwarded[i], &action, nullptr);
    }
  }
  void watch(pid_t group) { child_group.store(group); }
  ~ChildGroupGuard() {
    child_group.store(0);
    for (size_t i = 0; i < kForwardedCount; ++i)
      if (installed_[i]) ::sigaction(kForwarded[i], &previous_actions[i], nullptr);
  }
  ChildGroupGuard(const ChildGroupGuard&) = delete;
  ChildGroupGuard& operator=(const ChildGroupGuard&) = delete;

 private:
  bool installed_[kForwardedCount] = {};
};

int open_pidfd(pid_t pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
#else
  return -1;
#endif
}

// Sleeps until the child may have ended, at most max_s: woken by its pidfd
// at once (Linux 5.3+), else naps growing from 0.1 ms to 10 ms.
void nap(int pidfd, double max_s, double& backoff_s) {
  double sleep_s = max_s;
  if (pidfd < 0) {
    sleep_s = std::min(max_s, backoff_s);
    backoff_s = std::min(2 * backoff_s, 0.01);
  }
  timespec ts{};
  ts.tv_sec = static_cast<time_t>(sleep_s);
  ts.tv_nsec = static_cast<long>((sleep_s - static_cast<double>(ts.tv_sec)) * 1e9);
  if (pidfd >= 0) {
    pollfd fd{pidfd, POLLIN, 0};
    ::ppoll(&fd, 1, &ts, nullptr);
  } else {
    ::nanosleep(&ts, nullptr);
  }
}

// Waits for pid to end, stop, or outlive timeout_s; one that stops or outlives it
// has its group killed. Always reaped before returning.
ChildEnd wait_for_child(pid_t pid, double timeout_s) {
  const auto start = std::chrono::steady_clock::now();
  const int pidfd = open_pidfd(pid);
  double backoff_s = 1e-4;
  ChildEnd end;
  for (;;) {
    int status = 0;
    const pid_t got = ::waitpid(pid, &status, WNOHANG | WUNTRACED);
    if (got == pid && !WIFSTOPPED(status)) {
      end.kind = WIFSIGNALED(status) ? ChildEnd::signalled : ChildEnd::exited;
      end.code = WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status);
      break;
    }
    if (got == pid) {
      end = {ChildEnd::stopped, WSTOPSIG(status)};
    } else if (got < 0 && errno != EINTR) {
      end = {ChildEnd::wait_failed, errno};
    } else {
      const double left_s = timeout_s - std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (left_s > 0) {
        // Slices of 0.25 s: a child that stops does not wake the pidfd.
        nap(pidfd, std::min(left_s, 0.25), backoff_s);
        continue;
      }
      end = {ChildEnd::timed_out, 0};
    }
    ::kill(-pid, SIGKILL);  // the group: a shell's children go with it
    while (end.kind != ChildEnd::wait_failed && ::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    break;
  }
  if (pidfd >= 0) ::close(pidfd);
  return end;
}

}  // namespace

ChildEnd run_silently(const std::vector<std::string>& argv, double timeout_s) {
  ChildEnd end;
  if (argv.empty()) {
    end.code = EINVAL;
    return end;
  }
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setpgroup(&attributes, 0);  // a group of its own: killed as one, deaf to the terminal's ^C
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK);
  // Installed before the spawn, so a signal from here on leaves no child behind
  // (but for the instant between the spawn's return and watch()).
  ChildGroupGuard guard;
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, args[0], &actions, &attributes, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (rc != 0) {
    end.code = rc;
    return end;
  }
  guard.watch(pid);
  return wait_for_child(pid, timeout_s);
}


CommandResult run_command(const std::vector<std::string>& argv, bool merge_stderr) {
  CommandResult result;
  if (argv.empty()) return result;
  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) return result;
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    return result;
  }
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int null = ::open("/dev/null", O_RDONLY);
    if (null >= 0) ::dup2(null, 0);
    ::dup2(out_pipe[1], 1);
    ::dup2(merge_stderr ? out_pipe[1] : err_pipe[1], 2);
    ::execvp(args[0], args.data());
    const std::string message = "cannot run '" + argv[0] + "': " + std::strerror(errno) + "\n";
    [[maybe_unused]] const ssize_t n = ::write(2, message.data(), message.size());
    ::_exit(127);
  }
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (pid < 0) {
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    return result;
  }
  // Both pipes read together, so a child filling one while we wait on the other cannot block.
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&result.output, &result.errors};
  int open_fds = 2;
  while (open_fds > 0) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buffer[4096];
      const ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
      if (n > 0) {
        sinks[i]->append(buffer, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (auto& f : fds)
    if (f.fd >= 0) ::close(f.fd);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  // 127 with our own message: execvp failed (not installed, not executable).
  const std::string& text = merge_stderr ? result.output : result.errors;
  result.started = !(result.exit_status == 127 && text.rfind("cannot run '", 0) == 0);
  return result;
}

std::string shell_quote(const std::string& word) {
  if (!word.empty() && word.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                                              "_-./=:,+%@") == std::string::npos)
    return word;
  std::string out = "'";
  for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string shell_line(const std::vector<std::string>& argv) {
  std::string line;
  for (const auto& a : argv) {
    if (!line.empty()) line += ' ';
    line += shell_quote(a);
  }
  return line;
}

}  // namespace nicenergy
