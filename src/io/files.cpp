#include "io/files.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace fs = std::filesystem;

namespace nicenergy {

static std::string system_reason(int error) { return std::strerror(error); }

static std::string ending(const std::string& hint) { return hint.empty() ? "" : ": " + hint; }

void require_regular_file(const std::string& path, const std::string& what, const std::string& hint) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    const int error = errno;
    if (error == ENOENT) throw Error(what + " does not exist" + ending(hint));
    if (error == ENOTDIR) throw Error(what + " does not exist (a part of its path is a file, not a folder)" + ending(hint));
    throw Error(what + " cannot be read (" + system_reason(error) + ")" + ending(hint));
  }
  if (S_ISDIR(st.st_mode)) throw Error(what + " is a directory, not a file" + ending(hint));
  // A FIFO would block the open (or the read) forever; a device never ends.
  if (!S_ISREG(st.st_mode)) throw Error(what + " is not a regular file (a FIFO, socket or device)" + ending(hint));
}

std::string read_input_file(const std::string& path, const std::string& what, const std::string& hint,
                            uint64_t max_bytes) {
  require_regular_file(path, what, hint);
  // O_NONBLOCK: should the path have become a FIFO since the check, the open
  // returns at once and fstat refuses it.
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) throw Error(what + " cannot be opened (" + system_reason(errno) + ")" + ending(hint));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw Error(what + " is not a regular file" + ending(hint));
  }
  if (static_cast<uint64_t>(st.st_size) > max_bytes) {
    ::close(fd);
    throw Error(what + " is " + std::to_string(st.st_size) + " bytes, more than the limit of " +
                std::to_string(max_bytes) + " bytes for this kind of file");
  }
  std::string text;
  text.reserve(static_cast<size_t>(st.st_size));
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int error = errno;
      ::close(fd);
      throw Error(what + " cannot be read (" + system_reason(error) + ")" + ending(hint));
    }
    if (n == 0) break;
    text.append(buffer, static_cast<size_t>(n));
    if (text.size() > max_bytes) {  // grew while we read it
      ::close(fd);
      throw Error(what + " is more than the limit of " + std::to_string(max_bytes) + " bytes for this kind of file");
    }
  }
  ::close(fd);
  return text;
}

// The nearest folder that exists on the way up from `start` must be a writable folder.
static void check_creatable_under(fs::path start, const std::string& what) {
  for (;;) {
    if (start.empty()) start = ".";
    struct stat st {};
    if (::stat(start.c_str(), &st) == 0) {
      if (!S_ISDIR(st.st_mode))
        throw Error(what + " cannot be created: '" + start.string() + "' is a file, not a folder");
      if (::access(start.c_str(), W_OK) != 0)
        throw Error(what + " cannot be created: folder '" + start.string() + "' is not writable (" +
                    system_reason(errno) + ")");
      return;
    }
    if (errno == ENOTDIR)
      throw Error(what + " cannot be created: a part of '" + start.string() + "' is a file, not a folder");
    if (errno != ENOENT)
      throw Error(what + " cannot be created: '" + start.string() + "' cannot be checked (" + system_reason(errno) + ")");
    if (start == start.parent_path() || start == ".") return;  // nothing exists up to the root: let the run say why
    start = start.parent_path();
  }
}

void check_output_file(const std::string& path, const std::string& what, bool devices_ok) {
  if (path.empty()) throw Error(what + ": the file name is empty");
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) throw Error(what + " is a directory: give a file name");
    if (!S_ISREG(st.st_mode) && !(devices_ok && S_ISCHR(st.st_mode)))
      throw Error(what + " is not a regular file (a FIFO, socket or device): give a file name");
    if (::access(path.c_str(), W_OK) != 0)
      throw Error(what + " is not writable (" + system_reason(errno) + ")");
    return;
  }
  if (errno == ENOTDIR) throw Error(what + " cannot be created: a part of its path is a file, not a folder");
  if (errno != ENOENT) throw Error(what + " cannot be checked (" + system_reason(errno) + ")");
  check_creatable_under(fs::path(path).parent_path(), what);
}

void check_output_folder(const std::string& path, const std::string& what) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) throw Error(what + " is a file, not a folder");
    if (::access(path.c_str(), W_OK) != 0) throw Error(what + " is not writable (" + system_reason(errno) + ")");
    return;
  }
  if (errno == ENOTDIR) throw Error(what + " cannot be created: a part of its path is a file, not a folder");
  if (errno != ENOENT) throw Error(what + " cannot be checked (" + system_reason(errno) + ")");
  check_creatable_under(fs::path(path).parent_path(), what);
}

