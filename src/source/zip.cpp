// SPDX-License-Identifier: Apache-2.0
#include "source/zip.h"

#include <fcntl.h>
#include <libdeflate.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "source/reader.h"
#include "util/open_evidence.h"

namespace aiir {
namespace {

constexpr std::uint32_t kEocd = 0x06054b50, kZip64Locator = 0x07064b50, kZip64Eocd = 0x06064b50,
                        kCentral = 0x02014b50, kLocal = 0x04034b50;

std::uint16_t u16(const unsigned char* p) { return static_cast<std::uint16_t>(p[0] | p[1] << 8); }
std::uint32_t u32(const unsigned char* p) {
  return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
         static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}
std::uint64_t u64(const unsigned char* p) { return u32(p) | static_cast<std::uint64_t>(u32(p + 4)) << 32; }

/// An open archive, closed on scope exit.
struct Fd {
  int fd = -1;
  explicit Fd(const std::string& path) : fd(open_evidence(path)) {}
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

/// Reads exactly `n` bytes at `offset`; false on error or a short file.
bool read_at(int fd, std::uint64_t offset, std::size_t n, unsigned char* out) {
  std::size_t got = 0;
  while (got < n) {
    ssize_t r = ::pread(fd, out + got, n - got, static_cast<off_t>(offset + got));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    got += static_cast<std::size_t>(r);
  }
  return true;
}

}  // namespace

bool list_zip(const std::string& path, std::vector<ZipMember>& out, std::string& error, std::size_t max_members) {
  Fd f(path);
  if (f.fd < 0) {
    error = std::strerror(errno);
    return false;
  }
  struct stat st {};
  if (::fstat(f.fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    error = "not a regular file";
    return false;
  }
  const auto file_size = static_cast<std::uint64_t>(st.st_size);
  // The end-of-central-directory record: in the last 22 + 65535 bytes (comment).
  const std::size_t tail_len = static_cast<std::size_t>(std::min<std::uint64_t>(file_size, 22 + 65535));
  if (tail_len < 22) {
    error = "too short for a zip archive";
    return false;
  }
  std::vector<unsigned char> tail(tail_len);
  const std::uint64_t tail_at = file_size - tail_len;
  if (!read_at(f.fd, tail_at, tail_len, tail.data())) {
    error = "cannot read the end of the archive";
    return false;
  }
  std::size_t eocd = std::string::npos;
  for (std::size_t i = tail_len - 22 + 1; i-- > 0;) {
    if (u32(&tail[i]) == kEocd && i + 22 + u16(&tail[i + 20]) <= tail_len) {
      eocd = i;
      break;
    }
  }
  if (eocd == std::string::npos) {
    error = "no end-of-central-directory record (not a zip archive, or cut short)";
    return false;
  }
  std::uint64_t entries = u16(&tail[eocd + 10]);
  std::uint64_t cd_size = u32(&tail[eocd + 12]);
  std::uint64_t cd_offset = u32(&tail[eocd + 16]);
  if (u16(&tail[eocd + 4]) != 0 || u16(&tail[eocd + 6]) != 0) {
    error = "a multi-part (spanned) zip archive";
    return false;
  }
  // Zip64: a locator just before the record points at the zip64 record.
  if (eocd >= 20 && u32(&tail[eocd - 20]) == kZip64Locator) {
    const std::uint64_t at = u64(&tail[eocd - 20 + 8]);
    unsigned char z[56];
    if (at + 56 > file_size || !read_at(f.fd, at, sizeof z, z) || u32(z) != kZip64Eocd) {
      error = "damaged zip64 end-of-central-directory record";
      return false;
    }
    entries = u64(z + 32);
    cd_size = u64(z + 40);
    cd_offset = u64(z + 48);
  }
  if (cd_offset > file_size || cd_size > file_size - cd_offset) {
    error = "the central directory lies outside the file";
    return false;
  }
  if (entries > max_members) {
    error = fmt::format("{} members, more than the {} read", entries, max_members);
    return false;
  }
  std::vector<unsigned char> cd(static_cast<std::size_t>(cd_size));
  if (cd_size > 0 && !read_at(f.fd, cd_offset, cd.size(), cd.data())) {
    error = "cannot read the central directory";
    return false;
  }
  std::size_t pos = 0;
  for (std::uint64_t k = 0; k < entries; ++k) {
    if (pos + 46 > cd.size() || u32(&cd[pos]) != kCentral) {
      error = fmt::format("central directory damaged at member {}", k);
      return false;
    }
    const unsigned char* h = &cd[pos];
    const std::size_t name_len = u16(h + 28), extra_len = u16(h + 30), comment_len = u16(h + 32);
    if (pos + 46 + name_len + extra_len + comment_len > cd.size()) {
      error = fmt::format("central directory damaged at member {}", k);
      return false;
    }
    ZipMember m;
    m.encrypted = (u16(h + 8) & 1) != 0;
    m.method = u16(h + 10);
    m.crc = u32(h + 16);
    m.compressed = u32(h + 20);
    m.size = u32(h + 24);
    m.header_offset = u32(h + 42);
    m.name.assign(reinterpret_cast<const char*>(h + 46), name_len);
    // Zip64 extra field: the 64-bit values of the fields saturated above, in order.
    const unsigned char* x = h + 46 + name_len;
    for (std::size_t e = 0; e + 4 <= extra_len;) {
      const std::uint16_t id = u16(x + e), len = u16(x + e + 2);
      if (e + 4 + len > extra_len) break;
      if (id == 0x0001) {
        std::size_t q = e + 4;
        auto take = [&](std::uint64_t& v) {
          if (v != 0xffffffffu || q + 8 > e + 4 + len) return;
          v = u64(x + q);
          q += 8;
        };
        take(m.size);
        take(m.compressed);
        take(m.header_offset);
      }
      e += 4 + len;
    }
    pos += 46 + name_len + extra_len + comment_len;
    if (!m.name.empty() && m.name.back() == '/') continue;  // a folder
    out.push_back(std::move(m));
  }
  return true;
}

bool read_zip_member(const std::string& path, const ZipMember& m, std::uint64_t cap, libdeflate_decompressor* inflater,
                     PaddedBuffer& out, std::string& error) {
  out.clear();
  if (m.encrypted) {
    error = "encrypted zip member: not read (extract it with its password and scan the folder)";
    return false;
  }
  if (m.method != 0 && m.method != 8) {
    error = fmt::format("zip compression method {} is not supported (stored and deflate are); extract it and scan "
                        "the folder",
                        m.method);
    return false;
  }
  if (m.size > cap) {
    error = fmt::format("zip member of {} bytes, over --max-file-bytes ({} bytes); raise the cap to read it", m.size,
                        cap);
    return false;
  }
  Fd f(path);
  if (f.fd < 0) {
    error = std::strerror(errno);
    return false;
  }
  unsigned char h[30];
  if (!read_at(f.fd, m.header_offset, sizeof h, h) || u32(h) != kLocal) {
    error = "damaged zip member: no local header where the central directory points";
    return false;
  }
  const std::uint64_t data_at = m.header_offset + 30 + u16(h + 26) + u16(h + 28);
  // The listed sizes are the archive's word: check them against the file
  // before allocating anything.
  struct stat st {};
  if (::fstat(f.fd, &st) != 0 || data_at > static_cast<std::uint64_t>(st.st_size) ||
      m.compressed > static_cast<std::uint64_t>(st.st_size) - data_at) {
    error = "damaged zip member: its data is cut short";
    return false;
  }
  std::vector<unsigned char> stored(static_cast<std::size_t>(m.compressed));
  if (!stored.empty() && !read_at(f.fd, data_at, stored.size(), stored.data())) {
    error = "damaged zip member: its data is cut short";
    return false;
  }
  out.resize(static_cast<std::size_t>(m.size));
  if (m.method == 0) {
    if (m.compressed != m.size) {
      error = "damaged zip member: stored sizes disagree";
      out.clear();
      return false;
    }
    if (!stored.empty()) std::memcpy(out.data(), stored.data(), stored.size());
  } else {
    std::size_t got = 0;
    const libdeflate_result r =
        libdeflate_deflate_decompress(inflater, stored.data(), stored.size(), out.data(), out.size(), &got);
    if (r != LIBDEFLATE_SUCCESS || got != m.size) {
      error = "damaged zip member: it does not inflate to its listed size";
      out.clear();
      return false;
    }
  }
  if (libdeflate_crc32(0, out.data(), out.size()) != m.crc) {
    error = "damaged zip member: CRC-32 mismatch";
    out.clear();
    return false;
  }
  return true;
}

}  // namespace aiir
