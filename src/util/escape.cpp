// SPDX-License-Identifier: Apache-2.0
// Escaping of attacker-controlled log text for JSON, terminal, Markdown, CSV and HTML output.
//
// Each escaper scans for the bytes that need work and appends the clean runs
// between them in one piece. ASCII is classified through a 128-entry table;
// bytes >= 0x80 go through a strict UTF-8 decoder (Unicode table 3-7), so
// overlong forms, surrogates and truncated sequences count as invalid.
#include "util/escape.h"

#include <simdjson.h>

#include <array>
#include <cstdint>
#include <cstring>

namespace aiir {
namespace detail {

Utf8Step decode_utf8(const unsigned char* p, std::size_t n) noexcept {
  const unsigned char c = p[0];
  if (c < 0x80) return {c, 1, true};
  // Lead byte -> number of continuation bytes and the allowed range of the
  // first continuation byte (which excludes overlongs, surrogates, > U+10FFFF).
  unsigned need = 0;
  unsigned char lo = 0x80, hi = 0xBF;
  char32_t cp = 0;
  if (c >= 0xC2 && c <= 0xDF) {
    need = 1;
    cp = c & 0x1Fu;
  } else if (c >= 0xE0 && c <= 0xEF) {
    need = 2;
    cp = c & 0x0Fu;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    need = 3;
    cp = c & 0x07u;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return {0, 1, false};  // 80..C1, F5..FF: never valid as a lead byte
  }
  for (unsigned k = 1; k <= need; ++k) {
    if (k >= n) return {0, k, false};  // truncated: the valid prefix is one error
    const unsigned char b = p[k];
    const unsigned char l = k == 1 ? lo : 0x80;
    const unsigned char h = k == 1 ? hi : 0xBF;
    if (b < l || b > h) return {0, k, false};
    cp = (cp << 6) | (b & 0x3Fu);
  }
  return {cp, need + 1, true};
}

bool is_invisible_format(char32_t cp) noexcept {
  if (cp < 0xAD) return false;
  if (cp == 0xAD || cp == 0x34F || cp == 0x61C || cp == 0x115F || cp == 0x1160) return true;
  if (cp == 0x17B4 || cp == 0x17B5 || (cp >= 0x180B && cp <= 0x180F)) return true;
  if (cp >= 0x200B && cp <= 0x200F) return true;  // ZWSP, ZWNJ, ZWJ, LRM, RLM
  if (cp >= 0x2028 && cp <= 0x202E) return true;  // LS, PS, LRE, RLE, PDF, LRO, RLO
  if (cp >= 0x2060 && cp <= 0x206F) return true;  // WJ, invisible ops, LRI..PDI, deprecated
  if (cp == 0x3164 || cp == 0xFFA0 || cp == 0xFEFF) return true;
  if (cp >= 0xFE00 && cp <= 0xFE0D) return true;  // variation selectors, not emoji VS15/16
  if (cp >= 0xFFF9 && cp <= 0xFFFB) return true;  // interlinear annotation
  if (cp >= 0x1BCA0 && cp <= 0x1BCA3) return true;
  if (cp >= 0x1D173 && cp <= 0x1D17A) return true;
  if (cp >= 0xE0000 && cp <= 0xE007F) return true;  // tag characters
  if (cp >= 0xE0100 && cp <= 0xE01EF) return true;  // variation selectors supplement
  return false;
}

}  // namespace detail

namespace {

using detail::decode_utf8;
using detail::is_invisible_format;
using detail::Utf8Step;

constexpr char kHex[] = "0123456789ABCDEF";
constexpr char kHexLower[] = "0123456789abcdef";

inline void put(std::string& out, const char* p, std::size_t n) { out.append(p, n); }
inline void put(fmt::memory_buffer& out, const char* p, std::size_t n) { out.append(p, p + n); }
inline void put(std::string& out, char c) { out.push_back(c); }
inline void put(fmt::memory_buffer& out, char c) { out.push_back(c); }
template <class Out>
inline void put(Out& out, std::string_view s) {
  put(out, s.data(), s.size());
}

/// How the visible forms of controls are wrapped for the target format.
enum class Target : std::uint8_t { kTerminal, kMarkdown, kHtml };

template <class Out>
void put_byte_hex(Out& out, unsigned char b) {
  const char buf[4] = {'\\', 'x', kHexLower[b >> 4], kHexLower[b & 0xF]};
  put(out, buf, 4);
}

/// C0 control or DEL rendered visible: \e \n \r \t, else \xNN.
template <class Out>
void put_visible_control(Out& out, unsigned char c) {
  switch (c) {
    case 0x1B: put(out, "\\e", 2); return;
    case '\n': put(out, "\\n", 2); return;
    case '\r': put(out, "\\r", 2); return;
    case '\t': put(out, "\\t", 2); return;
    default: put_byte_hex(out, c); return;
  }
}

/// A code point rendered as <U+XXXX>, with the angle brackets made inert for the target.
template <class Out>
void put_u_plus(Out& out, char32_t cp, Target target) {
  char digits[8];
  int nd = 0;
  char32_t v = cp;
  do {
    digits[nd++] = kHex[v & 0xF];
    v >>= 4;
  } while (v != 0 || nd < 4);
  switch (target) {
    case Target::kTerminal: put(out, "<U+", 3); break;
    case Target::kMarkdown: put(out, "\\<U\\+", 5); break;
    case Target::kHtml: put(out, "&lt;U+", 6); break;
  }
  while (nd > 0) put(out, digits[--nd]);
  switch (target) {
    case Target::kTerminal: put(out, '>'); break;
    case Target::kMarkdown: put(out, "\\>", 2); break;
    case Target::kHtml: put(out, "&gt;", 4); break;
  }
}

/// Handles one non-ASCII step for the visible-rendering escapers. Returns true
/// when the code point can be copied as is.
template <class Out>
bool put_visible_non_ascii(Out& out, const unsigned char* p, const Utf8Step& s, Target target) {
  if (!s.valid) {
    for (unsigned k = 0; k < s.length; ++k) put_byte_hex(out, p[k]);
    return false;
  }
  if ((s.code_point >= 0x80 && s.code_point <= 0x9F) || is_invisible_format(s.code_point)) {
    put_u_plus(out, s.code_point, target);
    return false;
  }
  return true;
}

// ---------------------------------------------------------------- JSON

constexpr std::array<std::uint8_t, 128> make_json_table() {
  std::array<std::uint8_t, 128> t{};
  for (int c = 0; c < 0x20; ++c) t[static_cast<std::size_t>(c)] = 1;
  t['"'] = 1;
  t['\\'] = 1;
  t[0x7F] = 1;
  return t;
}
constexpr auto kJsonAscii = make_json_table();

template <class Out>
void put_json_u(Out& out, char32_t unit) {
  const char buf[6] = {'\\', 'u', kHexLower[(unit >> 12) & 0xF], kHexLower[(unit >> 8) & 0xF],
                       kHexLower[(unit >> 4) & 0xF], kHexLower[unit & 0xF]};
  put(out, buf, 6);
}

/// True when any of the 8 bytes at `p` is < 0x20, '"', '\\', DEL or >= 0x80
/// (SWAR: "has less than" and "has zero byte" bit tricks).
inline bool word_needs_json_work(const unsigned char* p) noexcept {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL, kHigh = 0x8080808080808080ULL;
  std::uint64_t w;
  std::memcpy(&w, p, 8);
  auto has_zero = [](std::uint64_t v) { return (v - kOnes) & ~v & kHigh; };
  std::uint64_t below_space = (w - kOnes * 0x20) & ~w & kHigh;
  std::uint64_t quote = has_zero(w ^ (kOnes * '"'));
  std::uint64_t backslash = has_zero(w ^ (kOnes * '\\'));
  std::uint64_t del = has_zero(w ^ (kOnes * 0x7F));
  return (below_space | quote | backslash | del | (w & kHigh)) != 0;
}

template <class Out>
bool json_impl(Out& out, std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t i = 0, run = 0;
  bool repaired = false;
  put(out, '"');
  while (i < n) {
    // Fast path: skip 8 plain ASCII bytes at a time (no control, quote,
    // backslash or non-ASCII byte among them); most log text is like that.
    while (i + 8 <= n && !word_needs_json_work(p + i)) i += 8;
    if (i >= n) break;
    const unsigned char c = p[i];
    if (c < 0x80) {
      if (kJsonAscii[c] == 0) {
        ++i;
        continue;
      }
      put(out, text.data() + run, i - run);
      switch (c) {
        case '"': put(out, "\\\"", 2); break;
        case '\\': put(out, "\\\\", 2); break;
        case '\n': put(out, "\\n", 2); break;
        case '\r': put(out, "\\r", 2); break;
        case '\t': put(out, "\\t", 2); break;
        case '\b': put(out, "\\b", 2); break;
        case '\f': put(out, "\\f", 2); break;
        default: put_json_u(out, c); break;
      }
      run = ++i;
      continue;
    }
    const Utf8Step s = decode_utf8(p + i, n - i);
    if (s.valid && s.code_point > 0x9F && !is_invisible_format(s.code_point)) {
      i += s.length;
      continue;
    }
    put(out, text.data() + run, i - run);
    if (!s.valid) {
      put(out, "\xEF\xBF\xBD", 3);
      repaired = true;
    } else if (s.code_point > 0xFFFF) {
      const char32_t v = s.code_point - 0x10000;
      put_json_u(out, 0xD800 + (v >> 10));
      put_json_u(out, 0xDC00 + (v & 0x3FF));
    } else {
      put_json_u(out, s.code_point);
    }
    i += s.length;
    run = i;
  }
  put(out, text.data() + run, n - run);
  put(out, '"');
  return repaired;
}

// ---------------------------------------------------------------- terminal

template <class Out>
void terminal_impl(Out& out, std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t i = 0, run = 0;
  while (i < n) {
    const unsigned char c = p[i];
    if (c >= 0x20 && c < 0x7F) {
      ++i;
      continue;
    }
    if (c < 0x80) {
      put(out, text.data() + run, i - run);
      put_visible_control(out, c);
      run = ++i;
      continue;
    }
    const Utf8Step s = decode_utf8(p + i, n - i);
    if (s.valid && s.code_point > 0x9F && !is_invisible_format(s.code_point)) {
      i += s.length;
      continue;
    }
    put(out, text.data() + run, i - run);
    put_visible_non_ascii(out, p + i, s, Target::kTerminal);
    i += s.length;
    run = i;
  }
  put(out, text.data() + run, n - run);
}

// ---------------------------------------------------------------- Markdown

// 0 = clean, 1 = always backslash-escape, 2 = control, 3 = depends on context.
constexpr std::array<std::uint8_t, 128> make_markdown_table() {
  std::array<std::uint8_t, 128> t{};
  for (int c = 0; c < 0x20; ++c) t[static_cast<std::size_t>(c)] = 2;
  t[0x7F] = 2;
  for (char c : std::string_view("\\`*_[]()<>#|!~&$@")) t[static_cast<unsigned char>(c)] = 1;
  for (char c : std::string_view(":.-+=")) t[static_cast<unsigned char>(c)] = 3;
  return t;
}
constexpr auto kMarkdownAscii = make_markdown_table();

constexpr bool is_alnum(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/// Whether a context-dependent character at `i` must be escaped.
bool markdown_context_escape(const unsigned char* p, std::size_t n, std::size_t i) {
  const unsigned char c = p[i];
  switch (c) {
    case ':':  // scheme separator of an autolink: http://, https://, ftp://
      return i + 2 < n && p[i + 1] == '/' && p[i + 2] == '/';
    case '.': {
      // Domain dots (www.evil.com, evil.com, 10.0.0.1) for linkifiers with
      // fuzzy links, and "1." at the start (an ordered list marker).
      if (i > 0 && i + 1 < n && is_alnum(p[i - 1]) && is_alnum(p[i + 1])) return true;
      std::size_t k = 0;
      while (k < i && p[k] >= '0' && p[k] <= '9') ++k;
      return k == i && i > 0;
    }
    default:  // - + = start a list, a list or a setext heading at line start
      return i == 0;
  }
}

template <class Out>
void markdown_inline_impl(Out& out, std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t i = 0, run = 0;
  while (i < n) {
    const unsigned char c = p[i];
    if (c < 0x80) {
      const std::uint8_t kind = kMarkdownAscii[c];
      if (kind == 0 || (kind == 3 && !markdown_context_escape(p, n, i))) {
        ++i;
        continue;
      }
      put(out, text.data() + run, i - run);
      if (kind == 2) {
        put_visible_control(out, c);
      } else {
        put(out, '\\');
        put(out, static_cast<char>(c));
      }
      run = ++i;
      continue;
    }
    const Utf8Step s = decode_utf8(p + i, n - i);
    if (s.valid && s.code_point > 0x9F && !is_invisible_format(s.code_point)) {
      i += s.length;
      continue;
    }
    put(out, text.data() + run, i - run);
    put_visible_non_ascii(out, p + i, s, Target::kMarkdown);
    i += s.length;
    run = i;
  }
  put(out, text.data() + run, n - run);
}

template <class Out>
void markdown_code_impl(Out& out, std::string_view text, bool in_table) {
  if (text.empty()) return;
  std::size_t longest = 0, current = 0;
  bool all_spaces = true;
  for (char c : text) {
    current = c == '`' ? current + 1 : 0;
    if (current > longest) longest = current;
    if (c != ' ') all_spaces = false;
  }
  const std::size_t fence = longest + 1;
  const bool pad = text.front() == '`' || text.back() == '`' ||
                   (text.front() == ' ' && text.back() == ' ' && !all_spaces);
  for (std::size_t k = 0; k < fence; ++k) put(out, '`');
  if (pad) put(out, ' ');

  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t i = 0, run = 0;
  while (i < n) {
    const unsigned char c = p[i];
    if (c >= 0x20 && c < 0x7F && !(c == '|' && in_table)) {
      ++i;
      continue;
    }
    if (c < 0x80) {
      put(out, text.data() + run, i - run);
      if (c == '|') {
        put(out, "\\|", 2);
      } else {
        put_visible_control(out, c);
      }
      run = ++i;
      continue;
    }
    const Utf8Step s = decode_utf8(p + i, n - i);
    if (s.valid && s.code_point > 0x9F && !is_invisible_format(s.code_point)) {
      i += s.length;
      continue;
    }
    put(out, text.data() + run, i - run);
    put_visible_non_ascii(out, p + i, s, Target::kTerminal);
    i += s.length;
    run = i;
  }
  put(out, text.data() + run, n - run);
  if (pad) put(out, ' ');
  for (std::size_t k = 0; k < fence; ++k) put(out, '`');
}

// ---------------------------------------------------------------- CSV

bool csv_needs_guard(const unsigned char* p, std::size_t n) {
  if (n == 0) return false;
  switch (p[0]) {
    case '=': case '+': case '-': case '@': case '\t': case '\r': return true;
    default: break;
  }
  if (p[0] < 0x80) return false;
  const Utf8Step s = decode_utf8(p, n);
  // Full-width forms that some spreadsheets normalise to = + - @.
  return s.valid && (s.code_point == 0xFF1D || s.code_point == 0xFF0B ||
                     s.code_point == 0xFF0D || s.code_point == 0xFF20);
}

template <class Out>
void csv_impl(Out& out, std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  put(out, '"');
  if (csv_needs_guard(p, n)) put(out, '\'');
  std::size_t i = 0, run = 0;
  while (i < n) {
    const unsigned char c = p[i];
    if (c >= 0x20 && c < 0x7F && c != '"') {
      ++i;
      continue;
    }
    if (c < 0x80) {
      put(out, text.data() + run, i - run);
      if (c == '"') {
        put(out, "\"\"", 2);
      } else {
        put_visible_control(out, c);
      }
      run = ++i;
      continue;
    }
    const Utf8Step s = decode_utf8(p + i, n - i);
    if (s.valid && s.code_point > 0x9F && !is_invisible_format(s.code_point)) {
      i += s.length;
      continue;
    }
    put(out, text.data() + run, i - run);
    put_visible_non_ascii(out, p + i, s, Target::kTerminal);
    i += s.length;
    run = i;
  }
  put(out, text.data() + run, n - run);
  put(out, '"');
}

// ---------------------------------------------------------------- HTML

template <class Out>
void html_impl(Out& out, std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t i = 0, run = 0;
  while (i < n) {
    const unsigned char c = p[i];
    if (c < 0x80) {
      const bool clean = (c >= 0x20 && c < 0x7F && c != '&' && c != '<' && c != '>' && c != '"' &&
                          c != '\'') ||
                         c == '\n' || c == '\t';
      if (clean) {
        ++i;
        continue;
      }
      put(out, text.data() + run, i - run);
      switch (c) {
        case '&': put(out, "&amp;", 5); break;
        case '<': put(out, "&lt;", 4); break;
        case '>': put(out, "&gt;", 4); break;
        case '"': put(out, "&quot;", 6); break;
        case '\'': put(out, "&#39;", 5); break;
        default: put_visible_control(out, c); break;
      }
      run = ++i;
      continue;
    }
    const Utf8Step s = decode_utf8(p + i, n - i);
    if (s.valid && s.code_point > 0x9F && !is_invisible_format(s.code_point)) {
      i += s.length;
      continue;
    }
    put(out, text.data() + run, i - run);
    put_visible_non_ascii(out, p + i, s, Target::kHtml);
    i += s.length;
    run = i;
  }
  put(out, text.data() + run, n - run);
}

}  // namespace

bool append_json_string(std::string& out, std::string_view text) { return json_impl(out, text); }
bool append_json_string(fmt::memory_buffer& out, std::string_view text) {
  return json_impl(out, text);
}
void append_terminal(std::string& out, std::string_view text) { terminal_impl(out, text); }
void append_terminal(fmt::memory_buffer& out, std::string_view text) { terminal_impl(out, text); }
void append_markdown_inline(std::string& out, std::string_view text) {
  markdown_inline_impl(out, text);
}
void append_markdown_inline(fmt::memory_buffer& out, std::string_view text) {
  markdown_inline_impl(out, text);
}
void append_markdown_code(std::string& out, std::string_view text, bool in_table) {
  markdown_code_impl(out, text, in_table);
}
void append_markdown_code(fmt::memory_buffer& out, std::string_view text, bool in_table) {
  markdown_code_impl(out, text, in_table);
}
void append_csv_field(std::string& out, std::string_view text) { csv_impl(out, text); }
void append_csv_field(fmt::memory_buffer& out, std::string_view text) { csv_impl(out, text); }
void append_html_text(std::string& out, std::string_view text) { html_impl(out, text); }
void append_html_text(fmt::memory_buffer& out, std::string_view text) { html_impl(out, text); }

bool is_valid_utf8(std::string_view text) noexcept {
  return simdjson::validate_utf8(text.data(), text.size());
}

std::string sanitize_utf8(std::string_view text, bool* repaired) {
  if (is_valid_utf8(text)) {
    if (repaired != nullptr) *repaired = false;
    return std::string(text);
  }
  std::string out;
  out.reserve(text.size() + 8);
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t i = 0, run = 0;
  while (i < n) {
    if (p[i] < 0x80) {
      ++i;
      continue;
    }
    const Utf8Step s = decode_utf8(p + i, n - i);
    if (s.valid) {
      i += s.length;
      continue;
    }
    out.append(text.data() + run, i - run);
    out.append("\xEF\xBF\xBD");
    i += s.length;
    run = i;
  }
  out.append(text.data() + run, n - run);
  if (repaired != nullptr) *repaired = true;
  return out;
}

}  // namespace aiir
