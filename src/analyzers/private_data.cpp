// SPDX-License-Identifier: Apache-2.0
// Private-data analyzer: reads and changes of private resources by AI or flagged principals; secret and bulk-read bursts.
#include <aiir/analyzer.h>
#include <aiir/event.h>
#include <aiir/finding.h>
#include <aiir/profile.h>
#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "analyzers/ai_principals.h"
#include "analyzers/common.h"
#include "analyzers/factories.h"
#include "util/hash.h"
#include "util/time.h"

namespace aiir {
namespace {

namespace dom = simdjson::dom;

using namespace detail;  // NOLINT: the shared analyzer helpers (common.h, ai_principals.h)
// The member names looked up on every S3 and SSM call are string_view literals:
// simdjson's operator[](const char*) is not inlined here, and made a strlen call.
using namespace std::string_view_literals;

// ---------------------------------------------------------------------------
// Private-data operations.


enum class Kind : std::uint8_t { kS3, kDynamoDb, kRds, kSecret, kSsm };
constexpr std::array<std::string_view, 5> kKindNames = {"s3", "dynamodb", "rds", "secretsmanager", "ssm"};
std::string_view kind_name(Kind k) { return kKindNames[static_cast<std::size_t>(k)]; }

/// read: data copied out; change: data or resource modified; expose: access widened.
enum class OpClass : std::uint8_t { kRead, kChange, kExpose };
constexpr std::array<std::string_view, 3> kOpNames = {"read", "change", "expose"};

struct Op {
  Kind kind = Kind::kS3;
  OpClass cls = OpClass::kRead;
  bool decrypted = false;  // ssm withDecryption
};

/// Classifies the private-data operations this analyzer looks at; false for the rest.
bool classify(const EventView& e, Op& op) noexcept {
  const std::string_view s = e.service, a = e.action;
  if (same_text(s, "s3.amazonaws.com")) {
    op.kind = Kind::kS3;
    if (same_text(a, "GetObject")) op.cls = OpClass::kRead;
    else if (is_one_of(a, {"PutObject", "DeleteObject", "DeleteObjects", "CopyObject", "CompleteMultipartUpload",
                        "DeleteBucket", "PutBucketLifecycle", "PutBucketLifecycleConfiguration"}))
      op.cls = OpClass::kChange;
    else if (is_one_of(a, {"PutBucketPolicy", "DeleteBucketPolicy", "PutBucketAcl", "PutObjectAcl",
                        "PutBucketPublicAccessBlock", "DeleteBucketPublicAccessBlock", "PutPublicAccessBlock",
                        "DeletePublicAccessBlock", "PutBucketReplication"}))
      op.cls = OpClass::kExpose;
    else
      return false;
    return true;
  }
  if (same_text(s, "dynamodb.amazonaws.com")) {
    op.kind = Kind::kDynamoDb;
    if (is_one_of(a, {"GetItem", "Query", "Scan", "BatchGetItem", "ExportTableToPointInTime"})) op.cls = OpClass::kRead;
    else if (is_one_of(a, {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "DeleteTable", "UpdateTable"}))
      op.cls = OpClass::kChange;
    else if (same_text(a, "PutResourcePolicy")) op.cls = OpClass::kExpose;
    else
      return false;
    return true;
  }
  if (same_text(s, "rds.amazonaws.com")) {
    op.kind = Kind::kRds;
    if (is_one_of(a, {"CreateDBSnapshot", "CreateDBClusterSnapshot", "CopyDBSnapshot", "CopyDBClusterSnapshot",
                   "StartExportTask"}))
      op.cls = OpClass::kRead;
    else if (is_one_of(a, {"ModifyDBSnapshotAttribute", "ModifyDBClusterSnapshotAttribute"})) op.cls = OpClass::kExpose;
    else if (is_one_of(a, {"ModifyDBInstance", "ModifyDBCluster", "DeleteDBInstance", "DeleteDBCluster",
                        "DeleteDBSnapshot", "DeleteDBClusterSnapshot"}))
      op.cls = OpClass::kChange;
    else
      return false;
    return true;
  }
  if (same_text(s, "secretsmanager.amazonaws.com")) {
    op.kind = Kind::kSecret;
    if (same_text(a, "GetSecretValue") || same_text(a, "BatchGetSecretValue")) op.cls = OpClass::kRead;
    else if (is_one_of(a, {"PutSecretValue", "UpdateSecret", "DeleteSecret", "RotateSecret", "RestoreSecret"}))
      op.cls = OpClass::kChange;
    else if (same_text(a, "PutResourcePolicy") || same_text(a, "DeleteResourcePolicy")) op.cls = OpClass::kExpose;
    else
      return false;
    return true;
  }
  if (same_text(s, "ssm.amazonaws.com")) {
    op.kind = Kind::kSsm;
    if (same_text(a, "GetParameter") || same_text(a, "GetParameters") || same_text(a, "GetParametersByPath")) {
      op.cls = OpClass::kRead;
      op.decrypted = e.kind == EventKind::kCloudTrail && jtrue(e.request_parameters()["withDecryption"sv]);
    } else if (is_one_of(a, {"PutParameter", "DeleteParameter", "DeleteParameters", "LabelParameterVersion"})) {
      op.cls = OpClass::kChange;
    } else {
      return false;
    }
    return true;
  }
  return false;
}

/// "arn:...:table/NAME[/stream/...]" -> NAME.
std::string_view table_name(std::string_view id) noexcept {
  std::size_t pos = id.find(":table/");
  if (pos == std::string_view::npos) return id;
  id = id.substr(pos + 7);
  return id.substr(0, id.find('/'));
}

/// "arn:...:secret:NAME-AbCdEf" -> "NAME-AbCdEf" (the random suffix is handled by matching).
std::string_view secret_name(std::string_view id) noexcept {
  std::size_t pos = id.find(":secret:");
  return pos == std::string_view::npos ? id : id.substr(pos + 8);
}

/// "arn:...:parameter/prod/x" -> "/prod/x"; "arn:...:parameter/name" -> "name".
std::string_view parameter_name(std::string_view id) noexcept {
  std::size_t pos = id.find(":parameter/");
  if (pos == std::string_view::npos) return id;
  std::string_view rest = id.substr(pos + 10);  // keeps the '/'
  return rest.find('/', 1) == std::string_view::npos ? rest.substr(1) : rest;
}

/// Resource identifiers an operation names (up to a few), written into `ids`:
/// views of the event's text (valid while it is), but for an S3 "bucket/key",
/// built in `joined`. S3 ids are "bucket/key" (or "bucket" for bucket-level
/// calls); only the bucket unless `object_keys` (read only to match and list
/// private resources).
void resource_ids(const EventView& e, const Op& op, bool object_keys, std::vector<std::string_view>& ids,
                  std::string& joined) {
  ids.clear();
  if (e.kind != EventKind::kCloudTrail) return;
  constexpr std::size_t kMaxIds = 32;
  auto rp = e.request_parameters();
  auto add = [&](std::string_view v) {
    if (!v.empty() && ids.size() < kMaxIds) ids.push_back(v.substr(0, 512));
  };
  auto add_array = [&](simdjson::simdjson_result<dom::element> arr, auto&& fn) {
    dom::array xs;
    if (arr.get_array().get(xs) != simdjson::SUCCESS) return;
    for (dom::element x : xs) {
      std::string_view v;
      if (x.get_string().get(v) == simdjson::SUCCESS) add(fn(v));
    }
  };
  switch (op.kind) {
    case Kind::kS3: {
      std::string_view bucket = jstr(rp["bucketName"sv]);
      if (!object_keys && !bucket.empty() && bucket.size() <= 256) {  // the bucket as "bucket/key" would cut it
        add(bucket);
        break;
      }
      std::string_view key = jstr(rp["key"sv]);
      if (bucket.empty()) {
        // Fall back on resources[] ("arn:aws:s3:::bucket/key").
        for (const auto& r : e.resources) {
          if (r.arn.starts_with("arn:aws:s3:::")) {
            add(r.arn.substr(13));
            break;
          }
        }
      } else if (key.empty()) {
        add(bucket);
      } else {
        joined.assign(bucket.substr(0, 256)).append(1, '/').append(key.substr(0, 512));
        ids.push_back(joined);
      }
      break;
    }
    case Kind::kDynamoDb: {
      std::string_view t = jstr(rp["tableName"]);
      if (t.empty()) t = jstr(rp["tableArn"]);
      if (!t.empty()) add(table_name(t));
      dom::object items;
      if (rp["requestItems"].get_object().get(items) == simdjson::SUCCESS)
        for (auto [name, value] : items) add(table_name(name));
      break;
    }
    case Kind::kRds:
      for (const char* field : {"dBInstanceIdentifier", "dBClusterIdentifier", "dBSnapshotIdentifier",
                                "dBClusterSnapshotIdentifier", "sourceDBSnapshotIdentifier",
                                "sourceDBClusterSnapshotIdentifier", "sourceArn"})
        add(last_segment(jstr(rp[field])));
      break;
    case Kind::kSecret:
      add(secret_name(jstr(rp["secretId"])));
      add_array(rp["secretIdList"], [](std::string_view v) { return secret_name(v); });
      break;
    case Kind::kSsm:
      add(parameter_name(jstr(rp["name"])));
      add(jstr(rp["path"]));
      add_array(rp["names"], [](std::string_view v) { return parameter_name(v); });
      break;
  }
}

/// Does the profile entry `pr` cover the resource id `id` of kind `kind`?
bool covers(const PrivateResource& pr, Kind kind, std::string_view id) {
  if (!iequals(pr.kind, kind_name(kind)) &&
      !(kind == Kind::kSecret && iequals(pr.kind, "secret")) &&
      !(kind == Kind::kSsm && iequals(pr.kind, "parameter")))
    return false;
  const std::string_view name = pr.name;
  if (name.empty()) return false;
  const bool wild = name.find_first_of("*?") != std::string_view::npos;
  switch (kind) {
    case Kind::kS3: {
      std::size_t slash = name.find('/');
      if (slash == std::string_view::npos) return wildcard_match(name, id.substr(0, id.find('/')));
      if (id.find('/') == std::string_view::npos)  // bucket-level call on a bucket holding a private prefix
        return wildcard_match(name.substr(0, slash), id);
      return wild ? wildcard_match(name, id) : istarts_with(id, name);
    }
    case Kind::kSecret: {
      if (wildcard_match(name, id)) return true;
      // Secret ARNs end in "-" plus 6 random characters.
      if (id.size() > 7 && id[id.size() - 7] == '-') return wildcard_match(name, id.substr(0, id.size() - 7));
      return false;
    }
    case Kind::kSsm: {
      if (wildcard_match(name, id)) return true;
      // A path read (GetParametersByPath) covers every parameter below it.
      if (!id.empty() && id.front() == '/') {
        std::string_view literal = name.substr(0, name.find_first_of("*?"));
        if (istarts_with(literal, id) && (literal.size() == id.size() || literal[id.size()] == '/' || id.back() == '/'))
          return true;
      }
      return false;
    }
    case Kind::kRds:
      // Snapshot ids usually carry the instance name ("rds:db-2024-05-01-00-10", "db-final").
      return wildcard_match(name, id) || (!wild && icontains(id, name));
    case Kind::kDynamoDb:
      return wildcard_match(name, id);
  }
  return false;
}

bool is_denial(std::string_view code) noexcept {
  if (code.starts_with("Client.")) code.remove_prefix(7);
  return code == "AccessDenied" || code == "AccessDeniedException" || code == "UnauthorizedOperation" ||
         code == "UnauthorizedException";
}

// ---------------------------------------------------------------------------
// Aggregates.

constexpr std::size_t kMaxKeys = 100000;
constexpr std::size_t kMaxPrincipalKey = 512;  // principals_ keys are cut to this many bytes
constexpr std::int64_t kHourMs = 3600 * 1000;
constexpr std::size_t kMaxHoursPerPrincipal = 24 * 92;
constexpr std::size_t kMaxIpsPerPrincipal = 64;  // source IPs remembered per principal
constexpr std::uint32_t kDenialBurst = 10;        // denials in an hour: weak "flagged" signal
constexpr std::size_t kSecretDistinct = 10;       // distinct secrets in an hour
constexpr std::size_t kParamDistinct = 25;        // distinct decrypted parameters in an hour
constexpr std::uint32_t kBatchSecretCalls = 5;    // BatchGetSecretValue calls in an hour
constexpr std::uint32_t kSecretDenied = 20;       // denied retrievals in an hour
constexpr std::uint32_t kS3Objects = 1000;        // GetObject in an hour
constexpr std::uint64_t kS3Bytes = 1ULL << 30;    // bytes out in an hour
constexpr std::uint32_t kScans = 20;              // Scan calls on one table in an hour

std::int64_t floor_div(std::int64_t a, std::int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

template <typename Set>
std::string join(const Set& items, std::size_t max = 10) {
  std::string out;
  std::size_t n = 0;
  for (const auto& i : items) {
    if (n == max) {
      out += fmt::format(", ... (+{})", items.size() - max);
      break;
    }
    if (n++) out += ", ";
    out += i;
  }
  return out;
}

std::string counts(const std::map<std::string, std::uint64_t, std::less<>>& m) {
  std::string out;
  for (const auto& [k, v] : m) {
    if (!out.empty()) out += ", ";
    out += fmt::format("{} x{}", k, v);
  }
  return out;
}

/// insert_capped() for a set whose caller does not count what the cap leaves
/// out: a full set cannot change, so its search (a miss for most new values,
/// on every event of a busy aggregate) is skipped.
template <typename Set>
void add_capped(Set& set, std::string_view value, std::size_t cap) {
  if (set.size() < cap) insert_capped(set, value, cap);
}

/// A hash index over the keys of an aggregate map (std::map nodes do not
/// move). The keys start with a principal ARN: long shared prefixes made the
/// ordered searches slow. The maps stay for the order findings are made in.
template <typename Value>
using KeyIndex = std::unordered_map<std::string_view, Value*, TextHash, std::equal_to<>>;

/// The entry of `key` in `m`, found through `index`; when absent, added with
/// init(value) and indexed unless `m` holds kMaxKeys entries (then null).
template <typename Value, typename Init>
Value* find_or_add_indexed(std::map<std::string, Value, std::less<>>& m, KeyIndex<Value>& index, std::string_view key,
                           Init&& init) {
  if (auto it = index.find(key); it != index.end()) return it->second;
  if (m.size() >= kMaxKeys) return nullptr;
  auto& [stored, value] = *m.try_emplace(std::string(key)).first;  // built in its node, not moved there
  init(value);
  index.emplace(stored, &value);
  return &value;
}

Severity lower(Severity s) { return s > Severity::kLow ? static_cast<Severity>(static_cast<int>(s) - 1) : s; }

/// Common facts kept for an aggregate that becomes a finding.
struct Facts {
  // What every add() reads first, together: most aggregates are cold when an
  // event comes, and the sets below are read only when these say so.
  std::uint64_t count = 0;
  std::int64_t first_ms = 0;
  std::int64_t last_ms = 0;
  ClientIds::Added added;  // the values added lately to the sets below
  std::uint8_t full = 0;   // bit f: the set of ClientIds field f holds its cap
  // The last call's action (its id) and entry in actions, and its calls since
  // that entry was last written: a repeated action is counted here, without
  // reading its cold map node (settle() adds them to it).
  std::uint32_t last_action_id = 0;
  std::pair<const std::string, std::uint64_t>* last_action = nullptr;
  std::uint64_t last_action_calls = 0;
  std::uint64_t failed = 0;
  EarliestEvidence evidence;
  std::map<std::string, std::uint64_t, std::less<>> actions;   // "service:Action" -> calls
  SmallStrSet source_ips, user_agents, access_keys, accounts, regions, errors;

  /// Counts `e`, whose client fields' ids are `ids` (ClientIds::of) and whose
  /// "service:Action" has the id `action` (PrivateDataAnalyzer::action_id).
  void add(const EventView& e, const ClientIds::Ids& ids, std::uint32_t action_id) {
    if (count == 0 || e.time_ms < first_ms) first_ms = e.time_ms;
    if (count == 0 || e.time_ms > last_ms) last_ms = e.time_ms;
    ++count;
    if (e.outcome == Outcome::kFailure) {
      ++failed;
      add_capped(errors, e.error_code, 5);
    }
    evidence.add(e);
    // A resource's calls mostly repeat the last action.
    if (last_action != nullptr && action_id == last_action_id) {
      ++last_action_calls;
    } else {
      thread_local std::string name;
      action_name(e, name);
      auto it = actions.find(std::string_view(name));
      if (it == actions.end() && actions.size() < 50) it = actions.emplace(name, 0).first;
      if (it != actions.end()) {  // else not counted, and the last action stays
        settle();
        last_action = &*it;  // map nodes stay put, a moved map's too
        last_action_id = action_id;
        last_action_calls = 1;
      }
    }
    auto add_field = [&](ClientIds::Field f, SmallStrSet& set, std::string_view value, std::size_t cap) {
      const auto bit = static_cast<std::uint8_t>(1u << f);
      if ((full & bit) != 0 || !added.fresh(ids, f)) return;
      add_capped(set, value, cap);
      if (set.size() >= cap) full |= bit;  // a full set cannot change: not read again
    };
    add_field(ClientIds::kIp, source_ips, e.source_ip, 10);
    add_field(ClientIds::kAgent, user_agents, e.user_agent, 5);
    add_field(ClientIds::kKey, access_keys, e.access_key_id, 5);
    add_field(ClientIds::kAccount, accounts, e.account, 5);
    add_field(ClientIds::kRegion, regions, e.region, 10);
  }

  /// Adds the last action's pending calls to its entry in actions; call before reading them.
  void settle() {
    if (last_action != nullptr) last_action->second += last_action_calls;
    last_action_calls = 0;
  }

  /// "service:Action", the key of actions ("s3:GetObject"), into `out`.
  static void action_name(const EventView& e, std::string& out) {
    out.assign(e.service.substr(0, e.service.find('.'))).append(1, ':').append(e.action.substr(0, 128));
  }

  void fill(Finding& f) const {
    for (auto& ev : evidence.sorted()) f.add(std::move(ev));
    f.count = count;
    f.evidence_total = count;
    f.first_seen_ms = first_ms;
    f.last_seen_ms = last_ms;
    f.source_ips.assign(source_ips.begin(), source_ips.end());
    f.user_agents.assign(user_agents.begin(), user_agents.end());
    if (accounts.size() == 1) f.account = *accounts.begin();
    if (regions.size() == 1) f.region = *regions.begin();
    if (access_keys.size() == 1) f.access_key_id = *access_keys.begin();
  }
};

/// Who touched which resource, how: (principal, marker, kind, label, class).
struct Touch {
  std::string principal;
  std::string marker;
  Kind kind = Kind::kS3;
  OpClass cls = OpClass::kRead;
  std::string label;             // the profile entry's name, or the bare resource
  bool private_match = false;    // label is a profile private resource
  Facts facts;            // only count and failed unless private_match (touch())
  SmallStrSet examples;   // object keys, parameter names, secret ids
  SmallStrSet bad;        // why the caller is on the profile's bad lists
  // Every source IP (the kMaxIpsPerPrincipal smallest) for the new-network
  // check: facts.source_ips holds the first ten, for display.
  SmallStrSet ips;
  const std::string* last_ip = nullptr;  // the last event's entry in ips
  // Some call was the principal's own, not one an AWS service made with the principal's
  // role on its schedule (AWS Backup, Config: userIdentity.invokedBy a service name).
  bool own_call = false;
};

// Small sorted sets (capped, searched on every event of their hour): the
// order std::set gave the findings, without a tree walk per search.
struct SecretHour {
  Facts facts;
  SmallStrSet secrets;
  SmallStrSet params;
  std::uint32_t batch = 0;
  std::uint32_t denied = 0;
  SmallStrSet bad;  // the profile's bad lists the caller matched
};

struct S3Hour {
  Facts facts;
  std::uint64_t objects = 0;
  std::uint64_t bytes = 0;
  SmallStrSet buckets;
  SmallStrSet bad;
};

// A principal's recent touches: its calls go round a few dozen labels
// (buckets, parameters, secrets): 8 slots missed over 40K times on the bench
// corpus (each a key built and searched), 64 fewer than 4K times.
constexpr int kTouchSlotBits = 6;

/// A principal's entries of recent hours in an hour map, by hour modulo 4: a
/// principal's events hit them without building a key and searching (map
/// nodes do not move). A log file's events are shuffled over a few hours.
template <typename Slot>
using RecentHours = std::array<std::pair<std::int64_t, Slot*>, 4>;

struct PrincipalStats {
  using IpFirst = std::map<std::string, std::int64_t, std::less<>>;
  std::int64_t first_ms = 0;
  IpFirst ip_first;  // source IP -> first use (smallest IPs kept)
  std::map<std::int64_t, std::uint32_t> denials;  // hour -> denied calls
  IpFirst::iterator last_ip;  // the last event's entry in ip_first, valid while has_last_ip
  bool has_last_ip = false;
  // The principal's recent aggregates (see PrivateDataAnalyzer::stats_): its
  // events mostly repeat a few, each found once instead of by key per event.
  RecentHours<SecretHour> secret_hours{};
  RecentHours<S3Hour> s3_hours{};
  std::array<Touch*, std::size_t{1} << kTouchSlotBits> touches{};  // by label and class (find_touch)
};

struct SingleEvent {  // one call worth a finding of its own (exports, shares)
  std::string principal;
  std::string rule;
  std::string resource;
  std::string detail;
  bool external = false;
  Facts facts;
};

// ---------------------------------------------------------------------------

class PrivateDataAnalyzer final : public Analyzer {
 public:
  explicit PrivateDataAnalyzer(const AnalyzerConfig& config)
      : profile_(*config.profile),
        baseline_until_ms_(config.baseline_until_ms ? config.baseline_until_ms : config.profile->baseline_until_ms),
        own_ai_(*config.profile),
        ai_(config.ai ? *config.ai : own_ai_) {}

  void on_event(const EventView& e, FindingSink& /*out*/) override {
    // Invocation-log records too: roles that use models are AI principals.
    if (&ai_ == &own_ai_) own_ai_.learn(e);  // else the scan taught the shared one
    if (e.kind != EventKind::kCloudTrail) return;
    if (e.time_ms) {
      if (!seen_time_ || e.time_ms < first_ms_) first_ms_ = e.time_ms;
      if (!seen_time_ || e.time_ms > last_ms_) last_ms_ = e.time_ms;
      seen_time_ = true;
    }
    const std::string_view principal = principal_of(e);
    if (principal.empty()) return;
    track_principal(e, principal);

    Op op;
    if (!classify(e, op)) return;
    client_ids_ = nullptr;  // found by add_facts, if some aggregate counts the event
    resource_ids(e, op, !profile_.private_resources.empty(), ids_, joined_id_);
    marker_ = ai_marker(e);
    bad_reasons(e, principal);

    // Bursts and exfiltration paths (no profile needed).
    if (op.kind == Kind::kSecret || (op.kind == Kind::kSsm && op.decrypted)) secret_burst(e, op, principal);
    if (op.kind == Kind::kS3 && same_text(e.action, "GetObject")) s3_reads(e, principal);
    if (op.kind == Kind::kDynamoDb && same_text(e.action, "Scan")) dynamo_scans(e, principal);
    if (op.kind == Kind::kDynamoDb && same_text(e.action, "ExportTableToPointInTime"))
      single(e, principal, "private_data.dynamodb_export", ids_.empty() ? std::string() : std::string(ids_.front()), "",
             false);
    if (op.kind == Kind::kRds && op.cls == OpClass::kExpose) snapshot_share(e, principal);
    if (op.kind == Kind::kS3 && same_text(e.action, "PutBucketPolicy")) bucket_policy_share(e, principal);

    // Touches: every resource an AI candidate or flagged caller touched, and
    // every touch of a profile private resource.
    const bool candidate = !marker_.empty() || !e.session_issuer.empty() || ai_.app_principal(principal) ||
                           !bad_.empty();
    for (const auto& id : ids_) {
      const PrivateResource* pr = nullptr;
      for (const auto& r : profile_.private_resources)
        if (covers(r, op.kind, id)) {
          pr = &r;
          break;
        }
      if (!pr && !candidate) continue;
      std::string_view label = pr ? std::string_view(pr->name) : std::string_view(id);
      if (!pr && op.kind == Kind::kS3) label = label.substr(0, label.find('/'));
      touch(e, principal, op, label, pr != nullptr, id);
    }
  }

  void finish(FindingSink& out) override;
  void answer(const Coverage& coverage, std::vector<QuestionAnswer>& out) const override;
  void limits(std::vector<std::string>& out) const override { detail::caps_line(out, overflow_); }

 private:
  std::int64_t baseline_end() const {
    if (baseline_until_ms_) return baseline_until_ms_;
    if (!seen_time_ || last_ms_ - first_ms_ < kHourMs) return 0;
    return first_ms_ + (last_ms_ - first_ms_) / 5;
  }

  void track_principal(const EventView& e, std::string_view principal) {
    stats_ = nullptr;
    PrincipalSlot& slot = principal_slots_[text_slot(principal, kPrincipalSlotBits)];
    if (slot.stats == nullptr || !same_text(slot.principal, principal)) {
      PrincipalStats* found = find_or_add(principals_, principal, kMaxKeys,
                                          [&](PrincipalStats& s) { s.first_ms = e.time_ms; }, kMaxPrincipalKey);
      if (found == nullptr) {
        ++overflow_;
        return;
      }
      slot.principal.assign(principal);
      slot.stats = found;
    }
    PrincipalStats& st = *slot.stats;
    // Principals longer than the map's keys may share an entry: their
    // aggregates are found by their whole key instead.
    if (principal.size() <= kMaxPrincipalKey) stats_ = &st;
    st.first_ms = std::min(st.first_ms, e.time_ms);
    // Addresses and denials are read only for touches of a profile private
    // resource (new_networks, weak_flag): without such resources, not kept.
    if (profile_.private_resources.empty()) return;
    if (!e.source_ip.empty()) {
      auto& ips = st.ip_first;
      auto ip = st.has_last_ip && same_text(st.last_ip->first, e.source_ip) ? st.last_ip : ips.find(e.source_ip);
      if (ip != ips.end()) {
        ip->second = std::min(ip->second, e.time_ms);
        st.last_ip = ip;
        st.has_last_ip = true;
      } else if (ips.size() < kMaxIpsPerPrincipal || e.source_ip < ips.rbegin()->first) {
        // Keep the smallest IPs so the kept set does not depend on input order.
        if (ips.size() >= kMaxIpsPerPrincipal) {
          if (st.has_last_ip && st.last_ip == std::prev(ips.end())) st.has_last_ip = false;
          ips.erase(std::prev(ips.end()));
        }
        ips.emplace(capped(e.source_ip, 64), e.time_ms);
      }
    }
    if (e.outcome == Outcome::kFailure && is_denial(e.error_code)) {
      auto& d = st.denials;
      std::int64_t h = floor_div(e.time_ms, kHourMs);
      if (d.size() < kMaxHoursPerPrincipal || d.count(h)) ++d[h];
    }
  }

  /// f.add(e), with the event's client and action ids found on its first call.
  void add_facts(Facts& f, const EventView& e) {
    if (client_ids_ == nullptr) {
      client_ids_ = &clients_.of(e);
      action_id_ = action_ids_.get(e.service, e.action, [&] {
        Facts::action_name(e, key_);
        return action_index_.try_emplace(key_, static_cast<std::uint32_t>(action_index_.size())).first->second;
      });
    }
    f.add(e, *client_ids_, action_id_);
  }

  void bad_reasons(const EventView& e, std::string_view principal) {
    bad_.clear();
    for (const auto& k : profile_.bad_access_keys)
      if (!e.access_key_id.empty() && wildcard_match(k, e.access_key_id))  // as the access analyzer matches them
        bad_.insert(fmt::format("bad access key {}", k));
    for (const auto& ip : profile_.bad_ips)
      if (ip_in_cidr(e.source_ip, ip)) bad_.insert(fmt::format("bad IP {}", ip));
    for (const auto& p : profile_.bad_principals)
      if (wildcard_match(p, principal) || (!e.actor_arn.empty() && wildcard_match(p, e.actor_arn)))
        bad_.insert(fmt::format("bad principal {}", p));
  }

  /// The touch of (this event's principal, marker_, op, label): one of the
  /// principal's recent touches when their fields match (the key they were
  /// stored under is those fields joined), else found by key and remembered.
  Touch* find_touch(std::string_view principal, const Op& op, std::string_view label, bool is_private) {
    Touch** recent = nullptr;
    if (stats_ != nullptr) {
      // A principal's touches mostly differ in their label (a bucket, a table).
      recent = &stats_->touches[text_slot(label, kTouchSlotBits) ^ static_cast<std::size_t>(op.cls)];
      const Touch* t = *recent;
      if (t != nullptr && t->kind == op.kind && t->cls == op.cls && same_text(t->label, label) &&
          same_text(t->marker, marker_))
        return *recent;
    }
    key_.assign(principal).append(1, '\x1f').append(marker_).append(1, '\x1f');
    key_.append(kind_name(op.kind)).append(1, '\x1f').append(label).append(1, '\x1f').append(kOpNames[static_cast<int>(op.cls)]);
    Touch* found = find_or_add_indexed(touches_, touch_index_, key_, [&](Touch& t) {
      t.principal = capped(principal, 512);
      t.marker = marker_;
      t.kind = op.kind;
      t.cls = op.cls;
      t.label = capped(label, 512);
      t.private_match = is_private;
    });
    if (found != nullptr && recent != nullptr) *recent = found;
    return found;
  }

  void touch(const EventView& e, std::string_view principal, const Op& op, std::string_view label, bool is_private,
             std::string_view id) {
    Touch* found = find_touch(principal, op, label, is_private);
    if (found == nullptr) {
      ++overflow_;
      return;
    }
    Touch& t = *found;
    // Of a touch of a resource the profile does not declare private, only its
    // calls and failures are read (what AI principals touched, in finish()).
    if (!t.private_match) {
      ++t.facts.count;
      if (e.outcome == Outcome::kFailure) ++t.facts.failed;
      return;
    }
    add_facts(t.facts, e);
    if (e.invoked_by.find('.') == std::string_view::npos) t.own_call = true;
    if (id != label) add_capped(t.examples, id, 10);
    for (const auto& b : bad_) add_capped(t.bad, b, 5);
    if (!e.source_ip.empty() && (t.last_ip == nullptr || !same_text(*t.last_ip, e.source_ip))) {
      // The smallest IPs are kept, so the set does not depend on input order.
      t.last_ip = nullptr;
      const std::string_view ip = e.source_ip.substr(0, 64);
      // A binary search: the set is sorted and holds up to 64 addresses, which
      // often share their length (SmallStrSet::find compares them one by one).
      auto it = std::lower_bound(t.ips.begin(), t.ips.end(), ip,
                                 [](const std::string& a, std::string_view b) { return a < b; });
      if (it != t.ips.end() && *it != ip) it = t.ips.end();
      if (it == t.ips.end() && (t.ips.size() < kMaxIpsPerPrincipal || ip < *t.ips.rbegin())) {
        if (t.ips.size() >= kMaxIpsPerPrincipal) t.ips.erase(std::prev(t.ips.end()));
        it = t.ips.emplace(ip).first;
      }
      if (it != t.ips.end()) t.last_ip = &*it;
    }
  }

  /// The entry of (principal, hour h, extra) in `m`, found by key through
  /// `index`; when `recent` (the principal's, see PrincipalStats) holds it, no
  /// key is built. Null when the map is full.
  template <typename Slot>
  Slot* hour_slot(std::map<std::string, Slot, std::less<>>& m, KeyIndex<Slot>& index, RecentHours<Slot>* recent,
                  std::string_view principal, std::int64_t h, std::string_view extra) {
    std::pair<std::int64_t, Slot*>* cached = nullptr;
    if (recent != nullptr) {
      cached = &(*recent)[static_cast<std::uint64_t>(h) % recent->size()];
      if (cached->second != nullptr && cached->first == h) return cached->second;
    }
    key_.assign(principal).append(1, '\x1f');
    fmt::format_to(std::back_inserter(key_), "{}", h);
    if (!extra.empty()) key_.append(1, '\x1f').append(extra);
    Slot* slot = find_or_add_indexed(m, index, key_, [](Slot&) {});
    if (slot == nullptr) {
      ++overflow_;
      return nullptr;
    }
    if (cached != nullptr) *cached = {h, slot};
    return slot;
  }

  void secret_burst(const EventView& e, const Op& op, std::string_view principal) {
    SecretHour* s = hour_slot(secret_hours_, secret_index_, stats_ ? &stats_->secret_hours : nullptr, principal,
                              floor_div(e.time_ms, kHourMs), "");
    if (!s) return;
    add_facts(s->facts, e);
    if (e.outcome == Outcome::kFailure) {
      if (is_denial(e.error_code)) ++s->denied;
    } else {
      for (const auto& id : ids_) add_capped(op.kind == Kind::kSecret ? s->secrets : s->params, id, 64);
    }
    if (e.action == "BatchGetSecretValue") ++s->batch;
    for (const auto& b : bad_) add_capped(s->bad, b, 5);
  }

  void s3_reads(const EventView& e, std::string_view principal) {
    S3Hour* s =
        hour_slot(s3_hours_, s3_index_, stats_ ? &stats_->s3_hours : nullptr, principal, floor_div(e.time_ms, kHourMs), "");
    if (!s) return;
    add_facts(s->facts, e);
    ++s->objects;
    for (const auto& b : bad_) add_capped(s->bad, b, 5);
    dom::element out;  // looked up once, read as an integer or else as a double
    if (e.additional_event_data()["bytesTransferredOut"sv].get(out) == simdjson::SUCCESS) {
      std::int64_t bytes = 0;
      double d = 0;
      if (out.get_int64().get(bytes) == simdjson::SUCCESS && bytes > 0) s->bytes += static_cast<std::uint64_t>(bytes);
      else if (out.get_double().get(d) == simdjson::SUCCESS && d > 0) s->bytes += static_cast<std::uint64_t>(d);
    }
    if (!ids_.empty()) add_capped(s->buckets, ids_.front().substr(0, ids_.front().find('/')), 10);
  }

  void dynamo_scans(const EventView& e, std::string_view principal) {
    std::string_view table = ids_.empty() ? std::string_view() : ids_.front();
    // Scans are rare: their hours are found by key.
    Facts* f = hour_slot<Facts>(scan_hours_, scan_index_, nullptr, principal, floor_div(e.time_ms, kHourMs), table);
    if (f) add_facts(*f, e);
  }

  void single(const EventView& e, std::string_view principal, std::string_view rule, std::string resource,
              std::string detail, bool external) {
    if (singles_.size() >= kMaxKeys) {
      ++overflow_;
      return;
    }
    SingleEvent s;
    s.principal = capped(principal, 512);
    s.rule = std::string(rule);
    s.resource = std::move(resource);
    s.detail = std::move(detail);
    s.external = external;
    add_facts(s.facts, e);
    singles_.push_back(std::move(s));
  }

  void snapshot_share(const EventView& e, std::string_view principal) {
    auto rp = e.request_parameters();
    if (!iequals(jstr(rp["attributeName"]), "restore")) return;
    dom::array values;
    if (rp["valuesToAdd"].get_array().get(values) != simdjson::SUCCESS) return;
    StrSet outside;
    bool is_public = false;
    for (dom::element v : values) {
      std::string_view acct;
      if (v.get_string().get(acct) != simdjson::SUCCESS) continue;
      if (iequals(acct, "all")) {
        is_public = true;
        continue;
      }
      if (acct == e.account) continue;
      bool known = false;
      for (const auto& a : profile_.accounts) known = known || a == acct;
      if (!known) add_capped(outside, acct, 10);
    }
    if (!is_public && outside.empty()) return;
    std::string snap = std::string(jstr(rp["dBSnapshotIdentifier"]).substr(0, 256));
    if (snap.empty()) snap = std::string(jstr(rp["dBClusterSnapshotIdentifier"]).substr(0, 256));
    std::string detail = is_public ? "public (restore=all)" : fmt::format("accounts {}", join(outside));
    if (is_public && !outside.empty()) detail += fmt::format(" and accounts {}", join(outside));
    single(e, principal, "private_data.snapshot_shared_external", std::move(snap), std::move(detail), true);
  }

  /// A bucket policy that lets another account in: Allow statements whose
  /// Principal.AWS names an account (its root, a role or user ARN, or the bare
  /// id) other than the bucket's and the profile's. "*" is the public-policy
  /// rules'; conditions are not judged (an account named is access granted).
  void bucket_policy_share(const EventView& e, std::string_view principal) {
    auto rp = e.request_parameters();
    dom::element policy;
    if (rp["bucketPolicy"].get(policy) != simdjson::SUCCESS) return;
    dom::parser local;
    std::string_view text;
    if (policy.get_string().get(text) == simdjson::SUCCESS) {  // some exports keep the document as a string
      if (text.size() > 64 * 1024 || local.parse(text).get(policy) != simdjson::SUCCESS) return;
    }
    dom::array statements;
    StrSet outside, actions;
    auto account_of = [](std::string_view p) -> std::string_view {
      if (p.size() == 12 && std::all_of(p.begin(), p.end(), [](char c) { return c >= '0' && c <= '9'; })) return p;
      if (!p.starts_with("arn:")) return {};
      // arn:PARTITION:iam::ACCOUNT:...
      std::size_t pos = 0;
      for (int i = 0; i < 4 && pos != std::string_view::npos; ++i) pos = p.find(':', pos + 1);
      if (pos == std::string_view::npos) return {};
      const std::size_t end = p.find(':', pos + 1);
      return end == std::string_view::npos ? std::string_view() : p.substr(pos + 1, end - pos - 1);
    };
    auto statement = [&](dom::element st) {
      std::string_view effect;
      if (st["Effect"].get_string().get(effect) != simdjson::SUCCESS || effect != "Allow") return;
      dom::element aws;
      if (st["Principal"]["AWS"].get(aws) != simdjson::SUCCESS) return;
      std::vector<std::string_view> names;
      std::string_view one_name;
      dom::array many;
      if (aws.get_string().get(one_name) == simdjson::SUCCESS) names.push_back(one_name);
      else if (aws.get_array().get(many) == simdjson::SUCCESS)
        for (dom::element x : many) {
          std::string_view v;
          if (x.get_string().get(v) == simdjson::SUCCESS && names.size() < 64) names.push_back(v);
        }
      bool any = false;
      for (std::string_view n : names) {
        const std::string_view acct = account_of(n);
        if (acct.size() != 12 || acct == e.account) continue;
        bool known = false;
        for (const auto& a : profile_.accounts) known = known || a == acct;
        if (known) continue;
        add_capped(outside, acct, 10);
        any = true;
      }
      if (!any) return;
      std::string_view act;
      dom::array acts;
      if (st["Action"].get_string().get(act) == simdjson::SUCCESS) add_capped(actions, act.substr(0, 64), 10);
      else if (st["Action"].get_array().get(acts) == simdjson::SUCCESS)
        for (dom::element x : acts)
          if (x.get_string().get(act) == simdjson::SUCCESS) add_capped(actions, act.substr(0, 64), 10);
    };
    if (policy["Statement"].get_array().get(statements) == simdjson::SUCCESS) {
      std::size_t n = 0;
      for (dom::element st : statements)
        if (n++ < 100) statement(st);
    } else if (dom::element only; policy["Statement"].get(only) == simdjson::SUCCESS && only.is_object()) {
      statement(only);
    }
    if (outside.empty()) return;
    std::string bucket = std::string(jstr(rp["bucketName"]).substr(0, 256));
    std::string detail = fmt::format("accounts {}", join(outside));
    if (!actions.empty()) detail += fmt::format(" ({})", join(actions));
    single(e, principal, "private_data.bucket_shared_external", std::move(bucket), std::move(detail), true);
  }

  void emit(Finding f, FindingSink& out) {
    f.element = Element::kPrivateData;
    f.tags.owasp_llm.push_back("LLM02:2025");
    f.finalize();
    if (f.severity >= Severity::kMedium) rules_medium_.insert(f.rule);
    rules_.insert(f.rule);
    out.emit(std::move(f));
  }

  /// Weak "flagged" signal standing in for IAM Access Analyzer: AccessDenied
  /// bursts, or no activity during the baseline. Empty when neither holds.
  /// The source IPs of `ips` that are new for `principal`: outside the
  /// profile's known CIDRs when it has some, else first used after the
  /// baseline by a principal active before it. AWS service names are skipped.
  StrSet new_networks(const std::string& principal, const SmallStrSet& ips, std::int64_t baseline) const {
    StrSet out;
    const bool cidrs = profile_.loaded && !profile_.known_cidrs.empty();
    auto it = principals_.find(principal);
    for (const auto& ip : ips) {
      if (ip.find_first_of("ghijklmnopqrstuvwxyzGHIJKLMNOPQRSTUVWXYZ") != std::string::npos) continue;  // a DNS name
      if (cidrs) {
        bool known = false;
        for (const auto& c : profile_.known_cidrs) known = known || ip_in_cidr(ip, c);
        if (!known) out.insert(ip);
      } else if (baseline && it != principals_.end() && it->second.first_ms <= baseline) {
        auto f = it->second.ip_first.find(ip);
        if (f != it->second.ip_first.end() && f->second > baseline) out.insert(ip);
      }
    }
    return out;
  }

  std::string weak_flag(const std::string& principal, std::int64_t baseline) const {
    auto it = principals_.find(principal);
    if (it == principals_.end()) return {};
    for (const auto& [h, n] : it->second.denials)
      if (n >= kDenialBurst) return fmt::format("{} AccessDenied errors within one hour", n);
    if (baseline && it->second.first_ms > baseline)
      return fmt::format("no activity before the baseline end ({})", format_time(baseline));
    return {};
  }

  bool is_ai(const std::string& principal, const std::string& marker) const {
    return !ai_.reason(principal, marker).empty();
  }

  void emit_touches(std::int64_t baseline, FindingSink& out);
  void emit_bursts(std::int64_t baseline, FindingSink& out);

  const Profile& profile_;
  std::int64_t baseline_until_ms_ = 0;
  AiPrincipals own_ai_;      ///< used when the config brings no shared one
  const AiPrincipals& ai_;  ///< config.ai or own_ai_
  // Only searched: hashed (ARNs share long prefixes, slow to order).
  using PrincipalMap = std::unordered_map<std::string, PrincipalStats, TextHash, std::equal_to<>>;
  PrincipalMap principals_;
  // A principal's entry in principals_, in a slot by text_slot of the principal
  // (no hash of the whole ARN per event): the principals of a log interleave, so
  // a last-entry cache missed on most events. Map values do not move. 256
  // slots: with 64, principals that shared a slot took turns missing in it.
  struct PrincipalSlot {
    std::string principal;
    PrincipalStats* stats = nullptr;
  };
  static constexpr int kPrincipalSlotBits = 8;
  std::array<PrincipalSlot, std::size_t{1} << kPrincipalSlotBits> principal_slots_;
  std::map<std::string, Touch, std::less<>> touches_;
  std::map<std::string, SecretHour, std::less<>> secret_hours_;
  std::map<std::string, S3Hour, std::less<>> s3_hours_;
  std::map<std::string, Facts, std::less<>> scan_hours_;
  KeyIndex<SecretHour> secret_index_;
  KeyIndex<S3Hour> s3_index_;
  KeyIndex<Facts> scan_index_;
  KeyIndex<Touch> touch_index_;
  std::vector<SingleEvent> singles_;
  std::vector<std::string_view> ids_;  // this event's resource ids (resource_ids())
  std::string joined_id_;             // the "bucket/key" one of them
  StrSet bad_;
  std::string key_;
  std::string_view marker_;  // this event's ai_marker()
  // This event's principal's entry in principals_ (null: none, or a key cut
  // to kMaxPrincipalKey), which remembers the principal's recent aggregates.
  PrincipalStats* stats_ = nullptr;
  ClientIds clients_;
  const ClientIds::Ids* client_ids_ = nullptr;  // this event's ids in clients_ (null: not found yet)
  // Ids of the "service:Action" names of classified calls (a fixed few: no
  // cap), for Facts::add; the recent ones found without building the name.
  RecentActionIds<6> action_ids_;
  std::unordered_map<std::string, std::uint32_t, TextHash, std::equal_to<>> action_index_;
  std::uint32_t action_id_ = 0;  // this event's
  std::uint64_t overflow_ = 0;
  bool seen_time_ = false;
  std::int64_t first_ms_ = 0, last_ms_ = 0;

  // Results of finish(), for answer().
  StrSet rules_;
  StrSet rules_medium_;
  StrSet ai_seen_;       // "kind:label" AI principals touched (successfully)
  StrSet ai_private_;    // private labels AI principals touched
  std::set<Kind> private_kinds_;        // kinds the profile declares
};

void PrivateDataAnalyzer::finish(FindingSink& out) {
  if (&ai_ == &own_ai_) own_ai_.resolve();
  for (const auto& pr : profile_.private_resources)
    for (std::size_t k = 0; k < kKindNames.size(); ++k)
      if (iequals(pr.kind, kKindNames[k])) private_kinds_.insert(static_cast<Kind>(k));
  for (auto& [key, t] : touches_) t.facts.settle();
  for (auto& [key, s] : secret_hours_) s.facts.settle();
  for (auto& [key, s] : s3_hours_) s.facts.settle();
  for (auto& [key, f] : scan_hours_) f.settle();
  for (auto& s : singles_) s.facts.settle();
  const std::int64_t baseline = baseline_end();
  emit_touches(baseline, out);
  emit_bursts(baseline, out);
}

void PrivateDataAnalyzer::emit_touches(std::int64_t baseline, FindingSink& out) {
  for (const auto& [key, t] : touches_) {
    const std::string why_ai = ai_.reason(t.principal, t.marker);
    const bool ok = t.facts.count > t.facts.failed;
    if (!why_ai.empty() && ok) {
      ai_seen_.insert(fmt::format("{}:{}", kind_name(t.kind), t.label));
      if (t.private_match) ai_private_.insert(fmt::format("{}:{}", kind_name(t.kind), t.label));
    }
    if (!t.private_match) continue;
    const std::string_view op = kOpNames[static_cast<int>(t.cls)];
    const bool change = t.cls != OpClass::kRead;
    const std::string examples = t.examples.empty() ? "" : fmt::format(" ({})", join(t.examples, 5));
    const std::string what = fmt::format("{} {}{}", kind_name(t.kind), t.label, examples);

    Finding f;
    t.facts.fill(f);
    f.principal = t.principal;
    f.details.emplace_back("resource_kind", std::string(kind_name(t.kind)));
    f.details.emplace_back("resource", t.label);
    f.details.emplace_back("operation", std::string(op));
    f.details.emplace_back("actions", counts(t.facts.actions));
    if (!t.examples.empty()) f.details.emplace_back("examples", join(t.examples, 10));
    if (t.facts.failed) f.details.emplace_back("failed", std::to_string(t.facts.failed));
    f.tags.attack.push_back(change ? "T1565.001" : (t.kind == Kind::kSecret || t.kind == Kind::kSsm ? "T1555.006" : "T1530"));
    const std::string failed_note = ok ? "" : fmt::format("; every call failed ({})", join(t.facts.errors));

    if (!t.bad.empty()) {
      f.rule = change ? "private_data.changed_by_flagged_principal" : "private_data.read_by_flagged_principal";
      f.severity = ok ? (change ? Severity::kCritical : Severity::kHigh) : Severity::kMedium;
      f.title = change ? "Private data changed by a flagged principal" : "Private data read by a flagged principal";
      f.summary = fmt::format("{} ({}) {} private {}: {}{}", t.principal, join(t.bad, 3), op, what,
                              counts(t.facts.actions), failed_note);
      f.details.emplace_back("flagged", join(t.bad, 5));
      emit(std::move(f), out);
    } else if (!why_ai.empty()) {
      const AppPrincipal* ap = ai_.app_principal(t.principal);
      bool designed = ap && !ap->allowed_actions.empty();
      if (designed) {
        for (const auto& [action, n] : t.facts.actions) {
          bool allowed = false;
          for (const auto& pattern : ap->allowed_actions) allowed = allowed || wildcard_match(pattern, action);
          designed = designed && allowed;
        }
      }
      if (designed) {
        f.rule = "private_data.designed_access_by_ai";
        f.severity = Severity::kLow;
        f.title = "AI application principal used private data within its allowed actions";
      } else {
        f.rule = change ? "private_data.changed_by_ai_principal" : "private_data.read_by_ai_principal";
        f.severity = change ? Severity::kHigh : Severity::kMedium;
        if (!ok) f.severity = lower(f.severity);
        f.title = change ? "Private data changed by an AI application principal"
                         : "Private data read by an AI application principal";
      }
      f.summary = fmt::format("{} ({}) {} private {}: {}{}", t.principal, why_ai, op, what, counts(t.facts.actions),
                              failed_note);
      f.details.emplace_back("ai_link", why_ai);
      f.tags.atlas.push_back("AML.T0057");
      emit(std::move(f), out);
    } else if (StrSet fresh = new_networks(t.principal, t.ips, baseline); !fresh.empty()) {
      // A declared private resource used from a network the principal (or the
      // company) does not use: the signature of a stolen credential.
      const bool by_cidrs = profile_.loaded && !profile_.known_cidrs.empty();
      f.rule = change ? "private_data.changed_by_flagged_principal" : "private_data.read_by_flagged_principal";
      f.severity = ok ? (by_cidrs ? (change ? Severity::kCritical : Severity::kHigh) : (change ? Severity::kHigh : Severity::kMedium))
                      : Severity::kLow;
      f.title = change ? "Private data changed from an unknown network" : "Private data read from an unknown network";
      const std::string basis = by_cidrs ? "outside the profile's known CIDRs"
                                         : fmt::format("first used by this principal after the baseline ({})",
                                                       format_time(baseline));
      f.summary = fmt::format("{} {} private {} from {} ({}): {}{}", t.principal, op, what, join(fresh, 5), basis,
                              counts(t.facts.actions), failed_note);
      f.details.emplace_back("flagged", fmt::format("source IP {}", basis));
      f.details.emplace_back("new_ips", join(fresh, 10));
      emit(std::move(f), out);
    } else if (std::string weak = t.own_call ? weak_flag(t.principal, baseline) : std::string(); !weak.empty()) {
      // (A service working on its schedule has no baseline of its own: its first run of the
      // day is not a risk signal; bad lists and new networks above still apply.)
      f.rule = change ? "private_data.changed_by_flagged_principal" : "private_data.read_by_flagged_principal";
      f.severity = ok ? Severity::kMedium : Severity::kLow;
      f.title = change ? "Private data changed by a principal with a weak risk signal"
                       : "Private data read by a principal with a weak risk signal";
      f.summary = fmt::format("{} (weak signal: {}) {} private {}: {}{}", t.principal, weak, op, what,
                              counts(t.facts.actions), failed_note);
      f.details.emplace_back("flagged", fmt::format("weak signal: {}", weak));
      emit(std::move(f), out);
    } else if (t.cls == OpClass::kExpose) {
      f.rule = "private_data.exposure_change";
      f.severity = ok ? Severity::kMedium : Severity::kLow;
      f.title = "Access to a private resource changed";
      f.summary = fmt::format("{} changed access to private {}: {}{}", t.principal, what, counts(t.facts.actions),
                              failed_note);
      emit(std::move(f), out);
    }
  }
}

void PrivateDataAnalyzer::emit_bursts(std::int64_t baseline, FindingSink& out) {
  auto principal_of_key = [](const std::string& key) { return key.substr(0, key.find('\x1f')); };
  // Strong: AI principal or on the profile's bad list. Weak: new since the baseline.
  auto risky = [&](const std::string& principal, bool* strong = nullptr) -> std::string {
    if (strong) *strong = true;
    if (is_ai(principal, "")) return "AI application principal";
    for (const auto& p : profile_.bad_principals)
      if (wildcard_match(p, principal)) return "on the profile's bad list";
    if (strong) *strong = false;
    auto it = principals_.find(principal);
    if (baseline && it != principals_.end() && it->second.first_ms > baseline) return "no activity in the baseline";
    return {};
  };

  for (const auto& [key, s] : secret_hours_) {
    const bool distinct = s.secrets.size() >= kSecretDistinct;
    const bool params = s.params.size() >= kParamDistinct;
    const bool batch = s.batch >= kBatchSecretCalls;
    const bool denied = s.denied >= kSecretDenied;
    if (!distinct && !params && !batch && !denied) continue;
    const std::string principal = principal_of_key(key);
    bool strong = false;
    std::string risk = s.bad.empty() ? risky(principal, &strong) : join(s.bad, 3);
    strong = strong || !s.bad.empty();
    Finding f;
    s.facts.fill(f);
    f.principal = principal;
    f.rule = "private_data.secret_retrieval_burst";
    f.severity = strong ? Severity::kHigh : Severity::kMedium;
    if (!distinct && !params && !batch) f.severity = Severity::kMedium;  // denied only: probing, not retrieval
    f.title = "Burst of secret retrieval";
    std::vector<std::string> parts;
    if (!s.secrets.empty()) parts.push_back(fmt::format("{} distinct secrets", s.secrets.size()));
    if (!s.params.empty()) parts.push_back(fmt::format("{} distinct decrypted SSM parameters", s.params.size()));
    if (s.batch) parts.push_back(fmt::format("{} BatchGetSecretValue calls", s.batch));
    if (s.denied) parts.push_back(fmt::format("{} denied", s.denied));
    f.summary = fmt::format("{}{} retrieved secrets within one hour: {}", principal,
                            risk.empty() ? "" : fmt::format(" ({})", risk), fmt::join(parts, ", "));
    if (!s.secrets.empty()) f.details.emplace_back("secrets", join(s.secrets, 20));
    if (!s.params.empty()) f.details.emplace_back("parameters", join(s.params, 20));
    f.details.emplace_back("actions", counts(s.facts.actions));
    if (!risk.empty()) f.details.emplace_back("risk", risk);
    f.tags.attack.push_back("T1555.006");
    emit(std::move(f), out);
  }

  for (const auto& [key, s] : s3_hours_) {
    if (s.objects < kS3Objects && s.bytes < kS3Bytes) continue;
    const std::string principal = principal_of_key(key);
    const std::string risk = s.bad.empty() ? risky(principal) : join(s.bad, 3);
    Finding f;
    s.facts.fill(f);
    f.principal = principal;
    f.rule = "private_data.bulk_s3_read";
    f.severity = s.bad.empty() ? Severity::kMedium : Severity::kHigh;
    f.title = "Bulk S3 object reads";
    f.summary = fmt::format("{}{} read {} objects ({:.1f} MiB out) within one hour from {}", principal,
                            risk.empty() ? "" : fmt::format(" ({})", risk), s.objects,
                            static_cast<double>(s.bytes) / (1024.0 * 1024.0), join(s.buckets));
    f.details.emplace_back("objects", std::to_string(s.objects));
    f.details.emplace_back("bytes_out", std::to_string(s.bytes));
    f.details.emplace_back("buckets", join(s.buckets));
    if (!risk.empty()) f.details.emplace_back("risk", risk);
    f.tags.attack.push_back("T1530");
    emit(std::move(f), out);
  }

  for (const auto& [key, s] : scan_hours_) {
    if (s.count - s.failed < kScans) continue;
    const std::string principal = principal_of_key(key);
    const std::string table = key.substr(key.rfind('\x1f') + 1);
    const std::string risk = risky(principal);
    Finding f;
    s.fill(f);
    f.principal = principal;
    f.rule = "private_data.dynamodb_bulk_read";
    f.severity = risk.empty() ? Severity::kLow : Severity::kMedium;
    f.title = "Bulk DynamoDB scans";
    f.summary = fmt::format("{}{} ran {} Scan calls on table {} within one hour", principal,
                            risk.empty() ? "" : fmt::format(" ({})", risk), s.count - s.failed, table);
    f.details.emplace_back("table", table);
    if (!risk.empty()) f.details.emplace_back("risk", risk);
    f.tags.attack.push_back("T1530");
    emit(std::move(f), out);
  }

  for (const auto& s : singles_) {
    const bool ok = s.facts.count > s.facts.failed;
    const std::string risk = risky(s.principal);
    Finding f;
    s.facts.fill(f);
    f.principal = s.principal;
    f.rule = s.rule;
    if (s.rule == "private_data.bucket_shared_external") {
      f.severity = ok ? Severity::kHigh : Severity::kMedium;
      f.title = "S3 bucket policy grants another account access";
      f.summary = fmt::format("{} set a policy on bucket {} that allows {}{}", s.principal, s.resource, s.detail,
                              ok ? "" : " (the call failed)");
      f.details.emplace_back("granted_to", s.detail);
      f.tags.attack.push_back("T1537");
    } else if (s.rule == "private_data.snapshot_shared_external") {
      f.severity = ok ? Severity::kHigh : Severity::kMedium;
      f.title = "RDS snapshot shared outside the account";
      f.summary = fmt::format("{} shared snapshot {} with {}{}", s.principal, s.resource, s.detail,
                              ok ? "" : " (the call failed)");
      f.details.emplace_back("shared_with", s.detail);
      f.tags.attack.push_back("T1537");
    } else {
      f.severity = risk.empty() ? Severity::kLow : Severity::kMedium;
      if (!ok) f.severity = Severity::kLow;
      f.title = "DynamoDB table exported";
      f.summary = fmt::format("{}{} exported table {} (ExportTableToPointInTime){}", s.principal,
                              risk.empty() ? "" : fmt::format(" ({})", risk), s.resource, ok ? "" : " (failed)");
      if (!risk.empty()) f.details.emplace_back("risk", risk);
      f.tags.attack.push_back("T1530");
    }
    if (!s.resource.empty()) f.details.emplace_back("resource", s.resource);
    emit(std::move(f), out);
  }
}

void PrivateDataAnalyzer::answer(const Coverage& coverage, std::vector<QuestionAnswer>& out) const {
  const bool have_private = profile_.loaded && !profile_.private_resources.empty();
  std::string gaps;
  if (coverage.s3_data_events == 0) gaps += " No S3 data events: object reads and writes are invisible.";
  if (coverage.data_events == coverage.s3_data_events + coverage.bedrock_data_events + coverage.lambda_data_events)
    gaps += " No DynamoDB data events seen: item reads and writes may be invisible.";
  const std::string weak_note =
      " Flagged principals are the profile's bad lists, callers from a network outside the profile's known CIDRs (or "
      "new for the principal since the baseline), plus a weak signal standing in for IAM Access Analyzer: "
      "principals with AccessDenied bursts or with no activity in the baseline.";

  auto hit = [&](std::initializer_list<std::string_view> rules) {
    StrSet h;
    for (auto r : rules)
      if (rules_medium_.count(std::string(r))) h.insert(std::string(r));
    return h;
  };

  {
    QuestionAnswer q;
    q.id = "private_data.reach";
    q.question = "What private or confidential data do generative AI resources have access to?";
    q.rules = {"private_data.read_by_ai_principal", "private_data.changed_by_ai_principal",
               "private_data.designed_access_by_ai", "private_data.secret_in_request_parameters"};
    if (coverage.cloudtrail_events == 0) {
      q.answer = Answer::kCannotTell;
      q.explanation = "No CloudTrail events: what AI principals touched cannot be seen; review their IAM policies.";
    } else if (!have_private) {
      q.answer = Answer::kCannotTell;
      q.explanation = fmt::format(
          "Which data is private is unknown without a profile (private_resources) or a review of the AI roles' IAM "
          "policies. {}",
          ai_seen_.empty() ? std::string("No AI application principal was seen touching S3, DynamoDB, RDS, Secrets "
                                         "Manager or SSM.")
                           : fmt::format("AI application principals were seen touching: {}.", join(ai_seen_, 20)));
    } else if (!ai_private_.empty()) {
      q.answer = Answer::kYes;
      q.explanation = fmt::format("AI application principals touched private resources: {}.{}", join(ai_private_, 20),
                                  ai_seen_.size() > ai_private_.size()
                                      ? fmt::format(" All resources they touched: {}.", join(ai_seen_, 20))
                                      : std::string());
    } else {
      q.answer = Answer::kNotFound;
      q.explanation = fmt::format(
          "No AI application principal was seen touching the profile's private resources{}. Their reach is defined "
          "by IAM policies: review them.{}",
          ai_seen_.empty() ? std::string() : fmt::format(" (they touched: {})", join(ai_seen_, 10)), gaps);
    }
    out.push_back(std::move(q));
  }

  auto data_answer = [&](std::string id, std::string question, std::vector<std::string> rules,
                         StrSet hits, bool needs_data_events) {
    QuestionAnswer q;
    q.id = std::move(id);
    q.question = std::move(question);
    q.rules = std::move(rules);
    if (coverage.cloudtrail_events == 0) {
      q.answer = Answer::kCannotTell;
      q.explanation = "No CloudTrail events.";
    } else if (!hits.empty()) {
      q.answer = Answer::kYes;
      q.explanation = fmt::format("Findings: {}.{}", join(hits), weak_note);
    } else if (!have_private) {
      q.answer = Answer::kNotFound;
      q.explanation = fmt::format(
          "No secret-retrieval burst, bulk read, export or external snapshot share. Without a profile listing "
          "private_resources, reads and changes of specific private data cannot be judged.{}",
          gaps);
    } else if (needs_data_events && !gaps.empty()) {
      q.answer = Answer::kNotFound;
      q.explanation = fmt::format("Nothing found in the management events.{}{}", gaps, weak_note);
    } else {
      q.answer = Answer::kNo;
      q.explanation = fmt::format("No AI or flagged principal touched the profile's private resources.{}", weak_note);
    }
    out.push_back(std::move(q));
  };

  data_answer("private_data.accessed", "Was private data accessed by AI application or unauthorized principals?",
              {"private_data.read_by_ai_principal", "private_data.read_by_flagged_principal",
               "private_data.secret_retrieval_burst", "private_data.bulk_s3_read", "private_data.dynamodb_bulk_read",
               "private_data.dynamodb_export", "private_data.snapshot_shared_external", "private_data.bucket_shared_external"},
              hit({"private_data.read_by_ai_principal", "private_data.read_by_flagged_principal",
                   "private_data.secret_retrieval_burst", "private_data.bulk_s3_read",
                   "private_data.dynamodb_bulk_read", "private_data.dynamodb_export",
                   "private_data.snapshot_shared_external", "private_data.bucket_shared_external"}),
              true);

  {
    QuestionAnswer q;
    q.id = "private_data.leaked_in_responses";
    q.question = "Did model responses disclose secrets or personal data?";
    q.rules = {"private_data.secret_in_response", "private_data.pii_in_response", "access.leaked_credential_used"};
    if (coverage.invocation_records == 0) {
      q.answer = Answer::kCannotTell;
      q.explanation =
          "No model-invocation logs: invocation logging is off by default, so what the models returned cannot be "
          "seen.";
    } else if (coverage.invocation_with_text == 0) {
      q.answer = Answer::kCannotTell;
      q.explanation = "Invocation logs carry no prompt or response text (text delivery off): responses cannot be checked.";
    } else {
      // Not "no": pattern matching cannot prove the absence of a leak
      // (paraphrased, partial or encoded secrets pass), and it depends on the
      // invocation-content analysis having run.
      q.answer = Answer::kNotFound;
      q.explanation = fmt::format(
          "{} invocation records carry response text; the invocation-content analysis found no secret or personal "
          "data in them (pattern matching: paraphrased, partial or encoded data can pass unnoticed).",
          coverage.invocation_with_text);
    }
    out.push_back(std::move(q));
  }

  data_answer("private_data.changed", "Was private data changed or tampered with?",
              {"private_data.changed_by_ai_principal", "private_data.changed_by_flagged_principal",
               "private_data.exposure_change", "private_data.snapshot_shared_external", "private_data.bucket_shared_external"},
              hit({"private_data.changed_by_ai_principal", "private_data.changed_by_flagged_principal",
                   "private_data.exposure_change", "private_data.snapshot_shared_external", "private_data.bucket_shared_external"}),
              true);
}

}  // namespace

std::unique_ptr<Analyzer> make_private_data(const AnalyzerConfig& config) {
  return std::make_unique<PrivateDataAnalyzer>(config);
}

}  // namespace aiir
