// SPDX-License-Identifier: Apache-2.0
// Normalization: one forward pass over each record's fields fills an EventView.
#include "event/normalize.h"

#include <fmt/format.h>

#include "util/hash.h"
#include "util/time.h"

namespace aiir {
namespace dom = simdjson::dom;

namespace {

/// S3 data events wrap the caller's user agent in brackets ("[aws-cli/2.15.0 ...]"):
/// the same client as in management events, so the brackets go.
std::string_view unbracket(std::string_view ua) noexcept {
  if (ua.size() >= 2 && ua.front() == '[' && ua.back() == ']') return ua.substr(1, ua.size() - 2);
  return ua;
}

std::string_view str(dom::element v) noexcept {
  std::string_view s;
  if (v.get_string().get(s) == simdjson::SUCCESS) return s;
  return {};
}

std::int64_t int_or(dom::element v, std::int64_t fallback) noexcept {
  std::int64_t i;
  if (v.get_int64().get(i) == simdjson::SUCCESS) return i;
  double d;
  if (v.get_double().get(d) == simdjson::SUCCESS) return static_cast<std::int64_t>(d);
  std::string_view s;
  if (v.get_string().get(s) == simdjson::SUCCESS) {
    std::int64_t n = 0;
    if (s.empty()) return fallback;
    for (char c : s) {
      if (c < '0' || c > '9') return fallback;
      n = n * 10 + (c - '0');
    }
    return n;
  }
  return fallback;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

bool time_of(dom::element v, std::int64_t& ms) noexcept {
  std::string_view s;
  if (v.get_string().get(s) == simdjson::SUCCESS) return parse_time(s, ms);
  // Years 1 to 9999: anything outside is no time (and would overflow below).
  constexpr std::int64_t kMinMs = -62135596800000LL, kMaxMs = 253402300799999LL;
  std::int64_t i;
  if (v.get_int64().get(i) == simdjson::SUCCESS) {
    if (i < kMinMs / 1000 || i > kMaxMs) return false;
    ms = i >= 100000000000LL ? i : i * 1000;
    return true;
  }
  double d;
  if (v.get_double().get(d) == simdjson::SUCCESS) {
    double m = d >= 1e11 ? d : d * 1000.0;
    if (!(m >= static_cast<double>(kMinMs) && m <= static_cast<double>(kMaxMs))) return false;
    ms = static_cast<std::int64_t>(m);
    return true;
  }
  return false;
}

void read_session_context(dom::object sc, EventView& ev) noexcept {
  for (auto [key, value] : sc) {
    if (key == "sessionIssuer") {
      dom::object issuer;
      if (value.get_object().get(issuer) == simdjson::SUCCESS) {
        dom::element arn;
        if (issuer["arn"].get(arn) == simdjson::SUCCESS) ev.session_issuer = str(arn);
      }
    } else if (key == "attributes") {
      dom::object attrs;
      if (value.get_object().get(attrs) == simdjson::SUCCESS) {
        dom::element mfa;
        if (attrs["mfaAuthenticated"].get(mfa) == simdjson::SUCCESS) {
          Tri t = parse_tri(mfa);
          if (t != Tri::kUnknown) ev.mfa = t;
        }
      }
    }
  }
}

void read_user_identity(dom::object ui, EventView& ev, std::string_view& on_behalf_user) noexcept {
  bool seen_type = false;
  for (auto [key, value] : ui) {
    switch (key.size()) {
      case 3:
        if (key == "arn") ev.actor_arn = str(value);
        break;
      case 4:
        if (key == "type") {
          ev.repeated_keys = ev.repeated_keys || seen_type;  // a raw lookup finds the first
          seen_type = true;
          ev.actor_type = str(value);
        }
        break;
      case 8:
        if (key == "userName") ev.user_name = str(value);
        break;
      case 9:
        if (key == "accountId") {
          ev.actor_account = str(value);
        } else if (key == "invokedBy") {
          ev.invoked_by = str(value);
        } else if (key == "inScopeOf") {
          dom::object scope;
          if (value.get_object().get(scope) != simdjson::SUCCESS) break;
          for (auto [k, v] : scope) {
            if (k == "issuerType") ev.issuer_type = str(v);
            else if (k == "credentialsIssuedTo") ev.issued_to = str(v);
          }
        }
        break;
      case 10:
        if (key == "onBehalfOf") {
          dom::element uid;
          if (value["userId"].get(uid) == simdjson::SUCCESS) on_behalf_user = str(uid);
        }
        break;
      case 11:
        if (key == "principalId") ev.principal_id = str(value);
        else if (key == "accessKeyId") ev.access_key_id = str(value);
        break;
      case 14:
        if (key == "sessionContext") {
          dom::object sc;
          if (value.get_object().get(sc) == simdjson::SUCCESS) read_session_context(sc, ev);
        }
        break;
      default:
        break;
    }
  }
}

void read_resources(dom::element value, NormalizeArena& arena) {
  dom::array arr;
  if (value.get_array().get(arr) != simdjson::SUCCESS) return;
  for (dom::element r : arr) {
    dom::object o;
    if (r.get_object().get(o) != simdjson::SUCCESS) continue;
    ResourceView rv;
    for (auto [key, v] : o) {
      if (key == "type" || key == "ResourceType") rv.type = str(v);
      else if (iequals(key, "ARN") || key == "ResourceName") rv.arn = str(v);
    }
    if (!rv.type.empty() || !rv.arn.empty()) arena.resources.push_back(rv);
  }
}

/// The actor key when userIdentity has no ARN (formats.md §1.2).
void derive_actor(EventView& ev, std::string_view on_behalf_user, NormalizeArena& arena) {
  if (!ev.actor_arn.empty()) return;
  if (ev.actor_type == "AWSService" && !ev.invoked_by.empty()) {
    ev.actor_arn = ev.invoked_by;
  } else if (ev.actor_type == "Root" && !ev.actor_account.empty()) {
    ev.actor_arn = arena.keep(fmt::format("arn:aws:iam::{}:root", ev.actor_account));
  } else if (ev.actor_type == "IAMUser" && !ev.user_name.empty() && !ev.actor_account.empty()) {
    ev.actor_arn = arena.keep(fmt::format("arn:aws:iam::{}:user/{}", ev.actor_account, ev.user_name));
  } else if (ev.actor_type == "IdentityCenterUser" && !on_behalf_user.empty()) {
    ev.actor_arn = arena.keep(fmt::format("identitycenter:{}", on_behalf_user));
  } else if (!ev.principal_id.empty()) {
    ev.actor_arn = arena.keep(fmt::format("{}:{}", ev.actor_type.empty() ? "Unknown" : ev.actor_type,
                                          ev.principal_id));
  } else if (ev.access_key_id.starts_with("AKIA")) {
    // A table that keeps only the user name and key (the console's Event
    // history): a long-term key is an IAM user's, and names it for good.
    ev.actor_arn = arena.keep(ev.user_name.empty() ? fmt::format("AccessKey:{}", ev.access_key_id)
                                                   : fmt::format("IAMUser:{}", ev.user_name));
  } else if (!ev.user_name.empty() && ev.access_key_id.empty()) {
    ev.actor_arn = arena.keep(fmt::format("UserName:{}", ev.user_name));
  }
  // A temporary key with a name: the name is a role session's, new with each
  // session; no stable actor can be derived.
}

/// The model a Bedrock model call names only in resources[] (tables that keep
/// no request parameters): a foundation model by its id, any other model or
/// inference profile by its ARN (knowledge bases, guardrails... are not models).
std::string_view model_from_resources(std::span<const ResourceView> resources) noexcept {
  constexpr std::string_view kFoundation = ":foundation-model/";
  for (const ResourceView& r : resources) {
    if (const std::size_t at = r.arn.find(kFoundation); at != std::string_view::npos)
      return r.arn.substr(at + kFoundation.size());
  }
  for (const ResourceView& r : resources) {
    for (std::string_view kind : {":inference-profile/", ":application-inference-profile/", ":custom-model/",
                                  ":provisioned-model/", ":imported-model/", ":prompt-router/", ":model-endpoint/"})
      if (r.arn.starts_with("arn:") && r.arn.find(kind) != std::string_view::npos) return r.arn;
  }
  return {};
}

/// The first occurrence of a member EventView keeps (a raw lookup finds the first).
void note_member(EventView::Member& m, dom::element value) noexcept {
  if (m.found == EventView::Found::kPresent) return;
  m.found = EventView::Found::kPresent;
  m.value = value;
}

bool normalize_cloudtrail(dom::object obj, NormalizeArena& arena, EventView& ev, SkipReason& why) {
  const std::size_t resources_from = arena.resources.size();
  bool have_time = false;
  std::string_view recipient;
  std::string_view on_behalf_user;
  dom::element insight_details;  // default-constructed: not valid to query
  bool is_insight = false, have_details = false;
  bool seen_name = false, seen_source = false, seen_identity = false;
  for (auto [key, value] : obj) {
    switch (key.size()) {
      case 7:
        if (key == "eventID") ev.event_id = str(value);
        break;
      case 8:
        if (key == "readOnly") ev.read_only = parse_tri(value);
        break;
      case 9:
        if (key == "eventTime") have_time = time_of(value, ev.time_ms);
        else if (key == "eventName") {
          ev.repeated_keys = ev.repeated_keys || seen_name;
          seen_name = true;
          ev.action = str(value);
        }
        else if (key == "awsRegion") ev.region = str(value);
        else if (key == "errorCode") ev.error_code = str(value);
        else if (key == "requestID") ev.request_id = str(value);
        else if (key == "eventType") {
          ev.event_type = str(value);
          if (ev.event_type == "AwsCloudTrailInsight") is_insight = true;
        } else if (key == "resources") read_resources(value, arena);
        else if (key == "userAgent") ev.user_agent = unbracket(str(value));
        break;
      case 11:
        if (key == "eventSource") {
          ev.repeated_keys = ev.repeated_keys || seen_source;
          seen_source = true;
          ev.service = str(value);
        }
        break;
      case 12:
        if (key == "userIdentity") {
          ev.repeated_keys = ev.repeated_keys || seen_identity;
          seen_identity = true;
          dom::object ui;
          if (value.get_object().get(ui) == simdjson::SUCCESS) read_user_identity(ui, ev, on_behalf_user);
        } else if (key == "errorMessage") ev.error_message = str(value);
        break;
      case 13:
        if (key == "eventCategory") ev.event_category = str(value);
        break;
      case 14:
        if (key == "insightDetails") {
          insight_details = value;
          is_insight = have_details = true;
        }
        break;
      case 15:
        if (key == "sourceIPAddress") ev.source_ip = str(value);
        else if (key == "managementEvent") ev.management = parse_tri(value);
        break;
      case 16:
        if (key == "responseElements") {
          dom::element login;
          if (value.is_object() && value["ConsoleLogin"].get(login) == simdjson::SUCCESS &&
              iequals(str(login), "Failure")) {
            ev.outcome = Outcome::kFailure;
          }
        }
        break;
      case 17:
        if (key == "requestParameters") {
          note_member(ev.request_parameters_member, value);
          dom::element model;
          if (value.is_object() && value["modelId"].get(model) == simdjson::SUCCESS) ev.model_id = str(model);
        }
        break;
      case 18:
        if (key == "recipientAccountId") recipient = str(value);
        break;
      case 19:
        if (key == "additionalEventData") {
          note_member(ev.additional_event_data_member, value);
          dom::object aed;
          if (value.get_object().get(aed) != simdjson::SUCCESS) break;
          for (auto [k, v] : aed) {
            if (k == "MFAUsed") {
              Tri t = parse_tri(v);
              if (t != Tri::kUnknown && ev.mfa == Tri::kUnknown) ev.mfa = t;
            } else if (k == "inferenceRegion") {
              ev.inference_region = str(v);
            } else if (k == "inputTokens") {
              ev.tokens_in = int_or(v, -1);
            } else if (k == "outputTokens") {
              ev.tokens_out = int_or(v, -1);
            }
          }
        }
        break;
      case 28:
        if (key == "sessionCredentialFromConsole") note_member(ev.from_console_member, value);
        break;
      default:
        break;
    }
  }
  for (EventView::Member* m : {&ev.request_parameters_member, &ev.additional_event_data_member, &ev.from_console_member})
    if (m->found == EventView::Found::kUnknown) m->found = EventView::Found::kAbsent;
  if (!is_insight && ev.service.empty() && ev.action.empty() && ev.event_type.empty()) {
    why = SkipReason::kUnrecognisedRecord;  // no CloudTrail record at all
    return false;
  }
  if (!have_time) {
    why = SkipReason::kMissingTime;
    return false;
  }
  ev.kind = is_insight ? EventKind::kInsight : EventKind::kCloudTrail;
  if (have_details) {  // eventType AwsCloudTrailInsight alone makes an Insight with no details
    dom::element v;
    if (insight_details["eventSource"].get(v) == simdjson::SUCCESS) ev.service = str(v);
    if (insight_details["eventName"].get(v) == simdjson::SUCCESS) ev.action = str(v);
  }
  ev.account = recipient.empty() ? ev.actor_account : recipient;
  if (!ev.error_code.empty()) ev.outcome = Outcome::kFailure;
  derive_actor(ev, on_behalf_user, arena);
  const bool model_call = ev.action.starts_with("InvokeModel") || ev.action.starts_with("Converse") ||
                          ev.action == "StartAsyncInvoke";
  if (ev.model_id.empty() && model_call && ev.service == "bedrock.amazonaws.com" &&
      arena.resources.size() > resources_from)
    ev.model_id = model_from_resources(std::span(arena.resources).subspan(resources_from));
  return true;
}

bool normalize_invocation(dom::object obj, NormalizeArena& arena, EventView& ev, SkipReason& why) {
  bool have_time = false;
  bool seen_operation = false;
  for (auto [key, value] : obj) {
    if (key == "timestamp") {
      have_time = time_of(value, ev.time_ms);
    } else if (key == "accountId") {
      ev.account = str(value);
    } else if (key == "region") {
      ev.region = str(value);
    } else if (key == "requestId") {
      ev.request_id = str(value);
    } else if (key == "operation") {
      ev.repeated_keys = ev.repeated_keys || seen_operation;
      seen_operation = true;
      ev.action = str(value);
    } else if (key == "modelId") {
      ev.model_id = str(value);
    } else if (key == "identity") {
      dom::element arn;
      if (value.is_object() && value["arn"].get(arn) == simdjson::SUCCESS) ev.actor_arn = str(arn);
    } else if (key == "errorCode") {
      ev.error_code = str(value);
    } else if (key == "errorMessage") {
      ev.error_message = str(value);
    } else if (key == "inferenceRegion") {
      ev.inference_region = str(value);
    } else if (key == "input") {
      dom::object in;
      if (value.get_object().get(in) != simdjson::SUCCESS) continue;
      for (auto [k, v] : in) {
        if (k == "inputTokenCount") ev.tokens_in = int_or(v, -1);
        else if (k == "cacheReadInputTokenCount") ev.tokens_cache_read = int_or(v, -1);
        else if (k == "cacheWriteInputTokenCount") ev.tokens_cache_write = int_or(v, -1);
      }
    } else if (key == "output") {
      dom::object out;
      if (value.get_object().get(out) != simdjson::SUCCESS) continue;
      dom::element v;
      if (out["outputTokenCount"].get(v) == simdjson::SUCCESS) ev.tokens_out = int_or(v, -1);
    }
  }
  if (!have_time) {
    why = SkipReason::kMissingTime;
    return false;
  }
  ev.kind = EventKind::kInvocation;
  ev.service = "bedrock.amazonaws.com";
  ev.event_type = "ModelInvocationLog";
  ev.read_only = Tri::kTrue;
  ev.actor_type = actor_type_from_arn(ev.actor_arn);
  if (ev.actor_type == "AssumedRole") {
    if (ev.actor_arn != arena.assumed_arn) {  // (never empty here: the type comes from the ARN)
      arena.assumed_arn = ev.actor_arn;
      arena.role_arn = arena.keep(role_arn_from_assumed(ev.actor_arn));
    }
    ev.session_issuer = arena.role_arn;
  }
  if (!ev.error_code.empty()) ev.outcome = Outcome::kFailure;
  // Invocation records have no event id; a stable hash of what identifies the call.
  detail::StableHash h;
  h.add(ev.request_id).add(static_cast<std::uint64_t>(ev.time_ms)).add(ev.account).add(ev.action).add(ev.model_id)
      .add(ev.actor_arn).add(static_cast<std::uint64_t>(ev.tokens_in)).add(static_cast<std::uint64_t>(ev.tokens_out));
  ev.event_id = arena.keep(h.hex());
  if (!ev.model_id.empty()) arena.resources.push_back({"AWS::Bedrock::Model", ev.model_id});
  return true;
}

bool normalize_kb_log(dom::object obj, EventView& ev, SkipReason& why) {
  bool have_time = false;
  for (auto [key, value] : obj) {
    if (key == "event_timestamp") have_time = time_of(value, ev.time_ms);
    else if (key == "event_type") ev.action = str(value);
    else if (key == "account_id") ev.account = str(value);
    else if (key == "event") {
      dom::object e;
      if (value.get_object().get(e) != simdjson::SUCCESS) continue;
      for (auto [k, v] : e) {
        if (k == "knowledge_base_arn") ev.actor_arn = str(v);
        else if (k == "status" && (str(v) == "FAILED" || str(v) == "IGNORED")) ev.outcome = Outcome::kFailure;
      }
    }
  }
  if (!have_time) {
    why = SkipReason::kMissingTime;
    return false;
  }
  ev.kind = EventKind::kKnowledgeBaseLog;
  ev.service = "bedrock.amazonaws.com";
  return true;
}

}  // namespace

Tri parse_tri(dom::element value) noexcept {
  bool b;
  if (value.get_bool().get(b) == simdjson::SUCCESS) return b ? Tri::kTrue : Tri::kFalse;
  std::string_view s = str(value);
  if (iequals(s, "true") || iequals(s, "yes")) return Tri::kTrue;
  if (iequals(s, "false") || iequals(s, "no")) return Tri::kFalse;
  return Tri::kUnknown;
}

RecordType classify_record(dom::object obj) noexcept {
  bool event_version = false, event_source = false, event_type = false, schema_invocation = false,
       model = false, operation = false, io = false, timestamp = false, insight = false, kb = false;
  for (auto [key, value] : obj) {
    if (key == "eventVersion") event_version = true;
    else if (key == "eventSource") event_source = true;
    else if (key == "eventType") {
      event_type = true;
      if (str(value) == "AwsCloudTrailInsight") insight = true;
    } else if (key == "insightDetails") insight = true;
    else if (key == "schemaType") schema_invocation = str(value) == "ModelInvocationLog";
    else if (key == "modelId") model = true;
    else if (key == "operation") operation = true;
    else if (key == "input" || key == "output") io = true;
    else if (key == "timestamp") timestamp = true;
    else if (key == "event_timestamp") kb = kb || true;
  }
  if (insight && event_version) return RecordType::kInsight;
  if (event_version && (event_source || event_type)) return RecordType::kCloudTrail;
  if (schema_invocation || (model && operation && (io || timestamp))) return RecordType::kInvocation;
  if (kb) {
    dom::element t;
    if (obj["event_type"].get(t) == simdjson::SUCCESS) return RecordType::kKnowledgeBaseLog;
  }
  return RecordType::kUnknown;
}

namespace {

/// EventView::dedup_key. CloudTrail by eventID; invocation records by the hash
/// of what identifies the call (their event id: request id, time, account,
/// operation, model, caller, tokens), so that the S3 and the CloudWatch Logs
/// copies of one call count once. Keys live in this process only: the
/// library's word-at-a-time hash, not StableHash's byte-at-a-time FNV.
std::uint64_t dedup_key_of(const EventView& ev) noexcept {
  if ((ev.kind != EventKind::kCloudTrail && ev.kind != EventKind::kInvocation) || ev.event_id.empty()) return 0;
  const std::hash<std::string_view> hash;
  std::uint64_t key = hash(ev.event_id) ^ (hash(ev.account) * 0x9e3779b97f4a7c15ULL);
  if (ev.kind == EventKind::kInvocation) key = ~key;
  return key == 0 ? 1 : key;
}

bool normalize_kind(dom::object obj, RecordType type, NormalizeArena& arena, EventView& ev, SkipReason& why) {
  switch (type) {
    case RecordType::kCloudTrail:
    case RecordType::kInsight:
      return normalize_cloudtrail(obj, arena, ev, why);
    case RecordType::kInvocation:
      return normalize_invocation(obj, arena, ev, why);
    case RecordType::kKnowledgeBaseLog:
      return normalize_kb_log(obj, ev, why);
    case RecordType::kUnknown:
      break;
  }
  why = SkipReason::kUnrecognisedRecord;
  return false;
}

}  // namespace

bool normalize_record(dom::element record, RecordType type, NormalizeArena& arena, EventView& ev,
                      std::size_t& resource_begin, SkipReason& why) {
  dom::object obj;
  if (record.get_object().get(obj) != simdjson::SUCCESS) {
    why = SkipReason::kNotAnObject;
    return false;
  }
  resource_begin = arena.resources.size();
  ev.raw = record;
  if (!normalize_kind(obj, type, arena, ev, why)) return false;
  ev.dedup_key = dedup_key_of(ev);
  return true;
}

std::string role_arn_from_assumed(std::string_view arn) {
  // arn:aws:sts::111122223333:assumed-role/RoleName/session
  std::size_t at = arn.find(":assumed-role/");
  if (at == std::string_view::npos) return {};
  std::size_t colon = arn.rfind(':', at - 1);  // before the account
  std::string_view prefix = arn.substr(0, at);  // arn:aws:sts::ACCT
  std::size_t sts = prefix.find(":sts:");
  if (sts == std::string_view::npos || colon == std::string_view::npos) return {};
  std::string_view partition = prefix.substr(0, sts);  // arn:aws
  std::string_view account = arn.substr(colon + 1, at - colon - 1);
  std::string_view rest = arn.substr(at + 14);
  std::size_t slash = rest.find('/');
  std::string_view role = slash == std::string_view::npos ? rest : rest.substr(0, slash);
  return fmt::format("{}:iam::{}:role/{}", partition, account, role);
}

std::string_view actor_type_from_arn(std::string_view arn) noexcept {
  if (arn.find(":assumed-role/") != std::string_view::npos) return "AssumedRole";
  if (arn.find(":user/") != std::string_view::npos) return "IAMUser";
  if (arn.find(":federated-user/") != std::string_view::npos) return "FederatedUser";
  if (arn.size() >= 5 && arn.substr(arn.size() - 5) == ":root") return "Root";
  if (arn.find(":role/") != std::string_view::npos) return "Role";
  return {};
}

}  // namespace aiir
