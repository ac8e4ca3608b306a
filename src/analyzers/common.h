// SPDX-License-Identifier: Apache-2.0
// Small helpers the analyzers share: ASCII text tests, JSON field access, capped sets, ARN parts.
#pragma once

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <vector>

namespace aiir::detail {

/// Sets of log text, searchable by string_view without allocating.
using StrSet = std::set<std::string, std::less<>>;

/// A fast 64-bit hash of log text (IDs, ARNs, user agents) for the analyzers'
/// own hash indexes: 8 bytes per multiply, where std::hash's Murmur-style loop
/// costs about twice as much on the long values. Not for untrusted flooding
/// defence: the tables using it are capped.
inline std::uint64_t hash_text(std::string_view s) noexcept {
  constexpr std::uint64_t kMul = 0x9E3779B97F4A7C15ull;
  auto load = [](const char* p) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    return w;
  };
  const char* p = s.data();
  std::size_t n = s.size();
  std::uint64_t h = n * kMul;
  if (n >= 8) {
    for (; n > 8; n -= 8, p += 8) h = (h ^ load(p)) * kMul, h ^= h >> 29;
    h = (h ^ load(p + n - 8)) * kMul;  // the last 8 bytes, overlapping the loop's
  } else {
    std::uint64_t w = 0;
    if (n > 0) std::memcpy(&w, p, n);  // an empty view's data() may be null
    h = (h ^ w) * kMul;
  }
  h ^= h >> 32;
  h *= 0xD6E8FEB86659FD93ull;
  return h ^ (h >> 32);
}

/// hash_text as a transparent hasher, for unordered maps over log text (ARNs,
/// addresses, keys) searched by string_view on every event. Never for output
/// order or ids.
struct TextHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return static_cast<std::size_t>(hash_text(s)); }
};

/// a == b, without a memcmp call for the values (regions, accounts, services,
/// actions, IPs, key ids, ARNs) that hot paths compare on every event.
/// Always inlined: called out of line, the call cost as much as the compare,
/// and a literal's length and words no longer folded into the caller.
[[gnu::always_inline]] inline bool same_text(std::string_view a, std::string_view b) noexcept {
  const std::size_t n = a.size();
  if (n != b.size()) return false;
  auto load8 = [](const char* p) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    return w;
  };
  auto load4 = [](const char* p) {
    std::uint32_t w;
    std::memcpy(&w, p, 4);
    return w;
  };
  if (n > 16) {
    // ARNs of one account share a long prefix ("arn:aws:sts::<account>:assumed-role/"):
    // their last bytes set most different values apart, so they are compared first.
    if (load8(a.data() + n - 8) != load8(b.data() + n - 8)) return false;
    if (n > 128) return std::memcmp(a.data(), b.data(), n - 8) == 0;
    for (std::size_t i = 0; i + 8 < n; i += 8)
      if (load8(a.data() + i) != load8(b.data() + i)) return false;
    return true;
  }
  if (n >= 8) return load8(a.data()) == load8(b.data()) && load8(a.data() + n - 8) == load8(b.data() + n - 8);
  if (n >= 4) return load4(a.data()) == load4(b.data()) && load4(a.data() + n - 4) == load4(b.data() + n - 4);
  for (std::size_t i = 0; i < n; ++i)
    if (a[i] != b[i]) return false;
  return true;
}

/// Values a finding lists (addresses, agents, names), at most.
inline constexpr std::size_t kMaxListed = 20;

/// Adds `s` (not empty) to `v`, distinct values in first-seen order, while `v`
/// holds fewer than `cap`: the short lists findings show. Searched with
/// same_text, not a memcmp call per kept value: the lists are fed on every event.
inline void add_listed(std::vector<std::string>& v, std::string_view s, std::size_t cap = kMaxListed) {
  if (s.empty() || v.size() >= cap) return;
  for (const auto& x : v)
    if (same_text(x, s)) return;
  v.emplace_back(s);
}

