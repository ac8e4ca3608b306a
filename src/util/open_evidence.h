// SPDX-License-Identifier: Apache-2.0
// Opening evidence for reading: the one way every module opens an input file.
#pragma once

#include <fcntl.h>

#include <cerrno>
#include <string>

namespace aiir {

/// Opens `path` read-only without updating its access time (O_NOATIME: the
/// files' metadata is evidence too), never as a controlling terminal, and
/// without blocking on a FIFO put where a file was listed. O_NOATIME needs the
/// file's owner (or CAP_FOWNER): refused with EPERM, the file is opened
/// without it. Returns the descriptor or -1 (errno set). open_evidence_at:
/// `path` relative to the folder open as `dir_fd` (AT_FDCWD: the working folder).
inline int open_evidence_at(int dir_fd, const char* path) noexcept {
  constexpr int kFlags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
  int fd = ::openat(dir_fd, path, kFlags | O_NOATIME);
  if (fd < 0 && errno == EPERM) fd = ::openat(dir_fd, path, kFlags);
  return fd;
}

inline int open_evidence(const std::string& path) noexcept { return open_evidence_at(AT_FDCWD, path.c_str()); }

}  // namespace aiir
