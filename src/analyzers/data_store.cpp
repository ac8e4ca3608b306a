// SPDX-License-Identifier: Apache-2.0
// The Data-store analyzer (methodology element "Data store changes"): writes
// to the S3 buckets behind knowledge bases (learned from CreateDataSource /
// UpdateDataSource or the profile) as possible poisoning, worse when an
// ingestion job follows; knowledge-base, data-source, agent, action-group,
// alias, prompt and flow changes per principal; Retrieve / RetrieveAndGenerate /
// InvokeAgent by unexpected principals.
#include <aiir/profile.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <map>
#include <set>
#include <string>
#include <unordered_map>

#include "analyzers/ai_principals.h"
#include "analyzers/factories.h"
#include "event/normalize.h"

namespace aiir {
namespace {

namespace dom = simdjson::dom;

constexpr std::size_t kMaxBuckets = 10'000;      // S3 buckets tracked
constexpr std::size_t kMaxWriters = 64;          // writers per bucket
constexpr std::size_t kMaxPrincipals = 20'000;
constexpr std::size_t kMaxIngestions = 10'000;
using detail::kMaxListed;
constexpr std::size_t kMaxKeysKept = 10;
constexpr std::int64_t kIngestFollowMs = 7LL * 24 * 3'600'000;




std::string iso(std::int64_t ms) {
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

/// Sorted, comma-separated (order-independent output), capped.
std::string join(std::vector<std::string> v, std::size_t cap = 400) {
  std::sort(v.begin(), v.end());
  std::string s;
  for (const auto& x : v) {
    if (s.size() > cap) {
      s += ", ...";
      break;
    }
    s += (s.empty() ? "" : ", ") + x;
  }
  return s;
}

std::string_view str(dom::element e) noexcept {
  std::string_view s;
  if (e.get_string().get(s) != simdjson::SUCCESS) return {};
  return s;
}

std::string_view str_path(dom::element e, std::initializer_list<std::string_view> path) noexcept {
  dom::element cur = e;
  for (std::string_view k : path) {
    dom::element next;
    if (!cur.is_object() || cur.at_key(k).get(next) != simdjson::SUCCESS) return {};
    cur = next;
  }
  return str(cur);
}

bool is_s3_write(std::string_view a) noexcept {
  static constexpr std::array<std::string_view, 8> kNames = {"PutObject",    "CopyObject",      "DeleteObject",
                                                             "DeleteObjects", "PutObjectAcl",   "RestoreObject",
                                                             "CompleteMultipartUpload", "UploadPartCopy"};
  return detail::is_one_of(a, kNames);
}

/// Knowledge-base, data-source, agent, action-group, alias, prompt and flow changes.
bool is_kb_agent_change(std::string_view a) noexcept {
  static constexpr std::array<std::string_view, 44> kNames = {
      "CreateKnowledgeBase", "UpdateKnowledgeBase", "DeleteKnowledgeBase", "CreateDataSource", "UpdateDataSource",
      "DeleteDataSource", "StartIngestionJob", "StopIngestionJob", "IngestKnowledgeBaseDocuments",
      "DeleteKnowledgeBaseDocuments", "AssociateAgentKnowledgeBase", "DisassociateAgentKnowledgeBase",
      "UpdateAgentKnowledgeBase", "CreateAgent", "UpdateAgent", "DeleteAgent", "PrepareAgent",
      "CreateAgentActionGroup", "UpdateAgentActionGroup", "DeleteAgentActionGroup", "CreateAgentAlias",
      "UpdateAgentAlias", "DeleteAgentAlias", "DeleteAgentVersion", "AssociateAgentCollaborator",
      "DisassociateAgentCollaborator", "UpdateAgentCollaborator", "CreatePrompt", "UpdatePrompt", "DeletePrompt",
      "CreatePromptVersion", "CreateFlow", "UpdateFlow", "DeleteFlow", "PrepareFlow", "CreateFlowVersion",
      "DeleteFlowVersion", "CreateFlowAlias", "UpdateFlowAlias", "DeleteFlowAlias", "CreateModelCustomizationJob",
      "CreateModelImportJob", "CreateEvaluationJob", "CreateCustomModel"};
  return detail::is_one_of(a, kNames);
}

/// Amazon Q Business: plugins (actions the assistant takes), data sources,
/// indexes, retrievers and documents.
bool is_qbusiness_store_change(std::string_view a) noexcept {
  static constexpr std::array<std::string_view, 16> kNames = {
      "CreatePlugin", "UpdatePlugin", "DeletePlugin", "CreateDataSource", "UpdateDataSource", "DeleteDataSource",
      "StartDataSourceSyncJob", "StopDataSourceSyncJob", "BatchPutDocument", "BatchDeleteDocument", "CreateIndex",
      "UpdateIndex", "DeleteIndex", "CreateRetriever", "UpdateRetriever", "DeleteRetriever"};
  return detail::is_one_of(a, kNames);
}

bool is_retrieval(std::string_view a) noexcept {
  using detail::same_text;
  return same_text(a, "Retrieve") || same_text(a, "RetrieveAndGenerate") || same_text(a, "RetrieveAndGenerateStream") ||
         same_text(a, "InvokeAgent") || same_text(a, "InvokeInlineAgent") || same_text(a, "InvokeFlow");
}

/// A bucket name from "arn:aws:s3:::bucket[/prefix]" or "s3://bucket/..." or a bare name.
std::string bucket_of(std::string_view s) {
  if (s.substr(0, 13) == "arn:aws:s3:::") s.remove_prefix(13);
  else if (s.substr(0, 5) == "arn:a") {
    std::size_t p = s.find(":::");
    if (p != std::string_view::npos) s.remove_prefix(p + 3);
  } else if (s.substr(0, 5) == "s3://") {
    s.remove_prefix(5);
  }
  std::size_t slash = s.find('/');
  return std::string(slash == std::string_view::npos ? s : s.substr(0, slash));
}

/// One (principal, source IP) writing to one bucket.
struct Writer {
  std::string principal, ip, key, account, region;
  std::vector<std::string> uas;
  std::uint64_t count = 0;
  std::int64_t first = 0, last = 0;
  std::vector<std::string> objects;   // first few object keys
  std::map<std::string, std::uint64_t> actions;
  Finding ev;                         // evidence holder
};

struct BucketWrites {
  std::map<std::pair<std::string, std::string>, Writer> writers;
  std::uint64_t dropped = 0;
};

struct KbSource {
  std::string bucket, kb_id, ds_id;
  std::vector<std::string> prefixes;
  Evidence ev;
};

struct Ingestion {
  std::string kb_id, ds_id, principal, ip;
  Evidence ev;
};

/// A model customization job and the S3 data it trains and validates on.
struct TrainingJob {
  std::string principal, key, ip, account, region;
  std::vector<std::string> uris;
  Evidence ev;
};

/// The 12-digit numbers in a bucket name ("ml-datasets-444455556666"): names
/// often carry their owner's account id.
std::vector<std::string_view> account_ids_in(std::string_view name) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < name.size()) {
    if (name[i] < '0' || name[i] > '9') {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < name.size() && name[j] >= '0' && name[j] <= '9') ++j;
    if (j - i == 12) out.push_back(name.substr(i, 12));
    i = j;
  }
  return out;
}

struct PrincipalAcc {
  std::string arn, account, key;
  Finding ev;
  std::map<std::string, std::uint64_t> actions;
  std::vector<std::string> resources;
  std::int64_t first = 0;
  bool has_first = false;
};

class DataStoreAnalyzer final : public Analyzer {
 public:
  explicit DataStoreAnalyzer(const AnalyzerConfig& config)
      : profile_(config.profile), baseline_until_(config.baseline_until_ms) {
    if (baseline_until_ == 0 && profile_ != nullptr) baseline_until_ = profile_->baseline_until_ms;
  }

