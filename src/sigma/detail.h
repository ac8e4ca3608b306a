// SPDX-License-Identifier: Apache-2.0
// Internal compiled form of Sigma rules: patterns, selections, conditions, correlations.
#pragma once

#include <aiir/event.h>
#include <aiir/finding.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "sigma/engine.h"


namespace re2 {
class RE2;
}

namespace aiir::sigma::detail {

/// Wildcard markers inside a compiled glob string (after escape processing).
inline constexpr char kStar = '\x01';
inline constexpr char kQuestion = '\x02';

enum class Op : std::uint8_t {
  kEquals,
  kPrefix,
  kSuffix,
  kContains,
  kGlob,
  kRegex,
  kCidr,
  kLt,
  kLte,
  kGt,
  kGte,
  kNull,
  kFieldRef,
};

struct IpNet {
  bool v6 = false;
  std::array<std::uint8_t, 16> addr{};
  int bits = 0;
};

struct FieldPath {
  std::string name;                  ///< as written ("userIdentity.arn")
  std::vector<std::string> segments; ///< split on '.'
  /// Where the first segment's value comes from: the members the normalizer
  /// notes (EventView::request_parameters(), additional_event_data()), or a
  /// lookup in the record that MatchContext keeps for the rest of the event.
  enum class Start : std::uint8_t { kRecord, kRequestParameters, kAdditionalEventData } start = Start::kRecord;
  /// The whole path is a string the normalizer copied from the record as it is
  /// (eventName, eventSource, userIdentity.type, an invocation's operation):
  /// when set there, no lookup is needed.
  enum class Normalized : std::uint8_t { kNone, kEventName, kEventSource, kIdentityType, kOperation } normalized =
      Normalized::kNone;
  /// Index of segments[0] among the record members the rules read
  /// (RuleSetData::record_keys; set by link()); -1: walk from the record.
  int member = -1;
};

/// One compiled value of a field item.
struct Pattern {
  Op op = Op::kEquals;
  bool cased = false;
  std::string text;                  ///< literal (lower-cased unless cased) or glob
  bool numeric = false;              ///< text is a number: also compare numerically
  double number = 0;
  std::shared_ptr<re2::RE2> re;
  IpNet net;
  FieldPath ref;                     ///< fieldref
  Op ref_op = Op::kEquals;           ///< fieldref combined with startswith/endswith/contains
  /// kContains, for a value that is an object (compared as its minified text):
  /// text from its 6th byte. The text has no quote, backslash, control byte,
  /// `,[]{}` nor a leading `:`, so a match lies inside one key, string or
  /// scalar of the object, past at most an escape's tail (5 bytes, `u001f`):
  /// the core is in that key's or string's own bytes. Empty: no such bound.
  std::string core;
};

/// `field|mods: values` (or a keyword list when path is empty).
struct FieldItem {
  FieldPath path;
  bool keyword = false;
  bool all = false;
  bool neq = false;
  int exists = -1;                   ///< -1: no exists check, else expected presence
  std::vector<Pattern> patterns;
};

/// A search identifier: OR over alternatives, each an AND of items.
struct Selection {
  std::string name;
  std::vector<std::vector<FieldItem>> alternatives;
};

struct Node {
  enum Type : std::uint8_t { kAnd, kOr, kNot, kSel, kConst } type = kSel;
  int sel = -1;
  bool value = false;                ///< kConst
  std::vector<int> children;
};

/// Which record kinds a logsource applies to.
enum class Source : std::uint8_t { kCloudTrail, kInvocation, kAny };

/// Metadata shared by detection and correlation rules.
struct Meta {
  std::size_t info = 0;              ///< index into RuleSetData::infos
  std::string finding_rule;
  std::string id;
  std::string title;
  Severity severity = Severity::kMedium;
  Element element = Element::kInfrastructure;
  Tags tags;
};

struct TestCase {
  bool match = false;
  EventKind kind = EventKind::kCloudTrail;
  std::vector<std::string> records;  ///< JSON text, fed in order
  int line = 0;
};

struct Rule {
  Meta meta;
  Source source = Source::kCloudTrail;
  std::vector<Selection> sels;
  std::vector<Node> nodes;
  int root = -1;
  bool generate = true;              ///< emits its own findings
  struct Feed {
    std::uint32_t corr;
    std::uint16_t position;          ///< index in the correlation's rule list
  };
  std::vector<Feed> feeds;           ///< correlations this rule feeds
};

enum class CorrType : std::uint8_t { kEventCount, kValueCount, kTemporal, kTemporalOrdered };

struct Range {
  bool has_gt = false, has_gte = false, has_lt = false, has_lte = false, has_eq = false,
       has_neq = false;
  std::int64_t gt = 0, gte = 0, lt = 0, lte = 0, eq = 0, neq = 0;
  bool any() const { return has_gt || has_gte || has_lt || has_lte || has_eq || has_neq; }
  bool test(std::int64_t v) const {
    return (!has_gt || v > gt) && (!has_gte || v >= gte) && (!has_lt || v < lt) &&
           (!has_lte || v <= lte) && (!has_eq || v == eq) && (!has_neq || v != neq);
  }
};

struct Ref {
  bool correlation = false;
  std::uint32_t index = 0;
};

struct Correlation {
  Meta meta;
  CorrType type = CorrType::kEventCount;
  std::vector<Ref> refs;
  std::vector<std::string> group_by;
  /// per ref, per group-by field: the field path (aliases resolved)
  std::vector<std::vector<FieldPath>> group_paths;
  FieldPath value_field;             ///< value_count
  std::int64_t timespan_ms = 0;
  Range condition;
  bool generate = true;              ///< emits findings (false when only used by another correlation)
  std::vector<std::pair<std::uint32_t, std::uint16_t>> feeds;  ///< outer correlations fed
  int depth = 0;                     ///< evaluation order: inner correlations first
  // As written; resolved by link() once every file is loaded.
  std::vector<std::string> ref_names;
  std::vector<std::pair<std::string, std::vector<std::pair<std::string, std::string>>>> aliases;
  bool generate_refs = false;        ///< `generate: true`: referenced rules also emit
  bool legacy = false;               ///< converted from `| count()` / `| near`: refs already set
  int line = 0;
  std::string file;
  std::string rule_id;
};

inline char fold(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

/// Rules by the lower-case value a field must have (eventName, ...): some
/// hundred keys, looked up for every event. A text of a length no key has is
/// rejected at once; else an open-addressing table hashed on the length and
/// three folded bytes: a lookup reads those bytes of the text, one slot mostly,
/// and compares one key (folding as it goes): no lower-cased copy, no hash of
/// the whole text, and none of the other keys' memory.
class Index {
 public:
  /// The rules of `key` (lower case), added when new.
  std::vector<std::uint32_t>& operator[](std::string_view key) {
    for (Entry& e : entries_)
      if (e.key == key) return e.rules;
    entries_.push_back(Entry{std::string(key), {}});
    lengths_ |= length_bit(key.size());
    // Rebuilt whole at each new key (load time; a few hundred keys): at most half full.
    std::size_t size = 8;
    while (size < 2 * entries_.size()) size *= 2;
    slots_.assign(size, 0);
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      std::size_t at = hash(entries_[i].key) & (size - 1);
      while (slots_[at] != 0) at = (at + 1) & (size - 1);
      slots_[at] = static_cast<std::uint32_t>(i + 1);
    }
    return entries_.back().rules;
  }
  /// The rules of the key `text` folds to; null when none.
  const std::vector<std::uint32_t>* find(std::string_view text) const noexcept {
    // The length is in the EventView; the text is in the record, mostly out
    // of cache by now: most events are told apart without reading it.
    if ((lengths_ & length_bit(text.size())) == 0) return nullptr;
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t at = hash(text) & mask; slots_[at] != 0; at = (at + 1) & mask) {
      const Entry& e = entries_[slots_[at] - 1];
      if (e.key.size() != text.size()) continue;
      std::size_t i = 0;
      while (i < text.size() && e.key[i] == fold(text[i])) ++i;
      if (i == text.size()) return &e.rules;
    }
    return nullptr;
  }
  bool empty() const noexcept { return entries_.empty(); }

