// SPDX-License-Identifier: Apache-2.0
// Text normalization and decoding for content matching (invocation.md §5.2).
#include "content/normalize_text.h"
#include "util/cpu.h"
#include "util/utf8.h"

#include <aiir/error.h>
#include <re2/re2.h>
#include <unicode/bytestream.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <unicode/uspoof.h>
#include <unicode/utf8.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <unordered_map>

namespace aiir::content {

// ---- NormalizedText ----------------------------------------------------------

void NormalizedText::clear() noexcept {
  canonical.clear();
  views.clear();
  view_kinds.clear();
  view_origin.clear();
  hidden.clear();
  collapsed_map.clear();
  decoded_bytes = 0;
  hints = 0;
}

std::uint32_t NormalizedText::to_canonical(int view, std::size_t offset) const noexcept {
  if (view < 0 || static_cast<std::size_t>(view) >= views.size()) return static_cast<std::uint32_t>(offset);
  switch (view_kinds[static_cast<std::size_t>(view)]) {
    case ViewKind::kLeet:
    case ViewKind::kRot13:
      return static_cast<std::uint32_t>(offset);
    case ViewKind::kCollapsed:
      if (collapsed_map.empty()) return 0;
      return collapsed_map[std::min(offset, collapsed_map.size() - 1)];
    case ViewKind::kDecoded:
    case ViewKind::kReversed:
      return view_origin[static_cast<std::size_t>(view)];
  }
  return 0;
}

// ---- helpers -----------------------------------------------------------------

namespace {

constexpr char32_t kReplacement = 0xFFFD;

// Decodes one code point at s[i], advancing i; invalid sequences give U+FFFD
// and advance by one byte.
char32_t next_cp(std::string_view s, std::size_t& i) noexcept {
  const auto* p = reinterpret_cast<const std::uint8_t*>(s.data());
  std::size_t n = s.size();
  std::uint8_t c = p[i];
  if (c < 0x80) {
    ++i;
    return c;
  }
  int len = 0;
  char32_t cp = 0;
  char32_t min = 0;
  if ((c & 0xE0) == 0xC0) { len = 2; cp = c & 0x1F; min = 0x80; }
  else if ((c & 0xF0) == 0xE0) { len = 3; cp = c & 0x0F; min = 0x800; }
  else if ((c & 0xF8) == 0xF0) { len = 4; cp = c & 0x07; min = 0x10000; }
  else { ++i; return kReplacement; }
  if (i + static_cast<std::size_t>(len) > n) { ++i; return kReplacement; }
  for (int k = 1; k < len; ++k) {
    std::uint8_t cc = p[i + static_cast<std::size_t>(k)];
    if ((cc & 0xC0) != 0x80) { ++i; return kReplacement; }
    cp = (cp << 6) | (cc & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) { ++i; return kReplacement; }
  i += static_cast<std::size_t>(len);
  return cp;
}


bool is_zero_width(char32_t cp) {
  switch (cp) {
    case 0x200B: case 0x200C: case 0x200D: case 0x2060: case 0xFEFF: case 0x180E:
    case 0x00AD: case 0x034F: case 0x115F: case 0x1160: case 0x3164: case 0xFFA0:
    case 0x2061: case 0x2063:
      return true;
    default:
      return false;
  }
}
bool is_bidi(char32_t cp) { return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069); }
bool is_vs(char32_t cp) { return (cp >= 0xFE00 && cp <= 0xFE0F) || (cp >= 0xE0100 && cp <= 0xE01EF); }
bool is_pua(char32_t cp) { return (cp >= 0xE000 && cp <= 0xF8FF) || cp >= 0xF0000; }
bool is_ascii_alnum(char32_t cp) {
  return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
}
bool is_alnum_byte(char c) { return is_ascii_alnum(static_cast<unsigned char>(c)); }
bool is_ascii_letter_byte(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

constexpr std::array<char, 256> make_lower_table() {
  std::array<char, 256> t{};
  for (int i = 0; i < 256; ++i) {
    char c = static_cast<char>(i);
    if (i >= 'A' && i <= 'Z') c = static_cast<char>(i - 'A' + 'a');
    t[static_cast<std::size_t>(i)] = c;
  }
  return t;
}
constexpr std::array<char, 256> kLower = make_lower_table();

// Byte classes for the fused ASCII loops.
enum : std::uint8_t { kClsAlnum = 1, kClsSep = 2, kClsB64 = 4, kClsLeet = 8, kClsLetter = 16, kClsPct = 32 };
constexpr std::array<std::uint8_t, 256> make_class_table() {
  std::array<std::uint8_t, 256> t{};
  for (int i = 0; i < 256; ++i) {
    std::uint8_t v = 0;
    bool digit = i >= '0' && i <= '9';
    bool letter = (i >= 'a' && i <= 'z') || (i >= 'A' && i <= 'Z');
    if (digit || letter) v |= kClsAlnum | kClsB64;
    if (letter) v |= kClsLetter;
    if (i == '+' || i == '/' || i == '-' || i == '_') v |= kClsB64;
    if (i == ' ' || i == '.' || i == '-' || i == '_' || i == '*') v |= kClsSep;
    if (i == '0' || i == '1' || i == '3' || i == '4' || i == '5' || i == '7' || i == '@' || i == '$') v |= kClsLeet;
    if (i == '%') v |= kClsPct;
    t[static_cast<std::size_t>(i)] = v;
  }
  return t;
}
constexpr std::array<std::uint8_t, 256> kCls = make_class_table();

// What a fused scan of appended text found.
struct ScanHints {
  std::uint8_t hints = 0;        // NormalizedText::kHint*
  std::size_t longest_b64 = 0;   // the run length asked for when there is one, else 0
  std::size_t pct = 0;           // '%' bytes
};

// One 64-byte block's byte classes as bit masks (bit j: byte j).
struct BlockMasks {
  std::uint64_t alnum = 0, sep = 0, leet = 0, letter = 0, b64 = 0, pct = 0;
};

// The masks of the 16 bytes at src (bits 0-15), whose lowercase goes to dst (may be src).
BlockMasks lower_block16(const unsigned char* src, unsigned char* dst) noexcept {
  BlockMasks m;
#if defined(__SSE2__)
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src));
  auto eq = [&](char ch) { return _mm_cmpeq_epi8(v, _mm_set1_epi8(ch)); };
  auto below = [](__m128i x, char bound) {  // unsigned x <= bound
    return _mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8(bound)), x);
  };
  auto bits = [](__m128i x) { return static_cast<std::uint64_t>(_mm_movemask_epi8(x)); };
  const __m128i upper = below(_mm_sub_epi8(v, _mm_set1_epi8('A')), 25);
  const __m128i letter = below(_mm_sub_epi8(_mm_or_si128(v, _mm_set1_epi8(0x20)), _mm_set1_epi8('a')), 25);
  const __m128i digit = below(_mm_sub_epi8(v, _mm_set1_epi8('0')), 9);
  const __m128i alnum = _mm_or_si128(letter, digit);
  const __m128i dash_under = _mm_or_si128(eq('-'), eq('_'));
  const __m128i not_leet_digit = _mm_or_si128(_mm_or_si128(eq('2'), eq('6')), _mm_or_si128(eq('8'), eq('9')));
  m.alnum = bits(alnum);
  m.letter = bits(letter);
  m.sep = bits(_mm_or_si128(_mm_or_si128(eq(' '), eq('.')), _mm_or_si128(dash_under, eq('*'))));
  m.leet = bits(_mm_or_si128(_mm_andnot_si128(not_leet_digit, digit), _mm_or_si128(eq('@'), eq('$'))));
  m.b64 = bits(_mm_or_si128(alnum, _mm_or_si128(dash_under, _mm_or_si128(eq('+'), eq('/')))));
  m.pct = bits(eq('%'));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(dst), _mm_add_epi8(v, _mm_and_si128(upper, _mm_set1_epi8(0x20))));
