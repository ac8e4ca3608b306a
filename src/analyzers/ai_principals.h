// SPDX-License-Identifier: Apache-2.0
// Which principals act for the AI application (shared by the agency and private-data analyzers).
#pragma once

#include <aiir/event.h>
#include <aiir/finding.h>
#include <aiir/profile.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "analyzers/common.h"

namespace aiir::detail {

/// True for the DNS names of AWS generative-AI services acting for a principal.
bool is_ai_service(std::string_view name) noexcept;

/// User-agent markers of agent runtimes (the service name itself, or an
/// AgentCore / Strands execution environment).
bool is_ai_user_agent(std::string_view ua, std::string_view service) noexcept;

/// True for the Bedrock calls (eventName or invocation-log operation) that run
/// a model on input: InvokeModel* (WithResponseStream, WithBidirectionalStream),
/// Converse* and StartAsyncInvoke (formats.md 3.1); newer variants of the first
/// two count too. The one list the analyzers share.
bool is_model_call(std::string_view action) noexcept;

/// True when a Bedrock logging-configuration call turns prompt logging off: a
/// successful delete, or a put whose loggingConfig disables text delivery or
/// names no destination.
bool disables_invocation_logging(const EventView& e) noexcept;

/// True for the Bedrock runtime calls an application makes to use a model or
/// a knowledge base: the model calls, Retrieve*, InvokeAgent, InvokeInlineAgent, InvokeFlow,
/// AgentCore's InvokeAgentRuntime, ApplyGuardrail and Rerank.
bool is_bedrock_runtime_call(std::string_view service, std::string_view action) noexcept;

/// Role-level principal: the session issuer for role sessions, else the actor.
std::string_view principal_of(const EventView& e) noexcept;

/// The stable identity of a caller: the role ARN for an assumed-role session
/// (session names rotate), the ARN itself otherwise, and for IAM Identity
/// Center sessions (`AWSReservedSSO_*` roles), whose session name is a person.
std::string principal_identity(std::string_view arn);

/// The profile's application principal that `identity` (an ARN, or a role ARN
/// from principal_identity) is, or null. Role paths are ignored: an
/// assumed-role ARN carries no path, so `role/service-role/X` also matches `role/X`.
const AppPrincipal* find_app_principal(const Profile& profile, std::string_view identity);

/// Whether a profile ARN pattern (app_principals, admin_principals) names `arn`: the ARN
/// itself, or for a role session the role behind it. Role paths are ignored: a session ARN
/// does not carry the path, and the IAM console shows the role's ARN with it
/// (role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_..., role/service-role/...).
bool profile_arn_matches(std::string_view pattern, std::string_view arn);
inline bool is_app_principal(const Profile& profile, std::string_view identity) {
  return find_app_principal(profile, identity) != nullptr;
}

/// The marker tying this call to an AI service ("" when none): `invokedBy=<svc>`,
/// `sourceIPAddress=<svc>`, `userAgent=<ua>`, `lambda=<fn>`. Agency and private-data
/// both ask for each event of a chunk in turn: the markers of the last 64
/// consecutive events are kept (per thread), each valid until an event 64
/// EventViews away asks.
std::string_view ai_marker(const EventView& e);

/// `path` (an event's file) kept once for the process, never freed: the
/// evidence analyzers keep of a file's events shares one copy. Safe from any
/// thread; the last path a thread asked for is found without a lock.
const std::string* interned_path(std::string_view path);

/// The earliest `Cap` evidence pointers by (time, file, record), whatever the
/// input order; skips building evidence that cannot make the cut. Once full,
/// an earlier event overwrites the latest kept one in place (its storage is
/// reused). The kept events' keys sit in their own small array with the
/// latest one's slot remembered: most events are turned away on one compare,
/// and nothing moves when one is taken.
template <std::size_t Cap>
class EarliestEvidenceOf {
 public:
  /// Keeps `e` if it is among the earliest `limit` (at most Cap; one aggregate
  /// always passes the same limit).
  void add(const EventView& e, std::size_t limit = Cap) {
    keep(Key{e.time_ms, e.where.file, e.where.record}, limit, [&](Item& item) { item.assign(e); });
  }
  /// Adds what `other` kept, as if its events had been added here.
  void merge(const EarliestEvidenceOf& other) {
    for (std::size_t i = 0; i < other.items_.size(); ++i)
      keep(other.keys_[i], Cap, [&](Item& item) { item = other.items_[i]; });
  }
  /// Sorted, at most Cap.
  std::vector<Evidence> sorted() const {
    std::vector<Evidence> out;
    out.reserve(items_.size());
    for (std::size_t i = 0; i < items_.size(); ++i) out.push_back(items_[i].evidence(keys_[i]));
    std::sort(out.begin(), out.end());
    return out;
  }

