// SPDX-License-Identifier: Apache-2.0
// Principal scope tracker: what each principal and access key did, from where
// and when (bounded), plus small helpers shared by the access and
// infrastructure analyzers.
#pragma once

#include <aiir/event.h>

#include "analyzers/common.h"

#include <cstddef>
#include <cstdint>
#include <array>
#include <functional>
#include <memory>
#include <map>
#include <unordered_map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace aiir {

/// A bounded multiset of strings: distinct values with their counts.
///
/// At most `cap` distinct values are kept: the lexicographically smallest
/// ones, so the kept set and its counts do not depend on the order values
/// arrive in. Occurrences of values that were not kept (or were evicted) are
/// counted in `overflow`.
struct CountedSet {
  std::map<std::string, std::uint64_t, std::less<>> values;
  std::uint64_t overflow = 0;  ///< occurrences of values not kept

  CountedSet() = default;
  // Copies drop the lookup index, which points into the source's map.
  CountedSet(const CountedSet& o) : values(o.values), overflow(o.overflow) {}
  CountedSet& operator=(const CountedSet& o) {
    values = o.values;
    overflow = o.overflow;
    forget_index();
    return *this;
  }
  CountedSet(CountedSet&&) noexcept = default;
  CountedSet& operator=(CountedSet&&) noexcept = default;

  /// Replaces every value (and forgets the lookup index, which points into the map).
  void replace(std::map<std::string, std::uint64_t, std::less<>> next) {
    values = std::move(next);
    forget_index();
  }
  /// Counts one occurrence of `value` (empty values are ignored).
  void add(std::string_view value, std::size_t cap, std::uint64_t n = 1) {
    // Inline: most calls are an empty value or repeat a recent one.
    if (value.empty() || n == 0) return;
    if (Node* r = recent_[recent_slot(value)]; r != nullptr && detail::same_text(r->first, value)) {
      r->second += n;
      return;
    }
    add_new(value, cap, n);
  }
  /// Counts one occurrence of `value` when it is among the values counted recently; false otherwise.
  /// Lets a caller skip a test (is it an IP address?) that those values passed already.
  bool add_if_recent(std::string_view value) noexcept {
    if (value.empty()) return false;
    Node* r = recent_[recent_slot(value)];
    if (r == nullptr || !detail::same_text(r->first, value)) return false;
    ++r->second;
    return true;
  }
  /// add(prefix + ':' + rest) when that value is among the values counted
  /// recently (`rest` not empty), without building it; false otherwise.
  bool add_if_recent(std::string_view prefix, std::string_view rest) noexcept {
    if (rest.empty()) return false;
    const std::size_t size = prefix.size() + 1 + rest.size();
    Node* r = recent_[recent_slot(size, rest.back())];
    if (r == nullptr || r->first.size() != size) return false;
    const std::string_view v = r->first;
    if (!detail::same_text(v.substr(prefix.size() + 1), rest) || v[prefix.size()] != ':' ||
        !detail::same_text(v.substr(0, prefix.size()), prefix))
      return false;
    ++r->second;
    return true;
  }
  /// Number of occurrences of `value`, 0 when absent or not kept.
  std::uint64_t count(std::string_view value) const;
  /// True when some values were dropped.
  bool truncated() const noexcept { return overflow > 0; }
  /// The `n` most frequent values, by count descending then value ascending.
  std::vector<std::pair<std::string, std::uint64_t>> top(std::size_t n) const;

 private:
  using Node = std::pair<const std::string, std::uint64_t>;
  // A slot of the hash index; node null = empty.
  struct Slot {
    std::uint64_t hash = 0;
    Node* node = nullptr;
  };
  static constexpr std::size_t kIndexFrom = 4;  ///< sets this small are searched in the map
  // Values remembered by recent_: on corpus3, 4 missed one add in six (a principal
  // cycles through more actions), 8 one in seven; 16 keyed by a hash missed fewer
  // still but cost more than they saved (the hash reads more of the value).
  static constexpr std::size_t kRecent = 8;
  /// Where recent_ keeps `value` (not empty): from its length and last byte, which
  /// set apart a principal's actions and session keys without hashing them.
  static std::size_t recent_slot(std::string_view value) noexcept { return recent_slot(value.size(), value.back()); }
  static std::size_t recent_slot(std::size_t size, char last) noexcept {
    return (size + static_cast<unsigned char>(last)) % kRecent;
  }

