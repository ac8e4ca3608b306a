// SPDX-License-Identifier: Apache-2.0
// Which principals act for the AI application: markers, learned roles, profile roles.
#include "analyzers/ai_principals.h"

#include <fmt/format.h>

#include <array>
#include <atomic>
#include <mutex>
#include <string>
#include <unordered_set>

#include "event/normalize.h"

namespace aiir::detail {

namespace dom = simdjson::dom;

/// True for the DNS names of AWS generative-AI services acting for a principal.
bool is_ai_service(std::string_view name) noexcept {
  if (name.empty()) return false;
  if (istarts_with(name, "bedrock") && iends_with(name, ".amazonaws.com")) return true;
  return iequals(name, "sagemaker.amazonaws.com") || iequals(name, "q.amazonaws.com") ||
         iequals(name, "qbusiness.amazonaws.com");
}

/// User-agent markers of agent runtimes (the service name itself, or an
/// AgentCore / Strands execution environment).
bool is_ai_user_agent(std::string_view ua, std::string_view service) noexcept {
  if (ua.empty()) return false;
  if (is_ai_service(ua)) return true;
  // SDK clients calling Bedrock itself carry "api/bedrock-*" markers: those are
  // callers of the AI service, not actions taken by it.
  if (istarts_with(service, "bedrock")) return false;
  // Each marker holds "gent": one search for it settles most user agents.
  if (!icontains(ua, "gent")) return false;
  return icontains(ua, "agentcore") || icontains(ua, "strands-agents") || icontains(ua, "bedrock-agent/");
}

/// Role-level principal: the session issuer for role sessions, else the actor.
std::string_view principal_of(const EventView& e) noexcept {
  return !e.session_issuer.empty() ? e.session_issuer : e.actor_arn;
}

std::string principal_identity(std::string_view arn) {
  if (arn.find(":assumed-role/") != std::string_view::npos) {
    // IAM Identity Center permission-set roles: the session name is the person
    // (carol@example.com), who is the caller to tell apart.
    if (arn.find(":assumed-role/AWSReservedSSO_") != std::string_view::npos) return std::string(arn);
    std::string role = role_arn_from_assumed(arn);
    if (!role.empty()) return role;
  }
  return std::string(arn);
}

bool profile_arn_matches(std::string_view pattern, std::string_view arn) {
  if (arn.empty() || pattern.empty()) return false;
  if (wildcard_match(pattern, arn)) return true;
  std::string role = arn.find(":assumed-role/") != std::string_view::npos ? role_arn_from_assumed(arn) : std::string();
  if (!role.empty() && wildcard_match(pattern, role)) return true;
  if (role.empty()) role = std::string(arn);
  // Without the pattern's role path, against a role ARN that has none (as sessions give it).
  std::size_t at = pattern.find(":role/");
  std::size_t slash = pattern.rfind('/');
  if (at == std::string_view::npos || slash == std::string_view::npos || slash <= at + 5) return false;
  std::string no_path = std::string(pattern.substr(0, at + 6)).append(pattern.substr(slash + 1));
  return wildcard_match(no_path, role);
}

const AppPrincipal* find_app_principal(const Profile& profile, std::string_view identity) {
  if (identity.empty() || profile.app_principals.empty()) return nullptr;
  for (const AppPrincipal& p : profile.app_principals)
    if (profile_arn_matches(p.arn, identity)) return &p;
  return nullptr;
}

namespace {
/// is_ai_user_agent() for the events of a scan, which mostly repeat a few
/// user agents: what their text says (the search through it) is remembered
/// per thread, in slots by the agent's ClientIds id. The analyzers that ask
/// for a marker ask for the event's client ids too: the agent is compared
/// with a remembered one once, not again here.
bool is_ai_user_agent_cached(const EventView& e) {
  if (e.user_agent.empty()) return false;
  struct Slot {
    std::uint64_t id = 0;       ///< the agent's ClientIds id (0: empty)
    bool service_name = false;  ///< is_ai_service(ua)
    bool marker = false;        ///< is_ai_user_agent(ua, a service other than Bedrock)
  };
  thread_local std::array<Slot, 16> slots{};
  const std::uint64_t id = ClientIds{}.of(e)[ClientIds::kAgent];
  Slot& slot = slots[id % slots.size()];
  if (slot.id != id) {  // ids are never reused: the same id is the same text
    slot.id = id;
    slot.service_name = is_ai_service(e.user_agent);
    slot.marker = is_ai_user_agent(e.user_agent, "");
  }
  // As is_ai_user_agent: a Bedrock client's own markers do not count.
  return slot.service_name || (slot.marker && !istarts_with(e.service, "bedrock"));
}

void write_ai_marker(const EventView& e, std::string& out) {
  out.clear();
  if (is_ai_service(e.invoked_by)) {
    out.append("invokedBy=").append(e.invoked_by);
  } else if (is_ai_service(e.source_ip)) {
    out.append("sourceIPAddress=").append(e.source_ip);
  } else if (is_ai_user_agent_cached(e)) {
    out.append("userAgent=").append(e.user_agent.substr(0, 128));
  } else if (e.kind == EventKind::kCloudTrail && same_text(e.issuer_type, "AWS::Lambda::Function")) {
    std::string_view fn = lambda_function_name(e.issued_to);
    if (!fn.empty()) out.append("lambda=").append(fn.substr(0, 128));
  }
}
}  // namespace

namespace {
/// Per-thread caches of what is derived from an event keep an entry for each
/// of the last kRecentEvents consecutive EventViews (scan.cpp's chunk).
constexpr std::size_t kRecentEvents = 64;
std::size_t recent_event_slot(const EventView& e) noexcept {
  return (reinterpret_cast<std::uintptr_t>(&e) / sizeof(EventView)) % kRecentEvents;
}
}  // namespace

std::string_view ai_marker(const EventView& e) {
  // The scan hands each analyzer a chunk of events in turn (scan.cpp), so an
  // entry per event of a chunk serves both analyzers that ask. Consecutive
  // events of a batch are consecutive EventViews: their entries differ. The
  // event is known by its entry and its record, time and field addresses
  // together: an entry is reused for later records.
  struct Last {
    const EventView* event = nullptr;
    RecordRef where;
    std::int64_t time_ms = 0;
    const char* user_agent = nullptr;
    const char* source_ip = nullptr;
    const char* invoked_by = nullptr;
    std::string marker;
  };
  thread_local std::array<Last, kRecentEvents> recent;
  Last& last = recent[recent_event_slot(e)];
  if (last.event != &e || last.where.file != e.where.file || last.where.record != e.where.record ||
      last.time_ms != e.time_ms || last.user_agent != e.user_agent.data() || last.source_ip != e.source_ip.data() ||
      last.invoked_by != e.invoked_by.data()) {
    write_ai_marker(e, last.marker);
    last.event = &e;
    last.where = e.where;
    last.time_ms = e.time_ms;
    last.user_agent = e.user_agent.data();
    last.source_ip = e.source_ip.data();
    last.invoked_by = e.invoked_by.data();
  }
  return last.marker;
}

const std::string* interned_path(std::string_view path) {
  thread_local const std::string* last = nullptr;
  if (last != nullptr && same_text(*last, path)) return last;
  static std::mutex mutex;
  static std::unordered_set<std::string, TextHash, std::equal_to<>> paths;  // nodes: entries never move
  std::lock_guard<std::mutex> lock(mutex);
  auto it = paths.find(path);
  if (it == paths.end()) it = paths.emplace(path).first;
  last = &*it;
  return last;
}

const ClientIds::Ids& ClientIds::of(const EventView& e) const {
  static std::atomic<std::uint64_t> next{0};  // ids of every thread: never one id for two values
  constexpr int kSlotBits = 6;
  struct Slot {
    std::string value;
    std::uint64_t id = 0;  ///< 0: empty
  };
  // The ids of a recent event: known by its entry and its record, time and
  // field addresses together, as ai_marker() knows it.
  struct Known {
    Ids ids{};
    const EventView* event = nullptr;
    RecordRef where;
    std::int64_t time_ms = 0;
    std::array<const char*, kFields> data{};
  };
  struct Table {
    std::array<std::array<Slot, std::size_t{1} << kSlotBits>, kFields> slots;
    std::array<Known, kRecentEvents> recent;
  };
  thread_local Table t;
  const std::array<std::string_view, kFields> values{e.source_ip, e.user_agent, e.access_key_id, e.account, e.region};
  Known& k = t.recent[recent_event_slot(e)];
  bool same = k.event == &e && k.where.file == e.where.file && k.where.record == e.where.record &&
              k.time_ms == e.time_ms;
  for (std::size_t f = 0; f < kFields && same; ++f) same = k.data[f] == values[f].data();
  if (same) return k.ids;
  for (std::size_t f = 0; f < kFields; ++f) {
    Slot& slot = t.slots[f][text_slot(values[f], kSlotBits)];
    if (slot.id == 0 || !same_text(slot.value, values[f])) {
      slot.value.assign(values[f]);
      slot.id = next.fetch_add(1, std::memory_order_relaxed) + 1;
    }
    k.ids[f] = slot.id;
    k.data[f] = values[f].data();
  }
  k.event = &e;
  k.where = e.where;
  k.time_ms = e.time_ms;
  return k.ids;
}

bool is_model_call(std::string_view action) noexcept {
  return has_prefix(action, "InvokeModel") || has_prefix(action, "Converse") || same_text(action, "StartAsyncInvoke");
}

bool disables_invocation_logging(const EventView& e) noexcept {
  if (e.outcome == Outcome::kFailure) return false;
  if (e.action == "DeleteModelInvocationLoggingConfiguration") return true;
  if (e.action != "PutModelInvocationLoggingConfiguration") return false;
  dom::element cfg;
  if (e.request_parameters()["loggingConfig"].get(cfg) != simdjson::SUCCESS || !cfg.is_object()) return false;
  dom::element text;
  if (cfg["textDataDeliveryEnabled"].get(text) == simdjson::SUCCESS) {
    bool b = true;
    if (text.get_bool().get(b) == simdjson::SUCCESS && !b) return true;
    std::string_view s;
    if (text.get_string().get(s) == simdjson::SUCCESS && (s == "false" || s == "False")) return true;
  }
  dom::element s3, cw;
  bool has_s3 = cfg["s3Config"].get(s3) == simdjson::SUCCESS && s3.is_object();
  bool has_cw = cfg["cloudWatchConfig"].get(cw) == simdjson::SUCCESS && cw.is_object();
  return !has_s3 && !has_cw;
}

bool is_bedrock_runtime_call(std::string_view service, std::string_view action) noexcept {
  if (!has_prefix(service, "bedrock")) return false;
  return is_model_call(action) || has_prefix(action, "Retrieve") || same_text(action, "InvokeAgent") ||
         same_text(action, "InvokeInlineAgent") || same_text(action, "InvokeFlow") ||
         same_text(action, "InvokeAgentRuntime") || same_text(action, "ApplyGuardrail") || same_text(action, "Rerank");
}

namespace {
/// A call made with console credentials (CloudTrail's sessionCredentialFromConsole).
bool console_session(const EventView& e) {
  if (e.kind != EventKind::kCloudTrail) return false;
  return e.from_console();
}
}  // namespace

void AiPrincipals::learn(const EventView& e) {
  const bool ok = e.outcome == Outcome::kSuccess;
  // A role whose sessions use models or knowledge bases is an AI application
  // role; not a person's: an Identity Center permission set (AWSReservedSSO_),
  // or a role whose CloudTrail runtime calls all came from a person's client:
  // a console session (the playground) or the AWS CLI at a terminal. Its calls
  // in the invocation logs (no client there) are the same calls.
  if (ok && is_bedrock_runtime_call(e.service, e.action)) {
    std::string_view role;
    if (!e.session_issuer.empty()) {
      role = last_segment(e.session_issuer);
    } else if (std::size_t at = e.actor_arn.find(":assumed-role/"); at != std::string_view::npos) {
      role = e.actor_arn.substr(at + 14);
      role = role.substr(0, role.find('/'));
    }
    if (!role.empty() && !role.starts_with("AWSReservedSSO_")) {
      const bool person = console_session(e) || (e.kind == EventKind::kCloudTrail && e.user_agent.starts_with("aws-cli/"));
      StrSet& set = e.kind != EventKind::kCloudTrail ? logged_runtime_roles_
                    : person                         ? person_runtime_roles_
                                                     : app_runtime_roles_;
      if (set.size() < kCap && set.find(role) == set.end()) set.emplace(capped(role));
    }
  }
  if (e.kind != EventKind::kCloudTrail) return;
  if (ok && same_text(e.service, "bedrock.amazonaws.com")) {
    if (e.action == "CreateAgentActionGroup" || e.action == "UpdateAgentActionGroup") {
      std::string_view fn = lambda_function_name(
          jstr(e.request_parameters()["actionGroupExecutor"]["lambda"]));
      if (!fn.empty()) {
        // The earliest attachment, whatever the order the records come in.
        if (auto it = action_group_lambdas_.find(fn); it != action_group_lambdas_.end())
          it->second = std::min(it->second, e.time_ms);
        else if (action_group_lambdas_.size() < kCap)
          action_group_lambdas_.emplace(capped(fn), e.time_ms);
      }
    } else if (e.action == "CreateAgent" || e.action == "UpdateAgent") {
      std::string_view role = jstr(e.request_parameters()["agentResourceRoleArn"]);
      if (!role.empty() && agent_roles_.size() < kCap) agent_roles_.emplace(capped(role));
    }
  } else if (ok && same_text(e.service, "lambda.amazonaws.com") && has_prefix(e.action, "Invoke") &&
             is_ai_service(e.invoked_by)) {
    // A Lambda data event: an AI service (an agent) ran this function, so its
    // role acts for the application, though no action group is known to name
    // it (which keeps the call itself from counting as the agent's own tool).
    std::string_view fn = lambda_function_name(jstr(e.request_parameters()["functionName"]));
    if (!fn.empty() && invoked_tools_.size() < kCap && invoked_tools_.find(fn) == invoked_tools_.end())
      invoked_tools_.emplace(capped(fn));
  } else if (ok && same_text(e.service, "lambda.amazonaws.com") &&
             (e.action.starts_with("CreateFunction") || e.action.starts_with("UpdateFunctionConfiguration"))) {
    std::string_view fn = lambda_function_name(jstr(e.request_parameters()["functionName"]));
    std::string_view role = jstr(e.request_parameters()["role"]);
    if (!fn.empty() && !role.empty()) add_pair(function_roles_, fn, role);
  }
  if (e.session_issuer.empty()) return;
  // What a session adds below, it adds again on each of its calls (the maps
  // and sets only grow, up to their caps): a session seen lately, with the
  // same role and credentials, is skipped. Sessions interleave: slots by the
  // session ARN.
  const bool lambda = same_text(e.issuer_type, "AWS::Lambda::Function");
  const bool assumed = same_text(e.actor_type, "AssumedRole");
  SeenSession& seen = seen_sessions_[text_slot(e.actor_arn, kSeenBits)];
  if (seen.valid && seen.lambda == lambda && seen.assumed == assumed && same_text(seen.actor, e.actor_arn) &&
      same_text(seen.issuer, e.session_issuer) && same_text(seen.issued_to, e.issued_to))
    return;
  if (lambda) {
    std::string_view fn = lambda_function_name(e.issued_to);
    if (!fn.empty()) add_pair(function_roles_, fn, e.session_issuer);
  }
  const std::string_view session = last_segment(e.actor_arn);
  if (assumed && !session.empty()) {
    auto role = role_sessions_.end();
    if (auto hit = role_index_.find(e.session_issuer); hit != role_index_.end()) {
      role = hit->second;
    } else {
      role = entry(role_sessions_, e.session_issuer);
      if (role != role_sessions_.end()) role_index_.emplace(std::string_view(role->first), role);
    }
    if (role != role_sessions_.end()) add_value(role->second, session);
  }
  seen.valid = true;
  seen.lambda = lambda;
  seen.assumed = assumed;
  seen.actor.assign(e.actor_arn);
  seen.issuer.assign(e.session_issuer);
  seen.issued_to.assign(e.issued_to);
}

void AiPrincipals::resolve() {
  ai_roles_.clear();
  tool_attached_.clear();
  runtime_roles_ = app_runtime_roles_;
  for (const auto& role : logged_runtime_roles_)
    if (!person_runtime_roles_.count(role)) runtime_roles_.insert(role);
  auto attached = [&](const std::string& role, std::int64_t at) {
    auto [it, inserted] = tool_attached_.emplace(role, at);
    if (!inserted) it->second = std::min(it->second, at);
  };
  for (const auto& role : agent_roles_) ai_roles_.emplace(role, "service role of a Bedrock agent (CreateAgent)");
  for (const auto& [fn, at] : action_group_lambdas_) {
    auto it = function_roles_.find(fn);
    if (it == function_roles_.end()) continue;
    for (const auto& role : it->second) {
      ai_roles_.emplace(role, fmt::format("execution role of agent action-group Lambda {}", fn));
      attached(role, at);
    }
  }
  for (const auto& [role, sessions] : role_sessions_) {
    for (const auto& s : sessions) {
      if (auto fn = action_group_lambdas_.find(s); fn != action_group_lambdas_.end()) {
        ai_roles_.emplace(role, fmt::format("execution role of agent action-group Lambda {}", s));
        attached(role, fn->second);
      }
    }
  }
  // Lambdas an AI service invoked, with no action-group change in the logs.
  for (const auto& fn : invoked_tools_) {
    const std::string why = fmt::format("execution role of Lambda {}, which an AI service invoked", fn);
    if (auto it = function_roles_.find(fn); it != function_roles_.end())
      for (const auto& role : it->second) ai_roles_.emplace(role, why);
    for (const auto& [role, sessions] : role_sessions_)
      if (sessions.count(fn)) ai_roles_.emplace(role, why);
  }
}

const AppPrincipal* AiPrincipals::app_principal(std::string_view principal) const {
  return find_app_principal(profile_, principal);
}

std::string AiPrincipals::reason(std::string_view principal, std::string_view marker) const {
  if (marker.starts_with("invokedBy="))
    return fmt::format("called through {} (userIdentity.invokedBy)", marker.substr(10));
  if (marker.starts_with("sourceIPAddress="))
    return fmt::format("called from service {} (sourceIPAddress)", marker.substr(16));
  if (marker.starts_with("userAgent=")) return "agent runtime user agent";
  if (marker.starts_with("lambda=") && action_group_lambdas_.count(marker.substr(7)))
    return fmt::format("credentials of agent action-group Lambda {} (userIdentity.inScopeOf)", marker.substr(7));
  if (marker.starts_with("lambda=") && invoked_tools_.count(marker.substr(7)))
    return fmt::format("credentials of Lambda {}, which an AI service invoked (userIdentity.inScopeOf)",
                       marker.substr(7));
  if (app_principal(principal)) return "application principal in the profile";
  if (auto it = ai_roles_.find(principal); it != ai_roles_.end()) return it->second;
  std::string_view name = last_segment(principal);
  if (principal.find(":role/") != std::string_view::npos &&
      (istarts_with(name, "AmazonBedrockExecutionRoleForAgents") || icontains(name, "BedrockAgentCore") ||
       istarts_with(name, "AgentCore-")))
    return "Bedrock agent or AgentCore role (naming convention)";
  if (principal.find(":role/") != std::string_view::npos && runtime_roles_.count(name))
    return std::string(kRuntimeRoleReason);
  return {};
}

AiPrincipals::Multi::iterator AiPrincipals::entry(Multi& m, std::string_view key) {
  auto it = m.find(key);
  if (it == m.end() && m.size() < kCap) it = m.emplace(capped(key), std::set<std::string, std::less<>>{}).first;
  return it;
}

void AiPrincipals::add_value(std::set<std::string, std::less<>>& values, std::string_view value) {
  // Searched only while the set has room: a key with more values keeps its first kSetCap.
  if (values.size() < kSetCap && values.find(value) == values.end()) values.emplace(capped(value));
}

void AiPrincipals::add_pair(Multi& m, std::string_view key, std::string_view value) {
  if (value.empty()) return;
  auto it = entry(m, key);
  if (it != m.end()) add_value(it->second, value);
}

}  // namespace aiir::detail
