// Checked file access for inputs and outputs. Inputs are refused before they
// are opened when they are not regular files (a FIFO would block forever, a
// directory reads as empty) or are larger than the caller's limit. Outputs are
// checked before any work starts, so that no measurement is spent and then lost
// on an unwritable path, and a failed write is an error (WriteError) rather than
// silently ignored. `what` names the file in messages: "results file 'a.csv'".
#pragma once
#include <cstdint>
#include <string>

#include "error.h"

namespace nicenergy {

// A failed write of an output (disk full, I/O error, read-only file system).
// A campaign ends on it instead of counting it as one point's failure: every
// later point would fail the same way after being measured.
struct WriteError : Error {
  using Error::Error;
};

// Throws Error unless path is an existing regular file (symbolic links
// followed): "<what> does not exist", "is a directory", "is not a regular file
// (a FIFO, socket or device)". `hint` ends the message (": check the path").
void require_regular_file(const std::string& path, const std::string& what, const std::string& hint);

// The whole file, after require_regular_file, refused when larger than max_bytes.
std::string read_input_file(const std::string& path, const std::string& what, const std::string& hint,
                            uint64_t max_bytes);

// Checks, without creating anything, that `path` can be written as a file:
// not a directory, a regular file (or, with devices_ok, a device such as
// /dev/null), in a folder that exists or can be created, not under a regular
// file, and writable as far as access(2) tells.
void check_output_file(const std::string& path, const std::string& what, bool devices_ok = false);

// The same for a folder that files will be written into.
void check_output_folder(const std::string& path, const std::string& what);

// Creates the folder (and its parents) and proves it writable by creating and
// removing a probe file, which catches what access(2) does not (root on a
// read-only or special file system). Throws Error naming the folder.
void prepare_output_folder(const std::string& path, const std::string& what);

// Appends text to a file and forces it to disk; any failure (open, write,
// flush, fsync, close) throws WriteError naming the file and the system's reason.
void append_text_synced(const std::string& path, const std::string& text, const std::string& what);

// Writes the whole file under a temporary name beside it, syncs, and renames it
// into place: a reader never sees half a file, and an interrupted write leaves
// any previous file as it was. Failures throw WriteError naming the file.
void write_file_replacing(const std::string& path, const std::string& bytes, const std::string& what);

// An advisory lock (flock) held while the object lives, on PATH.lock, whose
// content names the holder (pid and host), so that a second campaign on the same
// output is refused with a message that says who has it. The lock file stays
// (removing it would race with a process about to lock it).
class OutputLock {
 public:
  // Throws Error "<what> is in use by pid N on HOST (lock PATH.lock)" when held.
  OutputLock(const std::string& path, const std::string& what);
  ~OutputLock();
  OutputLock(const OutputLock&) = delete;
  OutputLock& operator=(const OutputLock&) = delete;

 private:
  int fd_ = -1;
};

// Who holds the lock of PATH now ("pid 123 on host"), or "" when nobody does.
std::string output_lock_holder(const std::string& path);

}  // namespace nicenergy