  void forget_index() noexcept {
    turned_away_.clear();
    recent_.fill(nullptr);
    index_.reset();
    index_mask_ = 0;
  }
  void add_new(std::string_view value, std::size_t cap, std::uint64_t n);  ///< add() past the last value
  Slot* find_slot(std::uint64_t hash, std::string_view value) const noexcept;
  void index_insert(std::uint64_t hash, Node* node);
  void index_erase(Node* node) noexcept;
  void rebuild_index(std::size_t slots);

  // Values counted recently, direct-mapped by recent_slot(): consecutive events
  // of one principal mostly repeat their IP, agent and region, and alternate
  // between a few actions, so this skips any search (a hot path).
  std::array<Node*, kRecent> recent_{};
  // Sets with more than a few values (a principal's actions and services)
  // alternate between them: an open-addressing hash index over all the map's
  // nodes finds a value with one hash and mostly one string compare, where the
  // ordered map compared long shared prefixes (ARNs, agents) at every node.
  // Linear probing, at most half full; built once the set outgrows kIndexFrom.
  std::unique_ptr<Slot[]> index_;
  std::size_t index_mask_ = 0;  ///< slots - 1 (0 without an index)
  // The value a full set turned away last, and the cap it was turned away for.
  // A full set's largest value only gets smaller, so the value is turned away
  // again: a principal's calls repeat a session key that its full set of keys
  // left out, and this skips finding and comparing the largest.
  std::string turned_away_;
  std::size_t turned_away_cap_ = 0;
};

/// Everything the logs say about one principal (actor ARN) or one access key.
struct PrincipalScope {
  std::string id;                 ///< the principal ARN or the access key id
  std::int64_t first_ms = 0;      ///< earliest event time
  std::int64_t last_ms = 0;       ///< latest event time
  std::uint64_t events = 0;       ///< events seen
  std::uint64_t errors = 0;       ///< events that failed
  CountedSet source_ips;          ///< only values that look like IP addresses
  CountedSet user_agents;
  CountedSet regions;
  CountedSet services;            ///< short service names ("iam", "bedrock")
  CountedSet actions;             ///< "service:Action" ("iam:CreateUser")
  CountedSet error_codes;
  CountedSet accounts;
  CountedSet keys;                ///< for a principal: its access key ids
  CountedSet principals;          ///< for a key: the principals that used it
};

/// Keeps a bounded PrincipalScope for every principal and access key id.
///
/// Fed with every event, on one thread (order does not matter: all state is
/// min/max, counts and bounded sets whose content is independent of order).
/// When more principals (or keys) than the limit appear, the
/// lexicographically smallest ids are kept and the rest are counted in
/// principals_dropped() / keys_dropped().
class ScopeTracker {
 public:
  ScopeTracker(const ScopeTracker&) = delete;  // the hash indexes point into the maps' nodes
  ScopeTracker& operator=(const ScopeTracker&) = delete;
  struct Limits {
    std::size_t max_values = 50;       ///< distinct values per set (IPs, agents, regions, ...)
    std::size_t max_actions = 200;     ///< distinct actions per scope
    std::size_t max_principals = 20000;
    std::size_t max_keys = 20000;
  };

  ScopeTracker() = default;
  explicit ScopeTracker(Limits limits) : limits_(limits) {}

  /// Records one event. Does not keep any view into it.
  void on_event(const EventView& event);

  /// The scope of a principal (actor ARN as normalized), or null.
  const PrincipalScope* principal(std::string_view arn) const;
  /// Scope of an access key. Temporary (ASIA...) keys are not tracked per key
  /// (their session principal is): null for them.
  const PrincipalScope* key(std::string_view id) const;

  /// Time of the earliest / latest event seen (0 before any event).
  std::int64_t first_event_ms() const noexcept { return first_ms_; }
  std::int64_t last_event_ms() const noexcept { return last_ms_; }
  std::uint64_t events() const noexcept { return events_; }