 private:
  using Key = std::tuple<std::int64_t, std::uint32_t, std::uint32_t>;
  /// A kept event's Evidence strings in one buffer, but for the file's path,
  /// which is shared (interned_path): most aggregates keep the first events
  /// they see, and the path was most of the bytes of each copy.
  struct Item {
    const std::string* file = nullptr;
    std::string text;  ///< event id, request id, action
    std::uint32_t event_id = 0, request_id = 0;  ///< their lengths (the action is the rest)

    /// As Evidence::assign(e), but for the key (time, file index, record), which keys_ holds.
    void assign(const EventView& e) {
      const std::string_view id = Evidence::cited_event_id(e);
      file = interned_path(e.file);
      // Room for all three first: a new item's text grew twice (two more allocations).
      text.reserve(id.size() + e.request_id.size() + e.action.size());
      text.assign(id).append(e.request_id).append(e.action);
      event_id = static_cast<std::uint32_t>(id.size());
      request_id = static_cast<std::uint32_t>(e.request_id.size());
    }
    Evidence evidence(const Key& key) const {
      Evidence ev;
      const std::string_view t = text;
      ev.file.assign(*file);
      ev.event_id.assign(t.substr(0, event_id));
      ev.request_id.assign(t.substr(event_id, request_id));
      ev.action.assign(t.substr(event_id + request_id));
      std::tie(ev.time_ms, ev.file_index, ev.record) = key;
      return ev;
    }
  };
  /// Fills a slot for `key` with fill(item) when the key makes the cut.
  template <typename Fill>
  void keep(const Key& key, std::size_t limit, Fill&& fill) {
    if (items_.size() < limit) {
      // Room for a few, then for all: most aggregates see one or two events,
      // or else fill up (doubling moved the kept items four times on the way).
      if (items_.size() == items_.capacity()) items_.reserve(items_.empty() ? std::min<std::size_t>(limit, 4) : limit);
      keys_[items_.size()] = key;
      fill(items_.emplace_back());
      if (items_.size() == limit) find_latest();
      return;
    }
    if (!(key < latest_key_)) return;
    fill(items_[latest_]);
    keys_[latest_] = key;
    find_latest();
  }
  void find_latest() {
    latest_ = 0;
    for (std::size_t i = 1; i < items_.size(); ++i)
      if (keys_[latest_] < keys_[i]) latest_ = i;
    latest_key_ = keys_[latest_];
  }

  // The latest key first, with its slot: once full, most events read only
  // these (the aggregate is mostly cold) and are turned away.
  Key latest_key_{};
  std::size_t latest_ = 0;                         // the slot of the latest key, once full
  std::vector<Item> items_;
  std::array<Key, Cap> keys_{};  // items_[i]'s (time, file, record)
};

/// The evidence of a finding: its Finding::kMaxEvidence earliest events.
using EarliestEvidence = EarliestEvidenceOf<Finding::kMaxEvidence>;

/// Small ids for events' client fields (source IP, user agent, access key,
/// account, region): a value keeps its id while it stays among its field's
/// recent values (64 slots by text_slot()) and gets a new one when it comes
/// back later; no id is ever given to two values. An aggregate remembers the
/// ids it added lately (Added): such a value is in its capped set already (or
/// the set was full, and stays so), so adding it again, a search on a cold
/// aggregate, is skipped.
///
/// The slots are per thread, shared by every analyzer, and the ids of the
/// last 64 consecutive events are kept: the scan hands each analyzer a chunk
/// of events in turn, and the next one to ask gets an event's ids without
/// comparing its text again.
/// Ids come from one counter for all threads, so an id names one value
/// whatever thread an analyzer's events arrive on.
class ClientIds {
 public:
  enum Field : std::uint8_t { kIp, kAgent, kKey, kAccount, kRegion, kFields };
  using Ids = std::array<std::uint64_t, kFields>;  ///< by Field; never 0

  /// The ids of `e`'s fields; valid until an event 64 EventViews away asks
  /// on this thread.
  const Ids& of(const EventView& e) const;

