// SPDX-License-Identifier: Apache-2.0
// The Invocation analyzer (methodology element "Invocation"): model calls from
// CloudTrail runtime records and Bedrock invocation logs, joined on request id,
// aggregated by principal x model x region with tokens and estimated cost;
// first-seen and unexpected models, regions and principals; volume bursts,
// probes, repeated guardrail interventions and token spikes.
#include "analyzers/invocation.h"

#include <aiir/profile.h>
#include <fmt/format.h>

#include <algorithm>
#include <tuple>
#include <array>
#include <deque>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>

#include "analyzers/ai_principals.h"
#include "analyzers/factories.h"
#include "analyzers/pricing.h"
#include "event/normalize.h"

namespace aiir {
namespace {

namespace dom = simdjson::dom;

constexpr std::int64_t kMinute = 60'000;
constexpr std::int64_t kBucketMs = 10 * kMinute;   // burst window
constexpr std::int64_t kJoinWindowMs = 5 * kMinute;
constexpr std::size_t kMaxRows = 100'000;
constexpr std::size_t kMaxPrincipals = 20'000;
constexpr std::size_t kMaxKeys = 10'000;           // models, regions
constexpr std::size_t kMaxPending = 500'000;       // join table
constexpr std::size_t kMaxInterned = 100'000;
constexpr std::size_t kMaxBuckets = 2'000'000;
using detail::kMaxListed;
constexpr std::uint32_t kNone = 0xffffffffu;

constexpr std::uint64_t kBurstMinCalls = 30;       // a burst is more than this many calls in 10 minutes
constexpr std::uint64_t kBurstFactor = 4;          // times the principal's baseline peak
constexpr std::uint64_t kBurstHighCalls = 100;     // a burst this large is high severity
constexpr std::int64_t kTokenSpikeMin = 8'000;     // tokens in one call (V18)
constexpr std::int64_t kTokenSpikeFactor = 3;
constexpr std::uint64_t kProbeMin = 3;
constexpr std::uint64_t kGuardrailMin = 3;
constexpr std::int64_t kGuardrailWindowMs = 3'600'000;  // medium: kGuardrailMin of them within an hour,
constexpr std::uint64_t kGuardrailRatePct = 1;           // or at least 1% of the principal's logged calls
constexpr std::size_t kMaxGuardrailTimes = 10'000;
constexpr std::size_t kMaxPrincipalIps = 20;             // source IPs kept per principal (then "unknown")
constexpr std::uint64_t kNewPrincipalHighCalls = 20;

/// Searched before adding: emplace builds a node (an allocation) even for a
/// value already there, and the calls repeat a few regions.
void add_capped_set(std::set<std::string, std::less<>>& v, std::string_view s) {
  if (!s.empty() && v.size() < kMaxKeys && v.find(s) == v.end()) v.emplace(s);
}

/// add_listed() of a value with the interned id `id`, where `last` holds the id
/// of the value the vector was last given: it is there (or the vector is full
/// and stays so), so a call that repeats it skips the search. kNone ids (an
/// empty value, or past the interner's cap) are searched.
void add_listed_id(std::vector<std::string>& v, std::string_view s, std::uint32_t id, std::uint32_t& last) {
  if (id != kNone && id == last) return;
  detail::add_listed(v, s);
  last = id;
}

/// Adds an interned id to a bucket's few slots (first come; later ones dropped).
void note_client(std::array<std::uint32_t, 4>& slots, std::uint32_t id) noexcept {
  if (id == kNone) return;
  for (std::uint32_t& s : slots) {
    if (s == id) return;
    if (s == kNone) {
      s = id;
      return;
    }
  }
}

std::string_view str_at(dom::element e, std::string_view key) noexcept {
  std::string_view s;
  dom::element v;
  if (e.at_key(key).get(v) != simdjson::SUCCESS) return {};
  if (v.get_string().get(s) != simdjson::SUCCESS) return {};
  return s;
}

/// True when an invocation record says a guardrail intervened (formats.md §4.6).
bool guardrail_intervened(const EventView& e) noexcept {
  dom::element body;
  if (e.raw["output"]["outputBodyJson"].get(body) != simdjson::SUCCESS) return false;
  auto check = [](dom::element o) {
    if (!o.is_object()) return false;
    return str_at(o, "stopReason") == "guardrail_intervened" ||
           str_at(o, "amazon-bedrock-guardrailAction") == "INTERVENED";
  };
  if (body.is_object()) return check(body);
  dom::array chunks;
  if (body.get_array().get(chunks) == simdjson::SUCCESS) {
    for (dom::element c : chunks) {
      if (check(c)) return true;
    }
  }
  return false;
}

bool is_denied(std::string_view code) noexcept {
  return code == "AccessDenied" || code == "AccessDeniedException";
}

/// The join key of a call: request id and account (a collision of the 64-bit
/// hashes would join two calls: one in 2^64 per pair).
std::uint64_t join_key(const EventView& e) noexcept {
  const std::uint64_t id = detail::hash_text(e.request_id);
  return id ^ (detail::hash_text(e.account) + 0x9E3779B97F4A7C15ull + (id << 6) + (id >> 2));
}

std::string fmt_usd(double usd) { return fmt::format("{:.2f}", usd); }

std::string iso_minute(std::int64_t ms) {
  // Compact UTC time for summaries (the writers print RFC 3339 for first/last seen).
  std::int64_t s = ms / 1000;
  std::int64_t days = s / 86400, rem = s % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  // civil_from_days (Howard Hinnant)
  days += 719468;
  std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  std::int64_t doe = days - era * 146097;
  std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  std::int64_t y = yoe + era * 400, doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
  std::int64_t d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) ++y;
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}Z", y, m, d, rem / 3600, (rem % 3600) / 60);
}

/// A string pool with a cap; ids past the cap are kNone.
class Interner {
 public:
  std::uint32_t id(std::string_view s) {
    if (s.empty()) return kNone;
    // Calls mostly repeat a few clients, interleaved: the recent ones sit in
    // slots by text_slot(), with a copy of their text (the pool's is cold).
    Recent& recent = recent_[detail::text_slot(s, kRecentBits)];
    if (recent.id != kNone && detail::same_text(recent.text, s)) return recent.id;
    std::uint32_t n = kNone;
    if (auto it = map_.find(s); it != map_.end()) {
      n = it->second;
    } else {
      if (pool_.size() >= kMaxInterned) return kNone;
      n = static_cast<std::uint32_t>(pool_.size());
      pool_.emplace_back(s);
      map_.emplace(std::string_view(pool_.back()), n);
    }
    recent.text.assign(s);
    recent.id = n;
    return n;
  }
  const std::string& str(std::uint32_t id) const {
    static const std::string kEmpty;
    return id < pool_.size() ? pool_[id] : kEmpty;
  }

 private:
  static constexpr int kRecentBits = 6;
  struct Recent {
    std::string text;
    std::uint32_t id = kNone;  ///< kNone: empty
  };
  std::deque<std::string> pool_;  // stable: the map's keys view its strings
  std::unordered_map<std::string_view, std::uint32_t, detail::TextHash> map_;
  std::array<Recent, std::size_t{1} << kRecentBits> recent_;
};

struct Row {
  std::string principal, account, model, region;
  std::uint64_t ct = 0, inv = 0, joined = 0, errors_ct = 0, errors_inv = 0, joined_errors = 0;
  std::int64_t ct_in = 0, ct_out = 0, inv_in = 0, inv_out = 0, cache_r = 0, cache_w = 0;
  std::int64_t joined_ct_in = 0, joined_ct_out = 0;  // CloudTrail tokens of joined calls (counted in inv_*)
  std::int64_t first = 0, last = 0;
  bool seen = false;
  std::vector<std::string> ips;
  std::uint32_t last_ip = kNone;  ///< add_listed_id() memo of ips
  std::vector<std::string> served_in;  ///< inferenceRegion values of its calls
};

