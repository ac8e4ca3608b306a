// SPDX-License-Identifier: Apache-2.0
// Prompt-attack model: normalization for the model, hashed n-gram features, scoring, weights file I/O.
#include "content/model.h"
#include "content/normalize_text.h"
#include "util/cpu.h"
#include "util/utf8.h"

#include <aiir/error.h>
#include <unicode/normalizer2.h>
#include <unicode/unistr.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define AIIR_MODEL_AVX512 1  // count_features hashes 4-grams with AVX-512 where the CPU has it
#endif

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <fstream>
#include <span>
#include <sstream>
#include <tuple>
#include <utility>

namespace aiir::model {

namespace {

constexpr std::string_view kMagic = "aiir-prompt-model";
constexpr std::size_t kMaxDecodedDepth = 2;
constexpr std::size_t kMinBase64Run = 20;

// ---- UTF-8 helpers -------------------------------------------------------

// Decodes one code point at `i`; invalid sequences give U+FFFD and advance one byte.
char32_t decode_utf8(std::string_view s, std::size_t& i) noexcept {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    ++i;
    return b0;
  }
  int len = 0;
  char32_t cp = 0;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2;
    cp = b0 & 0x1F;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3;
    cp = b0 & 0x0F;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4;
    cp = b0 & 0x07;
  } else {
    ++i;
    return 0xFFFD;
  }
  if (i + static_cast<std::size_t>(len) > s.size()) {
    ++i;
    return 0xFFFD;
  }
  for (int k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]);
    if ((b & 0xC0) != 0x80) {
      ++i;
      return 0xFFFD;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  const bool overlong = (len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
  if (overlong || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    ++i;
    return 0xFFFD;
  }
  i += static_cast<std::size_t>(len);
  return cp;
}


bool invisible(char32_t cp) noexcept {
  return cp == 0x00AD || cp == 0x034F || cp == 0x115F || cp == 0x1160 || cp == 0x180E ||
         (cp >= 0x200B && cp <= 0x200F) || (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2060 && cp <= 0x2064) ||
         (cp >= 0x2066 && cp <= 0x2069) || cp == 0x3164 || (cp >= 0xFE00 && cp <= 0xFE0F) || cp == 0xFEFF ||
         cp == 0xFFA0 || (cp >= 0xE0100 && cp <= 0xE01EF);
}

// Step 1: invisible characters out, Unicode tag characters decoded to ASCII.
std::string strip_invisible(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const auto b = static_cast<unsigned char>(text[i]);
    if (b < 0x80) {
      out.push_back(static_cast<char>(b));
      ++i;
      continue;
    }
    const char32_t cp = decode_utf8(text, i);
    if (cp >= 0xE0000 && cp <= 0xE007F) {
      if (cp >= 0xE0020 && cp <= 0xE007E) out.push_back(static_cast<char>(cp - 0xE0000));
      continue;
    }
    if (invisible(cp)) continue;
    aiir::detail::append_utf8(out, cp);
  }
  return out;
}

int b64_value(char c) noexcept {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '-') return 62;
  if (c == '/' || c == '_') return 63;
  return -1;
}

bool b64_char(char c) noexcept { return b64_value(c) >= 0 || c == '='; }

