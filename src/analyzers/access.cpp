// SPDX-License-Identifier: Apache-2.0
// Access analyzer (methodology element 1): the STATEFUL access detections of
// detections.md §6.1 (bursts, first-seen, sequences, profile indicators) and
// the element's answers. Single-event access rules live in the Sigma pack.
#include <aiir/analyzer.h>
#include <aiir/event.h>
#include <aiir/finding.h>
#include <aiir/profile.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "analyzers/ai_principals.h"
#include "analyzers/factories.h"
#include "analyzers/scope.h"
#include "content/content.h"
#include "util/hash.h"
#include "util/time.h"

namespace aiir {
namespace {

using detail::icontains;
using detail::looks_like_ip;

constexpr std::int64_t kMinute = 60 * 1000;
constexpr std::int64_t kHour = 60 * kMinute;
constexpr std::int64_t kBucketMs = 10 * kMinute;  ///< burst windows: two consecutive buckets (<= 20 min)

constexpr std::size_t kLoginFailBurst = 5;        ///< failures per user within kLoginWindow
constexpr std::int64_t kLoginWindow = 15 * kMinute;
constexpr std::size_t kSprayFailures = 5;         ///< failures from one IP within kSprayWindow ...
constexpr std::size_t kSprayUsers = 3;            ///< ... against this many distinct users
constexpr std::int64_t kSprayWindow = kHour;
constexpr std::size_t kMfaFailBurst = 2;
constexpr std::int64_t kSuccessAfter = kHour;     ///< a success this soon after a burst
constexpr std::size_t kEnumDistinct = 10;         ///< distinct read actions in a window
constexpr std::size_t kReconServicesMedium = 3;   ///< services enumerated after GetCallerIdentity for a medium
constexpr std::size_t kReconEnumDistinct = 5;     ///< distinct read actions within kReconWindow after GetCallerIdentity
constexpr std::int64_t kReconWindow = kHour;
constexpr std::size_t kDeniedBurst = 10;          ///< denials in a window
constexpr std::size_t kNewRegionsLow = 2;
constexpr std::size_t kNewRegionsMedium = 3;
constexpr std::size_t kConcurrentNets = 3;        ///< distinct /16 networks in one bucket for one long-term key

constexpr std::size_t kMaxCreds = 50000;
constexpr std::size_t kMaxBuckets = 500000;
/// Burst windows in the baseline and after it that make a credential's bursts routine (x4 in all).
constexpr std::size_t kRoutineWindows = 3;
constexpr std::size_t kNamedShare = 4;  ///< an enumeration window is "named" when at most 1/4 of its actions swept
constexpr std::size_t kMaxBucketActions = 64;
constexpr std::size_t kBucketEvidence = 3;
constexpr std::size_t kMaxRecords = 100000;       ///< console logins, STS calls, GetCallerIdentity, key creations
constexpr std::size_t kMaxPerKeyValues = 64;      ///< distinct IPs / UAs remembered per long-term key
constexpr std::size_t kMaxLeakedKeys = 10000;    ///< access key ids remembered from invocation text
constexpr int kSessionKeyBits = 6;  ///< 64 recent temporary keys per principal (8 missed one call in six on corpus3)
constexpr std::size_t kMaxAccounts = 10000;      ///< logged and external accounts
constexpr std::size_t kListCap = 15;              ///< values listed in a summary or details

/// A long-term access key id (AKIA...), not a session's (ASIA...).
bool is_long_term(std::string_view key) { return detail::has_prefix(key, "AKIA"); }

bool is_service_actor(const EventView& e) {
  return detail::same_text(e.actor_type, "AWSService") || detail::same_text(e.event_type, "AwsServiceEvent") ||
         (!e.invoked_by.empty() && e.invoked_by.find('.') != std::string_view::npos);
}

bool looks_console(std::string_view ua) {
  return icontains(ua, "console.amazonaws.com") || icontains(ua, "signin.amazonaws.com") || ua == "AWS Internal" ||
         ua.substr(0, 8) == "Mozilla/";
}

/// Interns strings to small ids. Ids depend on arrival order, so they are only
/// ever used internally; anything that reaches a finding goes by name.
class Interner {
 public:
  std::uint32_t id(std::string_view s) {
    auto it = ids_.find(s);
    if (it != ids_.end()) return it->second;
    auto n = static_cast<std::uint32_t>(names_.size());
    names_.emplace_back(s);
    ids_.emplace(std::string(s), n);
    return n;
  }
  const std::string& name(std::uint32_t id) const { return names_[id]; }
  std::size_t size() const { return names_.size(); }

 private:
  std::unordered_map<std::string, std::uint32_t, detail::StringHash, std::equal_to<>> ids_;  // order: names_
  std::vector<std::string> names_;
};

/// An evidence pointer kept compactly: the order key, the file interned and
/// the record's event id, request id and action in an EvidenceText.
struct EvidenceRef {
  std::int64_t time_ms = 0;
  std::uint32_t file_index = 0, record = 0;
  const std::string* file = nullptr;  ///< the path (interned_path)
  std::uint32_t event_id_size = 0, request_id_size = 0, action_size = 0;
  std::uint32_t chunk = 0, offset = 0;  ///< where EvidenceText holds event id, request id and action
};

bool ref_less(const EvidenceRef& a, const EvidenceRef& b) noexcept {
  return detail::ref_less(a.time_ms, a.file_index, a.record, b.time_ms, b.file_index, b.record);
}

/// The text of EvidenceRefs: buckets keep a few pointers each, for the few
/// bursting windows that cite them; an Evidence apiece cost four string
/// allocations per kept pointer on the hot path.
class EvidenceText {
 public:
  EvidenceRef add(const EventView& e) {
    EvidenceRef r;
    r.file = detail::interned_path(e.file);
    write(r, e, true);
    return r;
  }
  /// Points `r` at `e` instead, in place when its text fits (event ids have one length).
  void replace(EvidenceRef& r, const EventView& e) {
    r.file = detail::interned_path(e.file);
    write(r, e, Evidence::cited_event_id(e).size() + e.request_id.size() + e.action.size() >
                    std::size_t{r.event_id_size} + r.request_id_size + r.action_size);
  }
  /// Same as Evidence::from() of the event `r` was made from.
  Evidence evidence(const EvidenceRef& r) const {
    Evidence ev;
    ev.file = *r.file;
    ev.file_index = r.file_index;
    ev.record = r.record;
    const char* at = chunks_[r.chunk].data() + r.offset;
    ev.event_id.assign(at, r.event_id_size);
    ev.request_id.assign(at + r.event_id_size, r.request_id_size);
    ev.action.assign(at + r.event_id_size + r.request_id_size, r.action_size);
    ev.time_ms = r.time_ms;
    return ev;
  }

 private:
  void write(EvidenceRef& r, const EventView& e, bool append) {
    r.time_ms = e.time_ms;
    r.file_index = e.where.file;
    r.record = e.where.record;
    const std::string_view id = Evidence::cited_event_id(e);
    r.event_id_size = static_cast<std::uint32_t>(id.size());
    r.request_id_size = static_cast<std::uint32_t>(e.request_id.size());
    r.action_size = static_cast<std::uint32_t>(e.action.size());
    const std::size_t size = id.size() + e.request_id.size() + e.action.size();
    if (append) {
      if (chunks_.empty() || chunks_.back().capacity() - chunks_.back().size() < size)
        chunks_.emplace_back().reserve(std::max(kChunk, size));
      r.chunk = static_cast<std::uint32_t>(chunks_.size() - 1);
      r.offset = static_cast<std::uint32_t>(chunks_.back().size());
      // Appended within the capacity (nothing moves): a resize zero-filled the bytes first.
      for (std::string_view part : {id, e.request_id, e.action}) chunks_.back().append(part);
      return;
    }
    char* out = chunks_[r.chunk].data() + r.offset;
    for (std::string_view part : {id, e.request_id, e.action}) out = std::copy(part.begin(), part.end(), out);
  }

  // Fixed-size chunks: one growing string copied everything at each doubling,
  // and the fresh pages of each copy cost a fault apiece.
  static constexpr std::size_t kChunk = std::size_t{1} << 16;
  std::vector<std::string> chunks_;
};

/// The `k` earliest evidence pointers (by time, file, record) of some calls:
/// the kept set does not depend on input order.
template <std::size_t k>
class Earliest {
 public:
  std::span<const EvidenceRef> refs() const noexcept { return {refs_.data(), n_}; }

  void add(const EventView& e, EvidenceText& text) {
    if (n_ < k) {
      refs_[n_++] = text.add(e);
      if (n_ == k) note_latest();
      return;
    }
    // Most calls come after the latest kept one: turned away without reading the kept refs.
    if (!detail::ref_less(e.time_ms, e.where.file, e.where.record, latest_ms_, latest_file_, latest_record_)) return;
    text.replace(*std::max_element(refs_.begin(), refs_.end(), ref_less), e);
    note_latest();
  }

 private:
  void note_latest() noexcept {
    const EvidenceRef& mx = *std::max_element(refs_.begin(), refs_.end(), ref_less);
    latest_ms_ = mx.time_ms;
    latest_file_ = mx.file_index;
    latest_record_ = mx.record;
  }

  std::uint32_t n_ = 0;
  std::uint32_t latest_file_ = 0, latest_record_ = 0;  ///< order key of the latest kept ref, once k are kept
  std::int64_t latest_ms_ = 0;
  std::array<EvidenceRef, k> refs_{};
};

/// Small ids by 64-bit key: an open-addressing table probed linearly. A
/// credential's calls jump between a few 10-minute buckets (files interleave
/// in time), so most reads look their bucket up; in a node-based map that
/// cost a division and two or three cache misses per look-up.
class IdTable {
 public:
  static constexpr std::uint32_t kNone = 0xffffffffu;

  /// The id of `key`, or kNone.
  std::uint32_t find(std::uint64_t key) const noexcept {
    return find(key, [](std::uint32_t) { return true; });
  }
  /// The first id under `key` that `same` accepts (keys that are hashes collide), or kNone.
  template <typename Same>
  std::uint32_t find(std::uint64_t key, Same&& same) const {
    if (slots_.empty()) return kNone;
    for (std::size_t i = home(key);; i = (i + 1) & (slots_.size() - 1)) {
      if (slots_[i].id == kNone) return kNone;
      if (slots_[i].key == key && same(slots_[i].id)) return slots_[i].id;
    }
  }
  /// Starts loading the slot where a look-up of `key` begins.
  void prefetch(std::uint64_t key) const noexcept {
    if (!slots_.empty()) __builtin_prefetch(&slots_[home(key)]);
  }
  /// Adds `id` under `key`.
  void insert(std::uint64_t key, std::uint32_t id) {
    if ((size_ + 1) * 4 > slots_.size() * 3) grow();  // load factor <= 3/4
    place(key, id);
    ++size_;
  }

 private:
  struct Slot {
    std::uint64_t key = 0;
    std::uint32_t id = kNone;
  };
  std::size_t home(std::uint64_t key) const noexcept {
    return static_cast<std::size_t>((key * 0x9e3779b97f4a7c15ULL) >> shift_);  // Fibonacci hashing: the top bits
  }
  void place(std::uint64_t key, std::uint32_t id) noexcept {
    std::size_t i = home(key);
    while (slots_[i].id != kNone) i = (i + 1) & (slots_.size() - 1);
    slots_[i] = Slot{key, id};
  }
  void grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.empty() ? 1024 : old.size() * 2, Slot{});
    shift_ = 64 - static_cast<unsigned>(std::countr_zero(slots_.size()));
    for (const Slot& s : old)
      if (s.id != kNone) place(s.key, s.id);
  }

  std::vector<Slot> slots_;  ///< a power of two in size
  std::size_t size_ = 0;
  unsigned shift_ = 64;
};

/// Truncates a vector of records to the `cap` earliest (by their `ev`) once it
/// grows past twice the cap: the survivors are the globally earliest.
template <typename T>
void trim_earliest(std::vector<T>& v, std::size_t cap, std::uint64_t& dropped) {
  if (v.size() < 2 * cap) return;
  std::sort(v.begin(), v.end(), [](const T& a, const T& b) { return a.ev < b.ev; });
  dropped += v.size() - cap;
  v.resize(cap);
}

std::string join(const std::vector<std::string>& items, std::size_t cap = kListCap) {
  std::string out;
  for (std::size_t i = 0; i < items.size() && i < cap; ++i) {
    if (i) out += ", ";
    out += items[i];
  }
  if (items.size() > cap) out += fmt::format(" (+{} more)", items.size() - cap);
  return out;
}

std::string join_counts(const CountedSet& set, std::size_t n = kListCap) {
  std::string out;
  for (const auto& [v, c] : set.top(n)) {
    if (!out.empty()) out += ", ";
    out += fmt::format("{} ({})", v, c);
  }
  if (set.values.size() > n || set.truncated()) out += ", ...";
  return out;
}

/// Values by string, for the per-event look-ups (principals, session keys,
/// actions): one hash of the text and a probe of IdTable's flat slots, where an
/// unordered_map walked a node chain and a std::map compared a long common
/// prefix (ARNs) at every level. Entries keep their place (a deque) and the
/// order they were added in.
template <typename T>
class StrTable {
 public:
  using Entry = std::pair<const std::string, T>;

  Entry* find(std::string_view s) { return at(index(s)); }
  const Entry* find(std::string_view s) const { return const_cast<StrTable*>(this)->find(s); }
  /// Adds `s`, which is not in the table, with a default value.
  Entry& add(std::string_view s) {
    ids_.insert(hash(s), static_cast<std::uint32_t>(entries_.size()));
    return entries_.emplace_back(std::piecewise_construct, std::forward_as_tuple(s), std::forward_as_tuple());
  }
  std::size_t size() const noexcept { return entries_.size(); }
  auto begin() const noexcept { return entries_.begin(); }
  auto end() const noexcept { return entries_.end(); }

 private:
  static std::uint64_t hash(std::string_view s) noexcept { return detail::hash_text(s); }
  std::uint32_t index(std::string_view s) const {
    return ids_.find(hash(s), [&](std::uint32_t i) { return detail::same_text(entries_[i].first, s); });
  }
  Entry* at(std::uint32_t i) { return i == IdTable::kNone ? nullptr : &entries_[i]; }

  std::deque<Entry> entries_;
  IdTable ids_;
};

/// One shared copy of each distinct agent and address that the memos of
/// credentials and session keys (their last call's client) hold. A memo is
/// compared with every call of its credential or key: its own heap copy of an
/// agent cost a few cold cache lines per call, where the one copy that all the
/// credentials with that agent share stays in cache. Bounded: past kMaxTexts
/// values or kMaxText bytes, of() returns null and the memo keeps its own copy.
class TextPool {
 public:
  const std::string* of(std::string_view s) {
    if (s.size() > kMaxText) return nullptr;
    if (auto it = texts_.find(s); it != texts_.end()) return &*it;
    if (texts_.size() >= kMaxTexts) return nullptr;
    return &*texts_.emplace(s).first;  // set nodes do not move
  }

 private:
  static constexpr std::size_t kMaxTexts = 4096;
  static constexpr std::size_t kMaxText = 512;
  std::unordered_set<std::string, detail::TextHash, std::equal_to<>> texts_;
};

/// A string kept in a TextPool when it fits there, else in its own copy.
class PooledText {
 public:
  std::string_view view() const noexcept { return shared_ != nullptr ? std::string_view(*shared_) : own_; }
  /// The pool's copy, or null for a text kept apart.
  const std::string* pooled() const noexcept { return shared_; }
  void assign(TextPool& pool, std::string_view s) {
    shared_ = pool.of(s);
    if (shared_ == nullptr) own_.assign(s);
    else own_.clear();
  }

 private:
  const std::string* shared_ = nullptr;
  std::string own_;
};

/// One credential: a principal with one access key (or none).
struct Bucket;

struct Cred {
  // What every call reads first, together (a call's misses are the cost, and
  // the names below are read only at the end).
  bool console = false;
  bool ua_checked = false;
  bool has_last_client = false;
  std::string_view platform;   ///< what checked_ua named (a static string), empty for nothing
  PooledText checked_ua;       ///< the last user agent offensive_platform() looked at (a per-event search skipped)
  // The last event's address and agent, with their interned ids (a search skipped).
  std::uint32_t last_ip_id = 0, last_ua_id = 0;
  PooledText last_ip, last_ua;
  PooledText not_console_ua;   ///< the last user agent found not to be a console's (a per-event search skipped)
  // While events arrive: the activity buckets of its recent calls, by time index
  // modulo their number (elements of buckets_, which do not move). A credential's
  // calls jump between a few neighbouring buckets (input files interleave in time).
  std::array<std::pair<std::uint64_t, Bucket*>, 32> recent_buckets{};

  std::string principal;
  std::string key;
  std::string account;
};

/// Reads and denials of one credential in one 10-minute bucket.
struct Bucket {
  // What every read touches (the first cache line: key, counts, bits and the
  // evidence's order key), then the rest.
  std::uint64_t key = 0;  ///< credential id << 32 | the bucket's index in time
  std::uint32_t reads = 0;
  std::uint32_t denied = 0;
  // Bit i: action id i (below 64) is in read_actions / sweep_actions. A bucket's
  // reads mostly repeat actions it has, and a bit answers without reading the
  // vectors, which cost a cache miss apiece when calls jump between buckets.
  std::uint64_t read_bits = 0, sweep_bits = 0;
  // The ids last added to ips / uas: an id added once before changes nothing when
  // added again (present, or left out for smaller names, which only get smaller).
  std::uint32_t last_ip = IdTable::kNone, last_ua = IdTable::kNone;
  Earliest<kBucketEvidence> read_ev;
  std::vector<std::uint32_t> read_actions;    ///< interned "svc:Action", sorted, capped by name
  std::vector<std::uint32_t> sweep_actions;   ///< those of read_actions that list, or name no resource
  std::vector<std::uint32_t> ips, uas;        ///< interned addresses and agents of its calls (capped)
  std::vector<std::uint32_t> nets;            ///< interned /16 (or /48) networks, long-term keys only
  // Denials, made at the first one: few buckets have any, and a smaller bucket
  // costs less to make and to keep in cache (calls jump between buckets).
  struct Denials {
    std::vector<std::uint32_t> actions;
    Earliest<kBucketEvidence> ev;
  };
  std::unique_ptr<Denials> denials;

