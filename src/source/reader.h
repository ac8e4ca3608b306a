// SPDX-License-Identifier: Apache-2.0
// File reading and gzip inflation (pipeline stage 1). Inputs are opened
// read-only and never written. gzip is detected by its magic bytes.
#pragma once

#include <aiir/diagnostics.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

struct libdeflate_decompressor;

namespace aiir {

struct InputFile;  // source/discover.h

/// A growable byte buffer with simdjson's padding after the content, so the
/// content can be parsed in place. Reused across files by one worker.
class PaddedBuffer {
 public:
  /// Writable bytes before data() and after the padding: room for the decoder
  /// to wrap JSON Lines into an array in place ('[' before, ']' after the
  /// content, which moves the padding one byte on) instead of copying the file.
  /// A cache line, not one byte: data() keeps new[]'s alignment (reads into a
  /// buffer one byte off took the kernel's copy twice as long).
  static constexpr std::size_t kSlack = 64;

  PaddedBuffer() = default;
  char* data() noexcept { return data_ ? data_.get() + kSlack : nullptr; }
  const char* data() const noexcept { return data_ ? data_.get() + kSlack : nullptr; }
  std::size_t size() const noexcept { return size_; }
  std::size_t capacity() const noexcept { return capacity_; }
  std::string_view view() const noexcept { return {data(), size_}; }
  /// Ensures room for `n` bytes plus padding; keeps the first `keep` bytes.
  void reserve(std::size_t n, std::size_t keep = 0);
  /// Sets the content size (<= capacity) and zeroes the padding after it.
  void resize(std::size_t n);
  void clear() noexcept { size_ = 0; }
  void append(std::string_view bytes);

 private:
  std::unique_ptr<char[]> data_;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

/// The outcome of reading one file.
struct ReadResult {
  bool ok = false;               ///< false: nothing usable (warning raised)
  bool compressed = false;
  std::uint64_t stored_size = 0;
  std::string_view text;         ///< the (inflated) bytes, padded; points into a reader buffer
  PaddedBuffer* text_buffer = nullptr;  ///< that buffer (text is all of it), for decoding in place
  std::string_view stored;       ///< the bytes as stored (before gunzip); points into a reader buffer
  bool stored_complete = false;  ///< `stored` is the whole file (no read error, not cut at the cap)
};

/// Reads files and inflates gzip. One per worker; not thread-safe.
class FileReader {
 public:
  explicit FileReader(std::uint64_t max_inflated_bytes);
  ~FileReader();
  FileReader(const FileReader&) = delete;
  FileReader& operator=(const FileReader&) = delete;

  /// Reads `path` ("-" for stdin). Problems are warned into `stats` with the
  /// path; a corrupt or truncated gzip keeps what inflated before the damage.
  ReadResult read(const std::string& path, bool is_stdin, ReadStats& stats);
  /// Reads a discovered input: a file, stdin, or a member of a zip archive
  /// (read in place, inflated and CRC-checked; gzip inside it inflated too).
  ReadResult read(const InputFile& in, ReadStats& stats);

  /// Inflates gzip bytes (all members) into `out`, capped. Exposed for tests
  /// and for other modules that read gzip (verify, S3 payloads).
  /// Returns false when the data is damaged; `out` then holds what inflated.
  bool inflate(std::string_view gz, PaddedBuffer& out, std::string& error);

 private:
  bool salvage(std::string_view member, PaddedBuffer& out);
  /// open_evidence(path), relative to the previous file's folder when it is
  /// the same one (inputs come in path order, a few per folder: resolving
  /// every folder of the path for each file was most of opening it).
  int open_input(const std::string& path);
  /// Inflates raw_ into inflated_ when it is gzip and sets result.text (and ok).
  void inflate_stored(const std::string& path, bool over_cap, ReadResult& result, ReadStats& stats);
  std::uint64_t max_inflated_;
  libdeflate_decompressor* inflater_ = nullptr;
  PaddedBuffer raw_;
  PaddedBuffer inflated_;
  std::string dir_;   ///< the folder open as dir_fd_ (O_PATH), as the path names it
  int dir_fd_ = -1;
};

inline bool is_gzip(std::string_view bytes) noexcept {
  return bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x1f &&
         static_cast<unsigned char>(bytes[1]) == 0x8b;
}

}  // namespace aiir