// Decodes a base64 run; true when the result is text worth scanning (valid
// UTF-8, at least 90% printable).
bool decode_b64_text(std::string_view run, std::string& out) {
  out.clear();
  std::uint32_t acc = 0;
  int bits = 0;
  bool saw_letter = false, saw_digit_or_sym = false;
  for (char c : run) {
    if (c == '=') break;
    const int v = b64_value(c);
    if (v < 0) return false;
    saw_letter = saw_letter || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
    saw_digit_or_sym = saw_digit_or_sym || v >= 52;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  if (out.size() < 8) return false;
  std::size_t printable = 0, total = 0, i = 0;
  while (i < out.size()) {
    const char32_t cp = decode_utf8(out, i);
    if (cp == 0xFFFD) return false;
    ++total;
    if (cp >= 0x20 ? cp != 0x7F : (cp == '\n' || cp == '\r' || cp == '\t')) ++printable;
  }
  return printable * 10 >= total * 9;
}

// Step 2: base64 runs of >= 20 characters that decode to text are replaced by
// that text (depth-bounded).
std::string decode_base64_runs(std::string_view text, std::size_t depth) {
  std::string out;
  out.reserve(text.size());
  std::string decoded;
  std::size_t i = 0;
  while (i < text.size()) {
    if (!b64_char(text[i]) || text[i] == '=') {
      out.push_back(text[i++]);
      continue;
    }
    std::size_t j = i;
    while (j < text.size() && b64_char(text[j])) ++j;
    const std::string_view run = text.substr(i, j - i);
    if (run.size() >= kMinBase64Run && decode_b64_text(run, decoded)) {
      if (depth + 1 < kMaxDecodedDepth) {
        out += decode_base64_runs(decoded, depth + 1);
      } else {
        out += decoded;
      }
    } else {
      out.append(run);
    }
    i = j;
  }
  return out;
}

// Step 3: NFKC with case folding (folds fullwidth forms, ligatures, math letters).
std::string nfkc_casefold(const std::string& text) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* norm = icu::Normalizer2::getNFKCCasefoldInstance(status);
  if (U_FAILURE(status) || norm == nullptr) return text;
  const icu::UnicodeString in = icu::UnicodeString::fromUTF8(icu::StringPiece(text.data(), static_cast<int32_t>(text.size())));
  icu::UnicodeString folded = norm->normalize(in, status);
  if (U_FAILURE(status)) return text;
  std::string out;
  folded.toUTF8String(out);
  return out;
}

// True when ASCII `text` has a run collapse_spaced joins. A run needs three
// single-character tokens, the first at a token start: [start or white] c ' '
// c ' ' c [end or white] (a lone " a " in prose is not one).
bool ascii_spaced_run(std::string_view text) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  auto white = [](unsigned char c) { return (c == ' ') | (c == '\n') | (c == '\t') | (c == '\r'); };
  bool run = false;
  if (n >= 5) {
    // Branch-free over the middle, the edges by hand. The middle 16
    // positions at a time (SSE2) as bit masks of white and space bytes:
    // the compiler left the per-byte form scalar, a tenth of the scorer.
    std::size_t k = 1;
#if defined(__SSE2__)
    auto masks = [&](std::size_t at, std::uint32_t& w, std::uint32_t& sp) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + at));
      auto eq = [&](char c) { return _mm_cmpeq_epi8(v, _mm_set1_epi8(c)); };
      const __m128i is_sp = eq(' ');
      const __m128i is_w = _mm_or_si128(_mm_or_si128(is_sp, eq('\n')), _mm_or_si128(eq('\t'), eq('\r')));
      w = static_cast<std::uint32_t>(_mm_movemask_epi8(is_w));
      sp = static_cast<std::uint32_t>(_mm_movemask_epi8(is_sp));
    };
    // Bytes [base, base + 32) give the positions k = base + 1 + j (j < 16):
    // bit j + d of the masks is byte k - 1 + d.
    for (std::size_t base = 0; base + 32 <= n && !run; base += 16, k = base + 1) {
      std::uint32_t w0, s0, w1, s1;
      masks(base, w0, s0);
      masks(base + 16, w1, s1);
      const std::uint32_t w = w0 | (w1 << 16), sp = s0 | (s1 << 16);
      run = (w & ~(w >> 1) & (sp >> 2) & ~(w >> 3) & (sp >> 4) & ~(w >> 5) & (w >> 6) & 0xffffu) != 0;
    }
#endif
    for (; k + 5 < n; ++k) {
      run |= white(p[k - 1]) & !white(p[k]) & (p[k + 1] == ' ') & !white(p[k + 2]) & (p[k + 3] == ' ') &
             !white(p[k + 4]) & white(p[k + 5]);
    }
    auto at = [&](std::size_t q) {
      return (q == 0 || white(p[q - 1])) && !white(p[q]) && p[q + 1] == ' ' && !white(p[q + 2]) &&
             p[q + 3] == ' ' && !white(p[q + 4]) && (q + 5 == n || white(p[q + 5]));
    };
    run = run || at(0) || at(n - 5);
  }
  return run;
}

