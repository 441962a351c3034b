// Claiming a resumable output (modes, layers) before anything is measured: the
// file can be written (its folder made), no other run appends to it, and it is
// one of ours or new. The lock is held until the run ends.
#pragma once
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "io/files.h"

namespace nicenergy::cli {

// read(output) refuses a file that is not ours (before a lock file is made
// beside it); resume(output, &note) returns the finished rows.
template <class Row, class Read, class Resume>
std::unique_ptr<OutputLock> claim_output(const std::string& output, const std::string& what, Read read,
                                         Resume resume, std::vector<Row>& done) {
  if (output.empty()) return nullptr;
  check_output_file(output, what);
  (void)read(output);
  const std::filesystem::path folder = std::filesystem::path(output).parent_path();
  if (!folder.empty()) prepare_output_folder(folder.string(), "folder '" + folder.string() + "' of the " + what);
  auto lock = std::make_unique<OutputLock>(output, what);
  std::string note;
  done = resume(output, &note);
  if (!note.empty()) std::fprintf(stderr, "note: %s\n", note.c_str());
  return lock;
}

}  // namespace nicenergy::cli
