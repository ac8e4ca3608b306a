// SPDX-License-Identifier: Apache-2.0
// The AI-changes analyzer (methodology element "AI changes"): bedrock,
// sagemaker, qbusiness and q control-plane activity. Stateful detections only
// (single events are the Sigma pack's): the LLMjacking chain per access key,
// model/guardrail enumeration across regions, bursts of AI control-plane
// changes, and invocation logging disabled followed by invocations.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <unordered_map>

#include "analyzers/ai_principals.h"
#include "analyzers/factories.h"
#include "event/normalize.h"
#include "util/time.h"

namespace aiir {
namespace {

namespace dom = simdjson::dom;

constexpr std::int64_t kHourMs = 3'600'000;
constexpr std::size_t kChainWindowHours = 24;
constexpr std::size_t kMaxKeys = 100'000;
constexpr std::size_t kMaxBuckets = 1'000'000;
constexpr std::size_t kEvidencePerStep = 3;
constexpr std::size_t kChainMinSteps = 3;
constexpr std::uint64_t kChainMinInvocations = 5;  // successful calls in the window make the "invocation burst" step
constexpr std::size_t kEnumMinRegions = 4;         // distinct regions within two hour-buckets
constexpr std::uint64_t kChangeBurstMin = 10;      // AI control-plane changes within two hour-buckets
constexpr std::size_t kMaxLoggingChanges = 1000;

enum Step : std::uint8_t { kRecon, kLoggingCheck, kProbe, kEnablement, kInvocation, kLoggingChange, kStepCount };
constexpr std::array<const char*, kStepCount> kStepNames = {"recon", "logging_check", "probe", "model_enablement",
                                                           "invocation_burst", "logging_change"};

/// Bedrock (AgentCore included: formats.md 3.1 expects bedrock-agentcore.*), SageMaker, Q Business, Q.
/// Asked of every CloudTrail event, as chain_step() is: names are compared with
/// same_text (lengths first, then words), not a memcmp call each.
bool is_ai_source(std::string_view s) noexcept {
  using detail::has_prefix, detail::same_text;
  return same_text(s, "bedrock.amazonaws.com") || has_prefix(s, "bedrock-agentcore") ||
         same_text(s, "sagemaker.amazonaws.com") || same_text(s, "qbusiness.amazonaws.com") ||
         same_text(s, "q.amazonaws.com");
}

bool is_mutating(const EventView& e) noexcept {
  if (e.read_only == Tri::kTrue) return false;
  std::string_view a = e.action;
  // Model, agent, retrieval and guardrail runtime calls act on input (some are
  // recorded readOnly: false) but change nothing.
  if (detail::is_bedrock_runtime_call(e.service, a)) return false;
  if (detail::same_text(e.service, "sagemaker.amazonaws.com") && a.starts_with("InvokeEndpoint")) return false;
  if (detail::same_text(e.service, "qbusiness.amazonaws.com") &&
      (a == "ChatSync" || a == "Chat" || a == "SearchRelevantContent" || a == "PutFeedback"))
    return false;
  if (e.read_only == Tri::kFalse) return true;
  for (std::string_view p : {"Create", "Update", "Delete", "Put", "Start", "Stop", "Associate", "Disassociate",
                             "Register", "Deregister", "Prepare", "Import", "Modify", "Enable", "Disable", "Tag",
                             "Untag", "Add", "Remove", "Attach", "Detach", "Ingest"}) {
    if (detail::has_prefix(a, p)) return true;
  }
  return false;
}

/// Model and guardrail inventory calls that enumeration across regions shows.
bool is_enumeration(std::string_view a) noexcept {
  static constexpr std::array<std::string_view, 14> kNames = {
      "ListFoundationModels", "GetFoundationModel",         "GetFoundationModelAvailability", "ListInferenceProfiles",
      "ListGuardrails",       "GetGuardrail",               "ListCustomModels",               "ListImportedModels",
      "ListProvisionedModelThroughputs", "ListModelCustomizationJobs", "ListKnowledgeBases", "ListAgents",
      "GetModelInvocationLoggingConfiguration", "ListFoundationModelAgreementOffers"};
  return std::any_of(kNames.begin(), kNames.end(), [a](std::string_view n) { return detail::same_text(a, n); });
}

int chain_step(const EventView& e) noexcept {
  using detail::same_text;
  std::string_view a = e.action;
  if (same_text(e.service, "sts.amazonaws.com")) return same_text(a, "GetCallerIdentity") ? kRecon : -1;
  if (!same_text(e.service, "bedrock.amazonaws.com")) return -1;
  if (detail::is_model_call(a)) {
    if (same_text(e.error_code, "ValidationException") || same_text(e.error_code, "AccessDenied") ||
        same_text(e.error_code, "AccessDeniedException")) {
      return kProbe;
    }
    return e.error_code.empty() ? kInvocation : -1;
  }
  if (same_text(a, "ListFoundationModels") || same_text(a, "GetFoundationModelAvailability") ||
      same_text(a, "ListInferenceProfiles") || same_text(a, "GetUseCaseForModelAccess") ||
      same_text(a, "GetFoundationModel") || same_text(a, "ListCustomModels") ||
      same_text(a, "ListProvisionedModelThroughputs")) {
    return kRecon;
  }
  if (same_text(a, "GetModelInvocationLoggingConfiguration")) return kLoggingCheck;
  if (same_text(a, "PutUseCaseForModelAccess") || same_text(a, "CreateFoundationModelAgreement") ||
      same_text(a, "PutFoundationModelEntitlement") || same_text(a, "ListFoundationModelAgreementOffers")) {
    return kEnablement;
  }
  if (same_text(a, "DeleteModelInvocationLoggingConfiguration") ||
      same_text(a, "PutModelInvocationLoggingConfiguration")) {
    return kLoggingChange;
  }
  return -1;
}

std::int64_t hour_of(std::int64_t ms) noexcept { return ms >= 0 ? ms / kHourMs : (ms - kHourMs + 1) / kHourMs; }

std::string iso_minute(std::int64_t ms) {
  std::int64_t s = ms / 1000;
  std::int64_t days = s / 86400, rem = s % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  days += 719468;
  std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  std::int64_t doe = days - era * 146097;
  std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  std::int64_t y = yoe + era * 400, doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
  std::int64_t d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) ++y;
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", y, m, d, rem / 3600, (rem % 3600) / 60, rem % 60);
}

/// Keeps the `cap` smallest evidence pointers (time, file, record): order-independent.
void keep_earliest(std::vector<Evidence>& v, Evidence e, std::size_t cap) {
  if (v.size() >= cap && !(e < v.back())) return;
  v.insert(std::upper_bound(v.begin(), v.end(), e), std::move(e));
  if (v.size() > cap) v.pop_back();
}

struct StepBucket {
  std::uint64_t count = 0;
  std::int64_t min_t = 0, max_t = 0;
  detail::EarliestEvidenceOf<4> ev;   // earliest few (add_bucket's cap)
  std::vector<std::string> actions;   // distinct action names
};

/// The LLMjacking chain state of one access key (or principal).
struct ChainKey {
  std::string key, principal, account;
  bool keyed_by_principal = false;
  std::array<std::map<std::int64_t, StepBucket>, kStepCount> steps;  // by hour
  std::vector<std::string> ips, uas, regions;
  std::uint64_t outside_console = 0;  ///< steps not made with console credentials
  detail::ClientIds::Added added;      ///< the client values added lately above
};

struct EnumBucket {
  std::set<std::string> regions;
  detail::EarliestEvidenceOf<6> ev;
  std::vector<std::string> actions;
};

struct PrincipalState {
  std::string arn, account, key;
  std::map<std::int64_t, EnumBucket> enumeration;  // by hour
  std::map<std::int64_t, StepBucket> changes;      // AI control-plane changes by hour
  std::map<std::int64_t, StepBucket> invocations;  // successful runtime calls by hour
  std::map<std::string, std::uint64_t> change_actions;
  std::vector<std::string> ips, uas;
  detail::ClientIds::Added added;  ///< the client values added lately above
};

struct LoggingChange {
  Evidence ev;
  std::string principal, key, region, account, ip, ua;
};

/// One step in a guardrail's life: a configuration (CreateGuardrail or
/// UpdateGuardrail), a published version, or a consumer pointed at a version
/// (an agent, or model calls that name the guardrail).
struct GuardrailStep {
  Evidence ev;
  std::string principal, key, ip, ua, region;
  std::string version;   ///< the version published or used ("DRAFT" for the working draft)
  std::string consumer;  ///< "agent X" or "model calls of P"
  bool create = false;   ///< CreateGuardrail (a configuration the later updates are compared with)
  std::uint8_t policies = 0;                            ///< bit i: kGuardrailPolicies[i] present
  std::map<std::string, std::pair<int, int>> filters;   ///< content filter type -> input, output strength
};

/// Policies an UpdateGuardrail replaces as a whole (absent from the request: removed).
constexpr std::array<std::string_view, 6> kGuardrailPolicies = {
    "contentPolicyConfig", "topicPolicyConfig", "wordPolicyConfig", "sensitiveInformationPolicyConfig",
    "contextualGroundingPolicyConfig", "automatedReasoningPolicyConfig"};

/// NONE < LOW < MEDIUM < HIGH; -1 for anything else.
int filter_strength(std::string_view s) noexcept {
  if (s == "NONE") return 0;
  if (s == "LOW") return 1;
  if (s == "MEDIUM") return 2;
  if (s == "HIGH") return 3;
  return -1;
}

/// "arn:aws:bedrock:REGION:ACCT:guardrail/ID" -> ID; an id stays as is.
std::string_view guardrail_id(std::string_view s) noexcept {
  const std::size_t slash = s.rfind("guardrail/");
  return slash == std::string_view::npos ? s : s.substr(slash + 10);
}

struct GuardrailLife {
  std::string id, account;
  std::vector<GuardrailStep> configs, versions, consumers;
};

class AiChangesAnalyzer final : public Analyzer {
 public:
  explicit AiChangesAnalyzer(const AnalyzerConfig& /*config*/) {}

