// SPDX-License-Identifier: Apache-2.0
// Bounded PDF text extraction (pdf_text.h). Every loop moves forward through
// its input; every buffer has a cap.
#include "content/pdf_text.h"
#include "util/utf8.h"

#include <libdeflate.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <climits>
#include <optional>

namespace aiir::content {

namespace {

constexpr std::string_view kStream = "stream";
constexpr std::string_view kEndstream = "endstream";
constexpr std::size_t kDictWindow = 64u << 10;  // how far back a stream's dictionary is looked for

bool is_ws(unsigned char c) noexcept { return c == 0 || c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' '; }
bool is_delim(unsigned char c) noexcept {
  return c == '(' || c == ')' || c == '<' || c == '>' || c == '[' || c == ']' || c == '{' || c == '}' || c == '/' ||
         c == '%';
}
bool is_regular(unsigned char c) noexcept { return !is_ws(c) && !is_delim(c); }
unsigned char at(std::string_view s, std::size_t i) noexcept { return static_cast<unsigned char>(s[i]); }

/// Position of the next `stream` keyword at or after `from` (not `endstream`,
/// not part of a longer word), or npos.
std::size_t find_stream(std::string_view pdf, std::size_t from) noexcept {
  while (from < pdf.size()) {
    const std::size_t k = pdf.find(kStream, from);
    if (k == std::string_view::npos) return k;
    const std::size_t after = k + kStream.size();
    const bool before_ok = k == 0 || is_ws(at(pdf, k - 1)) || at(pdf, k - 1) == '>';
    const bool after_ok = after == pdf.size() || is_ws(at(pdf, after));
    if (before_ok && after_ok) return k;
    from = k + 1;
  }
  return std::string_view::npos;
}

/// The `<< ... >>` dictionary that ends right before the `stream` keyword at `k`
/// (empty if there is none within kDictWindow bytes).
std::string_view dict_before(std::string_view pdf, std::size_t k) noexcept {
  std::size_t i = k;
  while (i > 0 && is_ws(at(pdf, i - 1))) --i;
  if (i < 2 || pdf[i - 1] != '>' || pdf[i - 2] != '>') return {};
  const std::size_t end = i;  // one past the closing ">>"
  const std::size_t floor = end > kDictWindow ? end - kDictWindow : 0;
  int depth = 0;
  std::size_t p = end;
  while (p >= floor + 2) {
    if (pdf[p - 1] == '>' && pdf[p - 2] == '>') {
      ++depth;
      p -= 2;
    } else if (pdf[p - 1] == '<' && pdf[p - 2] == '<') {
      if (--depth == 0) return pdf.substr(p - 2, end - (p - 2));
      p -= 2;
    } else {
      --p;
    }
  }
  return {};
}

/// Position just after `key` (a name such as "/Length") in `dict` where the
/// name ends there (so "/Length" does not match "/Length1"), or npos.
std::size_t find_key(std::string_view dict, std::string_view key) noexcept {
  std::size_t from = 0;
  while (from < dict.size()) {
    const std::size_t k = dict.find(key, from);
    if (k == std::string_view::npos) return k;
    const std::size_t after = k + key.size();
    if (after == dict.size() || !is_regular(at(dict, after))) return after;
    from = k + 1;
  }
  return std::string_view::npos;
}

std::size_t skip_ws(std::string_view s, std::size_t i) noexcept {
  while (i < s.size() && is_ws(at(s, i))) ++i;
  return i;
}

/// The name (without '/') at `i` after optional whitespace, or empty.
std::string_view name_at(std::string_view s, std::size_t i) noexcept {
  i = skip_ws(s, i);
  if (i >= s.size() || s[i] != '/') return {};
  const std::size_t b = ++i;
  while (i < s.size() && is_regular(at(s, i))) ++i;
  return s.substr(b, i - b);
}

std::string_view dict_name(std::string_view dict, std::string_view key) noexcept {
  const std::size_t p = find_key(dict, key);
  return p == std::string_view::npos ? std::string_view() : name_at(dict, p);
}

/// A non-negative integer at `i` (after whitespace); `end` is set past it.
std::optional<std::size_t> integer_at(std::string_view s, std::size_t i, std::size_t& end) noexcept {
  i = skip_ws(s, i);
  std::size_t v = 0, digits = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
    if (++digits > 15) return std::nullopt;  // no PDF is that long
    v = v * 10 + static_cast<std::size_t>(s[i] - '0');
    ++i;
  }
  if (digits == 0) return std::nullopt;
  end = i;
  return v;
}

/// /Length when it is a direct integer (an indirect `N 0 R` is not followed).
std::optional<std::size_t> direct_length(std::string_view dict) noexcept {
  const std::size_t p = find_key(dict, "/Length");
  if (p == std::string_view::npos) return std::nullopt;
  std::size_t end = 0;
  const std::optional<std::size_t> n = integer_at(dict, p, end);
  if (!n) return std::nullopt;
  std::size_t end2 = 0;
  if (integer_at(dict, end, end2)) {  // "N G R": an indirect reference
    const std::size_t r = skip_ws(dict, end2);
    if (r < dict.size() && dict[r] == 'R') return std::nullopt;
  }
  return n;
}

/// The stream's filters (at most 8 names; `count` may be larger).
struct Filters {
  std::array<std::string_view, 8> names{};
  std::size_t count = 0;
};

Filters stream_filters(std::string_view dict) noexcept {
  Filters f;
  const std::size_t p = find_key(dict, "/Filter");
  if (p == std::string_view::npos) return f;
  std::size_t i = skip_ws(dict, p);
  if (i < dict.size() && dict[i] == '[') {
    ++i;
    while (i < dict.size() && dict[i] != ']') {
      i = skip_ws(dict, i);
      if (i >= dict.size() || dict[i] != '/') break;
      std::string_view n = name_at(dict, i);
      if (f.count < f.names.size()) f.names[f.count] = n;
      ++f.count;
      i += 1 + n.size();
    }
  } else {
    std::string_view n = name_at(dict, i);
    if (!n.empty()) f.names[f.count++] = n;
  }
  return f;
}

bool is_flate(std::string_view n) noexcept { return n == "FlateDecode" || n == "Fl"; }
bool is_image_filter(std::string_view n) noexcept {
  return n == "DCTDecode" || n == "DCT" || n == "JPXDecode" || n == "CCITTFaxDecode" || n == "CCF" ||
         n == "JBIG2Decode";
}

/// Streams that hold no text operators: images, font programs, cross-reference
/// and object streams, XMP metadata, embedded files.
bool text_free(std::string_view dict) noexcept {
  const std::string_view sub = dict_name(dict, "/Subtype");
  if (sub == "Image" || sub == "Type1C" || sub == "CIDFontType0C" || sub == "OpenType" || sub == "XML") return true;
  const std::string_view type = dict_name(dict, "/Type");
  if (type == "XRef" || type == "ObjStm" || type == "Metadata" || type == "EmbeddedFile") return true;
  for (std::string_view k : {"/Length1", "/Length2", "/Length3"})
    if (find_key(dict, k) != std::string_view::npos) return true;
  return false;
}

/// True when the document says it is encrypted (`/Encrypt` in a trailer or
/// cross-reference stream dictionary): its strings and streams are ciphertext.
bool encrypted(std::string_view pdf) noexcept { return find_key(pdf, "/Encrypt") != std::string_view::npos; }


// WinAnsiEncoding 0x80-0x9F (0: undefined, dropped).
constexpr char32_t kWinAnsi80[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0,      0x017D, 0,      0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};

/// Appends a string operand's bytes to `out` as UTF-8: UTF-16BE after a byte
/// order mark, WinAnsi/Latin-1 otherwise. Controls become spaces or are dropped.
void append_decoded(std::string& out, std::string_view raw) {
  if (raw.size() >= 2 && at(raw, 0) == 0xFE && at(raw, 1) == 0xFF) {
    for (std::size_t i = 2; i + 1 < raw.size(); i += 2) {
      char32_t u = static_cast<char32_t>(at(raw, i) << 8 | at(raw, i + 1));
      if (u >= 0xD800 && u <= 0xDBFF && i + 3 < raw.size()) {
        const char32_t lo = static_cast<char32_t>(at(raw, i + 2) << 8 | at(raw, i + 3));
        if (lo >= 0xDC00 && lo <= 0xDFFF) {
          aiir::detail::append_utf8(out, 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00));
          i += 2;
          continue;
        }
      }
      if (u >= 0xD800 && u <= 0xDFFF) u = 0xFFFD;
      if (u < 0x20) {
        if (u == '\t' || u == '\n' || u == '\r') out.push_back(' ');
        continue;
      }
      aiir::detail::append_utf8(out, u);
    }
    return;
  }
  for (char ch : raw) {
    const auto b = static_cast<unsigned char>(ch);
    if (b < 0x20) {
      if (b == '\t' || b == '\n' || b == '\r') out.push_back(' ');
    } else if (b < 0x7F) {
      out.push_back(ch);
    } else if (b >= 0x80 && b < 0xA0) {
      if (kWinAnsi80[b - 0x80] != 0) aiir::detail::append_utf8(out, kWinAnsi80[b - 0x80]);
    } else if (b >= 0xA0) {
      aiir::detail::append_utf8(out, b);
    }
  }
}