struct Bucket {
  std::uint32_t ct = 0, inv = 0;
  std::int64_t max_call_tokens = 0;
  /// The bucket's clients (interned, a few each): a burst names the key and
  /// addresses of its own calls, not the principal's first ones.
  std::array<std::uint32_t, 4> ips{kNone, kNone, kNone, kNone}, uas{kNone, kNone, kNone, kNone},
      keys{kNone, kNone, kNone, kNone};
  detail::EarliestEvidenceOf<2> ev;  // the two earliest calls in the bucket
  // The largest call over kTokenSpikeMin tokens: most buckets have none, and
  // held in place the room for one made up half of each bucket.
  std::unique_ptr<Evidence> big_call;
  std::int64_t big_tokens = 0;
};

/// Everything kept per calling principal.
struct Principal {
  std::string arn, account;
  std::int64_t first = 0;
  std::uint64_t calls_ok = 0;
  std::map<std::int64_t, Bucket> buckets;  // by 10-minute bucket start
  // The same buckets hashed (nodes of buckets: they do not move): the sources
  // and regions of a corpus are read one after the other, each going over the
  // whole time range, and the search for a bucket walked a deep cold tree.
  std::unordered_map<std::int64_t, Bucket*> bucket_index;
  // The buckets of recent calls, by bucket modulo 8: a log file's calls are
  // shuffled over a few buckets.
  std::array<std::pair<std::int64_t, Bucket*>, 8> recent_buckets{};
  Finding seen;       // first calls (evidence), IPs, user agents, keys
  std::uint32_t seen_ip = kNone, seen_ua = kNone;  // add_listed_id() memos of seen's IPs and agents
  Finding probes;     // ValidationException / AccessDenied on runtime calls
  std::uint64_t probe_dupes = 0;
  std::set<std::string> probe_models, probe_regions;
  bool sysdig_probe = false;
  Finding guardrail;  // interventions from invocation records
  std::vector<std::int64_t> guardrail_times;  // capped at kMaxGuardrailTimes
  std::uint64_t inv_records = 0;              // invocation-log records (the denominator of the rate)
  std::set<std::uint32_t> ct_ips;             // source IP ids of its CloudTrail calls, at most kMaxPrincipalIps
  bool ct_ips_overflow = false;
};

/// Per model or per region: first-seen bookkeeping.
struct KeyAcc {
  Finding seen;
  std::uint64_t calls_ok = 0;
  std::vector<std::string> principals;
  std::uint32_t seen_ip = kNone, last_principal = kNone;  // add_listed_id() memos (principal: its index)
};

/// A call waiting for its partner in the other source.
struct Pending {
  std::int64_t time = 0;
  std::uint32_t row = kNone, principal = kNone, ip = kNone, ua = kNone;
  std::int64_t tin = -1, tout = -1;
  bool from_cloudtrail = false, error = false, probe = false, guardrail = false;
};

/// The join table: calls waiting for their partner in the other source, by a
/// 64-bit hash of request id and account (join_key()).
/// Linear probing: a lookup reads one slot, where an unordered_map read a
/// bucket and then a node. A slot is 8 bytes: the key's low 32 bits, which
/// hold its home slot's bits and tell most keys apart, and the index of the
/// call in a dense array, which keeps the whole key: most calls never find
/// their partner, and their lookup reads one slot of a table a sixth of the
/// size of one that held the calls (on a large corpus that table missed the
/// caches and the TLB on every call; count_call() also prefetches the home
/// slot before its other work). A new call goes to a freed place of the
/// array or at its end, which stays in cache.
class JoinTable {
 public:
  static constexpr std::size_t kAbsent = SIZE_MAX;

  std::size_t size() const noexcept { return size_; }
  /// Starts loading the home slot of `key`.
  void prefetch(std::uint64_t key) const noexcept {
    if (!slots_.empty()) __builtin_prefetch(&slots_[key & mask_]);
  }
  /// The slot of `key`, or kAbsent.
  std::size_t find(std::uint64_t key) const noexcept {
    if (slots_.empty()) return kAbsent;
    const auto tag = static_cast<std::uint32_t>(key);
    for (std::size_t i = key & mask_;; i = (i + 1) & mask_) {
      const Slot s = slots_[i];
      if (s.call == kFree) return kAbsent;
      if (s.tag == tag && calls_[s.call].key == key) return i;
    }
  }
  Pending& at(std::size_t slot) noexcept { return calls_[slots_[slot].call].call; }
  /// Adds `call` under `key`, which find() did not find.
  void insert(std::uint64_t key, const Pending& call) {
    if ((size_ + 1) * 4 > slots_.size() * 3) grow();  // at most 3/4 full: probes stay short
    std::uint32_t at = 0;
    if (free_.empty()) {
      at = static_cast<std::uint32_t>(calls_.size());
      calls_.push_back({key, call});
    } else {
      at = free_.back();
      free_.pop_back();
      calls_[at] = {key, call};
    }
    place(key, at);
    ++size_;
  }
  /// Empties `slot`. The entries after it that probed past it move back into
  /// the hole (backward shift), so lookups need no deletion markers.
  void erase(std::size_t slot) noexcept {
    free_.push_back(slots_[slot].call);
    std::size_t hole = slot;
    for (std::size_t j = (hole + 1) & mask_; slots_[j].call != kFree; j = (j + 1) & mask_) {
      const std::size_t home = slots_[j].tag & mask_;  // the tag holds the home bits (mask_ < 2^32)
      if (((j - home) & mask_) >= ((j - hole) & mask_)) {  // home is not between the hole and j
        slots_[hole] = slots_[j];
        hole = j;
      }
    }
    slots_[hole].call = kFree;
    --size_;
  }
  void clear() {
    std::vector<Slot>().swap(slots_);
    std::deque<Entry>().swap(calls_);
    std::vector<std::uint32_t>().swap(free_);
    size_ = 0;
    mask_ = 0;
  }

 private:
  static constexpr std::uint32_t kFree = UINT32_MAX;
  struct Slot {
    std::uint32_t tag = 0;      ///< the key's low 32 bits
    std::uint32_t call = kFree;  ///< index in calls_
  };
  struct Entry {
    std::uint64_t key = 0;
    Pending call;
  };
  void place(std::uint64_t key, std::uint32_t call) noexcept {
    std::size_t i = key & mask_;
    while (slots_[i].call != kFree) i = (i + 1) & mask_;
    slots_[i] = Slot{static_cast<std::uint32_t>(key), call};
  }
  void grow() {
    std::vector<Slot> old;
    old.swap(slots_);
    const std::size_t n = old.empty() ? 1024 : old.size() * 2;
    slots_.assign(n, Slot{});
    mask_ = n - 1;
    // The tags hold the home bits: the calls are placed again without reading them.
    for (const Slot& s : old)
      if (s.call != kFree) place(s.tag, s.call);
  }

  std::vector<Slot> slots_;          // a power of two of them
  // The calls, and freed places (free_); a deque: growing it copies nothing
  // (a vector's doublings copied every waiting call).
  std::deque<Entry> calls_;
  std::vector<std::uint32_t> free_;  // indexes of freed places in calls_
  std::size_t mask_ = 0;
  std::size_t size_ = 0;
};

class InvocationAnalyzer final : public Analyzer {
 public:
  InvocationAnalyzer(const AnalyzerConfig& config, std::shared_ptr<const PriceTable> prices)
      : profile_(config.profile), baseline_until_(config.baseline_until_ms), prices_(std::move(prices)) {
    if (baseline_until_ == 0 && profile_ != nullptr) baseline_until_ = profile_->baseline_until_ms;
    clear_principal_slots();
  }