// Step 4: runs of 3 or more single characters separated by single spaces are
// joined ("i g n o r e" -> "ignore"); two or more spaces end a word.
std::string collapse_spaced(std::string owned) {
  // ASCII text without a run is returned as it is, not copied.
  const std::string_view text = owned;
  {
    unsigned char any = 0;
    for (unsigned char c : text) any |= c;
    if (any < 0x80 && !ascii_spaced_run(text)) return owned;
  }
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    // Try to read a run of single-character tokens separated by exactly one space.
    std::size_t j = i;
    std::size_t count = 0;
    std::size_t run_end = i;
    while (j < text.size()) {
      const char c = text[j];
      if (c == ' ' || c == '\n' || c == '\t' || c == '\r') break;
      std::size_t k = j;
      decode_utf8(text, k);
      // The character must stand alone: followed by end, or by a single space and a non-space.
      const bool at_end = k >= text.size();
      const bool next_is_space = !at_end && text[k] == ' ';
      const bool alone = at_end || next_is_space || text[k] == '\n' || text[k] == '\t' || text[k] == '\r';
      if (!alone) break;
      ++count;
      run_end = k;
      if (next_is_space && k + 1 < text.size() && text[k + 1] != ' ' && text[k + 1] != '\n' &&
          text[k + 1] != '\t' && text[k + 1] != '\r') {
        j = k + 1;
        continue;
      }
      break;
    }
    if (count >= 3) {
      for (std::size_t p = i; p < run_end; ++p) {
        if (text[p] != ' ') out.push_back(text[p]);
      }
      i = run_end;
      continue;
    }
    // Not a run: copy the token and the whitespace after it.
    auto ws = [&](std::size_t p) { return text[p] == ' ' || text[p] == '\n' || text[p] == '\t' || text[p] == '\r'; };
    std::size_t k = i;
    while (k < text.size() && !ws(k)) ++k;
    while (k < text.size() && ws(k)) ++k;
    out.append(text.substr(i, k - i));
    i = k;
  }
  return out;
}

// ---- hashing ------------------------------------------------------------

constexpr std::uint64_t kFnvOffset = 0xcbf29ce484222325ULL;
constexpr std::uint64_t kFnvPrime = 0x100000001b3ULL;

inline std::uint64_t fnv_bytes(std::uint64_t h, std::string_view s) noexcept {
  for (unsigned char c : s) {
    h ^= c;
    h *= kFnvPrime;
  }
  return h;
}

inline std::uint64_t fnv_byte(std::uint64_t h, unsigned char c) noexcept {
  h ^= c;
  h *= kFnvPrime;
  return h;
}

inline std::uint64_t finalize(std::uint64_t x) noexcept {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

inline std::uint64_t seeded(std::uint64_t seed, char kind) noexcept {
  std::uint64_t h = kFnvOffset;
  for (int i = 0; i < 8; ++i) h = fnv_byte(h, static_cast<unsigned char>((seed >> (8 * i)) & 0xff));
  return fnv_byte(h, static_cast<unsigned char>(kind));
}

bool word_byte(unsigned char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80 || c == '\'';
}

#if defined(AIIR_MODEL_AVX512)
// GCC 12 warns about the undefined vectors inside its own AVX-512 intrinsics.
#if !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
// The bucket ids of the character 4-grams starting at positions [0, count)
// of f (f holds 3 bytes past them), eight positions at a time in 64-bit
// lanes: the same FNV chain, mix and finalizer as count_features' scalar
// loop, whose multiplies (six per byte) were a third of the scorer. Returns
// the positions done, a multiple of 8; the caller does the rest.
__attribute__((target("avx512f,avx512dq"))) std::size_t char4_ids_avx512(
    const unsigned char* f, std::size_t count, std::uint64_t seed, std::uint64_t mix, std::uint32_t mask,
    std::uint32_t* ids) noexcept {
  // (A lambda would not inherit the target: the broadcasts are spelled out.)
  const __m512i prime = _mm512_set1_epi64(static_cast<long long>(kFnvPrime));
  const __m512i c1 = _mm512_set1_epi64(static_cast<long long>(0xff51afd7ed558ccdULL));
  const __m512i c2 = _mm512_set1_epi64(static_cast<long long>(0xc4ceb9fe1a85ec53ULL));
  const __m512i start = _mm512_set1_epi64(static_cast<long long>(seed));
  const __m512i mixed = _mm512_set1_epi64(static_cast<long long>(mix));
  const __m256i bucket_mask = _mm256_set1_epi32(static_cast<int>(mask));
  std::size_t s = 0;
  for (; s + 8 <= count; s += 8) {
    __m512i h = start;
    for (std::size_t j = 0; j < 4; ++j) {  // lane k takes byte s + k + j
      const __m512i c = _mm512_cvtepu8_epi64(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(f + s + j)));
      h = _mm512_mullo_epi64(_mm512_xor_si512(h, c), prime);
    }
    h = _mm512_xor_si512(h, mixed);
    h = _mm512_mullo_epi64(_mm512_xor_si512(h, _mm512_srli_epi64(h, 33)), c1);
    h = _mm512_mullo_epi64(_mm512_xor_si512(h, _mm512_srli_epi64(h, 33)), c2);
    h = _mm512_xor_si512(h, _mm512_srli_epi64(h, 33));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(ids + s), _mm256_and_si256(_mm512_cvtepi64_epi32(h), bucket_mask));
  }
  return s;
}
#if !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#endif

