// SPDX-License-Identifier: Apache-2.0
// Escaping of attacker-controlled log text for where it lands: JSON, terminal, Markdown, CSV, HTML.
//
// Every writer of aiir passes each string that came from a log through one of
// these functions. They append to the caller's buffer, never allocate beyond
// the appended bytes, and copy runs of clean bytes with one append each. The
// exact rules are documented in docs/output-safety.md.
#pragma once

#include <fmt/format.h>

#include <string>
#include <string_view>

namespace aiir {

/// Appends `text` as a quoted JSON string. Control characters (C0, DEL, C1)
/// become \u00XX (\n, \t, ... short forms for the usual ones), U+2028/U+2029
/// and the invisible format characters (bidi overrides, zero-width, tags)
/// become \uXXXX escapes (lossless, safe to print on a terminal). Invalid
/// UTF-8 is replaced by U+FFFD, one per maximal invalid subsequence.
/// Returns true when some bytes had to be replaced (the caller must mark the
/// value as repaired; nothing is dropped silently).
bool append_json_string(std::string& out, std::string_view text);
bool append_json_string(fmt::memory_buffer& out, std::string_view text);

/// Appends `text` for display on a terminal. Nothing that a terminal would
/// interpret is emitted: ESC as `\e`, CR/LF/TAB as `\r` `\n` `\t`, other C0 and
/// DEL as `\xNN`, C1 controls and invisible/bidi format characters as
/// `<U+XXXX>`, each byte of invalid UTF-8 as `\xNN` (always >= \x80, so never
/// confused with a C0 control).
void append_terminal(std::string& out, std::string_view text);
void append_terminal(fmt::memory_buffer& out, std::string_view text);

/// Appends `text` as literal Markdown inline text (paragraphs, list items,
/// table cells): backslash-escapes the Markdown punctuation
/// \ ` * _ [ ] ( ) < > # | ! ~ & $ @, breaks autolinks (`http\://`,
/// `www\.`, domain dots, e-mail `@`), escapes list/heading markers at the
/// start, and renders newlines and controls visible as in append_terminal.
void append_markdown_inline(std::string& out, std::string_view text);
void append_markdown_inline(fmt::memory_buffer& out, std::string_view text);

/// Appends `text` as a Markdown code span, fenced with one backtick more than
/// the longest backtick run inside. Newlines and controls are rendered visible
/// as in append_terminal. With `in_table` (the default) `|` is written as `\|`
/// so that a GFM table row cannot be split (GFM removes that backslash inside
/// table cells; outside a table it would stay visible). Empty text appends nothing.
void append_markdown_code(std::string& out, std::string_view text, bool in_table = true);
void append_markdown_code(fmt::memory_buffer& out, std::string_view text, bool in_table = true);

/// Appends `text` as one RFC 4180 CSV field, always double-quoted, with `"`
/// doubled. A field whose first character is `= + - @`, TAB or CR (or their
/// full-width forms) gets a leading `'` so spreadsheets do not evaluate it.
/// CR, LF and TAB are written as the visible `\r` `\n` `\t` (one record per
/// line); other controls and invalid UTF-8 as in append_terminal.
void append_csv_field(std::string& out, std::string_view text);
void append_csv_field(fmt::memory_buffer& out, std::string_view text);

/// Appends `text` as HTML text content or a quoted attribute value:
/// & < > " ' become entities; LF and TAB stay; other controls, invisible
/// format characters and invalid UTF-8 are rendered visible as in
/// append_terminal (then entity-escaped).
void append_html_text(std::string& out, std::string_view text);
void append_html_text(fmt::memory_buffer& out, std::string_view text);

/// Returns `text` with every maximal invalid UTF-8 subsequence replaced by
/// U+FFFD (overlong forms, surrogates, code points above U+10FFFF, truncated
/// sequences). Sets `*repaired` (when given) to whether anything changed.
std::string sanitize_utf8(std::string_view text, bool* repaired = nullptr);

/// True when `text` is well-formed UTF-8.
bool is_valid_utf8(std::string_view text) noexcept;

namespace detail {

/// One decoding step over UTF-8. `length` is >= 1. When `valid` is false,
/// `length` is the length of the maximal invalid subpart (Unicode 15 §3.9,
/// "U+FFFD substitution of maximal subparts") and `code_point` is undefined.
struct Utf8Step {
  char32_t code_point;
  unsigned length;
  bool valid;
};

/// Decodes one code point at `p` (`n` >= 1 bytes available).
Utf8Step decode_utf8(const unsigned char* p, std::size_t n) noexcept;

/// True for code points that render as nothing or reorder text: soft hyphen,
/// bidi marks/overrides/isolates, zero-width characters, line/paragraph
/// separators, word joiner and invisible operators, BOM, interlinear
/// annotations, Hangul fillers, tag characters, variation selectors
/// (except U+FE0E/U+FE0F emoji presentation).
bool is_invisible_format(char32_t cp) noexcept;

}  // namespace detail

}  // namespace aiir