  void on_event(const EventView& e, FindingSink& out) override;
  void finish(FindingSink& out) override;
  void answer(const Coverage& coverage, std::vector<QuestionAnswer>& out) const override;
  void limits(std::vector<std::string>& out) const override {
    if (inv_calls_ > 0)
      detail::limit_line(out, ct_without_request_id_,
                         "{} CloudTrail model call(s) carry no request id (a table exported without that column): "
                         "they could not be joined with the invocation-log records, so a call logged in both is "
                         "counted twice in the usage table and the first-seen counts.");
    detail::limit_line(out, rows_dropped_,
                       "{} model call(s) past 100,000 usage rows were left out of the usage table, the token totals "
                       "and the cost estimate.");
    detail::limit_line(out, join_overflow_,
                       "{} model call(s) were not joined across CloudTrail and invocation logs (the join table was "
                       "full): some calls may be counted twice.");
    detail::limit_line(out, principals_dropped_,
                       "{} model call(s) by principals past the first 20,000 were not checked for bursts, probes or "
                       "first use.");
  }

  const ModelUsage& usage() const noexcept { return usage_; }

 private:
  std::int64_t cutoff() const noexcept {
    if (baseline_until_ != 0) return baseline_until_;
    if (!have_time_) return 0;
    return min_ms_ + (max_ms_ - min_ms_) / 5;
  }
  bool profile_has(const std::vector<std::string>& v) const noexcept {
    return profile_ != nullptr && profile_->loaded && !v.empty();
  }
  bool expected_model(std::string_view model) const;
  bool app_principal(std::string_view arn) const;
  bool expected_region(std::string_view region) const;
  std::uint32_t row_for(const EventView& e, std::string_view model);
  Principal* principal_for(const EventView& e, std::uint32_t& index);
  Principal* find_principal(const EventView& e, std::uint32_t& index);
  void count_call(const EventView& e, std::string_view model, bool from_ct);
  void join(std::uint64_t key, const Pending& mine);
  void emit_probes(FindingSink& out);
  void emit_guardrail(FindingSink& out);
  void emit_bursts(FindingSink& out);
  void emit_first_seen(FindingSink& out);
  void build_usage();
  void note_profile(const EventView& e);
  /// The model an application inference profile copies (followed through profiles), or "".
  std::string resolved(const std::string& model) const;
  /// What a row's calls are priced as: the model its profile copies, else the model as logged.
  const std::string& priced_as(const std::string& model, std::string& scratch) const {
    scratch = resolved(model);
    return scratch.empty() ? model : scratch;
  }
  void base_finding(Finding& f, const Principal& p, const char* rule, Severity sev) const;

  const Profile* profile_;
  std::int64_t baseline_until_;
  std::shared_ptr<const PriceTable> prices_;

  bool have_time_ = false;
  std::int64_t min_ms_ = 0, max_ms_ = 0;

  Interner ips_, uas_, keys_;
  std::uint32_t ip_id_ = kNone;  ///< this CloudTrail event's source IP in ips_ (on_event)
  /// First time each source IP appears in any CloudTrail event (every caller, every service):
  /// the networks the account already used before the baseline end.
  std::vector<std::int64_t> ip_first_;  // by ips_ id
  bool from_baseline_networks(const Principal& p, std::int64_t cut) const;
  std::string endpoint_model_;  ///< scratch: "sagemaker-endpoint/NAME"
  // Hashed with TextHash: faster than std::hash on these long keys (never iterated).
  using Index = std::unordered_map<std::string, std::uint32_t, detail::TextHash, std::equal_to<>>;
  Index row_index_;
  std::string row_key_;
  detail::LastEntry<Index> row_at_;
  std::vector<Row> rows_;
  Index principal_index_;
  /// Recent principal_for() hits: (actor ARN, index), in slots by text_slot()
  /// of the ARN (callers interleave). Index kNone: empty.
  static constexpr int kPrincipalSlotBits = 4;
  std::array<std::pair<std::string, std::uint32_t>, std::size_t{1} << kPrincipalSlotBits> principal_slots_;
  void clear_principal_slots() {
    for (auto& [arn, index] : principal_slots_) index = kNone;
  }
  std::vector<Principal> principals_;
  using KeyAccs = std::map<std::string, KeyAcc, std::less<>>;
  KeyAccs models_, regions_;  // found by string_view
  // Their recent entries: model ids share long prefixes, slow to search for.
  detail::LastEntry<KeyAccs> model_at_, region_at_;
  /// Application inference profiles created in these logs: ARN -> what it copies (copyFrom).
  std::map<std::string, std::string, std::less<>> app_profiles_;
  JoinTable pending_;
  std::size_t bucket_count_ = 0;

  std::uint64_t ct_calls_ = 0, inv_calls_ = 0;
  std::uint64_t ct_without_request_id_ = 0;  ///< CloudTrail calls that cannot join the invocation logs
  std::set<std::string, std::less<>> ct_regions_, inv_regions_;
  std::uint64_t rows_dropped_ = 0, join_overflow_ = 0, principals_dropped_ = 0;
  std::set<std::string> fired_;
  std::set<std::string> flagged_;  ///< principals named by medium+ findings, for the abuse answer
  void note_fired(const Finding& f) {
    fired_.insert(f.rule);
    if (f.severity >= Severity::kMedium && !f.principal.empty()) flagged_.insert(f.principal);
  }
  ModelUsage usage_;
};

bool InvocationAnalyzer::from_baseline_networks(const Principal& p, std::int64_t cut) const {
  if (p.ct_ips.empty() || p.ct_ips_overflow) return false;  // no address known, or too many to judge
  for (std::uint32_t id : p.ct_ips)
    if (id >= ip_first_.size() || ip_first_[id] > cut) return false;
  return true;
}

bool InvocationAnalyzer::expected_model(std::string_view model) const {
  std::string norm = normalize_model_id(model);
  for (const std::string& m : profile_->expected_models) {
    if (wildcard_match(m, model) || wildcard_match(m, norm) || wildcard_match(normalize_model_id(m), norm)) return true;
  }
  return false;
}

bool InvocationAnalyzer::app_principal(std::string_view arn) const { return detail::is_app_principal(*profile_, arn); }

bool InvocationAnalyzer::expected_region(std::string_view region) const {
  for (const std::string& r : profile_->regions) {
    if (wildcard_match(r, region)) return true;
  }
  return false;
}

std::uint32_t InvocationAnalyzer::row_for(const EventView& e, std::string_view model) {
  std::string& key = row_key_;  // scratch: most calls find their row
  key.clear();
  key.append(e.actor_arn).push_back('\x1f');
  key.append(model).push_back('\x1f');
  key.append(e.region).push_back('\x1f');
  key.append(e.account);
  const std::uint32_t* row = row_at_.find_or_add(row_index_, key, kMaxRows, [&](std::uint32_t& n) {
    n = static_cast<std::uint32_t>(rows_.size());
    Row r;
    r.principal = std::string(e.actor_arn);
    r.account = std::string(e.account);
    r.model = std::string(model);
    r.region = std::string(e.region);
    rows_.push_back(std::move(r));
  }, SIZE_MAX);
  return row != nullptr ? *row : kNone;
}

Principal* InvocationAnalyzer::principal_for(const EventView& e, std::uint32_t& index) {
  index = kNone;
  // A recent caller's principal is found without parsing its ARN again.
  auto& [arn, slot] = principal_slots_[detail::text_slot(e.actor_arn, kPrincipalSlotBits)];
  if (slot != kNone && arn == e.actor_arn) {
    index = slot;
    return &principals_[index];
  }
  Principal* p = find_principal(e, index);
  if (p != nullptr) {
    arn.assign(e.actor_arn);
    slot = index;
  }
  return p;
}