 private:
  /// Lengths 0..62 have a bit each; longer ones share the last.
  static std::uint64_t length_bit(std::size_t size) noexcept {
    return std::uint64_t{1} << std::min<std::size_t>(size, 63);
  }
  /// Of the folded text: its length, first, middle and last bytes.
  static std::size_t hash(std::string_view s) noexcept {
    if (s.empty()) return 0;
    auto byte = [&](std::size_t i) { return static_cast<std::uint64_t>(static_cast<unsigned char>(fold(s[i]))); };
    const std::uint64_t x = (static_cast<std::uint64_t>(s.size()) << 24) | (byte(0) << 16) | (byte(s.size() / 2) << 8) |
                            byte(s.size() - 1);
    return static_cast<std::size_t>((x * 0x9E3779B97F4A7C15ull) >> 32);  // Fibonacci hashing: high bits mix all of x
  }
  struct Entry {
    std::string key;
    std::vector<std::uint32_t> rules;
  };
  std::vector<Entry> entries_;
  std::vector<std::uint32_t> slots_;  ///< entry index + 1; 0: empty
  std::uint64_t lengths_ = 0;         ///< length_bit() of every key
};

struct Dispatch {
  Index by_name;                     ///< lower-case eventName / operation -> rules
  Index by_source;                   ///< lower-case eventSource -> rules (not in by_name)
  /// lower-case userIdentity.type -> rules (in neither index above): rules
  /// about who acted (root, an IAM user's API key) would otherwise run on
  /// every CloudTrail event.
  Index by_identity_type;
  std::vector<std::uint32_t> always;
};

