// SPDX-License-Identifier: Apache-2.0
// Buffered output to a file descriptor (stdout) that treats a closed pipe
// (`aiir events | head`) as a quiet end, not an error.
#pragma once

#include <string>
#include <string_view>

namespace aiir {

class FdOutput {
 public:
  explicit FdOutput(int fd) : fd_(fd) {}
  ~FdOutput() { flush(); }
  FdOutput(const FdOutput&) = delete;
  FdOutput& operator=(const FdOutput&) = delete;

  void write(std::string_view bytes) {
    if (closed_) return;
    if (bytes.size() >= kFlushAt / 4) {  // large spans go straight out, without a copy
      flush();
      write_all(bytes);
      return;
    }
    buf_ += bytes;
    if (buf_.size() >= kFlushAt) flush();
  }
  std::string& buffer() { return buf_; }
  void maybe_flush() {
    if (buf_.size() >= kFlushAt) flush();
  }
  void flush();
  /// True once the reader went away (EPIPE) or a write failed.
  bool closed() const noexcept { return closed_; }
  /// True when a write failed for a reason other than a closed pipe (disk full).
  bool failed() const noexcept { return failed_; }

 private:
  void write_all(std::string_view bytes);
  static constexpr std::size_t kFlushAt = 1 << 20;
  int fd_;
  std::string buf_;
  bool closed_ = false;
  bool failed_ = false;
};

}  // namespace aiir