// How many features ahead the count and weight arrays (larger than the L2
// cache) are prefetched.
constexpr std::size_t kPrefetchAhead = 16;

// Per-thread bucket counters, reset after each use (only touched buckets).
// `touched` lists each bucket once, in first-touch order (the order the score
// sums them in); it is written branch-free, one slot ahead.
struct Scratch {
  std::vector<std::uint16_t> counts;
  std::vector<std::uint32_t> touched;
  std::size_t n_touched = 0;
  std::vector<std::uint32_t> ids;  ///< bucket of each feature occurrence, in order
  std::vector<float> values;       ///< the score's feature values, in first-touch order
  std::string flat;
};

Scratch& scratch_for(std::uint32_t buckets) {
  thread_local Scratch s;
  if (s.counts.size() != buckets) {
    s.counts.assign(buckets, 0);
    s.n_touched = 0;
  }
  return s;
}

}  // namespace

std::uint64_t feature_hash(std::uint64_t seed, std::string_view kind, std::string_view text) noexcept {
  std::uint64_t h = seeded(seed, kind.empty() ? '\0' : kind[0]);
  return finalize(fnv_bytes(h, text));
}

namespace {
/// True when `text` is ASCII with no base64 run the model would decode: then
/// normalize_for_model is ASCII lower-casing plus collapse_spaced (NFKC and
/// case folding map ASCII to itself, lower-cased), with no ICU round trip.
bool plain_ascii(std::string_view text) noexcept {
  unsigned char any = 0;
  for (char c : text) any |= static_cast<unsigned char>(c);  // vectorized
  if (any >= 0x80) return false;
  // No run of kMinBase64Run base64 characters ('=' too: decode_base64_runs
  // carries runs across it).
  return !content::detail::has_base64_run(text, kMinBase64Run, true);
}
}  // namespace

bool model_text_is_lowercase(std::string_view text) noexcept {
  return text.size() <= kScoreHeadBytes + kScoreTailBytes + 1 && plain_ascii(text) && !ascii_spaced_run(text);
}

std::string normalize_for_model(std::string_view text) {
  if (plain_ascii(text)) {
    std::string lower(text);
    for (char& c : lower)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return collapse_spaced(std::move(lower));
  }
  std::string s = strip_invisible(text);
  s = decode_base64_runs(s, 0);
  s = nfkc_casefold(s);
  s = strip_invisible(s);  // decoded payloads may carry invisible characters too
  return collapse_spaced(std::move(s));
}

