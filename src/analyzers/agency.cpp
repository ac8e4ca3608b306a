// SPDX-License-Identifier: Apache-2.0
// Agency analyzer: actions taken by or through AI services (invokedBy, app roles, agent Lambdas).
#include <aiir/analyzer.h>
#include <aiir/event.h>
#include <aiir/finding.h>
#include <aiir/profile.h>
#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "analyzers/ai_principals.h"
#include "util/hash.h"
#include "analyzers/common.h"
#include "analyzers/factories.h"
#include "analyzers/tool_calls.h"
#include "util/time.h"

namespace aiir {
namespace {

namespace dom = simdjson::dom;

using namespace detail;  // NOLINT: the shared analyzer helpers (common.h, ai_principals.h)

// ---------------------------------------------------------------------------
// Action families.

enum class Family : std::uint8_t {
  kOther,
  kEmail,
  kSnsPublish,
  kLambdaInvoke,
  kLambdaChange,
  kIamChange,
  kComputeStart,
  kNetworkChange,
  kS3Write,
  kSecretRead,
};

struct FamilyInfo {
  std::string_view id;
  std::string_view rule;
  std::string_view title;
  Severity severity;  // without a profile verdict
  std::string_view attack;
};

constexpr FamilyInfo kFamilies[] = {
    {"other", "", "", Severity::kInfo, ""},
    {"email", "agency.email_sent_by_ai", "Email sent by an AI application principal", Severity::kMedium, "T1496.004"},
    {"sns_publish", "agency.sns_publish_by_ai", "SNS messages published by an AI application principal",
     Severity::kMedium, "T1496.004"},
    {"lambda_invoke", "agency.lambda_invoke_by_ai", "Lambda functions invoked by or through an AI service",
     Severity::kLow, "T1648"},
    {"lambda_change", "agency.lambda_change_by_ai", "Lambda code or configuration changed by an AI application principal",
     Severity::kHigh, "T1648"},
    {"iam_change", "agency.iam_change_by_ai", "IAM changed by an AI application principal", Severity::kHigh,
     "T1098"},
    {"compute_start", "agency.compute_start_by_ai", "Compute started by an AI application principal",
     Severity::kHigh, "T1578.002"},
    {"network_change", "agency.network_change_by_ai", "Network exposure changed by an AI application principal",
     Severity::kHigh, "T1562.007"},
    {"s3_write", "agency.s3_write_by_ai", "S3 writes or deletes by an AI application principal", Severity::kLow,
     "T1565.001"},
    {"secret_read", "agency.secret_read_by_ai", "Secrets read by an AI application principal", Severity::kLow,
     "T1555.006"},
};

const FamilyInfo& info(Family f) { return kFamilies[static_cast<std::size_t>(f)]; }

/// "UpdateFunctionCode20150331v2" -> "UpdateFunctionCode" (Lambda's dated API names).
std::string_view strip_api_date(std::string_view action) noexcept {
  std::size_t i = action.size();
  if (i >= 2 && action[i - 2] == 'v' && action[i - 1] >= '0' && action[i - 1] <= '9') i -= 2;
  if (i >= 8) {
    std::string_view tail = action.substr(i - 8, 8);
    if (tail.starts_with("20") && std::all_of(tail.begin(), tail.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return action.substr(0, i - 8);
  }
  return action;
}

/// "ses.amazonaws.com" -> "ses" (the IAM service prefix for allowed_actions).
std::string_view service_prefix(std::string_view source) noexcept {
  std::size_t dot = source.find('.');
  std::string_view s = dot == std::string_view::npos ? source : source.substr(0, dot);
  if (s == "monitoring") return "cloudwatch";
  return s;
}

/// The IAM action name of a CloudTrail eventName (Lambda's Invoke data event is lambda:InvokeFunction).
/// The IAM action a CloudTrail event name needs, where they differ (a profile's
/// allowed_actions are written as IAM actions: s3:ListBucket allows ListObjects).
std::string_view iam_action(std::string_view prefix, std::string_view action) noexcept {
  action = strip_api_date(action);
  if (prefix == "lambda" && action == "Invoke") return "InvokeFunction";
  if (prefix == "s3") {
    if (action == "DeleteObjects") return "DeleteObject";
    if (action == "ListObjects" || action == "ListObjectsV2" || action == "HeadBucket") return "ListBucket";
    if (action == "ListObjectVersions") return "ListBucketVersions";
    if (action == "HeadObject") return "GetObject";
  }
  if (prefix == "bedrock") {
    if (action == "Converse") return "InvokeModel";
    if (action == "ConverseStream") return "InvokeModelWithResponseStream";
  }
  return action;
}

bool is_read_name(std::string_view a) noexcept {
  return a.starts_with("Get") || a.starts_with("List") || a.starts_with("Describe") || a.starts_with("Generate") ||
         a.starts_with("Simulate") || a.starts_with("Head") || a.starts_with("Lookup") || a.starts_with("Search") ||
         a.starts_with("Check");
}

Family family_of(const EventView& e) noexcept {
  std::string_view prefix = service_prefix(e.service);
  std::string_view a = strip_api_date(e.action);
  if (prefix == "ses" || prefix == "email") {
    if (a.starts_with("Send")) return Family::kEmail;
  } else if (prefix == "sns") {
    if (a == "Publish" || a == "PublishBatch") return Family::kSnsPublish;
  } else if (prefix == "lambda") {
    if (a.starts_with("Invoke")) return Family::kLambdaInvoke;
    if (a.starts_with("CreateFunction") || a.starts_with("UpdateFunction") || a.starts_with("AddPermission") ||
        a.starts_with("AddLayerVersionPermission") || a == "PublishLayerVersion" || a == "DeleteFunction" ||
        a == "CreateEventSourceMapping" || a == "PutFunctionConcurrency")
      return Family::kLambdaChange;
  } else if (prefix == "iam") {
    // Services create their own service-linked roles (invokedBy the service) as a matter of course.
    if (a.find("ServiceLinkedRole") != std::string_view::npos && !e.invoked_by.empty()) return Family::kOther;
    if (!is_read_name(a)) return Family::kIamChange;
  } else if (prefix == "ec2") {
    if (a == "RunInstances" || a == "StartInstances" || a == "RequestSpotInstances" || a == "CreateFleet")
      return Family::kComputeStart;
    if (a.find("SecurityGroup") != std::string_view::npos && !is_read_name(a)) return Family::kNetworkChange;
  } else if (prefix == "ecs") {
    if (a == "RunTask" || a == "StartTask") return Family::kComputeStart;
  } else if (prefix == "s3") {
    if (a.starts_with("Put") || a.starts_with("Delete") || a == "CopyObject" || a == "CompleteMultipartUpload" ||
        a == "RestoreObject")
      return Family::kS3Write;
  } else if (prefix == "secretsmanager") {
    if (a == "GetSecretValue" || a == "BatchGetSecretValue") return Family::kSecretRead;
  } else if (prefix == "ssm") {
    if ((a == "GetParameter" || a == "GetParameters" || a == "GetParametersByPath") &&
        e.kind == EventKind::kCloudTrail && jtrue(e.request_parameters()["withDecryption"]))
      return Family::kSecretRead;
  }
  return Family::kOther;
}

/// Family label used to group findings: the family id, or "other:<service>".
std::string family_label(Family f, std::string_view prefix) {
  if (f != Family::kOther) return std::string(info(f).id);
  return fmt::format("other:{}", prefix);
}

/// Model invocations and Bedrock reads are the Invocation/AI-changes elements'
/// business; they are not "actions taken" by the application.
bool is_model_invocation(const EventView& e) noexcept {
  if (!has_prefix(e.service, "bedrock")) return false;
  std::string_view a = e.action;
  return is_model_call(a) || same_text(a, "ApplyGuardrail") || same_text(a, "CountTokens") ||
         same_text(a, "GetAsyncInvoke") || same_text(a, "ListAsyncInvokes");
}

/// "Name <a@b.example>" or "a@b.example" -> "b.example" (lower case not needed: compared with iequals).
std::string_view email_domain(std::string_view address) noexcept {
  std::size_t at = address.rfind('@');
  if (at == std::string_view::npos) return {};
  std::string_view d = address.substr(at + 1);
  if (std::size_t gt = d.find('>'); gt != std::string_view::npos) d = d.substr(0, gt);
  return d;
}

/// True when `domain` is `base` or one of its subdomains.
bool same_or_subdomain(std::string_view domain, std::string_view base) noexcept {
  if (domain.empty() || base.empty()) return false;
  if (iequals(domain, base)) return true;
  return domain.size() > base.size() && iends_with(domain, base) && domain[domain.size() - base.size() - 1] == '.';
}

/// Recipients whose domain is not the sender's (nor a subdomain of it).
StrSet external_recipients(const StrSet& recipients, const StrSet& sender_domains) {
  StrSet out;
  if (sender_domains.empty()) return out;
  for (const auto& r : recipients) {
    std::string_view d = email_domain(r);
    if (d.empty()) continue;
    bool internal = false;
    for (const auto& s : sender_domains) internal = internal || same_or_subdomain(d, s) || same_or_subdomain(s, d);
    if (!internal) out.insert(r);
  }
  return out;
}

/// Sender domains of an SES call (SES v1 `source`, SES v2 `fromEmailAddress`).
void collect_senders(const EventView& e, StrSet& out) {
  if (e.kind != EventKind::kCloudTrail) return;
  auto rp = e.request_parameters();
  for (std::string_view from : {jstr(rp["fromEmailAddress"]), jstr(rp["source"]), jstr(rp["Source"])}) {
    std::string_view d = email_domain(from);
    if (!d.empty()) insert_capped(out, d, 10);
  }
}

/// insert_capped() for a set whose caller does not count what the cap leaves
/// out: a full set cannot change, so its search (a miss for most new values,
/// on every event of a busy aggregate) is skipped.
template <typename Set>
void add_capped(Set& set, std::string_view value, std::size_t cap) {
  if (set.size() < cap) insert_capped(set, value, cap);
}

/// Targets and recipients visible in requestParameters (log text: the writers
/// escape it), at most 20; returns true when one was left out for that cap.
template <typename Set>
bool collect_targets(const EventView& e, Family f, Set& out) {
  // Most actions name no target: their requestParameters are not looked up.
  if (e.kind != EventKind::kCloudTrail || f == Family::kOther) return false;
  constexpr std::size_t kCap = 20;
  bool dropped = false;
  auto add = [&](std::string_view value) { dropped = insert_capped(out, value, kCap) || dropped; };
  auto rp = e.request_parameters();
  auto add_array = [&](simdjson::simdjson_result<dom::element> arr) {
    dom::array a;
    if (arr.get_array().get(a) != simdjson::SUCCESS) return;
    for (dom::element x : a) {
      std::string_view s;
      if (x.get_string().get(s) == simdjson::SUCCESS) add(s);
    }
  };
  switch (f) {
    case Family::kEmail: {
      auto dest = rp["destination"];
      add_array(dest["toAddresses"]);
      add_array(dest["ccAddresses"]);
      add_array(dest["bccAddresses"]);
      add_array(dest["ToAddresses"]);
      add_array(rp["destinations"]);
      dom::array bulk;
      if (rp["bulkEmailEntries"].get_array().get(bulk) == simdjson::SUCCESS) {
        for (dom::element entry : bulk) add_array(entry["destination"]["toAddresses"]);
      }
      break;
    }
    case Family::kSnsPublish: {
      add(jstr(rp["topicArn"]));
      add(jstr(rp["targetArn"]));
      add(jstr(rp["phoneNumber"]));
      break;
    }
    case Family::kLambdaInvoke:
    case Family::kLambdaChange:
      add(lambda_function_name(jstr(rp["functionName"])));
      break;
    case Family::kIamChange:
      add(jstr(rp["userName"]));
      add(jstr(rp["roleName"]));
      add(jstr(rp["policyArn"]));
      break;
    case Family::kComputeStart:
      add(jstr(rp["instanceType"]));
      break;
    case Family::kNetworkChange:
      add(jstr(rp["groupId"]));
      break;
    case Family::kS3Write:
      add(jstr(rp["bucketName"]));
      break;
    case Family::kSecretRead:
      add(jstr(rp["secretId"]));
      add(jstr(rp["name"]));
      add(jstr(rp["path"]));
      break;
    case Family::kOther:
      break;
  }
  return dropped;
}

// ---------------------------------------------------------------------------
// Aggregates.

constexpr std::size_t kMaxKeys = 100000;
constexpr std::size_t kMaxActionsPerKey = 1000;
constexpr std::size_t kMaxHours = 24 * 92;
constexpr std::size_t kMaxStartSessions = 64;       // sessions per action for "at session start"
constexpr std::size_t kMaxRoleIps = 64;             // source IPs per role, with their first use
constexpr std::int64_t kStartWindowMs = 120'000;    // "at the start": within 2 minutes of the session's first event
constexpr std::int64_t kHourMs = 3600 * 1000;
constexpr std::uint32_t kBurstMin = 30;          // calls per hour, at least
constexpr std::uint32_t kBurstFactor = 5;        // times the baseline's busiest hour
constexpr std::uint32_t kBurstNoBaseline = 100;  // calls per hour when the family is new

struct HourBucket {
  std::uint32_t count = 0;
  std::int64_t first_ms = 0;
  std::int64_t last_ms = 0;
  EarliestEvidenceOf<1> first;  // earliest event of the hour (its time is first_ms)
};
using HourMap = std::map<std::int64_t, HourBucket>;
/// A key's hours of one family label while events arrive: hashed, as an
/// action's first call in an hour searched a tree of up to kMaxHours cold
/// nodes (finish() merges them into HourMaps, which order them).
using HourIndex = std::unordered_map<std::int64_t, HourBucket>;

struct ActionAgg {
  std::string service;   // eventSource
  std::string action;    // eventName
  Family family = Family::kOther;
  std::string label;     // family label ("email", "other:sqs")
  std::uint64_t count = 0;
  std::uint64_t failed = 0;
  std::int64_t first_ms = 0;
  std::int64_t last_ms = 0;
  // What every call reads, kept together ahead of the sets (mostly cold when
  // an event comes, and read only when these say so).
  ClientIds::Added added;  // the client values added lately to the sets below
  std::uint8_t full = 0;   // bit f: the set of ClientIds field f holds its cap
  bool targets_dropped = false;  // more targets than `targets` keeps
  bool source_ips_dropped = false;
  bool sessions_dropped = false;  // session_last was full when a new session came
  // While events arrive: the hours of this action's family label (in its
  // KeyAgg), and the buckets of the last hours used, by hour modulo 8 (map
  // nodes do not move). A log file's events are shuffled over a few hours, so
  // remembering only the last bucket missed on most events.
  HourIndex* hours = nullptr;
  std::array<std::pair<std::int64_t, HourBucket*>, 8> recent_hours{};
  EarliestEvidence evidence;
  SmallStrSet targets;
  SmallStrSet senders;  // e-mail sender domains (SES)
  SmallStrSet outside;  // recipients outside their own mail's sender domain (may be beyond `targets`)
  SmallStrSet errors;
  SmallStrSet source_ips;
  SmallStrSet user_agents;
  SmallStrSet access_keys;
  SmallStrSet accounts;
  SmallStrSet regions;
  // Per role session (actor ARN): the latest call of this action, for "only as the session
  // starts" (kMaxStartSessions sessions; past them the action is not judged so).
  // Hashed: searched on every call, and read in no particular order.
  std::unordered_map<std::string, std::int64_t, detail::TextHash, std::equal_to<>> session_last;
};

struct KeyAgg {
  std::string principal;
  std::string marker;
  std::int64_t first_ms = 0;
  std::uint64_t count = 0;
  std::map<std::string, ActionAgg, std::less<>> actions;  // "eventSource eventName"
  // The same actions by AgencyAnalyzer::action_id(): an integer search, where
  // the map compared long names.
  std::unordered_map<std::uint32_t, ActionAgg*> by_id;
  std::map<std::string, HourIndex, std::less<>> hours;  // family label -> hour
};

std::int64_t floor_div(std::int64_t a, std::int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

Severity lower(Severity s) {
  return s > Severity::kLow ? static_cast<Severity>(static_cast<int>(s) - 1) : s;
}

/// Severity of a high-impact action type an AI principal had never used before
/// the baseline: the application doing something it has not done before.
Severity novelty_severity(Family f) noexcept {
  switch (f) {
    case Family::kEmail:
    case Family::kSnsPublish:
    case Family::kLambdaChange:
    case Family::kIamChange:
    case Family::kComputeStart:
    case Family::kNetworkChange:
      return Severity::kHigh;
    case Family::kLambdaInvoke:
    case Family::kS3Write:
    case Family::kSecretRead:
      return Severity::kMedium;
    case Family::kOther:
      break;
  }
  return Severity::kInfo;
}

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

// ---------------------------------------------------------------------------

class AgencyAnalyzer final : public Analyzer {
 public:
  explicit AgencyAnalyzer(const AnalyzerConfig& config)
      : profile_(*config.profile),
        baseline_until_ms_(config.baseline_until_ms ? config.baseline_until_ms : config.profile->baseline_until_ms),
        own_ai_(*config.profile),
        ai_(config.ai ? *config.ai : own_ai_) {}

  void on_event(const EventView& e, FindingSink& /*out*/) override {
    // Invocation-log records too: roles that use models are AI principals.
    if (&ai_ == &own_ai_) own_ai_.learn(e);  // else the scan taught the shared one
    if (e.kind == EventKind::kInvocation) on_model_tool_calls(e);
    if (e.kind != EventKind::kCloudTrail) return;
    if (e.time_ms) {
      if (!seen_time_ || e.time_ms < first_ms_) first_ms_ = e.time_ms;
      if (!seen_time_ || e.time_ms > last_ms_) last_ms_ = e.time_ms;
      seen_time_ = true;
    }
    // When a role was first active (model calls included): the baseline of its behaviour.
    session_ = nullptr;
    if (!e.session_issuer.empty() && e.time_ms) {
      // The role's and the session's entries, found once per session (see SessionSlot).
      SessionSlot& slot = session_slots_[text_slot(e.actor_arn, kSessionSlotBits)];
      if (!same_text(slot.actor_arn, e.actor_arn) || !same_text(slot.issuer, e.session_issuer)) {
        slot.actor_arn.assign(e.actor_arn);
        slot.issuer.assign(e.session_issuer);
        slot.role_first = slot.session_first = nullptr;
        slot.ips = nullptr;
        slot.ip = nullptr;
        slot.key = nullptr;
        slot.actions = {};
      }
      session_ = &slot;
      if (slot.role_first == nullptr)
        slot.role_first = detail::find_or_add(principal_first_, e.session_issuer, kMaxKeys,
                                              [&](std::int64_t& t) { t = e.time_ms; });
      if (slot.role_first != nullptr) *slot.role_first = std::min(*slot.role_first, e.time_ms);
      // The session's first call (a task or function starting), and where the role called from.
      if (slot.session_first == nullptr)
        slot.session_first = detail::find_or_add(session_first_, e.actor_arn, kMaxKeys,
                                                 [&](std::int64_t& t) { t = e.time_ms; });
      if (slot.session_first != nullptr) *slot.session_first = std::min(*slot.session_first, e.time_ms);
      if (!e.source_ip.empty()) {
        if (slot.ips == nullptr) slot.ips = detail::find_or_add(role_ips_, e.session_issuer, kMaxKeys, [](RoleIps&) {});
        RoleIps* ips = slot.ips;
        if (ips != nullptr && (slot.ip == nullptr || !same_text(slot.ip->first, e.source_ip))) {
          slot.ip = nullptr;
          auto iit = ips->first.find(e.source_ip);
          if (iit == ips->first.end() && ips->first.size() < kMaxRoleIps)
            iit = ips->first.emplace(std::string(e.source_ip), e.time_ms).first;
          if (iit != ips->first.end()) slot.ip = &*iit;
        }
        if (slot.ip != nullptr) slot.ip->second = std::min(slot.ip->second, e.time_ms);
      }
    }
    if (e.action.empty() || is_model_invocation(e)) return;
    // Calls an AWS service makes implicitly for a principal (kms via s3, ...)
    // are not actions the application chose.
    if (!e.invoked_by.empty() && !is_ai_service(e.invoked_by)) return;

    marker_ = ai_marker(e);
    std::string_view principal = principal_of(e);
    if (principal.empty()) return;
    // Only what can act for the AI application now or once learning completes:
    // marked calls, role sessions, profile app principals.
    if (marker_.empty() && e.session_issuer.empty() && !ai_.app_principal(principal)) return;

    // A role session mostly repeats its marker: its key is remembered in its slot.
    KeyAgg* kp = session_ != nullptr && session_->key != nullptr && same_text(session_->marker, marker_)
                     ? session_->key
                     : find_key(e, principal);
    if (kp == nullptr) return;
    KeyAgg& k = *kp;
    if (e.time_ms < k.first_ms) k.first_ms = e.time_ms;
    ++k.count;

    // The action's entry, and the session's entry in its session_last: remembered in the session's slot.
    const std::uint32_t action = action_id(e);
    SessionAction* sa =
        session_ != nullptr && action != kNoAction ? &session_->actions[action % session_->actions.size()] : nullptr;
    ActionAgg* act = nullptr;
    if (sa != nullptr && sa->agg != nullptr && sa->key == &k && sa->id == action) {
      act = sa->agg;
    } else {
      act = action_of(k, e, action);
      if (sa != nullptr) *sa = {&k, action, act, nullptr};
    }
    if (act == nullptr) {
      ++overflow_;
      return;
    }
    ActionAgg& a = *act;
    ++a.count;
    if (e.outcome == Outcome::kFailure) {
      ++a.failed;
      add_capped(a.errors, e.error_code, 5);
    }
    a.first_ms = std::min(a.first_ms, e.time_ms);
    a.last_ms = std::max(a.last_ms, e.time_ms);
    a.evidence.add(e);
    if (a.family == Family::kEmail) {
      // This mail's recipients and senders first: a recipient outside its own
      // sender's domain is kept apart, so that the ones listed for the action
      // (the first 20) do not hide it.
      mail_to_.clear();
      mail_from_.clear();
      const bool dropped = collect_targets(e, a.family, mail_to_);
      collect_senders(e, mail_from_);
      for (const std::string& t : mail_to_) a.targets_dropped = insert_capped(a.targets, t, 20) || a.targets_dropped;
      a.targets_dropped = a.targets_dropped || dropped;
      for (const std::string& d : mail_from_) add_capped(a.senders, d, 10);
      for (const std::string& r : external_recipients(mail_to_, mail_from_)) add_capped(a.outside, r, 20);
    } else if (!a.targets_dropped && collect_targets(e, a.family, a.targets)) {
      // Once a target was left out the set is full: later targets cannot change it.
      a.targets_dropped = true;
    }
    if (!e.session_issuer.empty() && !a.sessions_dropped) {
      // The session's entry: remembered in its slot for the session's recent actions.
      std::int64_t* last = sa != nullptr ? sa->last : nullptr;
      if (last == nullptr) {
        auto sit = a.session_last.find(e.actor_arn);
        if (sit == a.session_last.end() && a.session_last.size() < kMaxStartSessions)
          sit = a.session_last.emplace(std::string(e.actor_arn), e.time_ms).first;
        if (sit != a.session_last.end()) {
          last = &sit->second;
          if (sa != nullptr) sa->last = last;
        } else {
          a.sessions_dropped = true;
        }
      }
      if (last != nullptr) *last = std::max(*last, e.time_ms);
    }
    // A client value this action added lately is skipped (ClientIds).
    const ClientIds::Ids& ids = clients_.of(e);
    auto field = [&](ClientIds::Field f, SmallStrSet& set, std::string_view value, std::size_t cap) {
      const auto bit = static_cast<std::uint8_t>(1u << f);
      if ((a.full & bit) != 0 || !a.added.fresh(ids, f)) return;
      add_capped(set, value, cap);
      if (set.size() >= cap) a.full |= bit;  // a full set cannot change: not read again
    };
    if (!a.source_ips_dropped && a.added.fresh(ids, ClientIds::kIp))
      a.source_ips_dropped = insert_capped(a.source_ips, e.source_ip, 10);
    field(ClientIds::kAgent, a.user_agents, e.user_agent, 5);
    field(ClientIds::kKey, a.access_keys, e.access_key_id, 5);
    field(ClientIds::kAccount, a.accounts, e.account, 5);
    field(ClientIds::kRegion, a.regions, e.region, 10);

    // Hourly counts per family label for bursts.
    if (a.hours == nullptr) {
      auto fit = k.hours.find(a.label);
      if (fit == k.hours.end()) fit = k.hours.emplace(a.label, HourIndex{}).first;
      a.hours = &fit->second;
    }
    const std::int64_t hour = floor_div(e.time_ms, kHourMs);
    auto& [cached_hour, cached] = a.recent_hours[static_cast<std::uint64_t>(hour) % a.recent_hours.size()];
    if (cached == nullptr || cached_hour != hour) {
      HourIndex& hours = *a.hours;
      auto hit = hours.find(hour);
      if (hit == hours.end()) {
        if (hours.size() >= kMaxHours) {
          ++overflow_;
          return;
        }
        HourBucket b;
        b.count = 1;
        b.first_ms = b.last_ms = e.time_ms;
        b.first.add(e);
        cached = &hours.emplace(hour, std::move(b)).first->second;
        cached_hour = hour;
        return;
      }
      cached = &hit->second;
      cached_hour = hour;
    }
    HourBucket& b = *cached;
    ++b.count;
    b.last_ms = std::max(b.last_ms, e.time_ms);
    b.first.add(e);
    b.first_ms = std::min(b.first_ms, e.time_ms);  // the time of `first`
  }

  void finish(FindingSink& out) override;
  void answer(const Coverage& coverage, std::vector<QuestionAnswer>& out) const override;
  void limits(std::vector<std::string>& out) const override { detail::caps_line(out, overflow_); }

 private:
  struct PrincipalView {
    std::vector<const KeyAgg*> keys;
    StrSet reasons;
    StrSet markers;
  };

  std::int64_t baseline_end() const {
    if (baseline_until_ms_) return baseline_until_ms_;
    if (!seen_time_ || last_ms_ - first_ms_ < kHourMs) return 0;
    return first_ms_ + (last_ms_ - first_ms_) / 5;
  }

  void emit(Finding f, FindingSink& out) {
    f.finalize();
    emitted_rules_.insert(f.rule);
    if (f.severity >= Severity::kHigh) high_rules_.insert(f.rule);
    if (f.severity >= Severity::kMedium) medium_rules_.insert(f.rule);
    if (f.severity >= Severity::kHigh && unauthorized_summary_.size() < 2000 &&
        (f.rule == "agency.action_outside_allowed" || f.rule == "agency.new_action_after_baseline"))
      unauthorized_summary_ += fmt::format("{}{}: {} at {}.", unauthorized_summary_.empty() ? "" : " ", f.title,
                                           f.summary, format_time(f.first_seen_ms));
    out.emit(std::move(f));
  }

  void fill_common(Finding& f, const std::string& principal, const std::vector<const ActionAgg*>& acts,
                   const PrincipalView& pv) const {
    f.element = Element::kAgency;
    f.principal = principal;
    StrSet accounts, regions, keys;
    for (const ActionAgg* a : acts) {
      for (auto& ev : a->evidence.sorted()) f.add(std::move(ev));
      for (const auto& ip : a->source_ips) f.source_ips.push_back(ip);
      for (const auto& ua : a->user_agents) f.user_agents.push_back(ua);
      accounts.insert(a->accounts.begin(), a->accounts.end());
      regions.insert(a->regions.begin(), a->regions.end());
      keys.insert(a->access_keys.begin(), a->access_keys.end());
    }
    if (accounts.size() == 1) f.account = *accounts.begin();
    if (regions.size() == 1) f.region = *regions.begin();
    if (keys.size() == 1) f.access_key_id = *keys.begin();
    std::uint64_t total = 0;
    std::int64_t first = 0, last = 0;
    bool any = false;
    for (const ActionAgg* a : acts) {
      total += a->count;
      if (!any || a->first_ms < first) first = a->first_ms;
      if (!any || a->last_ms > last) last = a->last_ms;
      any = true;
    }
    f.count = total;
    f.evidence_total = total;
    f.first_seen_ms = first;
    f.last_seen_ms = last;
    f.details.emplace_back("ai_link", join(pv.reasons, 5));
    if (regions.size() > 1) f.details.emplace_back("regions", join(regions));
    if (accounts.size() > 1) f.details.emplace_back("accounts", join(accounts));
    f.tags.atlas.push_back("AML.T0053");
    f.tags.owasp_llm.push_back("LLM06:2025");
  }

  /// E-mail recipients outside every sender domain of `acts`: among the listed
  /// targets, and among those each mail's own sender put apart (ActionAgg::outside).
  static StrSet external_of(const std::vector<const ActionAgg*>& acts) {
    StrSet targets, senders;
    for (const ActionAgg* a : acts) {
      targets.insert(a->targets.begin(), a->targets.end());
      targets.insert(a->outside.begin(), a->outside.end());
      senders.insert(a->senders.begin(), a->senders.end());
    }
    return external_recipients(targets, senders);
  }

  /// E-mail recipients outside the sender's domain, as a detail.
  static void add_external(Finding& f, const std::vector<const ActionAgg*>& acts) {
    for (const ActionAgg* a : acts)
      if (a->family != Family::kEmail) return;
    const StrSet external = external_of(acts);
    StrSet senders;
    for (const ActionAgg* a : acts) senders.insert(a->senders.begin(), a->senders.end());
    if (!external.empty()) f.details.emplace_back("external_recipients", join(external, 20));
    if (!senders.empty()) f.details.emplace_back("sender_domains", join(senders, 5));
  }

  static std::string action_counts(const std::vector<const ActionAgg*>& acts) {
    std::string s;
    for (const ActionAgg* a : acts) {
      if (!s.empty()) s += ", ";
      s += fmt::format("{}:{} x{}", service_prefix(a->service), strip_api_date(a->action), a->count);
      if (a->failed) s += fmt::format(" ({} failed)", a->failed);
    }
    return s;
  }

  void emit_families(const std::string& principal, const PrincipalView& pv, std::int64_t baseline,
                     FindingSink& out);

  /// Tool calls the model made in a response (invocation logs): which tools,
  /// and addresses that only retrieved text of the request supplied.
  void on_model_tool_calls(const EventView& e) {
    tool_names_scratch_.clear();
    response_tool_calls(e.raw, tool_names_scratch_);
    bool call = !tool_names_scratch_.empty();
    if (e.content != nullptr && !call)
      for (const auto& p : e.content->extraction.pieces) call = call || tool_call_piece(p);
    if (!call) return;
    ++tool_call_records_;
    for (std::string_view n : tool_names_scratch_) {
      auto it = tool_names_.find(n);
      if (it != tool_names_.end()) ++it->second;
      else if (tool_names_.size() < kMaxToolNames) tool_names_.emplace(std::string(n), 1);
    }
    if (e.content == nullptr) return;
    SteeredCalls steered = steered_calls(*e.content);
    if (steered.addresses.empty()) return;
    const std::string_view principal = e.actor_arn.empty() ? std::string_view("(unknown caller)") : e.actor_arn;
    auto it = steered_.find(principal);
    if (it == steered_.end()) {
      if (steered_.size() >= kMaxKeys) {
        ++overflow_;
        return;
      }
      it = steered_.emplace(capped(principal, 512), SteeredAgg{}).first;
    }
    SteeredAgg& a = it->second;
    a.evidence.add(e);
    if (a.count == 0 || e.time_ms < a.first_ms) a.first_ms = e.time_ms;
    if (a.count == 0 || e.time_ms > a.last_ms) a.last_ms = e.time_ms;
    ++a.count;
    if (steered.injection) ++a.injected;
    for (const auto& addr : steered.addresses) add_capped(a.addresses, addr, 20);
    for (std::string_view n : tool_names_scratch_) add_capped(a.tools, n, 10);
    add_capped(a.models, e.model_id, 5);
    add_capped(a.accounts, e.account, 5);
    add_capped(a.regions, e.region, 5);
  }

  void emit_steered(FindingSink& out) {
    for (const auto& [principal, a] : steered_) {
      Finding f;
      f.rule = "agency.tool_call_to_retrieved_address";
      f.element = Element::kAgency;
      f.principal = principal;
      for (auto& ev : a.evidence.sorted()) f.add(std::move(ev));
      f.count = a.count;
      f.evidence_total = a.count;
      f.first_seen_ms = a.first_ms;
      f.last_seen_ms = a.last_ms;
      if (a.accounts.size() == 1) f.account = *a.accounts.begin();
      if (a.regions.size() == 1) f.region = *a.regions.begin();
      f.severity = a.injected ? Severity::kHigh : Severity::kMedium;
      f.title = "Model called a tool with an address that only retrieved text named";
      f.summary = fmt::format(
          "{}: in {} response(s) the model called {} with {}, address(es) that only tool results or retrieved "
          "documents of the request named, not the user or the system prompt{}",
          principal, a.count, a.tools.empty() ? std::string("a tool") : join(a.tools), join(a.addresses),
          a.injected ? fmt::format("; in {} of them an injection signature fired on that retrieved text", a.injected)
                     : std::string());
      f.details.emplace_back("addresses", join(a.addresses, 20));
      if (!a.tools.empty()) f.details.emplace_back("tools", join(a.tools));
      if (!a.models.empty()) f.details.emplace_back("models", join(a.models));
      f.details.emplace_back("with_injection_signature", std::to_string(a.injected));
      f.tags.atlas = {"AML.T0051.001", "AML.T0053"};
      f.tags.owasp_llm = {"LLM01:2025", "LLM06:2025"};
      emit(std::move(f), out);
    }
  }

  const Profile& profile_;
  std::int64_t baseline_until_ms_ = 0;
  AiPrincipals own_ai_;      ///< used when the config brings no shared one
  const AiPrincipals& ai_;  ///< config.ai or own_ai_
  std::map<std::string, KeyAgg, std::less<>> keys_;
  std::unordered_map<std::string_view, KeyAgg*, detail::TextHash, std::equal_to<>> key_index_;  // over keys_'s keys
  static constexpr int kKeySlotBits = 3;
  std::array<std::pair<std::string_view, KeyAgg*>, std::size_t{1} << kKeySlotBits> key_slots_{};  // keys_ entries
  ClientIds clients_;
  // role ARN -> first event (any action); hashed: roles interleave, and ARNs
  // share long prefixes that make ordered-map searches slow.
  using FirstMap = std::unordered_map<std::string, std::int64_t, detail::TextHash, std::equal_to<>>;
  FirstMap principal_first_;
  FirstMap session_first_;  // role session (actor ARN) -> its first event
  struct RoleIps {
    // Source IP -> first use (kMaxRoleIps); hashed: searched on every call, never listed.
    std::unordered_map<std::string, std::int64_t, detail::TextHash, std::equal_to<>> first;
  };
  using RoleIpsMap = std::unordered_map<std::string, RoleIps, detail::TextHash, std::equal_to<>>;
  RoleIpsMap role_ips_;
  /// A session's recent action: its key's ActionAgg and the session's entry in
  /// its session_last (null: not looked up yet, or past the cap).
  struct SessionAction {
    const KeyAgg* key = nullptr;
    std::uint32_t id = 0;
    ActionAgg* agg = nullptr;
    std::int64_t* last = nullptr;
  };
  // A session's entries in principal_first_, session_first_ and role_ips_ (null:
  // not looked up yet, or past a cap), in a slot by the session ARN's hash: the
  // sessions of several roles interleave, so the last-entry caches missed and
  // each call searched three maps with long ARNs. Map values do not move.
  struct SessionSlot {
    std::string actor_arn, issuer;
    std::int64_t* role_first = nullptr;
    std::int64_t* session_first = nullptr;
    RoleIps* ips = nullptr;
    std::pair<const std::string, std::int64_t>* ip = nullptr;  // the session's last address in ips
    std::string marker;      // the marker of the session's last key
    KeyAgg* key = nullptr;   // its entry in keys_ (null: not looked up yet)
    // The session's recent actions (a session mostly repeats a few), by action id.
    std::array<SessionAction, 16> actions{};
  };
  static constexpr int kSessionSlotBits = 6;
  std::array<SessionSlot, std::size_t{1} << kSessionSlotBits> session_slots_;
  SessionSlot* session_ = nullptr;  // this event's (null: no role session, or no time)
  /// "" unless every call of `a` came at the start of a role session of `principal` (within
  /// kStartWindowMs of the session's first event) from an address the role used at or
  /// before `baseline`: a task or function reading its configuration as it starts.
  std::string at_session_start(const std::string& principal, const ActionAgg& a, std::int64_t baseline) const;
  std::string key_, action_key_;

  /// The key of (principal, this event's marker) in keys_, added when there
  /// is room (else null, counted); remembered in the event's session slot.
  KeyAgg* find_key(const EventView& e, std::string_view principal) {
    key_.assign(principal).append(1, '\x1f').append(marker_);
    // Consecutive events mostly repeat their key; the others are found through
    // a hash index over keys_ (keys start with an ARN: long shared prefixes
    // made the ordered search slow; the map stays for the order of findings).
    // The keys of a log's principals interleave: the recent ones sit in slots by text_slot().
    auto& [slot_key, slot_agg] = key_slots_[text_slot(key_, kKeySlotBits)];
    if (slot_agg == nullptr || slot_key != key_) {
      if (auto it = key_index_.find(key_); it != key_index_.end()) {
        slot_key = it->first;
        slot_agg = it->second;
      } else if (keys_.size() < kMaxKeys) {
        auto& [stored, n] = *keys_.emplace(key_, KeyAgg{}).first;
        n.principal = capped(principal, 512);
        n.marker = marker_;
        n.first_ms = e.time_ms;
        key_index_.emplace(stored, &n);
        slot_key = stored;
        slot_agg = &n;
      } else {
        ++overflow_;
        return nullptr;
      }
    }
    if (session_ != nullptr) {
      session_->marker.assign(marker_);
      session_->key = slot_agg;
    }
    return slot_agg;
  }

  /// The id of `e`'s action name ("eventSource eventName" as KeyAgg::actions
  /// keys it, cut to 512 bytes as find_or_add cuts it), kNoAction past
  /// kMaxActionIds names (for good: the table only grows). Recent names are
  /// remembered (detail::RecentActionIds).
  static constexpr std::uint32_t kNoAction = UINT32_MAX;
  static constexpr std::size_t kMaxActionIds = 100000;
  std::uint32_t action_id(const EventView& e) {
    return action_names_.get(e.service, e.action, [&] {
      action_key_.assign(e.service).append(1, ' ').append(e.action);
      const std::string_view name = std::string_view(action_key_).substr(0, 512);
      if (auto it = action_ids_.find(name); it != action_ids_.end()) return it->second;
      if (action_ids_.size() >= kMaxActionIds) return kNoAction;
      return action_ids_.emplace(std::string(name), static_cast<std::uint32_t>(action_ids_.size())).first->second;
    });
  }
  detail::RecentActionIds<6> action_names_;
  std::unordered_map<std::string, std::uint32_t, detail::TextHash, std::equal_to<>> action_ids_;

  /// The entry of `e`'s action (id `action`) in `k.actions`, added when there
  /// is room, else null.
  ActionAgg* action_of(KeyAgg& k, const EventView& e, std::uint32_t action) {
    constexpr std::size_t kField = 128;
    if (action != kNoAction)
      if (auto it = k.by_id.find(action); it != k.by_id.end()) return it->second;
    action_key_.assign(e.service).append(1, ' ').append(e.action);
    ActionAgg* found = detail::find_or_add(k.actions, action_key_, kMaxActionsPerKey, [&](ActionAgg& n) {
      n.service = capped(e.service, kField);
      n.action = capped(e.action, kField);
      n.family = family_of(e);
      n.label = family_label(n.family, service_prefix(e.service));
      n.first_ms = e.time_ms;
      n.last_ms = e.time_ms;
    });
    if (found != nullptr && action != kNoAction) k.by_id.emplace(action, found);
    return found;
  }
  std::string_view marker_;  // this event's ai_marker()
  StrSet mail_to_, mail_from_;  // one e-mail's recipients and sender domains

  // Tool calls in model responses (invocation logs).
  static constexpr std::size_t kMaxToolNames = 200;
  struct SteeredAgg {
    EarliestEvidence evidence;
    std::uint64_t count = 0;
    std::uint64_t injected = 0;  ///< of them, with an injection signature on the retrieved text
    std::int64_t first_ms = 0, last_ms = 0;
    SmallStrSet addresses, tools, models, accounts, regions;
  };
  std::uint64_t tool_call_records_ = 0;
  std::map<std::string, std::uint64_t, std::less<>> tool_names_;  ///< tool -> responses calling it
  std::map<std::string, SteeredAgg, std::less<>> steered_;       ///< by caller
  std::vector<std::string_view> tool_names_scratch_;
  std::uint64_t overflow_ = 0;
  bool seen_time_ = false;
  std::int64_t first_ms_ = 0, last_ms_ = 0;

  // Results of finish(), for answer().
  StrSet emitted_rules_;
  StrSet high_rules_;
  StrSet medium_rules_;
  std::string unauthorized_summary_;  // the high findings that answer "unauthorized actions", in emission order
  std::map<std::string, std::uint64_t> families_done_;  // family label -> successful calls by AI principals
  StrSet ai_principals_;
  StrSet inferred_principals_;  // AI principals known only from their Bedrock runtime calls
  bool allowed_lists_ = false;
};

void AgencyAnalyzer::finish(FindingSink& out) {
  if (&ai_ == &own_ai_) own_ai_.resolve();
  allowed_lists_ = false;
  for (const auto& ap : profile_.app_principals)
    if (!ap.allowed_actions.empty()) allowed_lists_ = true;

  // Principals acting for the AI application, merged across their markers.
  std::map<std::string, PrincipalView> principals;
  for (const auto& [key, k] : keys_) {
    std::string why = ai_.reason(k.principal, k.marker);
    if (why.empty()) continue;
    PrincipalView& pv = principals[k.principal];
    pv.keys.push_back(&k);
    pv.reasons.insert(std::move(why));
    if (!k.marker.empty()) pv.markers.insert(k.marker);
  }
  const std::int64_t baseline = baseline_end();
  for (const auto& [principal, pv] : principals) {
    ai_principals_.insert(principal);
    if (pv.reasons.count(std::string(kRuntimeRoleReason))) inferred_principals_.insert(principal);
    emit_families(principal, pv, baseline, out);
  }
  emit_steered(out);
}

std::string AgencyAnalyzer::at_session_start(const std::string& principal, const ActionAgg& a,
                                            std::int64_t baseline) const {
  if (a.session_last.empty() || a.sessions_dropped || a.source_ips.empty() || a.source_ips_dropped) return {};
  for (const auto& [session, last] : a.session_last) {
    auto sf = session_first_.find(session);
    if (sf == session_first_.end() || last - sf->second > kStartWindowMs) return {};
  }
  auto ri = role_ips_.find(principal);
  if (ri == role_ips_.end()) return {};
  for (const auto& ip : a.source_ips) {
    auto it = ri->second.first.find(ip);
    if (it == ri->second.first.end() || it->second > baseline) return {};
  }
  return fmt::format("every call within {} s of its session's first event ({} session(s)), from {}, which the role "
                     "used before the baseline",
                     kStartWindowMs / 1000, a.session_last.size(), join(a.source_ips, 5));
}

// GCC 12 reports a false -Wfree-nonheap-object on the destruction of the
// ActionAgg pointer vectors below once this function is inlined differently
// (any change to ActionAgg's layout can set it off); the vectors are ordinary.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wfree-nonheap-object"
#endif
void AgencyAnalyzer::emit_families(const std::string& principal, const PrincipalView& pv, std::int64_t baseline,
                                   FindingSink& out) {
  const AppPrincipal* ap = ai_.app_principal(principal);
  const bool judged = ap && !ap->allowed_actions.empty();
  auto allowed = [&](const ActionAgg& a) {
    std::string_view prefix = service_prefix(a.service);
    // The IAM action, or the event name as CloudTrail writes it (bedrock:Converse).
    std::string name = fmt::format("{}:{}", prefix, iam_action(prefix, a.action));
    std::string event = fmt::format("{}:{}", prefix, strip_api_date(a.action));
    for (const auto& pattern : ap->allowed_actions)
      if (wildcard_match(pattern, name) || wildcard_match(pattern, event)) return true;
    return false;
  };

  // Group actions by family label across the principal's keys.
  struct Group {
    Family family = Family::kOther;
    std::vector<const ActionAgg*> all;
    std::vector<const ActionAgg*> outside;   // not in allowed_actions
    std::vector<const ActionAgg*> inside;
    std::vector<const ActionAgg*> fresh;     // first seen after the baseline
    HourMap hours;  // merged across keys
  };
  std::map<std::string, Group> groups;
  std::int64_t principal_first = 0;
  bool any = false;
  for (const KeyAgg* k : pv.keys) {
    if (!any || k->first_ms < principal_first) principal_first = k->first_ms;
    any = true;
  }
  if (auto pf = principal_first_.find(principal); pf != principal_first_.end())
    principal_first = std::min(principal_first, pf->second);
  const bool has_baseline = baseline && principal_first <= baseline;
  // A role that runs an agent tool first attached after the baseline (an action
  // group created or re-pointed then): everything it does is new behaviour of
  // the application, though the role itself has no baseline.
  const std::int64_t tool_attached = ai_.tool_attached_ms(principal);
  const bool new_tool = baseline && tool_attached > baseline && !has_baseline;
  // Actions first seen after the baseline: merged across keys (first over all keys).
  std::map<std::string, std::int64_t> action_first;
  for (const KeyAgg* k : pv.keys)
    for (const auto& [name, a] : k->actions) {
      auto [it, inserted] = action_first.emplace(name, a.first_ms);
      if (!inserted) it->second = std::min(it->second, a.first_ms);
    }

  for (const KeyAgg* k : pv.keys) {
    for (const auto& [name, a] : k->actions) {
      const std::string& label = a.label;
      Group& g = groups[label];
      g.family = a.family;
      g.all.push_back(&a);
      if (judged) (allowed(a) ? g.inside : g.outside).push_back(&a);
      if (has_baseline && action_first[name] > baseline && a.first_ms == action_first[name]) g.fresh.push_back(&a);
      else if (new_tool && a.first_ms >= tool_attached) g.fresh.push_back(&a);
      if (a.count > a.failed) families_done_[label] += a.count - a.failed;
    }
    for (const auto& [label, hours] : k->hours) {
      auto& merged = groups[label].hours;
      for (const auto& [h, b] : hours) {
        auto [it, inserted] = merged.emplace(h, b);
        if (!inserted) {
          it->second.count += b.count;
          it->second.last_ms = std::max(it->second.last_ms, b.last_ms);
          it->second.first.merge(b.first);
          it->second.first_ms = std::min(it->second.first_ms, b.first_ms);
        }
      }
    }
  }

  const std::string link = join(pv.reasons, 3);
  for (auto& [label, g] : groups) {
    const FamilyInfo& fi = info(g.family);
    std::sort(g.all.begin(), g.all.end(), [](const ActionAgg* x, const ActionAgg* y) {
      return std::tie(x->service, x->action) < std::tie(y->service, y->action);
    });

    // 1. Actions outside the profile's allowed actions for this app principal.
    if (!g.outside.empty()) {
      Finding f;
      f.rule = "agency.action_outside_allowed";
      fill_common(f, principal, g.outside, pv);
      std::uint64_t ok = 0;
      StrSet targets;
      for (const ActionAgg* a : g.outside) {
        ok += a->count - a->failed;
        targets.insert(a->targets.begin(), a->targets.end());
      }
      f.severity = ok ? Severity::kHigh : Severity::kMedium;
      f.title = ok ? "AI application principal acted outside its allowed actions"
                   : "AI application principal attempted actions outside its allowed actions";
      f.summary = fmt::format("{} ({}) called {} not in the profile's allowed_actions{}{}", principal, link,
                              action_counts(g.outside), ok ? "" : "; every call failed",
                              targets.empty() ? "" : fmt::format("; targets: {}", join(targets)));
      f.details.emplace_back("family", label);
      f.details.emplace_back("actions", action_counts(g.outside));
      if (!targets.empty()) f.details.emplace_back("targets", join(targets, 20));
      add_external(f, g.outside);
      if (!fi.attack.empty()) f.tags.attack.emplace_back(fi.attack);
      if (g.family == Family::kEmail || g.family == Family::kSnsPublish) f.tags.atlas.push_back("AML.T0048");
      emit(std::move(f), out);
    }

    // 2. High-impact families: one finding per principal x family. Without a
    // profile, the action types first used after the principal's baseline are
    // reported apart (4.), with the severity of a change in behaviour.
    std::vector<const ActionAgg*> fresh_acts, usual_acts;
    for (const ActionAgg* a : g.all) {
      bool fresh = std::find(g.fresh.begin(), g.fresh.end(), a) != g.fresh.end();
      (fresh && !judged ? fresh_acts : usual_acts).push_back(a);
    }
    if (g.family != Family::kOther) {
      const auto& acts = judged ? g.inside : usual_acts;
      if (!acts.empty()) {
        Finding f;
        fill_common(f, principal, acts, pv);
        std::uint64_t ok = 0, via_agent_to_own_lambda = 0;
        StrSet targets, errors;
        for (const ActionAgg* a : acts) {
          ok += a->count - a->failed;
          targets.insert(a->targets.begin(), a->targets.end());
          errors.insert(a->errors.begin(), a->errors.end());
        }
        // Then some target is not listed: it cannot be shown to be the agent's own.
        const bool targets_dropped =
            std::any_of(acts.begin(), acts.end(), [](const ActionAgg* a) { return a->targets_dropped; });
        if (g.family == Family::kLambdaInvoke) {
          bool all_own = !targets.empty() && !targets_dropped;
          for (const auto& t : targets) all_own = all_own && ai_.is_action_group_lambda(t);
          if (all_own) via_agent_to_own_lambda = 1;
        }
        if (judged) {
          f.rule = "agency.allowed_action_by_ai";
          f.severity = Severity::kInfo;
          f.title = fmt::format("{} (within the profile's allowed actions)", fi.title);
        } else {
          f.rule = std::string(fi.rule);
          f.severity = via_agent_to_own_lambda ? Severity::kInfo : fi.severity;
          if (!ok) f.severity = lower(f.severity);
          f.title = std::string(fi.title);
        }
        f.summary = fmt::format("{} ({}) {}{}{}", principal, link, action_counts(acts),
                                targets.empty() ? "" : fmt::format("; targets: {}", join(targets)),
                                ok ? "" : fmt::format("; every call failed ({})", join(errors)));
        f.details.emplace_back("family", label);
        f.details.emplace_back("actions", action_counts(acts));
        f.details.emplace_back("succeeded", std::to_string(ok));
        if (!targets.empty()) f.details.emplace_back("targets", join(targets, 20));
        if (targets_dropped) f.details.emplace_back("targets_truncated", "true");  // more than listed
        add_external(f, acts);
        if (!fi.attack.empty()) f.tags.attack.emplace_back(fi.attack);
        if (g.family == Family::kEmail || g.family == Family::kSnsPublish) f.tags.atlas.push_back("AML.T0048");
        emit(std::move(f), out);
      }
    }
    // 3. Bursts against the principal's own baseline for this family.
    if (!g.hours.empty()) {
      std::uint32_t baseline_peak = 0;
      bool family_in_baseline = false;
      for (const auto& [h, b] : g.hours) {
        if (baseline && b.first_ms <= baseline) {
          baseline_peak = std::max(baseline_peak, b.count);
          family_in_baseline = true;
        }
      }
      // Bursts of ordinary (non high-impact) calls count only against a baseline.
      const bool judge = g.family != Family::kOther || family_in_baseline;
      const std::uint32_t threshold =
          family_in_baseline ? std::max<std::uint32_t>(kBurstMin, kBurstFactor * baseline_peak) : kBurstNoBaseline;
      const std::pair<const std::int64_t, HourBucket>* worst = nullptr;
      std::uint32_t burst_hours = 0;
      for (const auto& hb : g.hours) {
        if (!judge) break;
        if (baseline && hb.second.first_ms <= baseline && family_in_baseline) continue;
        if (hb.second.count < threshold) continue;
        ++burst_hours;
        if (!worst || hb.second.count > worst->second.count) worst = &hb;
      }
      if (worst) {
        const HourBucket& b = worst->second;
        Finding f;
        fill_common(f, principal, {}, pv);
        f.rule = "agency.action_burst";
        for (Evidence& ev : b.first.sorted()) f.add(std::move(ev));
        f.count = b.count;
        f.evidence_total = b.count;
        f.first_seen_ms = b.first_ms;
        f.last_seen_ms = b.last_ms;
        const bool impactful = g.family == Family::kEmail || g.family == Family::kSnsPublish ||
                               g.family == Family::kIamChange || g.family == Family::kComputeStart ||
                               g.family == Family::kLambdaChange;
        f.severity = (impactful && family_in_baseline) ? Severity::kHigh : Severity::kMedium;
        f.title = "Burst of actions by an AI application principal";
        f.summary = fmt::format("{} ({}) made {} {} calls in one hour{} ({} burst hour(s); threshold {})", principal,
                                link, b.count, label,
                                family_in_baseline ? fmt::format(", baseline peak {} per hour", baseline_peak)
                                                   : std::string(", none in the baseline"),
                                burst_hours, threshold);
        f.details.emplace_back("family", label);
        f.details.emplace_back("hour_count", std::to_string(b.count));
        f.details.emplace_back("baseline_peak_per_hour", std::to_string(baseline_peak));
        f.details.emplace_back("burst_hours", std::to_string(burst_hours));
        f.details.emplace_back("actions", action_counts(g.all));
        if (!fi.attack.empty()) f.tags.attack.emplace_back(fi.attack);
        f.tags.owasp_llm.push_back("LLM10:2025");
        emit(std::move(f), out);
      }
    }

    // 4. Action types first used after the baseline by a principal active
    // before it. With a profile's allowed_actions, 1. judges them; here only
    // the allowed ones remain, as information.
    std::vector<const ActionAgg*> novel = judged ? std::vector<const ActionAgg*>{} : fresh_acts;
    if (judged)
      for (const ActionAgg* a : g.fresh)
        if (std::find(g.inside.begin(), g.inside.end(), a) != g.inside.end()) novel.push_back(a);
    if (!novel.empty()) {
      Finding f;
      f.rule = "agency.new_action_after_baseline";
      fill_common(f, principal, novel, pv);
      std::uint64_t ok = 0;
      StrSet targets;
      for (const ActionAgg* a : novel) {
        ok += a->count - a->failed;
        targets.insert(a->targets.begin(), a->targets.end());
      }
      f.severity = judged ? Severity::kInfo : novelty_severity(g.family);
      if (!ok) f.severity = lower(f.severity);
      // Only as new sessions start, from the role's usual networks (tasks started after the
      // baseline reading their secret): the role's start-up, not a new action. An app turned
      // against its owner acts mid-session; a stolen credential from elsewhere.
      std::string startup;
      for (const ActionAgg* a : novel) {
        std::string why = judged ? std::string() : at_session_start(principal, *a, baseline);
        if (why.empty()) {
          startup.clear();
          break;
        }
        if (startup.empty()) startup = std::move(why);
      }
      if (!startup.empty()) f.severity = std::min(f.severity, Severity::kLow);
      f.title = g.family == Family::kOther
                    ? std::string("AI application principal used new action types after the baseline")
                    : fmt::format("{}, for the first time after the baseline", fi.title);
      const StrSet external = g.family == Family::kEmail ? external_of(novel) : StrSet{};
      const std::string since =
          new_tool ? fmt::format("running an agent tool attached at {}, after the baseline ({}),",
                                 format_time(tool_attached), format_time(baseline))
                   : fmt::format("active since before the baseline ({}),", format_time(baseline));
      f.summary = fmt::format("{} ({}), {} first used {} after it{}{}{}", principal, link, since, action_counts(novel),
                              targets.empty() ? "" : fmt::format("; targets: {}", join(targets)),
                              external.empty() ? "" : fmt::format("; outside the sender's domain: {}", join(external)),
                              ok ? "" : "; every call failed");
      f.details.emplace_back("family", label);
      f.details.emplace_back("actions", action_counts(novel));
      f.details.emplace_back("succeeded", std::to_string(ok));
      f.details.emplace_back("baseline_until", format_time(baseline));
      if (!startup.empty()) f.details.emplace_back("at_session_start", startup);
      if (!targets.empty()) f.details.emplace_back("targets", join(targets, 20));
      add_external(f, novel);
      if (!fi.attack.empty()) f.tags.attack.emplace_back(fi.attack);
      if (g.family == Family::kEmail || g.family == Family::kSnsPublish) f.tags.atlas.push_back("AML.T0048");
      emit(std::move(f), out);
    }
  }
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

void AgencyAnalyzer::answer(const Coverage& coverage, std::vector<QuestionAnswer>& out) const {
  const std::vector<std::string> family_rules = {
      "agency.email_sent_by_ai",   "agency.sns_publish_by_ai",   "agency.lambda_invoke_by_ai",
      "agency.lambda_change_by_ai", "agency.iam_change_by_ai",    "agency.compute_start_by_ai",
      "agency.network_change_by_ai", "agency.s3_write_by_ai",     "agency.secret_read_by_ai",
      "agency.allowed_action_by_ai", "agency.action_outside_allowed", "agency.new_action_after_baseline",
      // Sigma: the application's authority widened (new tools, new senders).
      "agency.agent_action_group_changed", "agency.agentcore_gateway_target_changed",
      "agency.agentcore_credential_provider_changed", "agency.ses_sending_enabled", "agency.ses_identity_verified",
      "agency.tool_call_to_retrieved_address"};
  std::string gaps;
  std::string inferred;
  if (!inferred_principals_.empty())
    inferred = fmt::format(
        " {} was taken for an AI application principal because its role sessions call the Bedrock runtime "
        "(Converse, InvokeModel, Retrieve, InvokeAgent){}.",
        join(inferred_principals_, 5),
        coverage.profile_loaded ? "" : "; a profile naming the application's roles and allowed_actions would confirm it");
  // What the invocation logs show the model asked its tools to do.
  std::string tools;
  if (tool_call_records_ > 0) {
    std::vector<std::pair<std::uint64_t, std::string_view>> by_count;
    for (const auto& [name, n] : tool_names_) by_count.emplace_back(n, name);
    std::sort(by_count.begin(), by_count.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    std::string names;
    for (std::size_t i = 0; i < by_count.size() && i < 10; ++i)
      names += fmt::format("{}{} ({})", i ? ", " : "", by_count[i].second, by_count[i].first);
    if (by_count.size() > 10) names += fmt::format(", ... (+{})", by_count.size() - 10);
    tools = fmt::format(" In the invocation logs the model asked for tool calls in {} response(s){}.",
                        tool_call_records_, names.empty() ? std::string() : fmt::format(": {}", names));
  }
  if (coverage.lambda_data_events == 0)
    gaps += " No Lambda data events: Lambda Invoke calls (agent tools) are invisible.";
  if (coverage.s3_data_events == 0) gaps += " No S3 data events: object writes and deletes are invisible.";

  // Q1: can the AI application act?
  {
    QuestionAnswer q;
    q.id = "agency.can_act";
    q.question =
        "Can the generative AI application resources be used to start computing services in an organization, or do "
        "the generative AI resources have the authority to make changes?";
    q.rules = family_rules;
    std::string done;
    for (const auto& [label, n] : families_done_) {
      if (label.starts_with("other:")) continue;
      if (!done.empty()) done += ", ";
      done += fmt::format("{} ({})", label, n);
    }
    std::string others;
    for (const auto& [label, n] : families_done_) {
      if (!label.starts_with("other:")) continue;
      if (!others.empty()) others += ", ";
      others += fmt::format("{} ({})", label.substr(6), n);
    }
    if (coverage.cloudtrail_events == 0 && tool_call_records_ > 0) {
      q.answer = Answer::kYes;
      q.explanation = fmt::format(
          "The application gives its model tools.{} Without CloudTrail, what those tools did in AWS cannot be "
          "seen.",
          tools);
    } else if (coverage.cloudtrail_events == 0) {
      q.answer = Answer::kCannotTell;
      q.explanation = "No CloudTrail events: actions taken by AI principals cannot be seen.";
    } else if (!done.empty()) {
      q.answer = Answer::kYes;
      q.explanation = fmt::format(
          "AI application principals ({}) were seen performing: {}.{}{}{}{} Their IAM policies define the full "
          "authority.",
          ai_principals_.size(), done, others.empty() ? "" : fmt::format(" Other services called: {}.", others),
          tools, inferred, gaps);
    } else if (tool_call_records_ > 0) {
      q.answer = Answer::kYes;
      q.explanation = fmt::format(
          "No high-impact action (email, SNS, Lambda, IAM, EC2, S3 writes, secrets) by an AI application principal "
          "in CloudTrail{}.{} What the tools could do is defined by their code and IAM policies: review "
          "them.{}{}",
          others.empty() ? "" : fmt::format("; other services called: {}", others), tools, inferred, gaps);
    } else if (!ai_principals_.empty()) {
      q.answer = Answer::kNotFound;
      q.explanation = fmt::format(
          "{} AI application principal(s) seen, with no high-impact action (email, SNS, Lambda, IAM, EC2, S3 "
          "writes, secrets){}. What they could do is defined by their IAM policies: review them.{}{}",
          ai_principals_.size(), others.empty() ? "" : fmt::format("; other services called: {}", others), inferred,
          gaps);
    } else {
      q.answer = Answer::kNotFound;
      q.explanation = fmt::format(
          "No call made by or through an AI service was identified (invokedBy/sourceIPAddress bedrock, agent "
          "Lambdas, app roles).{}{}",
          coverage.profile_loaded ? "" : " A profile naming the application's roles (app_principals) would sharpen this.",
          gaps);
    }
    out.push_back(std::move(q));
  }

  // Q2: unauthorized actions?
  {
    QuestionAnswer q;
    q.id = "agency.unauthorized_actions";
    q.question = "Were unauthorized changes made, or unauthorized functions invoked, by the generative AI application?";
    // Without allowed_actions, a high-impact action type the application never
    // used before the baseline stands in for "unauthorized" (new_action_after_baseline).
    q.rules = {"agency.action_outside_allowed", "agency.new_action_after_baseline", "agency.iam_change_by_ai",
               "agency.lambda_change_by_ai",    "agency.compute_start_by_ai",       "agency.network_change_by_ai",
               "agency.action_burst",           "agency.ai_service_role_iam_write", "agency.lambda_role_iam_write",
               "agency.tool_call_to_retrieved_address"};
    // As the analyzer's own answer below: a new action type below medium is not an
    // unauthorized one.
    q.min_severity = Severity::kMedium;
    StrSet hits;
    if (emitted_rules_.count("agency.action_outside_allowed")) hits.insert("agency.action_outside_allowed");
    for (const auto& r : high_rules_) hits.insert(r);
    for (const auto& r : medium_rules_)
      if (r == "agency.new_action_after_baseline" || r == "agency.tool_call_to_retrieved_address") hits.insert(r);
    if (hits.count("agency.tool_call_to_retrieved_address") && coverage.cloudtrail_events == 0) {
      q.answer = Answer::kYes;
      q.explanation = fmt::format(
          "The model called tools with addresses that only retrieved text supplied "
          "(agency.tool_call_to_retrieved_address).{} Without CloudTrail, what the tools did cannot be seen.",
          tools);
    } else if (coverage.cloudtrail_events == 0) {
      q.answer = Answer::kCannotTell;
      q.explanation = "No CloudTrail events: actions taken by AI principals cannot be seen.";
    } else if (!hits.empty()) {
      q.answer = Answer::kYes;
      q.explanation = fmt::format("{}Findings: {}.{}{}", unauthorized_summary_.empty() ? "" : unauthorized_summary_ + " ",
                                  join(hits), inferred, gaps);
    } else if (!allowed_lists_) {
      q.answer = Answer::kNotFound;
      q.explanation = fmt::format(
          "No IAM, compute, Lambda-code or network change and no burst by AI principals. Without allowed_actions "
          "for the application's principals in a profile, other actions cannot be judged authorized or not.{}",
          gaps);
    } else if (coverage.lambda_data_events == 0 || coverage.s3_data_events == 0) {
      q.answer = Answer::kNotFound;
      q.explanation = fmt::format("No action outside the profile's allowed_actions in the management events.{}", gaps);
    } else {
      q.answer = Answer::kNo;
      q.explanation = "Every action by the application's principals is within the profile's allowed_actions.";
    }
    out.push_back(std::move(q));
  }
}

}  // namespace

std::unique_ptr<Analyzer> make_agency(const AnalyzerConfig& config) {
  return std::make_unique<AgencyAnalyzer>(config);
}

}  // namespace aiir