Principal* InvocationAnalyzer::find_principal(const EventView& e, std::uint32_t& index) {
  std::string id = detail::principal_identity(e.actor_arn);
  auto it = principal_index_.find(id);
  if (it != principal_index_.end()) {
    index = it->second;
    return &principals_[it->second];
  }
  if (principals_.size() >= kMaxPrincipals) {
    ++principals_dropped_;
    return nullptr;
  }
  index = static_cast<std::uint32_t>(principals_.size());
  principals_.emplace_back();
  Principal& p = principals_.back();
  p.arn = std::move(id);
  p.account = std::string(e.account);
  p.first = e.time_ms;
  principal_index_.emplace(p.arn, index);
  return &p;
}

void InvocationAnalyzer::on_event(const EventView& e, FindingSink& /*out*/) {
  if (e.kind != EventKind::kCloudTrail && e.kind != EventKind::kInvocation) return;
  if (!have_time_) {
    min_ms_ = max_ms_ = e.time_ms;
    have_time_ = true;
  } else {
    min_ms_ = std::min(min_ms_, e.time_ms);
    max_ms_ = std::max(max_ms_, e.time_ms);
  }
  if (e.kind == EventKind::kCloudTrail) {
    // Past the interner's cap an address has no id: it is unknown, never "known".
    const std::uint32_t id = ips_.id(e.source_ip);
    ip_id_ = id;
    if (id != kNone) {
      if (id >= ip_first_.size()) ip_first_.resize(id + 1, std::numeric_limits<std::int64_t>::max());
      ip_first_[id] = std::min(ip_first_[id], e.time_ms);
    }
  }
  if (e.service == "bedrock.amazonaws.com") {
    if (detail::is_model_call(e.action)) count_call(e, e.model_id, e.kind == EventKind::kCloudTrail);
    else if (e.action == "CreateInferenceProfile" && e.kind == EventKind::kCloudTrail) note_profile(e);
  } else if (e.service == "sagemaker.amazonaws.com" && e.action.starts_with("InvokeEndpoint")) {
    // A model hosted on a SageMaker endpoint (CloudTrail data event): the
    // endpoint stands for the model, which the record does not name.
    std::string_view endpoint;
    if (e.request_parameters()["endpointName"].get_string().get(endpoint) != simdjson::SUCCESS) return;
    endpoint_model_.assign("sagemaker-endpoint/").append(endpoint.substr(0, 256));
    count_call(e, endpoint_model_, true);
  }
}

/// An application inference profile: its ARN (the response) and what it copies (the request), so
/// that calls through it are priced as that model. Only successful calls make one.
void InvocationAnalyzer::note_profile(const EventView& e) {
  if (e.outcome != Outcome::kSuccess || app_profiles_.size() >= kMaxKeys) return;
  std::string_view arn, from;
  if (e.raw["responseElements"]["inferenceProfileArn"].get_string().get(arn) != simdjson::SUCCESS) return;
  if (e.request_parameters()["modelSource"]["copyFrom"].get_string().get(from) != simdjson::SUCCESS) return;
  if (arn.empty() || from.empty() || arn == from) return;
  app_profiles_.emplace(std::string(arn.substr(0, 512)), std::string(from.substr(0, 512)));
}

std::string InvocationAnalyzer::resolved(const std::string& model) const {
  std::string_view m = model;
  bool found = false;
  for (int hop = 0; hop < 4; ++hop) {  // a profile of a profile: bounded, a cycle cannot loop
    auto it = app_profiles_.find(m);
    if (it == app_profiles_.end()) break;
    m = it->second;
    found = true;
  }
  return found ? std::string(m) : std::string();
}

void InvocationAnalyzer::count_call(const EventView& e, std::string_view model, bool from_ct) {
  const std::uint64_t call_key = join_key(e);
  if (!e.request_id.empty()) pending_.prefetch(call_key);  // a cache miss on a large corpus: overlapped with the work below
  const bool error = !e.error_code.empty();
  const bool probe = e.error_code == "ValidationException" || is_denied(e.error_code);
  const bool guard = !from_ct && guardrail_intervened(e);
  if (from_ct) {
    ++ct_calls_;
    if (e.request_id.empty()) ++ct_without_request_id_;
    add_capped_set(ct_regions_, e.region);
  } else {
    ++inv_calls_;
    add_capped_set(inv_regions_, e.region);
  }
  // The client's interned ids, found once (CloudTrail calls only: invocation logs have no client).
  const std::uint32_t ip = from_ct ? ip_id_ : kNone;
  const std::uint32_t ua = from_ct ? uas_.id(e.user_agent) : kNone;
  const std::int64_t tin = std::max<std::int64_t>(e.tokens_in, 0), tout = std::max<std::int64_t>(e.tokens_out, 0);
  const std::int64_t call_tokens = tin + tout + std::max<std::int64_t>(e.tokens_cache_read, 0) +
                                   std::max<std::int64_t>(e.tokens_cache_write, 0);

  // The row (principal x model x region).
  std::uint32_t ri = row_for(e, model);
  if (ri == kNone) {
    ++rows_dropped_;
  } else {
    Row& r = rows_[ri];
    if (!r.seen || e.time_ms < r.first) r.first = e.time_ms;
    if (!r.seen || e.time_ms > r.last) r.last = e.time_ms;
    r.seen = true;
    if (from_ct) {
      ++r.ct;
      r.errors_ct += error ? 1 : 0;
      r.ct_in += tin;
      r.ct_out += tout;
      add_listed_id(r.ips, e.source_ip, ip, r.last_ip);
      if (!e.inference_region.empty()) detail::add_listed(r.served_in, e.inference_region);
    } else {
      ++r.inv;
      r.errors_inv += error ? 1 : 0;
      r.inv_in += tin;
      r.inv_out += tout;
      r.cache_r += std::max<std::int64_t>(e.tokens_cache_read, 0);
      r.cache_w += std::max<std::int64_t>(e.tokens_cache_write, 0);
      if (!e.inference_region.empty()) detail::add_listed(r.served_in, e.inference_region);
    }
  }

  // The principal.
  std::uint32_t pi = kNone;
  Principal* p = principal_for(e, pi);
  if (p != nullptr) {
    p->first = std::min(p->first, e.time_ms);
    if (!error) ++p->calls_ok;
    p->seen.add(e);
    add_listed_id(p->seen.source_ips, e.source_ip, ip, p->seen_ip);
    add_listed_id(p->seen.user_agents, e.user_agent, ua, p->seen_ua);
    if (p->seen.access_key_id.empty()) p->seen.access_key_id = std::string(e.access_key_id);
    if (from_ct) {
      // ip: kNone for no address, or past the interner's cap
      if (ip != kNone && (p->ct_ips.size() < kMaxPrincipalIps || p->ct_ips.count(ip) != 0))
        p->ct_ips.insert(ip);
      else
        p->ct_ips_overflow = true;
    } else {
      ++p->inv_records;
    }
    std::int64_t start = e.time_ms - ((e.time_ms % kBucketMs) + kBucketMs) % kBucketMs;
    auto& [recent_start, recent] =
        p->recent_buckets[static_cast<std::uint64_t>(start / kBucketMs) % p->recent_buckets.size()];
    if (recent == nullptr || recent_start != start) {
      if (auto hit = p->bucket_index.find(start); hit != p->bucket_index.end()) {
        recent = hit->second;
      } else if (bucket_count_ < kMaxBuckets) {
        recent = &p->buckets.emplace(start, Bucket{}).first->second;
        p->bucket_index.emplace(start, recent);
        ++bucket_count_;
      } else {
        recent = nullptr;
      }
      recent_start = start;
    }
    if (recent != nullptr) {
      Bucket& b = *recent;
      (from_ct ? b.ct : b.inv) += 1;
      if (from_ct) {
        note_client(b.ips, ip);
        note_client(b.uas, ua);
        note_client(b.keys, keys_.id(e.access_key_id));
      }
      b.ev.add(e);
      const auto at = std::tie(e.time_ms, e.where.file, e.where.record);  // Evidence's order
      auto order = [](const Evidence& x) { return std::tie(x.time_ms, x.file_index, x.record); };
      b.max_call_tokens = std::max(b.max_call_tokens, call_tokens);
      if (call_tokens > kTokenSpikeMin &&
          (!b.big_call || call_tokens > b.big_tokens || (call_tokens == b.big_tokens && at < order(*b.big_call)))) {
        if (!b.big_call) b.big_call = std::make_unique<Evidence>();
        b.big_call->assign(e);
        b.big_tokens = call_tokens;
      }
    }
    if (probe) {
      p->probes.add(e);
      detail::add_listed(p->probes.source_ips, e.source_ip);
      detail::add_listed(p->probes.user_agents, e.user_agent);
      if (p->probe_models.size() < kMaxListed) p->probe_models.emplace(model);
      if (p->probe_regions.size() < kMaxListed) p->probe_regions.emplace(e.region);
      if (e.error_message.find("max_tokens_to_sample") != std::string_view::npos) p->sysdig_probe = true;
    }
    if (guard) {
      p->guardrail.add(e);
      if (p->guardrail_times.size() < kMaxGuardrailTimes) p->guardrail_times.push_back(e.time_ms);
    }
  }

  // Models and regions, for first-seen and profile comparisons.
  auto key_acc = [&](KeyAccs& m, detail::LastEntry<KeyAccs>& recent, std::string_view key) {
    if (key.empty()) return;
    KeyAcc* found = recent.find_or_add(m, key, kMaxKeys, [](KeyAcc&) {}, SIZE_MAX);
    if (found == nullptr) return;
    KeyAcc& k = *found;
    k.seen.add(e);
    if (!error) ++k.calls_ok;
    add_listed_id(k.seen.source_ips, e.source_ip, ip, k.seen_ip);
    // The caller's identity is its Principal's ARN; built again (an ARN parse
    // and a format) only for callers past the principal cap.
    if (k.principals.size() >= kMaxListed) return;
    if (p != nullptr) add_listed_id(k.principals, p->arn, pi, k.last_principal);
    else detail::add_listed(k.principals, detail::principal_identity(e.actor_arn));
  };
  key_acc(models_, model_at_, model);
  key_acc(regions_, region_at_, e.region);

  Pending mine;
  mine.time = e.time_ms;
  mine.row = ri;
  mine.principal = pi;
  mine.ip = ip;
  mine.ua = ua;
  mine.tin = tin;
  mine.tout = tout;
  mine.from_cloudtrail = from_ct;
  mine.error = error;
  mine.probe = probe;
  mine.guardrail = guard;
  if (!e.request_id.empty()) join(call_key, mine);
}