#else
  for (unsigned j = 0; j < 16; ++j) {
    const unsigned char c = src[j];
    const std::uint8_t k = kCls[c];
    m.alnum |= std::uint64_t{(k & kClsAlnum) != 0} << j;
    m.letter |= std::uint64_t{(k & kClsLetter) != 0} << j;
    m.sep |= std::uint64_t{(k & kClsSep) != 0} << j;
    m.leet |= std::uint64_t{(k & kClsLeet) != 0} << j;
    m.b64 |= std::uint64_t{(k & kClsB64) != 0} << j;
    m.pct |= std::uint64_t{c == '%'} << j;
    dst[j] = static_cast<unsigned char>(kLower[c]);
  }
#endif
  return m;
}

// The masks of the 64 bytes at src, whose lowercase goes to dst (may be src).
BlockMasks lower_block(const unsigned char* src, unsigned char* dst) noexcept {
  BlockMasks m;
  for (unsigned q = 0; q < 4; ++q) {
    const BlockMasks b = lower_block16(src + 16 * q, dst + 16 * q);
    m.alnum |= b.alnum << (16 * q);
    m.sep |= b.sep << (16 * q);
    m.leet |= b.leet << (16 * q);
    m.letter |= b.letter << (16 * q);
    m.b64 |= b.b64 << (16 * q);
    m.pct |= b.pct << (16 * q);
  }
  return m;
}

// The hints gathered block by block. A position's tests read two bytes on
// each side, so a block is judged once the next one is read (with the last
// bits of the one before it). Bytes before the text and past its end are in
// no class.
//   leet at m:   a leet digit or sign next to a letter (m-1, m)
//   spaced at m: [not alnum] alnum SEP alnum [not alnum] with SEP at m
struct HintScan {
  std::size_t need_b64;  // run length of base64-alphabet bytes worth decoding
  std::uint64_t alnum = 0, sep = 0, leet = 0, letter = 0;  // the block to judge
  std::uint64_t alnum_before = 0, leet_before = 0, letter_before = 0;  // the block before it
  bool is_leet = false, spaced = false, b64 = need_b64 == 0;
  std::size_t run = 0, pct = 0;  // base64 bytes ending the blocks so far; '%' bytes

  void take(const BlockMasks& m) noexcept {
    // Bit j of before(x, xb, k) is bit j - k of the bytes (xb the block before);
    // after(x, xa, k) bit j + k (xa the block after).
    auto before = [](std::uint64_t x, std::uint64_t xb, int k) { return (x << k) | (xb >> (64 - k)); };
    auto after = [](std::uint64_t x, std::uint64_t xa, int k) { return (x >> k) | (xa << (64 - k)); };
    is_leet |= ((leet & before(letter, letter_before, 1)) | (letter & before(leet, leet_before, 1))) != 0;
    spaced |= (sep & before(alnum, alnum_before, 1) & after(alnum, m.alnum, 1) & ~before(alnum, alnum_before, 2) &
               ~after(alnum, m.alnum, 2)) != 0;
    alnum_before = alnum;
    leet_before = leet;
    letter_before = letter;
    alnum = m.alnum;
    sep = m.sep;
    leet = m.leet;
    letter = m.letter;
    if (m.pct != 0) pct += static_cast<std::size_t>(std::popcount(m.pct));  // a library call on baseline x86-64
    if (b64) return;
    // A run across blocks is carried; one inside a block is found with shifts.
    if (m.b64 == ~std::uint64_t{0}) {
      run += 64;
      b64 = run >= need_b64;
      return;
    }
    b64 = run + static_cast<std::size_t>(std::countr_one(m.b64)) >= need_b64;
    if (!b64 && need_b64 <= 64) {
      // Bit j of x: bits j .. j + len - 1 of the mask are all set (len doubling).
      std::uint64_t x = m.b64;
      for (std::size_t len = 1; len < need_b64;) {
        const std::size_t step = std::min(len, need_b64 - len);
        x &= x >> step;
        len += step;
      }
      b64 = x != 0;
    }
    run = static_cast<std::size_t>(std::countl_one(m.b64));
  }
};

