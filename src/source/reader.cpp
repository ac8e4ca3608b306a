// SPDX-License-Identifier: Apache-2.0
// File reading and gzip inflation: libdeflate on whole buffers (fast), zlib
// streaming only to salvage the readable part of a damaged member. Members of
// zip archives are read in place (source/zip.h) and then treated as files.
#include "source/reader.h"

#include <fcntl.h>
#include <libdeflate.h>
#include <simdjson.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "source/discover.h"
#include "source/zip.h"
#include "util/open_evidence.h"

namespace aiir {

void PaddedBuffer::reserve(std::size_t n, std::size_t keep) {
  if (n <= capacity_ && data_) return;
  std::size_t cap = capacity_ == 0 ? 1 << 16 : capacity_;
  while (cap < n) cap = cap < (std::size_t{1} << 30) ? cap * 2 : cap + (std::size_t{1} << 30);
  std::unique_ptr<char[]> next(new char[kSlack + cap + simdjson::SIMDJSON_PADDING + kSlack]);
  if (keep > 0) std::memcpy(next.get() + kSlack, data(), keep);
  data_ = std::move(next);
  capacity_ = cap;
}

void PaddedBuffer::resize(std::size_t n) {
  reserve(n, size_);
  size_ = n;
  std::memset(data() + n, 0, simdjson::SIMDJSON_PADDING);
}

void PaddedBuffer::append(std::string_view bytes) {
  reserve(size_ + bytes.size(), size_);
  if (!bytes.empty()) std::memcpy(data() + size_, bytes.data(), bytes.size());  // an empty view's data() may be null
  resize(size_ + bytes.size());
}

FileReader::FileReader(std::uint64_t max_inflated_bytes)
    : max_inflated_(max_inflated_bytes), inflater_(libdeflate_alloc_decompressor()) {}

FileReader::~FileReader() {
  libdeflate_free_decompressor(inflater_);
  if (dir_fd_ >= 0) ::close(dir_fd_);
}

int FileReader::open_input(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  if (slash == std::string::npos || slash == 0) return open_evidence(path);
  const std::string_view dir(path.data(), slash);
  if (dir_fd_ < 0 || dir != dir_) {
    if (dir_fd_ >= 0) ::close(dir_fd_);
    dir_.assign(dir);
    dir_fd_ = ::open(dir_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd_ < 0) return open_evidence(path);  // the whole path gives the error, if any
  }
  return open_evidence_at(dir_fd_, path.c_str() + slash + 1);
}

namespace {

/// Reads the whole of `fd` into `buf`, at most `cap` bytes (the buffer never
/// grows past the cap, whatever size the file claims); `over_cap` tells that
/// more followed. Returns false with errno text on failure.
bool read_all(int fd, std::uint64_t size_hint, std::uint64_t cap, PaddedBuffer& buf, std::string& error,
              bool& over_cap) {
  buf.clear();
  buf.reserve(static_cast<std::size_t>(std::min(size_hint, cap) + (size_hint < cap ? 1 : 0)));
  std::size_t used = 0;
  over_cap = false;
  auto fail = [&] {
    error = std::strerror(errno);
    buf.resize(used);
    return false;
  };
  while (used < cap) {
    if (buf.capacity() - used < 1 << 16 && buf.capacity() < cap) {
      buf.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(std::uint64_t{buf.capacity()} * 2, cap)), used);
    }
    std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(buf.capacity() - used, cap - used));
    ssize_t n = ::read(fd, buf.data() + used, want);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail();
    }
    if (n == 0) {
      buf.resize(used);
      return true;
    }
    used += static_cast<std::size_t>(n);
  }
  // At the cap: one more byte tells whether the file goes on.
  char probe = 0;
  ssize_t n;
  while ((n = ::read(fd, &probe, 1)) < 0 && errno == EINTR) {
  }
  if (n < 0) return fail();
  over_cap = n > 0;
  buf.resize(used);
  return true;
}

}  // namespace

ReadResult FileReader::read(const std::string& path, bool is_stdin, ReadStats& stats) {
  ReadResult result;
  // O_NONBLOCK: a FIFO put where a file was listed must not block the open
  // (it is refused below); it has no effect on regular files.
  int fd = is_stdin ? 0 : open_input(path);
  if (fd < 0) {
    stats.warn(WarningKind::kOpenFailed, path, std::strerror(errno));
    return result;
  }
  struct stat st {};
  std::uint64_t size_hint = 0;
  if (!is_stdin && ::fstat(fd, &st) == 0) {
    if (!S_ISREG(st.st_mode)) {
      ::close(fd);
      stats.warn(WarningKind::kOpenFailed, path, "not a regular file");
      return result;
    }
    size_hint = static_cast<std::uint64_t>(st.st_size);
  }
  std::string error;
  bool over_cap = false;
  // The stored bytes may be gzip, which can be smaller than the cap; cap the
  // raw read at the same limit (a plain file larger than the cap is over it).
  bool ok = read_all(fd, size_hint, max_inflated_, raw_, error, over_cap);
  if (!is_stdin) ::close(fd);
  result.stored_size = raw_.size();
  result.stored = raw_.view();
  result.stored_complete = ok && !over_cap;
  if (!ok) {
    stats.warn(WarningKind::kReadFailed, path, error);
    if (raw_.size() == 0) return result;
  }
  if (!is_stdin && size_hint != raw_.size() && !over_cap) {
    stats.warn(WarningKind::kReadFailed, path,
               fmt::format("file size changed while reading ({} bytes at open, {} read)", size_hint,
                           raw_.size()));
    result.stored_complete = false;
  }
  inflate_stored(path, over_cap, result, stats);
  return result;
}