/// Reads the literal string opening at `i` ('(') into `out` (at most `cap`
/// bytes kept); returns the position after it (the end of `s` if unterminated).
std::size_t read_literal(std::string_view s, std::size_t i, std::string& out, std::size_t cap) {
  out.clear();
  int depth = 1;
  std::size_t j = i + 1;
  auto put = [&](char c) {
    if (out.size() < cap) out.push_back(c);
  };
  while (j < s.size()) {
    const char c = s[j];
    if (c == '\\') {
      if (j + 1 >= s.size()) return s.size();
      const char e = s[j + 1];
      j += 2;
      switch (e) {
        case 'n': put('\n'); break;
        case 'r': put('\r'); break;
        case 't': put('\t'); break;
        case 'b': put('\b'); break;
        case 'f': put('\f'); break;
        case '\r':  // line continuation
          if (j < s.size() && s[j] == '\n') ++j;
          break;
        case '\n': break;
        default:
          if (e >= '0' && e <= '7') {
            unsigned v = static_cast<unsigned>(e - '0');
            for (int k = 0; k < 2 && j < s.size() && s[j] >= '0' && s[j] <= '7'; ++k, ++j)
              v = v * 8 + static_cast<unsigned>(s[j] - '0');
            put(static_cast<char>(v & 0xFF));
          } else {
            put(e);  // \( \) \\ and unknown escapes: the character itself
          }
      }
      continue;
    }
    if (c == '(') ++depth;
    if (c == ')' && --depth == 0) return j + 1;
    put(c);
    ++j;
  }
  return s.size();
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// Reads the hex string opening at `i` ('<') into `out`; returns the position after it.
std::size_t read_hex(std::string_view s, std::size_t i, std::string& out, std::size_t cap) {
  out.clear();
  int hi = -1;
  std::size_t j = i + 1;
  for (; j < s.size() && s[j] != '>'; ++j) {
    const int v = hex_value(s[j]);
    if (v < 0) continue;  // whitespace, and junk in damaged files
    if (hi < 0) {
      hi = v;
    } else {
      if (out.size() < cap) out.push_back(static_cast<char>(hi << 4 | v));
      hi = -1;
    }
  }
  if (hi >= 0 && out.size() < cap) out.push_back(static_cast<char>(hi << 4));  // odd digit count: a trailing 0
  return j < s.size() ? j + 1 : s.size();
}

/// Position after an inline image's data (`ID` ... `EI`).
std::size_t skip_inline_image(std::string_view s, std::size_t i) noexcept {
  std::size_t from = i;
  while (from < s.size()) {
    const std::size_t k = s.find("EI", from);
    if (k == std::string_view::npos) return s.size();
    const bool before = k > 0 && is_ws(at(s, k - 1));
    const bool after = k + 2 == s.size() || is_ws(at(s, k + 2));
    if (before && after) return k + 2;
    from = k + 1;
  }
  return s.size();
}

/// A TJ kerning number far enough left to stand for a word space
/// (thousandths of a text-space unit; a space is about 250).
bool wide_gap(std::string_view tok) noexcept {
  if (tok.size() < 2 || tok[0] != '-') return false;
  std::size_t v = 0, digits = 0;
  for (std::size_t i = 1; i < tok.size() && tok[i] >= '0' && tok[i] <= '9'; ++i) {
    if (++digits > 6) return true;
    v = v * 10 + static_cast<std::size_t>(tok[i] - '0');
  }
  return v >= 200;
}

}  // namespace