#if defined(__x86_64__) && defined(__GNUC__)
#define AIIR_NORMALIZE_AVX512 1  // lower_and_scan reads 64-byte blocks with AVX-512BW where the CPU has it

// lower_block() in one register: the masks come out of the compares as they
// are. (A lambda would not inherit the target: the constants are spelled out.)
__attribute__((target("avx512f,avx512bw"))) inline BlockMasks lower_block_avx512(const unsigned char* src,
                                                                                 unsigned char* dst) noexcept {
  const __m512i v = _mm512_loadu_si512(src);
  const __m512i letter_v = _mm512_sub_epi8(_mm512_or_si512(v, _mm512_set1_epi8(0x20)), _mm512_set1_epi8('a'));
  const __mmask64 upper = _mm512_cmplt_epu8_mask(_mm512_sub_epi8(v, _mm512_set1_epi8('A')), _mm512_set1_epi8(26));
  const __mmask64 letter = _mm512_cmplt_epu8_mask(letter_v, _mm512_set1_epi8(26));
  const __mmask64 digit = _mm512_cmplt_epu8_mask(_mm512_sub_epi8(v, _mm512_set1_epi8('0')), _mm512_set1_epi8(10));
  const __mmask64 dash_under =
      _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('-')) | _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('_'));
  const __mmask64 not_leet_digit =
      _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('2')) | _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('6')) |
      _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('8')) | _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('9'));
  BlockMasks m;
  m.alnum = letter | digit;
  m.letter = letter;
  m.sep = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(' ')) | _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('.')) |
          dash_under | _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('*'));
  m.leet = (digit & ~not_leet_digit) | _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('@')) |
           _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('$'));
  m.b64 = m.alnum | dash_under | _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('+')) |
          _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('/'));
  m.pct = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('%'));
  _mm512_storeu_si512(dst, _mm512_mask_add_epi8(v, upper, v, _mm512_set1_epi8(0x20)));
  return m;
}

__attribute__((target("avx512f,avx512bw"))) void scan_blocks_avx512(const unsigned char* s, unsigned char* d,
                                                                    std::size_t n, HintScan& scan) noexcept {
  std::size_t i = 0;
  for (; i + 64 <= n; i += 64) scan.take(lower_block_avx512(s + i, d + i));
  if (i < n) {  // the tail in a zero-padded block (NUL is in no class)
    alignas(64) unsigned char in[64] = {}, out[64];
    std::memcpy(in, s + i, n - i);
    scan.take(lower_block_avx512(in, out));
    std::memcpy(d + i, out, n - i);
  }
}
#endif

// Lowercases src into dst (may be the same memory) and gathers the hints, in
// one pass of 64-byte blocks (separate passes for the hints, the base64 run,
// the '%' count and the lowercase were a tenth of the content stage; blocks
// of 16 bytes took a quarter longer). ASCII only: bytes >= 0x80 pass through
// unchanged. `need_b64` is the run length of base64-alphabet bytes worth
// decoding: `longest_b64` is set to it when such a run exists (0 otherwise).
void lower_and_scan(const char* src, char* dst, std::size_t n, std::size_t need_b64, ScanHints& h) {
  HintScan scan{need_b64};
  const auto* s = reinterpret_cast<const unsigned char*>(src);
  auto* d = reinterpret_cast<unsigned char*>(dst);
#if defined(AIIR_NORMALIZE_AVX512)
  if (cpu_has_avx512()) {
    scan_blocks_avx512(s, d, n, scan);
  } else
#endif
  {
    std::size_t i = 0;
    for (; i + 64 <= n; i += 64) scan.take(lower_block(s + i, d + i));
    if (i < n) {  // the tail in a zero-padded block (NUL is in no class)
      unsigned char in[64] = {}, out[64];
      std::memcpy(in, s + i, n - i);
      scan.take(lower_block(in, out));
      std::memcpy(d + i, out, n - i);
    }
  }
  scan.take(BlockMasks{});  // judges the last block
  h.longest_b64 = scan.b64 ? need_b64 : 0;
  h.pct = scan.pct;
  if (scan.is_leet) h.hints |= NormalizedText::kHintLeet;
  if (scan.spaced) h.hints |= NormalizedText::kHintSpaced;
}

bool is_b64_byte(char c) { return is_alnum_byte(c) || c == '+' || c == '/' || c == '-' || c == '_'; }
bool is_hex_byte(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
int hex_val(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

namespace detail {

bool has_base64_run(std::string_view text, std::size_t need, bool with_padding) noexcept {
  // Sixteen bytes at a time as a bit mask, carrying the run that reaches the
  // end of a block: probing `need` bytes apart walked back through every word
  // of prose, a twentieth of the content stage.
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t run = 0;  // base64 bytes ending just before i
  std::size_t i = 0;
#if defined(__SSE2__)
  for (; i + 16 <= n; i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i));
    auto eq = [&](char ch) { return _mm_cmpeq_epi8(v, _mm_set1_epi8(ch)); };
    auto below = [](__m128i x, char bound) {  // unsigned x <= bound
      return _mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8(bound)), x);
    };
    const __m128i letter = below(_mm_sub_epi8(_mm_or_si128(v, _mm_set1_epi8(0x20)), _mm_set1_epi8('a')), 25);
    const __m128i digit = below(_mm_sub_epi8(v, _mm_set1_epi8('0')), 9);
    __m128i other = _mm_or_si128(_mm_or_si128(eq('+'), eq('/')), _mm_or_si128(eq('-'), eq('_')));
    if (with_padding) other = _mm_or_si128(other, eq('='));
    const auto m = static_cast<std::uint16_t>(_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(letter, digit), other)));
    if (m == 0xFFFF) {
      run += 16;
      if (run >= need) return true;
      continue;
    }
    if (run + static_cast<std::size_t>(std::countr_one(m)) >= need) return true;
    if (need <= 16) {  // a run inside the block: bit j of x is set when bits j .. j + need - 1 of m are
      unsigned x = m;
      for (std::size_t k = 1; k < need; ++k) x &= static_cast<unsigned>(m) >> k;
      if (x != 0) return true;
    }
    run = static_cast<std::size_t>(std::countl_one(m));
  }
