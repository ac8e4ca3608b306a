// SPDX-License-Identifier: Apache-2.0
// System-prompt leakage: a response that reproduces a large share of the
// request's system prompt, by word-shingle overlap (invocation.md §3.3).
#pragma once

#include <cstddef>
#include <cstdint>
#include <array>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace aiir::content {

/// Thresholds. Defaults: 8-word shingles; leaked when at least 50% of the
/// system prompt's distinct shingles appear in the output and at least 3 do.
/// Prompts shorter than `shingle` words use shingles of their own length, down
/// to `min_words` (shorter prompts are never judged: too easy to echo by chance).
struct LeakageOptions {
  std::size_t shingle = 8;
  double threshold = 0.5;
  std::size_t min_matched = 3;
  std::size_t min_words = 6;
};

struct LeakageResult {
  bool leaked = false;
  double ratio = 0;                 ///< matched / system shingles
  std::size_t system_shingles = 0;  ///< distinct shingles in the system prompt
  std::size_t matched_shingles = 0;
};

/// Reusable buffers (one per thread).
struct LeakageScratch {
  std::vector<std::uint64_t> words, sys, out;
  std::vector<std::uint8_t> hit;   ///< per system shingle: seen in the output
  /// One bit per value of a shingle's top 12 bits, set for the system
  /// shingles: most output shingles miss it and skip the binary search.
  std::array<std::uint64_t, 64> filter{};
  /// The system texts `sys` was built from (joined by '\0'): applications send
  /// the same system prompt with every call, so its shingles are reused.
  std::string sys_key;
  std::size_t sys_k = 0;
  bool sys_valid = false;
};

/// Compares the system texts with the output texts. Words are ASCII-lowercased
/// runs of letters, digits and non-ASCII bytes; punctuation is ignored.
LeakageResult system_prompt_leakage(std::span<const std::string_view> system_texts,
                                    std::span<const std::string_view> output_texts,
                                    LeakageScratch& scratch, const LeakageOptions& options = {});

}  // namespace aiir::content