  void on_event(const EventView& e, FindingSink& out) override;
  void finish(FindingSink& out) override;
  void answer(const Coverage& coverage, std::vector<QuestionAnswer>& out) const override;
  void limits(std::vector<std::string>& out) const override { detail::caps_line(out, dropped_); }

 private:
  void add_bucket(std::map<std::int64_t, StepBucket>& m, const EventView& e, std::size_t evidence_cap);
  PrincipalState* principal(const EventView& e);
  void emit_chains(FindingSink& out);
  void emit_enumeration(FindingSink& out);
  void emit_change_bursts(FindingSink& out);
  void emit_logging_then_invoke(FindingSink& out);
  void note_guardrail(const EventView& e);
  void emit_weakened_guardrails(FindingSink& out);

  /// The hour buckets add_bucket() used lately, in slots by map and hour: a
  /// principal's model calls searched its deep map of hours on every call.
  /// Map nodes do not move, and no map is destroyed while events arrive.
  struct RecentBucket {
    const std::map<std::int64_t, StepBucket>* map = nullptr;
    std::int64_t hour = 0;
    StepBucket* bucket = nullptr;
  };
  std::array<RecentBucket, 64> recent_buckets_{};
  std::unordered_map<std::string, ChainKey, detail::TextHash, std::equal_to<>> chains_;  // found by string_view
  // Role sessions' keys rotate and interleave by the dozen: 64 slots, where 8 missed on most steps.
  static constexpr int kSlotBits = 6;
  std::array<ChainKey*, std::size_t{1} << kSlotBits> chain_slots_{};  ///< recent steps' chains
  std::unordered_map<std::string, PrincipalState> principals_;
  /// Recent principal() calls: (actor ARN, its state).
  std::array<std::pair<std::string, PrincipalState*>, std::size_t{1} << kSlotBits> principal_slots_{};
  detail::ClientIds clients_;
  std::vector<LoggingChange> logging_off_;
  std::map<std::string, GuardrailLife> guardrails_;  ///< by account and guardrail id
  std::size_t buckets_ = 0;
  std::uint64_t dropped_ = 0;
  std::uint64_t ai_events_ = 0, ai_changes_ = 0;
  std::map<std::string, std::uint64_t> change_counts_;  // action -> count, for the answer
  std::set<std::string> fired_;
  /// Guardrail deletions and model-access grants, named in the answer:
  /// "<what> <resource>" -> earliest "at <time> by <principal> (key) from <ip>".
  std::map<std::string, std::pair<Evidence, std::string>> notable_;
  void note_notable(const EventView& e) {
    std::string what;
    auto rp = e.request_parameters();
    auto field = [&](const char* name) {
      std::string_view v;
      return rp[name].get_string().get(v) == simdjson::SUCCESS ? v : std::string_view{};
    };
    if (detail::same_text(e.action, "DeleteGuardrail")) {
      what = fmt::format("guardrail {} deleted", field("guardrailIdentifier").substr(0, 200));
    } else if (detail::same_text(e.action, "PutFoundationModelEntitlement") ||
               detail::same_text(e.action, "CreateFoundationModelAgreement")) {
      std::string_view model = field("modelId");
      if (model.empty()) return;
      what = fmt::format("access to model {} enabled", model.substr(0, 200));
    } else if (detail::same_text(e.action, "DeleteModelInvocationLoggingConfiguration")) {
      what = "model invocation logging deleted";
    } else {
      return;
    }
    if (notable_.size() >= 100 && notable_.find(what) == notable_.end()) return;
    Evidence ev = Evidence::from(e);
    std::string who = fmt::format("by {}{} from {}", e.actor_arn.substr(0, 300),
                                  e.access_key_id.empty() ? "" : fmt::format(" (key {})", e.access_key_id.substr(0, 40)),
                                  e.source_ip.substr(0, 64));
    auto it = notable_.find(what);
    if (it == notable_.end()) notable_.emplace(what, std::make_pair(std::move(ev), std::move(who)));
    else if (ev < it->second.first) it->second = {std::move(ev), std::move(who)};
  }
};

void AiChangesAnalyzer::add_bucket(std::map<std::int64_t, StepBucket>& m, const EventView& e, std::size_t cap) {
  std::int64_t h = hour_of(e.time_ms);
  RecentBucket& recent = recent_buckets_[(reinterpret_cast<std::uintptr_t>(&m) / alignof(std::max_align_t) +
                                          static_cast<std::uint64_t>(h)) %
                                         recent_buckets_.size()];
  if (recent.map != &m || recent.hour != h) {
    auto it = m.lower_bound(h);  // also where a new hour goes: one walk down the tree
    if (it == m.end() || it->first != h) {
      if (buckets_ >= kMaxBuckets) {
        ++dropped_;
        return;
      }
      ++buckets_;
      it = m.emplace_hint(it, h, StepBucket{});
      it->second.min_t = it->second.max_t = e.time_ms;
    }
    recent = {&m, h, &it->second};
  }
  StepBucket& b = *recent.bucket;
  ++b.count;
  b.min_t = std::min(b.min_t, e.time_ms);
  b.max_t = std::max(b.max_t, e.time_ms);
  if (cap > 0) b.ev.add(e, cap);  // cap <= 4, StepBucket::ev's room
  detail::add_listed(b.actions, e.action, 8);
}

PrincipalState* AiChangesAnalyzer::principal(const EventView& e) {
  // A recent session's state is reused without parsing the ARN and searching
  // again (map nodes do not move); sessions interleave: slots by text_slot().
  auto& [last_actor, last_principal] = principal_slots_[detail::text_slot(e.actor_arn, kSlotBits)];
  if (last_principal == nullptr || !detail::same_text(e.actor_arn, last_actor)) {
    // Assumed-role sessions are grouped under their role: session names rotate.
    std::string id(e.actor_arn);
    if (id.find(":assumed-role/") != std::string::npos) {
      std::string role = role_arn_from_assumed(id);
      if (!role.empty()) id = std::move(role);
    }
    auto it = principals_.find(id);
    if (it == principals_.end()) {
      if (principals_.size() >= kMaxKeys) {
        ++dropped_;
        return nullptr;
      }
      it = principals_.emplace(id, PrincipalState{}).first;
      it->second.arn = id;
      it->second.account = std::string(e.account);
    }
    last_actor.assign(e.actor_arn);
    last_principal = &it->second;
  }
  PrincipalState& p = *last_principal;
  if (p.key.empty()) p.key = std::string(e.access_key_id);
  // A client value the principal added lately is skipped (ClientIds).
  const detail::ClientIds::Ids& ids = clients_.of(e);
  if (p.added.fresh(ids, detail::ClientIds::kIp)) detail::add_listed(p.ips, e.source_ip);
  if (p.added.fresh(ids, detail::ClientIds::kAgent)) detail::add_listed(p.uas, e.user_agent);
  return &p;
}

void AiChangesAnalyzer::on_event(const EventView& e, FindingSink& /*out*/) {
  if (e.kind != EventKind::kCloudTrail) return;
  const bool ai = is_ai_source(e.service);
  const int step = chain_step(e);
  if (!ai && step < 0) return;
  if (ai) ++ai_events_;
  if (ai && e.outcome == Outcome::kSuccess) note_notable(e);
  if (e.outcome == Outcome::kSuccess && detail::same_text(e.service, "bedrock.amazonaws.com")) note_guardrail(e);

  // The LLMjacking chain, keyed by access key (principal when there is none).
  if (step >= 0 && !(e.access_key_id.empty() && e.actor_arn.empty())) {
    const bool by_principal = e.access_key_id.empty();
    const std::string_view key = by_principal ? e.actor_arn : e.access_key_id;
    // Steps mostly repeat a few keys, interleaved: recent chains sit in slots
    // by text_slot() (map nodes do not move). Null: the map was full.
    ChainKey*& chain = chain_slots_[detail::text_slot(key, kSlotBits)];
    if (chain == nullptr || !detail::same_text(key, chain->key)) {
      auto it = chains_.find(key);
      if (it == chains_.end() && chains_.size() < kMaxKeys) {
        it = chains_.emplace(std::string(key), ChainKey{}).first;
        it->second.key = std::string(key);
        it->second.keyed_by_principal = by_principal;
      }
      chain = it != chains_.end() ? &it->second : nullptr;
    }
    if (chain != nullptr) {
      ChainKey& c = *chain;
      if (c.principal.empty()) c.principal = std::string(e.actor_arn);
      if (c.account.empty()) c.account = std::string(e.account);
      // A client value the chain added lately is skipped (ClientIds).
      const detail::ClientIds::Ids& ids = clients_.of(e);
      if (c.added.fresh(ids, detail::ClientIds::kIp)) detail::add_listed(c.ips, e.source_ip);
      if (c.added.fresh(ids, detail::ClientIds::kAgent)) detail::add_listed(c.uas, e.user_agent);
      if (c.added.fresh(ids, detail::ClientIds::kRegion)) detail::add_listed(c.regions, e.region);
      add_bucket(c.steps[static_cast<std::size_t>(step)], e, step == kInvocation ? 1 : kEvidencePerStep);
      if (!e.from_console()) ++c.outside_console;
    } else {
      ++dropped_;
    }
  }
  if (!ai || e.actor_arn.empty()) return;

  PrincipalState* p = principal(e);
  if (p == nullptr) return;
  if (is_enumeration(e.action)) {
    std::int64_t h = hour_of(e.time_ms);
    auto it = p->enumeration.find(h);
    if (it == p->enumeration.end() && buckets_ < kMaxBuckets) {
      ++buckets_;
      it = p->enumeration.emplace(h, EnumBucket{}).first;
    }
    if (it != p->enumeration.end()) {
      // Searched first: emplace builds a node (an allocation) even for a region already there.
      std::set<std::string>& regions = it->second.regions;
      if (regions.size() < 64 && regions.find(std::string(e.region)) == regions.end()) regions.emplace(e.region);
      it->second.ev.add(e);
      detail::add_listed(it->second.actions, e.action, 8);
    }
  }
  if (step == kInvocation) add_bucket(p->invocations, e, 2);
  if (is_mutating(e)) {
    ++ai_changes_;
    add_bucket(p->changes, e, 4);
    if (p->change_actions.size() < 200) ++p->change_actions[std::string(e.action)];
    if (change_counts_.size() < 500) ++change_counts_[std::string(e.action)];
  }
  if (detail::disables_invocation_logging(e) && logging_off_.size() < kMaxLoggingChanges) {
    logging_off_.push_back({Evidence::from(e), std::string(e.actor_arn), std::string(e.access_key_id),
                            std::string(e.region), std::string(e.account), std::string(e.source_ip),
                            std::string(e.user_agent)});
  }
}

void AiChangesAnalyzer::emit_chains(FindingSink& out) {
  std::vector<const ChainKey*> keys;
  for (const auto& [k, c] : chains_) keys.push_back(&c);
  std::sort(keys.begin(), keys.end(), [](const ChainKey* a, const ChainKey* b) { return a->key < b->key; });
  for (const ChainKey* c : keys) {
    // Candidate window starts: every hour in which some step happened.
    std::set<std::int64_t> starts;
    for (const auto& s : c->steps) {
      for (const auto& [h, b] : s) starts.insert(h);
    }
    std::size_t best_steps = 0;
    std::int64_t best_start = 0;
    for (std::int64_t start : starts) {
      std::size_t n = 0;
      for (std::size_t s = 0; s < kStepCount; ++s) {
        std::uint64_t count = 0;
        for (auto it = c->steps[s].lower_bound(start);
             it != c->steps[s].end() && it->first < start + static_cast<std::int64_t>(kChainWindowHours); ++it) {
          count += it->second.count;
        }
        if (s == kInvocation ? count >= kChainMinInvocations : count > 0) ++n;
      }
      if (n > best_steps) {
        best_steps = n;
        best_start = start;
      }
    }
    if (best_steps < kChainMinSteps) continue;
    // Recon plus invocations plus a logging change alone is an ordinary admin session; require a sign of LLMjacking.
    Finding f;
    f.rule = "ai_changes.llmjacking_chain";
    f.element = Element::kAiChanges;
    std::vector<std::pair<std::string, std::string>> steps;
    bool enable = false, burst = false, telltale = false;
    std::uint64_t invocations = 0;
    for (std::size_t s = 0; s < kStepCount; ++s) {
      std::uint64_t count = 0;
      std::int64_t first = 0;
      std::vector<std::string> actions;
      std::vector<Evidence> ev;
      for (auto it = c->steps[s].lower_bound(best_start);
           it != c->steps[s].end() && it->first < best_start + static_cast<std::int64_t>(kChainWindowHours); ++it) {
        if (count == 0) first = it->second.min_t;
        count += it->second.count;
        for (const auto& a : it->second.actions) detail::add_listed(actions, a, 8);
        for (Evidence& e : it->second.ev.sorted()) keep_earliest(ev, std::move(e), kEvidencePerStep);
      }
      if (count == 0 || (s == kInvocation && count < kChainMinInvocations)) continue;
      if (s == kEnablement) enable = true;
      if (s == kInvocation) {
        burst = true;
        invocations = count;
      }
      if (s == kLoggingCheck || s == kProbe || s == kEnablement) telltale = true;
      std::sort(actions.begin(), actions.end());
      std::string acts;
      for (const auto& a : actions) acts += (acts.empty() ? "" : ", ") + a;
      steps.emplace_back(fmt::format("step.{}", kStepNames[s]),
                         fmt::format("first {}; {} call{} ({})", iso_minute(first), count, count == 1 ? "" : "s", acts));
      for (auto& e : ev) f.add(e);
    }
    if (!telltale) continue;
    // Every step with console credentials: an administrator browsing the
    // Bedrock console (settings, catalogue, model access) makes the same calls.
    const bool console = c->outside_console == 0;
    f.severity = console ? Severity::kLow : enable && burst ? Severity::kCritical : Severity::kHigh;
    f.title = "LLMjacking sequence: recon, logging check, probes, model enablement, invocations";
    f.principal = c->principal;
    f.account = c->account;
    if (!c->keyed_by_principal) f.access_key_id = c->key;
    f.source_ips = c->ips;
    f.user_agents = c->uas;
    if (c->regions.size() == 1) f.region = c->regions.front();
    std::string names;
    for (const auto& [k, v] : steps) names += (names.empty() ? "" : ", ") + k.substr(5);
    f.summary = fmt::format("{} {} went through {} LLMjacking steps within 24 hours ({}){}",
                            c->keyed_by_principal ? "Principal" : "Access key", c->key, steps.size(), names,
                            burst ? fmt::format(", ending in {} successful model calls", invocations) : std::string());
    if (console)
      f.summary += "; every step was made in the AWS console (sessionCredentialFromConsole), as an administrator "
                   "enabling model access does: confirm who signed in";
    f.details = steps;
    f.details.emplace_back("window_start", iso_minute(best_start * kHourMs));
    f.details.emplace_back("regions", [&] {
      std::string r;
      std::vector<std::string> sorted = c->regions;
      std::sort(sorted.begin(), sorted.end());
      for (const auto& x : sorted) r += (r.empty() ? "" : ", ") + x;
      return r;
    }());
    f.tags = {{"T1078.004", "T1496", "T1562.008"}, {"AML.T0040", "AML.T0034"}, {"LLM10:2025"}};
    fired_.insert(f.rule);
    f.finalize();
    out.emit(std::move(f));
  }
}

std::vector<const PrincipalState*> sorted_principals(const std::unordered_map<std::string, PrincipalState>& m) {
  std::vector<const PrincipalState*> v;
  for (const auto& [k, p] : m) v.push_back(&p);
  std::sort(v.begin(), v.end(), [](const PrincipalState* a, const PrincipalState* b) { return a->arn < b->arn; });
  return v;
}

void AiChangesAnalyzer::emit_enumeration(FindingSink& out) {
  for (const PrincipalState* p : sorted_principals(principals_)) {
    // Two consecutive hour buckets approximate "within an hour or two".
    std::set<std::string> best_regions;
    std::int64_t best_h = 0;
    for (auto it = p->enumeration.begin(); it != p->enumeration.end(); ++it) {
      std::set<std::string> r = it->second.regions;
      auto next = std::next(it);
      if (next != p->enumeration.end() && next->first == it->first + 1) r.insert(next->second.regions.begin(), next->second.regions.end());
      if (r.size() > best_regions.size()) {
        best_regions = std::move(r);
        best_h = it->first;
      }
    }
    if (best_regions.size() < kEnumMinRegions) continue;
    Finding f;
    f.rule = "ai_changes.model_enumeration_regions";
    f.element = Element::kAiChanges;
    f.severity = Severity::kMedium;
    f.title = "Bedrock models and guardrails enumerated across many regions";
    f.principal = p->arn;
    f.account = p->account;
    f.access_key_id = p->key;
    f.source_ips = p->ips;
    f.user_agents = p->uas;
    std::vector<std::string> actions;
    for (auto it = p->enumeration.find(best_h); it != p->enumeration.end() && it->first <= best_h + 1; ++it) {
      for (Evidence& e : it->second.ev.sorted()) f.add(std::move(e));
      for (const auto& a : it->second.actions) detail::add_listed(actions, a, 12);
    }
    std::sort(actions.begin(), actions.end());
    std::string regions, acts;
    for (const auto& r : best_regions) regions += (regions.empty() ? "" : ", ") + r;
    for (const auto& a : actions) acts += (acts.empty() ? "" : ", ") + a;
    f.summary = fmt::format("{} enumerated Bedrock models or guardrails in {} regions within two hours ({}): {}",
                            p->arn, best_regions.size(), regions, acts);
    f.details = {{"regions", regions}, {"actions", acts}};
    f.tags = {{"T1526", "T1580"}, {"AML.T0040"}, {"LLM10:2025"}};
    fired_.insert(f.rule);
    f.finalize();
    out.emit(std::move(f));
  }
}

void AiChangesAnalyzer::emit_change_bursts(FindingSink& out) {
  for (const PrincipalState* p : sorted_principals(principals_)) {
    std::uint64_t best = 0;
    std::int64_t best_h = 0;
    for (auto it = p->changes.begin(); it != p->changes.end(); ++it) {
      std::uint64_t n = it->second.count;
      auto next = std::next(it);
      if (next != p->changes.end() && next->first == it->first + 1) n += next->second.count;
      if (n > best) {
        best = n;
        best_h = it->first;
      }
    }
    if (best < kChangeBurstMin) continue;
    Finding f;
    f.rule = "ai_changes.change_burst";
    f.element = Element::kAiChanges;
    f.severity = Severity::kMedium;
    f.title = "Burst of AI control-plane changes";
    f.principal = p->arn;
    f.account = p->account;
    f.access_key_id = p->key;
    f.source_ips = p->ips;
    f.user_agents = p->uas;
    std::vector<std::string> actions;
    for (auto it = p->changes.find(best_h); it != p->changes.end() && it->first <= best_h + 1; ++it) {
      for (Evidence& e : it->second.ev.sorted()) f.add(std::move(e));
      for (const auto& a : it->second.actions) detail::add_listed(actions, a, 12);
    }
    f.count = best;
    std::sort(actions.begin(), actions.end());
    std::string acts;
    for (const auto& a : actions) acts += (acts.empty() ? "" : ", ") + a;
    std::string totals;
    for (const auto& [a, n] : p->change_actions) {
      if (totals.size() < 400) totals += fmt::format("{}{} x{}", totals.empty() ? "" : ", ", a, n);
    }
    f.summary = fmt::format("{} made {} AI control-plane changes within two hours ({})", p->arn, best, acts);
    f.details = {{"changes_in_burst", std::to_string(best)}, {"all_changes", totals}};
    f.tags = {{"T1578"}, {"AML.T0018"}, {}};
    fired_.insert(f.rule);
    f.finalize();
    out.emit(std::move(f));
  }
}

void AiChangesAnalyzer::emit_logging_then_invoke(FindingSink& out) {
  std::sort(logging_off_.begin(), logging_off_.end(), [](const LoggingChange& a, const LoggingChange& b) { return a.ev < b.ev; });
  std::set<std::string> done;
  for (const LoggingChange& lc : logging_off_) {
    if (done.count(lc.principal)) continue;
    std::string id = lc.principal;
    if (id.find(":assumed-role/") != std::string::npos && !role_arn_from_assumed(id).empty()) id = role_arn_from_assumed(id);
    auto pit = principals_.find(id);
    if (pit == principals_.end()) continue;
    const PrincipalState& p = pit->second;
    const std::int64_t t = lc.ev.time_ms;
    std::uint64_t after = 0;
    std::vector<Evidence> ev;
    std::vector<std::string> actions;
    for (auto it = p.invocations.lower_bound(hour_of(t)); it != p.invocations.end(); ++it) {
      const StepBucket& b = it->second;
      if (b.max_t <= t) continue;
      after += b.min_t > t ? b.count : 1;  // at least one in the logging change's own hour
      for (Evidence& e : b.ev.sorted()) {
        if (e.time_ms > t) keep_earliest(ev, std::move(e), 10);
      }
    }
    if (after == 0) continue;
    done.insert(lc.principal);
    Finding f;
    f.rule = "ai_changes.logging_disabled_then_invoked";
    f.element = Element::kAiChanges;
    f.severity = Severity::kHigh;
    f.title = "Invocation logging disabled, then models invoked by the same principal";
    f.principal = lc.principal;
    f.account = lc.account;
    f.region = lc.region;
    f.access_key_id = lc.key;
    detail::add_listed(f.source_ips, lc.ip);
    detail::add_listed(f.user_agents, lc.ua);
    for (const auto& ip : p.ips) detail::add_listed(f.source_ips, ip);
    f.add(lc.ev);
    for (auto& e : ev) f.add(std::move(e));
    f.summary = fmt::format("{} turned off model-invocation logging ({}, {} in {}) and then made at least {} "
                            "successful model calls: their prompts and responses were not logged",
                            lc.principal, lc.ev.action, iso_minute(t), lc.region, after);
    f.details = {{"logging_change", lc.ev.action}, {"logging_change_time", iso_minute(t)},
                 {"invocations_after", std::to_string(after)}};
    f.tags = {{"T1562.008", "T1496"}, {"AML.T0040"}, {"LLM10:2025"}};
    fired_.insert(f.rule);
    f.finalize();
    out.emit(std::move(f));
  }
}

void AiChangesAnalyzer::note_guardrail(const EventView& e) {
  const std::string_view a = e.action;
  using detail::same_text;
  const bool config = same_text(a, "CreateGuardrail") || same_text(a, "UpdateGuardrail");
  const bool version = same_text(a, "CreateGuardrailVersion");
  const bool agent = same_text(a, "CreateAgent") || same_text(a, "UpdateAgent");
  const bool call = detail::is_model_call(a);
  if (!config && !version && !agent && !call) return;
  using Result = simdjson::simdjson_result<dom::element>;
  using namespace std::string_view_literals;
  // Every successful model call comes here and most name no guardrail: the
  // response is looked up only where it is read, and the step built once one is named.
  const Result rp = e.request_parameters();
  auto re = [&e] { return e.raw["responseElements"]; };
  auto str = [](Result v) {
    std::string_view s;
    return v.get_string().get(s) == simdjson::SUCCESS ? s : std::string_view{};
  };
  std::string_view id, version_used;
  std::string consumer;
  if (config || version) {
    id = str(rp["guardrailIdentifier"]);
    if (id.empty()) id = str(re()["guardrailId"]);
    if (id.empty()) id = str(re()["guardrailArn"]);
    if (version) {
      version_used = str(re()["version"]).substr(0, 32);
      if (version_used.empty()) return;  // the number is only in the response
    }
  } else {
    // string_view keys: simdjson's operator[](const char*) is not inlined here and made a strlen call.
    Result gc = agent ? rp["guardrailConfiguration"sv] : rp["guardrailConfig"sv];
    if (call && gc.error() != simdjson::SUCCESS) gc = rp;  // InvokeModel names the guardrail at the top level
    id = str(gc["guardrailIdentifier"sv]);
    if (id.empty()) return;
    version_used = str(gc["guardrailVersion"]).substr(0, 32);
    if (version_used.empty()) return;
    if (agent) {
      std::string_view agent_id = str(rp["agentId"]);
      if (agent_id.empty()) agent_id = str(re()["agent"]["agentId"]);
      std::string_view name = str(rp["agentName"]);
      consumer = fmt::format("agent {}{}", agent_id.empty() ? name.substr(0, 100) : agent_id.substr(0, 100),
                             !agent_id.empty() && !name.empty() ? fmt::format(" ({})", name.substr(0, 100)) : "");
    } else {
      consumer = fmt::format("model calls of {}", e.actor_arn.substr(0, 300));
    }
  }
  id = guardrail_id(id);
  if (id.empty()) return;
  std::string key = fmt::format("{}/{}", e.account.substr(0, 32), id.substr(0, 128));
  auto it = guardrails_.find(key);
  if (it == guardrails_.end()) {
    if (guardrails_.size() >= 1000) {
      ++dropped_;
      return;
    }
    it = guardrails_.emplace(key, GuardrailLife{}).first;
    it->second.id = std::string(id.substr(0, 128));
    it->second.account = std::string(e.account.substr(0, 32));
  }
  GuardrailStep step;
  step.version = std::string(version_used);
  step.consumer = std::move(consumer);
  step.ev = Evidence::from(e);
  step.principal = std::string(e.actor_arn.substr(0, 512));
  step.key = std::string(e.access_key_id.substr(0, 64));
  step.ip = std::string(e.source_ip.substr(0, 64));
  step.ua = std::string(e.user_agent.substr(0, 256));
  step.region = std::string(e.region.substr(0, 32));
  if (config) {
    step.create = a == "CreateGuardrail";
    for (std::size_t i = 0; i < kGuardrailPolicies.size(); ++i) {
      dom::element v;
      if (rp[kGuardrailPolicies[i]].get(v) == simdjson::SUCCESS && !v.is_null()) step.policies |= std::uint8_t(1u << i);
    }
    dom::array filters;
    if (rp["contentPolicyConfig"]["filtersConfig"].get_array().get(filters) == simdjson::SUCCESS) {
      for (dom::element f : filters) {
        std::string_view type = str(Result(dom::element(f))["type"]);
        if (type.empty() || step.filters.size() >= 16) continue;
        step.filters[std::string(type.substr(0, 64))] = {filter_strength(str(Result(dom::element(f))["inputStrength"])),
                                                         filter_strength(str(Result(dom::element(f))["outputStrength"]))};
      }
    }
  }
  // The earliest steps are kept, so what is kept does not depend on input order.
  std::vector<GuardrailStep>& v = config ? it->second.configs : version ? it->second.versions : it->second.consumers;
  constexpr std::size_t kMaxSteps = 200;
  if (v.size() >= kMaxSteps && !(step.ev < v.back().ev)) return;
  auto at = std::upper_bound(v.begin(), v.end(), step, [](const GuardrailStep& x, const GuardrailStep& y) { return x.ev < y.ev; });
  v.insert(at, std::move(step));
  if (v.size() > kMaxSteps) v.pop_back();
}

void AiChangesAnalyzer::emit_weakened_guardrails(FindingSink& out) {
  for (const auto& [key, g] : guardrails_) {
    // Each update against the configuration before it (the last one seen).
    for (std::size_t i = 0; i < g.configs.size(); ++i) {
      const GuardrailStep& u = g.configs[i];
      if (u.create) continue;
      const GuardrailStep* prev = i > 0 ? &g.configs[i - 1] : nullptr;
      std::vector<std::string> off, lowered, removed;
      for (const auto& [type, s] : u.filters) {
        // PROMPT_ATTACK has no output filter: its output strength is always NONE.
        const bool in_off = s.first == 0, out_off = s.second == 0 && type != "PROMPT_ATTACK";
        if (in_off || out_off) {
          off.push_back(type);
          continue;
        }
        if (!prev) continue;
        auto p = prev->filters.find(type);
        if (p != prev->filters.end() && (s.first < p->second.first || s.second < p->second.second)) lowered.push_back(type);
      }
      if (prev) {
        for (const auto& [type, s] : prev->filters)
          if ((u.policies & 1u) && !u.filters.count(type)) removed.push_back(type + " filter");
        for (std::size_t b = 0; b < kGuardrailPolicies.size(); ++b)
          if ((prev->policies >> b & 1u) && !(u.policies >> b & 1u)) removed.emplace_back(kGuardrailPolicies[b]);
      }
      if (off.empty() && lowered.empty() && removed.empty()) continue;
      // What carries this configuration: versions published after it (before
      // the next configuration), and consumers of those versions or of the draft.
      const std::int64_t next_ms = i + 1 < g.configs.size() ? g.configs[i + 1].ev.time_ms : INT64_MAX;
      std::vector<const GuardrailStep*> published, used;
      std::set<std::string> versions = {"DRAFT"};
      for (const GuardrailStep& v : g.versions) {
        if (v.ev.time_ms < u.ev.time_ms || v.ev.time_ms >= next_ms) continue;
        published.push_back(&v);
        versions.insert(v.version);
      }
      for (const GuardrailStep& c : g.consumers) {
        if (!versions.count(c.version)) continue;
        if (c.version != "DRAFT" && c.ev.time_ms < u.ev.time_ms) continue;
        if (c.version == "DRAFT" && c.ev.time_ms >= next_ms) continue;
        used.push_back(&c);
      }
      if (published.empty() && used.empty()) continue;
      Finding f;
      f.rule = "ai_changes.weakened_guardrail_deployed";
      f.element = Element::kAiChanges;
      f.severity = used.empty() ? Severity::kMedium : Severity::kHigh;
      f.title = used.empty() ? "A weakened guardrail published as a version"
                             : "A weakened guardrail put in front of an agent or model calls";
      f.principal = u.principal;
      f.account = g.account;
      f.region = u.region;
      f.access_key_id = u.key;
      auto client = [&](const GuardrailStep& s) {
        detail::add_listed(f.source_ips, s.ip);
        detail::add_listed(f.user_agents, s.ua);
      };
      client(u);
      f.add(u.ev);
      std::string how;
      auto list = [](const std::vector<std::string>& v) {
        std::string r;
        for (std::size_t k = 0; k < v.size() && k < 8; ++k) r += (k ? ", " : "") + v[k];
        if (v.size() > 8) r += fmt::format(", ... ({} in all)", v.size());
        return r;
      };
      if (!off.empty()) how += fmt::format("filters set to NONE: {}", list(off));
      if (!lowered.empty()) how += fmt::format("{}filters lowered: {}", how.empty() ? "" : "; ", list(lowered));
      if (!removed.empty()) how += fmt::format("{}no longer configured: {}", how.empty() ? "" : "; ", list(removed));
      std::string pub, use;
      for (std::size_t k = 0; k < published.size() && k < 5; ++k) {
        pub += fmt::format("{}version {} at {}", k ? ", " : "", published[k]->version, format_time(published[k]->ev.time_ms));
        f.add(published[k]->ev);
        client(*published[k]);
      }
      std::set<std::string> named;
      for (const GuardrailStep* c : used) {
        if (named.size() < 5 && named.insert(c->consumer).second) {
          use += fmt::format("{}{} on version {} at {}", use.empty() ? "" : ", ", c->consumer, c->version,
                             format_time(c->ev.time_ms));
          f.add(c->ev);
        }
      }
      f.summary = fmt::format("guardrail {} weakened by {} at {} ({}){}{}", g.id, u.principal, format_time(u.ev.time_ms),
                              how, pub.empty() ? "" : fmt::format(", published as {}", pub),
                              use.empty() ? "" : fmt::format("; in use by {}", use));
      f.details = {{"guardrail", g.id}, {"weakening", how}};
      if (!pub.empty()) f.details.emplace_back("published", pub);
      if (!use.empty()) f.details.emplace_back("in_use_by", use);
      f.tags = {{"T1562.001"}, {"AML.T0054", "AML.T0051"}, {"LLM01:2025"}};
      fired_.insert(f.rule);
      f.finalize();
      out.emit(std::move(f));
      break;  // one finding per guardrail: the earliest weakening that went live
    }
  }
}

void AiChangesAnalyzer::finish(FindingSink& out) {
  emit_chains(out);
  emit_enumeration(out);
  emit_change_bursts(out);
  emit_logging_then_invoke(out);
  emit_weakened_guardrails(out);
}

void AiChangesAnalyzer::answer(const Coverage& cov, std::vector<QuestionAnswer>& out) const {
  QuestionAnswer a;
  a.id = "ai_changes.models_resources";
  a.question = "Were your AI models, code, or resources accessed or changed?";
  a.rules = {"ai_changes.*"};
  std::string changes;
  std::vector<std::pair<std::uint64_t, std::string>> top;
  for (const auto& [act, n] : change_counts_) top.emplace_back(n, act);
  std::sort(top.begin(), top.end(), [](const auto& x, const auto& y) { return x.first != y.first ? x.first > y.first : x.second < y.second; });
  for (std::size_t i = 0; i < top.size() && i < 8; ++i) changes += fmt::format("{}{} x{}", i ? ", " : "", top[i].second, top[i].first);
  std::string notable;
  for (const auto& [what, v] : notable_)
    notable += fmt::format(" {}{} at {} {}.", static_cast<char>(std::toupper(static_cast<unsigned char>(what[0]))),
                           what.substr(1), format_time(v.first.time_ms), v.second);
  const std::string seen = fmt::format(
      "{} bedrock/agentcore/sagemaker/qbusiness/q events, {} of them control-plane changes{}{}.{}", ai_events_, ai_changes_,
      changes.empty() ? "" : ": ", changes, notable);
  if (cov.cloudtrail_events == 0) {
    a.answer = Answer::kCannotTell;
    a.explanation = "No CloudTrail management events were read; AI control-plane changes (guardrails, logging "
                    "configuration, model access, custom models) are only visible there.";
  } else if (!fired_.empty()) {
    a.answer = Answer::kYes;
    a.explanation = seen + " The findings name the sequences and changes.";
  } else {
    a.answer = ai_changes_ > 0 ? Answer::kNotFound : Answer::kNo;
    a.explanation = seen + (ai_changes_ > 0 ? " No stateful pattern fired; review the changes listed (and the "
                                              "single-event ai_changes.* rules) against the change record."
                                            : "") +
                    " Application code changes (Lambda, containers) are covered under infrastructure changes.";
  }
  out.push_back(std::move(a));
}

}  // namespace

std::unique_ptr<Analyzer> make_ai_changes(const AnalyzerConfig& config) {
  return std::make_unique<AiChangesAnalyzer>(config);
}

}  // namespace aiir