PdfTextExtractor::PdfTextExtractor(PdfTextLimits limits)
    : limits_(limits), inflater_(libdeflate_alloc_decompressor()) {
  if (inflater_ == nullptr) throw std::bad_alloc();
}

PdfTextExtractor::~PdfTextExtractor() { libdeflate_free_decompressor(inflater_); }

void PdfTextExtractor::reserve(std::size_t n) {
  if (n <= buf_cap_) return;
  buf_.reset(new unsigned char[n]);
  buf_cap_ = n;
}

std::string_view PdfTextExtractor::salvage(std::string_view in, std::size_t cap, bool raw) {
  // raw: deflate without the zlib header, kept only when it reaches its end
  // (arbitrary bytes often inflate a little before failing).
  if (cap == 0 || in.empty()) return {};
  reserve(cap);
  z_stream zs{};
  if (inflateInit2(&zs, raw ? -MAX_WBITS : MAX_WBITS) != Z_OK) return {};
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(std::min<std::size_t>(in.size(), UINT_MAX));
  zs.next_out = buf_.get();
  zs.avail_out = static_cast<uInt>(std::min<std::size_t>(cap, UINT_MAX));
  int rc = Z_OK;
  while (rc == Z_OK && zs.avail_out > 0) {
    const uInt before_in = zs.avail_in, before_out = zs.avail_out;
    rc = ::inflate(&zs, Z_NO_FLUSH);
    if (zs.avail_in == before_in && zs.avail_out == before_out) break;  // no progress
  }
  const std::size_t got = static_cast<std::size_t>(zs.next_out - buf_.get());
  inflateEnd(&zs);
  work_ += got;
  if (raw && rc != Z_STREAM_END) return {};
  return {reinterpret_cast<const char*>(buf_.get()), got};
}

