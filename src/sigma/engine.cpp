// SPDX-License-Identifier: Apache-2.0
// The Sigma engine at run time: dispatch of events to candidate rules, findings,
// and correlation rules evaluated in finish() in (time, file, record) order.
#include "sigma/engine.h"

#include <aiir/error.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <tuple>

#include <fmt/format.h>

#include "sigma/detail.h"
#include "sigma/engine_state.h"

namespace aiir::sigma {

std::string_view to_string(RuleStatus status) noexcept {
  switch (status) {
    case RuleStatus::kLoaded: return "loaded";
    case RuleStatus::kError: return "error";
    case RuleStatus::kUnsupported: return "unsupported";
  }
  return "?";
}

// ---- RuleSet

RuleSet::RuleSet() : data_(std::make_unique<detail::RuleSetData>()) {}
RuleSet::~RuleSet() = default;
RuleSet::RuleSet(RuleSet&&) noexcept = default;
RuleSet& RuleSet::operator=(RuleSet&&) noexcept = default;

namespace {

void finish_load(detail::RuleSetData& d) {
  detail::link(d);
  // Two rules with the same finding name cannot be told apart in the report.
  std::unordered_map<std::string, std::size_t> seen;
  for (std::size_t i = 0; i < d.infos.size(); ++i) {
    const RuleInfo& info = d.infos[i];
    if (info.status != RuleStatus::kLoaded || info.finding_rule.empty()) continue;
    auto [it, inserted] = seen.emplace(info.finding_rule, i);
    if (!inserted) {
      const RuleInfo& first = d.infos[it->second];
      d.issues.push_back({info.file, info.line, info.id.empty() ? info.name : info.id,
                          "rule name '" + info.finding_rule + "' is also used at " + first.file + ":" +
                              std::to_string(first.line),
                          false});
    }
  }
  std::stable_sort(d.issues.begin(), d.issues.end(), [](const Issue& a, const Issue& b) {
    return std::tie(a.file, a.line) < std::tie(b.file, b.line);
  });
}

}  // namespace

RuleSet RuleSet::load(const std::vector<std::string>& paths, const LoadOptions& options) {
  namespace fs = std::filesystem;
  RuleSet set;
  detail::RuleSetData& d = *set.data_;
  std::vector<std::string> files;
  for (const std::string& path : paths) {
    std::error_code ec;
    auto is_rule = [](const fs::path& p) {
      auto ext = p.extension().string();
      return ext == ".yml" || ext == ".yaml";
    };
    if (fs::is_directory(path, ec)) {
      std::vector<std::string> found;
      fs::recursive_directory_iterator it(path, fs::directory_options::skip_permission_denied, ec), end;
      if (ec) {
        d.issues.push_back({path, 0, "", "cannot list folder: " + ec.message(), true});
        continue;
      }
      for (; it != end; it.increment(ec)) {
        if (ec) {
          d.issues.push_back({path, 0, "", "cannot list folder: " + ec.message(), true});
          break;
        }
        if (it->is_regular_file(ec) && is_rule(it->path())) found.push_back(it->path().string());
      }
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else if (fs::is_regular_file(path, ec)) {
      files.push_back(path);
    } else {
      d.issues.push_back({path, 0, "", "no such rule file or folder", true});
    }
  }
  for (const std::string& file : files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      d.issues.push_back({file, 0, "", "cannot open rule file", true});
      continue;
    }
    std::ostringstream text;
    text << in.rdbuf();
    detail::load_text(d, text.str(), file, options);
  }
  finish_load(d);
  return set;
}

RuleSet RuleSet::from_string(std::string_view yaml, std::string_view file, const LoadOptions& options) {
  RuleSet set;
  detail::load_text(*set.data_, yaml, std::string(file), options);
  finish_load(*set.data_);
  return set;
}

const std::vector<Issue>& RuleSet::issues() const noexcept { return data_->issues; }
std::vector<RuleInfo> RuleSet::rules() const { return data_->infos; }

std::size_t RuleSet::loaded_count() const noexcept {
  return static_cast<std::size_t>(std::count_if(data_->infos.begin(), data_->infos.end(), [](const RuleInfo& i) {
    return i.status == RuleStatus::kLoaded;
  }));
}

std::size_t RuleSet::error_count() const noexcept {
  return static_cast<std::size_t>(std::count_if(data_->issues.begin(), data_->issues.end(),
                                                [](const Issue& i) { return i.error; }));
}

std::vector<Issue> lint(const std::vector<std::string>& paths, const LoadOptions& options) {
  return RuleSet::load(paths, options).issues();
}

std::vector<Issue> lint(const RuleSet& rules) { return rules.issues(); }

// ---- Engine

Engine::Engine(const RuleSet& rules) : state_(std::make_unique<detail::EngineState>(rules.data(), false)) {}
Engine::~Engine() = default;

void Engine::on_event(const EventView& event, FindingSink& out, const VirtualFields* fields) {
  state_->on_event(event, out, fields);
}

void Engine::on_matched(const EventView& event, std::span<const std::uint32_t> matched, FindingSink& out,
                        const VirtualFields* fields) {
  state_->apply(event, matched, out, fields);
}

void Engine::finish(FindingSink& out) { state_->finish(out); }

Matcher::Matcher(const RuleSet& rules) : state_(std::make_unique<detail::EngineState>(rules.data(), false)) {}
Matcher::~Matcher() = default;

void Matcher::match(const EventView& event, std::vector<std::uint32_t>& out, const VirtualFields* fields) {
  state_->match(event, fields, out);
}

const EngineStats& Engine::stats() const noexcept { return state_->stats(); }

bool rule_matches(const RuleSet& rules, std::string_view rule, const EventView& event,
                  const VirtualFields* fields) {
  const detail::RuleSetData& d = rules.data();
  for (std::size_t i = 0; i < d.infos.size(); ++i) {
    const RuleInfo& info = d.infos[i];
    if (info.finding_rule != rule && info.id != rule && info.name != rule) continue;
    if (d.info_rule[i] < 0 || info.status != RuleStatus::kLoaded) return false;
    const detail::Rule& r = d.rules[static_cast<std::size_t>(d.info_rule[i])];
    if (!detail::applies(r.source, event.kind)) return false;
    detail::MatchContext ctx(d);
    ctx.reset(&event, fields);
    return detail::eval_rule(r, ctx);
  }
  return false;
}

// ---- EngineState

namespace detail {

/// The identifiers a responder acts on (which guardrail, bucket and key,
/// user, role, model, who a share goes to, where training data comes from...),
/// copied from the request into the finding's details. Lists are joined into
/// `text`, which the views then point into.
void resource_details(std::vector<FindingSink::DetailView>& out, std::deque<std::string>& text,
                      const EventView& event) {
  static constexpr std::string_view kNames[] = {
      "guardrailIdentifier", "modelId",        "bucketName",     "key",             "userName",
      "roleName",            "policyArn",      "knowledgeBaseId", "dataSourceId",   "agentId",
      "functionName",        "name",           "groupId",        "secretId",        "trailName",
      "detectorId",          "instanceType",   "customModelName", "jobName",        "provisionedModelName",
      "sourceModelArn",      "targetModelName", "baseModelIdentifier", "actionGroupName", "resourceShareArn",
      "roleArn",             "snapshotId",     "imageId",        "dBSnapshotIdentifier", "dBClusterSnapshotIdentifier"};
  // Lists of identifiers (AWS RAM shares): the first few, joined.
  static constexpr std::string_view kLists[] = {"principals", "resourceArns", "valuesToAdd"};
  // Nested identifiers: (label, JSON pointer under requestParameters).
  static constexpr std::pair<std::string_view, std::string_view> kNested[] = {
      {"trainingDataConfig.s3Uri", "/trainingDataConfig/s3Uri"},
      {"validationDataConfig.s3Uri", "/validationDataConfig/validators/0/s3Uri"},
      {"outputDataConfig.s3Uri", "/outputDataConfig/s3Uri"},
      {"actionGroupExecutor.lambda", "/actionGroupExecutor/lambda"},
      {"loggingConfig.s3Config.bucketName", "/loggingConfig/s3Config/bucketName"},
      {"loggingConfig.cloudWatchConfig.logGroupName", "/loggingConfig/cloudWatchConfig/logGroupName"}};
  simdjson::dom::object params;
  if (event.request_parameters().get_object().get(params) != simdjson::SUCCESS) return;
  // One pass over the request's fields (a handful) rather than a lookup per
  // name; every match of a rule comes here. Output stays in kNames order.
  std::array<std::string_view, std::size(kNames)> found{};
  std::array<simdjson::dom::array, std::size(kLists)> lists{};
  std::array<bool, std::size(kLists)> has_list{};
  bool any = false, nested = false;
  for (auto field : params) {
    std::string_view value;
    if (field.value.is_object()) nested = true;
    for (std::size_t i = 0; i < std::size(kLists); ++i)
      if (field.key == kLists[i] && field.value.get_array().get(lists[i]) == simdjson::SUCCESS) has_list[i] = any = true;
    if (field.value.get_string().get(value) != simdjson::SUCCESS || value.empty()) continue;
    for (std::size_t i = 0; i < std::size(kNames); ++i) {
      if (found[i].empty() && field.key == kNames[i]) {
        found[i] = value;
        any = true;
        break;
      }
    }
  }
  if (!any && !nested && event.action != "UpdateGuardrail") return;
  for (std::size_t i = 0; i < std::size(kNames); ++i)
    if (!found[i].empty()) out.emplace_back(kNames[i], found[i].substr(0, 512));
  for (std::size_t i = 0; i < std::size(kLists); ++i) {
    if (!has_list[i]) continue;
    std::string joined;
    std::size_t n = 0, total = lists[i].size();
    for (simdjson::dom::element item : lists[i]) {
      std::string_view v;
      if (item.get_string().get(v) != simdjson::SUCCESS || v.empty()) continue;
      if (n == 5) {
        joined += fmt::format(", ... ({} in all)", total);
        break;
      }
      if (n++ > 0) joined += ", ";
      joined.append(v.substr(0, 256));
    }
    if (joined.empty()) continue;
    text.push_back(std::move(joined));
    out.emplace_back(kLists[i], text.back());
  }
  // EBS snapshot and AMI shares: who they now go to (accounts, or "all").
  for (std::string_view perm : {"createVolumePermission", "launchPermission"}) {
    simdjson::dom::array items;
    if (params[perm]["add"]["items"].get_array().get(items) != simdjson::SUCCESS) continue;
    std::string joined;
    std::size_t n = 0;
    for (simdjson::dom::element item : items) {
      std::string_view v;
      if (item["userId"].get_string().get(v) != simdjson::SUCCESS && item["group"].get_string().get(v) != simdjson::SUCCESS)
        continue;
      if (v.empty()) continue;
      if (n == 5) {
        joined += fmt::format(", ... ({} in all)", items.size());
        break;
      }
      if (n++ > 0) joined += ", ";
      joined.append(v.substr(0, 64));
    }
    if (joined.empty()) continue;
    text.push_back(std::move(joined));
    out.emplace_back("shared_with", text.back());
  }
  // UpdateGuardrail replaces the draft's configuration: name the policies the
  // request leaves out (a weakening drops topics or grounding without a Delete).
  if (event.action == "UpdateGuardrail") {
    static constexpr std::string_view kPolicies[] = {"contentPolicyConfig", "topicPolicyConfig", "wordPolicyConfig",
                                                     "sensitiveInformationPolicyConfig",
                                                     "contextualGroundingPolicyConfig",
                                                     "automatedReasoningPolicyConfig"};
    std::string absent;
    for (std::string_view policy : kPolicies) {
      simdjson::dom::element v;
      if (params[policy].get(v) == simdjson::SUCCESS && !v.is_null()) continue;
      if (!absent.empty()) absent += ", ";
      absent += policy;
    }
    if (!absent.empty()) {
      text.push_back(std::move(absent));
      out.emplace_back("policies_not_in_update", text.back());
    }
  }
  if (!nested) return;
  for (const auto& [label, pointer] : kNested) {
    std::string_view v;
    if (params.at_pointer(pointer).get_string().get(v) == simdjson::SUCCESS && !v.empty())
      out.emplace_back(label, v.substr(0, 512));
  }
}

Finding make_finding(const Meta& meta, const EventView& event, std::span<const FindingSink::DetailView> details) {
  Finding f;
  f.rule = meta.finding_rule;
  f.element = meta.element;
  f.severity = meta.severity;
  f.title = meta.title;
  f.summary = meta.title;
  if (!event.action.empty()) {
    f.summary += ": ";
    f.summary += event.action;
  }
  if (!event.actor_arn.empty()) {
    f.summary += " by ";
    f.summary += event.actor_arn;
  }
  f.account = std::string(event.account);
  f.region = std::string(event.region);
  f.principal = std::string(event.actor_arn);
  f.access_key_id = std::string(event.access_key_id);
  if (!event.source_ip.empty()) f.source_ips.emplace_back(event.source_ip);
  if (!event.user_agent.empty()) f.user_agents.emplace_back(event.user_agent);
  f.tags = meta.tags;
  if (!meta.id.empty()) f.details.emplace_back("sigma_id", meta.id);
  for (const auto& [k, v] : details) f.details.emplace_back(k, v);
  f.add(event);
  return f;
}

EngineState::EngineState(const RuleSetData& data, bool force_emit)
    : d_(data), force_emit_(force_emit), corr_(data.corrs.size()), ctx_(data) {
}

void EngineState::candidates(const EventView& event, const Dispatch& dispatch,
                             const std::vector<std::uint32_t>*& by_name,
                             const std::vector<std::uint32_t>*& by_source,
                             const std::vector<std::uint32_t>*& by_identity_type) {
  by_name = nullptr;
  by_source = nullptr;
  by_identity_type = nullptr;
  // The normalized eventName / eventSource / operation / userIdentity.type are
  // the record's values (found in its one pass) unless the record repeats those keys or is
  // an Insight (whose normalized names come from insightDetails): then the
  // first value, as the rules' own lookups see it. Only then is the record
  // read here (by now mostly out of cache); the normalizer took it as an object.
  const bool normalized = !event.repeated_keys && event.kind != EventKind::kInsight;
  auto raw = [&](std::string_view key, std::string_view member, std::string_view& value) {
    simdjson::dom::element el;
    if (event.raw.get_object().at_key(key).get(el) != simdjson::SUCCESS) return false;
    if (!member.empty() && el.get_object().at_key(member).get(el) != simdjson::SUCCESS) return false;
    return el.get_string().get(value) == simdjson::SUCCESS;
  };
  auto lookup = [&](std::string_view key, std::string_view member, std::string_view value,
                    const Index& index) -> const std::vector<std::uint32_t>* {
    if (index.empty()) return nullptr;
    // An empty normalized value may be a non-string: the raw lookup decides.
    if ((!normalized || value.empty()) && !raw(key, member, value)) return nullptr;
    return index.find(value);
  };
  const bool invocation = event.kind == EventKind::kInvocation;
  by_name = lookup(invocation ? "operation" : "eventName", {}, event.action, dispatch.by_name);
  if (invocation) return;
  by_source = lookup("eventSource", {}, event.service, dispatch.by_source);
  by_identity_type = lookup("userIdentity", "type", event.actor_type, dispatch.by_identity_type);
}

void EngineState::on_event(const EventView& event, FindingSink& out, const VirtualFields* fields) {
  matched_.clear();
  match(event, fields, matched_);
  apply(event, matched_, out, fields);
}

void EngineState::match(const EventView& event, const VirtualFields* fields, std::vector<std::uint32_t>& out) {
  ++stats_.events;
  const Dispatch* dispatch = nullptr;
  switch (event.kind) {
    case EventKind::kCloudTrail:
    case EventKind::kInsight: dispatch = &d_.cloudtrail; break;
    case EventKind::kInvocation: dispatch = &d_.invocation; break;
    default: return;
  }
  ctx_.reset(&event, fields);
  const std::vector<std::uint32_t>* by_name = nullptr;
  const std::vector<std::uint32_t>* by_source = nullptr;
  const std::vector<std::uint32_t>* by_identity_type = nullptr;
  candidates(event, *dispatch, by_name, by_source, by_identity_type);
  auto run = [&](const std::vector<std::uint32_t>& list) {
    for (std::uint32_t ri : list) {
      ++stats_.candidates;
      if (eval_rule(d_.rules[ri], ctx_)) out.push_back(ri);
    }
  };
  if (by_name != nullptr) run(*by_name);
  if (by_source != nullptr) run(*by_source);
  if (by_identity_type != nullptr) run(*by_identity_type);
  run(dispatch->always);
  ctx_.reset(nullptr, nullptr);
}

void EngineState::apply(const EventView& event, std::span<const std::uint32_t> matched_rules, FindingSink& out,
                        const VirtualFields* fields) {
  if (matched_rules.empty()) return;
  ctx_.reset(&event, fields);  // correlations read their group-by fields
  for (std::uint32_t ri : matched_rules) matched(d_.rules[ri], event, out);
  ctx_.reset(nullptr, nullptr);
}

void EngineState::matched(const Rule& rule, const EventView& event, FindingSink& out) {
  ++stats_.matches;
  if (rule.generate || force_emit_) {
    details_.clear();
    detail_text_.clear();
    resource_details(details_, detail_text_, event);
    if (!out.fold(rule.meta.finding_rule, event, details_)) out.emit(make_finding(rule.meta, event, details_));
  }
  for (const Rule::Feed& feed : rule.feeds) {
    const Correlation& c = d_.corrs[feed.corr];
    Hit hit;
    hit.time = event.time_ms;
    hit.file = event.where.file;
    hit.record = event.where.record;
    hit.position = feed.position;
    const auto& paths = c.group_paths[feed.position];
    std::vector<std::string> values;
    values.reserve(paths.size());
    for (const FieldPath& p : paths) values.push_back(first_value(p, ctx_));
    if (c.type == CorrType::kValueCount) hit.value = first_value(c.value_field, ctx_);
    hit.evidence.push_back(Evidence::from(event));
    hit.principal = std::string(event.actor_arn);
    hit.access_key = std::string(event.access_key_id);
    hit.account = std::string(event.account);
    hit.region = std::string(event.region);
    hit.source_ip = std::string(event.source_ip);
    hit.user_agent = std::string(event.user_agent);
    add_hit(feed.corr, std::move(values), std::move(hit));
  }
}

void EngineState::add_hit(std::uint32_t corr, std::vector<std::string> values, Hit hit) {
  CorrState& state = corr_[corr];
  std::string key;
  for (const auto& v : values) {
    key += v;
    key += '\x1f';
  }
  auto it = state.groups.find(key);
  if (it == state.groups.end()) {
    if (state.groups.size() >= kMaxGroups) {
      ++state.dropped;
      ++stats_.correlation_dropped;
      return;
    }
    it = state.groups.emplace(std::move(key), Group{}).first;
    it->second.values = std::move(values);
  }
  Group& g = it->second;
  if (g.hits.size() >= kMaxHitsPerGroup || state.total >= kMaxHitsPerCorrelation) {
    ++g.dropped;
    ++state.dropped;
    ++stats_.correlation_dropped;
    return;
  }
  ++state.total;
  ++stats_.correlation_hits;
  g.hits.push_back(std::move(hit));
}

namespace {

std::string_view type_name(CorrType t) {
  switch (t) {
    case CorrType::kEventCount: return "event_count";
    case CorrType::kValueCount: return "value_count";
    case CorrType::kTemporal: return "temporal";
    case CorrType::kTemporalOrdered: return "temporal_ordered";
  }
  return "?";
}

std::string span_text(std::int64_t ms) {
  if (ms % 86'400'000 == 0) return std::to_string(ms / 86'400'000) + "d";
  if (ms % 3'600'000 == 0) return std::to_string(ms / 3'600'000) + "h";
  if (ms % 60'000 == 0) return std::to_string(ms / 60'000) + "m";
  return std::to_string(ms / 1000) + "s";
}

}  // namespace

void EngineState::finish(FindingSink& out) {
  std::vector<std::size_t> order(d_.corrs.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return d_.corrs[a].depth < d_.corrs[b].depth; });
  for (std::size_t ci : order) {
    const Correlation& c = d_.corrs[ci];
    if (d_.infos[c.meta.info].status != RuleStatus::kLoaded || c.refs.empty()) continue;
    CorrState& state = corr_[ci];
    // Groups in key order so the findings come out in the same order every run.
    std::vector<std::pair<const std::string*, Group*>> groups;
    groups.reserve(state.groups.size());
    for (auto& [key, g] : state.groups) groups.emplace_back(&key, &g);
    std::sort(groups.begin(), groups.end(), [](const auto& a, const auto& b) { return *a.first < *b.first; });
    for (auto& [key, group] : groups) evaluate(ci, *group, out);
    state.groups.clear();
  }
}

void EngineState::evaluate(std::size_t ci, Group& g, FindingSink& out) {
  const Correlation& c = d_.corrs[ci];
  auto& hits = g.hits;
  std::sort(hits.begin(), hits.end(), [](const Hit& a, const Hit& b) {
    return std::tie(a.time, a.file, a.record, a.position) < std::tie(b.time, b.file, b.record, b.position);
  });
  const std::size_t n = hits.size();
  const std::int64_t span = c.timespan_ms;
  if (c.type == CorrType::kTemporalOrdered) {
    const std::size_t need = c.refs.size();
    std::size_t i = 0;
    while (i < n) {
      if (hits[i].position != 0) {
        ++i;
        continue;
      }
      std::size_t next = 1, last = i;
      for (std::size_t j = i + 1; j < n && next < need && hits[j].time - hits[i].time <= span; ++j) {
        if (hits[j].position == next) {
          ++next;
          last = j;
        }
      }
      if (next == need) {
        emit(ci, g, i, last + 1, static_cast<std::int64_t>(need), out);
        i = last + 1;
      } else {
        ++i;
      }
    }
    return;
  }
  std::unordered_map<std::string_view, std::uint32_t> values;
  std::vector<std::uint32_t> per_rule(c.refs.size(), 0);
  std::size_t distinct_rules = 0;
  auto add = [&](const Hit& h) {
    if (c.type == CorrType::kValueCount && !h.value.empty()) ++values[h.value];
    if (per_rule[h.position]++ == 0) ++distinct_rules;
  };
  auto remove = [&](const Hit& h) {
    if (c.type == CorrType::kValueCount && !h.value.empty()) {
      auto it = values.find(h.value);
      if (--it->second == 0) values.erase(it);
    }
    if (--per_rule[h.position] == 0) --distinct_rules;
  };
  // Windows start at each hit and span `timespan`; only maximal windows (ones
  // that reach a hit the previous window did not) are tested, so that a
  // suffix of a window already tested cannot satisfy an lt/lte condition.
  std::size_t i = 0, j = 0, checked = 0;
  while (i < n) {
    while (j < n && hits[j].time - hits[i].time <= span) add(hits[j++]);
    if (j <= checked) {
      remove(hits[i]);
      ++i;
      continue;
    }
    checked = j;
    std::int64_t count = 0;
    bool ok = false;
    switch (c.type) {
      case CorrType::kEventCount:
        count = static_cast<std::int64_t>(j - i);
        ok = c.condition.test(count);
        break;
      case CorrType::kValueCount:
        count = static_cast<std::int64_t>(values.size());
        ok = c.condition.test(count);
        break;
      default:
        count = static_cast<std::int64_t>(distinct_rules);
        ok = c.condition.any() ? c.condition.test(count) : distinct_rules == c.refs.size();
        break;
    }
    if (ok) {
      emit(ci, g, i, j, count, out);
      values.clear();
      std::fill(per_rule.begin(), per_rule.end(), 0);
      distinct_rules = 0;
      i = j;
      continue;
    }
    remove(hits[i]);
    ++i;
  }
}

void EngineState::emit(std::size_t ci, const Group& g, std::size_t begin, std::size_t end, std::int64_t count,
                       FindingSink& out) {
  const Correlation& c = d_.corrs[ci];
  const Hit& first = g.hits[begin];
  auto same = [&](std::string Hit::*field) {
    for (std::size_t k = begin; k < end; ++k) {
      if (g.hits[k].*field != first.*field) return std::string();
    }
    return first.*field;
  };
  if (c.generate || force_emit_) {
    Finding f;
    f.rule = c.meta.finding_rule;
    f.element = c.meta.element;
    f.severity = c.meta.severity;
    f.title = c.meta.title;
    f.principal = same(&Hit::principal);
    f.access_key_id = same(&Hit::access_key);
    f.account = same(&Hit::account);
    f.region = same(&Hit::region);
    f.tags = c.meta.tags;
    for (std::size_t k = begin; k < end; ++k) {
      const Hit& h = g.hits[k];
      for (const Evidence& e : h.evidence) f.add(e);
      if (!h.source_ip.empty()) f.source_ips.push_back(h.source_ip);
      if (!h.user_agent.empty()) f.user_agents.push_back(h.user_agent);
    }
    std::string group_text;
    for (std::size_t k = 0; k < c.group_by.size() && k < g.values.size(); ++k) {
      if (!group_text.empty()) group_text += ", ";
      group_text += c.group_by[k] + "=" + g.values[k];
    }
    f.summary = c.meta.title + ": " + std::string(type_name(c.type)) + " " + std::to_string(count) + " within " +
                span_text(c.timespan_ms) + (group_text.empty() ? "" : " for " + group_text);
    if (!c.meta.id.empty()) f.details.emplace_back("sigma_id", c.meta.id);
    f.details.emplace_back("correlation", std::string(type_name(c.type)));
    f.details.emplace_back(c.type == CorrType::kValueCount ? "distinct_values" : "count", std::to_string(count));
    for (std::size_t k = 0; k < c.group_by.size() && k < g.values.size(); ++k) {
      f.details.emplace_back("group." + c.group_by[k], g.values[k]);
    }
    if (g.dropped > 0) f.details.emplace_back("hits_dropped", std::to_string(g.dropped));
    out.emit(std::move(f));
  }
  // Chained correlations: this match is one hit of the outer correlation.
  for (const auto& [outer, position] : c.feeds) {
    const Correlation& o = d_.corrs[outer];
    Hit hit;
    const Hit& last = g.hits[end - 1];
    hit.time = last.time;
    hit.file = last.file;
    hit.record = last.record;
    hit.position = position;
    for (std::size_t k = begin; k < end && hit.evidence.size() < Finding::kMaxEvidence; ++k) {
      for (const Evidence& e : g.hits[k].evidence) hit.evidence.push_back(e);
    }
    hit.principal = same(&Hit::principal);
    hit.access_key = same(&Hit::access_key);
    hit.account = same(&Hit::account);
    hit.region = same(&Hit::region);
    hit.source_ip = same(&Hit::source_ip);
    hit.user_agent = same(&Hit::user_agent);
    std::vector<std::string> values;
    for (const FieldPath& p : o.group_paths[position]) {
      auto it = std::find(c.group_by.begin(), c.group_by.end(), p.name);
      std::size_t k = static_cast<std::size_t>(it - c.group_by.begin());
      values.push_back(k < g.values.size() ? g.values[k] : std::string());
    }
    add_hit(outer, std::move(values), std::move(hit));
  }
}

}  // namespace detail
}  // namespace aiir::sigma