/// s.starts_with(prefix), for the hot paths that test events' names against
/// literals: std's made a strlen and a memcmp call for each.
[[gnu::always_inline]] inline bool has_prefix(std::string_view s, std::string_view prefix) noexcept {
  return s.size() >= prefix.size() && same_text(s.substr(0, prefix.size()), prefix);
}

/// Whether `s` is one of `names` (an array of names, or a list written at the
/// call): for the per-event tests of an action or service against a fixed
/// list (std::find made a memcmp call per name).
template <typename Names>
bool is_one_of(std::string_view s, const Names& names) noexcept {
  for (std::string_view n : names)
    if (same_text(s, n)) return true;
  return false;
}
inline bool is_one_of(std::string_view s, std::initializer_list<std::string_view> names) noexcept {
  return is_one_of<std::initializer_list<std::string_view>>(s, names);
}

/// A cheap `bits`-bit hash of an id's length, middle and last 8 bytes (where
/// ARNs, key ids and agents differ), for small direct-mapped caches of recent
/// entries: a collision only costs a miss.
inline std::size_t text_slot(std::string_view s, int bits) noexcept {
  std::uint64_t tail = 0;
  std::uint64_t mid = 0;
  if (s.size() >= 8) {
    std::memcpy(&tail, s.data() + s.size() - 8, 8);
    std::memcpy(&mid, s.data() + (s.size() - 8) / 2, 8);
  } else if (!s.empty()) {
    std::memcpy(&tail, s.data(), s.size());
  }
  const std::uint64_t h = (tail ^ ((mid << 23) | (mid >> 41)) ^ s.size()) * 0x9E3779B97F4A7C15ull;
  return bits == 0 ? 0 : static_cast<std::size_t>(h >> (64 - bits));
}

/// An analyzer's ids of (eventSource, eventName), the recent ones direct-mapped
/// by text_slot() of the name: a caller's events cycle through a few actions,
/// and a hit costs neither building nor hashing the analyzer's own key for
/// the action. `find` makes the id on a miss (it depends only on the pair).
template <int Bits>
class RecentActionIds {
 public:
  template <class Find>
  std::uint32_t get(std::string_view service, std::string_view action, Find&& find) {
    Slot& s = slots_[text_slot(action, Bits)];
    if (s.known && same_text(s.action, action) && same_text(s.service, service)) return s.id;
    s.id = find();
    s.action.assign(action);
    s.service.assign(service);
    s.known = true;
    return s.id;
  }

 private:
  struct Slot {
    std::string action, service;
    std::uint32_t id = 0;
    bool known = false;
  };
  std::array<Slot, std::size_t{1} << Bits> slots_{};
};

/// A sorted set of a few strings in one vector: for the capped per-aggregate
/// sets (IPs, agents, keys, regions of one action), which hold a handful of
/// values and are searched on every event. A search compares lengths first
/// and starts at the value the last search found (events of one aggregate
/// mostly repeat it), instead of walking tree nodes with a memcmp per node.
/// Insertion is linear in the size: use it only where a cap bounds the size.
class SmallStrSet {
 public:
  using value_type = std::string;
  using const_iterator = std::vector<std::string>::const_iterator;
  using iterator = const_iterator;

  const_iterator begin() const noexcept { return v_.begin(); }
  const_iterator end() const noexcept { return v_.end(); }
  auto rbegin() const noexcept { return v_.rbegin(); }
  auto rend() const noexcept { return v_.rend(); }
  std::size_t size() const noexcept { return v_.size(); }
  bool empty() const noexcept { return v_.empty(); }

