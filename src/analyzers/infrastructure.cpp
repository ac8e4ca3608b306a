// SPDX-License-Identifier: Apache-2.0
// Infrastructure-changes analyzer (methodology element 2): the STATEFUL rows
// of detections.md §6.2 (first use of a region, bursts of mutating
// control-plane calls, large / GPU launches, quota probing, changes by
// non-admin principals, defense-evasion aggregates) and the element's answers.
#include <aiir/analyzer.h>
#include <aiir/event.h>
#include <aiir/finding.h>
#include <aiir/profile.h>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <array>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "analyzers/ai_principals.h"
#include "analyzers/factories.h"
#include "analyzers/scope.h"
#include "util/time.h"

namespace aiir {
namespace {

using detail::same_text;
// The names tamper_kind() and the others test are string_view literals: in a
// function this large GCC stops inlining, and a plain literal cost a strlen call.
using namespace std::string_view_literals;

constexpr std::int64_t kMinute = 60 * 1000;
constexpr std::int64_t kBucketMs = 10 * kMinute;
constexpr std::uint32_t kMutationBurst = 20;     ///< mutating calls in two consecutive buckets (<= 20 min)
constexpr std::size_t kMutationDistinct = 8;     ///< ... or this many distinct mutating actions

/// Write calls that change no infrastructure: the SSM agent's check-ins and reports from
/// every managed instance (every few minutes), and CloudWatch Logs Insights queries.
bool not_a_change(std::string_view svc, std::string_view action) noexcept {
  if (same_text(svc, "ssm"sv))
    return same_text(action, "UpdateInstanceInformation"sv) || same_text(action, "UpdateInstanceAssociationStatus"sv) ||
           same_text(action, "PutInventory"sv) || same_text(action, "PutComplianceItems"sv);
  if (same_text(svc, "logs"sv)) return same_text(action, "StartQuery"sv) || same_text(action, "StopQuery"sv);
  return false;
}
constexpr std::uint64_t kLargeCount = 10;        ///< instances in one request
constexpr std::size_t kQuotaRegions = 5;         ///< servicequotas calls across this many regions
constexpr std::size_t kMaxPrincipals = 50000;
constexpr std::size_t kMaxBuckets = 500000;
constexpr std::size_t kMaxBucketActions = 32;
constexpr std::size_t kMaxRecords = 100000;
constexpr std::size_t kEvidence = 20;
constexpr std::size_t kListCap = 15;

/// Services whose control plane is "supporting infrastructure" (the seed's list
/// plus the rest of compute, network, storage configuration, identity and the
/// logging / detection services). AI services are the ai_changes element's.
constexpr std::array<std::string_view, 38> kInfraServices = {
    "access-analyzer", "apigateway", "autoscaling", "cloudformation", "cloudfront", "cloudtrail", "config",
    "dynamodb", "ec2", "ecr", "ecs", "eks", "elasticfilesystem", "elasticloadbalancing", "elasticache", "events",
    "guardduty", "iam", "kms", "lambda", "logs", "macie2", "monitoring", "organizations", "rds", "redshift",
    "route53", "route53resolver", "s3", "secretsmanager", "securityhub", "ses", "sns", "sqs", "ssm", "states",
    "waf", "wafv2"};

bool is_infra_service(std::string_view svc) { return detail::is_one_of(svc, kInfraServices); }

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

/// Logging / detection tampering. Strong: turns a control off or deletes it.
/// Weak: common in benign operations, counted only next to a strong one.
enum class Tamper : std::uint8_t { kNone, kWeak, kStrong };

Tamper tamper_kind(std::string_view svc, std::string_view a) {
  if (same_text(svc, "cloudtrail"sv)) {
    if (same_text(a, "StopLogging"sv) || same_text(a, "DeleteTrail"sv) || same_text(a, "DeleteEventDataStore"sv) ||
        same_text(a, "StopEventDataStoreIngestion"sv))
      return Tamper::kStrong;
    if (same_text(a, "UpdateTrail"sv) || same_text(a, "PutEventSelectors"sv) || same_text(a, "PutInsightSelectors"sv))
      return Tamper::kWeak;
  } else if (same_text(svc, "guardduty"sv)) {
    if (same_text(a, "DeleteDetector"sv) || same_text(a, "DisassociateFromMasterAccount"sv) ||
        same_text(a, "DisassociateFromAdministratorAccount"sv) || same_text(a, "DeleteMembers"sv) ||
        same_text(a, "DisassociateMembers"sv) || same_text(a, "StopMonitoringMembers"sv) ||
        same_text(a, "DeletePublishingDestination"sv))
      return Tamper::kStrong;
    if (same_text(a, "UpdateDetector"sv) || same_text(a, "CreateIPSet"sv) || same_text(a, "UpdateIPSet"sv) ||
        same_text(a, "CreateFilter"sv) || same_text(a, "UpdateFilter"sv) || same_text(a, "CreateThreatIntelSet"sv) ||
        same_text(a, "UpdateThreatIntelSet"sv))
      return Tamper::kWeak;
  } else if (same_text(svc, "config"sv)) {
    if (same_text(a, "StopConfigurationRecorder"sv) || same_text(a, "DeleteConfigurationRecorder"sv) ||
        same_text(a, "DeleteDeliveryChannel"sv))
      return Tamper::kStrong;
    if (same_text(a, "DeleteConfigRule"sv) || same_text(a, "DeleteConformancePack"sv) ||
        same_text(a, "PutConfigurationRecorder"sv))
      return Tamper::kWeak;
  } else if (same_text(svc, "ec2"sv)) {
    if (same_text(a, "DeleteFlowLogs"sv)) return Tamper::kStrong;
  } else if (same_text(svc, "route53resolver"sv)) {
    if (same_text(a, "DeleteResolverQueryLogConfig"sv) || same_text(a, "DisassociateResolverQueryLogConfig"sv))
      return Tamper::kStrong;
  } else if (same_text(svc, "securityhub"sv)) {
    if (same_text(a, "DisableSecurityHub"sv) || same_text(a, "DisableImportFindingsForProduct"sv))
      return Tamper::kStrong;
    if (same_text(a, "BatchUpdateFindings"sv) || same_text(a, "DeleteInsight"sv)) return Tamper::kWeak;
  } else if (same_text(svc, "access-analyzer"sv)) {
    if (same_text(a, "DeleteAnalyzer"sv)) return Tamper::kStrong;
  } else if (same_text(svc, "macie2"sv) || same_text(svc, "macie"sv)) {
    if (same_text(a, "DisableMacie"sv) || same_text(a, "DisassociateFromAdministratorAccount"sv))
      return Tamper::kStrong;
  } else if (same_text(svc, "logs"sv)) {
    if (same_text(a, "DeleteLogGroup"sv) || same_text(a, "DeleteLogStream"sv) || same_text(a, "PutRetentionPolicy"sv) ||
        same_text(a, "DeleteSubscriptionFilter"sv))
      return Tamper::kWeak;
  } else if (same_text(svc, "monitoring"sv)) {
    if (same_text(a, "DeleteAlarms"sv) || same_text(a, "DisableAlarmActions"sv)) return Tamper::kWeak;
  } else if (same_text(svc, "bedrock"sv)) {
    if (same_text(a, "DeleteModelInvocationLoggingConfiguration"sv)) return Tamper::kStrong;
    // Where prompts are logged, or what: strong when it turns logging off (on_tamper).
    if (same_text(a, "PutModelInvocationLoggingConfiguration"sv)) return Tamper::kWeak;
  }
  return Tamper::kNone;
}

/// GPU, accelerator, very large memory or bare-metal instance types, and the
/// largest sizes: p*, g*, inf*, trn*, dl*, f*, x*, *.metal, >= 16xlarge.
bool is_large_type(std::string_view t) {
  auto dot = t.find('.');
  if (dot == std::string_view::npos) return false;
  std::string_view fam = t.substr(0, dot);
  std::string_view size = t.substr(dot + 1);
  if (starts_with(t, "ml.")) {  // SageMaker's names for the same hardware: ml.p4d.24xlarge
    t.remove_prefix(3);
    dot = t.find('.');
    if (dot == std::string_view::npos) return false;
    fam = t.substr(0, dot);
    size = t.substr(dot + 1);
  }
  if (fam.empty()) return false;  // ".xlarge", "ml..xlarge"
  auto digit_at = [&](std::size_t i) { return fam.size() > i && fam[i] >= '0' && fam[i] <= '9'; };
  if ((fam[0] == 'p' || fam[0] == 'g' || fam[0] == 'x' || fam[0] == 'f') && digit_at(1)) return true;
  if (starts_with(fam, "gr") || starts_with(fam, "inf") || starts_with(fam, "trn") || starts_with(fam, "dl"))
    return true;
  if (starts_with(size, "metal")) return true;
  if (size.size() > 6 && size.substr(size.size() - 6) == "xlarge") {
    int n = 0;
    for (char c : size.substr(0, size.size() - 6)) {
      if (c < '0' || c > '9') return false;
      n = n * 10 + (c - '0');
      if (n > 1000) break;
    }
    return n >= 16;
  }
  return false;
}

/// Existing compute started (no new instance): EC2 starts, ECS tasks.
bool is_start(std::string_view svc, std::string_view a) {
  if (same_text(svc, "ec2"sv)) return same_text(a, "StartInstances"sv);
  if (same_text(svc, "ecs"sv)) return same_text(a, "RunTask"sv) || same_text(a, "StartTask"sv);
  return false;
}

bool is_launch(std::string_view svc, std::string_view a) {
  if (same_text(svc, "ec2"sv)) {
    return same_text(a, "RunInstances"sv) || same_text(a, "RequestSpotInstances"sv) ||
           same_text(a, "RequestSpotFleet"sv) || same_text(a, "CreateFleet"sv) ||
           same_text(a, "CreateCapacityReservation"sv) || same_text(a, "CreateCapacityReservationFleet"sv) ||
           same_text(a, "PurchaseReservedInstancesOffering"sv);
  }
  if (same_text(svc, "autoscaling"sv))
    return same_text(a, "CreateAutoScalingGroup"sv) || same_text(a, "UpdateAutoScalingGroup"sv);
  // SageMaker compute: endpoints, training, processing and transform jobs, notebooks, HyperPod clusters.
  if (same_text(svc, "sagemaker"sv))
    return same_text(a, "CreateEndpointConfig"sv) || same_text(a, "CreateTrainingJob"sv) ||
           same_text(a, "CreateProcessingJob"sv) || same_text(a, "CreateTransformJob"sv) ||
           same_text(a, "CreateNotebookInstance"sv) || same_text(a, "UpdateNotebookInstance"sv) ||
           same_text(a, "CreateCluster"sv) || same_text(a, "UpdateCluster"sv) ||
           same_text(a, "CreateHyperParameterTuningJob"sv);
  return false;
}

/// Walks request parameters (bounded depth) for instance types and counts.
void scan_launch(simdjson::dom::element el, int depth, std::set<std::string>& types, std::uint64_t& count) {
  if (depth > 6) return;
  simdjson::dom::object obj;
  simdjson::dom::array arr;
  if (el.get(obj) == simdjson::SUCCESS) {
    for (auto [k, v] : obj) {
      std::string_view s;
      if ((k == "instanceType" || k == "InstanceType") && v.get(s) == simdjson::SUCCESS) {
        if (types.size() < 16) types.emplace(s);
      } else if (k == "maxCount" || k == "instanceCount" || k == "InstanceCount" || k == "TotalTargetCapacity" ||
                 k == "initialInstanceCount" || k == "InitialInstanceCount" ||
                 k == "targetCapacity" || k == "desiredCapacity" || k == "DesiredCapacity") {
        std::int64_t n = 0;
        std::uint64_t u = 0;
        double d = 0;
        if (v.get(n) == simdjson::SUCCESS && n > 0) count = std::max<std::uint64_t>(count, static_cast<std::uint64_t>(n));
        else if (v.get(u) == simdjson::SUCCESS) count = std::max(count, u);
        else if (v.get(d) == simdjson::SUCCESS && d > 0 && d < 1e9) count = std::max(count, static_cast<std::uint64_t>(d));
        else if (v.get(s) == simdjson::SUCCESS) {
          std::uint64_t p = 0;
          for (char c : s.substr(0, 9)) {
            if (c < '0' || c > '9') break;
            p = p * 10 + static_cast<std::uint64_t>(c - '0');
          }
          count = std::max(count, p);
        }
      } else if (v.is_object() || v.is_array()) {
        scan_launch(v, depth + 1, types, count);
      }
    }
  } else if (el.get(arr) == simdjson::SUCCESS) {
    for (auto v : arr) scan_launch(v, depth + 1, types, count);
  }
}

void keep_earliest(std::vector<Evidence>& v, const EventView& e, std::size_t k) {
  if (v.size() < k) {
    v.push_back(Evidence::from(e));
    return;
  }
  auto mx = std::max_element(v.begin(), v.end());
  if (detail::ref_less(e.time_ms, e.where.file, e.where.record, mx->time_ms, mx->file_index, mx->record)) {
    mx->assign(e);
  }
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

std::vector<std::string> keys_of(const CountedSet& s) {
  std::vector<std::string> v;
  for (const auto& [k, n] : s.values) v.push_back(k);
  return v;
}

/// Mutating infrastructure calls of one principal.
struct Mutator {
  std::string account;
  std::int64_t first_ms = 0;
  std::int64_t last_ms = 0;
  std::uint64_t calls = 0;
  std::uint64_t failed = 0;
  CountedSet services;
  CountedSet actions;  ///< "svc:Action"
  CountedSet keys;
  CountedSet ips;
  CountedSet agents;
  std::vector<Evidence> evidence;
  // Logging / detection tampering.
  CountedSet strong;
  CountedSet weak;
  CountedSet tamper_failed;
  std::vector<Evidence> tamper_evidence;
  // Quota probing.
  CountedSet quota_regions;
  std::vector<Evidence> quota_evidence;
  bool long_term = false;
};

struct Bucket {
  std::uint32_t calls = 0;
  std::vector<std::string> actions;  ///< distinct, sorted, the smallest kept
};

struct RegionFirst {
  Evidence ev;
  std::uint64_t events = 0;
  std::uint64_t mutations = 0;
  CountedSet principals;
};

struct AccountRegions {
  std::int64_t first_ms = 0;
  bool seen = false;
  std::map<std::string, RegionFirst, std::less<>> regions;
};

struct Launch {
  Evidence ev;
  std::string principal;
  std::string key;
  std::string account;
  std::string region;
  std::string ip;
  std::set<std::string> types;
  std::uint64_t count = 0;
  std::uint64_t launched = 0;  ///< instances in the response
  bool success = false;
  std::string error;
};

class InfrastructureAnalyzer final : public Analyzer {
 public:
  explicit InfrastructureAnalyzer(const AnalyzerConfig& config)
      : profile_(config.profile ? *config.profile : empty_profile_), baseline_until_ms_(config.baseline_until_ms) {
    if (baseline_until_ms_ == 0 && profile_.loaded) baseline_until_ms_ = profile_.baseline_until_ms;
  }

  void on_event(const EventView& e, FindingSink& /*out*/) override {
    if (e.kind != EventKind::kCloudTrail) return;
    ++cloudtrail_events_;
    if (events_ == 0 || e.time_ms < first_ms_) first_ms_ = e.time_ms;
    if (events_ == 0 || e.time_ms > last_ms_) last_ms_ = e.time_ms;
    ++events_;
    const bool service = detail::same_text(e.actor_type, "AWSService"sv) ||
                         detail::same_text(e.event_type, "AwsServiceEvent"sv) ||
                         (!e.invoked_by.empty() && e.invoked_by.find('.') != std::string_view::npos);
    if (service || e.actor_arn.empty()) return;
    const bool data = detail::same_text(e.event_category, "Data"sv) || e.management == Tri::kFalse;
    if (data) return;
    ++management_events_;
    track_region(e);
    const std::string_view svc = detail::short_service(e.service);
    const bool read = detail::is_read_call(e);

    if (detail::same_text(svc, "servicequotas"sv) && read) {
      Mutator* m = mutator(e);
      if (m) {
        m->quota_regions.add(e.region, 64);
        keep_earliest(m->quota_evidence, e, kEvidence);
      }
      return;
    }
    const Tamper t = tamper_kind(svc, e.action);
    if (t != Tamper::kNone) on_tamper(e, t);
    if (detail::same_text(svc, "cloudtrail"sv) && e.outcome == Outcome::kSuccess) on_trail_switch(e);
    // SageMaker is an AI service (its changes are the AI-changes element's),
    // but the GPUs it starts are compute like any other.
    if (!read && detail::same_text(svc, "sagemaker"sv) && is_launch(svc, e.action)) on_launch(e);
    if (read || !is_infra_service(svc)) return;
    if (detail::same_text(svc, "iam"sv) && detail::same_text(e.action, "PassRole"sv)) return;
    if (not_a_change(svc, e.action)) return;
    if (is_launch(svc, e.action)) on_launch(e);
    else if (is_start(svc, e.action) && e.outcome == Outcome::kSuccess) on_start(e);
    on_mutation(e, svc);
  }

  void finish(FindingSink& out) override {
    baseline_end_ = baseline_until_ms_ > 0 ? baseline_until_ms_ : first_ms_ + (last_ms_ - first_ms_) / 5;
    baseline_inferred_ = baseline_until_ms_ == 0;
    finish_bursts();
    finish_launches();
    finish_regions();
    finish_non_admin();
    finish_quota();
    finish_tamper();
    // Every per-principal finding above is collected first, so that the
    // defense-evasion aggregate can say what else the principal did.
    for (auto& f : pending_) {
      f.element = Element::kInfrastructure;
      f.finalize();
      rules_fired_.insert(f.rule);
      out.emit(std::move(f));
    }
    pending_.clear();
  }

  void answer(const Coverage& coverage, std::vector<QuestionAnswer>& out) const override;
  void limits(std::vector<std::string>& out) const override { detail::caps_line(out, dropped_); }

 private:
  Mutator* mutator(const EventView& e) {
    auto it = mutators_.find(e.actor_arn);
    if (it == mutators_.end()) {
      if (mutators_.size() >= kMaxPrincipals) {
        ++dropped_;
        return nullptr;
      }
      it = mutators_.emplace(std::string(e.actor_arn), Mutator{}).first;
      it->second.account = std::string(e.account);
    }
    Mutator& m = it->second;
    if (m.calls == 0 || e.time_ms < m.first_ms) m.first_ms = e.time_ms;
    if (m.calls == 0 || e.time_ms > m.last_ms) m.last_ms = e.time_ms;
    m.keys.add(e.access_key_id, 10);
    if (detail::looks_like_ip(e.source_ip)) m.ips.add(e.source_ip, 20);
    m.agents.add(e.user_agent, 10);
    if (e.access_key_id.substr(0, 4) == "AKIA") m.long_term = true;
    return &m;
  }

  void on_mutation(const EventView& e, std::string_view svc) {
    Mutator* m = mutator(e);
    if (!m) return;
    ++m->calls;
    ++mutations_total_;
    services_total_.add(svc, 64);
    principals_total_.add(e.actor_arn, 1000);
    if (e.outcome == Outcome::kFailure) {
      ++m->failed;
      return;  // a failed call changed nothing; counted, not listed
    }
    m->services.add(svc, 64);
    scratch_.assign(svc);
    scratch_.push_back(':');
    scratch_.append(e.action);
    m->actions.add(scratch_, 200);
    keep_earliest(m->evidence, e, kEvidence);
    // Burst buckets.
    const std::int64_t b = e.time_ms >= 0 ? e.time_ms / kBucketMs : -1;
    auto& per = buckets_[std::string(e.actor_arn)];
    if (bucket_count_ >= kMaxBuckets && per.find(b) == per.end()) {
      ++dropped_;
      return;
    }
    auto [it, inserted] = per.try_emplace(b);
    if (inserted) ++bucket_count_;
    Bucket& bk = it->second;
    ++bk.calls;
    auto pos = std::lower_bound(bk.actions.begin(), bk.actions.end(), scratch_);
    if (pos == bk.actions.end() || *pos != scratch_) {
      if (bk.actions.size() < kMaxBucketActions) {
        bk.actions.insert(pos, scratch_);
      } else if (scratch_ < bk.actions.back()) {
        bk.actions.pop_back();
        bk.actions.insert(std::lower_bound(bk.actions.begin(), bk.actions.end(), scratch_), scratch_);
      }
    }
  }

  void on_tamper(const EventView& e, Tamper t) {
    Mutator* m = mutator(e);
    if (!m) return;
    scratch_.assign(detail::short_service(e.service));
    scratch_.push_back(':');
    scratch_.append(e.action);
    Tamper kind = t;
    // Selectors that drop management events, a detector switched off, or
    // invocation logging without text or destination, are strong.
    if (e.action == "PutModelInvocationLoggingConfiguration" && detail::disables_invocation_logging(e))
      kind = Tamper::kStrong;
    if (e.action == "PutEventSelectors" || e.action == "UpdateDetector") {
      simdjson::dom::element rp;
      if (e.request_parameters().get(rp) == simdjson::SUCCESS) {
        bool enable = true;
        if (e.action == "UpdateDetector" && rp["enable"].get(enable) == simdjson::SUCCESS && !enable) {
          kind = Tamper::kStrong;
        }
        simdjson::dom::array sel;
        if (e.action == "PutEventSelectors" && rp["eventSelectors"].get(sel) == simdjson::SUCCESS) {
          for (auto s : sel) {
            bool mgmt = true;
            if (s["includeManagementEvents"].get(mgmt) == simdjson::SUCCESS && !mgmt) kind = Tamper::kStrong;
          }
        }
      }
    }
    if (e.outcome == Outcome::kFailure) {
      m->tamper_failed.add(scratch_, 50);
      return;
    }
    (kind == Tamper::kStrong ? m->strong : m->weak).add(scratch_, 50);
    keep_earliest(m->tamper_evidence, e, kEvidence);
    tamper_total_.add(scratch_, 100);
  }

  /// A trail switched off or on (StopLogging, DeleteTrail; StartLogging, CreateTrail).
  void on_trail_switch(const EventView& e) {
    const bool off = e.action == "StopLogging" || e.action == "DeleteTrail";
    const bool on = e.action == "StartLogging" || e.action == "CreateTrail";
    if (!off && !on) return;
    std::string_view name;
    if (e.request_parameters()["name"].get_string().get(name) != simdjson::SUCCESS || name.empty()) return;
    if (const std::size_t slash = name.rfind("trail/"); slash != std::string_view::npos) name = name.substr(slash + 6);
    TrailSwitch t;
    t.ev = Evidence::from(e);
    t.trail = fmt::format("{}/{}", e.account.substr(0, 32), name.substr(0, 256));
    t.principal = std::string(e.actor_arn.substr(0, 512));
    t.off = off;
    constexpr std::size_t kMaxSwitches = 1000;  // the earliest, whatever the input order
    if (trail_switches_.size() >= kMaxSwitches && !(t.ev < trail_switches_.back().ev)) return;
    auto at = std::upper_bound(trail_switches_.begin(), trail_switches_.end(), t,
                               [](const TrailSwitch& x, const TrailSwitch& y) { return x.ev < y.ev; });
    trail_switches_.insert(at, std::move(t));
    if (trail_switches_.size() > kMaxSwitches) trail_switches_.pop_back();
  }

  /// Spans in which a trail was off: from each StopLogging (or DeleteTrail)
  /// to the trail's next StartLogging (or CreateTrail), else to the end of
  /// these logs. "what" is the line the answer and the findings quote.
  struct Gap {
    std::string stopper, what;
  };
  std::vector<Gap> logging_gaps() const {
    std::vector<Gap> out;
    for (std::size_t i = 0; i < trail_switches_.size(); ++i) {
      const TrailSwitch& s = trail_switches_[i];
      if (!s.off) continue;
      if (i > 0) {  // already off: the earlier switch's gap covers it
        bool was_off = false;
        for (std::size_t k = i; k-- > 0;)
          if (trail_switches_[k].trail == s.trail) {
            was_off = trail_switches_[k].off;
            break;
          }
        if (was_off) continue;
      }
      const TrailSwitch* back = nullptr;
      for (std::size_t k = i + 1; k < trail_switches_.size() && !back; ++k)
        if (trail_switches_[k].trail == s.trail && !trail_switches_[k].off) back = &trail_switches_[k];
      const std::string name = s.trail.substr(s.trail.find('/') + 1);
      Gap g;
      g.stopper = s.principal;
      if (back) {
        g.what = fmt::format("trail {} was not logging from {} ({}) until {} at {} by {}: {} minute(s) its records "
                             "do not cover",
                             name, format_time(s.ev.time_ms), s.ev.action, back->ev.action, format_time(back->ev.time_ms),
                             back->principal, (back->ev.time_ms - s.ev.time_ms) / 60000);
      } else {
        g.what = fmt::format("trail {} was not logging from {} ({}) to the end of these logs ({}): nothing after it "
                             "was recorded by it",
                             name, format_time(s.ev.time_ms), s.ev.action, format_time(last_ms_));
      }
      out.push_back(std::move(g));
      if (out.size() >= 20) break;
    }
    return out;
  }

  void on_start(const EventView& e) {
    ++start_calls_;
    std::vector<std::string> ids;
    simdjson::dom::array items;
    if (e.request_parameters()["instancesSet"]["items"].get(items) == simdjson::SUCCESS) {
      for (auto it : items) {
        std::string_view id;
        if (it["instanceId"].get(id) == simdjson::SUCCESS && ids.size() < 5) ids.emplace_back(id.substr(0, 64));
      }
    }
    std::string_view def;
    if (ids.empty() && e.request_parameters()["taskDefinition"].get(def) == simdjson::SUCCESS)
      ids.emplace_back(def.substr(0, 200));
    std::string what = ids.empty() ? std::string(e.action) : fmt::format("{} {}", e.action, join(ids));
    Evidence ev = Evidence::from(e);
    std::string line = fmt::format("{} by {} at {}", what, e.actor_arn.substr(0, 300), format_time(e.time_ms));
    constexpr std::size_t kMaxStarts = 20;  // the earliest, whatever the input order
    if (starts_.size() >= kMaxStarts && !(ev < starts_.back().first)) return;
    auto at = std::upper_bound(starts_.begin(), starts_.end(), ev,
                               [](const Evidence& x, const std::pair<Evidence, std::string>& y) { return x < y.first; });
    starts_.insert(at, {std::move(ev), std::move(line)});
    if (starts_.size() > kMaxStarts) starts_.pop_back();
  }

  void on_launch(const EventView& e) {
    Launch l;
    simdjson::dom::element rp;
    if (e.request_parameters().get(rp) == simdjson::SUCCESS) scan_launch(rp, 0, l.types, l.count);
    simdjson::dom::array items;
    if (e.raw["responseElements"]["instancesSet"]["items"].get(items) == simdjson::SUCCESS) {
      for (auto it : items) {
        ++l.launched;
        std::string_view t;
        if (it["instanceType"].get(t) == simdjson::SUCCESS && l.types.size() < 16) l.types.emplace(t);
      }
    }
    if (l.count == 0) l.count = std::max<std::uint64_t>(l.launched, 1);
    bool large = l.count >= kLargeCount;
    for (const auto& t : l.types) large = large || is_large_type(t);
    if (e.outcome == Outcome::kSuccess) ++launch_calls_;
    if (!large) return;
    l.ev = Evidence::from(e);
    l.principal = std::string(e.actor_arn);
    l.key = std::string(e.access_key_id);
    l.account = std::string(e.account);
    l.region = std::string(e.region);
    l.ip = std::string(e.source_ip);
    l.success = e.outcome == Outcome::kSuccess;
    l.error = std::string(e.error_code);
    launches_.push_back(std::move(l));
    if (launches_.size() >= 2 * kMaxRecords) {
      std::sort(launches_.begin(), launches_.end(), [](const Launch& a, const Launch& b) { return a.ev < b.ev; });
      dropped_ += launches_.size() - kMaxRecords;
      launches_.resize(kMaxRecords);
    }
  }

  void track_region(const EventView& e) {
    if (e.region.empty() || e.account.empty()) return;
    // Consecutive events mostly repeat their account and region: the last
    // entries are reused without searching (map nodes do not move).
    if (last_account_ == nullptr || !detail::same_text(e.account, last_account_key_)) {
      auto it = accounts_.find(e.account);
      if (it == accounts_.end()) {
        if (accounts_.size() >= 1000) return;
        it = accounts_.emplace(std::string(e.account), AccountRegions{}).first;
      }
      last_account_ = &it->second;
      last_account_key_.assign(e.account);
      last_region_ = nullptr;  // a region of another account
    }
    AccountRegions& a = *last_account_;
    if (!a.seen || e.time_ms < a.first_ms) a.first_ms = e.time_ms;
    a.seen = true;
    if (last_region_ == nullptr || !detail::same_text(e.region, last_region_key_)) {
      auto r = a.regions.find(e.region);
      if (r == a.regions.end()) {
        if (a.regions.size() >= 64) return;
        r = a.regions.emplace(std::string(e.region), RegionFirst{Evidence::from(e), 0, 0, {}}).first;
      }
      last_region_ = &r->second;
      last_region_key_.assign(e.region);
    }
    RegionFirst& r = *last_region_;
    if (detail::ref_less(e.time_ms, e.where.file, e.where.record, r.ev.time_ms, r.ev.file_index, r.ev.record))
      r.ev.assign(e);
    ++r.events;
    if (!detail::is_read_call(e)) ++r.mutations;
    r.principals.add(e.actor_arn, 10);
  }

  // ---- finish ---------------------------------------------------------------

  Finding base(const std::string& principal, const Mutator& m) const {
    Finding f;
    f.principal = principal;
    f.account = m.account;
    if (m.keys.values.size() == 1) f.access_key_id = m.keys.values.begin()->first;
    for (const auto& [ip, n] : m.ips.top(10)) f.source_ips.push_back(ip);
    for (const auto& [ua, n] : m.agents.top(5)) f.user_agents.push_back(ua);
    return f;
  }

  void mark(const std::string& principal, const std::string& what) { suspicious_[principal].insert(what); }

  bool is_admin(std::string_view arn) const {
    for (const auto& a : profile_.admin_principals)
      if (detail::profile_arn_matches(a, arn)) return true;
    return false;
  }

  bool app_allows(std::string_view arn, std::string_view svc_action) const {
    // svc_action is "svc:Action"; profile patterns use the IAM prefix, which
    // matches the short event-source name for the services counted here.
    for (const auto& p : profile_.app_principals) {
      if (!detail::profile_arn_matches(p.arn, arn)) continue;
      for (const auto& a : p.allowed_actions) {
        if (detail::wildcard_matches(a, svc_action)) return true;
      }
    }
    return false;
  }

  void finish_bursts() {
    for (const auto& [principal, per] : buckets_) {
      std::uint32_t best = 0;
      std::size_t best_distinct = 0;
      std::int64_t best_at = 0;
      std::size_t windows = 0;
      for (auto it = per.begin(); it != per.end(); ++it) {
        auto next = std::next(it);
        const Bucket* b = (next != per.end() && next->first == it->first + 1) ? &next->second : nullptr;
        std::uint32_t calls = it->second.calls + (b ? b->calls : 0);
        std::set<std::string_view> distinct(it->second.actions.begin(), it->second.actions.end());
        if (b) distinct.insert(b->actions.begin(), b->actions.end());
        if (calls < kMutationBurst && distinct.size() < kMutationDistinct) continue;
        ++windows;
        if (calls > best) {
          best = calls;
          best_distinct = distinct.size();
          best_at = it->first * kBucketMs;
        }
      }
      if (windows == 0) continue;
      const Mutator& m = mutators_.at(principal);
      mark(principal, "mutation burst");
      Finding f = base(principal, m);
      f.rule = "infrastructure.mutation_burst";
      f.title = "Burst of infrastructure changes";
      const bool non_admin = !profile_.admin_principals.empty() && !is_admin(principal);
      f.severity = (m.long_term || non_admin) ? Severity::kMedium : Severity::kLow;
      f.summary = fmt::format("{} made {} mutating control-plane calls ({} distinct actions) within 20 minutes from "
                              "{}; {} successful changes in total by service: {}; actions: {}",
                              principal, best, best_distinct, format_time(best_at), m.calls - m.failed,
                              join_counts(m.services), join_counts(m.actions, 10));
      for (const auto& ev : m.evidence) f.add(ev);
      f.count = m.calls - m.failed;
      f.details.emplace_back("peak_calls_20min", std::to_string(best));
      f.details.emplace_back("burst_windows", std::to_string(windows));
      f.details.emplace_back("by_service", join_counts(m.services, 40));
      f.details.emplace_back("actions", join_counts(m.actions, 40));
      if (m.failed) f.details.emplace_back("failed_calls", std::to_string(m.failed));
      f.tags.attack = {"T1578"};
      pending_.push_back(std::move(f));
    }
  }

  void finish_launches() {
    std::sort(launches_.begin(), launches_.end(), [](const Launch& a, const Launch& b) { return a.ev < b.ev; });
    std::map<std::string, std::vector<const Launch*>> by;
    for (const Launch& l : launches_) by[l.principal].push_back(&l);
    for (const auto& [principal, list] : by) {
      Finding f;
      f.rule = "infrastructure.large_instance_launch";
      f.title = "GPU or large instance launch";
      f.principal = principal;
      std::set<std::string> types;
      std::set<std::string> regions;
      std::set<std::string> errors;
      std::set<std::string> keys;
      std::uint64_t requested = 0;
      std::uint64_t launched = 0;
      std::size_t ok = 0;
      for (const Launch* l : list) {
        f.add(l->ev);
        if (f.account.empty()) f.account = l->account;
        types.insert(l->types.begin(), l->types.end());
        regions.insert(l->region);
        if (!l->key.empty()) keys.insert(l->key);
        f.source_ips.push_back(l->ip);
        requested += l->count;
        if (l->success) {
          ++ok;
          launched += l->launched ? l->launched : l->count;
        } else if (!l->error.empty()) {
          errors.insert(l->error);
        }
      }
      if (keys.size() == 1) f.access_key_id = *keys.begin();
      std::vector<std::string> tv(types.begin(), types.end());
      std::vector<std::string> rv(regions.begin(), regions.end());
      f.severity = ok ? Severity::kMedium : Severity::kLow;
      f.summary = fmt::format("{} requested {} instance(s) of {} in {} ({} request(s), {} succeeded, about {} "
                              "instances launched){}",
                              principal, requested, tv.empty() ? "unrecorded types" : join(tv), join(rv),
                              list.size(), ok, launched,
                              errors.empty() ? "" : "; errors: " + join(std::vector<std::string>(errors.begin(), errors.end())));
      f.details.emplace_back("instance_types", join(tv));
      f.details.emplace_back("regions", join(rv));
      f.details.emplace_back("instances_requested", std::to_string(requested));
      f.details.emplace_back("instances_launched", std::to_string(launched));
      f.tags.attack = {"T1578.002", "T1496"};
      f.tags.owasp_llm = {};
      mark(principal, "GPU/large launches");
      pending_.push_back(std::move(f));
    }
  }

  void finish_regions() {
    const bool by_profile = profile_.loaded && !profile_.regions.empty();
    for (const auto& [account, a] : accounts_) {
      const bool has_baseline = a.first_ms < baseline_end_;
      if (!by_profile && !has_baseline) continue;
      for (const auto& [region, r] : a.regions) {
        bool fresh = by_profile ? std::find(profile_.regions.begin(), profile_.regions.end(), region) ==
                                      profile_.regions.end()
                                : r.ev.time_ms >= baseline_end_;
        if (!fresh) continue;
        Finding f;
        f.rule = "infrastructure.first_region_use";
        f.title = "First use of a region";
        f.severity = r.mutations > 0 ? Severity::kMedium : Severity::kLow;
        f.account = account;
        f.region = region;
        f.add(r.ev);
        f.count = r.events;
        std::vector<std::string> who = keys_of(r.principals);
        if (who.size() == 1) f.principal = who.front();
        const std::string basis =
            by_profile ? "not among the profile's expected regions"
                       : fmt::format("first used after the baseline ({}{})", format_time(baseline_end_),
                                     baseline_inferred_ ? ", inferred: first 20% of the logs" : "");
        f.summary = fmt::format("Account {} used region {} ({}) at {}: {} calls, {} of them changes, by {}", account,
                                region, basis, format_time(r.ev.time_ms), r.events, r.mutations, join(who, 5));
        f.details.emplace_back("principals", join(who));
        f.details.emplace_back("mutating_calls", std::to_string(r.mutations));
        f.details.emplace_back("basis", basis);
        f.tags.attack = {"T1535"};
        if (r.mutations > 0) {
          for (const auto& p : who) mark(p, "changes in a new region " + region);
        }
        pending_.push_back(std::move(f));
      }
    }
  }

  void finish_non_admin() {
    if (!profile_.loaded || profile_.admin_principals.empty()) return;
    for (const auto& [principal, m] : mutators_) {
      if (m.actions.values.empty() || is_admin(principal)) continue;
      CountedSet unexpected;
      CountedSet services;
      for (const auto& [action, n] : m.actions.values) {
        if (app_allows(principal, action)) continue;
        unexpected.add(action, 200, n);
        services.add(action.substr(0, action.find(':')), 64, n);
      }
      if (unexpected.values.empty()) continue;
      std::uint64_t total = 0;
      for (const auto& [a, n] : unexpected.values) total += n;
      Finding f = base(principal, m);
      f.rule = "infrastructure.change_by_non_admin";
      f.title = "Infrastructure changed by a principal that is not an administrator";
      f.severity = Severity::kMedium;
      for (const auto& ev : m.evidence) f.add(ev);
      f.count = total;
      f.summary = fmt::format("{}, not among the profile's admin principals, made {} infrastructure change(s) from {} "
                              "to {}: {}",
                              principal, total, format_time(m.first_ms), format_time(m.last_ms),
                              join_counts(unexpected, 10));
      f.details.emplace_back("by_service", join_counts(services, 40));
      f.details.emplace_back("actions", join_counts(unexpected, 40));
      f.tags.attack = {"T1578", "T1078.004"};
      mark(principal, "changes by a non-admin");
      pending_.push_back(std::move(f));
    }
  }

  void finish_quota() {
    for (const auto& [principal, m] : mutators_) {
      if (m.quota_regions.values.size() < kQuotaRegions) continue;
      Finding f = base(principal, m);
      f.rule = "infrastructure.quota_probing";
      f.title = "Service quotas read across many regions";
      f.severity = Severity::kMedium;
      for (const auto& ev : m.quota_evidence) f.add(ev);
      f.summary = fmt::format("{} read service quotas in {} regions: {}", principal, m.quota_regions.values.size(),
                              join(keys_of(m.quota_regions)));
      f.details.emplace_back("regions", join(keys_of(m.quota_regions), 40));
      f.tags.attack = {"T1580", "T1496"};
      mark(principal, "quota probing");
      pending_.push_back(std::move(f));
    }
  }

  void finish_tamper() {
    for (const auto& [principal, m] : mutators_) {
      if (m.strong.values.empty()) continue;
      CountedSet all = m.strong;
      for (const auto& [a, n] : m.weak.values) all.add(a, 100, n);
      std::set<std::string> services;
      std::uint64_t total = 0;
      for (const auto& [a, n] : all.values) {
        services.insert(a.substr(0, a.find(':')));
        total += n;
      }
      auto also = suspicious_.find(principal);
      const bool other = also != suspicious_.end() && !also->second.empty();
      Finding f = base(principal, m);
      f.rule = "infrastructure.defense_evasion";
      f.title = "Logging and detection tampering by one principal";
      // High: two controls turned off, a turned-off one next to a change of another
      // service's logging (two logging planes), or other suspicious infrastructure work.
      f.severity = (m.strong.values.size() >= 2 || services.size() >= 2 || other) ? Severity::kHigh : Severity::kMedium;
      for (const auto& ev : m.tamper_evidence) f.add(ev);
      f.count = total;
      std::vector<std::string> sv(services.begin(), services.end());
      std::vector<std::string> ov;
      if (other) ov.assign(also->second.begin(), also->second.end());
      f.summary = fmt::format("Defense evasion by {}: {} action(s) across {} service(s) ({}): {}{}{}", principal,
                              total, services.size(), join(sv), join_counts(all),
                              m.tamper_failed.values.empty() ? "" : "; failed attempts: " + join_counts(m.tamper_failed),
                              other ? "; the same principal also shows: " + join(ov) : "");
      std::string gaps;
      for (const Gap& g : logging_gaps())
        if (g.stopper == principal) gaps += (gaps.empty() ? "" : "; ") + g.what;
      if (!gaps.empty()) {
        f.summary += "; " + gaps;
        f.details.emplace_back("logging_gaps", gaps);
      }
      f.details.emplace_back("actions", join_counts(all, 40));
      f.details.emplace_back("services", join(sv));
      if (other) f.details.emplace_back("also", join(ov));
      f.tags.attack = {"T1562.008", "T1562.001"};
      pending_.push_back(std::move(f));
    }
  }

  static inline const Profile empty_profile_{};
  const Profile& profile_;
  std::int64_t baseline_until_ms_ = 0;
  std::int64_t baseline_end_ = 0;
  bool baseline_inferred_ = true;

  std::uint64_t events_ = 0;
  std::uint64_t cloudtrail_events_ = 0;
  std::uint64_t management_events_ = 0;
  std::int64_t first_ms_ = 0;
  std::int64_t last_ms_ = 0;
  std::uint64_t dropped_ = 0;
  std::uint64_t mutations_total_ = 0;
  std::uint64_t launch_calls_ = 0;
  std::uint64_t start_calls_ = 0;
  struct TrailSwitch {
    Evidence ev;
    std::string trail;      ///< "account/name"
    std::string principal;
    bool off = false;
  };
  std::vector<TrailSwitch> trail_switches_;  ///< sorted by evidence order
  /// Existing instances and tasks started (no launch): "<id> by <principal> at <time>", earliest few.
  std::vector<std::pair<Evidence, std::string>> starts_;
  CountedSet services_total_;
  CountedSet principals_total_;
  CountedSet tamper_total_;
  std::map<std::string, Mutator, std::less<>> mutators_;
  std::map<std::string, std::map<std::int64_t, Bucket>, std::less<>> buckets_;
  std::size_t bucket_count_ = 0;
  std::map<std::string, AccountRegions, std::less<>> accounts_;
  AccountRegions* last_account_ = nullptr;  ///< track_region()'s last entries, with their keys
  std::string last_account_key_;
  RegionFirst* last_region_ = nullptr;
  std::string last_region_key_;
  std::vector<Launch> launches_;
  std::string scratch_;

  std::vector<Finding> pending_;
  std::map<std::string, std::set<std::string>> suspicious_;
  std::set<std::string> rules_fired_;
};

void InfrastructureAnalyzer::answer(const Coverage& coverage, std::vector<QuestionAnswer>& out) const {
  const bool have_mgmt = management_events_ > 0 ||
                         (coverage.cloudtrail_events > coverage.data_events && cloudtrail_events_ == 0);
  const std::string no_ct = "No CloudTrail management events were read, so control-plane changes cannot be seen.";
  {
    QuestionAnswer q;
    q.id = "infrastructure.changed";
    q.question = "Were supporting infrastructure resources accessed or changed?";
    q.rules = {"infrastructure.*"};
    if (!have_mgmt) {
      q.answer = Answer::kCannotTell;
      q.explanation = no_ct;
    } else if (mutations_total_ > 0) {
      q.answer = Answer::kYes;
      q.explanation = fmt::format(
          "{} mutating control-plane call(s) by {} principal(s) on: {}. Findings name the unusual ones{}. Changes "
          "inside instances or databases need OS and database logs.",
          mutations_total_, principals_total_.values.size(), join_counts(services_total_),
          profile_.loaded && !profile_.admin_principals.empty() ? "" : "; a profile listing admin principals would separate expected changes");
    } else {
      q.answer = Answer::kNo;
      q.explanation = "Management events are present and show no mutating call on infrastructure services.";
    }
    out.push_back(std::move(q));
  }
  {
    QuestionAnswer q;
    q.id = "infrastructure.logging_tampered";
    q.question = "Were logging or detection controls (CloudTrail, GuardDuty, Config, flow logs) disabled or changed?";
    // Only the rules about logging and detection controls ("infrastructure.security*"
    // would also take security_group_opened_to_internet).
    q.rules = {"infrastructure.defense_evasion",          "infrastructure.cloudtrail_*",
               "infrastructure.guardduty_*",              "infrastructure.config_recording_stopped",
               "infrastructure.network_logs_deleted",     "infrastructure.security_service_disabled",
               "infrastructure.account_left_organization"};
    if (!have_mgmt) {
      q.answer = Answer::kCannotTell;
      q.explanation = no_ct;
    } else if (!tamper_total_.values.empty()) {
      q.answer = Answer::kYes;
      q.explanation = fmt::format("Logging or detection changes were made: {}.", join_counts(tamper_total_));
      std::string gaps;
      for (const Gap& g : logging_gaps()) gaps += fmt::format(" {}{}.", static_cast<char>(std::toupper(static_cast<unsigned char>(g.what[0]))), g.what.substr(1));
      q.explanation += gaps;
    } else {
      q.answer = Answer::kNo;
      q.explanation = "No successful change to CloudTrail, GuardDuty, Config, Security Hub, flow or resolver logs "
                      "was logged. (A trail stopped outright also stops these logs: check the time range ends "
                      "where expected.)";
    }
    out.push_back(std::move(q));
  }
  {
    QuestionAnswer q;
    q.id = "infrastructure.compute_launched";
    q.question = "Were compute resources started in unusual sizes, numbers or regions (resource hijacking)?";
    // Launches only: a first use of a region is not a launch (it answers
    // "accessed or changed"), and would contradict "0 launch calls".
    q.rules = {"infrastructure.large_instance_launch", "infrastructure.gpu_instance_launched",
               "infrastructure.quota_probing", "agency.compute_start_by_ai"};
    if (!have_mgmt) {
      q.answer = Answer::kCannotTell;
      q.explanation = no_ct;
    } else if (!launches_.empty()) {
      q.answer = Answer::kYes;
      q.explanation = fmt::format("{} request(s) for GPU, accelerator or large instances were logged.", launches_.size());
    } else if (launch_calls_ == 0 && start_calls_ > 0) {
      // Not a launch, but compute that runs: a stopped instance restarted
      // (after new user data, its boot script runs), an ECS task run.
      q.answer = Answer::kNotFound;
      std::string named;
      for (std::size_t i = 0; i < starts_.size() && i < 5; ++i) named += (i ? "; " : "") + starts_[i].second;
      q.explanation = fmt::format(
          "No new instance was launched, but {} call(s) started existing compute ({}{}). Instance types are not in "
          "these records; check them, and whether the instance's user data or task definition changed before "
          "(infrastructure.instance_user_data_modified).",
          start_calls_, named, start_calls_ > starts_.size() ? "; ..." : "");
    } else if (launch_calls_ == 0) {
      q.answer = Answer::kNo;
      q.explanation = "Management events are present and show no successful instance launch (RunInstances and the "
                      "like), so no compute was started.";
    } else {
      q.answer = profile_.loaded && !profile_.regions.empty() ? Answer::kNo : Answer::kNotFound;
      q.explanation = fmt::format("{} successful launch call(s), none for GPU or large instances.{}", launch_calls_,
                                  profile_.loaded && !profile_.regions.empty()
                                      ? ""
                                      : " New regions were judged against the first 20% of the logs; a profile "
                                        "with expected regions would sharpen this.");
    }
    out.push_back(std::move(q));
  }
}

}  // namespace

std::unique_ptr<Analyzer> make_infrastructure(const AnalyzerConfig& config) {
  return std::make_unique<InfrastructureAnalyzer>(config);
}

}  // namespace aiir
