// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: listing a zip archive's central directory and reading
// every member (stored, deflate, zip64 fields) from arbitrary archive bytes.
#include <libdeflate.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "source/reader.h"
#include "source/zip.h"

namespace {
// Small caps: a member claiming gigabytes must be refused, not allocated.
constexpr std::uint64_t kCap = 8u << 20;
constexpr std::size_t kMaxMembers = 4096;
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // The archive is read through a path, as discovery and the reader do: an
  // in-memory file stands for it.
  static const int fd = ::memfd_create("zip_fuzz", 0);
  static const std::string path = "/proc/self/fd/" + std::to_string(fd);
  static libdeflate_decompressor* inflater = libdeflate_alloc_decompressor();
  static aiir::PaddedBuffer out;
  if (fd < 0 || inflater == nullptr) __builtin_trap();
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, data, size, 0) != static_cast<ssize_t>(size)) return 0;

  std::vector<aiir::ZipMember> members;
  std::string error;
  if (!aiir::list_zip(path, members, error, kMaxMembers)) {
    if (error.empty()) __builtin_trap();  // a failure must say why
    return 0;
  }
  if (members.size() > kMaxMembers) __builtin_trap();
  for (const aiir::ZipMember& m : members) {
    error.clear();
    const bool ok = aiir::read_zip_member(path, m, kCap, inflater, out, error);
    if (!ok && error.empty()) __builtin_trap();
    if (ok && (out.size() != m.size || out.size() > kCap)) __builtin_trap();
  }
  return 0;
}