  /// How close to the end of the logs a scope must reach to count as still
  /// active: max(1 hour, 2% of the covered time range).
  std::int64_t end_slack_ms() const noexcept;
  /// True when the scope's activity goes on to the end of the logs: its last
  /// event is within end_slack_ms() of the corpus's last event. This is the
  /// methodology's "continued evidence of unauthorized access".
  bool continues_to_end(const PrincipalScope& scope) const noexcept;

  /// All tracked scopes, sorted by id.
  const std::map<std::string, PrincipalScope, std::less<>>& principals() const noexcept { return principals_; }
  const std::map<std::string, PrincipalScope, std::less<>>& keys() const noexcept { return keys_; }
  std::uint64_t principals_dropped() const noexcept { return principals_dropped_; }
  std::uint64_t keys_dropped() const noexcept { return keys_dropped_; }

 private:
  using Index = std::unordered_map<std::string_view, PrincipalScope*, detail::TextHash>;
  // Scopes seen recently, direct-mapped by detail::text_slot of the id:
  // principals interleave, and a hit costs neither a full hash nor an index
  // node's cache miss. 512 slots (4 KB): 64 missed in 44K events of corpus3, 512 in 46.
  static constexpr int kRecentBits = 9;
  using Recent = std::array<PrincipalScope*, std::size_t{1} << kRecentBits>;

  PrincipalScope* find(std::map<std::string, PrincipalScope, std::less<>>& map, Index& index, Recent& recent,
                       std::string_view id, std::size_t cap, std::uint64_t& dropped);
  PrincipalScope* slot(std::map<std::string, PrincipalScope, std::less<>>& map, Index& index, Recent& recent,
                       std::string_view id, std::size_t cap, std::uint64_t& dropped);
  void update(PrincipalScope& scope, const EventView& event, bool is_key);

  Limits limits_;
  std::map<std::string, PrincipalScope, std::less<>> principals_;
  std::map<std::string, PrincipalScope, std::less<>> keys_;
  // Hash indexes over the maps' (stable) node keys: lookups are a hot path and
  // ARNs share long prefixes, which makes ordered-map searches slow.
  Index principal_index_;
  Index key_index_;
  Recent recent_principals_{};
  Recent recent_keys_{};
  std::uint64_t principals_dropped_ = 0;
  std::uint64_t keys_dropped_ = 0;
  std::int64_t first_ms_ = 0;
  std::int64_t last_ms_ = 0;
  std::uint64_t events_ = 0;
  std::string scratch_;  ///< reused for "service:Action"
};

namespace detail {

/// "ec2.amazonaws.com" -> "ec2"; other values unchanged.
std::string_view short_service(std::string_view event_source) noexcept;

/// True for an IPv4 or IPv6 literal; false for "bedrock.amazonaws.com",
/// "AWS Internal" and other non-addresses CloudTrail puts in sourceIPAddress.
bool looks_like_ip(std::string_view text) noexcept;

/// Authorization denials (formats.md §1.6), with or without a `Client.` prefix.
bool is_denied_error(std::string_view code) noexcept;

/// A read / enumeration call: readOnly true, or a List/Describe/Get/Search/
/// BatchGet/Lookup action when readOnly is not recorded.
bool is_read_call(const EventView& event) noexcept;

/// `*`/`?` wildcard match, ASCII case-insensitive. (Same contract as
/// aiir::wildcard_match in profile.h; kept here until profile.cpp is on main.)
bool wildcard_matches(std::string_view pattern, std::string_view text) noexcept;

/// True when `ip` lies in `cidr` (IPv4 or IPv6; a bare address is /32 or /128).
/// (Same contract as aiir::ip_in_cidr in profile.h.)
bool ip_matches_cidr(std::string_view ip, std::string_view cidr) noexcept;


/// True when `a` orders before `b` by (time, file, record).
inline bool ref_less(std::int64_t ta, std::uint32_t fa, std::uint32_t ra, std::int64_t tb, std::uint32_t fb,
                     std::uint32_t rb) noexcept {
  if (ta != tb) return ta < tb;
  if (fa != fb) return fa < fb;
  return ra < rb;
}

}  // namespace detail
}  // namespace aiir