void InvocationAnalyzer::join(std::uint64_t key, const Pending& mine) {
  const std::size_t slot = pending_.find(key);
  if (slot == JoinTable::kAbsent) {
    if (pending_.size() >= kMaxPending) {
      ++join_overflow_;
      return;
    }
    pending_.insert(key, mine);
    return;
  }
  Pending& other = pending_.at(slot);
  std::int64_t dt = other.time > mine.time ? other.time - mine.time : mine.time - other.time;
  if (other.from_cloudtrail == mine.from_cloudtrail || dt > kJoinWindowMs || other.row != mine.row) return;
  const Pending& ct = mine.from_cloudtrail ? mine : other;
  const Pending& inv = mine.from_cloudtrail ? other : mine;
  if (ct.row != kNone) {
    Row& r = rows_[ct.row];
    ++r.joined;
    r.joined_ct_in += ct.tin;
    r.joined_ct_out += ct.tout;
    if (ct.error && inv.error) ++r.joined_errors;
  }
  // One call, recorded by both sources: counted once in the principal's, the
  // model's and the region's first-seen totals (count_call counted each record).
  const bool both_ok = !ct.error && !inv.error;
  auto once = [&](Finding& seen, std::uint64_t& calls_ok) {
    if (seen.count > 0) --seen.count;
    if (seen.evidence_total > 0) --seen.evidence_total;
    if (both_ok && calls_ok > 0) --calls_ok;
  };
  if (ct.row != kNone) {
    const Row& r = rows_[ct.row];
    if (auto m = models_.find(r.model); m != models_.end()) once(m->second.seen, m->second.calls_ok);
    if (auto g = regions_.find(r.region); g != regions_.end()) once(g->second.seen, g->second.calls_ok);
  }
  if (ct.principal != kNone) {
    Principal& p = principals_[ct.principal];
    once(p.seen, p.calls_ok);
    if (ct.probe && inv.probe) ++p.probe_dupes;
    if (inv.guardrail) {
      // Invocation logs have no source IP: the joined CloudTrail record supplies it.
      detail::add_listed(p.guardrail.source_ips, ips_.str(ct.ip));
      detail::add_listed(p.guardrail.user_agents, uas_.str(ct.ua));
    }
  }
  pending_.erase(slot);
}

void InvocationAnalyzer::base_finding(Finding& f, const Principal& p, const char* rule, Severity sev) const {
  f.rule = rule;
  f.element = Element::kInvocation;
  f.severity = sev;
  f.principal = p.arn;
  f.account = p.account;
  if (f.access_key_id.empty()) f.access_key_id = p.seen.access_key_id;
}

void InvocationAnalyzer::emit_probes(FindingSink& out) {
  for (Principal& p : principals_) {
    if (p.probes.count == 0) continue;
    std::uint64_t n = p.probes.count > p.probe_dupes ? p.probes.count - p.probe_dupes : 0;
    bool spread = p.probe_models.size() + p.probe_regions.size() >= 3;
    if (n < kProbeMin && !(n >= 2 && (p.sysdig_probe || spread))) continue;
    Finding f = std::move(p.probes);
    base_finding(f, p, "invocation.probe_errors", Severity::kMedium);
    f.title = "Model invocation probes (ValidationException / AccessDenied)";
    std::string models, regions;
    for (const auto& m : p.probe_models) models += (models.empty() ? "" : ", ") + m;
    for (const auto& r : p.probe_regions) regions += (regions.empty() ? "" : ", ") + r;
    f.summary = fmt::format("{} made {} failed model calls (ValidationException or AccessDenied) on {} in {}{}",
                            p.arn, n, models, regions,
                            p.sysdig_probe ? ", including the LLMjacking 'max_tokens_to_sample' probe" : "");
    f.count = n;
    f.details = {{"calls", std::to_string(n)}, {"models", models}, {"regions", regions},
                 {"successful_calls", std::to_string(p.calls_ok)}};
    f.tags = {{"T1526"}, {"AML.T0040"}, {"LLM10:2025"}};
    note_fired(f);
    f.finalize();
    out.emit(std::move(f));
  }
}