bool PdfTextExtractor::inflate(std::string_view in, std::string_view& out, PdfTextStats& stats) {
  out = {};
  const std::size_t budget = limits_.max_total_inflated > work_ ? limits_.max_total_inflated - work_ : 0;
  const std::size_t cap = std::min(limits_.max_stream_inflated, budget);
  std::size_t guess = std::min(cap, std::max<std::size_t>(in.size() * 4, 64u << 10));
  while (guess > 0) {
    reserve(guess);
    std::size_t in_used = 0, got = 0;
    const libdeflate_result r =
        libdeflate_zlib_decompress_ex(inflater_, in.data(), in.size(), buf_.get(), guess, &in_used, &got);
    if (r == LIBDEFLATE_SUCCESS) {
      work_ += got;
      out = {reinterpret_cast<const char*>(buf_.get()), got};
      return true;
    }
    if (r == LIBDEFLATE_INSUFFICIENT_SPACE) {
      work_ += guess;
      if (guess >= cap) {  // a decompression bomb or a huge page: its start only
        stats.inflate_capped = true;
        out = salvage(in, cap, false);
        return !out.empty();
      }
      guess = std::min(cap, guess * 2);
      continue;
    }
    // Damaged, truncated, a bad checksum or no zlib header: what inflates.
    stats.damaged = true;
    out = salvage(in, cap, false);
    if (out.empty()) out = salvage(in, cap, true);
    return !out.empty();
  }
  return false;
}

bool PdfTextExtractor::scan_content(std::string_view s, std::string& text, PdfTextStats& stats) {
  std::string pending;  // text of the string operands since the last operator
  bool in_array = false;
  auto append = [&](std::string_view t) {
    const std::size_t room = limits_.max_text_bytes > text.size() ? limits_.max_text_bytes - text.size() : 0;
    if (t.size() <= room) {
      text.append(t);
      return true;
    }
    std::size_t n = room;
    while (n > 0 && (static_cast<unsigned char>(t[n]) & 0xC0) == 0x80) --n;
    text.append(t.substr(0, n));
    stats.text_capped = true;
    return false;
  };
  auto space = [&]() {
    if (!text.empty() && text.back() != ' ' && text.back() != '\n') return append(" ");
    return true;
  };
  std::size_t i = 0;
  const std::size_t n = s.size();
  while (i < n) {
    const unsigned char c = at(s, i);
    if (is_ws(c)) {
      ++i;
    } else if (c == '%') {
      while (i < n && s[i] != '\n' && s[i] != '\r') ++i;
    } else if (c == '(') {
      i = read_literal(s, i, str_, limits_.max_string_bytes);
      if (pending.size() < limits_.max_text_bytes) append_decoded(pending, str_);
    } else if (c == '<') {
      if (i + 1 < n && s[i + 1] == '<') {
        i += 2;
      } else {
        i = read_hex(s, i, str_, limits_.max_string_bytes);
        if (pending.size() < limits_.max_text_bytes) append_decoded(pending, str_);
      }
    } else if (c == '[') {
      in_array = true;
      pending.clear();
      ++i;
    } else if (c == ']') {
      in_array = false;
      ++i;
    } else if (c == '/') {
      ++i;
      while (i < n && is_regular(at(s, i))) ++i;
    } else if (!is_regular(c)) {
      ++i;  // '>', ')', '{', '}' out of place
    } else {
      const std::size_t b = i;
      while (i < n && is_regular(at(s, i))) ++i;
      const std::string_view tok = s.substr(b, i - b);
      const char t0 = tok[0];
      if ((t0 >= '0' && t0 <= '9') || t0 == '-' || t0 == '+' || t0 == '.') {
        if (in_array && wide_gap(tok) && !pending.empty() && pending.back() != ' ') pending.push_back(' ');
        continue;
      }
      if (tok == "Tj" || tok == "TJ" || tok == "'" || tok == "\"") {
        if ((tok == "'" || tok == "\"") && !space()) return false;
        if (!append(pending)) return false;
      } else if (tok == "Td" || tok == "TD" || tok == "T*" || tok == "Tm" || tok == "BT" || tok == "ET") {
        if (!space()) return false;
      } else if (tok == "ID") {
        i = skip_inline_image(s, i);
      }
      pending.clear();
      in_array = false;
    }
  }
  return true;
}