ReadResult FileReader::read(const InputFile& in, ReadStats& stats) {
  if (in.archive.empty()) return read(in.path, in.is_stdin, stats);
  // A zip member: its bytes, as unzip would write them, are the stored bytes.
  ReadResult result;
  std::string error;
  if (!read_zip_member(in.archive, in.member, max_inflated_, inflater_, raw_, error)) {
    const bool unsupported = in.member.encrypted || (in.member.method != 0 && in.member.method != 8);
    const WarningKind kind = unsupported ? WarningKind::kUnsupported
                             : in.member.size > max_inflated_ ? WarningKind::kOverCap
                                                              : WarningKind::kReadFailed;
    stats.warn(kind, in.path, error);
    return result;
  }
  result.stored_size = raw_.size();
  result.stored = raw_.view();
  result.stored_complete = true;
  inflate_stored(in.path, false, result, stats);
  return result;
}

void FileReader::inflate_stored(const std::string& path, bool over_cap, ReadResult& result, ReadStats& stats) {
  if (is_gzip(raw_.view())) {
    result.compressed = true;
    if (over_cap) {
      stats.warn(WarningKind::kOverCap, path,
                 fmt::format("compressed file larger than --max-file-bytes ({} bytes); raise the cap to read it",
                             max_inflated_));
      return;
    }
    std::string inflate_error;
    if (!inflate(raw_.view(), inflated_, inflate_error)) {
      WarningKind kind = inflate_error.rfind("over", 0) == 0 ? WarningKind::kOverCap : WarningKind::kGzipCorrupt;
      stats.warn(kind, path, inflate_error);
    }
    result.text = inflated_.view();
    result.text_buffer = &inflated_;
  } else {
    if (over_cap) {
      stats.warn(WarningKind::kOverCap, path,
                 fmt::format("file larger than --max-file-bytes ({} bytes); only the first {} bytes read",
                             max_inflated_, max_inflated_));
    }
    result.text = raw_.view();
    result.text_buffer = &raw_;
  }
  result.ok = true;
}

bool FileReader::inflate(std::string_view gz, PaddedBuffer& out, std::string& error) {
  out.clear();
  const auto* in = reinterpret_cast<const unsigned char*>(gz.data());
  std::size_t in_left = gz.size();
  std::size_t used = 0;
  int member = 0;
  while (in_left > 0) {
    if (!is_gzip({reinterpret_cast<const char*>(in), in_left})) {
      // Trailing zeros after the last member are common padding; anything else is damage.
      bool zeros = true;
      for (std::size_t i = 0; i < in_left && zeros; ++i) zeros = in[i] == 0;
      if (!zeros) {
        error = fmt::format("{} bytes of non-gzip data after member {}", in_left, member);
        out.resize(used);
        return false;
      }
      break;
    }
    // First guess: the member's ISIZE trailer (only exact for a single member).
    std::size_t guess = in_left >= 4 ? (std::size_t{in[in_left - 1]} << 24 | std::size_t{in[in_left - 2]} << 16 |
                                        std::size_t{in[in_left - 3]} << 8 | std::size_t{in[in_left - 4]})
                                     : 0;
    if (guess < in_left) guess = in_left * 4;
    for (;;) {
      std::size_t room = std::min<std::size_t>(guess + 1, max_inflated_ - std::min<std::uint64_t>(used, max_inflated_));
      out.reserve(used + room, used);
      std::size_t in_used = 0, out_got = 0;
      libdeflate_result r = libdeflate_gzip_decompress_ex(inflater_, in, in_left, out.data() + used,
                                                          out.capacity() - used, &in_used, &out_got);
      if (r == LIBDEFLATE_SUCCESS) {
        used += out_got;
        in += in_used;
        in_left -= in_used;
        ++member;
        if (used > max_inflated_) {
          error = fmt::format("over --max-file-bytes ({} bytes inflated); raise the cap to read it", max_inflated_);
          out.resize(static_cast<std::size_t>(max_inflated_));
          return false;
        }
        break;
      }
      if (r == LIBDEFLATE_INSUFFICIENT_SPACE) {
        if (out.capacity() - used >= max_inflated_) {
          error = fmt::format("over --max-file-bytes ({} bytes inflated); raise the cap to read it",
                              max_inflated_);
          out.resize(used);
          return false;
        }
        guess = (out.capacity() - used) * 2;
        continue;
      }
      // Damaged or truncated member: salvage what zlib can stream out of it.
      out.resize(used);
      std::size_t before = out.size();
      salvage({reinterpret_cast<const char*>(in), in_left}, out);
      error = fmt::format("gzip member {} is corrupt or truncated; {} bytes recovered from it", member,
                          out.size() - before);
      return false;
    }
  }
  out.resize(used);
  return true;
}

bool FileReader::salvage(std::string_view member, PaddedBuffer& out) {
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return false;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(member.data()));
  zs.avail_in = static_cast<uInt>(std::min<std::size_t>(member.size(), 0xffffffffu));
  std::size_t used = out.size();
  int rc = Z_OK;
  while (rc == Z_OK && used < max_inflated_) {
    out.reserve(used + (1 << 20), used);
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + used);
    zs.avail_out = static_cast<uInt>(std::min<std::size_t>(out.capacity() - used, max_inflated_ - used));
    std::size_t before = zs.avail_out;
    rc = ::inflate(&zs, Z_NO_FLUSH);
    used += before - zs.avail_out;
    if (before == zs.avail_out && rc == Z_OK) break;  // no progress
  }
  inflateEnd(&zs);
  out.resize(used);
  return rc == Z_STREAM_END;
}

}  // namespace aiir