#endif
  for (; i < n; ++i) {
    run = (kCls[s[i]] & kClsB64) != 0 || (with_padding && s[i] == '=') ? run + 1 : 0;
    if (run >= need) return true;
  }
  return false;
}

bool decode_base64(std::string_view in, std::string& out) {
  out.clear();
  std::uint32_t acc = 0;
  int bits = 0;
  std::size_t n = in.size();
  while (n > 0 && in[n - 1] == '=') --n;
  if (n % 4 == 1) return false;
  out.reserve(n * 3 / 4);
  for (std::size_t i = 0; i < n; ++i) {
    char c = in[i];
    int v;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    else if (c >= '0' && c <= '9') v = c - '0' + 52;
    else if (c == '+' || c == '-') v = 62;
    else if (c == '/' || c == '_') v = 63;
    else if (c == '\n' || c == '\r') continue;
    else return false;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return true;
}

bool decode_hex(std::string_view in, std::string& out) {
  out.clear();
  if (in.size() % 2 != 0) return false;
  out.reserve(in.size() / 2);
  for (std::size_t i = 0; i + 1 < in.size(); i += 2) {
    int hi = hex_val(in[i]), lo = hex_val(in[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return true;
}

bool decode_url(std::string_view in, std::string& out) {
  out.clear();
  out.reserve(in.size());
  bool any = false;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size() && hex_val(in[i + 1]) >= 0 &&
        hex_val(in[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_val(in[i + 1]) * 16 + hex_val(in[i + 2])));
      i += 2;
      any = true;
    } else if (in[i] == '+') {
      out.push_back(' ');
    } else {
      out.push_back(in[i]);
    }
  }
  return any;
}

void rot13(std::string_view in, std::string& out) {
  out.resize(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c >= 'a' && c <= 'z') c = static_cast<char>('a' + (c - 'a' + 13) % 26);
    else if (c >= 'A' && c <= 'Z') c = static_cast<char>('A' + (c - 'A' + 13) % 26);
    out[i] = c;
  }
}

double printable_ratio(std::string_view bytes) noexcept {
  if (bytes.empty()) return 0;
  std::size_t total = 0, good = 0, i = 0;
  while (i < bytes.size()) {
    char32_t cp = next_cp(bytes, i);
    if (cp == kReplacement) return 0;
    ++total;
    if ((cp >= 0x20 && cp != 0x7F && !(cp >= 0x80 && cp < 0xA0)) || cp == '\n' || cp == '\t' || cp == '\r') ++good;
  }
  return static_cast<double>(good) / static_cast<double>(total);
}

}  // namespace detail

// ---- TextNormalizer ----------------------------------------------------------

namespace {
struct Skeleton {
  std::string ascii;  // lowercase ASCII look-alike, empty if none
  bool drop = false;  // a non-spacing mark
  bool foreign = false;  // letter of a script other than Latin/Common/Inherited
};

struct Scratch {
  std::string stripped;
  std::string nfkc;
  std::string tag, sneaky, vs;
  std::vector<char32_t> word;
  std::string display;            ///< the text as displayed (RLO runs reversed)
  std::vector<char32_t> rlo;      ///< the current right-to-left override run
  std::string reversed;           ///< the reversed runs, for the bidi hidden text
};
}  // namespace

struct TextNormalizer::Impl {
  const icu::Normalizer2* nfkc = nullptr;
  USpoofChecker* spoof = nullptr;
  std::unordered_map<char32_t, Skeleton> skeletons;
  std::array<Scratch, 4> scratch;
  std::unique_ptr<RE2> rot13_trigger;
  std::string decode_buf;
  // Homoglyph bookkeeping for the current append.
  std::size_t homoglyph_words = 0;
  std::string homoglyph_example;

  ~Impl() {
    if (spoof) uspoof_close(spoof);
  }

  const Skeleton& skeleton(char32_t cp) {
    auto it = skeletons.find(cp);
    if (it != skeletons.end()) return it->second;
    if (skeletons.size() > 65536) skeletons.clear();  // bounded cache
    Skeleton sk;
    auto cat = u_charType(static_cast<UChar32>(cp));
    if (cat == U_NON_SPACING_MARK || cat == U_ENCLOSING_MARK) {
      sk.drop = true;
    } else {
      UErrorCode status = U_ZERO_ERROR;
      UScriptCode script = uscript_getScript(static_cast<UChar32>(cp), &status);
      sk.foreign = U_SUCCESS(status) && script != USCRIPT_LATIN && script != USCRIPT_COMMON &&
                   script != USCRIPT_INHERITED && u_isalpha(static_cast<UChar32>(cp));
      std::string in;
      aiir::detail::append_utf8(in, cp);
      char buf[64];
      status = U_ZERO_ERROR;
      int32_t len = uspoof_getSkeletonUTF8(spoof, 0, in.data(), static_cast<int32_t>(in.size()), buf,
                                           sizeof(buf), &status);
      if (U_SUCCESS(status) && len > 0) {
        std::string_view skel(buf, static_cast<std::size_t>(len));
        std::size_t i = 0;
        bool ok = true;
        std::string ascii;
        while (i < skel.size()) {
          char32_t c = next_cp(skel, i);
          auto ccat = u_charType(static_cast<UChar32>(c));
          if (ccat == U_NON_SPACING_MARK) continue;
          if (!is_ascii_alnum(c)) { ok = false; break; }
          ascii.push_back(kLower[c]);
        }
        if (ok && !ascii.empty()) sk.ascii = std::move(ascii);
      }
    }
    return skeletons.emplace(cp, std::move(sk)).first->second;
  }
};

