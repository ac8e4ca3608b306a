// SPDX-License-Identifier: Apache-2.0
// Text of a PDF sent to a model as a document (formats.md §4.5, Converse
// `document` blocks): a small, bounded extractor for attacker-controlled bytes.
// It finds `stream` ... `endstream` objects, inflates /FlateDecode ones
// (libdeflate, zlib salvage for damaged or oversized data) and collects the
// strings shown by the text operators Tj, TJ, ' and " (literal strings with
// escapes, hex strings). No fonts, no ToUnicode maps, no layout: bytes are
// read as WinAnsi/Latin-1 (UTF-16BE with a byte order mark), and text pieces
// are joined by spaces, streams by newlines. Everything it leaves out is
// counted in PdfTextStats.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

struct libdeflate_decompressor;

namespace aiir::content {

/// Caps of one extraction. Defaults are what the content stage uses.
struct PdfTextLimits {
  std::size_t max_text_bytes = 256u << 10;       ///< extracted text (UTF-8) per document
  std::size_t max_stream_inflated = 4u << 20;    ///< inflated bytes kept per stream
  std::size_t max_total_inflated = 16u << 20;    ///< inflate work per document (bytes of output tried)
  std::size_t max_streams = 4096;                ///< stream objects looked at per document
  std::size_t max_string_bytes = 64u << 10;      ///< bytes kept of one string operand
};

/// What one extraction saw and what it left out.
struct PdfTextStats {
  std::uint32_t streams = 0;          ///< stream objects found
  std::uint32_t streams_read = 0;     ///< scanned for text operators (plain, or inflated in whole or in part)
  /// Streams that may hold text but were not read: a filter other than
  /// FlateDecode (alone), data that does not inflate at all, the document's
  /// inflate budget spent, or past `max_streams`.
  std::uint32_t streams_skipped = 0;
  bool inflate_capped = false;  ///< a stream inflated past `max_stream_inflated` (only its start was read)
  bool damaged = false;         ///< a stream without `endstream`, or Flate data that inflated only in part
  bool encrypted = false;       ///< the document is encrypted (/Encrypt): no text read
  bool text_capped = false;     ///< `max_text_bytes` reached
  /// True when every stream that may hold text was read in whole.
  bool complete() const noexcept {
    return streams_skipped == 0 && !inflate_capped && !damaged && !encrypted && !text_capped;
  }
};

/// Reusable extractor (one per thread: it owns a decompressor and a buffer).
class PdfTextExtractor {
 public:
  explicit PdfTextExtractor(PdfTextLimits limits = {});
  ~PdfTextExtractor();
  PdfTextExtractor(const PdfTextExtractor&) = delete;
  PdfTextExtractor& operator=(const PdfTextExtractor&) = delete;

  /// Replaces `text` with the text of `pdf` (valid UTF-8, at most
  /// `max_text_bytes`) and `stats` with what was read. Never throws except
  /// std::bad_alloc; any byte sequence is accepted (no PDF header needed).
  void extract(std::string_view pdf, std::string& text, PdfTextStats& stats);

  const PdfTextLimits& limits() const noexcept { return limits_; }

 private:
  PdfTextLimits limits_;
  libdeflate_decompressor* inflater_ = nullptr;
  std::unique_ptr<unsigned char[]> buf_;
  std::size_t buf_cap_ = 0;
  std::size_t work_ = 0;  ///< inflate work spent on the current document
  std::string str_;       ///< the current string operand, decoded

  /// Inflates zlib (or raw deflate) `in` into buf_ (`out` views it); false
  /// when nothing inflates.
  bool inflate(std::string_view in, std::string_view& out, PdfTextStats& stats);
  std::string_view salvage(std::string_view in, std::size_t cap, bool raw);
  void reserve(std::size_t n);
  /// Appends the text shown by `content`'s operators; false once the text cap is reached.
  bool scan_content(std::string_view content, std::string& text, PdfTextStats& stats);
};

/// One-shot convenience (tests, fuzzing): a fresh extractor per call.
PdfTextStats extract_pdf_text(std::string_view pdf, std::string& text, const PdfTextLimits& limits = {});

}  // namespace aiir::content