namespace {

// 1 + log(count) for small counts, the common case.
struct LogTable {
  float v[64];
  LogTable() {
    v[0] = 0.0f;
    for (int i = 1; i < 64; ++i) v[i] = static_cast<float>(1.0 + std::log(static_cast<double>(i)));
  }
};

inline double log_count(std::uint32_t c) {
  static const LogTable table;
  return c < 64 ? table.v[c] : 1.0 + std::log(static_cast<double>(c));
}

// log_count() as the score rounds it (to float), for counts below kSize.
struct FloatLogTable {
  static constexpr std::uint32_t kSize = 1024;  // a power of two
  float v[kSize];
  FloatLogTable() {
    for (std::uint32_t c = 0; c < kSize; ++c) v[c] = static_cast<float>(log_count(c));
  }
};

// Counts hashed features of `text` into the scratch buckets (sc.touched lists
// each bucket once, in first-touch order).
void count_features(std::string_view text, const FeatureConfig& config, Scratch& sc) {
  const std::uint32_t mask = config.buckets() - 1;
  // At most one feature per byte and n-gram length, plus two per word.
  const std::size_t lengths = std::clamp<std::size_t>(config.char_ngram_max, 1, 8);
  if (sc.touched.size() < (text.size() + 3) * (lengths + 2)) sc.touched.resize((text.size() + 3) * (lengths + 2));
  // Two passes: the bucket of every feature first (arithmetic only), then
  // the counts, prefetched a few features ahead: the count array is larger
  // than the L2 cache, and counting as the hashes came stalled on each miss.
  if (sc.ids.size() < sc.touched.size()) sc.ids.resize(sc.touched.size());
  std::uint32_t* const ids = sc.ids.data();
  std::size_t n_ids = 0;
  auto bump = [&](std::uint64_t h) { ids[n_ids++] = static_cast<std::uint32_t>(finalize(h)) & mask; };

  // Words: runs of letters, digits, apostrophes and non-ASCII bytes; unigrams
  // and bigrams. One pass over each word runs three FNV chains side by side:
  // the unigram, the bigram that ends here (continuing the previous word's
  // "prev " prefix) and the prefix for the next bigram.
  const std::uint64_t word_seed = seeded(config.hash_seed, 'w');
  const std::uint64_t bigram_seed = seeded(config.hash_seed, 'b');
  const bool bigrams = config.word_ngram_max >= 2;
  bool have_prev = false;
  std::uint64_t prefix = 0;  // fnv(bigram_seed, prev) then ' '
  std::size_t i = 0;
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  while (i < n) {
    while (i < n && !word_byte(p[i])) ++i;
    if (i == n) break;
    std::uint64_t uni = word_seed, bi = prefix, next = bigram_seed;
    for (; i < n && word_byte(p[i]); ++i) {
      // ASCII capitals as lowercase (normalized text has none; see
      // model_text_is_lowercase), off the chains' critical path.
      const unsigned char c = static_cast<unsigned char>(p[i] + (static_cast<unsigned char>(p[i] - 'A') < 26 ? 32 : 0));
      uni = fnv_byte(uni, c);
      bi = fnv_byte(bi, c);
      next = fnv_byte(next, c);
    }
    bump(uni);
    if (bigrams && have_prev) bump(bi);
    prefix = fnv_byte(next, ' ');
    have_prev = true;
  }

  // Character n-grams over the text with whitespace runs collapsed to one
  // space and ASCII lower-cased, padded with a space at both ends. One FNV
  // chain per start position yields the n-grams of every length; the length is
  // mixed in before finalizing.
  std::string& flat = sc.flat;
  flat.resize(text.size() + 2);
  char* out = flat.data();
  std::size_t m = 0;
  out[m++] = ' ';
  // out[m - 1] == ' ', kept in a register: reading it back made each byte
  // wait for the store before it.
  bool after_space = true;
  const std::size_t n_text = text.size();
  std::size_t t = 0;
  auto copy_bytes = [&](std::size_t end) {
    for (; t < end; ++t) {
      const char c = text[t];
      const bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
      // A space is written only after a non-space; the slot is overwritten otherwise.
      out[m] = space ? ' ' : (c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
      m += space ? !after_space : 1;
      after_space = space;
    }
  };
#if defined(__SSE2__)
  // Sixteen bytes at a time where they copy as they are but for capitals (no
  // whitespace but single spaces): most of a prose prompt.
  for (; t + 16 <= n_text;) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(text.data() + t));
    auto within = [&](char lo, char hi) {  // lo <= byte <= hi
      const __m128i d = _mm_sub_epi8(v, _mm_set1_epi8(lo));
      return _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(static_cast<char>(hi - lo))), d);
    };
    const auto other = static_cast<unsigned>(_mm_movemask_epi8(within('\t', '\r')));
    const auto sp = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(' '))));
    if (other != 0 || (sp & ((sp << 1) | static_cast<unsigned>(after_space))) != 0) {  // a space to drop or replace
      copy_bytes(t + 16);
      continue;
    }
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + m), _mm_add_epi8(v, _mm_and_si128(within('A', 'Z'), _mm_set1_epi8(0x20))));
    m += 16;
    t += 16;
    after_space = (sp >> 15) != 0;
  }