TextNormalizer::TextNormalizer(NormalizeOptions options) : options_(options), impl_(std::make_unique<Impl>()) {
  options_.max_decode_depth = std::clamp(options_.max_decode_depth, 0, 3);
  UErrorCode status = U_ZERO_ERROR;
  impl_->nfkc = icu::Normalizer2::getNFKCInstance(status);
  if (U_FAILURE(status) || impl_->nfkc == nullptr) throw aiir::Error("ICU NFKC normalizer unavailable");
  status = U_ZERO_ERROR;
  impl_->spoof = uspoof_open(&status);
  if (U_FAILURE(status)) throw aiir::Error("ICU spoof checker unavailable");
  RE2::Options ro;
  ro.set_log_errors(false);
  impl_->rot13_trigger = std::make_unique<RE2>(re2::StringPiece(kRot13Trigger.data(), kRot13Trigger.size()), ro);
}

TextNormalizer::~TextNormalizer() = default;

NormalizedText TextNormalizer::normalize(std::string_view text) {
  NormalizedText out;
  normalize(text, out);
  return out;
}

void TextNormalizer::normalize(std::string_view text, NormalizedText& out) {
  out.clear();
  append(text, out);
  finish(out);
}

namespace {

// The per-append worker. Kept out of the header; it needs Impl and options.
class Appender {
 public:
  Appender(TextNormalizer::Impl& impl, const NormalizeOptions& opt, TextNormalizer& owner)
      : impl_(impl), opt_(opt), owner_(owner) {}

  std::uint32_t run(std::string_view text, NormalizedText& out, int depth);

 private:
  TextNormalizer::Impl& impl_;
  const NormalizeOptions& opt_;
  TextNormalizer& owner_;

