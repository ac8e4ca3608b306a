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
#include <unordered_map>
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

/// A secret value defined in the system prompt (a code, password, key or
/// token) that the response repeats: the shingle overlap misses it, being a
/// single word.
struct SecretLeak {
  std::string masked;       ///< the value, its middle masked ("LRK…ET")
  std::string_view how;     ///< "verbatim", "rot13", "reversed" or "decoded" (in a decoded view of the response)
  bool in_url = false;      ///< inside a URL of the response (an image or link that sends it out)
};

struct LeakageResult {
  bool leaked = false;
  double ratio = 0;                 ///< matched / system shingles
  std::size_t system_shingles = 0;  ///< distinct shingles in the system prompt
  std::size_t matched_shingles = 0;
  std::vector<SecretLeak> secrets;  ///< system_secret_leaks(); at most kMaxSecretCandidates
};

/// Candidate secret values taken from one system prompt (cap).
inline constexpr std::size_t kMaxSecretCandidates = 32;

/// One candidate value and its variants' hashes (lowercased FNV-1a).
struct SecretCandidate {
  std::string value;            ///< as written in the system prompt
  std::uint64_t hash[3] = {};   ///< verbatim, ROT13, reversed
};

/// Reusable buffers (one per thread).
struct LeakageScratch {
  std::vector<std::uint64_t> words, out;
  /// The system prompt's distinct shingles: an open-addressing hash set
  /// (`sys_used` marks the taken slots, `sys_shift` is 64 - log2 of its size).
  std::vector<std::uint64_t> sys;
  std::vector<std::uint8_t> sys_used;
  unsigned sys_shift = 64;
  std::size_t sys_count = 0;
  std::vector<std::uint8_t> hit;   ///< per slot of `sys`: seen in the output
  /// One bit per value of a shingle's top 12 bits, set for the system
  /// shingles: most output shingles miss it and skip the set lookup.
  std::array<std::uint64_t, 64> filter{};
  /// The system texts `sys` was built from (joined by '\0'): applications send
  /// the same system prompt with every call, so its shingles are reused.
  std::string sys_key;
  std::size_t sys_k = 0;
  bool sys_valid = false;
  /// Secret candidates of recent system texts, by their texts (joined by
  /// '\0'): a deployment sends a handful of system prompts in turn (one per
  /// application or agent), so a few entries, the least recently used replaced.
  struct CandidateEntry {
    std::string key;
    bool valid = false;
    std::uint64_t used = 0;
    std::vector<SecretCandidate> candidates;
  };
  static constexpr std::size_t kCandidateEntries = 8;
  std::array<CandidateEntry, kCandidateEntries> cand_cache;
  std::uint64_t cand_tick = 0;
  std::vector<std::uint8_t> cand_state;  ///< per candidate: 1 in the request, 2 reported
  /// The candidate values of each system prompt sentence seen (most empty), in
  /// the order the sentence gives them: applications assemble their system
  /// prompts from a few recurring sentences (a date, a name or a ticket number
  /// changes the whole text, and the entries above miss), so each sentence is
  /// read once. Bounded: emptied when it reaches kMaxMemoSentences.
  struct TextHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view t) const noexcept { return std::hash<std::string_view>{}(t); }
  };
  static constexpr std::size_t kMaxMemoSentences = 4096;
  std::unordered_map<std::string, std::vector<std::string>, TextHash, std::equal_to<>> sentence_memo;
};

/// Compares the system texts with the output texts. Words are ASCII-lowercased
/// runs of letters, digits and non-ASCII bytes; punctuation is ignored.
LeakageResult system_prompt_leakage(std::span<const std::string_view> system_texts,
                                    std::span<const std::string_view> output_texts,
                                    LeakageScratch& scratch, const LeakageOptions& options = {});

/// Candidate secret values of a system prompt: a value after a secret label
/// (password, passcode, passphrase, PIN, secret, OTP, credential, API/access/
/// private key; code, key or token after a qualifier such as escalation,
/// admin, master, access, staff or override, or in a sentence that says the
/// value is secret), and tokens of 8+ characters with 2+ letters and 2+ digits
/// in a sentence that says so (confidential, secret, internal, staff, never
/// reveal, do not share ...). Tokens are runs of ASCII letters, digits, '-'
/// and '_'. At most kMaxSecretCandidates, in order of appearance.
void system_secret_candidates(std::span<const std::string_view> system_texts, std::vector<SecretCandidate>& out);

/// Secret values of the system texts that the response repeats (a token of
/// `output_views`, which are lowercased: the normalized response first, then
/// its decoded views), verbatim, in ROT13 or reversed, and that no other
/// request text (`request_texts`: the user's turns, tool results, documents,
/// history) holds: a value the user typed is theirs to hear. Linear in the
/// texts; appends to `out`.
void system_secret_leaks(std::span<const std::string_view> system_texts,
                         std::span<const std::string_view> request_texts,
                         std::span<const std::string_view> output_views, LeakageScratch& scratch,
                         std::vector<SecretLeak>& out);

}  // namespace aiir::content