void InvocationAnalyzer::emit_guardrail(FindingSink& out) {
  for (Principal& p : principals_) {
    if (p.guardrail.count < kGuardrailMin) continue;
    // A campaign is several interventions close together, or a noticeable share of the
    // calls; a few over a busy day of a public chatbot are its users (low).
    std::sort(p.guardrail_times.begin(), p.guardrail_times.end());
    bool close = false;
    for (std::size_t i = 0; i + kGuardrailMin - 1 < p.guardrail_times.size() && !close; ++i)
      close = p.guardrail_times[i + kGuardrailMin - 1] - p.guardrail_times[i] <= kGuardrailWindowMs;
    const bool share = p.guardrail.count * 100 >= kGuardrailRatePct * std::max<std::uint64_t>(p.inv_records, 1);
    Finding f = std::move(p.guardrail);
    base_finding(f, p, "invocation.guardrail_interventions", close || share ? Severity::kMedium : Severity::kLow);
    f.title = "Repeated guardrail interventions";
    f.summary = fmt::format("Guardrails intervened {} times on model calls by {} between {} and {}{}", f.count, p.arn,
                            iso_minute(f.first_seen_ms), iso_minute(f.last_seen_ms),
                            close || share ? std::string()
                                           : fmt::format(" ({} of {} logged calls, never {} within an hour)", f.count,
                                                         p.inv_records, kGuardrailMin));
    f.details = {{"interventions", std::to_string(f.count)}, {"logged_calls", std::to_string(p.inv_records)}};
    f.tags = {{}, {"AML.T0051", "AML.T0054"}, {"LLM01:2025"}};
    note_fired(f);
    f.finalize();
    out.emit(std::move(f));
  }
}

void InvocationAnalyzer::emit_bursts(FindingSink& out) {
  const std::int64_t cut = cutoff();
  for (Principal& p : principals_) {
    std::uint64_t base_peak = 0;
    std::int64_t base_tokens = 0;
    bool has_baseline = false;
    for (const auto& [start, b] : p.buckets) {
      if (start + kBucketMs > cut) break;
      has_baseline = true;
      base_peak = std::max<std::uint64_t>(base_peak, std::max(b.ct, b.inv));
      base_tokens = std::max(base_tokens, b.max_call_tokens);
    }
    const std::uint64_t threshold = std::max(kBurstMinCalls, kBurstFactor * base_peak);
    Finding burst, spike;
    std::uint64_t burst_calls = 0, peak = 0, burst_windows = 0;
    std::int64_t spike_threshold = std::max(kTokenSpikeMin, kTokenSpikeFactor * base_tokens);
    std::uint64_t spike_calls = 0;
    std::int64_t spike_max = 0;
    for (const auto& [start, b] : p.buckets) {
      if (start + kBucketMs <= cut) continue;
      std::uint64_t n = std::max(b.ct, b.inv);  // a call in both sources counts once
      if (n > threshold) {
        ++burst_windows;
        burst_calls += n;
        peak = std::max(peak, n);
        for (Evidence& ev : b.ev.sorted()) burst.add(std::move(ev));
      }
      if (b.big_call && b.big_tokens > spike_threshold) {
        ++spike_calls;
        spike_max = std::max(spike_max, b.big_tokens);
        spike.add(*b.big_call);
      }
    }
    if (burst_windows > 0) {
      // The burst's own clients; the principal's when its buckets recorded none
      // (invocation logs carry no address or key).
      std::map<std::string, std::uint64_t> key_windows;
      std::set<std::string> ips, uas;
      for (const auto& [start, b] : p.buckets) {
        if (start + kBucketMs <= cut || std::max(b.ct, b.inv) <= threshold) continue;
        for (std::uint32_t k : b.keys)
          if (k != kNone) ++key_windows[std::string(keys_.str(k))];
        for (std::uint32_t i : b.ips)
          if (i != kNone) ips.insert(std::string(ips_.str(i)));
        for (std::uint32_t u : b.uas)
          if (u != kNone) uas.insert(std::string(uas_.str(u)));
      }
      std::string key;
      std::uint64_t most = 0;
      for (const auto& [k, n] : key_windows)
        if (n > most) std::tie(key, most) = std::tie(k, n);  // ties: the smallest key
      burst.access_key_id = key;
      base_finding(burst, p, "invocation.volume_burst", peak >= kBurstHighCalls ? Severity::kHigh : Severity::kMedium);
      burst.title = "Model invocation volume burst";
      burst.summary = fmt::format(
          "{} made up to {} model calls in 10 minutes ({} calls in {} burst windows); {}", p.arn, peak, burst_calls,
          burst_windows,
          has_baseline ? fmt::format("its baseline peak was {} per 10 minutes", base_peak)
                       : std::string("it made no calls in the baseline period"));
      burst.source_ips = ips.empty() ? p.seen.source_ips : std::vector<std::string>(ips.begin(), ips.end());
      burst.user_agents = uas.empty() ? p.seen.user_agents : std::vector<std::string>(uas.begin(), uas.end());
      if (burst.source_ips.size() > kMaxListed) burst.source_ips.resize(kMaxListed);
      if (burst.user_agents.size() > kMaxListed) burst.user_agents.resize(kMaxListed);
      burst.details = {{"peak_calls_10min", std::to_string(peak)},
                       {"burst_calls", std::to_string(burst_calls)},
                       {"burst_windows", std::to_string(burst_windows)},
                       {"baseline_peak_10min", has_baseline ? std::to_string(base_peak) : "none"},
                       {"baseline_until", iso_minute(cut)}};
      burst.count = burst_calls;
      burst.tags = {{"T1496"}, {"AML.T0034", "AML.T0040"}, {"LLM10:2025"}};
      note_fired(burst);
      burst.finalize();
      out.emit(std::move(burst));
    }
    if (spike_calls > 0) {
      base_finding(spike, p, "invocation.token_spike", Severity::kLow);
      spike.title = "Unusually large model calls";
      spike.summary = fmt::format("{} made calls of up to {} tokens each (threshold {}; baseline largest {})", p.arn,
                                  spike_max, spike_threshold, has_baseline ? std::to_string(base_tokens) : "none");
      spike.source_ips = p.seen.source_ips;
      spike.details = {{"max_call_tokens", std::to_string(spike_max)},
                       {"threshold_tokens", std::to_string(spike_threshold)}};
      spike.tags = {{"T1496"}, {"AML.T0034"}, {"LLM10:2025"}};
      note_fired(spike);
      spike.finalize();
      out.emit(std::move(spike));
    }
  }
}

