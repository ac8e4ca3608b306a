// SPDX-License-Identifier: Apache-2.0
// Word-shingle overlap between a system prompt and a response.
#include "content/leakage.h"

#include <algorithm>
#include <cstdio>

namespace aiir::content {

namespace {

// Word bytes (letters, digits, non-ASCII) lowercased; 0 for the rest.
constexpr std::array<unsigned char, 256> make_word_table() {
  std::array<unsigned char, 256> t{};
  for (int c = 0; c < 256; ++c) {
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80) t[static_cast<std::size_t>(c)] = static_cast<unsigned char>(c);
    else if (c >= 'A' && c <= 'Z') t[static_cast<std::size_t>(c)] = static_cast<unsigned char>(c - 'A' + 'a');
  }
  return t;
}
constexpr std::array<unsigned char, 256> kWord = make_word_table();

// Appends one 64-bit hash per word of all texts (FNV-1a over lowercased bytes).
void word_hashes(std::span<const std::string_view> texts, std::vector<std::uint64_t>& out) {
  out.clear();
  for (std::string_view t : texts) {
    const auto* p = reinterpret_cast<const unsigned char*>(t.data());
    const std::size_t n = t.size();
    std::size_t i = 0;
    while (i < n) {
      while (i < n && kWord[p[i]] == 0) ++i;
      if (i == n) break;
      std::uint64_t h = 0xcbf29ce484222325ULL;
      for (unsigned char c; i < n && (c = kWord[p[i]]) != 0; ++i) h = (h ^ c) * 0x100000001b3ULL;
      out.push_back(h);
    }
  }
}

// Calls f(hash) for each run of k consecutive words: a polynomial rolling
// hash (sum of words[i + j] * B^(k-1-j), mod 2^64), O(1) per word whatever k.
template <typename F>
void for_each_shingle(const std::vector<std::uint64_t>& words, std::size_t k, F&& f) {
  if (k == 0 || words.size() < k) return;
  constexpr std::uint64_t kB = 0x9e3779b97f4a7c15ULL;
  std::uint64_t bk = 1;  // B^k
  std::uint64_t h = 0;
  for (std::size_t j = 0; j < k; ++j) {
    bk *= kB;
    h = h * kB + words[j];
  }
  f(h);
  for (std::size_t i = k; i < words.size(); ++i) {
    h = h * kB + words[i] - words[i - k] * bk;
    f(h);
  }
}

void shingles(const std::vector<std::uint64_t>& words, std::size_t k, std::vector<std::uint64_t>& out) {
  out.clear();
  for_each_shingle(words, k, [&](std::uint64_t h) { out.push_back(h); });
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
}

}  // namespace

LeakageResult system_prompt_leakage(std::span<const std::string_view> system_texts,
                                    std::span<const std::string_view> output_texts, LeakageScratch& s,
                                    const LeakageOptions& opt) {
  LeakageResult r;
  // System side: sorted distinct shingles, cached while the system texts repeat.
  // The key starts with the options the shingles depend on.
  char opts[32];
  const int n_opts = std::snprintf(opts, sizeof opts, "%zu/%zu", opt.shingle, opt.min_words);
  const std::string_view opt_key(opts, static_cast<std::size_t>(std::max(0, n_opts)) + 1);  // with the '\0'
  bool same = s.sys_valid && s.sys_key.compare(0, opt_key.size(), opt_key) == 0;
  if (same) {
    std::size_t pos = opt_key.size();
    for (std::string_view t : system_texts) {
      if (pos + t.size() + 1 > s.sys_key.size() || s.sys_key.compare(pos, t.size(), t) != 0 ||
          s.sys_key[pos + t.size()] != '\0') {
        same = false;
        break;
      }
      pos += t.size() + 1;
    }
    same = same && pos == s.sys_key.size();
  }
  if (!same) {
    s.sys_key.assign(opt_key);
    for (std::string_view t : system_texts) {
      s.sys_key.append(t);
      s.sys_key.push_back('\0');
    }
    word_hashes(system_texts, s.words);
    s.sys_k = std::min(opt.shingle, s.words.size());
    s.sys.clear();
    if (s.sys_k >= opt.min_words && s.sys_k > 0) shingles(s.words, s.sys_k, s.sys);
    s.filter.fill(0);
    for (std::uint64_t h : s.sys) s.filter[h >> 58] |= std::uint64_t{1} << ((h >> 52) & 63);
    s.sys_valid = true;
  }
  const std::size_t k = s.sys_k;
  if (k < opt.min_words || k == 0) return r;
  r.system_shingles = s.sys.size();
  if (s.sys.empty()) return r;
  // Output side: each shingle looked up in the sorted system set (no sort).
  word_hashes(output_texts, s.words);
  if (s.words.size() < k) return r;
  s.hit.assign(s.sys.size(), 0);
  for_each_shingle(s.words, k, [&](std::uint64_t h) {
    if ((s.filter[h >> 58] & (std::uint64_t{1} << ((h >> 52) & 63))) == 0) return;
    auto it = std::lower_bound(s.sys.begin(), s.sys.end(), h);
    if (it != s.sys.end() && *it == h) {
      std::uint8_t& seen = s.hit[static_cast<std::size_t>(it - s.sys.begin())];
      if (!seen) {
        seen = 1;
        ++r.matched_shingles;
      }
    }
  });
  r.ratio = static_cast<double>(r.matched_shingles) / static_cast<double>(r.system_shingles);
  std::size_t need = std::min(opt.min_matched, r.system_shingles);
  r.leaked = r.ratio >= opt.threshold && r.matched_shingles >= need;
  return r;
}

}  // namespace aiir::content