#endif
  copy_bytes(n_text);
  if (out[m - 1] != ' ') out[m++] = ' ';
  flat.resize(m);
  const std::uint64_t char_seed = seeded(config.hash_seed, 'c');
  const std::size_t nmin = std::clamp<std::size_t>(config.char_ngram_min, 1, 8);
  const std::size_t nmax = std::clamp<std::size_t>(config.char_ngram_max, nmin, 8);
  const auto* f = reinterpret_cast<const unsigned char*>(flat.data());
  const std::size_t nf = flat.size();
  if (nmin == 4 && nmax == 4) {
    // The shipped configuration, unrolled: straight-line code lets the
    // multiplies of neighbouring positions overlap (same hashes as below).
    const std::uint64_t mix = 0x9e3779b97f4a7c15ULL * 4;
    std::size_t s = 0;
#if defined(AIIR_MODEL_AVX512)
    if (cpu_has_avx512() && nf >= 4) {
      s = char4_ids_avx512(f, nf - 3, char_seed, mix, mask, ids + n_ids);
      n_ids += s;
    }
#endif
    for (; s + 4 <= nf; ++s)
      bump(fnv_byte(fnv_byte(fnv_byte(fnv_byte(char_seed, f[s]), f[s + 1]), f[s + 2]), f[s + 3]) ^ mix);
  } else {
    for (std::size_t s = 0; s + nmin <= nf; ++s) {
      std::uint64_t h = char_seed;
      const std::size_t top = std::min(nmax, nf - s);
      for (std::size_t len = 1; len <= top; ++len) {
        h = fnv_byte(h, f[s + len - 1]);
        if (len >= nmin) bump(h ^ (0x9e3779b97f4a7c15ULL * len));
      }
    }
  }

  std::uint16_t* const counts = sc.counts.data();
  std::uint32_t* const touched = sc.touched.data();
  std::size_t n_touched = sc.n_touched;
  for (std::size_t k = 0; k < n_ids; ++k) {
    if (k + kPrefetchAhead < n_ids) __builtin_prefetch(counts + ids[k + kPrefetchAhead], 1);
    const std::uint32_t idx = ids[k];
    const std::uint16_t c = counts[idx];
    counts[idx] = static_cast<std::uint16_t>(c + (c < 0xffff));
    touched[n_touched] = idx;  // first-touch order, written branch-free
    n_touched += c == 0;
  }
  sc.n_touched = n_touched;
}

}  // namespace

void hashed_features(std::string_view text, const FeatureConfig& config, std::vector<Feature>& out) {
  out.clear();
  Scratch& sc = scratch_for(config.buckets());
  count_features(text, config, sc);
  // Values: 1 + log(count), L2-normalized; sorted by index.
  const auto touched = std::span(sc.touched).first(sc.n_touched);
  std::sort(touched.begin(), touched.end());
  out.reserve(touched.size());
  double norm = 0.0;
  for (std::uint32_t idx : touched) {
    const double v = log_count(sc.counts[idx]);
    norm += v * v;
    out.push_back({idx, static_cast<float>(v)});
    sc.counts[idx] = 0;
  }
  sc.n_touched = 0;
  if (norm > 0.0) {
    const double inv = 1.0 / std::sqrt(norm);
    for (auto& f : out) f.value = static_cast<float>(f.value * inv);
  }
}

std::string_view cap_for_scoring(std::string_view t, std::string& scratch) {
  if (t.size() <= kScoreHeadBytes + kScoreTailBytes + 1) return t;
  std::size_t h = kScoreHeadBytes;
  while (h > 0 && (static_cast<unsigned char>(t[h]) & 0xC0) == 0x80) --h;
  std::size_t from = t.size() - kScoreTailBytes;
  while (from < t.size() && (static_cast<unsigned char>(t[from]) & 0xC0) == 0x80) ++from;
  scratch.assign(t.substr(0, h));
  scratch.push_back('\n');
  scratch.append(t.substr(from));
  return scratch;
}

std::string model_text(std::string_view text) {
  std::string n = normalize_for_model(text);
  std::string scratch;
  std::string_view capped = cap_for_scoring(n, scratch);
  if (capped.size() == n.size()) return n;
  return scratch;
}

void features_for(std::string_view text, const FeatureConfig& config, std::vector<Feature>& out) {
  hashed_features(model_text(text), config, out);
}

PromptModel::PromptModel(FeatureConfig config, std::vector<float> weights, float bias, ModelInfo info)
    : config_(config), weights_(std::move(weights)), bias_(bias), info_(std::move(info)) {
  if (weights_.size() != config_.buckets()) throw Error("prompt model: weights do not match the bucket count");
}

double PromptModel::score_features(const std::vector<Feature>& features) const noexcept {
  double z = bias_;
  for (const auto& f : features) {
    if (f.index < weights_.size()) z += static_cast<double>(weights_[f.index]) * f.value;
  }
  return 1.0 / (1.0 + std::exp(-z));
}