  static inline const std::vector<std::uint32_t> kNoIds{};
  const std::vector<std::uint32_t>& denied_actions() const noexcept { return denials ? denials->actions : kNoIds; }
  std::span<const EvidenceRef> denied_ev() const noexcept { return denials ? denials->ev.refs() : std::span<const EvidenceRef>(); }
};

/// The uses of one value (IP, agent, region): earliest evidence, latest time, count.
struct FirstUse {
  // What every use reads and writes, ahead of `ev` (one cache line, where
  // Evidence's own order key sits past its strings): the counts and a copy of
  // ev's order key (time, file, record), which note_use() keeps equal to it.
  std::uint64_t count = 0;
  std::int64_t last_ms = 0;
  std::int64_t ev_ms = 0;
  std::uint32_t ev_file = 0, ev_record = 0;
  Evidence ev;
};

struct Login {
  Evidence ev;
  std::string user;
  std::string ip;
  std::string ua;
  std::string account;
  bool success = false;
  bool mfa_used = false;
  bool mfa_failure = false;
};

struct StsCall {
  Evidence ev;
  std::uint32_t cred = 0;
  std::string role;           ///< requestParameters.roleArn
  std::string new_key;        ///< responseElements.credentials.accessKeyId
  std::string new_principal;  ///< the session the call opened (assumedRoleUser / federatedUser ARN)
  std::string caller_key;     ///< userIdentity.accessKeyId (a session's own ASIA key)
  std::string caller_account; ///< userIdentity.accountId (another account's, for an AWSAccount caller)
  std::string ip, ua;         ///< the caller's address and agent
  bool chained = false;       ///< the caller was itself an assumed role
};

struct KeyCreation {
  Evidence ev;
  std::string creator;
  std::string creator_key;
  std::string user;     ///< the user the key / login profile is for
  std::string new_key;
  std::string ip;
  std::string account;
  bool login_profile = false;
};

struct GciCall {
  Evidence ev;
  std::uint32_t cred = 0;
};

/// What one credential was flagged for, for the roll-up.
struct Flag {
  std::string principal;
  std::string key;
  std::string account;
  std::set<std::string> rules;
  Severity worst = Severity::kInfo;
  std::string chain;  ///< for a session opened with flagged credentials: the credentials it came from
};

std::string_view str_at(simdjson::dom::element el, std::string_view a, std::string_view b = {}) {
  simdjson::dom::element v = el;
  if (v[a].get(v) != simdjson::SUCCESS) return {};
  if (!b.empty() && v[b].get(v) != simdjson::SUCCESS) return {};
  std::string_view s;
  if (v.get(s) != simdjson::SUCCESS) return {};
  return s;
}

/// Whether a request-parameters key names a resource: ...Name(s), ...Id(s), ...Arn(s),
/// ...Identifier(s), ECS's cluster(s), services, tasks, taskDefinition, S3's key (ASCII,
/// case-insensitive). Paging (maxResults, nextToken, marker), filters and S3's Host do not.
bool resource_key(std::string_view k) noexcept {
  if (k.empty()) return false;
  auto ends = [&](std::string_view suffix) { return detail::iends_with(k, suffix); };
  auto is = [&](std::string_view name) { return detail::iequals(k, name); };
  // By the last letter, which each name or suffix has to end in: most keys (Host,
  // maxResults, filterSet) need no compare, and the others one to seven of fourteen.
  switch (detail::ascii_lower(k.back())) {
    case 'e': return ends("name");
    case 'd': return ends("id");
    case 'n': return ends("arn") || is("taskDefinition");
    case 'r': return ends("identifier") || is("cluster");
    case 'y': return is("key");
    case 's':
      return ends("names") || ends("ids") || ends("arns") || ends("identifiers") || is("clusters") ||
             is("services") || is("tasks");
    default: return false;
  }
}

/// Whether a read names the resources it reads (GetRole roleName, DescribeSecurityGroups with
/// group ids, GetBucketPolicy bucketName): an infrastructure-as-code refresh reads the
/// resources of its state by name. An account-wide sweep (ListUsers, DescribeInstances with
/// no filter) does not, and discovery lists what exists before reading it. Looks a few levels deep (EC2's set/items nesting) and
/// at a bounded number of fields.
bool names_resource(simdjson::dom::element v, int depth, int& budget) {
  if (depth > 4 || --budget < 0) return false;
  simdjson::dom::object obj;
  simdjson::dom::array arr;
  if (v.get(obj) == simdjson::SUCCESS) {
    for (auto field : obj) {
      if (budget < 0) return false;
      std::string_view str;
      simdjson::dom::array values;
      if (resource_key(field.key)) {
        if (field.value.get(str) == simdjson::SUCCESS && !str.empty()) return true;
        if (field.value.get(values) == simdjson::SUCCESS) {
          for (simdjson::dom::element y : values)
            if (y.get(str) == simdjson::SUCCESS && !str.empty()) return true;
        }
      }
      if ((field.value.is_object() || field.value.is_array()) && names_resource(field.value, depth + 1, budget))
        return true;
    }
  } else if (v.get(arr) == simdjson::SUCCESS) {
    for (simdjson::dom::element y : arr) {
      if (budget < 0) return false;
      if ((y.is_object() || y.is_array()) && names_resource(y, depth + 1, budget)) return true;
    }
  }
  return false;
}

bool names_resource(const EventView& e) {
  simdjson::dom::element req;
  if (e.request_parameters().get(req) != simdjson::SUCCESS) return false;
  int budget = 64;
  return names_resource(req, 0, budget);
}

std::string network_of(std::string_view ip) {
  if (ip.find(':') == std::string_view::npos) {
    auto a = ip.find('.');
    auto b = a == std::string_view::npos ? a : ip.find('.', a + 1);
    return std::string(ip.substr(0, b));
  }
  // IPv6: the first three groups (a /48).
  std::size_t pos = 0;
  for (int i = 0; i < 3 && pos != std::string_view::npos; ++i) {
    pos = ip.find(':', pos == 0 && i == 0 ? 0 : pos + 1);
  }
  return std::string(ip.substr(0, pos));
}

/// The address and user agent of a session key's use, kept as "IP\x1fagent".
std::pair<std::string_view, std::string_view> split_use(std::string_view value) {
  const std::string_view ip = value.substr(0, value.find('\x1f'));
  return {ip, value.substr(std::min(ip.size() + 1, value.size()))};
}