void InvocationAnalyzer::emit_first_seen(FindingSink& out) {
  const std::int64_t cut = cutoff();
  const bool inferred = baseline_until_ == 0;
  // Principals.
  const bool by_profile_p = profile_ != nullptr && profile_->loaded && !profile_->app_principals.empty();
  for (Principal& p : principals_) {
    bool unexpected = by_profile_p ? !app_principal(p.arn) : p.first > cut;
    if (!unexpected) continue;
    Finding f = std::move(p.seen);
    Severity sev = p.calls_ok >= kNewPrincipalHighCalls ? Severity::kHigh : Severity::kMedium;
    // Every call from an address the account already used before the baseline end (its NAT,
    // an office): a new workload or person on the company's own network, not a stolen key
    // used from elsewhere; one level lower for the high band only.
    const bool known_networks = sev == Severity::kHigh && from_baseline_networks(p, cut);
    if (known_networks) sev = Severity::kMedium;
    base_finding(f, p, by_profile_p ? "invocation.unexpected_principal" : "invocation.new_principal", sev);
    f.title = by_profile_p ? "Models invoked by a principal outside the application's roles"
                           : "First model invocations by a principal";
    double cost = 0;
    bool priced = false;
    std::set<std::string> model_set;
    std::set<std::string> served_elsewhere;  // inference regions other than the called one
    std::string scratch;
    for (const Row& r : rows_) {
      if (detail::principal_identity(r.principal) != p.arn) continue;
      if (model_set.size() < kMaxListed) model_set.insert(r.model);
      for (const std::string& x : r.served_in)
        if (x != r.region && served_elsewhere.size() < kMaxListed) served_elsewhere.insert(x);
      if (prices_) {
        auto c = prices_->estimate(priced_as(r.model, scratch), r.inv_in + r.ct_in - r.joined_ct_in,
                                   r.inv_out + r.ct_out - r.joined_ct_out, r.cache_r, r.cache_w);
        if (c) {
          cost += *c;
          priced = true;
        }
      }
    }
    std::string models;
    for (const auto& m : model_set) models += (models.empty() ? "" : ", ") + m;
    f.summary = fmt::format("{} invoked {} ({} successful calls{}){}", p.arn, models, p.calls_ok,
                            priced ? ", estimated $" + fmt_usd(cost) : std::string(),
                            by_profile_p ? "; it is not one of the profile's app_principals"
                                         : fmt::format("; first call {} is after the baseline ({}{})",
                                                       iso_minute(p.first), iso_minute(cut),
                                                       inferred ? ", inferred" : ""));
    f.details = {{"models", models}, {"successful_calls", std::to_string(p.calls_ok)}};
    if (priced) f.details.emplace_back("estimated_cost_usd", fmt_usd(cost));
    if (!served_elsewhere.empty()) {
      std::string regions;
      for (const auto& x : served_elsewhere) regions += (regions.empty() ? "" : ", ") + x;
      f.details.emplace_back("cross_region_inference", "served in " + regions);
      f.summary += "; cross-region inference: served in " + regions;
    }
    if (known_networks)
      f.details.emplace_back("networks", "every call from an address the account used before the baseline end");
    f.tags = {{"T1078.004", "T1496"}, {"AML.T0040"}, {"LLM10:2025"}};
    note_fired(f);
    f.finalize();
    out.emit(std::move(f));
  }
  // Models and regions.
  // Models by normalized id (geo prefix of an inference profile, ARN form, version suffix
  // removed) first used at or before the baseline end: "us.anthropic.claude-X" in the
  // application and "anthropic.claude-X" in the console are one model.
  std::set<std::string> baseline_models;
  for (const auto& [key, k] : models_)
    if (k.seen.count > 0 && k.seen.first_seen_ms <= cut) baseline_models.insert(normalize_model_id(key));
  auto emit_keys = [&](std::map<std::string, KeyAcc, std::less<>>& keys, bool by_profile, bool is_model) {
    for (auto& [key, k] : keys) {
      bool unexpected = by_profile ? !(is_model ? expected_model(key) : expected_region(key)) : k.seen.first_seen_ms > cut;
      if (unexpected && !by_profile && is_model && baseline_models.count(normalize_model_id(key)) != 0) unexpected = false;
      if (!unexpected) continue;
      Finding f = std::move(k.seen);
      f.element = Element::kInvocation;
      f.rule = is_model ? (by_profile ? "invocation.unexpected_model" : "invocation.new_model")
                        : (by_profile ? "invocation.unexpected_region" : "invocation.new_region");
      f.severity = k.calls_ok > 0 ? Severity::kMedium : Severity::kLow;
      if (k.principals.size() == 1) f.principal = k.principals.front();
      f.region = is_model ? std::string() : key;
      f.title = is_model ? (by_profile ? "Model outside the profile's expected_models invoked"
                                       : "First invocations of a model")
                         : (by_profile ? "Models invoked outside the profile's regions"
                                       : "First model invocations in a region");
      std::string who;
      std::sort(k.principals.begin(), k.principals.end());
      for (const auto& x : k.principals) who += (who.empty() ? "" : ", ") + x;
      f.summary = fmt::format("{} {} {}: {} calls ({} successful) by {}{}", is_model ? "Model" : "Region", key,
                              by_profile ? "is not expected by the profile" : "first used after the baseline",
                              f.count, k.calls_ok, who,
                              by_profile ? std::string() : fmt::format(" (first {}, baseline until {}{})",
                                                                       iso_minute(f.first_seen_ms), iso_minute(cut),
                                                                       inferred ? ", inferred" : ""));
      f.details = {{is_model ? "model" : "region", key}, {"principals", who},
                   {"successful_calls", std::to_string(k.calls_ok)}};
      f.tags = {{"T1496"}, {"AML.T0040"}, {"LLM10:2025"}};
      note_fired(f);
      f.finalize();
      out.emit(std::move(f));
    }
  };
  emit_keys(models_, profile_ != nullptr && profile_has(profile_->expected_models), true);
  emit_keys(regions_, profile_ != nullptr && profile_has(profile_->regions), false);
}

void InvocationAnalyzer::build_usage() {
  usage_.rows.clear();
  for (const Row& r : rows_) {
    ModelUsageRow u;
    u.principal = r.principal;
    u.account = r.account;
    u.model = r.model;
    u.model_normalized = normalize_model_id(r.model);
    u.region = r.region;
    u.cloudtrail_calls = r.ct;
    u.invocation_log_calls = r.inv;
    u.joined = r.joined;
    u.calls = r.ct + r.inv - r.joined;
    u.errors = r.errors_ct + r.errors_inv - r.joined_errors;
    u.tokens_in = r.inv_in + r.ct_in - r.joined_ct_in;
    u.tokens_out = r.inv_out + r.ct_out - r.joined_ct_out;
    u.tokens_cache_read = r.cache_r;
    u.tokens_cache_write = r.cache_w;
    u.resolved_model = resolved(r.model);
    if (std::any_of(r.served_in.begin(), r.served_in.end(), [&](const std::string& x) { return x != r.region; })) {
      u.inference_regions = r.served_in;
      std::sort(u.inference_regions.begin(), u.inference_regions.end());
    }
    if (prices_) {
      auto c = prices_->estimate(u.resolved_model.empty() ? r.model : u.resolved_model, u.tokens_in, u.tokens_out,
                                 u.tokens_cache_read, u.tokens_cache_write);
      if (c) {
        u.cost_usd = *c;
        u.cost_known = true;
      }
    }
    u.first_ms = r.first;
    u.last_ms = r.last;
    u.source_ips = r.ips;
    std::sort(u.source_ips.begin(), u.source_ips.end());
    usage_.rows.push_back(std::move(u));
  }
  std::sort(usage_.rows.begin(), usage_.rows.end(), [](const ModelUsageRow& a, const ModelUsageRow& b) {
    return std::tie(a.principal, a.model, a.region, a.account) < std::tie(b.principal, b.model, b.region, b.account);
  });
  if (prices_) {
    usage_.prices_as_of = prices_->as_of();
    usage_.prices_source = prices_->path();
    if (!prices_->source_note().empty()) usage_.prices_source += " (" + prices_->source_note() + ")";
  }
  usage_.rows_dropped = rows_dropped_;
  usage_.join_overflow = join_overflow_;
}

void InvocationAnalyzer::finish(FindingSink& out) {
  // Principals in a stable order (by ARN), whatever the input order.
  std::vector<std::size_t> order(principals_.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return principals_[a].arn < principals_[b].arn; });
  std::vector<Principal> sorted;
  sorted.reserve(principals_.size());
  for (std::size_t i : order) sorted.push_back(std::move(principals_[i]));
  principals_ = std::move(sorted);
  principal_index_.clear();
  for (std::size_t i = 0; i < principals_.size(); ++i) principal_index_[principals_[i].arn] = static_cast<std::uint32_t>(i);
  clear_principal_slots();  // indexes moved

  build_usage();  // before first-seen: that moves Findings out, rows stay
  emit_probes(out);
  emit_guardrail(out);
  emit_bursts(out);
  emit_first_seen(out);
  pending_.clear();
}