  /// The values an aggregate added lately: the last two ids per field (callers
  /// mostly alternate between a few sessions' values).
  struct Added {
    std::array<std::array<std::uint64_t, 2>, kFields> last{};
    /// False when `ids[f]` was added lately; else true, and it is remembered.
    bool fresh(const Ids& ids, Field f) {
      auto& [newer, older] = last[f];
      const std::uint64_t id = ids[f];
      if (id == newer || id == older) return false;
      older = newer;
      newer = id;
      return true;
    }
  };
};

/// Which principals act for the AI application: learned from the logs (agent
/// roles, action-group Lambdas and their roles, and roles whose sessions call
/// the Bedrock runtime) and from the profile. Learning is order-independent
/// (sets); resolve() runs in finish().
class AiPrincipals {
 public:
  explicit AiPrincipals(const Profile& profile) : profile_(profile) {}
  AiPrincipals(const AiPrincipals&) = delete;  // role_index_ points into role_sessions_
  AiPrincipals& operator=(const AiPrincipals&) = delete;

  /// Call for every event (CloudTrail and invocation-log records).
  void learn(const EventView& e);
  /// Resolves what was learned; call once, in finish().
  void resolve();

  /// The profile's application principal matching `principal`, or null.
  const AppPrincipal* app_principal(std::string_view principal) const;

  /// Why (principal, marker) acts for the AI application; empty when it does not.
  std::string reason(std::string_view principal, std::string_view marker) const;

  bool is_action_group_lambda(std::string_view fn) const { return action_group_lambdas_.count(fn) != 0; }

  /// When the earliest action group that runs one of the role's Lambdas was
  /// created or re-pointed at it (epoch ms), 0 when the role runs none; after resolve().
  std::int64_t tool_attached_ms(std::string_view role) const {
    auto it = tool_attached_.find(role);
    return it == tool_attached_.end() ? 0 : it->second;
  }

  /// Roles inferred from their Bedrock runtime calls (role names), for explanations.
  const StrSet& runtime_roles() const noexcept { return runtime_roles_; }

 private:
  static constexpr std::size_t kCap = 10000;
  static constexpr std::size_t kSetCap = 64;
  using Multi = std::map<std::string, std::set<std::string, std::less<>>, std::less<>>;

  /// The entry of `key`, added when there is room (kCap keys); m.end() when full.
  static Multi::iterator entry(Multi& m, std::string_view key);
  static void add_value(std::set<std::string, std::less<>>& values, std::string_view value);
  static void add_pair(Multi& m, std::string_view key, std::string_view value);

  const Profile& profile_;
  std::map<std::string, std::int64_t, std::less<>> action_group_lambdas_;  // function name -> first attached
  std::map<std::string, std::int64_t, std::less<>> tool_attached_;  // resolved: role -> first attached
  StrSet invoked_tools_;         // Lambda function names an AI service invoked (data events)
  StrSet agent_roles_;
  StrSet runtime_roles_;         // resolved: role names whose sessions called the Bedrock runtime
  StrSet app_runtime_roles_;     // ... in CloudTrail, from a client other than a person's
  StrSet person_runtime_roles_;  // ... in CloudTrail, with console credentials or the AWS CLI
  StrSet logged_runtime_roles_;  // ... in the invocation logs (no client recorded)
  Multi function_roles_;         // function name -> execution roles
  Multi role_sessions_;          // role ARN -> session names
  // Hash index over role_sessions_' keys: role ARNs share long prefixes, which
  // made the ordered search on every change of role a visible cost.
  std::unordered_map<std::string_view, Multi::iterator, TextHash, std::equal_to<>> role_index_;
  std::map<std::string, std::string, std::less<>> ai_roles_;  // resolved: role -> why
  /// A role session learn() went through: its caller, role and credentials' issuer.
  struct SeenSession {
    bool valid = false;
    bool lambda = false;   ///< issuer type AWS::Lambda::Function
    bool assumed = false;  ///< caller type AssumedRole
    std::string actor, issuer, issued_to;
  };
  static constexpr int kSeenBits = 5;
  std::array<SeenSession, std::size_t{1} << kSeenBits> seen_sessions_;
};

/// Reason text for roles inferred from their Bedrock runtime calls (answers quote it).
inline constexpr std::string_view kRuntimeRoleReason =
    "inferred: its role sessions call the Bedrock runtime (Converse/InvokeModel/Retrieve/InvokeAgent)";

}  // namespace aiir::detail
