// SPDX-License-Identifier: Apache-2.0
// Word-shingle overlap between a system prompt and a response.
#include "content/leakage.h"

#include <algorithm>

namespace aiir::content {

namespace {

// Appends one 64-bit hash per word of all texts (FNV-1a over lowercased bytes).
void word_hashes(std::span<const std::string_view> texts, std::vector<std::uint64_t>& out) {
  out.clear();
  for (std::string_view t : texts) {
    std::uint64_t h = 0;
    bool in_word = false;
    for (char ch : t) {
      auto c = static_cast<unsigned char>(ch);
      bool word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
      if (word) {
        if (!in_word) {
          h = 0xcbf29ce484222325ULL;
          in_word = true;
        }
        if (c >= 'A' && c <= 'Z') c = static_cast<unsigned char>(c - 'A' + 'a');
        h = (h ^ c) * 0x100000001b3ULL;
      } else if (in_word) {
        out.push_back(h);
        in_word = false;
      }
    }
    if (in_word) out.push_back(h);
  }
}

void shingles(const std::vector<std::uint64_t>& words, std::size_t k, std::vector<std::uint64_t>& out) {
  out.clear();
  if (words.size() < k) return;
  for (std::size_t i = 0; i + k <= words.size(); ++i) {
    std::uint64_t h = 0x9e3779b97f4a7c15ULL;
    for (std::size_t j = 0; j < k; ++j) {
      h ^= words[i + j] + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    }
    out.push_back(h);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
}

}  // namespace

LeakageResult system_prompt_leakage(std::span<const std::string_view> system_texts,
                                    std::span<const std::string_view> output_texts, LeakageScratch& s,
                                    const LeakageOptions& opt) {
  LeakageResult r;
  word_hashes(system_texts, s.words);
  std::size_t k = std::min(opt.shingle, s.words.size());
  if (k < opt.min_words || k == 0) return r;
  shingles(s.words, k, s.sys);
  word_hashes(output_texts, s.words);
  shingles(s.words, k, s.out);
  r.system_shingles = s.sys.size();
  if (s.sys.empty() || s.out.empty()) return r;
  std::size_t i = 0, j = 0;
  while (i < s.sys.size() && j < s.out.size()) {
    if (s.sys[i] < s.out[j]) ++i;
    else if (s.out[j] < s.sys[i]) ++j;
    else { ++r.matched_shingles; ++i; ++j; }
  }
  r.ratio = static_cast<double>(r.matched_shingles) / static_cast<double>(r.system_shingles);
  std::size_t need = std::min(opt.min_matched, r.system_shingles);
  r.leaked = r.ratio >= opt.threshold && r.matched_shingles >= need;
  return r;
}

}  // namespace aiir::content