void InvocationAnalyzer::answer(const Coverage& cov, std::vector<QuestionAnswer>& out) const {
  const bool logs = cov.invocation_records > 0;
  const bool text = cov.invocation_with_text > 0;
  std::string uncovered;
  for (const auto& r : ct_regions_) {
    if (!inv_regions_.count(r)) uncovered += (uncovered.empty() ? "" : ", ") + r;
  }
  std::string gap = uncovered.empty() ? std::string()
                                      : fmt::format(" CloudTrail shows model calls in {} where no invocation-log records "
                                                    "were found, so prompts and responses there are unknown.",
                                                    uncovered);
  const std::string off = fmt::format(
      "No Bedrock model-invocation log records were found. Invocation logging is off by default (per account and "
      "region), so the prompts, inputs and responses are unknown; only CloudTrail metadata is available ({} runtime "
      "calls: who, which model, when, from which IP and user agent, and token counts on newer records). Collect the "
      "invocation logs from S3 or CloudWatch Logs if logging was enabled.",
      ct_calls_);
  const std::string no_text = fmt::format(
      "{} invocation-log records were found but none carries a request or response body: text data delivery was "
      "disabled (or bodies were offloaded to S3 and not collected), so only metadata and token counts are known.",
      cov.invocation_records);

  if (cov.invocation_bodies_unread > 0)
    gap += fmt::format(" {} records' bodies were offloaded to S3 and are not in the export (their data/ objects were "
                       "not collected), so their text is unknown.",
                       cov.invocation_bodies_unread);
  auto qa = [&](const char* id, const char* q, const char* what, std::vector<std::string> rules) {
    QuestionAnswer a;
    a.id = id;
    a.question = q;
    if (!logs) {
      a.answer = Answer::kCannotTell;
      a.explanation = off;
    } else if (!text) {
      a.answer = Answer::kCannotTell;
      a.explanation = no_text + gap;
    } else {
      a.answer = Answer::kYes;
      a.explanation = fmt::format(
          "{} of {} invocation-log records carry {}; the content findings listed here name what was found in "
          "them (pattern matching: paraphrased or partial content can pass unnoticed).{}",
          cov.invocation_with_text, cov.invocation_records, what, gap);
      a.rules = std::move(rules);
    }
    out.push_back(std::move(a));
  };
  // Each question lists the content rules that answer IT (invocation_content
  // and the Sigma pack), not every invocation finding.
  qa("invocation.inputs", "What data, strings, or files were sent as input to the model?",
     "request bodies (strings and file references)",
     {"invocation.suspicious_attachment", "invocation.hidden_text", "invocation.secret_in_prompt",
      "invocation.pii_in_prompt", "invocation.large_input_without_output",
      "private_data.prompt_reaches_for_instance_metadata"});
  qa("invocation.prompts", "What prompts were sent?", "the prompts",
     {"invocation.prompt_injection", "invocation.jailbreak", "invocation.prompt_attack_scored",
      "invocation.system_prompt_extraction", "invocation.hidden_text", "invocation.tool_abuse",
      "invocation.cloud_credential_request", "invocation.guardrail_prompt_attack_blocked",
      "invocation.guardrail_intervened", "invocation.guardrail_interventions",
      "invocation.guardrail_detected_not_blocked"});
  qa("invocation.responses", "What responses were produced?", "the model responses",
     {"invocation.system_prompt_leakage", "invocation.data_exfiltration_markup", "private_data.secret_in_response",
      "private_data.pii_in_response"});

  QuestionAnswer abuse;
  abuse.id = "invocation.abuse";
  abuse.question = "Were models invoked by unexpected principals, in unexpected models or regions, in bursts, or at "
                   "unusual cost?";
  abuse.rules = {"invocation.new_principal",  "invocation.unexpected_principal", "invocation.new_model",
                 "invocation.unexpected_model", "invocation.new_region",        "invocation.unexpected_region",
                 "invocation.volume_burst",   "invocation.probe_errors",        "invocation.token_spike",
                 "invocation.max_tokens_probe", "invocation.model_invoked_with_long_term_key",
                 "invocation.model_access_denied", "invocation.validation_exception_probe",
                 "ai_changes.llmjacking_chain"};
  double cost = 0;
  std::uint64_t calls = 0;
  for (const auto& r : usage_.rows) {
    cost += r.cost_known ? r.cost_usd : 0;
    calls += r.calls;
  }
  std::string totals = fmt::format("{} model calls seen ({} in CloudTrail, {} in invocation logs); estimated cost "
                                   "${} (an estimate from the price table dated {}).",
                                   calls, ct_calls_, inv_calls_, fmt_usd(cost),
                                   usage_.prices_as_of.empty() ? "n/a" : usage_.prices_as_of);
  const bool profiled = profile_ != nullptr && profile_->loaded;
  // Only this question's own findings answer it (guardrail blocks answer the prompts one).
  const bool abused = std::any_of(fired_.begin(), fired_.end(), [&](const std::string& rule) {
    return std::find(abuse.rules.begin(), abuse.rules.end(), rule) != abuse.rules.end();
  });
  if (abused) {
    abuse.answer = Answer::kYes;
    // Name what the flagged principals invoked: models, regions, calls, tokens.
    // Findings name a role; usage rows, the session that called.
    std::string named;
    for (const auto& who : flagged_) {
      std::map<std::string, std::tuple<std::uint64_t, std::uint64_t, std::int64_t, std::int64_t, std::set<std::string>>> by_model;
      for (const auto& r : usage_.rows) {
        if (r.principal != who && detail::principal_identity(r.principal) != who) continue;
        auto& [n, err, tin, tout, regions] = by_model[r.model];
        n += r.calls;
        err += r.errors;
        tin += r.tokens_in;
        tout += r.tokens_out;
        regions.insert(r.region);
      }
      if (by_model.empty()) continue;
      std::string models;
      for (const auto& [m, v] : by_model) {
        const auto& [n, err, tin, tout, regions] = v;
        std::string rs;
        for (const auto& r : regions) rs += (rs.empty() ? "" : "/") + r;
        models += fmt::format("{}{} x{} in {}{}, {} tokens in, {} out", models.empty() ? "" : "; ", m, n, rs,
                              err ? fmt::format(" ({} failed)", err) : std::string(), tin, tout);
      }
      if (named.size() < 4000) named += fmt::format(" {} invoked: {}.", who, models);
    }
    abuse.explanation = totals + named;
  } else if (ct_calls_ == 0 && inv_calls_ == 0) {
    abuse.answer = cov.cloudtrail_events > 0 ? Answer::kNotFound : Answer::kCannotTell;
    abuse.explanation = cov.cloudtrail_events > 0
                            ? "No model invocations were found in CloudTrail or invocation logs; trails that record "
                              "only write events drop InvokeModel and Converse (they are read-only)."
                            : "No CloudTrail and no invocation logs were read.";
  } else {
    abuse.answer = (logs && profiled) ? Answer::kNo : Answer::kNotFound;
    abuse.explanation = totals + (profiled ? "" : " Without a profile, 'unexpected' means first seen after the "
                                                  "baseline period; a profile with app_principals, expected_models "
                                                  "and regions would sharpen this.") +
                        (logs ? "" : " Without invocation logs, guardrail interventions are not visible.");
  }
  out.push_back(std::move(abuse));
}

}  // namespace

const ModelUsage* model_usage(const Analyzer& analyzer) noexcept {
  const auto* a = dynamic_cast<const InvocationAnalyzer*>(&analyzer);
  return a != nullptr ? &a->usage() : nullptr;
}

std::unique_ptr<Analyzer> make_invocation_with_prices(const AnalyzerConfig& config,
                                                      std::shared_ptr<const PriceTable> prices) {
  return std::make_unique<InvocationAnalyzer>(config, std::move(prices));
}

std::unique_ptr<Analyzer> make_invocation(const AnalyzerConfig& config) {
  return make_invocation_with_prices(config, active_prices());
}

}  // namespace aiir