/// The client an agent names first, lower-cased: "aws-cli", "boto3",
/// "aws-sdk-go-v2", "mozilla"; empty for no agent.
std::string client_family(std::string_view ua) {
  const std::size_t end = ua.find_first_of("/ ");
  std::string out(ua.substr(0, std::min<std::size_t>(end, 64)));
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

/// RFC 1918, CGNAT, loopback, link-local and IPv6 unique-local / link-local
/// addresses: a call from one of these came through a VPC endpoint or a
/// private network, not from the host's public address.
bool private_ip(std::string_view ip) noexcept {
  static constexpr std::array<std::string_view, 9> kPrivate = {
      "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "127.0.0.0/8",
      "169.254.0.0/16", "fc00::/7", "fe80::/10", "::1/128"};
  for (std::string_view cidr : kPrivate)
    if (detail::ip_matches_cidr(ip, cidr)) return true;
  return false;
}

/// The compute runtime an AWS SDK names in its user agent ("exec-env/
/// AWS_Lambda_python3.12", "exec-env/AWS_ECS_FARGATE"), or empty. Only
/// runtimes that run on a role's credentials: CloudShell and Cloud9 run on the
/// signed-in user's session, which the console also uses from the user's IP.
std::string_view compute_runtime(std::string_view ua) noexcept {
  constexpr std::string_view kMarker = "exec-env/";
  const std::size_t at = ua.find(kMarker);
  if (at == std::string_view::npos) return {};
  std::string_view env = ua.substr(at + kMarker.size());
  env = env.substr(0, env.find(' '));
  if (env.substr(0, 11) != "AWS_Lambda_" && env.substr(0, 8) != "AWS_ECS_") return {};
  return env;
}

/// An EC2 instance-role session: ".../assumed-role/<role>/i-<8 or 17 hex digits>".
bool instance_session(std::string_view arn) noexcept {
  if (arn.find(":assumed-role/") == std::string_view::npos) return false;
  const std::string_view name = detail::last_segment(arn);
  if (name.size() != 10 && name.size() != 19) return false;
  if (name.substr(0, 2) != "i-") return false;
  return std::all_of(name.begin() + 2, name.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

/// `%XX` sequences decoded; anything else kept as it is.
std::string percent_decoded(std::string_view s) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    const char l = static_cast<char>(c | 0x20);
    return l >= 'a' && l <= 'f' ? l - 'a' + 10 : -1;
  };
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

/// `word` (lower case) in `ua` as a distribution marker: after '-', '.', '#'
/// or a digit ("6.5.0-kali3-amd64", "x86_64.kali.2023", "13parrot1-amd64").
/// A penetration-testing distribution or an attack-simulation tool named by a
/// user agent (the AWS CLI and SDKs write the kernel and distribution:
/// "Linux/6.5.0-kali3-amd64 exe/x86_64.kali.2023", "os/linux#6.6.9-13parrot1-amd64";
/// Stratus Red Team sends "stratus-red-team_<uuid>"), or empty. A distribution's
/// name counts after a '-', '.', '#' or digit; the agent is read once for all three
/// (Kali first, then Parrot, then Pentoo, wherever each is).
std::string_view offensive_platform(std::string_view ua) noexcept {
  if (ua.substr(0, 17) == "stratus-red-team_") return "Stratus Red Team";
  bool kali = false, parrot = false, pentoo = false;
  for (std::size_t at = 1; at < ua.size(); ++at) {
    const char before = ua[at - 1];
    if (before != '-' && before != '.' && before != '#' && !(before >= '0' && before <= '9')) continue;
    const std::string_view rest = ua.substr(at);
    const char first = static_cast<char>(rest[0] | 0x20);  // versions put digits here mostly: no name
    if (first == 'k') {
      kali = kali || detail::istarts_with(rest, "kali");
    } else if (first == 'p') {
      parrot = parrot || detail::istarts_with(rest, "parrot");
      pentoo = pentoo || detail::istarts_with(rest, "pentoo");
    }
  }
  if (kali) return "Kali Linux";
  if (parrot) return "Parrot OS";
  if (pentoo) return "Pentoo";
  return {};
}

class AccessAnalyzer final : public Analyzer {
  struct Principal;  // below, with the other per-event state

 public:
  explicit AccessAnalyzer(const AnalyzerConfig& config)
      : profile_(config.profile ? *config.profile : empty_profile_),
        baseline_until_ms_(config.baseline_until_ms),
        scope_(config.scope ? *config.scope : own_scope_) {
    if (baseline_until_ms_ == 0 && profile_.loaded) baseline_until_ms_ = profile_.baseline_until_ms;
  }

  void on_event(const EventView& e, FindingSink& /*out*/) override {
    if (e.kind == EventKind::kInsight) return;
    event_ip_ = event_ua_ = nullptr;
    if (e.kind == EventKind::kInvocation && e.content != nullptr && !e.content->secrets.empty()) note_leaked_keys(e);
    if (e.kind == EventKind::kCloudTrail) track_external(e);
    if (&scope_ == &own_scope_) own_scope_.on_event(e);  // else the scan fed the shared one
    if (e.kind == EventKind::kCloudTrail) ++cloudtrail_events_;
    if (e.actor_arn.empty()) return;
    check_bad(e);
    const bool service = is_service_actor(e);
    if (detail::same_text(e.service, "signin.amazonaws.com")) on_signin(e);
    if (service) return;

    Principal* principal = nullptr;
    const std::uint32_t cred = cred_id(e, principal);
    const bool denied = e.outcome == Outcome::kFailure && detail::is_denied_error(e.error_code);
    const bool read = e.kind == EventKind::kCloudTrail && detail::is_read_call(e);
    const bool net = is_long_term(e.access_key_id) && looks_like_ip(e.source_ip);
    const bool bucket = cred != kNoCred && (denied || read || net);
    if (bucket) prefetch_bucket(e, cred);
    if (detail::has_prefix(e.access_key_id, "ASIA")) track_session_key(e, principal);
    if (cred == kNoCred) return;
    // Another account's principal is named by its principal id only ("AWSAccount:AIDA..."):
    // remember the account, which the findings about it name.
    if (detail::same_text(e.actor_type, "AWSAccount") && !e.actor_account.empty() &&
        other_account_of_.size() < kMaxAccounts &&
        other_account_of_.find(e.actor_arn) == other_account_of_.end()) {
      other_account_of_.emplace(std::string(e.actor_arn), std::string(e.actor_account.substr(0, 32)));
    }
    // The agent of the credential's last call, whole, needs neither check again: both
    // remembered it (checked_ua is always the last one, not_console_ua unless console).
    if (Cred& c = creds_[cred];
        !c.ua_checked || e.user_agent.size() > 512 || !same_as(c.checked_ua, e.user_agent, event_ua_)) {
      if (!c.console && !same_as(c.not_console_ua, e.user_agent, event_ua_)) {
        if (looks_console(e.user_agent)) c.console = true;
        else c.not_console_ua.assign(texts_, e.user_agent.substr(0, 512));
      }
      if (!c.ua_checked || !detail::same_text(c.checked_ua.view(), e.user_agent.substr(0, 512))) {
        c.ua_checked = true;
        c.checked_ua.assign(texts_, e.user_agent.substr(0, 512));
        c.platform = offensive_platform(e.user_agent);
      }
    }
    if (!creds_[cred].platform.empty()) note_offensive(e, creds_[cred]);

    track_regions(e, *principal);
    if (is_long_term(e.access_key_id)) track_long_term(e);

    if (bucket) on_bucket(e, cred, denied, read, net);

    if (detail::same_text(e.service, "sts.amazonaws.com")) {
      on_sts(e, cred);
    } else if (detail::same_text(e.service, "iam.amazonaws.com") && e.outcome == Outcome::kSuccess) {
      // The service is compared once: most calls are of another service whose name has its length.
      if (e.action == "CreateAccessKey" || e.action == "CreateLoginProfile" || e.action == "UpdateLoginProfile")
        on_key_creation(e);
      if (e.action == "UpdateAccessKey" || e.action == "DeleteAccessKey") on_key_disabled(e);
      if (e.action == "UpdateAssumeRolePolicy" || e.action == "CreateRole") on_trust(e);
    }
  }

  void finish(FindingSink& out) override {
    compute_baseline();
    finish_logins(out);
    finish_long_term(out);
    finish_buckets(out);
    finish_recon(out);
    finish_regions(out);
    finish_key_creations(out);
    finish_bad(out);
    finish_session_keys(out);
    finish_leaked_keys(out);
    finish_external(out);
    finish_offensive(out);
    finish_trusts(out);
    finish_sts(out);  // after every flag: sessions opened by flagged credentials
    finish_rollup(out);
    // The last successful console sign-in by a principal that was not flagged.
    const Login* last = nullptr;
    for (const auto& [user, l] : last_login_by_user_) {
      bool flagged = false;
      for (const auto& [name, fl] : flags_) flagged = flagged || (fl.principal == user && fl.worst >= Severity::kMedium);
      if (!flagged && (!last || last->ev < l.ev)) last = &l;
    }
    if (last)
      last_login_ = fmt::format("{} at {} from {}{}", last->user, format_time(last->ev.time_ms), last->ip,
                                last->mfa_used ? " with MFA" : " without MFA");
  }

  void answer(const Coverage& coverage, std::vector<QuestionAnswer>& out) const override;
  void limits(std::vector<std::string>& out) const override {
    detail::limit_line(out, creds_dropped_,
                       "{} call(s) by credentials past the first 50,000 were not analysed (bursts, first-seen IPs "
                       "and agents, regions).");
    detail::limit_line(out, buckets_dropped_,
                       "{} call(s) past 500,000 ten-minute buckets were not counted in enumeration or denial bursts.");
    detail::limit_line(out, records_dropped_,
                       "{} sign-in, STS, GetCallerIdentity, key-creation or trust-policy record(s) beyond the "
                       "earliest 100,000 of each kind were left out.");
    detail::limit_line(out, session_keys_dropped_,
                       "{} call(s) with temporary keys past the first 50,000 keys were not followed (compute or session "
                       "credentials used elsewhere, leaked keys used).");
    detail::limit_line(out, leaked_keys_dropped_, "{} access key id(s) seen in invocation text past 10,000 were not followed.");
  }

 private:
  static constexpr std::uint32_t kNoCred = 0xffffffffu;

  /// same_text(memo.view(), text), where `known` is the pool's copy of `text` once a
  /// memo compared equal to it (null before). The pool holds one copy of each text,
  /// so a pooled memo then equals `text` exactly when it is that copy: the agent
  /// and address that several memos hold are compared once per event.
  static bool same_as(const PooledText& memo, std::string_view text, const std::string*& known) noexcept {
    const std::string* pooled = memo.pooled();
    if (known != nullptr && pooled != nullptr) return pooled == known;
    if (!detail::same_text(memo.view(), text)) return false;
    if (pooled != nullptr) known = pooled;
    return true;
  }

  /// The credential of an event, and its principal's entry (null with kNoCred).
  std::uint32_t cred_id(const EventView& e, Principal*& principal) {
    const std::string_view key = cred_key_part(e);
    StrTable<Principal>::Entry*& recent = recent_principals_[detail::text_slot(e.actor_arn, kRecentPrincipalBits)];
    auto* entry = recent != nullptr && detail::same_text(recent->first, e.actor_arn) ? recent
                                                                                      : principals_.find(e.actor_arn);
    if (entry != nullptr) {
      recent = entry;
      principal = &entry->second;
      if (key.empty()) {
        if (principal->keyless_cred != kNoCred) return principal->keyless_cred;
      } else {
        for (const auto& [k, id] : principal->creds)
          if (detail::same_text(k, key)) return id;
      }
    }
    if (creds_.size() >= kMaxCreds) {
      ++creds_dropped_;
      return kNoCred;
    }
    if (entry == nullptr) entry = &principals_.add(e.actor_arn);  // principals no more than credentials
    recent = entry;
    principal = &entry->second;
    auto id = static_cast<std::uint32_t>(creds_.size());
    Cred& c = creds_.emplace_back();
    c.principal = std::string(e.actor_arn);
    c.key = std::string(key);
    c.account = std::string(e.account);
    if (key.empty()) principal->keyless_cred = id;
    else principal->creds.emplace_back(key, id);
    return id;
  }

  /// The key that identifies a credential: a temporary (ASIA...) key lives for
  /// one session and can change on every call, so sessions are keyed by
  /// principal alone (bounded state on any input); other keys by principal+key.
  static std::string_view cred_key_part(const EventView& e) {
    return detail::has_prefix(e.access_key_id, "ASIA") ? std::string_view() : e.access_key_id;
  }

  // ---- per-event collection -------------------------------------------------

  void on_signin(const EventView& e) {
    bool mfa_failure = false;
    if (e.action == "CheckMfa") {
      std::string_view r = str_at(e.raw, "responseElements", "CheckMfa");
      mfa_failure = e.outcome == Outcome::kFailure || r == "Failure";
      if (!mfa_failure) return;
    } else if (e.action != "ConsoleLogin") {
      return;
    }
    Login l;
    l.ev = Evidence::from(e);
    l.user = std::string(e.actor_arn);
    l.ip = std::string(e.source_ip);
    l.ua = std::string(e.user_agent);
    l.account = std::string(e.account);
    l.success = e.action == "ConsoleLogin" && e.outcome == Outcome::kSuccess;
    l.mfa_used = e.mfa == Tri::kTrue;
    l.mfa_failure = mfa_failure || (e.action == "ConsoleLogin" && !l.success && l.mfa_used);
    if (l.success) {
      auto it = last_login_by_user_.find(l.user);
      if (it == last_login_by_user_.end()) {
        if (last_login_by_user_.size() < kMaxCreds) last_login_by_user_.emplace(l.user, l);
      } else if (it->second.ev < l.ev) {
        it->second = l;
      }
    }
    logins_.push_back(std::move(l));
    trim_earliest(logins_, kMaxRecords, records_dropped_);
  }

  void track_long_term(const EventView& e) {
    if (!last_long_term_ || !detail::same_text(last_long_term_->first, e.access_key_id)) {
      auto it = long_term_.find(e.access_key_id);
      if (it == long_term_.end()) {
        if (long_term_.size() >= kMaxCreds) return;
        it = long_term_.emplace(std::string(e.access_key_id), LongTermKey{}).first;
      }
      last_long_term_ = &*it;
    }
    auto& k = last_long_term_->second;
    if (k.principal.empty()) k.principal = std::string(e.actor_arn);
    if (k.account.empty()) k.account = std::string(e.account);
    if (looks_like_ip(e.source_ip)) note_first(k.ips, k.ips_dropped, e.source_ip, e);
    if (!e.user_agent.empty()) note_first(k.uas, k.uas_dropped, e.user_agent, e);
  }

  /// Calls of a credential whose user agent names an offensive platform.
  void note_offensive(const EventView& e, const Cred& c) {
    scratch_.assign(c.principal).append(1, '\x1f').append(c.key);
    auto it = offensive_.find(scratch_);
    if (it == offensive_.end()) {
      if (offensive_.size() >= kMaxCreds) return;
      it = offensive_.emplace(scratch_, OffensiveUse{}).first;
      it->second.principal = c.principal;
      it->second.key = c.key;
      it->second.account = c.account;
    }
    OffensiveUse& o = it->second;
    note_use(o.all, e);
    o.platforms.emplace(c.platform);
    std::uint64_t ignored = 0;
    note_first(o.uas, ignored, e.user_agent.substr(0, 512), e);
    if (looks_like_ip(e.source_ip)) note_first(o.ips, ignored, e.source_ip, e);
  }

  /// The accounts whose logs are here, and calls made in them by principals
  /// of other accounts (12-digit account ids; AWS services excluded).
  void track_external(const EventView& e) {
    // same_text, not ==: account ids share one length, and == called memcmp on every event.
    if (!e.account.empty() && !detail::same_text(e.account, last_logged_account_)) {
      if (logged_accounts_.size() < kMaxAccounts) logged_accounts_.emplace(e.account);
      last_logged_account_.assign(e.account.substr(0, 64));
    }
    if (e.actor_account.empty() || e.account.empty() || detail::same_text(e.actor_account, e.account)) return;
    if (e.actor_account.size() != 12 ||
        !std::all_of(e.actor_account.begin(), e.actor_account.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return;
    if (is_service_actor(e)) return;
    auto it = external_.find(e.actor_account);
    if (it == external_.end()) {
      if (external_.size() >= kMaxAccounts) return;
      it = external_.emplace(std::string(e.actor_account), ExternalAccount{}).first;
    }
    ExternalAccount& x = it->second;
    std::uint64_t ignored = 0;
    note_use(x.all, e);
    note_first(x.recipients, ignored, e.account, e);
    if (looks_like_ip(e.source_ip)) note_first(x.ips, x.ips_dropped, e.source_ip, e);
    const std::string_view who = !e.actor_arn.empty() ? e.actor_arn : e.principal_id;
    if (!who.empty()) note_first(x.principals, ignored, who.substr(0, 512), e);
    scratch_.assign(detail::short_service(e.service)).append(1, ':').append(e.action.substr(0, 128));
    note_first(x.actions, x.actions_dropped, scratch_, e);
    if (e.outcome == Outcome::kSuccess && e.action.substr(0, 10) == "AssumeRole") {
      const std::string_view role = str_at(e.raw, "requestParameters", "roleArn");
      if (!role.empty()) note_first(x.roles, ignored, role.substr(0, 512), e);
    }
    if (e.outcome == Outcome::kSuccess && !detail::is_read_call(e)) ++x.changes;
  }

  /// A role's trust policy set (CreateRole, UpdateAssumeRolePolicy): the
  /// 12-digit accounts it names (in principal ARNs or bare), judged in finish()
  /// against the accounts whose logs are here.
  void on_trust(const EventView& e) {
    std::string_view doc = str_at(e.raw, "requestParameters", "policyDocument");
    if (doc.empty()) doc = str_at(e.raw, "requestParameters", "assumeRolePolicyDocument");
    if (doc.empty()) return;
    std::string decoded;
    if (doc.substr(0, 3) == "%7B" || doc.substr(0, 3) == "%7b") {  // URL-encoded, as IAM sometimes logs it
      decoded = percent_decoded(doc.substr(0, 65536));
      doc = decoded;
    }
    TrustChange t;
    // A run of exactly 12 digits between ':' or '"' and ':' or '"': an account in
    // an ARN ("arn:aws:iam::999988887777:root") or bare ("999988887777").
    for (std::size_t i = 0; i < doc.size() && t.accounts.size() < 20;) {
      if (doc[i] < '0' || doc[i] > '9') {
        ++i;
        continue;
      }
      std::size_t j = i;
      while (j < doc.size() && doc[j] >= '0' && doc[j] <= '9') ++j;
      const bool bounded = i > 0 && (doc[i - 1] == ':' || doc[i - 1] == '"') && j < doc.size() &&
                           (doc[j] == ':' || doc[j] == '"');
      if (j - i == 12 && bounded) t.accounts.emplace(doc.substr(i, 12));
      i = j;
    }
    if (t.accounts.empty()) return;
    t.ev = Evidence::from(e);
    t.role = std::string(str_at(e.raw, "requestParameters", "roleName").substr(0, 256));
    t.principal = std::string(e.actor_arn.substr(0, 512));
    t.key = std::string(e.access_key_id.substr(0, 64));
    t.account = std::string(e.account.substr(0, 64));
    if (looks_like_ip(e.source_ip)) t.ip = std::string(e.source_ip);
    trusts_.push_back(std::move(t));
    trim_earliest(trusts_, kMaxRecords, records_dropped_);
  }

  /// Access key ids that an invocation record's text carried (a response: the
  /// model disclosed it; a prompt: someone pasted it), the earliest record per key.
  void note_leaked_keys(const EventView& e) {
    const content::ContentResult& r = *e.content;
    bool with_secret = false;
    for (const auto& h : r.secrets) with_secret = with_secret || (h.type == "aws_secret_access_key" && !h.example);
    for (const auto& h : r.secrets) {
      if (h.example || h.type != "aws_access_key_id" || h.piece >= r.extraction.pieces.size()) continue;
      const std::string_view text = r.extraction.pieces[h.piece].text;
      if (h.length != 20 || h.offset + h.length > text.size()) continue;
      const std::string_view key = text.substr(h.offset, h.length);
      if (key.substr(0, 4) != "AKIA" && key.substr(0, 4) != "ASIA") continue;
      Evidence ev = Evidence::from(e);
      auto it = leaked_keys_.find(key);
      if (it == leaked_keys_.end()) {
        if (leaked_keys_.size() >= kMaxLeakedKeys) {
          ++leaked_keys_dropped_;
          continue;
        }
        it = leaked_keys_.emplace(std::string(key), Leak{}).first;
      } else if (!(ev < it->second.ev)) {
        continue;
      }
      it->second = Leak{std::move(ev), std::string(e.actor_arn.substr(0, 512)), h.side == content::Side::kOutput,
                        with_secret};
    }
  }

  /// Temporary keys: where the compute runtime they were issued to used them
  /// and where anything else did (finish_session_keys decides). Calls from
  /// something that is not an IP address are left out.
  /// `principal`: the event's, when it has an entry (null otherwise).
  void track_session_key(const EventView& e, Principal* principal) {
    // A session principal's calls use a few keys at a time (its concurrent sessions): its
    // recent ones are checked before a look-up.
    StrTable<SessionKey>::Entry** recent =
        principal != nullptr ? &principal->session_keys[detail::text_slot(e.access_key_id, kSessionKeyBits)] : nullptr;
    StrTable<SessionKey>::Entry* entry = recent != nullptr ? *recent : nullptr;
    const bool same_key = entry != nullptr && entry->second.is(entry->first, e.access_key_id);
    // The key's last call passed looks_like_ip: a call repeating its address needs no parse.
    if (same_key && entry->second.repeats_last_use(e, event_ip_, event_ua_)) {
      note_use(*entry->second.last_use, e);
      return;
    }
    if (!looks_like_ip(e.source_ip)) return;
    if (!same_key) {
      entry = session_keys_.find(e.access_key_id);
      if (entry == nullptr) {
        if (session_keys_.size() >= kMaxCreds) {
          ++session_keys_dropped_;
          return;
        }
        entry = &session_keys_.add(e.access_key_id);
        entry->second.instance = instance_session(e.actor_arn);
        if (e.access_key_id.size() == SessionKey::kIdSize)
          std::copy(e.access_key_id.begin(), e.access_key_id.end(), entry->second.id.begin());
      }
      if (recent != nullptr) *recent = entry;
    }
    SessionKey& k = entry->second;
    if (k.repeats_last_use(e, event_ip_, event_ua_)) {
      note_use(*k.last_use, e);
      return;
    }
    if (k.principal.empty()) k.principal = std::string(e.actor_arn.substr(0, 512));
    if (k.account.empty()) k.account = std::string(e.account.substr(0, 64));
    const std::string_view runtime = compute_runtime(e.user_agent);
    if (!runtime.empty()) {
      k.last_use = note_first(k.runtime_ips, k.dropped, e.source_ip, e);
      if (k.runtime.empty() || runtime < std::string_view(k.runtime)) k.runtime.assign(runtime.substr(0, 64));
    } else {
      scratch_.assign(e.source_ip.substr(0, 64)).append(1, '\x1f').append(e.user_agent.substr(0, 256));
      k.last_use = note_first(k.other_uses, k.dropped, scratch_, e);
    }
    // Only values kept whole can be compared again (a longer one was cut for its key).
    if (e.source_ip.size() > 64 || e.user_agent.size() > 256) k.last_use = nullptr;
    k.last_ip.assign(texts_, e.source_ip);
    k.last_ua.assign(texts_, e.user_agent);
  }

  /// First use of a value (IP, agent, region): earliest evidence and a count,
  /// the `kMaxPerKeyValues` smallest values kept.
  /// Returns the entry counted into (stable until the map drops it for a
  /// smaller value), or null when the value was not kept.
  static FirstUse* note_first(std::map<std::string, FirstUse, std::less<>>& m, std::uint64_t& dropped,
                              std::string_view value, const EventView& e) {
    auto it = m.find(value);
    if (it == m.end()) {
      if (m.size() >= kMaxPerKeyValues) {
        auto last = std::prev(m.end());
        if (!(value < std::string_view(last->first))) {
          ++dropped;
          return nullptr;
        }
        dropped += last->second.count;
        m.erase(last);
      }
      it = m.emplace(std::string(value), FirstUse{}).first;
    }
    note_use(it->second, e);
    return &it->second;
  }

  /// One more use: the earliest evidence (by time, file, record), the latest time, the count.
  static void note_use(FirstUse& u, const EventView& e) {
    if (u.count == 0 || detail::ref_less(e.time_ms, e.where.file, e.where.record, u.ev_ms, u.ev_file, u.ev_record)) {
      u.ev.assign(e);
      u.ev_ms = e.time_ms;
      u.ev_file = e.where.file;
      u.ev_record = e.where.record;
    }
    u.last_ms = u.count == 0 ? e.time_ms : std::max(u.last_ms, e.time_ms);
    ++u.count;
  }

  void track_regions(const EventView& e, Principal& p) {
    if (e.region.empty() || e.kind != EventKind::kCloudTrail) return;
    if (p.regions == nullptr) {
      auto it = regions_.find(e.actor_arn);
      if (it == regions_.end()) {
        if (regions_.size() >= kMaxCreds) return;
        it = regions_.emplace(std::string(e.actor_arn), RegionUse{}).first;
      }
      p.regions = &it->second;
    }
    RegionUse& r = *p.regions;
    if (r.last_use != nullptr && detail::same_text(r.last_region, e.region)) {
      note_use(*r.last_use, e);
      return;
    }
    r.last_use = note_first(r.regions, r.dropped, e.region, e);
    r.last_region.assign(e.region);
  }

  /// The key of an event's bucket (Bucket::key) and the credential's recent_buckets entry for it.
  std::pair<std::uint64_t, std::pair<std::uint64_t, Bucket*>*> bucket_of(const EventView& e, std::uint32_t cred) {
    const std::int64_t b = e.time_ms >= 0 ? e.time_ms / kBucketMs : -1;
    auto& recent = creds_[cred].recent_buckets;
    return {(std::uint64_t{cred} << 32) | static_cast<std::uint32_t>(b), &recent[static_cast<std::uint64_t>(b) % recent.size()]};
  }

  /// Starts loading what on_bucket() reads first (the bucket, or where its look-up
  /// begins): calls jump between buckets, and the cache misses overlap with the
  /// per-credential work done in between.
  void prefetch_bucket(const EventView& e, std::uint32_t cred) {
    const auto [key, recent] = bucket_of(e, cred);
    if (recent->second != nullptr && recent->first == key) __builtin_prefetch(recent->second);
    else block_ids_.prefetch(key >> kBlockBits);
  }

  /// The bucket under `key` (Bucket::key), or null.
  const Bucket* find_bucket(std::uint64_t key) const {
    const std::uint32_t block = block_ids_.find(key >> kBlockBits);
    return block == IdTable::kNone ? nullptr : blocks_[block][key & kBlockMask];
  }

  void on_bucket(const EventView& e, std::uint32_t cred, bool denied, bool read, bool net) {
    const auto [key, recent_entry] = bucket_of(e, cred);
    Cred& c = creds_[cred];
    auto& recent = *recent_entry;
    if (recent.second == nullptr || recent.first != key) {
      std::uint32_t block = block_ids_.find(key >> kBlockBits);
      Bucket* found = block == IdTable::kNone ? nullptr : blocks_[block][key & kBlockMask];
      if (found == nullptr) {
        if (buckets_.size() >= kMaxBuckets) {
          ++buckets_dropped_;
          return;
        }
        if (block == IdTable::kNone) {
          block = static_cast<std::uint32_t>(blocks_.size());
          blocks_.emplace_back();
          block_ids_.insert(key >> kBlockBits, block);
        }
        found = &buckets_.emplace_back();
        found->key = key;
        blocks_[block][key & kBlockMask] = found;
      }
      recent = {key, found};
    }
    Bucket& bk = *recent.second;
    const bool gci = read && detail::same_text(e.action, "GetCallerIdentity");
    if (read && !gci) {
      ++bk.reads;
      const std::uint32_t id = action_id(e);
      const std::uint64_t bit = id < 64 ? std::uint64_t{1} << id : 0;  // 0: the vectors say
      if ((bk.read_bits & bit) == 0) add_capped(bk.read_actions, id, nullptr, &bk.read_bits);
      // Discovery: a List call (what exists: ListRoles, ListDataSources of a knowledge base),
      // or a read that names nothing. Tags of a named resource are not discovery. An
      // action already among the sweeps needs no look at its parameters.
      const bool swept = bit != 0 ? (bk.sweep_bits & bit) != 0
                                  : std::binary_search(bk.sweep_actions.begin(), bk.sweep_actions.end(), id);
      const bool listing = detail::has_prefix(e.action, "List") && !e.action.starts_with("ListTags");
      if (!swept && (listing || !names_resource(e))) add_capped(bk.sweep_actions, id, nullptr, &bk.sweep_bits);
      bk.read_ev.add(e, evidence_text_);
    }
    if (denied) {
      ++bk.denied;
      if (!bk.denials) bk.denials = std::make_unique<Bucket::Denials>();
      add_capped(bk.denials->actions, action_id(e));
      bk.denials->ev.add(e, evidence_text_);
    }
    if (gci && e.outcome == Outcome::kSuccess) {
      gci_.push_back(GciCall{Evidence::from(e), cred});
      trim_earliest(gci_, kMaxRecords, records_dropped_);
    }
    if (net) add_capped(bk.nets, nets_.id(network_of(e.source_ip)), &nets_);
    if (!c.has_last_client || !same_as(c.last_ip, e.source_ip, event_ip_) ||
        !same_as(c.last_ua, e.user_agent, event_ua_)) {
      c.last_ip.assign(texts_, e.source_ip);
      c.last_ua.assign(texts_, e.user_agent);
      c.last_ip_id = ips_.id(e.source_ip.substr(0, 64));
      c.last_ua_id = uas_.id(e.user_agent.substr(0, 256));
      c.has_last_client = true;
    }
    if (!e.source_ip.empty() && bk.last_ip != c.last_ip_id) {
      add_capped(bk.ips, c.last_ip_id, &ips_);
      bk.last_ip = c.last_ip_id;
    }
    if (!e.user_agent.empty() && bk.last_ua != c.last_ua_id) {
      add_capped(bk.uas, c.last_ua_id, &uas_);
      bk.last_ua = c.last_ua_id;
    }
  }

  /// The id of "svc:Action" in actions_, found by the event's own action and
  /// service (no key string built and hashed per call).
  std::uint32_t action_id(const EventView& e) {
    return recent_actions_.get(e.service, e.action, [&] { return find_action_id(e); });
  }
  /// action_id() past its recent ids.
  std::uint32_t find_action_id(const EventView& e) {
    auto* entry = action_ids_.find(e.action);
    if (entry == nullptr) entry = &action_ids_.add(e.action);
    for (const auto& [service, id] : entry->second)
      if (detail::same_text(service, e.service)) return id;
    scratch_.assign(detail::short_service(e.service)).append(1, ':').append(e.action);
    const std::uint32_t id = actions_.id(scratch_);
    entry->second.emplace_back(e.service, id);
    return id;
  }

  /// Adds an id to a sorted small set; when full, keeps the smallest names.
  /// `bits`, when given, has bit i set exactly while id i (below 64) is in the set.
  void add_capped(std::vector<std::uint32_t>& set, std::uint32_t id, const Interner* names = nullptr,
                  std::uint64_t* bits = nullptr) {
    const Interner& in = names ? *names : actions_;
    auto bit = [](std::uint32_t i) { return i < 64 ? std::uint64_t{1} << i : 0; };
    auto it = std::lower_bound(set.begin(), set.end(), id);
    if (it != set.end() && *it == id) return;
    if (set.size() < kMaxBucketActions) {
      // Most sets hold a few ids: one allocation for up to 8 instead of four (1, 2, 4, 8).
      // Still powers of two, so a full set takes no more room than before.
      if (set.capacity() == 0) {
        set.reserve(8);
        it = set.begin();
      }
      set.insert(it, id);
      if (bits) *bits |= bit(id);
      return;
    }
    auto largest = std::max_element(set.begin(), set.end(),
                                    [&](std::uint32_t a, std::uint32_t b) { return in.name(a) < in.name(b); });
    if (in.name(id) < in.name(*largest)) {
      if (bits) *bits = (*bits & ~bit(*largest)) | bit(id);
      set.erase(largest);
      set.insert(std::lower_bound(set.begin(), set.end(), id), id);
    }
  }

  void on_sts(const EventView& e, std::uint32_t cred) {
    const std::string_view a = e.action;
    if (e.outcome != Outcome::kSuccess) return;
    if (a != "GetSessionToken" && a != "GetFederationToken" && a.substr(0, 10) != "AssumeRole" &&
        a != "AssumeRoot") {
      return;
    }
    StsCall c;
    c.ev = Evidence::from(e);
    c.cred = cred;
    c.role = std::string(str_at(e.raw, "requestParameters", "roleArn"));
    simdjson::dom::element creds;
    if (e.raw["responseElements"]["credentials"].get(creds) == simdjson::SUCCESS) {
      c.new_key = std::string(str_at(creds, "accessKeyId"));
    }
    // The session the call opened: AssumeRole* name it in assumedRoleUser, GetFederationToken in
    // federatedUser; GetSessionToken's session is the caller itself.
    std::string_view opened;
    simdjson::dom::element resp;
    if (e.raw["responseElements"].get(resp) == simdjson::SUCCESS) {
      opened = str_at(resp, "assumedRoleUser", "arn");
      if (opened.empty()) opened = str_at(resp, "federatedUser", "arn");
    }
    if (opened.empty() && a == "GetSessionToken") opened = e.actor_arn;
    c.new_principal = std::string(opened.substr(0, 512));
    c.caller_key = std::string(e.access_key_id.substr(0, 128));
    c.caller_account = std::string(e.actor_account.substr(0, 32));
    c.chained = e.actor_type == "AssumedRole";
    c.ip = std::string(e.source_ip.substr(0, 64));
    c.ua = std::string(e.user_agent.substr(0, 256));
    sts_.push_back(std::move(c));
    trim_earliest(sts_, kMaxRecords, records_dropped_);
  }

  /// Deactivation or deletion of an access key (containment), earliest per key.
  void on_key_disabled(const EventView& e) {
    std::string_view key = str_at(e.raw, "requestParameters", "accessKeyId");
    if (key.empty()) return;
    if (e.action == "UpdateAccessKey" && str_at(e.raw, "requestParameters", "status") != "Inactive") return;
    auto it = key_disabled_.find(key);
    if (it == key_disabled_.end()) {
      if (key_disabled_.size() >= kMaxCreds) return;
      it = key_disabled_.emplace(std::string(key), KeyDisabled{}).first;
    } else if (!(Evidence::from(e) < it->second.ev)) {
      return;
    }
    it->second.ev.assign(e);
    it->second.by = std::string(e.actor_arn);
    it->second.action = e.action == "DeleteAccessKey" ? "deleted" : "deactivated";
  }

  void on_key_creation(const EventView& e) {
    KeyCreation k;
    k.ev = Evidence::from(e);
    k.creator = std::string(e.actor_arn);
    k.creator_key = std::string(e.access_key_id);
    k.ip = std::string(e.source_ip);
    k.account = std::string(e.account);
    k.login_profile = e.action != "CreateAccessKey";
    if (k.login_profile) {
      k.user = std::string(str_at(e.raw, "requestParameters", "userName"));
    } else {
      simdjson::dom::element ak;
      if (e.raw["responseElements"]["accessKey"].get(ak) == simdjson::SUCCESS) {
        k.user = std::string(str_at(ak, "userName"));
        k.new_key = std::string(str_at(ak, "accessKeyId"));
      }
      if (k.user.empty()) k.user = std::string(str_at(e.raw, "requestParameters", "userName"));
    }
    if (k.user.empty() && e.actor_type == "IAMUser") k.user = std::string(e.user_name);
    key_creations_.push_back(std::move(k));
    trim_earliest(key_creations_, kMaxRecords, records_dropped_);
  }

  void check_bad(const EventView& e) {
    if (!profile_.loaded) return;
    std::string_view what;
    std::string_view value;
    for (const auto& k : profile_.bad_access_keys) {
      if (!e.access_key_id.empty() && detail::wildcard_matches(k, e.access_key_id)) {
        what = "access key";
        value = e.access_key_id;
        break;
      }
    }
    if (what.empty() && looks_like_ip(e.source_ip)) {
      for (const auto& c : profile_.bad_ips) {
        if (detail::ip_matches_cidr(e.source_ip, c)) {
          what = "source IP";
          value = e.source_ip;
          break;
        }
      }
    }
    if (what.empty()) {
      for (const auto& p : profile_.bad_principals) {
        if (detail::wildcard_matches(p, e.actor_arn) ||
            (!e.session_issuer.empty() && detail::wildcard_matches(p, e.session_issuer))) {
          what = "principal";
          value = e.actor_arn;
          break;
        }
      }
    }
    if (what.empty()) return;
    scratch_.assign(e.actor_arn);
    scratch_.push_back('\x1f');
    scratch_.append(e.access_key_id);
    auto it = bad_.find(scratch_);
    if (it == bad_.end()) {
      if (bad_.size() >= kMaxRecords) return;
      it = bad_.emplace(scratch_, BadUse{}).first;
      it->second.principal = std::string(e.actor_arn);
      it->second.key = std::string(e.access_key_id);
      it->second.account = std::string(e.account);
    }
    BadUse& b = it->second;
    b.finding.add(e);
    b.matched.add(fmt::format("{} {}", what, value), 10);
    if (looks_like_ip(e.source_ip)) b.ips.add(e.source_ip, 50);
    b.uas.add(e.user_agent, 20);
    b.actions.add(e.action, 100);
  }

  // ---- finish ---------------------------------------------------------------

  void compute_baseline() {
    first_ms_ = scope_.first_event_ms();
    last_ms_ = scope_.last_event_ms();
    if (baseline_until_ms_ > 0) {
      baseline_end_ = baseline_until_ms_;
      baseline_inferred_ = false;
    } else {
      baseline_end_ = first_ms_ + (last_ms_ - first_ms_) / 5;
      baseline_inferred_ = true;
    }
  }

  void flag(const std::string& principal, const std::string& key, const std::string& account,
            const std::string& rule, Severity sev) {
    rules_fired_.insert(rule);
    if (principal.empty()) return;
    auto& f = flags_[principal + '\x1f' + key];
    if (f.principal.empty()) {
      f.principal = principal;
      f.key = key;
      f.account = account;
    }
    f.rules.insert(rule);
    if (sev > f.worst) f.worst = sev;
    rules_fired_.insert(rule);
  }

  void emit(FindingSink& out, Finding f) {
    f.element = Element::kAccess;
    f.finalize();
    if (f.severity >= Severity::kLow) flag(f.principal, f.access_key_id, f.account, f.rule, f.severity);
    rules_fired_.insert(f.rule);
    out.emit(std::move(f));
  }

  void finish_logins(FindingSink& out) {
    std::sort(logins_.begin(), logins_.end(), [](const Login& a, const Login& b) { return a.ev < b.ev; });
    // Per user: failure bursts, MFA failure bursts, success afterwards.
    std::map<std::string, std::vector<const Login*>> by_user;
    std::map<std::string, std::vector<const Login*>> by_ip;
    for (const Login& l : logins_) {
      by_user[l.user].push_back(&l);
      if (!l.ip.empty()) by_ip[l.ip].push_back(&l);
    }
    std::set<std::string> spray_ips;
    for (const auto& [ip, list] : by_ip) {
      // Spraying: many failures from one IP against several users within an hour.
      std::size_t lo = 0;
      std::vector<const Login*> fails;
      for (const Login* l : list) {
        if (!l->success && !l->mfa_failure) fails.push_back(l);
      }
      std::size_t best_lo = 0;
      std::size_t best_hi = 0;
      std::size_t best_users = 0;
      for (std::size_t hi = 0; hi < fails.size(); ++hi) {
        while (fails[hi]->ev.time_ms - fails[lo]->ev.time_ms > kSprayWindow) ++lo;
        std::set<std::string_view> users;
        for (std::size_t i = lo; i <= hi; ++i) users.insert(fails[i]->user);
        if (hi - lo + 1 >= kSprayFailures && users.size() >= kSprayUsers && users.size() > best_users) {
          best_users = users.size();
          best_lo = lo;
          best_hi = hi;
        }
      }
      if (best_users == 0) continue;
      spray_ips.insert(ip);
      Finding f;
      f.rule = "access.console_password_spray";
      f.severity = Severity::kMedium;
      f.title = "Console password spraying from one IP";
      std::set<std::string> users;
      for (std::size_t i = best_lo; i <= best_hi; ++i) {
        f.add(fails[i]->ev);
        users.insert(fails[i]->user);
        f.user_agents.push_back(fails[i]->ua);
        if (f.account.empty()) f.account = fails[i]->account;
      }
      std::vector<std::string> uv(users.begin(), users.end());
      // A success from the same IP within the hour after the burst.
      const Login* success = nullptr;
      for (const Login* l : list) {
        if (l->success && l->ev.time_ms >= fails[best_lo]->ev.time_ms &&
            l->ev.time_ms <= fails[best_hi]->ev.time_ms + kSuccessAfter) {
          success = l;
          break;
        }
      }
      f.source_ips.push_back(ip);
      f.summary = fmt::format("{} failed console logins from {} against {} users within an hour: {}",
                              best_hi - best_lo + 1, ip, users.size(), join(uv));
      f.details.emplace_back("failures", std::to_string(best_hi - best_lo + 1));
      f.details.emplace_back("users", join(uv));
      if (success) {
        f.severity = Severity::kHigh;
        f.rule = "access.console_brute_force_success";
        f.title = "Console login succeeded after password spraying";
        f.principal = success->user;
        f.add(success->ev);
        f.summary += fmt::format("; then {} signed in successfully from the same IP", success->user);
        f.details.emplace_back("successful_user", success->user);
      }
      f.tags.attack = {"T1110.003", "T1078.004"};
      emit(out, std::move(f));
    }
    for (const auto& [user, list] : by_user) {
      for (int pass = 0; pass < 2; ++pass) {
        const bool mfa = pass == 1;
        std::vector<const Login*> fails;
        for (const Login* l : list) {
          if (!l->success && l->mfa_failure == mfa) fails.push_back(l);
        }
        const std::size_t need = mfa ? kMfaFailBurst : kLoginFailBurst;
        std::size_t lo = 0;
        std::size_t best_n = 0;
        std::size_t best_lo = 0;
        for (std::size_t hi = 0; hi < fails.size(); ++hi) {
          while (fails[hi]->ev.time_ms - fails[lo]->ev.time_ms > kLoginWindow) ++lo;
          if (hi - lo + 1 > best_n) {
            best_n = hi - lo + 1;
            best_lo = lo;
          }
        }
        if (best_n < need) continue;
        Finding f;
        f.rule = mfa ? "access.mfa_failure_burst" : "access.console_login_failure_burst";
        f.severity = Severity::kMedium;
        f.title = mfa ? "Repeated failed MFA challenges" : "Burst of failed console logins";
        f.principal = user;
        std::set<std::string> ips;
        for (std::size_t i = best_lo; i < best_lo + best_n; ++i) {
          f.add(fails[i]->ev);
          ips.insert(fails[i]->ip);
          f.source_ips.push_back(fails[i]->ip);
          f.user_agents.push_back(fails[i]->ua);
          if (f.account.empty()) f.account = fails[i]->account;
        }
        const std::int64_t burst_end = fails[best_lo + best_n - 1]->ev.time_ms;
        const Login* success = nullptr;
        for (const Login* l : list) {
          if (l->success && l->ev.time_ms >= fails[best_lo]->ev.time_ms && l->ev.time_ms <= burst_end + kSuccessAfter) {
            success = l;
            break;
          }
        }
        f.summary = fmt::format("{} {} for {} within {} minutes from {}", best_n,
                                mfa ? "failed MFA challenges" : "failed console logins", user,
                                kLoginWindow / kMinute, join(std::vector<std::string>(ips.begin(), ips.end())));
        f.details.emplace_back("failures", std::to_string(best_n));
        if (success) {
          f.add(success->ev);
          f.source_ips.push_back(success->ip);
          const bool from_fail_ip = ips.count(success->ip) > 0;
          const bool sprayed = spray_ips.count(success->ip) > 0;
          f.rule = "access.console_brute_force_success";
          f.title = "Console login succeeded after repeated failures";
          // A user who mistypes a password and then gets in is common; it becomes
          // urgent when the success comes without MFA or from a spraying IP.
          f.severity = (sprayed || !success->mfa_used) && !mfa ? Severity::kHigh : Severity::kMedium;
          if (sprayed && mfa) f.severity = Severity::kHigh;
          f.summary += fmt::format("; then a successful login from {}{}{}", success->ip,
                                   from_fail_ip ? " (same IP)" : "", success->mfa_used ? "" : " without MFA");
          f.details.emplace_back("success_at", format_time(success->ev.time_ms));
          f.details.emplace_back("success_mfa", success->mfa_used ? "yes" : "no");
        }
        f.tags.attack = {mfa ? "T1621" : "T1110.001"};
        if (success) f.tags.attack.push_back("T1078.004");
        emit(out, std::move(f));
      }
    }
  }

  bool ip_known(std::string_view ip) const {
    for (const auto& c : profile_.known_cidrs) {
      if (detail::ip_matches_cidr(ip, c)) return true;
    }
    return false;
  }
  bool ua_known(std::string_view ua) const {
    for (const auto& k : profile_.known_user_agents) {
      if (icontains(ua, k)) return true;
    }
    return false;
  }

  /// A role session's temporary key used from another public network by
  /// another client than where and how the session started: a session token
  /// copied off its host (CI runner, laptop, a tool's environment). Console
  /// sessions are left out: CloudShell and Cloud9 use them from AWS's network.
  void session_used_elsewhere(FindingSink& out, const std::string& key, const auto& k) {  // k: SessionKey (declared below)
    const FirstUse* first = nullptr;
    std::string_view first_ip, first_ua;
    for (const auto& [value, use] : k.other_uses) {
      const auto [ip, ua] = split_use(value);
      if (ua.starts_with("Mozilla/") || ua.find("exec-env/CloudShell") != std::string_view::npos ||
          ua.find("Cloud9") != std::string_view::npos)
        return;
      if (!private_ip(ip) && (first == nullptr || use.ev < first->ev)) {
        first = &use;
        first_ip = ip;
        first_ua = ua;
      }
    }
    if (first == nullptr) return;
    const std::string first_net = network_of(first_ip);
    const std::string first_client = client_family(first_ua);
    std::set<std::string> ips, uas;
    std::vector<const FirstUse*> uses;
    for (const auto& [value, use] : k.other_uses) {
      const auto [ip, ua] = split_use(value);
      if (private_ip(ip) || network_of(ip) == first_net || client_family(ua) == first_client) continue;
      ips.emplace(ip);
      if (!ua.empty()) uas.emplace(ua);
      uses.push_back(&use);
    }
    if (uses.empty()) return;
    Finding f;
    f.rule = "access.session_credentials_used_elsewhere";
    f.severity = Severity::kMedium;
    f.principal = k.principal;
    f.access_key_id = key;
    f.account = k.account;
    std::uint64_t calls = 0;
    std::int64_t begin = 0, end = 0;
    for (const FirstUse* use : uses) {
      f.add(use->ev);
      calls += use->count;
      if (begin == 0 || use->ev.time_ms < begin) begin = use->ev.time_ms;
      end = std::max(end, use->last_ms);
    }
    f.add(first->ev);  // where and how the session started, for comparison
    const std::vector<std::string> ip_list(ips.begin(), ips.end()), ua_list(uas.begin(), uas.end());
    f.source_ips = ip_list;
    f.user_agents = ua_list;
    f.title = "Session credentials used from another network by another client";
    f.summary = fmt::format(
        "Temporary key {} of {} started from {} ({}), then was used from {} ({}), {} call(s) from {} to {}: another "
        "network and another client than the session's own, as when a session token is copied off its host",
        key, k.principal, first_ip, first_ua.empty() ? std::string_view("no user agent") : first_ua, join(ip_list, 5),
        ua_list.empty() ? std::string("no user agent") : join(ua_list, 3), calls, format_time(begin),
        format_time(end));
    f.details.emplace_back("session_ip", std::string(first_ip));
    f.details.emplace_back("session_user_agent", std::string(first_ua));
    f.details.emplace_back("other_ips", join(ip_list));
    if (k.dropped > 0) f.details.emplace_back("uses_not_kept", std::to_string(k.dropped));
    f.count = calls;
    f.first_seen_ms = begin;
    f.last_seen_ms = end;
    f.tags.attack = {"T1550.001", "T1078.004"};
    emit(out, std::move(f));
  }

  /// Credentials taken from compute and used elsewhere (detections.md A24,
  /// GuardDuty's InstanceCredentialExfiltration, without AWS's IP ranges):
  /// a key its Lambda or ECS runtime used (exec-env/ in the SDK's user agent)
  /// that another client used from a network the runtime never used; or an
  /// EC2 instance-role key used from two public networks (an instance calls
  /// from its own address; a private one is a VPC endpoint).
  void finish_session_keys(FindingSink& out) {
    std::vector<const std::pair<const std::string, SessionKey>*> keys;
    for (const auto& entry : session_keys_) keys.push_back(&entry);
    std::sort(keys.begin(), keys.end(), [](const auto* a, const auto* b) { return a->first < b->first; });
    for (const auto* entry : keys) {
      const std::string& key = entry->first;
      const SessionKey& k = entry->second;
      std::set<std::string> runtime_nets, runtime_ips;
      for (const auto& [ip, use] : k.runtime_ips) {
        runtime_nets.insert(network_of(ip));
        runtime_ips.insert(ip);
      }
      // (ip, user agent, use) of the uses that count against the key.
      std::vector<std::tuple<std::string_view, std::string_view, const FirstUse*>> elsewhere;
      std::set<std::string> nets;
      for (const auto& [value, use] : k.other_uses) {
        const auto [ip, ua] = split_use(value);
        if (!k.runtime_ips.empty()) {
          if (runtime_nets.count(network_of(ip)) == 0) elsewhere.emplace_back(ip, ua, &use);
        } else if (k.instance && !private_ip(ip)) {
          elsewhere.emplace_back(ip, ua, &use);
          nets.insert(network_of(ip));
        }
      }
      if (k.runtime_ips.empty() && !k.instance) {
        session_used_elsewhere(out, key, k);
        continue;
      }
      if (!k.runtime_ips.empty() ? elsewhere.empty() : nets.size() < 2) continue;
      Finding f;
      f.rule = "access.compute_credentials_used_elsewhere";
      f.severity = Severity::kHigh;
      f.principal = k.principal;
      f.access_key_id = key;
      f.account = k.account;
      std::set<std::string> ips, uas;
      std::uint64_t calls = 0;
      std::int64_t first = 0, last = 0;
      for (const auto& [ip, ua, use] : elsewhere) {
        f.add(use->ev);
        ips.emplace(ip);
        if (!ua.empty()) uas.emplace(ua);
        calls += use->count;
        if (first == 0 || use->ev.time_ms < first) first = use->ev.time_ms;
        last = std::max(last, use->last_ms);
      }
      const std::vector<std::string> ip_list(ips.begin(), ips.end()), ua_list(uas.begin(), uas.end());
      f.source_ips = ip_list;
      f.user_agents = ua_list;
      if (!k.runtime_ips.empty()) {
        const FirstUse* earliest = nullptr;
        for (const auto& [ip, use] : k.runtime_ips)
          if (!earliest || use.ev < earliest->ev) earliest = &use;
        f.add(earliest->ev);  // where the runtime itself used the key, for comparison
        const std::vector<std::string> runtime_list(runtime_ips.begin(), runtime_ips.end());
        f.title = "Compute credentials used outside their runtime";
        f.summary = fmt::format(
            "Temporary key {} of {}, used by its {} runtime from {}, was also used by another client from {} "
            "({}), {} call(s) from {} to {}: credentials taken from the function or task (environment, SSRF, an "
            "agent's tool) and used elsewhere",
            key, k.principal, k.runtime, join(runtime_list, 5), join(ip_list, 5),
            ua_list.empty() ? std::string("no user agent") : join(ua_list, 3), calls, format_time(first),
            format_time(last));
        f.details.emplace_back("runtime", k.runtime);
        f.details.emplace_back("runtime_ips", join(runtime_list));
      } else {
        f.title = "EC2 instance credentials used from several networks";
        f.summary = fmt::format(
            "Temporary key {} of instance-role session {} was used from {} public networks ({}), {} call(s) from "
            "{} to {}: an instance calls from its own address, so credentials read from its metadata service "
            "were likely used elsewhere",
            key, k.principal, nets.size(), join(ip_list, 5), calls, format_time(first), format_time(last));
      }
      f.details.emplace_back("other_ips", join(ip_list));
      if (k.dropped > 0) f.details.emplace_back("uses_not_kept", std::to_string(k.dropped));
      f.count = calls;
      f.first_seen_ms = first;
      f.last_seen_ms = last;
      f.tags.attack = {"T1552.005", "T1078.004"};
      f.tags.atlas = {"AML.T0055"};
      emit(out, std::move(f));
    }
  }

  /// A role's trust opened to an account whose logs are not here (and that the
  /// profile does not list): a door for that account, the persistence that
  /// outlives a revoked key. Whether the account then came in is
  /// access.external_account_activity; the finding says so when it did.
  void finish_trusts(FindingSink& out) {
    std::sort(trusts_.begin(), trusts_.end(), [](const TrustChange& a, const TrustChange& b) { return a.ev < b.ev; });
    for (const TrustChange& t : trusts_) {
      std::vector<std::string> outside;
      for (const std::string& a : t.accounts) {
        if (a == t.account || logged_accounts_.count(a) != 0) continue;
        if (std::find(profile_.accounts.begin(), profile_.accounts.end(), a) != profile_.accounts.end()) continue;
        outside.push_back(a);
      }
      if (outside.empty()) continue;
      std::vector<std::string> came_in;
      for (const std::string& a : outside) {
        auto it = external_.find(a);
        if (it != external_.end() && it->second.all.count > 0)
          came_in.push_back(fmt::format("{} from {}", a, format_time(it->second.all.ev.time_ms)));
      }
      Finding f;
      f.rule = "access.role_trusts_external_account";
      f.severity = Severity::kHigh;
      f.title = "Role trust opened to an account whose logs are not here";
      f.principal = t.principal;
      f.access_key_id = t.key;
      f.account = t.account;
      if (!t.ip.empty()) f.source_ips.push_back(t.ip);
      f.add(t.ev);
      f.summary = fmt::format(
          "{} of role {} by {}{} at {}: it now lets account(s) {} assume the role; their own logs are not in the "
          "input{}{}",
          t.ev.action, t.role.empty() ? std::string("?") : t.role, t.principal,
          t.key.empty() ? std::string() : fmt::format(" (key {})", t.key), format_time(t.ev.time_ms), join(outside),
          profile_.loaded && !profile_.accounts.empty() ? " and the profile does not list them" : "",
          came_in.empty() ? std::string() : fmt::format("; calls from them followed: {}", join(came_in)));
      f.details.emplace_back("role", t.role);
      f.details.emplace_back("external_accounts", join(outside));
      if (!came_in.empty()) f.details.emplace_back("external_activity", join(came_in));
      f.tags.attack = {"T1098.003", "T1199"};
      emit(out, std::move(f));
    }
  }

  /// One finding per credential whose user agent named a penetration-testing
  /// distribution or an attack-simulation tool (GuardDuty's PenTest findings):
  /// a sanctioned test, or an attacker's workstation.
  void finish_offensive(FindingSink& out) {
    for (const auto& [id, o] : offensive_) {
      Finding f;
      f.rule = "access.offensive_platform_user_agent";
      f.severity = Severity::kMedium;
      f.title = "AWS API called from a penetration-testing system or an attack-simulation tool";
      f.principal = o.principal;
      f.access_key_id = o.key;
      f.account = o.account;
      for (const auto& [ua, use] : o.uas) {
        f.add(use.ev);
        f.user_agents.push_back(ua);
      }
      for (const auto& [ip, use] : o.ips) f.source_ips.push_back(ip);
      const std::vector<std::string> platforms(o.platforms.begin(), o.platforms.end());
      f.summary = fmt::format(
          "{}{} made {} call(s) from {} ({} to {}{}): confirm a sanctioned test and its window, else treat the "
          "credential as used from an attacker's system",
          o.principal, o.key.empty() ? std::string() : fmt::format(" (key {})", o.key), o.all.count,
          join(platforms), format_time(o.all.ev.time_ms), format_time(o.all.last_ms),
          f.source_ips.empty() ? std::string() : fmt::format(", from {}", join(f.source_ips, 5)));
      f.details.emplace_back("platforms", join(platforms));
      f.count = o.all.count;
      f.first_seen_ms = o.all.ev.time_ms;
      f.last_seen_ms = o.all.last_ms;
      f.tags.attack = {"T1078.004"};
      emit(out, std::move(f));
    }
  }

  /// Principals of an account whose logs are not here acting in one that is:
  /// a role assumed from outside (a trust policy opened to another account),
  /// or a bucket, key or function shared with it. New after the baseline, or
  /// outside the profile's accounts; an account busy since the baseline is a
  /// known partner or vendor.
  void finish_external(FindingSink& out) {
    const bool by_profile = profile_.loaded && !profile_.accounts.empty();
    for (const auto& [account, x] : external_) {
      if (logged_accounts_.count(account) != 0) continue;
      const FirstUse& use = x.all;
      if (by_profile) {
        if (std::find(profile_.accounts.begin(), profile_.accounts.end(), account) != profile_.accounts.end()) continue;
      } else if (use.ev.time_ms < baseline_end_) {
        continue;
      }
      Finding f;
      f.rule = "access.external_account_activity";
      f.severity = !x.roles.empty() || x.changes > 0 ? Severity::kHigh : Severity::kMedium;
      f.title = "Another AWS account acting in this one";
      f.add(use.ev);
      for (const auto& [ip, first] : x.ips) {
        f.add(first.ev);
        f.source_ips.push_back(ip);
      }
      std::vector<std::string> recipients, principals, roles, actions;
      for (const auto& [v, u] : x.recipients) recipients.push_back(v);
      for (const auto& [v, u] : x.principals) principals.push_back(v);
      for (const auto& [v, u] : x.roles) roles.push_back(fmt::format("{} ({})", v, u.count));
      std::vector<std::pair<std::uint64_t, std::string>> by_count;
      for (const auto& [v, u] : x.actions) by_count.emplace_back(u.count, v);
      std::stable_sort(by_count.begin(), by_count.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
      for (const auto& [n, v] : by_count) actions.push_back(fmt::format("{} ({})", v, n));
      f.account = recipients.empty() ? std::string() : recipients.front();
      if (!x.principals.empty()) f.principal = x.principals.begin()->first;
      const std::string basis =
          by_profile ? std::string("not one of the profile's accounts")
                     : fmt::format("first seen after the baseline ({}{})", format_time(baseline_end_),
                                   baseline_inferred_ ? ", inferred: first 20% of the logs" : "");
      f.summary = fmt::format("Account {} (its own logs are not here; {}) acted in {}: {} call(s){}{}, from {}, {} to {}",
                              account, basis, join(recipients, 5), use.count,
                              actions.empty() ? std::string() : fmt::format(" ({})", join(actions, 6)),
                              roles.empty() ? std::string() : fmt::format("; assumed {}", join(roles, 5)),
                              f.source_ips.empty() ? std::string("no IP recorded") : join(f.source_ips, 5),
                              format_time(use.ev.time_ms), format_time(use.last_ms));
      f.details.emplace_back("external_account", account);
      f.details.emplace_back("principals", join(principals, 5));
      if (!roles.empty()) f.details.emplace_back("roles_assumed", join(roles, 10));
      f.details.emplace_back("actions", join(actions, 10));
      f.details.emplace_back("successful_changes", std::to_string(x.changes));
      f.details.emplace_back("basis", basis);
      f.count = use.count;
      f.first_seen_ms = use.ev.time_ms;
      f.last_seen_ms = use.last_ms;
      f.tags.attack = {"T1199", "T1078.004"};
      emit(out, std::move(f));
    }
  }

  /// A key an invocation record carried, used afterwards from an address that
  /// had not used it before the record: the credential left through the AI
  /// application and someone else holds it. Uses from the key's earlier
  /// addresses are its owner's and do not count.
  void finish_leaked_keys(FindingSink& out) {
    for (const auto& [key, leak] : leaked_keys_) {
      std::string principal, account;
      std::vector<std::pair<std::string_view, const FirstUse*>> uses;  // (IP, uses from it)
      if (is_long_term(key)) {
        auto it = long_term_.find(key);
        if (it == long_term_.end()) continue;
        principal = it->second.principal;
        account = it->second.account;
        for (const auto& [ip, use] : it->second.ips) uses.emplace_back(ip, &use);
      } else {
        const auto* it = session_keys_.find(key);
        if (it == nullptr) continue;
        principal = it->second.principal;
        account = it->second.account;
        for (const auto& [ip, use] : it->second.runtime_ips) uses.emplace_back(ip, &use);
        for (const auto& [value, use] : it->second.other_uses)
          uses.emplace_back(std::string_view(value).substr(0, value.find('\x1f')), &use);
      }
      std::set<std::string_view> before;
      for (const auto& [ip, use] : uses)
        if (use->ev.time_ms < leak.ev.time_ms) before.insert(ip);
      Finding f;
      std::set<std::string> ips;
      std::uint64_t calls = 0;
      std::int64_t first = 0, last = 0;
      for (const auto& [ip, use] : uses) {
        if (before.count(ip) != 0) continue;
        f.add(use->ev);
        ips.emplace(ip);
        calls += use->count;
        if (first == 0 || use->ev.time_ms < first) first = use->ev.time_ms;
        last = std::max(last, use->last_ms);
      }
      if (ips.empty()) continue;
      f.add(leak.ev);
      f.rule = "access.leaked_credential_used";
      f.severity = Severity::kCritical;
      f.title = "Credential seen in model invocation text, then used from a new address";
      f.principal = principal;
      f.access_key_id = key;
      f.account = account;
      const std::vector<std::string> ip_list(ips.begin(), ips.end());
      f.source_ips = ip_list;
      f.summary = fmt::format(
          "Access key {} of {} appeared in a model {} (request {} at {}, invoked by {}{}) and was then used from {} "
          "address(es) that had not used it before: {}; {} call(s) from {} to {}",
          key, principal.empty() ? std::string("an unknown principal") : principal,
          leak.response ? "response" : "prompt", leak.ev.request_id.empty() ? std::string("-") : leak.ev.request_id,
          format_time(leak.ev.time_ms), leak.invoker, leak.with_secret ? ", with a secret access key" : "",
          ip_list.size(), join(ip_list, 5), calls, format_time(first), format_time(last));
      f.details.emplace_back("disclosed_in", leak.response ? "response" : "prompt");
      f.details.emplace_back("disclosed_at", format_time(leak.ev.time_ms));
      f.details.emplace_back("disclosed_by_invocation_of", leak.invoker);
      f.details.emplace_back("secret_key_too", leak.with_secret ? "yes" : "no");
      f.details.emplace_back("new_ips", join(ip_list));
      std::vector<std::string> earlier(before.begin(), before.end());
      if (!earlier.empty()) f.details.emplace_back("ips_before", join(earlier));
      f.count = calls;
      f.first_seen_ms = leak.ev.time_ms;
      f.last_seen_ms = std::max(last, leak.ev.time_ms);
      f.tags.attack = {"T1552", "T1078.004"};
      f.tags.atlas = {"AML.T0057"};
      f.tags.owasp_llm = {"LLM02:2025"};
      emit(out, std::move(f));
    }
  }

  void finish_long_term(FindingSink& out) {
    const bool cidrs = profile_.loaded && !profile_.known_cidrs.empty();
    const bool agents = profile_.loaded && !profile_.known_user_agents.empty();
    for (const auto& [key, k] : long_term_) {
      const PrincipalScope* ks = scope_.key(key);
      const bool has_baseline = ks && ks->first_ms < baseline_end_;
      for (int pass = 0; pass < 2; ++pass) {
        const bool ua = pass == 1;
        const auto& values = ua ? k.uas : k.ips;
        const bool by_profile = ua ? agents : cidrs;
        if (!by_profile && !has_baseline) continue;
        std::vector<const std::pair<const std::string, FirstUse>*> fresh;
        std::size_t known = 0;
        for (const auto& entry : values) {
          const bool is_new = by_profile ? !(ua ? ua_known(entry.first) : ip_known(entry.first))
                                         : entry.second.ev.time_ms >= baseline_end_;
          if (is_new) fresh.push_back(&entry);
          else ++known;
        }
        if (fresh.empty()) continue;
        Finding f;
        f.rule = ua ? "access.long_term_key_new_user_agent" : "access.long_term_key_new_ip";
        f.severity = ua ? Severity::kLow : Severity::kMedium;
        f.title = ua ? "Long-term access key used with a new user agent" : "Long-term access key used from a new IP";
        f.principal = k.principal;
        f.access_key_id = key;
        f.account = k.account;
        std::vector<std::string> names;
        std::uint64_t calls = 0;
        for (const auto* p : fresh) {
          f.add(p->second.ev);
          names.push_back(p->first);
          calls += p->second.count;
          (ua ? f.user_agents : f.source_ips).push_back(p->first);
        }
        f.count = calls;
        const std::string basis =
            by_profile ? (ua ? "not among the profile's known user agents" : "outside the profile's known CIDRs")
                       : fmt::format("first seen after the baseline ({}{})", format_time(baseline_end_),
                                     baseline_inferred_ ? ", inferred: first 20% of the logs" : "");
        f.summary = fmt::format("Long-term key {} of {} used from {} new {} ({}), {} calls: {}", key, k.principal,
                                fresh.size(), ua ? "user agent(s)" : "IP(s)", basis, calls, join(names));
        f.details.emplace_back(ua ? "new_user_agents" : "new_ips", join(names));
        if (!ua) {
          const auto* first = *std::min_element(fresh.begin(), fresh.end(), [](const auto* x, const auto* y) {
            return x->second.ev < y->second.ev;
          });
          first_new_ip_[key] = {first->second.ev.time_ms, first->first, names};
          f.details.emplace_back("first_new_ip_use", fmt::format("{} from {}", format_time(first->second.ev.time_ms),
                                                                  first->first));
        }
        f.details.emplace_back("known_before", std::to_string(known));
        f.details.emplace_back("basis", basis);
        f.tags.attack = {"T1078.004"};
        f.tags.atlas = {"AML.T0012"};
        emit(out, std::move(f));
      }
    }
  }

  /// Buckets of one credential, in time order.
  struct CredBuckets {
    std::uint32_t cred;
    std::vector<std::pair<std::int64_t, const Bucket*>> list;
  };

  std::vector<CredBuckets> grouped_buckets() const {
    std::map<std::uint32_t, std::vector<std::pair<std::int64_t, const Bucket*>>> m;
    for (const Bucket& b : buckets_) {
      auto cred = static_cast<std::uint32_t>(b.key >> 32);
      auto idx = static_cast<std::int64_t>(static_cast<std::int32_t>(b.key & 0xffffffffu));
      m[cred].emplace_back(idx, &b);
    }
    std::vector<CredBuckets> out;
    for (auto& [cred, list] : m) {
      std::sort(list.begin(), list.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
      out.push_back(CredBuckets{cred, std::move(list)});
    }
    // Credential ids follow input order: sort by name for a stable output order.
    std::sort(out.begin(), out.end(), [&](const CredBuckets& a, const CredBuckets& b) {
      const Cred& x = creds_[a.cred];
      const Cred& y = creds_[b.cred];
      return std::tie(x.principal, x.key) < std::tie(y.principal, y.key);
    });
    return out;
  }

  std::set<std::string> names_of(const std::vector<std::uint32_t>& a, const std::vector<std::uint32_t>* b,
                                 const Interner& in) const {
    std::set<std::string> s;
    for (auto id : a) s.insert(in.name(id));
    if (b) {
      for (auto id : *b) s.insert(in.name(id));
    }
    return s;
  }

  /// Size of the union of two sorted id sets.
  static std::size_t union_size(const std::vector<std::uint32_t>& a, const std::vector<std::uint32_t>* b) {
    if (b == nullptr) return a.size();
    std::size_t n = 0;
    auto i = a.begin();
    auto j = b->begin();
    for (; i != a.end() && j != b->end(); ++n) {
      if (*i < *j) ++i;
      else if (*j < *i) ++j;
      else ++i, ++j;
    }
    return n + static_cast<std::size_t>(a.end() - i) + static_cast<std::size_t>(b->end() - j);
  }

  void finish_buckets(FindingSink& out) {
    for (const CredBuckets& cb : grouped_buckets()) {
      const Cred& c = creds_[cb.cred];
      for (int kind = 0; kind < 3; ++kind) {
        // kind 0: enumeration (distinct reads); 1: denials; 2: concurrent networks.
        std::size_t windows = 0;
        std::size_t baseline_windows = 0;  // windows starting before the baseline end
        std::size_t best = 0;
        std::int64_t best_at = 0;
        std::set<std::string> best_names;
        // Ids, named once at the end: most windows of a busy credential count, and
        // a set of names apiece cost allocations (distinct ids name distinct values).
        const Interner& in = kind == 2 ? nets_ : actions_;
        std::set<std::uint32_t> all_ids;
        std::set<std::uint32_t> sweep_ids;  // enumeration: read actions of the windows that named nothing
        bool named = true;                  // enumeration: every window read mostly named resources
        std::set<std::string> ips, uas;  // of the windows that counted
        std::set<const Bucket*> cited;   // buckets whose calls are cited
        std::uint64_t total = 0;
        Finding f;
        for (std::size_t i = 0; i < cb.list.size(); ++i) {
          const Bucket* a = cb.list[i].second;
          const Bucket* b = (i + 1 < cb.list.size() && cb.list[i + 1].first == cb.list[i].first + 1)
                                ? cb.list[i + 1].second
                                : nullptr;
          // The score first, from the ids (distinct ids name distinct values): names only
          // for the windows that count.
          const std::size_t score = kind == 0   ? union_size(a->read_actions, b ? &b->read_actions : nullptr)
                                    : kind == 1 ? a->denied + (b ? b->denied : 0)
                                                : a->nets.size();
          const std::size_t need = kind == 0 ? kEnumDistinct : kind == 1 ? kDeniedBurst : kConcurrentNets;
          if (score < need) continue;
          const std::vector<std::uint32_t>& ids_a = kind == 0 ? a->read_actions : kind == 1 ? a->denied_actions() : a->nets;
          const std::vector<std::uint32_t>* ids_b =
              b == nullptr || kind == 2 ? nullptr : kind == 0 ? &b->read_actions : &b->denied_actions();
          ++windows;
          if (kind == 0) {
            // Mostly named reads: at most a quarter of the window's actions swept the account
            // (`score` is the number of its read actions).
            const std::vector<std::uint32_t>* sweeps_b = b ? &b->sweep_actions : nullptr;
            if (union_size(a->sweep_actions, sweeps_b) * kNamedShare > score) named = false;
            sweep_ids.insert(a->sweep_actions.begin(), a->sweep_actions.end());
            if (sweeps_b) sweep_ids.insert(sweeps_b->begin(), sweeps_b->end());
          }
          if (cb.list[i].first * kBucketMs < baseline_end_) ++baseline_windows;
          if (score > best) {
            best = score;
            best_at = cb.list[i].first * kBucketMs;
            best_names = names_of(ids_a, ids_b, in);
          }
          all_ids.insert(ids_a.begin(), ids_a.end());
          if (ids_b) all_ids.insert(ids_b->begin(), ids_b->end());
          for (const Bucket* x : {a, b}) {
            if (!x || (kind == 2 && x == b)) continue;  // concurrent networks: one bucket
            for (std::uint32_t id : x->ips) ips.insert(ips_.name(id));
            for (std::uint32_t id : x->uas) uas.insert(uas_.name(id));
            // Overlapping windows share a bucket: its calls are cited once.
            if (kind == 2 || !cited.insert(x).second) continue;
            for (const EvidenceRef& r : (kind == 0 ? x->read_ev.refs() : x->denied_ev())) f.add(evidence_text_.evidence(r));
          }
        }
        if (windows == 0) continue;
        std::set<std::string> all_names;
        for (std::uint32_t id : all_ids) all_names.insert(in.name(id));
        for (const auto& [idx, bk] : cb.list) total += kind == 0 ? bk->reads : bk->denied;
        // The credential's habit rather than an event: bursts in the baseline
        // and after it, many times over (an inventory job, a scanner's sweep).
        // An attacker's bursts start after the credential's baseline, or are few.
        const bool routine = kind != 2 && baseline_windows >= kRoutineWindows &&
                             windows - baseline_windows >= kRoutineWindows && windows >= 4 * kRoutineWindows;
        const std::string habit =
            routine ? fmt::format("; routine for this credential: {} of its {} windows fall in the baseline (before {}{})",
                                  baseline_windows, windows, format_time(baseline_end_),
                                  baseline_inferred_ ? ", inferred: first 20% of the logs" : "")
                    : std::string();
        f.principal = c.principal;
        f.access_key_id = c.key;
        f.account = c.account;
        // Where the burst came from: the calls of its windows, not all of the credential's.
        for (const std::string& ip : ips)
          if (f.source_ips.size() < 10) f.source_ips.push_back(ip);
        for (const std::string& ua : uas)
          if (f.user_agents.size() < 5) f.user_agents.push_back(ua);
        std::vector<std::string> listed(best_names.begin(), best_names.end());
        const std::string who = c.key.empty() ? c.principal : fmt::format("{} (key {})", c.principal, c.key);
        if (kind == 0) {
          std::set<std::string> services;
          for (const auto& n : all_names) services.insert(n.substr(0, n.find(':')));
          f.rule = "access.enumeration_burst";
          f.title = "Enumeration burst";
          f.severity = (!routine && !named && !c.console && (is_long_term(c.key) || services.size() >= 3))
                           ? Severity::kMedium
                           : Severity::kLow;
          const std::string by_name =
              named ? fmt::format("; reads of named resources, as an infrastructure-as-code refresh makes them (only "
                                  "{} of {} actions listed or named nothing)",
                                  sweep_ids.size(), all_names.size())
                    : std::string();
          f.summary = fmt::format("{} called {} distinct List/Describe/Get actions within 20 minutes from {} "
                                  "({} window(s), {} services): {}{}{}",
                                  who, best, format_time(best_at), windows, services.size(), join(listed), habit,
                                  by_name);
          f.details.emplace_back("distinct_actions", std::to_string(best));
          f.details.emplace_back("services", join(std::vector<std::string>(services.begin(), services.end())));
          f.details.emplace_back("read_calls_total", std::to_string(total));
          f.tags.attack = {"T1580", "T1526", "T1087.004"};
        } else if (kind == 1) {
          f.rule = "access.access_denied_burst";
          f.title = "Burst of access-denied errors";
          f.severity = routine ? Severity::kLow : Severity::kMedium;
          f.summary = fmt::format("{} got {} access-denied errors within 20 minutes from {} ({} window(s), {} "
                                  "denials in total) on: {}{}",
                                  who, best, format_time(best_at), windows, total, join(listed), habit);
          f.details.emplace_back("denied_in_window", std::to_string(best));
          f.details.emplace_back("denied_total", std::to_string(total));
          f.details.emplace_back("denied_actions", join(std::vector<std::string>(all_names.begin(), all_names.end())));
          f.tags.attack = {"T1069.003", "T1580"};
        } else {
          f.rule = "access.long_term_key_concurrent_networks";
          f.title = "Long-term key used from several networks at once";
          f.severity = Severity::kLow;
          f.summary = fmt::format("{} was used from {} different networks within 10 minutes from {}: {}", who, best,
                                  format_time(best_at), join(listed));
          f.details.emplace_back("networks", join(listed));
          f.tags.attack = {"T1078.004"};
          // Evidence: the first use of each network's IPs by this key.
          auto lt = long_term_.find(c.key);
          if (lt != long_term_.end()) {
            for (const auto& [ip, use] : lt->second.ips) {
              if (best_names.count(network_of(ip))) f.add(use.ev);
            }
          }
        }
        emit(out, std::move(f));
      }
    }
  }

  void finish_recon(FindingSink& out) {
    std::sort(gci_.begin(), gci_.end(), [](const GciCall& a, const GciCall& b) { return a.ev < b.ev; });
    std::map<std::uint32_t, std::vector<const GciCall*>> by_cred;
    for (const GciCall& g : gci_) by_cred[g.cred].push_back(&g);
    // Index buckets by credential for the lookups below.
    std::vector<std::pair<std::string, std::uint32_t>> order;
    for (const auto& [cred, list] : by_cred) order.emplace_back(creds_[cred].principal + '\x1f' + creds_[cred].key, cred);
    std::sort(order.begin(), order.end());
    for (const auto& [name, cred] : order) {
      const auto& list = by_cred[cred];
      const Cred& c = creds_[cred];
      std::size_t sequences = 0;
      Finding f;
      std::set<std::string> first_names;
      std::vector<std::uint32_t> ids;  // read actions of the hour after a call (distinct ids name distinct actions)
      std::vector<const EvidenceRef*> ev;
      for (const GciCall* g : list) {
        ids.clear();
        ev.clear();
        const std::int64_t b0 = g->ev.time_ms / kBucketMs;
        const std::int64_t b1 = (g->ev.time_ms + kReconWindow) / kBucketMs;
        for (std::int64_t b = b0; b <= b1; ++b) {
          const Bucket* at = find_bucket((std::uint64_t{cred} << 32) | static_cast<std::uint32_t>(b));
          if (at == nullptr) continue;
          ids.insert(ids.end(), at->read_actions.begin(), at->read_actions.end());
          for (const EvidenceRef& r : at->read_ev.refs()) {
            if (r.time_ms >= g->ev.time_ms) ev.push_back(&r);
          }
        }
        std::sort(ids.begin(), ids.end());
        ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
        if (ids.size() < kReconEnumDistinct) continue;
        if (sequences == 0) {
          for (std::uint32_t id : ids) first_names.insert(actions_.name(id));
          f.add(g->ev);
          for (const EvidenceRef* r : ev) f.add(evidence_text_.evidence(*r));
        }
        ++sequences;
      }
      if (sequences == 0) continue;
      f.rule = "access.recon_then_enumeration";
      f.title = "GetCallerIdentity followed by enumeration";
      // Automation routinely checks its identity and then describes one service
      // (a CI job listing EC2): medium only for a long-term key that went on to
      // enumerate several services, as an attacker sizing up a stolen key does.
      std::set<std::string_view> services;
      for (const auto& n : first_names) services.insert(std::string_view(n).substr(0, n.find(':')));
      f.severity = (!c.console && is_long_term(c.key) && services.size() >= kReconServicesMedium) ? Severity::kMedium
                                                                                                 : Severity::kLow;
      f.principal = c.principal;
      f.access_key_id = c.key;
      f.account = c.account;
      std::vector<std::string> listed(first_names.begin(), first_names.end());
      f.summary = fmt::format("{}{} called GetCallerIdentity and then {} distinct read actions within an hour ({} "
                              "such sequence(s)): {}",
                              c.principal, c.key.empty() ? "" : " (key " + c.key + ")", first_names.size(),
                              sequences, join(listed));
      f.details.emplace_back("sequences", std::to_string(sequences));
      f.details.emplace_back("services", std::to_string(services.size()));
      f.details.emplace_back("actions", join(listed));
      f.tags.attack = {"T1087.004", "T1580", "T1526"};
      emit(out, std::move(f));
    }
  }

  void finish_regions(FindingSink& out) {
    const bool by_profile = profile_.loaded && !profile_.regions.empty();
    for (const auto& [principal, use] : regions_) {
      const PrincipalScope* s = scope_.principal(principal);
      const bool has_baseline = s && s->first_ms < baseline_end_;
      if (!by_profile && !has_baseline) continue;
      std::vector<const std::pair<const std::string, FirstUse>*> fresh;
      std::size_t usual = 0;
      for (const auto& entry : use.regions) {
        bool is_new;
        if (by_profile) {
          is_new = std::find(profile_.regions.begin(), profile_.regions.end(), entry.first) == profile_.regions.end();
        } else {
          is_new = entry.second.ev.time_ms >= baseline_end_;
        }
        if (is_new) fresh.push_back(&entry);
        else ++usual;
      }
      const std::size_t need = by_profile ? 1 : kNewRegionsLow;
      if (fresh.size() < need) continue;
      Finding f;
      f.rule = "access.principal_new_regions";
      f.title = "Principal active in unusual regions";
      f.severity = fresh.size() >= kNewRegionsMedium ? Severity::kMedium : Severity::kLow;
      f.principal = principal;
      if (s) {
        if (!s->accounts.values.empty()) f.account = s->accounts.values.begin()->first;
        if (s->keys.values.size() == 1) f.access_key_id = s->keys.values.begin()->first;
      }
      std::vector<std::string> names;
      std::uint64_t calls = 0;
      for (const auto* p : fresh) {
        names.push_back(p->first);
        f.add(p->second.ev);
        calls += p->second.count;
      }
      f.count = calls;
      f.summary = fmt::format("{} used {} region(s) {} ({} calls): {}; usual regions: {}", principal, fresh.size(),
                              by_profile ? "outside the profile's expected regions" : "not seen in its baseline",
                              calls, join(names), usual);
      f.details.emplace_back("new_regions", join(names));
      f.tags.attack = {"T1535"};
      emit(out, std::move(f));
    }
  }

  /// "" unless the key made by `k` (for its own user) replaced the key that made it: that
  /// long-term key was deactivated or deleted at or after the creation, and the new key was
  /// used only from IPs the old key had used before the baseline end. Else the why, for details.
  std::string key_rotation(const KeyCreation& k) const {
    if (!is_long_term(k.creator_key) || k.new_key.empty()) return {};
    auto off = key_disabled_.find(k.creator_key);
    if (off == key_disabled_.end() || off->second.ev.time_ms < k.ev.time_ms) return {};
    auto old_key = long_term_.find(k.creator_key);
    auto new_key = long_term_.find(k.new_key);
    if (old_key == long_term_.end() || new_key == long_term_.end()) return {};
    if (new_key->second.ips.empty() || new_key->second.ips_dropped > 0) return {};
    for (const auto& [ip, use] : new_key->second.ips) {
      auto before = old_key->second.ips.find(ip);
      if (before == old_key->second.ips.end() || before->second.ev.time_ms >= baseline_end_) return {};
    }
    std::vector<std::string> ips;
    for (const auto& [ip, use] : new_key->second.ips) ips.push_back(ip);
    return fmt::format("replaces {} ({} at {}); used only from {}, which {} used before the baseline end",
                       k.creator_key, off->second.action, format_time(off->second.ev.time_ms), join(ips),
                       k.creator_key);
  }

  void finish_key_creations(FindingSink& out) {
    std::sort(key_creations_.begin(), key_creations_.end(),
              [](const KeyCreation& a, const KeyCreation& b) { return a.ev < b.ev; });
    std::sort(logins_.begin(), logins_.end(), [](const Login& a, const Login& b) { return a.ev < b.ev; });
    for (const KeyCreation& k : key_creations_) {
      if (!k.login_profile) {
        const PrincipalScope* used = k.new_key.empty() ? nullptr : scope_.key(k.new_key);
        if (!used || used->last_ms < k.ev.time_ms) continue;
        const bool other = k.creator.size() < k.user.size() + 1 ||
                           k.creator.substr(k.creator.size() - k.user.size() - 1) != "/" + k.user;
        Finding f;
        f.rule = "access.created_key_used";
        f.title = "Newly created access key was used";
        f.principal = used->principals.values.empty() ? k.creator : used->principals.values.begin()->first;
        // Persistence used: a key minted for another user, then used from the
        // IP that minted it or from a network that user never used otherwise.
        const PrincipalScope* owner = scope_.principal(f.principal);
        std::vector<std::string> foreign;
        for (const auto& [ip, n] : used->source_ips.values) {
          const bool from_creator = ip == k.ip;
          const bool new_for_owner = owner && owner->source_ips.count(ip) <= n;
          if (from_creator || new_for_owner) foreign.push_back(ip);
        }
        f.severity = (other && !foreign.empty()) ? Severity::kHigh : Severity::kMedium;
        // A user rotating its own key: the new key replaced the key that created it (that key
        // was deactivated or deleted afterwards) and was used only from addresses the old key
        // already used before the baseline end. A thief minting a second key for the user
        // keeps the old one, or uses the new key from its own address.
        const std::string rotation = other ? std::string() : key_rotation(k);
        if (!rotation.empty()) {
          f.severity = Severity::kLow;
          f.details.emplace_back("rotation", rotation);
        } else if (!foreign.empty()) {
          f.details.emplace_back("used_from_creator_or_new_ips", join(foreign));
        }
        f.access_key_id = k.new_key;
        f.account = k.account;
        f.add(k.ev);
        for (const auto& [ip, n] : used->source_ips.top(10)) f.source_ips.push_back(ip);
        for (const auto& [ua, n] : used->user_agents.top(5)) f.user_agents.push_back(ua);
        f.summary = fmt::format("{} created access key {} for {}{}; the key then made {} calls until {} from {}",
                                k.creator, k.new_key, k.user.empty() ? "(unknown user)" : k.user,
                                other ? " (another user)" : "", used->events, format_time(used->last_ms),
                                join(f.source_ips));
        f.details.emplace_back("creator", k.creator);
        f.details.emplace_back("for_user", k.user);
        f.details.emplace_back("key_first_used", format_time(used->first_ms));
        f.details.emplace_back("key_calls", std::to_string(used->events));
        f.details.emplace_back("key_actions", join_counts(used->actions));
        f.tags.attack = {"T1098.001"};
        created_keys_[k.new_key] = k.creator;
        if (rotation.empty())
          persistence_.push_back(fmt::format("{} created for {} by {} at {}, then used {} time(s) from {} to {} from {}",
                                           k.new_key, k.user.empty() ? "(unknown user)" : k.user, k.creator,
                                           format_time(k.ev.time_ms), used->events, format_time(used->first_ms),
                                           format_time(used->last_ms), join(f.source_ips)));
        if (!k.creator_key.empty()) flag(k.creator, k.creator_key, k.account, "access.created_key_used", Severity::kLow);
        emit(out, std::move(f));
      } else {
        // Login profile created or changed for another user, then a console login
        // by that user from the IP that made the change (Panther's correlation).
        if (k.user.empty()) continue;
        const std::string suffix = "/" + k.user;
        const bool self = k.creator.size() >= suffix.size() &&
                          k.creator.compare(k.creator.size() - suffix.size(), suffix.size(), suffix) == 0;
        if (self) continue;
        for (const Login& l : logins_) {
          if (!l.success || l.ev.time_ms < k.ev.time_ms || l.ev.time_ms > k.ev.time_ms + 30 * kHour) continue;
          if (l.ip != k.ip) continue;
          if (l.user.size() < suffix.size() || l.user.compare(l.user.size() - suffix.size(), suffix.size(), suffix) != 0)
            continue;
          Finding f;
          f.rule = "access.login_profile_then_login";
          f.title = "Console password set for another user, then used";
          f.severity = Severity::kHigh;
          f.principal = l.user;
          f.account = k.account;
          f.add(k.ev);
          f.add(l.ev);
          f.source_ips = {k.ip};
          f.user_agents = {l.ua};
          f.summary = fmt::format("{} set a console password for {} and {} then signed in from the same IP {}",
                                  k.creator, k.user, l.user, k.ip);
          f.details.emplace_back("changed_by", k.creator);
          f.tags.attack = {"T1098", "T1078.004"};
          if (!k.creator_key.empty()) flag(k.creator, k.creator_key, k.account, f.rule, Severity::kHigh);
          emit(out, std::move(f));
          break;
        }
      }
    }
  }

  void finish_bad(FindingSink& out) {
    for (auto& [id, b] : bad_) {
      Finding& f = b.finding;
      f.rule = "access.known_bad_indicator";
      f.title = "Activity from a known-bad key, IP or principal";
      f.severity = Severity::kHigh;
      f.principal = b.principal;
      f.access_key_id = b.key;
      f.account = b.account;
      for (const auto& [ip, n] : b.ips.values) f.source_ips.push_back(ip);
      for (const auto& [ua, n] : b.uas.values) f.user_agents.push_back(ua);
      std::vector<std::string> matched;
      for (const auto& [m, n] : b.matched.values) matched.push_back(m);
      f.summary = fmt::format("{} calls by {}{} match the profile's known-bad indicators ({}) from {} to {}; "
                              "actions: {}",
                              f.count, b.principal, b.key.empty() ? "" : " (key " + b.key + ")", join(matched),
                              format_time(f.first_seen_ms), format_time(f.last_seen_ms), join_counts(b.actions));
      f.details.emplace_back("matched", join(matched));
      f.tags.attack = {"T1078.004"};
      f.tags.atlas = {"AML.T0012"};
      emit(out, std::move(f));
    }
  }

  /// "principal (key K)", with the caller's own account for a principal of another account
  /// (an `AWSAccount` caller is named by its principal id only).
  static std::string describe_caller(const std::string& principal, const std::string& key,
                                     const std::string& caller_account) {
    std::string who = principal;
    if (principal.starts_with("AWSAccount:") && !caller_account.empty()) who += " of account " + caller_account;
    if (!key.empty()) who += " (key " + key + ")";
    return who;
  }

  /// A principal as findings name it: another account's, with that account.
  std::string named(const std::string& principal) const {
    auto it = other_account_of_.find(principal);
    return it == other_account_of_.end() ? principal : principal + " of account " + it->second;
  }

  /// The account of an ARN (its fifth field), or empty.
  static std::string arn_account(std::string_view arn) {
    std::size_t pos = 0;
    for (int i = 0; i < 4; ++i) {
      pos = arn.find(':', pos);
      if (pos == std::string_view::npos) return {};
      ++pos;
    }
    const std::size_t end = arn.find(':', pos);
    return end == std::string_view::npos ? std::string() : std::string(arn.substr(pos, end - pos));
  }

  void finish_sts(FindingSink& out) {
    std::sort(sts_.begin(), sts_.end(), [](const StsCall& a, const StsCall& b) { return a.ev < b.ev; });
    // Each record of one issuing call, by the key it returned: a cross-account AssumeRole is
    // logged in the caller's account and in the role's (as an AWSAccount caller).
    std::map<std::string, std::vector<const StsCall*>> copies;
    for (const StsCall& c : sts_)
      if (!c.new_key.empty()) copies[c.new_key].push_back(&c);
    // Sessions opened by a credential flagged at medium or above are flagged in turn, in time
    // order, so that a chain (a leaked key's role session that assumes another role, and so
    // on) is followed to its end, across accounts.
    std::map<std::string, Flag> opened;  // "session principal\x1fits key"
    auto lookup = [&](const std::string& name, Severity& worst, std::set<std::string>& rules, std::string& chain) {
      bool any = false;
      for (const auto* m : {&flags_, &opened}) {
        auto it = m->find(name);
        if (it == m->end()) continue;
        any = true;
        worst = std::max(worst, it->second.worst);
        rules.insert(it->second.rules.begin(), it->second.rules.end());
        if (chain.empty()) chain = it->second.chain;
      }
      return any;
    };
    struct Caller {
      std::vector<const StsCall*> calls;
      Severity worst = Severity::kInfo;
      std::set<std::string> rules;
    };
    struct Opening {
      const StsCall* call = nullptr;
      std::string by;  ///< the caller, described
      std::set<std::string> rules;
    };
    std::map<std::string, Caller> by_cred;
    std::map<std::string, Opening> openings;
    for (const StsCall& c : sts_) {
      const Cred& cr = creds_[c.cred];
      const std::string name = cr.principal + '\x1f' + cr.key;
      Severity worst = Severity::kInfo;
      std::set<std::string> rules;
      std::string chain;
      bool flagged = lookup(name, worst, rules, chain);
      // A role session is one credential per principal; its own key may carry flags too.
      if (cr.key.empty() && c.caller_key.starts_with("ASIA"))
        flagged = lookup(cr.principal + '\x1f' + c.caller_key, worst, rules, chain) || flagged;
      const bool created = created_keys_.count(cr.key) > 0;
      if (!flagged && !created) continue;
      // A leaked long-term key was its owner's before: only its calls from the new addresses,
      // from the first of them on, are the attacker's (the owner's own sessions are not).
      if (auto fn = first_new_ip_.find(cr.key); fn != first_new_ip_.end()) {
        const auto& ips = fn->second.ips;
        if (c.ev.time_ms < fn->second.first || std::find(ips.begin(), ips.end(), c.ip) == ips.end()) continue;
      }
      Caller& caller = by_cred[name];
      caller.calls.push_back(&c);
      caller.worst = std::max(caller.worst, worst);
      caller.rules.insert(rules.begin(), rules.end());
      if (worst < Severity::kMedium || c.new_key.empty() || c.new_principal.empty()) continue;
      const std::string session = c.new_principal + '\x1f' + c.new_key;
      if (opened.count(session)) continue;
      const std::string by = describe_caller(cr.principal, cr.key.empty() ? c.caller_key : cr.key, c.caller_account);
      Flag& fl = opened[session];
      fl.principal = c.new_principal;
      fl.key = c.new_key;
      fl.account = arn_account(c.new_principal);
      fl.rules = {"access.session_from_flagged_credentials"};
      fl.worst = worst >= Severity::kHigh ? Severity::kHigh : Severity::kMedium;
      fl.chain = (chain.empty() ? by : chain) + " -> " + c.new_principal + " (key " + c.new_key + ")";
      openings[session] = Opening{&c, by, rules};
    }
    for (const auto& [name, caller] : by_cred) {
      const auto& list = caller.calls;
      const Cred& c = creds_[list.front()->cred];
      Finding f;
      f.rule = "access.session_credentials_by_flagged_principal";
      f.title = "Flagged principal obtained session credentials";
      f.severity = caller.worst >= Severity::kHigh ? Severity::kHigh : Severity::kMedium;
      f.principal = c.principal;
      f.access_key_id = c.key;
      f.account = c.account;
      std::set<std::string> actions;
      std::set<std::string> roles;
      std::set<std::string> keys;
      std::set<std::string> sessions;
      bool chained = false;
      for (const StsCall* s : list) {
        f.add(s->ev);
        auto add = [](std::vector<std::string>& v, const std::string& x, std::size_t cap) {
          if (!x.empty() && v.size() < cap && std::find(v.begin(), v.end(), x) == v.end()) v.push_back(x);
        };
        add(f.source_ips, s->ip, 10);
        add(f.user_agents, s->ua, 5);
        actions.insert(s->ev.action);
        if (!s->role.empty()) roles.insert(s->role);
        if (!s->new_key.empty()) keys.insert(s->new_key);
        if (!s->new_principal.empty() && s->new_principal != c.principal) sessions.insert(s->new_principal);
        chained = chained || (s->chained && s->ev.action.substr(0, 10) == "AssumeRole");
      }
      std::vector<std::string> rv(roles.begin(), roles.end());
      std::vector<std::string> kv(keys.begin(), keys.end());
      std::vector<std::string> sv(sessions.begin(), sessions.end());
      std::vector<std::string> av(actions.begin(), actions.end());
      f.summary = fmt::format("{}{}, already flagged, called {} ({} time(s)){}{}{}{}", named(c.principal),
                              c.key.empty() ? "" : " (key " + c.key + ")", join(av), list.size(),
                              rv.empty() ? "" : "; roles: " + join(rv), sv.empty() ? "" : "; sessions: " + join(sv),
                              kv.empty() ? "" : "; session keys issued: " + join(kv), chained ? "; role chaining" : "");
      f.details.emplace_back("actions", join(av));
      if (!rv.empty()) f.details.emplace_back("roles", join(rv));
      if (!sv.empty()) f.details.emplace_back("sessions", join(sv));
      if (!kv.empty()) f.details.emplace_back("issued_keys", join(kv));
      if (!caller.rules.empty())
        f.details.emplace_back("flagged_by", join(std::vector<std::string>(caller.rules.begin(), caller.rules.end())));
      f.tags.attack = {"T1550.001", "T1078.004"};
      emit(out, std::move(f));
    }
    for (const auto& [session, o] : openings) {
      const Flag& fl = opened.at(session);
      const StsCall& c = *o.call;
      Finding f;
      f.rule = "access.session_from_flagged_credentials";
      f.title = "Session opened with flagged credentials";
      f.severity = fl.worst;
      f.principal = fl.principal;
      f.access_key_id = fl.key;
      f.account = fl.account;
      for (const StsCall* copy : copies[fl.key]) f.add(copy->ev);
      if (!c.ip.empty()) f.source_ips.push_back(c.ip);
      if (!c.ua.empty()) f.user_agents.push_back(c.ua);
      const std::string from_account = c.caller_account.empty() ? creds_[c.cred].account : c.caller_account;
      const bool cross = !from_account.empty() && !fl.account.empty() && from_account != fl.account;
      const bool chaining = c.chained && c.ev.action.substr(0, 10) == "AssumeRole";
      f.summary = fmt::format("{} (key {}) was opened by {} with {} at {} from {}{}{}; chain: {}", fl.principal, fl.key,
                              o.by, c.ev.action, format_time(c.ev.time_ms), c.ip.empty() ? "(no address)" : c.ip,
                              cross ? fmt::format(" (from account {} into {})", from_account, fl.account) : "",
                              chaining ? " (role chaining)" : "", fl.chain);
      f.details.emplace_back("opened_by", o.by);
      f.details.emplace_back("opened_with", fmt::format("{} at {}", c.ev.action, format_time(c.ev.time_ms)));
      if (!c.role.empty()) f.details.emplace_back("role", c.role);
      if (cross) f.details.emplace_back("cross_account", fmt::format("{} -> {}", from_account, fl.account));
      if (chaining) f.details.emplace_back("role_chaining", "yes");
      f.details.emplace_back("chain", fl.chain);
      if (!o.rules.empty())
        f.details.emplace_back("opener_flagged_by", join(std::vector<std::string>(o.rules.begin(), o.rules.end())));
      f.tags.attack = {"T1550.001", "T1078.004"};
      emit(out, std::move(f));
      flags_[session].chain = fl.chain;
    }
  }

  /// The span and calls of an ASIA key from its uses; false when untracked.
  bool session_key_span(const std::string& key, std::int64_t& first, std::int64_t& last, std::uint64_t& calls) const {
    const auto* it = session_keys_.find(key);
    if (it == nullptr) return false;
    bool any = false;
    std::uint64_t n = 0;
    for (const auto* uses : {&it->second.runtime_ips, &it->second.other_uses}) {
      for (const auto& [k, use] : *uses) {
        if (use.count == 0) continue;
        if (!any || use.ev.time_ms < first) first = use.ev.time_ms;
        if (!any || use.last_ms > last) last = use.last_ms;
        n += use.count;
        any = true;
      }
    }
    if (!any || it->second.dropped > 0) return false;  // values past the caps: the span may be short
    calls = n;
    return true;
  }

  void finish_rollup(FindingSink& out) {
    // One finding per flagged credential with its scope, and whether its
    // activity goes on to the end of the logs.
    std::vector<Finding> pending;
    for (const auto& [name, fl] : flags_) {
      if (fl.worst < Severity::kMedium) continue;
      const PrincipalScope* s = fl.key.empty() ? scope_.principal(fl.principal) : scope_.key(fl.key);
      if (!s) s = scope_.principal(fl.principal);
      if (!s) continue;
      // Severity: what the contributing findings say, raised when many
      // independent detections agree on the same credential.
      const bool high = fl.worst >= Severity::kHigh || fl.rules.size() >= 4;
      // A temporary key's own span: a role session's name (an instance id
      // above all) is shared by the keys the role hands out, so the session
      // principal's scope mixes a stolen copy with its owner's later keys.
      std::int64_t first_ms = s->first_ms, last_ms = s->last_ms;
      std::uint64_t events = s->events;
      const bool own_span = fl.key.starts_with("ASIA") && session_key_span(fl.key, first_ms, last_ms, events);
      const bool continues = own_span ? events > 0 && last_ms >= scope_.last_event_ms() - scope_.end_slack_ms()
                                      : scope_.continues_to_end(*s);
      std::vector<std::string> rules(fl.rules.begin(), fl.rules.end());
      std::string who = fl.key.empty() ? named(fl.principal) : fmt::format("{} (key {})", named(fl.principal), fl.key);
      Finding f;
      f.rule = "access.principal_of_interest";
      f.title = "Principal of interest";
      f.severity = high ? Severity::kHigh : Severity::kMedium;
      f.principal = fl.principal;
      f.access_key_id = fl.key;
      f.account = fl.account;
      f.first_seen_ms = first_ms;
      f.last_seen_ms = last_ms;
      f.count = events;
      for (const auto& [ip, n] : s->source_ips.top(20)) f.source_ips.push_back(ip);
      for (const auto& [ua, n] : s->user_agents.top(10)) f.user_agents.push_back(ua);
      // When the credential was legitimate before (a leaked key), the
      // suspicious part starts at its first use from a new IP.
      std::string suspicious;
      auto fn = fl.key.empty() ? first_new_ip_.end() : first_new_ip_.find(fl.key);
      if (fn != first_new_ip_.end())
        suspicious = fmt::format("; first use from a new IP {} at {}", fn->second.first_ip, format_time(fn->second.first));
      auto dis = fl.key.empty() ? key_disabled_.end() : key_disabled_.find(fl.key);
      std::string contained;
      if (dis != key_disabled_.end())
        contained = fmt::format("; key {} at {} by {}", dis->second.action, format_time(dis->second.ev.time_ms),
                                dis->second.by);
      f.summary = fmt::format("{} flagged by {}{}; active {} to {} ({} calls, {} errors) from {} IP(s) in {} "
                              "region(s){}; {}{}",
                              who, join(rules), fl.chain.empty() ? "" : "; chain: " + fl.chain,
                              format_time(first_ms), format_time(last_ms), events,
                              s->errors, s->source_ips.values.size(), s->regions.values.size(), suspicious,
                              continues ? "activity continues to the end of the logs" : "activity stopped before the end of the logs",
                              contained);
      if (fn != first_new_ip_.end()) {
        f.details.emplace_back("suspicious_from", format_time(fn->second.first));
        f.details.emplace_back("suspicious_from_ip", fn->second.first_ip);
      }
      if (dis != key_disabled_.end())
        f.details.emplace_back("key_" + dis->second.action,
                               fmt::format("{} by {}", format_time(dis->second.ev.time_ms), dis->second.by));
      {
        std::string span = fn != first_new_ip_.end()
                               ? fmt::format("suspicious use from {} ({}) to {}", format_time(fn->second.first),
                                             fn->second.first_ip, format_time(last_ms))
                               : fmt::format("active {} to {}", format_time(first_ms), format_time(last_ms));
        attacker_creds_.push_back(fmt::format("{}: {} from {}{}", who, span,
                                              join(fn != first_new_ip_.end() ? fn->second.ips : f.source_ips, 6),
                                              dis != key_disabled_.end()
                                                  ? fmt::format(", {} at {} by {}", dis->second.action,
                                                                format_time(dis->second.ev.time_ms), dis->second.by)
                                                  : std::string(", still enabled as far as these logs show")));
        if (!fl.key.empty()) {
          attacker_keys_.push_back(fl.key);
          if (dis == key_disabled_.end()) active_keys_.push_back(fl.key);
        }
      }
      f.details.emplace_back("flagged_by", join(rules));
      if (!fl.chain.empty()) f.details.emplace_back("chain", fl.chain);
      f.details.emplace_back("first_seen", format_time(first_ms));
      f.details.emplace_back("last_seen", format_time(last_ms));
      f.details.emplace_back("continues_to_end", continues ? "yes" : "no");
      f.details.emplace_back("regions", join_counts(s->regions));
      f.details.emplace_back("services", join_counts(s->services));
      f.details.emplace_back("actions", join_counts(s->actions, 25));
      if (!s->error_codes.values.empty()) f.details.emplace_back("errors", join_counts(s->error_codes));
      if (!s->keys.values.empty()) f.details.emplace_back("keys", join_counts(s->keys));
      f.tags.attack = {"T1078.004"};
      f.element = Element::kAccess;
      f.finalize();
      rules_fired_.insert(f.rule);
      pending.push_back(f);
      if (continues) {
        Finding c = f;
        c.rule = "access.activity_continues";
        c.title = "Suspicious activity continues to the end of the logs";
        c.summary = fmt::format("{} (flagged by {}) was still active at {}, within {} minutes of the end of the logs "
                                "({})",
                                who, join(rules), format_time(last_ms), scope_.end_slack_ms() / kMinute,
                                format_time(scope_.last_event_ms()));
        continuing_.push_back(who + " last seen " + format_time(last_ms));
        rules_fired_.insert(c.rule);
        pending.push_back(std::move(c));
      }
      if (fn != first_new_ip_.end())
        flagged_summary_.push_back(fmt::format("{} suspicious since {} from {} (known before from other IPs)", who,
                                               format_time(fn->second.first), join(fn->second.ips, 5)));
      else
        flagged_summary_.push_back(fmt::format("{} since {} from {}", who, format_time(first_ms),
                                               join(f.source_ips, 5)));
    }
    for (auto& f : pending) out.emit(std::move(f));
  }

  struct TrustChange {
    Evidence ev;
    std::string role, principal, key, account, ip;
    std::set<std::string> accounts;  ///< 12-digit accounts the trust policy names
  };
  struct OffensiveUse {
    std::string principal, key, account;
    FirstUse all;
    std::set<std::string_view> platforms;  ///< static names from offensive_platform()
    std::map<std::string, FirstUse, std::less<>> uas, ips;
  };
  struct ExternalAccount {
    FirstUse all;                                             ///< every call
    std::map<std::string, FirstUse, std::less<>> recipients;  ///< the logged accounts it acted in
    std::map<std::string, FirstUse, std::less<>> ips, principals, actions, roles;
    std::uint64_t ips_dropped = 0, actions_dropped = 0;
    std::uint64_t changes = 0;  ///< successful calls that are not reads
  };
  struct Leak {
    Evidence ev;           ///< the invocation record
    std::string invoker;   ///< who invoked the model
    bool response = false; ///< in the response (else in the prompt)
    bool with_secret = false;
  };
  struct SessionKey {
    // A copy of the key's text when it has the usual 20 bytes: the entry's own
    // string keeps it on the heap, a cache line more to compare on every call.
    static constexpr std::size_t kIdSize = 20;
    std::array<char, kIdSize> id{};
    // The entry the last call counted into, with its address and agent. Any
    // other entry may be dropped by a later insert, never this one before the
    // next slow path resets it. First: most calls read only these, and with the
    // key's text before them they share its entry's first cache lines.
    FirstUse* last_use = nullptr;
    PooledText last_ip, last_ua;
    std::string principal;
    std::string account;
    bool instance = false;     ///< an EC2 instance-role session
    std::string runtime;       ///< "AWS_Lambda_python3.12": the smallest runtime name seen
    std::map<std::string, FirstUse, std::less<>> runtime_ips;  ///< uses by the runtime, by IP
    std::map<std::string, FirstUse, std::less<>> other_uses;   ///< other uses, by "IP\x1fuser agent"
    std::uint64_t dropped = 0;  ///< uses of values not kept (kMaxPerKeyValues)

    /// Whether `key` is this entry's key, `name` (the entry's string).
    bool is(const std::string& name, std::string_view key) const noexcept {
      if (name.size() != key.size()) return false;
      return key.size() == kIdSize ? std::memcmp(id.data(), key.data(), kIdSize) == 0 : detail::same_text(name, key);
    }
    /// A session's calls mostly repeat its address and agent: the entry they
    /// counted into last time is counted into again, without a search.
    bool repeats_last_use(const EventView& e, const std::string*& ip, const std::string*& ua) const noexcept {
      return last_use != nullptr && same_as(last_ip, e.source_ip, ip) && same_as(last_ua, e.user_agent, ua);
    }
  };
  struct LongTermKey {
    std::string principal;
    std::string account;
    std::map<std::string, FirstUse, std::less<>> ips;
    std::map<std::string, FirstUse, std::less<>> uas;
    std::uint64_t ips_dropped = 0;
    std::uint64_t uas_dropped = 0;
  };
  struct RegionUse {
    // The entry the last call counted into and its region: a principal's calls mostly
    // repeat a region. Only track_regions() changes `regions`, and it resets this
    // every time it inserts (which may drop another entry). First: most calls read
    // only these (one cache line).
    FirstUse* last_use = nullptr;
    std::string last_region;
    std::map<std::string, FirstUse, std::less<>> regions;
    std::uint64_t dropped = 0;
  };
  /// What an event's actor ARN leads to, found with one look-up per event.
  struct Principal {
    // The credential of its calls with a temporary key or none (cred_key_part() empty),
    // most calls: found beside the entry's key, where the vector's own heap block cost
    // a cache miss per call.
    std::uint32_t keyless_cred = kNoCred;
    RegionUse* regions = nullptr;                                 ///< its entry of regions_, once made (every call reads it)
    std::vector<std::pair<std::string, std::uint32_t>> creds;  ///< other cred_key_part() -> credential id
    /// The temporary keys of its recent calls, direct-mapped by detail::text_slot of the key.
    std::array<StrTable<SessionKey>::Entry*, std::size_t{1} << kSessionKeyBits> session_keys{};
  };
  struct BadUse {
    std::string principal;
    std::string key;
    std::string account;
    Finding finding;
    CountedSet matched;
    CountedSet ips;
    CountedSet uas;
    CountedSet actions;
  };

  static inline const Profile empty_profile_{};
  const Profile& profile_;
  std::int64_t baseline_until_ms_ = 0;

  ScopeTracker own_scope_;      ///< used when the config brings no shared tracker
  const ScopeTracker& scope_;  ///< config.scope or own_scope_
  std::uint64_t cloudtrail_events_ = 0;
  Interner actions_;
  StrTable<std::vector<std::pair<std::string, std::uint32_t>>> action_ids_;  ///< eventName -> (eventSource, actions_ id)
  // The ids action_id() found last: a credential's reads cycle through a few
  // actions, and a hit costs neither a hash of the name nor a probe of action_ids_.
  // 256 slots (18 KB): with 32, the 28 read actions of the bench corpus collided
  // in one call of five.
  detail::RecentActionIds<8> recent_actions_;
  Interner nets_;
  Interner ips_, uas_;  // of the calls in buckets
  TextPool texts_;      ///< of the PooledText memos
  const std::string* event_ip_ = nullptr;  ///< texts_'s copy of this event's address, once known (same_as)
  const std::string* event_ua_ = nullptr;  ///< and of its agent
  StrTable<Principal> principals_;  ///< by actor ARN, those with credentials
  // Principals seen recently, direct-mapped by detail::text_slot of the ARN: events
  // interleave a few principals, and a hit costs neither a hash of the ARN nor a probe.
  // 512 slots (4 KB): the scope tracker's 64 missed in 44K events of corpus3, its 512 in 46.
  static constexpr int kRecentPrincipalBits = 9;
  std::array<StrTable<Principal>::Entry*, std::size_t{1} << kRecentPrincipalBits> recent_principals_{};
  std::vector<Cred> creds_;
  std::uint64_t creds_dropped_ = 0;
  std::deque<Bucket> buckets_;  ///< a deque: Cred::bucket points into it while events arrive
  // buckets_ by Bucket::key, in blocks of 8 consecutive buckets of a credential:
  // its calls revisit its buckets once per region (input files are sorted by
  // region, then time), and a table of blocks stays in cache where one of every
  // bucket (1 MB on corpus3) cost a miss per revisit.
  static constexpr int kBlockBits = 3;
  static constexpr std::uint64_t kBlockMask = (std::uint64_t{1} << kBlockBits) - 1;
  IdTable block_ids_;  ///< Bucket::key >> kBlockBits -> index in blocks_
  std::vector<std::array<Bucket*, std::size_t{1} << kBlockBits>> blocks_;
  EvidenceText evidence_text_;  ///< of the buckets' evidence
  std::uint64_t buckets_dropped_ = 0;
  std::vector<Login> logins_;
  std::vector<StsCall> sts_;
  std::vector<KeyCreation> key_creations_;
  std::vector<GciCall> gci_;
  std::uint64_t records_dropped_ = 0;
  std::map<std::string, LongTermKey, std::less<>> long_term_;
  StrTable<SessionKey> session_keys_;  ///< ASIA... keys
  std::uint64_t session_keys_dropped_ = 0;
  std::map<std::string, Leak, std::less<>> leaked_keys_;  ///< access key ids seen in invocation text
  std::set<std::string, std::less<>> logged_accounts_;    ///< recipient accounts of the CloudTrail events
  std::string last_logged_account_;
  std::map<std::string, ExternalAccount, std::less<>> external_;  ///< other accounts acting in logged ones
  std::map<std::string, std::string, std::less<>> other_account_of_;  ///< "AWSAccount:<id>" principal -> its account
  std::map<std::string, OffensiveUse, std::less<>> offensive_;     ///< by "principal\x1fkey"
  std::vector<TrustChange> trusts_;                                ///< role trust policies naming accounts
  std::uint64_t leaked_keys_dropped_ = 0;
  std::map<std::string, RegionUse, std::less<>> regions_;
  std::map<std::string, BadUse, std::less<>> bad_;
  std::string scratch_;
  std::pair<const std::string, LongTermKey>* last_long_term_ = nullptr;

  // finish() results, for answer().
  std::int64_t first_ms_ = 0;
  std::int64_t last_ms_ = 0;
  std::int64_t baseline_end_ = 0;
  bool baseline_inferred_ = true;
  std::map<std::string, Flag> flags_;
  std::map<std::string, std::string> created_keys_;
  std::map<std::string, Login, std::less<>> last_login_by_user_;
  std::string last_login_;  ///< last successful console sign-in by an unflagged principal, for the answers
  std::vector<std::string> persistence_;  ///< created keys that were used, for the answers
  struct KeyDisabled {
    Evidence ev;
    std::string by;
    std::string action;  ///< "deactivated" or "deleted"
  };
  std::map<std::string, KeyDisabled, std::less<>> key_disabled_;
  struct NewIps {
    std::int64_t first = 0;         ///< first use from a new IP
    std::string first_ip;
    std::vector<std::string> ips;   ///< every new IP
  };
  std::map<std::string, NewIps> first_new_ip_;  ///< long-term key -> its uses from new IPs
  std::vector<std::string> attacker_creds_;  ///< flagged credentials (medium+), with their span, for the answers
  std::vector<std::string> attacker_keys_;   ///< their access key ids
  std::vector<std::string> active_keys_;     ///< those not deactivated or deleted in the logs
  std::set<std::string> rules_fired_;
  std::vector<std::string> continuing_;
  std::vector<std::string> flagged_summary_;
};

void AccessAnalyzer::answer(const Coverage& coverage, std::vector<QuestionAnswer>& out) const {
  const bool have_ct = coverage.cloudtrail_events > 0 || cloudtrail_events_ > 0;
  const bool profile = coverage.profile_loaded || profile_.loaded;
  const std::string sharpen =
      profile ? std::string()
              : " A profile (known CIDRs and user agents, expected regions, known-bad keys and IPs) would sharpen this.";

  // Do you still have access? The logs cannot prove it; they can show changes
  // that remove access (console passwords of other users, MFA removed) and
  // who still signs in. The findings listed are the changes to check.
  {
    QuestionAnswer q;
    q.id = "access.still_have_access";
    q.question = "Do you still have access to your computing environment?";
    q.rules = {"access.login_profile_set_for_other_user", "access.login_profile_then_login",
               "access.console_brute_force_success", "access.mfa_device_removed",
               "access.root_access_key_created", "access.password_policy_weakened"};
    q.findings_mean_yes = false;  // these findings are threats to access, not proof of it
    if (!have_ct) {
      q.answer = Answer::kCannotTell;
      q.explanation = "No CloudTrail management events were read, so changes to root, MFA, passwords and keys "
                      "cannot be seen. Check by signing in as root and as your administrators.";
    } else {
      q.answer = last_login_.empty() ? Answer::kNotFound : Answer::kYes;
      q.explanation = fmt::format(
          "{}No lock-out by the attacker was seen (password takeover after brute force, console password set for "
          "another user and then used); changes that can remove access (console passwords of other users, MFA "
          "removed, root keys) are the findings listed here, when any. Confirm by signing in as root and as your "
          "administrators.",
          last_login_.empty() ? std::string() : fmt::format("The last successful console sign-in was {}. ", last_login_));
    }
    out.push_back(std::move(q));
  }

  // Is there continued evidence of unauthorized access? Name the credentials,
  // whether they are used to the end of the logs, whether the persistence
  // (keys created for other users) was used, and what to do next.
  {
    QuestionAnswer q;
    q.id = "access.continued_unauthorized_access";
    q.question = "Is there continued evidence of unauthorized access to your organization?";
    q.rules = {"access.activity_continues"};
    std::string creds = join(attacker_creds_, 6);
    std::string persistence =
        persistence_.empty()
            ? (created_keys_.empty()
                   ? std::string(" No access key created for another user was used.")
                   : std::string(" Keys created for other users were not used in these logs."))
            : fmt::format(" Persistence was used: {}.", join(persistence_, 5));
    std::vector<std::string> to_disable;
    for (const auto& k : active_keys_)
      if (is_long_term(k)) to_disable.push_back(k);
    std::vector<std::string> long_term_keys;
    for (const auto& k : attacker_keys_)
      if (is_long_term(k)) long_term_keys.push_back(k);
    std::string next;
    if (!to_disable.empty()) {
      next = fmt::format(" Next step: deactivate access key(s) {} now (aws iam update-access-key --status Inactive), "
                         "then delete them, rotate anything they could read, and look for other keys, users and "
                         "roles they created.",
                         join(to_disable));
    } else if (!long_term_keys.empty()) {
      next = fmt::format(" Next step: keep access key(s) {} disabled (they were deactivated or deleted in these "
                         "logs), delete them, check for other keys, users, login profiles and roles they created, and "
                         "rotate what they could read.",
                         join(long_term_keys));
    } else if (!attacker_creds_.empty()) {
      next = " Next step: revoke the sessions of these principals (deny tokens issued before now) and review how "
             "they obtained credentials.";
    }
    if (!have_ct) {
      q.answer = Answer::kCannotTell;
      q.explanation = "No CloudTrail events were read: access by principals and keys cannot be seen.";
    } else if (!continuing_.empty()) {
      q.answer = Answer::kYes;
      q.explanation = fmt::format("Yes: flagged credentials are still active at the end of the logs ({}): {}. "
                                  "Credentials of interest: {}.{}{}",
                                  format_time(scope_.last_event_ms()), join(continuing_, 5), creds, persistence, next);
    } else if (!attacker_creds_.empty()) {
      q.answer = Answer::kNo;
      q.explanation = fmt::format(
          "Not at the end of the logs: no flagged credential is active within {} minutes of the end ({}). "
          "Credentials of interest: {}.{}{} Logs delivered after that time may still show them.",
          scope_.end_slack_ms() / kMinute, format_time(scope_.last_event_ms()), creds, persistence, next);
    } else {
      q.answer = profile ? Answer::kNo : Answer::kNotFound;
      q.explanation = std::string("No principal or key was flagged by the stateful access detections.") + sharpen;
    }
    out.push_back(std::move(q));
  }

  // Which keys, principals and IPs, since when?
  {
    QuestionAnswer q;
    q.id = "access.unauthorized_scope";
    q.question = "Is there evidence of unauthorized access, and which keys, principals and IPs were used since when?";
    q.rules = {"access.*"};
    // Evidence of unauthorized access is what makes a principal of interest (medium and
    // above); low findings (an administrator's console browsing, a key rotation) are not.
    q.min_severity = Severity::kMedium;
    if (!have_ct) {
      q.answer = Answer::kCannotTell;
      q.explanation = "No CloudTrail events were read.";
    } else if (!flagged_summary_.empty()) {
      q.answer = Answer::kYes;
      q.explanation = fmt::format("{} principal(s) of interest: {}.", flagged_summary_.size(), join(flagged_summary_, 5));
    } else {
      q.answer = profile ? Answer::kNo : Answer::kNotFound;
      q.explanation = fmt::format("No stateful access detection fired{}.{}",
                                  baseline_inferred_ ? " (first-seen checks used the first 20% of the logs as baseline)"
                                                     : "",
                                  sharpen);
    }
    out.push_back(std::move(q));
  }
}

}  // namespace

std::unique_ptr<Analyzer> make_access(const AnalyzerConfig& config) {
  return std::make_unique<AccessAnalyzer>(config);
}

}  // namespace aiir