void prepare_output_folder(const std::string& path, const std::string& what) {
  check_output_folder(path, what);
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) throw Error(what + " cannot be created (" + ec.message() + ")");
  const std::string probe = (fs::path(path) / (".nicenergy-probe-" + std::to_string(::getpid()))).string();
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) throw Error(what + " is not writable (" + system_reason(errno) + ")");
  ::close(fd);
  ::unlink(probe.c_str());
}

void append_text_synced(const std::string& path, const std::string& text, const std::string& what) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) throw WriteError("cannot open " + what + " for writing (" + system_reason(errno) + ")");
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int error = n < 0 ? errno : EIO;
      ::close(fd);
      throw WriteError("writing " + what + " failed (" + system_reason(error) + "): check the free disk space");
    }
    done += static_cast<size_t>(n);
  }
  // Devices and some special files cannot be synced (EINVAL): nothing to force there.
  if (::fsync(fd) != 0 && errno != EINVAL && errno != EROFS) {
    const int error = errno;
    ::close(fd);
    throw WriteError("writing " + what + " failed at fsync (" + system_reason(error) + "): check the disk");
  }
  if (::close(fd) != 0) throw WriteError("writing " + what + " failed at close (" + system_reason(errno) + ")");
}

void write_file_replacing(const std::string& path, const std::string& bytes, const std::string& what) {
  const std::string temporary = path + ".part" + std::to_string(::getpid());
  ::unlink(temporary.c_str());
  try {
    append_text_synced(temporary, bytes, what);
  } catch (...) {
    ::unlink(temporary.c_str());
    throw;
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    const int error = errno;
    ::unlink(temporary.c_str());
    throw WriteError("cannot write " + what + " (" + system_reason(error) + ")");
  }
}

static std::string lock_path(const std::string& path) { return path + ".lock"; }

static std::string read_holder(int fd) {
  char buffer[256];
  const ssize_t n = ::pread(fd, buffer, sizeof buffer - 1, 0);
  std::string holder(buffer, n > 0 ? static_cast<size_t>(n) : 0);
  while (!holder.empty() && (holder.back() == '\n' || holder.back() == '\r')) holder.pop_back();
  for (char& c : holder)
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '?';
  return holder.empty() ? "another process" : holder;
}

// The lock file, never through a symbolic link nor into a file that is not ours
// alone: the holder line written into it would overwrite whatever it points to.
static int open_lock_file(const std::string& lock, const std::string& what) {
  const int fd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0644);
  if (fd < 0 && errno == ELOOP)
    throw Error("the lock file '" + lock + "' of " + what +
                " is a symbolic link, which nicenergy does not write through: remove it, or give another output");
  if (fd < 0) throw Error("cannot create the lock file '" + lock + "' of " + what + " (" + system_reason(errno) + ")");
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1) {
    ::close(fd);
    throw Error("the lock file '" + lock + "' of " + what +
                " is not a plain file of its own (a device, FIFO or a hard link to another file): remove it, or give another output");
  }
  return fd;
}

OutputLock::OutputLock(const std::string& path, const std::string& what) {
  const std::string lock = lock_path(path);
  fd_ = open_lock_file(lock, what);
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    const std::string holder = read_holder(fd_);
    ::close(fd_);
    fd_ = -1;
    if (error == EWOULDBLOCK)
      throw Error(what + " is in use by " + holder + " (lock '" + lock +
                  "'): one campaign per output; wait for it to end or give another --output");
    throw Error("cannot lock " + what + " (" + system_reason(error) + ")");
  }
  char host[256] = "unknown host";
  ::gethostname(host, sizeof host - 1);
  host[sizeof host - 1] = '\0';
  const std::string holder = "pid " + std::to_string(::getpid()) + " on " + host + "\n";
  // Informative only: the flock is the lock, so a failed write here is not fatal.
  if (::ftruncate(fd_, 0) == 0) {
    [[maybe_unused]] const ssize_t written = ::pwrite(fd_, holder.data(), holder.size(), 0);
  }
}

OutputLock::~OutputLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the flock
}

std::string output_lock_holder(const std::string& path) {
  const int fd = ::open(lock_path(path).c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return "";
  std::string holder;
  if (::flock(fd, LOCK_SH | LOCK_NB) == 0)
    ::flock(fd, LOCK_UN);
  else
    holder = read_holder(fd);
  ::close(fd);
  return holder;
}

}  // namespace nicenergy