namespace {
/// PromptModel::score()'s sums (dot, norm) with the values computed by
/// log_count from the counts in `vals`. Out of line: live across its calls,
/// the sums of the score's own loop were kept on the stack.
[[gnu::noinline]] std::pair<double, double> sums_with_log(const float* w, const std::uint32_t* touched,
                                                       const float* vals, std::size_t n) {
  double dot = 0.0, norm = 0.0;
  for (std::size_t k = 0; k < n; ++k) {
    const double v = static_cast<float>(log_count(static_cast<std::uint32_t>(vals[k])));
    norm += v * v;
    dot += static_cast<double>(w[touched[k]]) * v;
  }
  return {dot, norm};
}
}  // namespace

double PromptModel::score(std::string_view normalized_text) const {
  // Same values as hashed_features() + score_features(), without sorting or
  // materializing the feature vector (float rounding of the values aside).
  Scratch& sc = scratch_for(config_.buckets());
  count_features(normalized_text, config_, sc);
  // One loop: the sums are a chain of dependent additions, and the values'
  // loads and stores run in its shadow (a loop of their own before it was
  // half of this function). The values come from a table, no std::log call
  // in the loop (with one, the sums lived on the stack, a store and a reload
  // in each feature's chain); a count past the table (a term repeated a
  // thousand times, rare) has the sums redone by sums_with_log(), from the
  // counts kept in `vals`.
  const std::size_t n = sc.n_touched;
  if (sc.values.size() < n) sc.values.resize(n);
  const std::uint32_t* const touched = sc.touched.data();
  std::uint16_t* const counts = sc.counts.data();
  float* const vals = sc.values.data();
  const float* const w = weights_.data();
  static const FloatLogTable table;
  double dot = 0.0, norm = 0.0;
  bool past_table = false;
  for (std::size_t k = 0; k < n; ++k) {
    if (k + kPrefetchAhead < n) __builtin_prefetch(w + touched[k + kPrefetchAhead]);
    const std::uint32_t idx = touched[k];
    const std::uint16_t c = counts[idx];
    counts[idx] = 0;
    vals[k] = c;
    past_table |= c >= FloatLogTable::kSize;
    const double v = table.v[c & (FloatLogTable::kSize - 1)];
    norm += v * v;
    dot += static_cast<double>(w[idx]) * v;
  }
  sc.n_touched = 0;
  if (past_table) std::tie(dot, norm) = sums_with_log(w, touched, vals, n);
  const double z = bias_ + (norm > 0.0 ? dot / std::sqrt(norm) : 0.0);
  return 1.0 / (1.0 + std::exp(-z));
}

double PromptModel::score_text(std::string_view text) const { return score(model_text(text)); }

namespace {

std::string one_line(std::string_view s) {
  std::string out;
  for (char c : s) out.push_back(c == '\n' || c == '\r' ? ' ' : c);
  return out;
}

std::string fmt_double(double v) {
  std::ostringstream ss;
  ss.precision(17);
  ss << v;
  return ss.str();
}

}  // namespace

std::string PromptModel::header_text() const {
  std::ostringstream h;
  h << kMagic << ' ' << info_.version << '\n';
  h << "hash: fnv1a64+murmur3-fmix64, seed=" << config_.hash_seed << '\n';
  h << "bucket_bits: " << config_.bucket_bits << '\n';
  h << "word_ngram_max: " << config_.word_ngram_max << '\n';
  h << "char_ngram_min: " << config_.char_ngram_min << '\n';
  h << "char_ngram_max: " << config_.char_ngram_max << '\n';
  h << "features: word 1..N-grams + byte n-grams of the normalized text; value 1+log(count), L2-normalized\n";
  h << "normalization: model-internal (tags decoded, invisibles dropped, base64 decoded, NFKC_Casefold, spaced letters joined)\n";
  h << "bias: " << fmt_double(bias_) << '\n';
  h << "threshold: " << fmt_double(info_.threshold) << '\n';
  h << "target_fpr: " << fmt_double(info_.target_fpr) << '\n';
  h << "validation_fpr: " << fmt_double(info_.validation_fpr) << '\n';
  h << "validation_tpr: " << fmt_double(info_.validation_tpr) << '\n';
  h << "training_file: " << one_line(info_.training_file) << '\n';
  h << "training_sha256: " << one_line(info_.training_sha256) << '\n';
  h << "train_rows: " << info_.train_rows << '\n';
  h << "split: " << one_line(info_.split) << '\n';
  h << "trainer: " << one_line(info_.trainer) << '\n';
  h << "weights: float32 little-endian, " << weights_.size() << " values\n";
  h << "end\n";
  return h.str();
}