  std::string_view strip(std::string_view text, NormalizedText& out, std::uint32_t origin, int depth);
  void fold(std::string_view nf, std::string& canon);
  void flush_word(Scratch& s, std::string& canon);
  void decode_segments(std::string_view nf, NormalizedText& out, std::uint32_t origin, int depth);
  void emit(std::string_view kind, std::string_view bytes, std::size_t count, NormalizedText& out,
            std::uint32_t origin, int depth, bool encoding);
  /// Normalizes `bytes` (within the decoded budget) and adds it, and its own
  /// views, as views of `kind`.
  void add_view(std::string_view bytes, ViewKind kind, NormalizedText& out, std::uint32_t origin, int depth);
};

std::uint32_t Appender::run(std::string_view text, NormalizedText& out, int depth) {
  if (!out.canonical.empty()) out.canonical.push_back('\n');
  auto origin = static_cast<std::uint32_t>(out.canonical.size());
  Scratch& s = impl_.scratch[static_cast<std::size_t>(depth)];
  std::string_view clean = strip(text, out, origin, depth);
  std::string_view nf = clean;
  bool ascii = clean.data() == text.data() ||
               std::all_of(clean.begin(), clean.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  ScanHints hints;
  if (!ascii) {
    s.nfkc.clear();
    icu::StringByteSink<std::string> sink(&s.nfkc);
    UErrorCode status = U_ZERO_ERROR;
    impl_.nfkc->normalizeUTF8(0, icu::StringPiece(clean.data(), static_cast<int32_t>(clean.size())), sink,
                              nullptr, status);
    if (U_SUCCESS(status)) nf = s.nfkc;
    impl_.homoglyph_words = 0;
    impl_.homoglyph_example.clear();
    fold(nf, out.canonical);
    if (impl_.homoglyph_words > 0) {
      out.hidden.push_back(HiddenText{"homoglyph", impl_.homoglyph_example.substr(0, opt_.max_hidden_bytes),
                                      impl_.homoglyph_words, origin});
    }
    // Hints from the folded text (in place: it is already lowercase); the
    // decoders see the unfolded text, so let them scan it whatever the hints.
    char* folded = out.canonical.data() + origin;
    lower_and_scan(folded, folded, out.canonical.size() - origin, 0, hints);
    hints.longest_b64 = SIZE_MAX;
    hints.pct = SIZE_MAX;
  } else {
    std::size_t base = out.canonical.size();
    out.canonical.resize(base + nf.size());
    lower_and_scan(nf.data(), out.canonical.data() + base, nf.size(), std::min(opt_.min_base64, opt_.min_hex), hints);
  }
  out.hints |= hints.hints;
  if (depth < opt_.max_decode_depth &&
      (hints.longest_b64 >= std::min(opt_.min_base64, opt_.min_hex) || hints.pct >= opt_.min_url_escapes))
    decode_segments(nf, out, origin, depth);
  return origin;
}

std::string_view Appender::strip(std::string_view text, NormalizedText& out, std::uint32_t origin, int depth) {
  unsigned bad = 0;
  std::size_t k = 0;
#if defined(__SSE2__)
  // Sixteen bytes at a time (the compiler kept the loop below scalar): as
  // signed bytes, controls and bytes >= 0x80 are both below 0x20.
  for (; k + 16 <= text.size() && bad == 0; k += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(text.data() + k));
    auto eq = [&](char ch) { return _mm_cmpeq_epi8(v, _mm_set1_epi8(ch)); };
    const __m128i plain_ctl = _mm_or_si128(eq('\t'), _mm_or_si128(eq('\n'), eq('\r')));
    const __m128i odd = _mm_or_si128(_mm_andnot_si128(plain_ctl, _mm_cmplt_epi8(v, _mm_set1_epi8(0x20))), eq(0x7F));
    bad = static_cast<unsigned>(_mm_movemask_epi8(odd));
  }
#endif
  for (; k < text.size() && bad == 0; ++k) {
    auto c = static_cast<unsigned char>(text[k]);
    // Printable ASCII, tab, LF and CR are plain; everything else needs work.
    bool ok = (c >= 0x20 && c < 0x7F) || c == '\t' || c == '\n' || c == '\r';
    bad |= ok ? 0u : 1u;
  }
  if (bad == 0) return text;  // the common case: nothing to strip, no copy

  Scratch& s = impl_.scratch[static_cast<std::size_t>(depth)];
  s.stripped.clear();
  s.stripped.reserve(text.size());
  s.tag.clear();
  s.sneaky.clear();
  s.vs.clear();
  std::size_t tag_len = 0, sneaky_len = 0, vs_len = 0, zw_latin = 0, bidi = 0, pua = 0;
  bool tag_after_flag = false, tag_cancelled = false, pending_zw = false;
  // Right-to-left override (U+202E): what follows, up to U+202C (pop), U+2069
  // (pop isolate), U+202D (left-to-right override) or the end of the line, is
  // displayed reversed; `display` is the text as a reader sees it.
  bool rlo_seen = false, in_rlo = false;
  s.display.clear();
  s.rlo.clear();
  s.reversed.clear();
  auto flush_rlo = [&] {
    in_rlo = false;
    if (s.rlo.empty()) return;
    if (!s.reversed.empty()) s.reversed += " | ";
    for (auto it = s.rlo.rbegin(); it != s.rlo.rend(); ++it) {
      aiir::detail::append_utf8(s.display, *it);
      aiir::detail::append_utf8(s.reversed, *it);
    }
    s.rlo.clear();
  };
  unsigned sneaky_byte = 0, sneaky_bits = 0;
  char32_t prev = 0;

  auto flush_tag = [&] {
    if (tag_len == 0) return;
    // The only legitimate tag use: emoji subdivision flags (U+1F3F4 tags U+E007F).
    bool legit = tag_after_flag && tag_cancelled && tag_len <= 8;
    if (!legit) emit("tag_smuggling", s.tag, tag_len, out, origin, depth, false);
    s.tag.clear();
    tag_len = 0;
    tag_cancelled = false;
  };
  auto flush_sneaky = [&] {
    if (sneaky_len == 0) return;
    if (sneaky_len >= 8) emit("sneaky_bits", s.sneaky, sneaky_len, out, origin, depth, false);
    else if (is_ascii_alnum(prev)) pending_zw = true;
    s.sneaky.clear();
    sneaky_len = 0;
    sneaky_bits = 0;
    sneaky_byte = 0;
  };
  auto flush_vs = [&] {
    if (vs_len == 0) return;
    // A single selector is ordinary (emoji VS16, ideographic variants); a run
    // after one base character is a smuggled payload, one byte per selector.
    if (vs_len >= 2) emit("variation_selector", s.vs, vs_len, out, origin, depth, false);
    s.vs.clear();
    vs_len = 0;
  };

  std::size_t i = 0;
  while (i < text.size()) {
    char32_t cp = next_cp(text, i);
    if (cp >= 0xE0000 && cp <= 0xE007F) {
      if (tag_len == 0) tag_after_flag = prev == 0x1F3F4;
      ++tag_len;
      if (cp >= 0xE0020 && cp <= 0xE007E) s.tag.push_back(static_cast<char>(cp - 0xE0000));
      if (cp == 0xE007F) {
        tag_cancelled = true;
        flush_tag();
      }
      continue;
    }
    flush_tag();
    if (cp == 0x2062 || cp == 0x2064) {
      sneaky_byte = (sneaky_byte << 1) | (cp == 0x2064 ? 1u : 0u);
      if (++sneaky_bits == 8) {
        s.sneaky.push_back(static_cast<char>(sneaky_byte & 0xFF));
        sneaky_bits = 0;
        sneaky_byte = 0;
      }
      ++sneaky_len;
      continue;
    }
    flush_sneaky();
    if (is_vs(cp)) {
      ++vs_len;
      s.vs.push_back(static_cast<char>(cp <= 0xFE0F ? cp - 0xFE00 : cp - 0xE0100 + 16));
      continue;
    }
    flush_vs();
    if (is_zero_width(cp)) {
      if (is_ascii_alnum(prev)) pending_zw = true;
      continue;
    }
    if (is_bidi(cp)) {
      ++bidi;
      if (cp == 0x202E) {
        if (!rlo_seen) s.display.assign(s.stripped);
        rlo_seen = true;
        flush_rlo();
        in_rlo = true;
      } else if (cp == 0x202C || cp == 0x2069 || cp == 0x202D) {
        flush_rlo();
      }
      continue;
    }
    if (is_pua(cp)) {
      ++pua;
      continue;
    }
    if ((cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || cp == 0x7F || (cp >= 0x80 && cp < 0xA0)) cp = ' ';
    if (pending_zw && is_ascii_alnum(cp)) ++zw_latin;
    pending_zw = false;
    aiir::detail::append_utf8(s.stripped, cp);
    if (rlo_seen) {
      if (cp == '\n' || cp == '\r') flush_rlo();  // an override ends with its paragraph
      if (in_rlo) s.rlo.push_back(cp);
      else aiir::detail::append_utf8(s.display, cp);
    }
    prev = cp;
  }
  flush_tag();
  flush_sneaky();
  flush_vs();
  flush_rlo();
  if (zw_latin > 0) out.hidden.push_back(HiddenText{"zero_width", {}, zw_latin, origin});
  if (bidi > 0) {
    HiddenText h{"bidi", {}, bidi, origin};
    if (!s.reversed.empty()) {
      std::size_t n = std::min(s.reversed.size(), opt_.max_hidden_bytes);
      while (n > 0 && n < s.reversed.size() && (static_cast<unsigned char>(s.reversed[n]) & 0xC0) == 0x80) --n;
      h.decoded.assign(s.reversed, 0, n);
    }
    out.hidden.push_back(std::move(h));
    // The displayed text as a view: signatures read the instruction the way
    // the model's reader (and the model) sees it.
    if (!s.reversed.empty() && depth + 1 <= opt_.max_decode_depth) add_view(s.display, ViewKind::kReversed, out, origin, depth);
  }
  if (pua > 0) out.hidden.push_back(HiddenText{"private_use", {}, pua, origin});
  return s.stripped;
}

void Appender::flush_word(Scratch& s, std::string& canon) {
  if (s.word.empty()) return;
  bool ascii_letter = false, non_ascii = false, all_map = true, foreign = false;
  for (char32_t cp : s.word) {
    if (cp < 0x80) {
      if ((cp >= 'a' && cp <= 'z')) ascii_letter = true;
      continue;
    }
    non_ascii = true;
    const Skeleton& sk = impl_.skeleton(cp);
    if (sk.drop) continue;
    if (sk.ascii.empty()) all_map = false;
    if (sk.foreign) foreign = true;
  }
  if (!non_ascii) {
    for (char32_t cp : s.word) canon.push_back(static_cast<char>(cp));
  } else if (ascii_letter || all_map) {
    std::size_t start = canon.size();
    bool mapped_foreign = false;
    for (char32_t cp : s.word) {
      if (cp < 0x80) {
        canon.push_back(static_cast<char>(cp));
        continue;
      }
      const Skeleton& sk = impl_.skeleton(cp);
      if (sk.drop) continue;
      if (!sk.ascii.empty()) {
        canon.append(sk.ascii);
        if (sk.foreign) mapped_foreign = true;
      } else {
        aiir::detail::append_utf8(canon, cp);
      }
    }
    // Mixed-script word: Latin letters with Cyrillic/Greek/... look-alikes.
    if (ascii_letter && foreign && mapped_foreign) {
      if (impl_.homoglyph_words++ == 0) impl_.homoglyph_example.assign(canon, start, std::string::npos);
    }
  } else {
    for (char32_t cp : s.word) aiir::detail::append_utf8(canon, cp);
  }
  s.word.clear();
}

void Appender::fold(std::string_view nf, std::string& canon) {
  Scratch& s = impl_.scratch[3];
  s.word.clear();
  std::size_t i = 0;
  while (i < nf.size()) {
    char32_t cp = next_cp(nf, i);
    if (cp < 0x80) {
      if (is_ascii_alnum(cp)) {
        s.word.push_back(static_cast<unsigned char>(kLower[cp]));
      } else {
        flush_word(s, canon);
        canon.push_back(static_cast<char>(cp));
      }
      continue;
    }
    auto fc = static_cast<char32_t>(u_foldCase(static_cast<UChar32>(cp), U_FOLD_CASE_DEFAULT));
    auto cat = u_charType(static_cast<UChar32>(fc));
    if (u_isalnum(static_cast<UChar32>(fc)) || cat == U_NON_SPACING_MARK || cat == U_COMBINING_SPACING_MARK ||
        cat == U_ENCLOSING_MARK) {
      s.word.push_back(fc);
    } else {
      flush_word(s, canon);
      if (u_isUWhiteSpace(static_cast<UChar32>(fc))) canon.push_back(' ');
      else aiir::detail::append_utf8(canon, fc);
    }
  }
  flush_word(s, canon);
}

void Appender::emit(std::string_view kind, std::string_view bytes, std::size_t count, NormalizedText& out,
                    std::uint32_t origin, int depth, bool encoding) {
  bool printable = bytes.size() >= (encoding ? 4u : 1u) && detail::printable_ratio(bytes) >= opt_.min_printable;
  if (encoding && !printable) return;  // random blobs (images, keys) are not findings
  HiddenText h{kind, {}, count, origin};
  if (printable) h.decoded.assign(bytes.substr(0, opt_.max_hidden_bytes));
  out.hidden.push_back(std::move(h));
  if (!printable || depth + 1 > opt_.max_decode_depth) return;
  add_view(bytes, ViewKind::kDecoded, out, origin, depth);
}

void Appender::add_view(std::string_view bytes, ViewKind kind, NormalizedText& out, std::uint32_t origin, int depth) {
  if (out.decoded_bytes >= opt_.max_decoded_bytes) return;
  std::string_view keep = bytes.substr(0, opt_.max_decoded_bytes - out.decoded_bytes);
  out.decoded_bytes += keep.size();
  NormalizedText child;
  Appender(impl_, opt_, owner_).run(keep, child, depth + 1);
  owner_.finish(child);
  out.decoded_bytes += child.decoded_bytes;
  out.views.push_back(std::move(child.canonical));
  out.view_kinds.push_back(kind);
  out.view_origin.push_back(origin);
  for (auto& v : child.views) {
    out.views.push_back(std::move(v));
    out.view_kinds.push_back(kind);
    out.view_origin.push_back(origin);
  }
  for (auto& hh : child.hidden) {
    hh.origin = origin;
    out.hidden.push_back(std::move(hh));
  }
}

void Appender::decode_segments(std::string_view nf, NormalizedText& out, std::uint32_t origin, int depth) {
  std::string& buf = impl_.decode_buf;
  std::size_t n = nf.size();
  std::size_t url_escapes = 0;
  std::size_t i = 0;
  while (i < n) {
    char c = nf[i];
    if (c == '%' && i + 2 < n && is_hex_byte(nf[i + 1]) && is_hex_byte(nf[i + 2])) ++url_escapes;
    if (!is_b64_byte(c) || (i > 0 && (is_b64_byte(nf[i - 1]) || nf[i - 1] == '%'))) {
      ++i;
      continue;
    }
    std::size_t j = i;
    bool all_hex = true;
    while (j < n && is_b64_byte(nf[j])) {
      if (!is_hex_byte(nf[j])) all_hex = false;
      ++j;
    }
    std::size_t end = j;
    while (end < n && end - j < 2 && nf[end] == '=') ++end;
    std::size_t len = j - i;
    if (all_hex && len >= opt_.min_hex && len % 2 == 0) {
      std::string decoded;
      if (detail::decode_hex(nf.substr(i, len), decoded)) emit("hex", decoded, 1, out, origin, depth, true);
    } else if (len >= opt_.min_base64) {
      std::string decoded;
      if (detail::decode_base64(nf.substr(i, end - i), decoded)) emit("base64", decoded, 1, out, origin, depth, true);
    }
    i = end;
  }
  if (url_escapes < opt_.min_url_escapes) return;
  // URL-decode each whitespace-free run that holds enough escapes.
  i = 0;
  while (i < n) {
    while (i < n && (nf[i] == ' ' || nf[i] == '\n' || nf[i] == '\t' || nf[i] == '\r')) ++i;
    std::size_t j = i, esc = 0;
    while (j < n && nf[j] != ' ' && nf[j] != '\n' && nf[j] != '\t' && nf[j] != '\r') {
      if (nf[j] == '%' && j + 2 < n && is_hex_byte(nf[j + 1]) && is_hex_byte(nf[j + 2])) ++esc;
      ++j;
    }
    if (esc >= opt_.min_url_escapes && detail::decode_url(nf.substr(i, j - i), buf)) {
      std::string decoded = buf;
      emit("url", decoded, esc, out, origin, depth, true);
    }
    i = j;
  }
}

}  // namespace

std::uint32_t TextNormalizer::append(std::string_view text, NormalizedText& out) {
  return Appender(*impl_, options_, *this).run(text, out, 0);
}

void TextNormalizer::finish(NormalizedText& out) {
  const std::string& c = out.canonical;
  const std::size_t n = c.size();

  // Spaced-out letters: runs of >= 3 single characters split by one separator
  // collapse into a word; a wider gap becomes one space.
  auto single_at = [&](std::size_t k) {
    return k < n && is_alnum_byte(c[k]) && (k == 0 || !is_alnum_byte(c[k - 1])) &&
           (k + 1 == n || !is_alnum_byte(c[k + 1]));
  };
  auto is_sep = [](char ch) { return ch == ' ' || ch == '.' || ch == '-' || ch == '_' || ch == '*'; };
  bool collapsed_any = false;
  std::string collapsed;
  auto& map = out.collapsed_map;
  map.clear();
  const std::size_t collapse_end = (out.hints & NormalizedText::kHintSpaced) ? n : 0;
  for (std::size_t k = 0; k < collapse_end;) {
    if (single_at(k)) {
      // Measure the run.
      std::size_t letters = 1, j = k;
      while (true) {
        std::size_t m = j + 1, gap = 0;
        while (m < n && is_sep(c[m]) && gap < 4) { ++m; ++gap; }
        if (gap == 0 || !single_at(m)) break;
        j = m;
        ++letters;
      }
      if (letters >= 3) {
        if (!collapsed_any) {
          collapsed_any = true;
          collapsed.reserve(n);
          collapsed.assign(c, 0, k);
          map.resize(k);
          for (std::size_t q = 0; q < k; ++q) map[q] = static_cast<std::uint32_t>(q);
        }
        std::size_t p = k;
        while (p <= j) {
          if (is_alnum_byte(c[p])) {
            collapsed.push_back(c[p]);
            map.push_back(static_cast<std::uint32_t>(p));
            ++p;
            std::size_t gap = 0, g0 = p;
            while (p <= j && is_sep(c[p])) { ++p; ++gap; }
            if (gap >= 2 && p <= j) {
              collapsed.push_back(' ');
              map.push_back(static_cast<std::uint32_t>(g0));
            }
          } else {
            ++p;
          }
        }
        k = j + 1;
        continue;
      }
    }
    if (collapsed_any) {
      collapsed.push_back(c[k]);
      map.push_back(static_cast<std::uint32_t>(k));
    }
    ++k;
  }
  if (collapsed_any) {
    out.views.push_back(std::move(collapsed));
    out.view_kinds.push_back(ViewKind::kCollapsed);
    out.view_origin.push_back(0);
  } else {
    map.clear();
  }

  // Leetspeak: only when a leet character touches a letter.
  bool leet = false;
  for (std::size_t k = 0; k < n && !leet && (out.hints & NormalizedText::kHintLeet); ++k) {
    char ch = c[k];
    if (ch == '0' || ch == '1' || ch == '3' || ch == '4' || ch == '5' || ch == '7' || ch == '@' || ch == '$') {
      if ((k > 0 && is_ascii_letter_byte(c[k - 1])) || (k + 1 < n && is_ascii_letter_byte(c[k + 1]))) leet = true;
    }
  }
  if (leet) {
    std::string v(c);
    for (char& ch : v) {
      switch (ch) {
        case '0': ch = 'o'; break;
        case '1': ch = 'i'; break;
        case '3': ch = 'e'; break;
        case '4': ch = 'a'; break;
        case '5': ch = 's'; break;
        case '7': ch = 't'; break;
        case '@': ch = 'a'; break;
        case '$': ch = 's'; break;
        default: break;
      }
    }
    out.views.push_back(std::move(v));
    out.view_kinds.push_back(ViewKind::kLeet);
    out.view_origin.push_back(0);
  }

  // ROT13: a view only when the text names it or holds ROT13 of a trigger word.
  if (options_.rot13_view && n > 0 && RE2::PartialMatch(c, *impl_->rot13_trigger)) add_rot13_view(out);
}

void add_rot13_view(NormalizedText& text) {
  if (std::find(text.view_kinds.begin(), text.view_kinds.end(), ViewKind::kRot13) != text.view_kinds.end()) return;
  std::string v;
  detail::rot13(text.canonical, v);
  text.views.push_back(std::move(v));
  text.view_kinds.push_back(ViewKind::kRot13);
  text.view_origin.push_back(0);
}

}  // namespace aiir::content