  const_iterator find(std::string_view s) const {
    const std::size_t n = v_.size();
    if (last_ < n && same_text(v_[last_], s)) return v_.begin() + static_cast<std::ptrdiff_t>(last_);
    // A full capped set is searched on every event for the values it left
    // out (a role's next session keys, a busy action's other addresses).
    if (has_miss_ && same_text(miss_, s)) return v_.end();
    for (std::size_t i = 0; i < n; ++i) {
      if (same_text(v_[i], s)) {  // lengths first, then the bytes
        last_ = i;
        return v_.begin() + static_cast<std::ptrdiff_t>(i);
      }
    }
    miss_.assign(s);
    has_miss_ = true;
    return v_.end();
  }
  std::size_t count(std::string_view s) const noexcept { return find(s) == end() ? 0 : 1; }
  std::pair<const_iterator, bool> insert(std::string_view s) {
    auto it = std::lower_bound(v_.begin(), v_.end(), s, [](const std::string& a, std::string_view b) { return a < b; });
    if (it != v_.end() && *it == s) return {it, false};
    it = v_.emplace(it, s);
    last_ = static_cast<std::size_t>(it - v_.begin());
    has_miss_ = false;
    return {it, true};
  }
  std::pair<const_iterator, bool> emplace(std::string_view s) { return insert(s); }
  const_iterator erase(const_iterator it) {
    last_ = SIZE_MAX;
    return v_.erase(it);
  }

 private:
  std::vector<std::string> v_;
  mutable std::size_t last_ = SIZE_MAX;  ///< index of the last value found
  mutable std::string miss_;             ///< the last value searched for and not found (valid while has_miss_)
  mutable bool has_miss_ = false;
};

inline char ascii_lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

inline bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  return true;
}