void PdfTextExtractor::extract(std::string_view pdf, std::string& text, PdfTextStats& stats) {
  text.clear();
  stats = {};
  work_ = 0;
  if (encrypted(pdf)) {
    stats.encrypted = true;
    return;
  }
  std::size_t pos = 0;
  while (pos < pdf.size()) {
    const std::size_t k = find_stream(pdf, pos);
    if (k == std::string_view::npos) break;
    if (stats.streams >= limits_.max_streams) {
      ++stats.streams_skipped;  // at least one more: the rest is not looked at
      break;
    }
    ++stats.streams;
    const std::string_view dict = dict_before(pdf, k);
    // The data starts after the keyword's end of line (CRLF, LF or a lone CR).
    std::size_t start = k + kStream.size();
    while (start < pdf.size() && (pdf[start] == ' ' || pdf[start] == '\t')) ++start;
    if (start < pdf.size() && pdf[start] == '\r') ++start;
    if (start < pdf.size() && pdf[start] == '\n') ++start;
    // Its end: /Length when it is direct and lands on `endstream`; else the next `endstream`.
    std::size_t end = std::string_view::npos;
    if (const std::optional<std::size_t> len = direct_length(dict); len && *len <= pdf.size() - start) {
      const std::size_t j = skip_ws(pdf, start + *len);
      if (pdf.substr(j, kEndstream.size()) == kEndstream) {
        end = start + *len;
        pos = j + kEndstream.size();
      }
    }
    if (end == std::string_view::npos) {
      const std::size_t f = pdf.find(kEndstream, start);
      if (f == std::string_view::npos) {
        stats.damaged = true;  // truncated: the data runs to the end of the file
        end = pos = pdf.size();
      } else {
        end = f;
        if (end > start && pdf[end - 1] == '\n') --end;
        if (end > start && pdf[end - 1] == '\r') --end;
        pos = f + kEndstream.size();
      }
    }
    const std::string_view data = pdf.substr(start, end - start);
    if (text_free(dict)) continue;
    const Filters filters = stream_filters(dict);
    std::string_view content = data;
    if (filters.count == 1 && is_flate(filters.names[0])) {
      if (data.empty()) continue;
      if (work_ >= limits_.max_total_inflated) {
        stats.inflate_capped = true;
        ++stats.streams_skipped;
        continue;
      }
      if (!inflate(data, content, stats)) {
        ++stats.streams_skipped;
        continue;
      }
    } else if (filters.count > 0) {
      bool images = true;
      for (std::size_t f = 0; f < std::min(filters.count, filters.names.size()); ++f)
        images = images && is_image_filter(filters.names[f]);
      if (!images || filters.count > filters.names.size()) ++stats.streams_skipped;  // ASCII85, LZW, chains ...
      continue;
    }
    ++stats.streams_read;
    const std::size_t before = text.size();
    if (!scan_content(content, text, stats)) break;
    if (text.size() > before) {  // streams (pages, forms) end with a newline
      if (text.back() == ' ') text.back() = '\n';
      else if (text.size() < limits_.max_text_bytes) text.push_back('\n');
    }
  }
  while (!text.empty() && (text.back() == ' ' || text.back() == '\n')) text.pop_back();
}

PdfTextStats extract_pdf_text(std::string_view pdf, std::string& text, const PdfTextLimits& limits) {
  PdfTextExtractor ex(limits);
  PdfTextStats stats;
  ex.extract(pdf, text, stats);
  return stats;
}

}  // namespace aiir::content