void PromptModel::save(const std::string& path) const {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw Error("prompt model: cannot write " + path);
  const std::string header = header_text();
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  static_assert(std::endian::native == std::endian::little, "weights are stored little-endian");
  out.write(reinterpret_cast<const char*>(weights_.data()), static_cast<std::streamsize>(weights_.size() * sizeof(float)));
  if (!out) throw Error("prompt model: write failed for " + path);
}

PromptModel PromptModel::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("prompt model: cannot open " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  const std::string data = ss.str();
  auto fail = [&](const std::string& why) { return Error("prompt model: " + path + ": " + why); };

  FeatureConfig config;
  ModelInfo info;
  double bias = 0.0;
  std::size_t pos = 0;
  bool first = true, ended = false;
  while (pos < data.size()) {
    const std::size_t nl = data.find('\n', pos);
    if (nl == std::string::npos) throw fail("truncated header");
    const std::string_view line(data.data() + pos, nl - pos);
    pos = nl + 1;
    if (first) {
      if (line.substr(0, kMagic.size()) != kMagic) throw fail("not a prompt model file");
      info.version = static_cast<std::uint32_t>(std::stoul(std::string(line.substr(kMagic.size()))));
      if (info.version != 1) throw fail("unsupported version");
      first = false;
      continue;
    }
    if (line == "end") {
      ended = true;
      break;
    }
    const std::size_t colon = line.find(": ");
    if (colon == std::string_view::npos) throw fail("bad header line");
    const std::string key(line.substr(0, colon));
    const std::string value(line.substr(colon + 2));
    try {
      if (key == "hash") {
        const std::size_t eq = value.find("seed=");
        if (eq == std::string::npos) throw fail("hash line without seed");
        config.hash_seed = std::stoull(value.substr(eq + 5));
      } else if (key == "bucket_bits") {
        config.bucket_bits = static_cast<std::uint32_t>(std::stoul(value));
        if (config.bucket_bits < 8 || config.bucket_bits > 24) throw fail("bucket_bits out of range");
      } else if (key == "word_ngram_max") {
        config.word_ngram_max = static_cast<std::uint32_t>(std::stoul(value));
      } else if (key == "char_ngram_min") {
        config.char_ngram_min = static_cast<std::uint32_t>(std::stoul(value));
      } else if (key == "char_ngram_max") {
        config.char_ngram_max = static_cast<std::uint32_t>(std::stoul(value));
        if (config.char_ngram_max > 8) throw fail("char_ngram_max out of range");
      } else if (key == "bias") {
        bias = std::stod(value);
      } else if (key == "threshold") {
        info.threshold = std::stod(value);
      } else if (key == "target_fpr") {
        info.target_fpr = std::stod(value);
      } else if (key == "validation_fpr") {
        info.validation_fpr = std::stod(value);
      } else if (key == "validation_tpr") {
        info.validation_tpr = std::stod(value);
      } else if (key == "training_file") {
        info.training_file = value;
      } else if (key == "training_sha256") {
        info.training_sha256 = value;
      } else if (key == "train_rows") {
        info.train_rows = std::stoull(value);
      } else if (key == "split") {
        info.split = value;
      } else if (key == "trainer") {
        info.trainer = value;
      }
    } catch (const std::logic_error&) {
      throw fail("bad value for " + key);
    }
  }
  if (!ended) throw fail("header has no end line");
  if (config.char_ngram_min < 1 || config.char_ngram_min > config.char_ngram_max) throw fail("bad n-gram range");
  const std::size_t n = config.buckets();
  if (data.size() - pos != n * sizeof(float)) throw fail("weights size does not match bucket_bits");
  std::vector<float> weights(n);
  std::memcpy(weights.data(), data.data() + pos, n * sizeof(float));
  for (float w : weights) {
    if (!std::isfinite(w)) throw fail("non-finite weight");
  }
  return PromptModel(config, std::move(weights), static_cast<float>(bias), std::move(info));
}

std::string default_model_path() { return std::string(AIIR_SOURCE_DIR) + "/rules/prompt-model.bin"; }

}  // namespace aiir::model