inline bool istarts_with(std::string_view s, std::string_view prefix) noexcept {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

inline bool iends_with(std::string_view s, std::string_view suffix) noexcept {
  return s.size() >= suffix.size() && iequals(s.substr(s.size() - suffix.size()), suffix);
}

/// ASCII case-insensitive substring test. Runs on user agents and names of
/// every event, so it scans for the needle's first byte (both cases) with
/// memchr-speed searches before comparing the rest.
inline bool icontains(std::string_view hay, std::string_view needle) noexcept {
  if (needle.empty()) return true;
  if (hay.size() < needle.size()) return false;
  const char first_lower = ascii_lower(needle[0]);
  const char first_upper = (first_lower >= 'a' && first_lower <= 'z') ? static_cast<char>(first_lower - 'a' + 'A')
                                                                       : first_lower;
  const std::string_view starts = hay.substr(0, hay.size() - needle.size() + 1);  // where a match can begin
  const std::string_view rest = needle.substr(1);
  // The next candidate of each case, each searched for again only once passed
  // (searching both after every candidate rescanned the text for a rare case).
  std::size_t lower = starts.find(first_lower);
  std::size_t upper = first_upper == first_lower ? lower : starts.find(first_upper);
  while (lower != std::string_view::npos || upper != std::string_view::npos) {
    const std::size_t i = lower < upper ? lower : upper;
    if (iequals(hay.substr(i + 1, rest.size()), rest)) return true;
    if (lower == i) lower = starts.find(first_lower, i + 1);
    if (upper == i) upper = first_upper == first_lower ? lower : starts.find(first_upper, i + 1);
  }
  return false;
}

inline std::string_view jstr(simdjson::simdjson_result<simdjson::dom::element> r) noexcept {
  std::string_view s;
  if (r.get_string().get(s) == simdjson::SUCCESS) return s;
  return {};
}

inline bool jtrue(simdjson::simdjson_result<simdjson::dom::element> r) noexcept {
  bool b = false;
  if (r.get_bool().get(b) == simdjson::SUCCESS) return b;
  std::string_view s;
  if (r.get_string().get(s) == simdjson::SUCCESS) return iequals(s, "true");
  return false;
}

/// Text kept from logs is capped so one hostile record cannot blow up memory.
inline std::string capped(std::string_view s, std::size_t max = 256) { return std::string(s.substr(0, max)); }

/// The entry for `key` in `m`. When absent: added (a string key cut to
/// `max_key` bytes) and `init(value)` called if `m` holds fewer than `cap`
/// entries, else null (the caller counts the overflow).
template <typename Map, typename K, typename Init>
typename Map::mapped_type* find_or_add(Map& m, const K& key, std::size_t cap, Init&& init, std::size_t max_key = 512) {
  auto it = m.find(key);
  if (it == m.end()) {
    if (m.size() >= cap) return nullptr;
    bool added = false;
    // try_emplace builds the value in its node: the aggregates are large, and
    // emplace(key, Value{}) built one and moved it.
    if constexpr (std::is_same_v<typename Map::key_type, std::string>)
      std::tie(it, added) = m.try_emplace(capped(key, max_key));
    else
      std::tie(it, added) = m.try_emplace(key);
    if (added) init(it->second);  // not added: a key longer than max_key, found by its cut
  }
  return &it->second;
}

/// Lookup-or-add in a map that remembers its recent entries: consecutive
/// events mostly repeat a principal, key or resource, so most calls skip the
/// search. Entries stay where they are (std::map and std::unordered_map nodes
/// do not move) and must not be erased while events arrive.
template <typename Map>
class LastEntry {
 public:
  using Key = typename Map::key_type;
  using Value = typename Map::mapped_type;

  /// detail::find_or_add(), remembering the entry.
  template <typename K, typename Init>
  Value* find_or_add(Map& m, const K& key, std::size_t cap, Init&& init, std::size_t max_key = 512) {
    Entry& e = entries_[slot_of(key)];
    if (e.value != nullptr && e.map == &m && key == e.key) return e.value;
    Value* found = detail::find_or_add(m, key, cap, init, max_key);
    if (found == nullptr) return nullptr;
    e.map = &m;
    if constexpr (kText) e.key.assign(key);
    else e.key = key;
    e.value = found;
    return found;
  }

 private:
  static constexpr bool kText = std::is_same_v<Key, std::string>;
  // Principals interleave within a log file, and one remembered entry missed
  // whenever they did: text keys get 8 entries, direct-mapped by text_slot.
  static constexpr int kSlotBits = kText ? 3 : 0;
  struct Entry {
    const Map* map = nullptr;
    Key key{};
    Value* value = nullptr;
  };
  template <typename K>
  static std::size_t slot_of(const K& key) noexcept {
    if constexpr (kText) return text_slot(std::string_view(key), kSlotBits);
    else return 0;
  }
  std::array<Entry, std::size_t{1} << kSlotBits> entries_{};
};

/// Adds `value` (cut to 256 bytes) unless `set` holds `cap` values already;
/// returns true when a new value was left out for that cap.
template <typename Set>
inline bool insert_capped(Set& set, std::string_view value, std::size_t cap) {
  if (value.empty()) return false;
  value = value.substr(0, 256);
  if (set.find(value) != set.end()) return false;
  if (set.size() >= cap) return true;
  set.emplace(value);
  return false;
}

/// One line of Analyzer::limits when `n` is not zero: `what` with `{}` for n.
inline void limit_line(std::vector<std::string>& out, std::uint64_t n, std::string_view what) {
  if (n > 0) out.push_back(fmt::format(fmt::runtime(what), n));
}

/// The line of an analyzer whose caps docs/analyzers.md lists and which counts
/// what they leave out in one number.
inline void caps_line(std::vector<std::string>& out, std::uint64_t n) {
  limit_line(out, n,
             "{} event(s) or values past its caps were not followed (docs/analyzers.md lists the caps); its answers "
             "do not cover them.");
}

/// "arn:aws:lambda:r:acct:function:NAME[:qualifier]" -> NAME; a bare name stays as is.
inline std::string_view lambda_function_name(std::string_view arn_or_name) noexcept {
  constexpr std::string_view kMarker = ":function:";
  std::size_t pos = arn_or_name.find(kMarker);
  if (pos == std::string_view::npos) return arn_or_name;
  std::string_view rest = arn_or_name.substr(pos + kMarker.size());
  std::size_t colon = rest.find(':');
  return colon == std::string_view::npos ? rest : rest.substr(0, colon);
}

inline std::string_view last_segment(std::string_view arn) noexcept {
  std::size_t slash = arn.rfind('/');
  return slash == std::string_view::npos ? arn : arn.substr(slash + 1);
}

}  // namespace aiir::detail
