// SPDX-License-Identifier: Apache-2.0
// Prompt-attack signatures as data (rules/prompt-signatures.yaml): loaded once,
// compiled into one RE2::Set, matched once per normalized view.
#pragma once

#include <aiir/finding.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "content/normalize_text.h"

namespace re2 {
class RE2;
}

namespace aiir::content {

/// One signature: several RE2 patterns (any may match) over the normalized,
/// lowercased views, with its own test cases.
struct Signature {
  std::string id;           ///< e.g. "override.ignore_previous"
  std::string family;       ///< e.g. "instruction_override"
  Severity severity = Severity::kMedium;
  std::string description;
  std::vector<std::string> patterns;
  std::vector<std::string> match;    ///< texts that must fire (raw, normalized before matching)
  std::vector<std::string> nomatch;  ///< texts that must not fire
  int line = 0;                      ///< line in the rules file (1-based)
  /// `scope: conversation`: the patterns are not in the set. They are the
  /// newest user turn's cue of a detector over the turns of one request
  /// (content/conversation.h names the ids it knows); hits come from that
  /// detector. Cases run through the signature's own patterns.
  bool conversation = false;
};

/// The conversation-scoped signatures the content stage has a detector for.
inline constexpr std::string_view kConversationSignatures[] = {"jailbreak.crescendo"};

/// The families the shipped file uses (others are accepted).
inline constexpr std::string_view kSignatureFamilies[] = {
    "instruction_override", "roleplay_jailbreak", "system_prompt_extraction",
    "data_exfiltration", "tool_abuse", "cloud_credentials"};

/// A signature that fired: the first match in the first view it fired in.
/// `begin`/`end` are byte offsets into that view (attacker text: escape or
/// mask it when writing).
struct SignatureHit {
  std::uint32_t signature = 0;  ///< index into SignatureSet::signatures()
  int view = -1;                ///< -1: canonical, else index into NormalizedText::views
  std::uint32_t begin = 0;
  std::uint32_t end = 0;
};

/// The compiled signature set. Immutable after loading; share it across threads.
class SignatureSet {
 public:
  /// Loads a YAML rules file. Throws aiir::Error("file:line: message").
  static SignatureSet load_file(const std::filesystem::path& path);
  /// Loads from text; `name` is used in error messages.
  static SignatureSet load_string(std::string_view yaml, std::string_view name);
  /// The shipped rules file (AIIR_SOURCE_DIR/rules/prompt-signatures.yaml).
  static std::filesystem::path default_path();

  SignatureSet(SignatureSet&&) noexcept;
  SignatureSet& operator=(SignatureSet&&) noexcept;
  ~SignatureSet();

  const std::vector<Signature>& signatures() const noexcept { return signatures_; }
  std::size_t pattern_count() const noexcept { return pattern_owner_.size(); }
  /// Index of the signature `id` (-1: none).
  int index_of(std::string_view id) const noexcept;

  /// The first match of any pattern of signature `sig` in `text` that starts
  /// at or after `from` (the earliest start; for equal starts, the first
  /// pattern's). For text signatures (the next occurrence after a hit) and
  /// conversation-scoped ones (their cue on one turn). Never throws.
  bool find(std::uint32_t sig, std::string_view text, std::size_t from, std::uint32_t& begin,
            std::uint32_t& end) const;

  /// Matches one view; appends at most one hit per signature not yet in
  /// `seen` (a per-signature bitmap sized signatures().size()). `scratch` is
  /// reused between calls. Never throws.
  void match_view(std::string_view view, int view_index, std::vector<SignatureHit>& hits,
                  std::vector<std::uint8_t>& seen, std::vector<int>& scratch) const;
  /// Matches canonical and every view of `text`, one hit per signature.
  /// Adds the ROT13 view first when the canonical text matches kRot13Trigger
  /// (found in the same pass: the set holds the trigger as one more pattern),
  /// so a normalizer with rot13_view = false loses nothing.
  void match(NormalizedText& text, std::vector<SignatureHit>& hits, std::vector<std::uint8_t>& seen,
             std::vector<int>& scratch) const;

 private:
  SignatureSet();
  void compile(std::string_view name);
  const re2::RE2& pattern(std::size_t p) const;
  /// match_view; true when the ROT13 trigger matched too.
  bool scan_view(std::string_view view, int view_index, std::vector<SignatureHit>& hits,
                 std::vector<std::uint8_t>& seen, std::vector<int>& scratch) const;

  struct SetHolder;
  std::vector<Signature> signatures_;
  std::vector<std::uint32_t> pattern_owner_;             ///< pattern index -> signature index
  std::vector<std::uint32_t> set_pattern_;               ///< the set's index -> pattern index
  std::vector<std::uint32_t> first_pattern_;             ///< signature index -> its first pattern (contiguous)
  /// Per conversation-scoped signature of several patterns: all of them as one
  /// alternation, so find() makes one pass over each conversation's newest
  /// turn (null: a text signature, one pattern, or it did not compile; text
  /// signatures are looked up with find() only after a quoted hit).
  std::vector<std::unique_ptr<re2::RE2>> any_re_;
  /// Per pattern: its RE2 for the span of a hit, compiled on first use by
  /// pattern() (content workers share the set, hence the once flags).
  mutable std::vector<std::unique_ptr<re2::RE2>> pattern_re_;
  mutable std::unique_ptr<std::once_flag[]> pattern_once_;
  std::vector<int> pattern_line_;                         ///< pattern index -> its line, for errors
  std::unique_ptr<SetHolder> set_;
  int trigger_index_ = -1;  ///< the set's index of kRot13Trigger (after every signature pattern)
};

/// A failed embedded test case.
struct SignatureCaseFailure {
  std::string signature_id;
  std::string text;
  bool expected_match = true;
  std::vector<std::string> fired;  ///< ids that fired on the text
};

/// Runs every `match:`/`nomatch:` case through the normalizer and the whole
/// set: a `match` case must fire its own signature; a `nomatch` case must not
/// fire it. Cases of a conversation-scoped signature run through its own
/// patterns (over the canonical text). Returns the failures (empty: all pass).
std::vector<SignatureCaseFailure> run_signature_cases(const SignatureSet& set, TextNormalizer& normalizer);

}  // namespace aiir::content