  void on_event(const EventView& e, FindingSink& out) override;
  void finish(FindingSink& out) override;
  void answer(const Coverage& coverage, std::vector<QuestionAnswer>& out) const override;

 private:
  std::int64_t cutoff() const noexcept {
    if (baseline_until_ != 0) return baseline_until_;
    return have_time_ ? min_ms_ + (max_ms_ - min_ms_) / 5 : 0;
  }
  bool profile_kb_bucket(std::string_view bucket) const;
  bool app_principal(std::string_view arn) const;
  void learn_data_source(const EventView& e);
  void on_s3_write(const EventView& e);
  void on_principal(std::map<std::string, PrincipalAcc>& m, const EventView& e, std::string_view resource);
  void emit_writes(FindingSink& out);
  void emit_changes(FindingSink& out);
  void emit_retrievals(FindingSink& out);
  void on_training_job(const EventView& e);
  void emit_training(FindingSink& out);

  const Profile* profile_;
  std::int64_t baseline_until_;
  bool have_time_ = false;
  std::int64_t min_ms_ = 0, max_ms_ = 0;

  std::unordered_map<std::string, BucketWrites, detail::TextHash, std::equal_to<>> writes_;  // by bucket
  /// Recent S3 writes: (bucket, writer); null: look it up.
  static constexpr int kWriterSlotBits = 5;
  std::array<std::pair<std::string, Writer*>, std::size_t{1} << kWriterSlotBits> writer_slots_{};
  std::vector<KbSource> sources_;
  std::vector<Ingestion> ingestions_;
  std::map<std::string, PrincipalAcc> changes_, retrievals_;
  std::uint64_t s3_writes_seen_ = 0, retrievals_seen_ = 0, changes_seen_ = 0, dropped_ = 0;
  std::set<std::string> kb_buckets_;  // known at finish
  std::vector<std::string> baseline_writers_, expected_changes_;  // the designed patterns, for the answer
  std::set<std::string> fired_;
  std::vector<TrainingJob> training_;
  std::set<std::string, std::less<>> accounts_;  // recipient and caller accounts in the logs (capped)
  /// Searched before adding: emplace builds a node (an allocation) even for
  /// an account already there, and events alternate between a few accounts.
  void add_account(std::string_view account) {
    if (accounts_.size() < 1000 && accounts_.find(account) == accounts_.end()) accounts_.emplace(account);
  }
  std::string last_account_, last_actor_account_;
};

bool DataStoreAnalyzer::profile_kb_bucket(std::string_view bucket) const {
  if (profile_ == nullptr || !profile_->loaded) return false;
  for (const std::string& b : profile_->kb_buckets) {
    std::string name = bucket_of(b);
    if (wildcard_match(name, bucket)) return true;
  }
  return false;
}

bool DataStoreAnalyzer::app_principal(std::string_view arn) const { return detail::is_app_principal(*profile_, arn); }

void DataStoreAnalyzer::learn_data_source(const EventView& e) {
  if (e.outcome == Outcome::kFailure || sources_.size() >= kMaxIngestions) return;
  dom::element rp;
  if (e.request_parameters().get(rp) != simdjson::SUCCESS || !rp.is_object()) return;
  dom::element s3;
  if (rp["dataSourceConfiguration"]["s3Configuration"].get(s3) != simdjson::SUCCESS || !s3.is_object()) return;
  KbSource src;
  src.bucket = bucket_of(str_path(s3, {"bucketArn"}));
  if (src.bucket.empty()) return;
  src.kb_id = std::string(str_path(rp, {"knowledgeBaseId"}));
  src.ds_id = std::string(str_path(rp, {"dataSourceId"}));
  if (src.ds_id.empty()) src.ds_id = std::string(str_path(e.raw, {"responseElements", "dataSource", "dataSourceId"}));
  if (src.kb_id.empty()) src.kb_id = std::string(str_path(e.raw, {"responseElements", "dataSource", "knowledgeBaseId"}));
  dom::array prefixes;
  if (s3["inclusionPrefixes"].get_array().get(prefixes) == simdjson::SUCCESS) {
    for (dom::element p : prefixes) detail::add_listed(src.prefixes, str(p), 10);
  }
  src.ev = Evidence::from(e);
  sources_.push_back(std::move(src));
}

void DataStoreAnalyzer::on_s3_write(const EventView& e) {
  dom::element rp;
  if (e.request_parameters().get(rp) != simdjson::SUCCESS || !rp.is_object()) return;
  std::string_view bucket = str_path(rp, {"bucketName"});
  if (bucket.empty()) return;
  ++s3_writes_seen_;
  // Writes mostly repeat a few writers (principal, address) and buckets,
  // interleaved: recent ones sit in slots by the principal's and the bucket's
  // text_slot() (a principal writes to several buckets in turn), reused
  // without building keys and searching (map nodes do not move).
  auto& [last_bucket, last_writer] =
      writer_slots_[detail::text_slot(e.actor_arn, kWriterSlotBits) ^ detail::text_slot(bucket, kWriterSlotBits)];
  if (last_writer == nullptr || !detail::same_text(bucket, last_bucket) ||
      !detail::same_text(e.actor_arn, last_writer->principal) || !detail::same_text(e.source_ip, last_writer->ip)) {
    last_writer = nullptr;
    auto it = writes_.find(bucket);
    if (it == writes_.end()) {
      if (writes_.size() >= kMaxBuckets) {
        ++dropped_;
        return;
      }
      it = writes_.emplace(std::string(bucket), BucketWrites{}).first;
    }
    BucketWrites& bw = it->second;
    auto key = std::make_pair(std::string(e.actor_arn), std::string(e.source_ip));
    auto wit = bw.writers.find(key);
    if (wit == bw.writers.end()) {
      if (bw.writers.size() >= kMaxWriters) {
        ++bw.dropped;
        return;
      }
      wit = bw.writers.emplace(key, Writer{}).first;
      Writer& w = wit->second;
      w.principal = key.first;
      w.ip = key.second;
      w.account = std::string(e.account);
      w.region = std::string(e.region);
      w.first = w.last = e.time_ms;
    }
    last_bucket.assign(bucket);
    last_writer = &wit->second;
  }
  Writer& w = *last_writer;
  ++w.count;
  w.first = std::min(w.first, e.time_ms);
  w.last = std::max(w.last, e.time_ms);
  if (w.key.empty()) w.key = std::string(e.access_key_id);
  detail::add_listed(w.uas, e.user_agent, 5);
  std::string_view object = str_path(rp, {"key"});
  if (!object.empty()) detail::add_listed(w.objects, object, kMaxKeysKept);
  if (w.actions.size() < 16) ++w.actions[std::string(e.action)];
  w.ev.add(e);
}

void DataStoreAnalyzer::on_principal(std::map<std::string, PrincipalAcc>& m, const EventView& e,
                                     std::string_view resource) {
  std::string id = detail::principal_identity(e.actor_arn);
  auto it = m.find(id);
  if (it == m.end()) {
    if (m.size() >= kMaxPrincipals) {
      ++dropped_;
      return;
    }
    it = m.emplace(id, PrincipalAcc{}).first;
    it->second.arn = id;
    it->second.account = std::string(e.account);
  }
  PrincipalAcc& p = it->second;
  if (p.key.empty()) p.key = std::string(e.access_key_id);
  if (!p.has_first || e.time_ms < p.first) p.first = e.time_ms;
  p.has_first = true;
  p.ev.add(e);
  detail::add_listed(p.ev.source_ips, e.source_ip);
  detail::add_listed(p.ev.user_agents, e.user_agent);
  if (p.actions.size() < 64) ++p.actions[std::string(e.action)];
  detail::add_listed(p.resources, resource, 10);
}

void DataStoreAnalyzer::on_training_job(const EventView& e) {
  if (e.outcome == Outcome::kFailure || training_.size() >= kMaxIngestions) return;
  TrainingJob j;
  for (std::string_view uri : {str_path(e.raw, {"requestParameters", "trainingDataConfig", "s3Uri"}),
                               str_path(e.raw, {"requestParameters", "validationDataConfig", "s3Uri"})})
    if (!uri.empty()) j.uris.emplace_back(uri.substr(0, 1024));
  dom::array validators;
  if (e.request_parameters()["validationDataConfig"]["validators"].get_array().get(validators) == simdjson::SUCCESS)
    for (dom::element v : validators)
      if (std::string_view uri = str_path(v, {"s3Uri"}); !uri.empty() && j.uris.size() < 8)
        j.uris.emplace_back(uri.substr(0, 1024));
  if (j.uris.empty()) return;
  j.principal = std::string(e.actor_arn);
  j.key = std::string(e.access_key_id);
  j.ip = std::string(e.source_ip);
  j.account = std::string(e.account);
  j.region = std::string(e.region);
  j.ev = Evidence::from(e);
  training_.push_back(std::move(j));
}

void DataStoreAnalyzer::on_event(const EventView& e, FindingSink& /*out*/) {
  if (e.kind != EventKind::kCloudTrail) return;
  // The accounts of these logs, for buckets named after another one.
  if (!detail::same_text(e.account, last_account_)) {
    last_account_.assign(e.account);
    add_account(e.account);
  }
  if (!detail::same_text(e.actor_account, last_actor_account_)) {
    last_actor_account_.assign(e.actor_account);
    add_account(e.actor_account);
  }
  if (!have_time_) {
    min_ms_ = max_ms_ = e.time_ms;
    have_time_ = true;
  } else {
    min_ms_ = std::min(min_ms_, e.time_ms);
    max_ms_ = std::max(max_ms_, e.time_ms);
  }
  // Every CloudTrail event: services are compared with same_text, not a memcmp call each.
  if (detail::same_text(e.service, "s3.amazonaws.com")) {
    if (e.outcome == Outcome::kSuccess && is_s3_write(e.action)) on_s3_write(e);
    return;
  }
  if (detail::same_text(e.service, "qbusiness.amazonaws.com") && is_qbusiness_store_change(e.action)) {
    ++changes_seen_;
    std::string_view res = str_path(e.raw, {"requestParameters", "applicationId"});
    on_principal(changes_, e, res);
    return;
  }
  if (!detail::same_text(e.service, "bedrock.amazonaws.com")) return;
  // Most Bedrock events are model calls: neither a change nor a retrieval.
  if (detail::is_model_call(e.action)) return;
  if (is_kb_agent_change(e.action)) {
    ++changes_seen_;
    if (e.action == "CreateModelCustomizationJob") on_training_job(e);
    if (e.action == "CreateDataSource" || e.action == "UpdateDataSource") learn_data_source(e);
    std::string_view res = str_path(e.raw, {"requestParameters", "knowledgeBaseId"});
    if (res.empty()) res = str_path(e.raw, {"requestParameters", "agentId"});
    if (res.empty()) res = str_path(e.raw, {"requestParameters", "flowIdentifier"});
    if (res.empty()) res = str_path(e.raw, {"requestParameters", "name"});
    if (e.action == "StartIngestionJob" && e.outcome == Outcome::kSuccess && ingestions_.size() < kMaxIngestions) {
      ingestions_.push_back({std::string(str_path(e.raw, {"requestParameters", "knowledgeBaseId"})),
                             std::string(str_path(e.raw, {"requestParameters", "dataSourceId"})),
                             std::string(e.actor_arn), std::string(e.source_ip), Evidence::from(e)});
    }
    on_principal(changes_, e, res);
  } else if (is_retrieval(e.action)) {
    ++retrievals_seen_;
    std::string_view res = str_path(e.raw, {"requestParameters", "knowledgeBaseId"});
    if (res.empty()) res = str_path(e.raw, {"requestParameters", "agentId"});
    if (res.empty() && !e.resources.empty()) res = e.resources.front().arn;
    on_principal(retrievals_, e, res);
  }
}

void DataStoreAnalyzer::emit_writes(FindingSink& out) {
  // Which buckets back a knowledge base, and through which KB / data source.
  std::map<std::string, std::vector<const KbSource*>> by_bucket;
  std::sort(sources_.begin(), sources_.end(), [](const KbSource& a, const KbSource& b) { return a.ev < b.ev; });
  for (const KbSource& s : sources_) by_bucket[s.bucket].push_back(&s);
  std::sort(ingestions_.begin(), ingestions_.end(), [](const Ingestion& a, const Ingestion& b) { return a.ev < b.ev; });
  const std::int64_t cut = cutoff();

  std::vector<std::string> buckets;
  for (const auto& [b, w] : writes_) buckets.push_back(b);
  std::sort(buckets.begin(), buckets.end());
  for (const std::string& bucket : buckets) {
    const bool learned = by_bucket.count(bucket) > 0;
    if (!learned && !profile_kb_bucket(bucket)) continue;
    kb_buckets_.insert(bucket);
    const auto& srcs = by_bucket[bucket];
    std::vector<std::string> kb_ids, ds_ids, prefixes;
    for (const KbSource* s : srcs) {
      detail::add_listed(kb_ids, s->kb_id);
      detail::add_listed(ds_ids, s->ds_id);
      for (const auto& p : s->prefixes) detail::add_listed(prefixes, p);
    }
    // Principals (any IP) that wrote during the baseline.
    std::set<std::string> baseline_principals;
    for (auto& [k, w] : writes_[bucket].writers) {
      if (w.first <= cut) baseline_principals.insert(w.principal);
    }
    for (auto& [k, w] : writes_[bucket].writers) {
      // A known writer keeps writing (same principal, same IP, wrote in the baseline): low or medium.
      const bool baseline_only = w.last <= cut;
      const bool known = w.first <= cut;
      if (baseline_only) {
        // The designed pattern (who normally writes the documents): the answer lists it, no finding.
        if (baseline_writers_.size() < kMaxListed) {
          baseline_writers_.push_back(fmt::format("{} from {} to {} ({} writes)", w.principal, w.ip, bucket, w.count));
        }
        continue;
      }
      Severity sev = baseline_only ? Severity::kLow : known ? Severity::kMedium : Severity::kHigh;
      // An ingestion job of this bucket's KB (or any, when the bucket is only known from the profile) after the first write.
      const Ingestion* follow = nullptr;
      for (const Ingestion& ing : ingestions_) {
        if (ing.ev.time_ms < w.first || ing.ev.time_ms > w.last + kIngestFollowMs) continue;
        bool match = kb_ids.empty() && ds_ids.empty();
        for (const auto& id : kb_ids) match = match || id == ing.kb_id;
        for (const auto& id : ds_ids) match = match || (!id.empty() && id == ing.ds_id);
        if (match) {
          follow = &ing;
          break;
        }
      }
      Finding f = std::move(w.ev);
      f.element = Element::kDataStore;
      f.principal = w.principal;
      f.account = w.account;
      f.region = w.region;
      f.access_key_id = w.key;
      f.source_ips = {w.ip};
      f.user_agents = w.uas;
      f.count = w.count;
      bool in_prefix = prefixes.empty();
      for (const auto& o : w.objects) {
        for (const auto& p : prefixes) in_prefix = in_prefix || o.substr(0, p.size()) == p;
      }
      std::string acts;
      for (const auto& [a, n] : w.actions) acts += fmt::format("{}{} x{}", acts.empty() ? "" : ", ", a, n);
      const char* why = baseline_only ? "during the baseline period"
                        : known       ? "a principal and IP that also wrote during the baseline"
                        : baseline_principals.count(w.principal) ? "from a source IP not seen writing in the baseline"
                                                                 : "by a principal not seen writing in the baseline";
      if (follow != nullptr && sev == Severity::kHigh) {
        f.rule = "data_store.kb_poisoning_ingested";
        f.severity = Severity::kCritical;
        f.title = "Knowledge-base bucket written, then ingested";
        f.add(follow->ev);
        f.count = w.count;
        f.summary = fmt::format(
            "{} wrote to knowledge-base bucket {} ({}; objects: {}) from {} {}, and an ingestion job followed at {} "
            "(by {}): the changed documents are now in the knowledge base",
            w.principal, bucket, acts, join(w.objects), w.ip, why, iso(follow->ev.time_ms), follow->principal);
      } else {
        f.rule = "data_store.kb_bucket_write";
        f.severity = sev;
        f.title = "Write to a knowledge-base bucket (possible poisoning)";
        f.summary = fmt::format("{} wrote to knowledge-base bucket {} ({}; objects: {}) from {} {}{}", w.principal,
                                bucket, acts, join(w.objects), w.ip, why,
                                follow != nullptr ? fmt::format("; ingestion job at {}", iso(follow->ev.time_ms)) : "");
      }
      f.details = {{"bucket", bucket}, {"objects", join(w.objects)}, {"actions", acts},
                   {"first_write", iso(w.first)}, {"last_write", iso(w.last)},
                   {"bucket_known_from", learned ? "CreateDataSource/UpdateDataSource" : "profile kb_buckets"}};
      if (!kb_ids.empty()) f.details.emplace_back("knowledge_base", join(kb_ids));
      if (!ds_ids.empty()) f.details.emplace_back("data_source", join(ds_ids));
      if (!prefixes.empty()) {
        f.details.emplace_back("inclusion_prefixes", join(prefixes));
        f.details.emplace_back("objects_inside_prefixes", in_prefix ? "yes" : "no (sampled keys)");
      }
      if (follow != nullptr) {
        f.details.emplace_back("ingestion_job_time", iso(follow->ev.time_ms));
        f.details.emplace_back("ingestion_job_by", follow->principal);
      }
      f.tags = {{"T1565.001", "T1530"}, {"AML.T0020", "AML.T0070"}, {"LLM04:2025", "LLM08:2025"}};
      fired_.insert(f.rule);
      f.finalize();
      out.emit(std::move(f));
    }
  }
}

void DataStoreAnalyzer::emit_changes(FindingSink& out) {
  const std::int64_t cut = cutoff();
  const bool admins = profile_ != nullptr && profile_->loaded && !profile_->admin_principals.empty();
  for (auto& [arn, p] : changes_) {
    bool plugin = false, destructive = false;
    std::string acts;
    for (const auto& [a, n] : p.actions) {
      acts += fmt::format("{}{} x{}", acts.empty() ? "" : ", ", a, n);
      if (a.find("ActionGroup") != std::string::npos || a.find("Plugin") != std::string::npos) plugin = true;
      if (a.substr(0, 6) == "Delete") destructive = true;
    }
    bool expected = false;
    if (admins) {
      for (const auto& a : profile_->admin_principals) expected = expected || detail::profile_arn_matches(a, arn);
    } else {
      expected = p.first <= cut;
    }
    if (expected) {
      if (expected_changes_.size() < kMaxListed) expected_changes_.push_back(fmt::format("{}: {}", arn, acts));
      continue;
    }
    Finding f = std::move(p.ev);
    f.rule = "data_store.kb_agent_changes";
    f.element = Element::kDataStore;
    f.severity = (plugin || destructive) ? Severity::kMedium : Severity::kLow;
    f.title = "Knowledge-base, agent, action-group, plugin, prompt or flow changes";
    f.principal = arn;
    f.account = p.account;
    f.access_key_id = p.key;
    f.summary = fmt::format("{} changed knowledge bases, agents, plugins or flows: {}{}{}", arn, acts,
                            p.resources.empty() ? "" : " on " + join(p.resources),
                            admins ? " (not an admin principal in the profile)" : " (first such change after the baseline)");
    f.details = {{"actions", acts}, {"resources", join(p.resources)}};
    f.tags = {{"T1565.001"}, {"AML.T0020"}, {plugin ? "LLM06:2025" : "LLM04:2025"}};
    fired_.insert(f.rule);
    f.finalize();
    out.emit(std::move(f));
  }
}

void DataStoreAnalyzer::emit_retrievals(FindingSink& out) {
  const std::int64_t cut = cutoff();
  const bool by_profile = profile_ != nullptr && profile_->loaded && !profile_->app_principals.empty();
  for (auto& [arn, p] : retrievals_) {
    bool unexpected = by_profile ? !app_principal(arn) : p.first > cut;
    if (!unexpected) continue;
    std::string acts;
    std::uint64_t total = 0;
    for (const auto& [a, n] : p.actions) {
      acts += fmt::format("{}{} x{}", acts.empty() ? "" : ", ", a, n);
      total += n;
    }
    Finding f = std::move(p.ev);
    f.rule = "data_store.unexpected_retrieval";
    f.element = Element::kDataStore;
    f.severity = Severity::kMedium;
    f.title = by_profile ? "Knowledge base or agent used by a principal outside the application's roles"
                         : "Knowledge base or agent used by a principal not seen in the baseline";
    f.principal = arn;
    f.account = p.account;
    f.access_key_id = p.key;
    f.summary = fmt::format("{} called {}{} ({} calls, first {})", arn, acts,
                            p.resources.empty() ? "" : " on " + join(p.resources), total, iso(p.first));
    f.details = {{"actions", acts}, {"resources", join(p.resources)}};
    f.tags = {{"T1530"}, {"AML.T0040"}, {"LLM02:2025"}};
    fired_.insert(f.rule);
    f.finalize();
    out.emit(std::move(f));
  }
}

/// Training data from a bucket that no earlier customization job in the logs
/// used (medium), or whose name carries an account id that is neither in the
/// logs nor in the profile (high): a poisoned or outside training set.
void DataStoreAnalyzer::emit_training(FindingSink& out) {
  std::sort(training_.begin(), training_.end(), [](const TrainingJob& a, const TrainingJob& b) { return a.ev < b.ev; });
  std::set<std::string> used;
  for (std::size_t i = 0; i < training_.size(); ++i) {
    const TrainingJob& j = training_[i];
    std::vector<std::string> fresh, outside, foreign_ids;
    for (const std::string& uri : j.uris) {
      const std::string bucket = bucket_of(uri);
      bool foreign = false;
      for (std::string_view id : account_ids_in(bucket)) {
        const bool in_profile = profile_ != nullptr && std::find(profile_->accounts.begin(), profile_->accounts.end(),
                                                                 id) != profile_->accounts.end();
        if (accounts_.find(id) == accounts_.end() && !in_profile) {
          foreign = true;
          detail::add_listed(foreign_ids, id, 5);
        }
      }
      if (foreign) detail::add_listed(outside, uri, 5);
      else if (i > 0 && used.count(bucket) == 0) detail::add_listed(fresh, uri, 5);
    }
    for (const std::string& uri : j.uris) used.insert(bucket_of(uri));
    if (outside.empty() && fresh.empty()) continue;
    Finding f;
    f.rule = "data_store.training_data_new_source";
    f.title = outside.empty() ? "Model trained on data from a new source" : "Model trained on another account's data";
    f.severity = outside.empty() ? Severity::kMedium : Severity::kHigh;
    f.principal = j.principal;
    f.access_key_id = j.key;
    f.account = j.account;
    f.region = j.region;
    if (!j.ip.empty()) f.source_ips.push_back(j.ip);
    f.add(j.ev);
    f.first_seen_ms = f.last_seen_ms = j.ev.time_ms;
    f.count = 1;
    f.summary = outside.empty()
                    ? fmt::format("{} started a model customization job on {}, a bucket no earlier job in these logs "
                                  "trained on: check who owns it and what it holds (training-data poisoning)",
                                  j.principal, join(fresh))
                    : fmt::format("{} started a model customization job on {}, in a bucket named for account {}, "
                                  "which is neither in these logs nor in the profile: a training set from outside "
                                  "(poisoning, a backdoored custom model)",
                                  j.principal, join(outside), join(foreign_ids));
    f.details.emplace_back("training_data", join(outside.empty() ? fresh : outside));
    if (!foreign_ids.empty()) f.details.emplace_back("outside_accounts", join(foreign_ids));
    f.tags.attack = {"T1565.001"};
    f.tags.atlas = {"AML.T0020"};
    f.tags.owasp_llm = {"LLM04:2025"};
    fired_.insert(f.rule);
    out.emit(std::move(f));
  }
}

void DataStoreAnalyzer::finish(FindingSink& out) {
  emit_writes(out);
  emit_changes(out);
  emit_retrievals(out);
  emit_training(out);
}

void DataStoreAnalyzer::answer(const Coverage& cov, std::vector<QuestionAnswer>& out) const {
  QuestionAnswer a;
  a.id = "data_store.accessed_or_tampered";
  a.question = "Were your data stores, knowledge bases, agents, plugins, or training data accessed or tampered with?";
  a.rules = {"data_store.*"};
  std::string buckets;
  for (const auto& b : kb_buckets_) buckets += (buckets.empty() ? "" : ", ") + b;
  std::string s3 = cov.s3_data_events > 0
                       ? fmt::format("{} S3 data events were present ({} object writes seen).", cov.s3_data_events,
                                     s3_writes_seen_)
                       : std::string("No S3 data events were present: object writes (PutObject, DeleteObject) to "
                                     "knowledge-base buckets are only visible when the trail records S3 data "
                                     "events, so poisoning of the documents cannot be seen.");
  std::string rag = cov.bedrock_data_events > 0
                        ? ""
                        : " No Bedrock data events (Retrieve, RetrieveAndGenerate, InvokeAgent) were present; they "
                          "need advanced event selectors.";
  std::string kb = buckets.empty()
                       ? " No knowledge-base bucket is known (no CreateDataSource/UpdateDataSource in the logs and "
                         "no kb_buckets in a profile); a profile naming them would sharpen this."
                       : " Knowledge-base buckets with writes: " + buckets + ".";
  if (!baseline_writers_.empty()) kb += " Writers seen only during the baseline: " + join(baseline_writers_) + ".";
  if (!expected_changes_.empty()) {
    kb += fmt::format(" Expected knowledge-base/agent changes ({}): {}.",
                      profile_ != nullptr && profile_->loaded && !profile_->admin_principals.empty()
                          ? "by admin principals"
                          : "by principals active in the baseline",
                      join(expected_changes_));
  }
  if (cov.cloudtrail_events == 0) {
    a.answer = Answer::kCannotTell;
    a.explanation = "No CloudTrail was read; knowledge-base, agent and S3 activity is only visible there.";
  } else if (!fired_.empty()) {
    a.answer = Answer::kYes;
    a.explanation = s3 + kb + rag;
  } else if (cov.s3_data_events > 0 && cov.bedrock_data_events > 0) {
    a.answer = Answer::kNo;
    a.explanation = s3 + kb;
  } else {
    a.answer = Answer::kNotFound;
    a.explanation = fmt::format("{} knowledge-base/agent changes seen, none flagged. ", changes_seen_) + s3 + rag + kb;
  }
  out.push_back(std::move(a));
}

}  // namespace

std::unique_ptr<Analyzer> make_data_store(const AnalyzerConfig& config) {
  return std::make_unique<DataStoreAnalyzer>(config);
}

}  // namespace aiir