struct RuleSetData {
  std::vector<RuleInfo> infos;
  std::vector<std::vector<TestCase>> tests;  ///< parallel to infos
  std::vector<int> info_rule;        ///< info -> rule index or -1
  std::vector<int> info_corr;        ///< info -> correlation index or -1
  std::vector<Rule> rules;
  std::vector<Correlation> corrs;
  std::vector<Issue> issues;
  Dispatch cloudtrail;               ///< kCloudTrail and kInsight
  Dispatch invocation;               ///< kInvocation
  std::size_t record_keys = 0;       ///< distinct FieldPath::member values
};

// ---- load.cpp
void load_text(RuleSetData& data, std::string_view text, const std::string& file,
               const LoadOptions& options);
void link(RuleSetData& data);

// ---- match.cpp
/// Per-event evaluation context with reusable scratch buffers.
struct MatchContext {
  explicit MatchContext(const RuleSetData& data) : members(data.record_keys) {}
  /// Starts an event: the members looked up for the previous one are stale.
  void reset(const EventView* e, const VirtualFields* f) noexcept {
    event = e;
    fields = f;
    ++serial;
  }
  const EventView* event = nullptr;
  const VirtualFields* fields = nullptr;
  /// The record members the rules read (FieldPath::member), each looked up on
  /// first use: the candidate rules of an event read the same few (errorCode,
  /// userAgent, userIdentity...), and a lookup walks the record's keys.
  struct Member {
    std::uint64_t serial = 0;        ///< looked up for the event of this serial
    bool present = false;
    simdjson::dom::element value;
  };
  mutable std::vector<Member> members;
  std::uint64_t serial = 1;
  mutable std::vector<std::string_view> scratch_views;
  /// Objects compared as text are minified here (its buffer is kept).
  mutable simdjson::internal::string_builder<> scratch_json;
};
bool eval_rule(const Rule& rule, const MatchContext& ctx);
/// First value of a field as text ("" when absent); for group-by and value_count.
std::string first_value(const FieldPath& path, const MatchContext& ctx);
bool applies(Source source, EventKind kind) noexcept;

// ---- helpers shared by load/match
bool parse_ip(std::string_view text, IpNet& out) noexcept;
bool glob_match(std::string_view glob, std::string_view text, bool cased) noexcept;

// ---- findings
/// The finding of one single-event match; `details` from resource_details().
Finding make_finding(const Meta& meta, const EventView& event, std::span<const FindingSink::DetailView> details);

}  // namespace aiir::sigma::detail
