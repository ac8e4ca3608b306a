// SPDX-License-Identifier: Apache-2.0
// Text normalization before matching (invocation.md §5.2): invisible and hidden
// characters inventoried and stripped (tag smuggling, Sneaky Bits and
// variation-selector payloads decoded), NFKC, case folding, confusables mapped
// to ASCII look-alikes, spaced letters collapsed, a leetspeak view, and
// base64 / hex / URL / ROT13 segments decoded into extra views.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace aiir::content {

/// Hidden or encoded text found while normalizing. Kinds:
/// "tag_smuggling", "sneaky_bits", "variation_selector" (decoded payloads),
/// "zero_width" (inside a Latin word), "bidi", "private_use", "homoglyph"
/// (mixed-script word; `decoded` is its ASCII skeleton; for "bidi", the text
/// under right-to-left overrides as displayed, reversed), "base64", "hex",
/// "url", "rot13" (decoded segments). `decoded` is attacker text: escape it.
struct HiddenText {
  std::string_view kind;      ///< static string
  std::string decoded;        ///< capped at NormalizeOptions::max_hidden_bytes
  std::size_t count = 1;      ///< characters (invisible kinds) or segments
  std::uint32_t origin = 0;   ///< canonical offset of the appended text it came from
};

/// How an extra view was derived.
/// kReversed: the text as displayed, each run under a right-to-left override
/// (U+202E, up to its U+202C/U+2069 or the end of the line) reversed.
enum class ViewKind : std::uint8_t { kCollapsed, kLeet, kRot13, kDecoded, kReversed };

/// The normalized text plus the extra views signatures must also see.
/// `canonical` has invisible characters removed, NFKC, case folding and
/// confusables in mixed-script words mapped to ASCII; whitespace is kept.
struct NormalizedText {
  std::string canonical;
  std::vector<std::string> views;           ///< extra views, scanned like canonical
  std::vector<ViewKind> view_kinds;         ///< parallel to views
  std::vector<std::uint32_t> view_origin;   ///< canonical offset the view maps to (decoded: piece start)
  std::vector<HiddenText> hidden;
  /// For the kCollapsed view: collapsed byte offset -> canonical byte offset.
  std::vector<std::uint32_t> collapsed_map;
  std::size_t decoded_bytes = 0;            ///< decoded text budget used
  /// Cheap hints gathered while appending (kHint* bits), so finish() builds
  /// the collapsed and leet views only when they can differ.
  std::uint8_t hints = 0;
  static constexpr std::uint8_t kHintSpaced = 1, kHintLeet = 2;

  void clear() noexcept;
  /// Canonical offset for a byte offset in view `view` (-1: canonical itself).
  std::uint32_t to_canonical(int view, std::size_t offset) const noexcept;
};

struct NormalizeOptions {
  int max_decode_depth = 2;               ///< nested decoding levels (base64 of base64: 2)
  std::size_t max_decoded_bytes = 64 * 1024;  ///< decoded text per NormalizedText
  std::size_t max_hidden_bytes = 512;     ///< kept per HiddenText::decoded
  std::size_t min_base64 = 20;            ///< shortest base64 run decoded
  std::size_t min_hex = 32;               ///< shortest hex run decoded
  std::size_t min_url_escapes = 3;        ///< %XX escapes needed to URL-decode a run
  double min_printable = 0.9;             ///< share of printable characters to keep a decode
  /// finish() adds the ROT13 view when the canonical text matches
  /// kRot13Trigger. False when a SignatureSet adds it instead: the set finds the
  /// trigger in the pass it makes over the canonical text anyway.
  bool rot13_view = true;
};

/// When a text gets a ROT13 view: it names ROT13 or a Caesar shift, or holds
/// the ROT13 of a trigger word (ignore, disregard, previous, instruction,
/// system, prompt, password, secret, jailbreak). Matched on the canonical text.
inline constexpr std::string_view kRot13Trigger =
    "rot-?13|rot 13|caesar|vtaber|qvfertneq|cerivbhf|vafgehpgvba|flfgrz|cebzcg|cnffjbeq|frperg|wnvyoernx";

/// Appends the ROT13 of the canonical text as a view (once).
void add_rot13_view(NormalizedText& text);

/// Normalizes text. Holds ICU handles and scratch buffers: one per thread.
/// Construction may throw aiir::Error (ICU data missing); normalizing never
/// throws and never crashes on invalid UTF-8 (replaced by U+FFFD).
class TextNormalizer {
 public:
  explicit TextNormalizer(NormalizeOptions options = {});
  ~TextNormalizer();
  TextNormalizer(const TextNormalizer&) = delete;
  TextNormalizer& operator=(const TextNormalizer&) = delete;

  /// Normalizes one text into `out` (cleared first) and builds the views.
  void normalize(std::string_view text, NormalizedText& out);
  NormalizedText normalize(std::string_view text);

  /// Appends one text to `out.canonical` (a '\n' separates it from the
  /// previous one) and adds its decoded views and hidden texts. Returns the
  /// canonical offset where it starts. Call finish() after the last append.
  std::uint32_t append(std::string_view text, NormalizedText& out);
  /// Builds the whole-text views (collapsed letters, leet, ROT13).
  void finish(NormalizedText& out);

  const NormalizeOptions& options() const noexcept { return options_; }

  struct Impl;  ///< ICU handles and scratch; defined in normalize_text.cpp

 private:
  NormalizeOptions options_;
  std::unique_ptr<Impl> impl_;
};

/// Decoding helpers, exposed for tests and for attachments.h.
namespace detail {
/// Standard or URL-safe base64, padding optional. False on bad input.
bool decode_base64(std::string_view in, std::string& out);
bool decode_hex(std::string_view in, std::string& out);
/// %XX decoding; false if nothing was escaped.
bool decode_url(std::string_view in, std::string& out);
void rot13(std::string_view in, std::string& out);
/// Share of printable characters; 0 if not valid UTF-8.
double printable_ratio(std::string_view bytes) noexcept;

/// True when `s` holds `need` (> 0) consecutive base64-alphabet bytes
/// (letters, digits, '+', '/', '-', '_', and '=' when `with_padding`).
bool has_base64_run(std::string_view s, std::size_t need, bool with_padding) noexcept;
}  // namespace detail

}  // namespace aiir::content
