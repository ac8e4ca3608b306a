// SPDX-License-Identifier: Apache-2.0
// `aiir scan`: the pipeline feeding the seven analyzers and the Sigma rules,
// then the report. Analyzers and rules run on the consumer thread in input
// order, so the report is identical for any --threads.
#include <aiir/error.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <tuple>

#include <fmt/format.h>

#include "analyzers/ai_principals.h"
#include "analyzers/pricing.h"
#include "app/commands.h"
#include "app/output.h"
#include "core/paths.h"
#include "scan/aggregate.h"
#include "scan/content_stage.h"
#include "scan/report.h"
#include "sigma/engine.h"
#include "report/redact.h"
#include "report/stats_writer.h"
#include "scan/manifest.h"
#include "scan/outputs.h"
#include "util/sha256.h"
#include "util/time.h"
#include "verify/verify.h"

namespace aiir {
namespace {

bool is_data_event(const EventView& ev) {
  return ev.event_category == "Data" || ev.management == Tri::kFalse;
}

/// Levenshtein distance, for "did you mean" on analyzer ids.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

const AnalyzerInfo& find_analyzer(std::string_view id) {
  std::string_view best;
  std::size_t best_d = 99;
  for (const AnalyzerInfo& info : analyzer_table()) {
    if (info.id == id || to_string(info.element) == id) return info;
    std::size_t d = edit_distance(id, info.id);
    if (d < best_d) best_d = d, best = info.id;
  }
  throw Error(fmt::format("unknown analyzer '{}'{}; `aiir analyzers` lists them", id,
                          best_d <= 3 ? fmt::format(" (did you mean '{}'?)", best) : std::string()));
}

Severity severity_arg(const std::string& name, const char* flag) {
  Severity s;
  if (!parse_severity(name, s))
    throw Error(fmt::format("{}: '{}' is not a severity (info, low, medium, high, critical)", flag, name));
  return s;
}

/// What the workers leave for the consumer with each batch.
struct ScanBatch final : BatchExtra {
  std::unique_ptr<ContentBatch> content;   ///< content stage results (events[k].content)
  std::unique_ptr<sigma::Matcher> matcher;
  ContentVirtualFields fields;
  std::vector<std::uint32_t> offsets;      ///< events[k] matched matches[offsets[k] .. offsets[k + 1])
  std::vector<std::uint32_t> matches;      ///< rule indexes
};

struct Active {
  const AnalyzerInfo* info;
  std::unique_ptr<Analyzer> analyzer;
  std::string error;
};

class ScanSink final : public EventSink {
 public:
  ScanSink(std::vector<Active>& analyzers, sigma::Engine* engine, ScopeTracker& scope, detail::AiPrincipals& ai,
           Coverage& coverage, FindingList& findings, FindingSink& rule_findings)
      : analyzers_(analyzers), engine_(engine), scope_(scope), ai_(ai), coverage_(coverage), findings_(findings),
        rule_findings_(rule_findings) {}

  // ---- worker side: the content stage and rule evaluation, per batch ----
  void set_content(const ContentShared* content) { content_ = content; }
  void set_rules(const sigma::RuleSet* rules) { rules_ = rules; }
  std::unique_ptr<BatchExtra> make_extra() override {
    if (content_ == nullptr && rules_ == nullptr) return nullptr;
    auto extra = std::make_unique<ScanBatch>();
    if (content_ != nullptr) extra->content = std::make_unique<ContentBatch>(*content_);
    if (rules_ != nullptr) extra->matcher = std::make_unique<sigma::Matcher>(*rules_);
    return extra;
  }
  void prepare(DecodedBatch& batch, BatchExtra* extra, std::size_t begin, std::size_t end) override {
    if (extra == nullptr) return;
    auto& b = *static_cast<ScanBatch*>(extra);
    if (b.content) b.content->prepare(batch, begin, end);
    if (!b.matcher) return;
    // Which single-event rules match each event; the consumer applies them in
    // input order (findings, folding, correlations), so the result does not
    // depend on the threads.
    if (begin == 0) {
      b.offsets.assign(batch.events.size() + 1, 0);
      b.matches.clear();
    }
    for (std::size_t k = begin; k < end; ++k) {
      const EventView& ev = batch.events[k];
      b.offsets[k] = static_cast<std::uint32_t>(b.matches.size());
      b.fields.reset(ev);
      b.matcher->match(ev, b.matches, ev.content != nullptr ? &b.fields : nullptr);
    }
    b.offsets[end] = static_cast<std::uint32_t>(b.matches.size());
  }
  // ---- end worker side ----

  void consume(const EventView& ev, std::size_t index, BatchExtra* extra) override {
    update_coverage(ev);
    if (ev.kind != EventKind::kInsight) scope_.on_event(ev);  // AnalyzerConfig::scope
    ai_.learn(ev);                                            // AnalyzerConfig::ai
    pending_.push_back({&ev, index, extra});
    if (pending_.size() == kChunk) run_pending();
  }
  void file_done(const DecodedBatch& /*batch*/, BatchExtra* /*extra*/) override { run_pending(); }

 private:
  /// Events of the batch being consumed that the analyzers have not seen yet.
  struct Pending {
    const EventView* event;
    std::size_t index;
    BatchExtra* extra;
  };
  // Each analyzer takes a run of events in turn (in input order), rather than
  // every analyzer each event: its state stays in the caches over the run and
  // the run's records (a few hundred KB) stay too. Analyzers keep state of
  // their own only (what they ask AiPrincipals per event comes from the
  // profile), so the order across analyzers changes no result. The batch, and
  // so each EventView and its content, lives until file_done.
  static constexpr std::size_t kChunk = 64;

  void run_pending() {
    for (Active& a : analyzers_) {
      for (const Pending& p : pending_) {
        if (!a.analyzer) break;
        try {
          a.analyzer->on_event(*p.event, findings_);
        } catch (const std::exception& e) {
          // An analyzer bug must not end the run: disable it and say so in the report.
          a.error = fmt::format("disabled after an error on {}:{}: {}", p.event->file, p.event->where.record, e.what());
          a.analyzer.reset();
        }
      }
    }
    if (engine_ != nullptr)
      for (const Pending& p : pending_) apply_rules(*p.event, p.index, p.extra);
    pending_.clear();
  }

  void apply_rules(const EventView& ev, std::size_t index, BatchExtra* extra) {
    fields_.reset(ev);  // prompt_text, response_text, system_text, guardrail_action (content_stage.h)
    const sigma::VirtualFields* fields = ev.content != nullptr ? &fields_ : nullptr;
    auto* b = static_cast<ScanBatch*>(extra);
    if (b != nullptr && b->matcher && index + 1 < b->offsets.size()) {
      const std::span<const std::uint32_t> all(b->matches);
      engine_->on_matched(ev, all.subspan(b->offsets[index], b->offsets[index + 1] - b->offsets[index]),
                          rule_findings_, fields);
    } else {
      engine_->on_event(ev, rule_findings_, fields);
    }
  }

  void update_coverage(const EventView& ev) {
    Coverage& c = coverage_;
    switch (ev.kind) {
      case EventKind::kCloudTrail: ++c.cloudtrail_events; break;
      case EventKind::kInsight: ++c.insight_events; break;
      case EventKind::kInvocation: {
        ++c.invocation_records;
        simdjson::dom::element body;
        if (ev.raw["input"]["inputBodyJson"].get(body) == simdjson::SUCCESS) {
          ++c.invocation_with_text;
        } else if (ev.raw["input"]["inputBodyS3Path"].get(body) == simdjson::SUCCESS ||
                   ev.raw["output"]["outputBodyS3Path"].get(body) == simdjson::SUCCESS) {
          // Offloaded: text only when the content stage found the object in the export.
          if (ev.content != nullptr && ev.content->body_refs_read > 0) ++c.invocation_with_text;
          else ++c.invocation_bodies_unread;
        }
        break;
      }
      case EventKind::kKnowledgeBaseLog: break;
    }
    if (ev.kind == EventKind::kCloudTrail && is_data_event(ev)) {
      ++c.data_events;
      if (ev.service == "s3.amazonaws.com") ++c.s3_data_events;
      else if (ev.service == "bedrock.amazonaws.com") ++c.bedrock_data_events;
      else if (ev.service == "lambda.amazonaws.com") ++c.lambda_data_events;
    }
    if (c.first_ms == 0 || ev.time_ms < c.first_ms) c.first_ms = ev.time_ms;
    if (ev.time_ms > c.last_ms) c.last_ms = ev.time_ms;
    // Accounts and regions come from the read's time ranges after the run.
  }

  std::vector<Active>& analyzers_;
  sigma::Engine* engine_;
  ScopeTracker& scope_;
  detail::AiPrincipals& ai_;
  Coverage& coverage_;
  FindingList& findings_;
  FindingSink& rule_findings_;
  const ContentShared* content_ = nullptr;
  const sigma::RuleSet* rules_ = nullptr;
  ContentVirtualFields fields_;
  std::vector<Pending> pending_;
};

bool rule_matches(std::string_view pattern, std::string_view rule) {
  if (!pattern.empty() && pattern.back() == '*') return rule.substr(0, pattern.size() - 1) == pattern.substr(0, pattern.size() - 1);
  return pattern == rule;
}

/// `scan --verify`: verify_cloudtrail over the scan's paths (stdin has no digests).
VerifyResult verify_integrity(const std::vector<std::string>& paths) {
  std::vector<std::string> files;
  for (const std::string& p : paths)
    if (p != "-") files.push_back(p);
  if (files.empty()) throw Error("--verify needs files or folders, not stdin");
  return verify_cloudtrail(files, VerifyOptions{});
}

void add_coverage_notes(Report& r) {
  const Coverage& c = r.coverage;
  if (c.invocation_records == 0)
    r.notes.push_back(
        "No Bedrock model-invocation logs were found. Invocation logging is off by default, so prompts, "
        "responses and files sent to models cannot be seen; only CloudTrail metadata (who, which model, when, "
        "from where) is available.");
  else if (c.invocation_with_text == 0)
    r.notes.push_back("Invocation logs were found, but none carries a request body: text delivery was off, so "
                      "prompts and responses cannot be seen.");
  if (c.cloudtrail_events > 0 && c.data_events == 0)
    r.notes.push_back("No CloudTrail data events were found (S3 object access, Lambda Invoke, Bedrock agent and "
                      "knowledge-base calls). Object reads and writes, agent and retrieval activity cannot be seen.");
  else if (c.cloudtrail_events > 0 && c.s3_data_events == 0)
    r.notes.push_back("No S3 data events were found: object reads and writes (and so knowledge-base poisoning or "
                      "data theft through S3) cannot be seen.");
  if (c.cloudtrail_events == 0)
    r.notes.push_back("No CloudTrail records were found: who called which API, from where, cannot be seen.");
  const std::uint64_t flat = r.read.files_by_shape[static_cast<std::size_t>(FileShape::kCsvColumns)] +
                             r.read.files_by_shape[static_cast<std::size_t>(FileShape::kLakeResults)];
  if (flat > 0)
    r.notes.push_back(fmt::format(
        "{} file(s) held CloudTrail as a table (CloudTrail Lake results, the console's Event history CSV) and were "
        "read in flat mode: their records carry only the columns the export selected, so detections that need "
        "other fields (source address, user agent, request parameters, identity details) could not fire on them.",
        flat));
  if (!r.profile_loaded)
    r.notes.push_back("No environment profile was given (--profile): expected principals, regions, models, "
                      "networks and private resources were inferred from the earliest part of the logs. A profile "
                      "sharpens the Access, Private data and Agency answers (docs/profile.md).");
  if (r.read.files_failed > 0)
    r.notes.push_back(fmt::format("{} input file(s) could not be read completely; see the reading summary.",
                                  r.read.files_failed));
}

}  // namespace

int run_list_analyzers() {
  std::string out;
  for (const AnalyzerInfo& a : analyzer_table())
    out += fmt::format("{:<16} {:<15} {}\n", a.id, to_string(a.element), a.description);
  std::fputs(out.c_str(), stdout);
  return kExitOk;
}

int run_scan(const ScanOptions& options) {
  Severity min_severity = severity_arg(options.min_severity, "--min-severity");
  std::optional<Severity> fail_on;
  if (!options.fail_on.empty()) fail_on = severity_arg(options.fail_on, "--fail-on");

  bool time_pinned = false;
  const std::int64_t started_ms = run_time_ms(&time_pinned);
  if (!options.output_dir.empty()) prepare_output_dir(options.output_dir, options.force, options.read.paths);

  Report report;
  report.tool_version = AIIR_VERSION;
  report.min_severity = min_severity;

  Profile profile;
  if (!options.profile.empty()) {
    profile = load_profile(options.profile);
    report.profile_loaded = true;
    report.profile_path = options.profile;
  }
  ScopeTracker scope;
  detail::AiPrincipals ai(profile);
  AnalyzerConfig config;
  config.profile = &profile;
  config.scope = &scope;
  config.ai = &ai;
  if (!options.baseline_until.empty() && !parse_rfc3339(options.baseline_until, config.baseline_until_ms))
    throw Error(fmt::format("--baseline-until: '{}' is not an RFC 3339 time", options.baseline_until));
  if (config.baseline_until_ms == 0) config.baseline_until_ms = profile.baseline_until_ms;

  if (!options.prices.empty()) {
    std::string shipped = PriceTable::default_path();
    PriceTable table = shipped.empty() ? PriceTable() : PriceTable::load(shipped);
    table.merge_over(PriceTable::load(options.prices));
    set_active_prices(std::make_shared<const PriceTable>(std::move(table)));
  }

  // Analyzers: the table, filtered by --analyzers / --skip.
  std::set<const AnalyzerInfo*> chosen;
  if (options.analyzers.empty()) {
    for (const AnalyzerInfo& a : analyzer_table()) chosen.insert(&a);
  } else {
    for (const std::string& id : options.analyzers) chosen.insert(&find_analyzer(id));
  }
  for (const std::string& id : options.skip) chosen.erase(&find_analyzer(id));
  std::vector<Active> active;
  for (const AnalyzerInfo& a : analyzer_table()) {
    if (chosen.count(&a)) active.push_back({&a, a.make(config), {}});
    else report.analyzers.push_back({std::string(a.id), false, "skipped (--skip / --analyzers)"});
  }

  // Rules: the shipped pack plus --rules folders.
  std::vector<std::string> rule_paths;
  if (!options.no_default_rules) {
    std::string pack = find_rules_path("sigma");
    if (pack.empty()) throw Error("the shipped rule pack (rules/sigma) was not found; set AIIR_RULES_DIR");
    rule_paths.push_back(pack);
  }
  for (const std::string& r : options.rules) rule_paths.push_back(r);
  sigma::LoadOptions load_options;
  load_options.profile = &profile;
  load_options.tests = false;  // a scan does not run the embedded cases
  sigma::RuleSet ruleset = sigma::RuleSet::load(rule_paths, load_options);
  for (const sigma::RuleInfo& info : ruleset.rules()) {
    if (info.status == sigma::RuleStatus::kLoaded) ++report.rules.files_loaded;
    else if (info.status == sigma::RuleStatus::kError) ++report.rules.errors;
    else ++report.rules.unsupported;
  }
  for (const sigma::Issue& issue : ruleset.issues())
    if (!issue.error) ++report.rules.warnings;
  report.rules.sources = rule_paths;
  std::unique_ptr<sigma::Engine> engine;
  if (ruleset.loaded_count() > 0) engine = std::make_unique<sigma::Engine>(ruleset);

  PreparedRead prepared = prepare_read(options.read);
  prepared.pipeline.want_sha256 = !options.output_dir.empty();
  FindingList findings;
  AggregatingSink rule_findings(findings);
  ScanSink sink(active, engine.get(), scope, ai, report.coverage, findings, rule_findings);
  // The content stage runs unless the invocation-content analyzer is skipped.
  std::unique_ptr<ContentShared> content;
  for (const Active& a : active) {
    if (a.info->id == "invocation-content") {
      ContentStageOptions content_options;
      content_options.redact = !options.no_redact;
      content_options.offload_roots = options.read.paths;
      content = std::make_unique<ContentShared>(content_options);
    }
  }
  sink.set_content(content.get());
  if (engine) sink.set_rules(&ruleset);
  report.read = run_pipeline(prepared.inputs.files, prepared.pipeline, sink);
  merge_discovery(prepared, report.read);
  // The read keeps each consumed event's account and region (its time ranges).
  for (const auto& [account, by_region] : report.read.time_ranges) {
    if (!account.empty() && report.coverage.accounts.size() < 1000) report.coverage.accounts.insert(account);
    for (const auto& [region, range] : by_region)
      if (!region.empty() && report.coverage.regions.size() < 100) report.coverage.regions.insert(region);
  }
  report.coverage.profile_loaded = report.profile_loaded;
  if (options.verify) report.integrity = verify_integrity(options.read.paths);

  ai.resolve();  // before the analyzers that read it finish
  for (Active& a : active) {
    if (!a.analyzer) continue;
    try {
      a.analyzer->finish(findings);
    } catch (const std::exception& e) {
      a.error = fmt::format("disabled after an error in finish(): {}", e.what());
    }
  }
  if (engine) engine->finish(rule_findings);
  rule_findings.flush();

  // Findings: finalize, id, filter, order.
  std::vector<Finding> all = std::move(findings.findings);
  for (Finding& f : all) f.finalize();
  std::vector<std::pair<Finding, std::string>> kept;
  for (Finding& f : all) {
    if (f.severity < min_severity) {
      ++report.findings_below_min;
      continue;
    }
    std::string id = f.id();
    kept.emplace_back(std::move(f), std::move(id));
  }
  std::sort(kept.begin(), kept.end(), [](const auto& a, const auto& b) {
    return std::make_tuple(a.first.element, -static_cast<int>(a.first.severity), a.first.first_seen_ms,
                           std::cref(a.first.rule), std::cref(a.second)) <
           std::make_tuple(b.first.element, -static_cast<int>(b.first.severity), b.first.first_seen_ms,
                           std::cref(b.first.rule), std::cref(b.second));
  });
  // Two findings can hash alike (same rule and first evidence); keep ids unique and stable.
  std::map<std::string, int> seen_ids;
  for (auto& [f, id] : kept) {
    int n = seen_ids[id]++;
    report.finding_ids.push_back(n == 0 ? id : fmt::format("{}-{}", id, n));
    report.findings.push_back(std::move(f));
  }

  // Answers, with the findings that back them.
  for (Active& a : active) {
    std::vector<QuestionAnswer> answers;
    if (a.analyzer) a.analyzer->answer(report.coverage, answers);
    for (QuestionAnswer& qa : answers) {
      QuestionRow row;
      row.element = a.info->element;
      std::vector<std::size_t> row_findings;  // their indexes in report.findings
      for (std::size_t i = 0; i < report.findings.size(); ++i) {
        const Finding& f = report.findings[i];
        // Informational findings do not make a "yes", nor those below the question's bar.
        if (f.severity < std::max(Severity::kLow, qa.min_severity)) continue;
        for (const std::string& pattern : qa.rules) {
          if (rule_matches(pattern, f.rule)) {
            row.finding_ids.push_back(report.finding_ids[i]);
            row_findings.push_back(i);
            break;
          }
        }
      }
      if (!row.finding_ids.empty() && !qa.findings_mean_yes) {
        qa.answer = Answer::kCannotTell;
        qa.explanation += fmt::format(" {} finding(s) show changes that can remove access: verify them.",
                                      row.finding_ids.size());
      } else if (!row.finding_ids.empty() && qa.answer != Answer::kYes) {
        // The analyzer's own text describes an absence (or what the logs could
        // not show), which the findings contradict: it is replaced, not extended.
        qa.answer = Answer::kYes;
        std::map<std::string_view, std::size_t> by_rule;
        for (std::size_t i : row_findings) ++by_rule[report.findings[i].rule];
        std::string rules;
        for (const auto& [rule, n] : by_rule) rules += fmt::format("{}{} x{}", rules.empty() ? "" : ", ", rule, n);
        qa.explanation = fmt::format("{} finding(s) below back a yes: {}.", row.finding_ids.size(), rules);
      }
      row.qa = std::move(qa);
      report.questions.push_back(std::move(row));
    }
    report.analyzers.push_back({std::string(a.info->id), true, a.error});
    if (const ModelUsage* usage = a.analyzer ? model_usage(*a.analyzer) : nullptr) report.model_usage = *usage;
  }
  std::stable_sort(report.analyzers.begin(), report.analyzers.end(),
                   [](const AnalyzerStatus& x, const AnalyzerStatus& y) { return x.id < y.id; });

  // Principals and keys that findings name, with their scope.
  std::map<std::pair<bool, std::string>, PrincipalRow> rows;
  for (std::size_t i = 0; i < report.findings.size(); ++i) {
    const Finding& f = report.findings[i];
    if (f.severity < Severity::kLow) continue;
    auto note = [&](bool is_key, const std::string& id) {
      if (id.empty()) return;
      const PrincipalScope* s = is_key ? scope.key(id) : scope.principal(id);
      if (s == nullptr) return;
      PrincipalRow& row = rows[{is_key, id}];
      if (row.finding_ids.empty()) {
        row.is_key = is_key;
        row.scope = *s;
        row.continues_to_end = scope.continues_to_end(*s);
      }
      row.max_severity = std::max(row.max_severity, f.severity);
      if (row.finding_ids.size() < 50) row.finding_ids.push_back(report.finding_ids[i]);
    };
    note(false, f.principal);
    note(true, f.access_key_id);
  }
  for (auto& [key, row] : rows) report.principals.push_back(std::move(row));
  std::stable_sort(report.principals.begin(), report.principals.end(), [](const PrincipalRow& a, const PrincipalRow& b) {
    return std::make_tuple(-static_cast<int>(a.max_severity), a.is_key, std::cref(a.scope.id)) <
           std::make_tuple(-static_cast<int>(b.max_severity), b.is_key, std::cref(b.scope.id));
  });

  add_coverage_notes(report);
  for (const AnalyzerStatus& a : report.analyzers)
    if (!a.error.empty() && a.enabled) report.notes.push_back(fmt::format("Analyzer {} {}", a.id, a.error));
  // Without the content stage, the access analyzer's join of key ids in prompts
  // and responses with their later use has nothing to join.
  if (!content && report.coverage.invocation_records > 0 &&
      std::any_of(active.begin(), active.end(), [](const Active& a) { return a.info->id == "access"; }))
    report.notes.push_back(
        "The invocation-content analyzer was not run, so prompts and responses were not read: access keys they "
        "carried and later uses of those keys (access.leaked_credential_used) were not checked.");
  // Caps reached: what was not followed, so that an absence is not read as a "no".
  if (scope.principals_dropped() > 0 || scope.keys_dropped() > 0)
    report.notes.push_back(fmt::format(
        "Principal and key scopes: {} call(s) of principals and {} of access keys beyond the 20,000 of each kept "
        "(the smallest ids) were not tracked: their scope rows are missing.",
        scope.principals_dropped(), scope.keys_dropped()));
  for (Active& a : active) {
    if (!a.analyzer) continue;
    std::vector<std::string> lines;
    a.analyzer->limits(lines);
    for (const std::string& line : lines) report.notes.push_back(fmt::format("Analyzer {}: {}", a.info->id, line));
  }
  if (report.rules.errors > 0)
    report.notes.push_back(fmt::format("{} rule(s) failed to load; `aiir rules lint` shows why.", report.rules.errors));
  if (report.integrity && report.integrity->counts.digests_found == 0 && !report.integrity->integrity_failed())
    report.notes.push_back("--verify found no CloudTrail digest files, so log file integrity cannot be shown. Export "
                           "the CloudTrail-Digest folder together with the logs (log file validation must be on).");
  if (report.integrity && report.integrity->integrity_failed())
    report.notes.push_back("CloudTrail integrity validation failed (--verify): some log files were modified, are "
                           "missing, or the digest chain is broken; see the coverage section.");
  report.generated_ms = run_time_ms();
  if (options.redact || options.redact_prompts) redact_report(report, {options.redact, options.redact_prompts});

  FdOutput out(1);
  if (options.output_dir.empty()) {
    std::string text;
    switch (options.format) {
      case ReportFormat::kMarkdown: text = format_report_markdown(report); break;
      case ReportFormat::kJson: text = format_report_json(report); break;
      case ReportFormat::kJsonl: text = format_findings_jsonl(report); break;
    }
    out.write(text);
    out.flush();
  } else {
    Manifest manifest;
    manifest.tool_version = report.tool_version;
    manifest.argv = options.argv;
    manifest.started_ms = started_ms;
    manifest.time_pinned = time_pinned;
    for (const std::string& path : report.rules.sources) {
      RuleSourceHash h;
      h.path = path;
      h.sha256 = rule_source_sha256(path, h.files);
      manifest.rules.push_back(std::move(h));
    }
    if (report.profile_loaded) {
      manifest.profile_path = report.profile_path;
      std::error_code ec;
      manifest.profile_sha256 = sha256_file_hex(report.profile_path, ec);
    }
    manifest.inputs = report.read.files;
    manifest.redaction = report.redaction;
    if (report.integrity) {
      const VerifyResult& v = *report.integrity;
      ManifestIntegrity& mi = manifest.integrity.emplace();
      mi.failed = v.integrity_failed();
      mi.signatures_checked = v.signatures_enabled;
      mi.files_valid = v.counts.files_valid;
      mi.files_modified = v.counts.files_modified;
      mi.files_missing = v.counts.files_missing;
      mi.files_unlisted = v.counts.files_unlisted;
      mi.digests_missing = v.counts.digests_missing;
      mi.chain_breaks = v.counts.chain_breaks;
      mi.hours_without_digest = v.counts.hours_without_digest;
      mi.signatures_failed = v.counts.signatures_failed;
    }
    manifest.finished_ms = run_time_ms();
    write_scan_outputs(options.output_dir, report, manifest);
    if (!options.read.quiet)
      std::fputs(fmt::format("aiir: wrote {}/{{{}, {}, {}, {}}}\n", terminal_safe(options.output_dir), kReportMdName,
                             kReportJsonName, kFindingsJsonlName, kManifestName)
                     .c_str(),
                 stderr);
  }

  int code = finish_read(options.read, prepared, report.read);
  if (!options.read.quiet) {
    std::fputs(fmt::format("aiir: {} finding(s){}; rules: {} loaded, {} failed, {} unsupported\n",
                           report.findings.size(),
                           report.findings_below_min ? fmt::format(" ({} below --min-severity)", report.findings_below_min)
                                                     : std::string(),
                           report.rules.files_loaded, report.rules.errors, report.rules.unsupported)
                   .c_str(),
               stderr);
  }
  if (code == kExitUsage) return code;
  if (fail_on) {
    for (const Finding& f : report.findings)
      if (f.severity >= *fail_on) return kExitFindings;
  }
  if (report.integrity && report.integrity->counts.digests_found == 0 && !report.integrity->integrity_failed())
    report.notes.push_back("--verify found no CloudTrail digest files, so log file integrity cannot be shown. Export "
                           "the CloudTrail-Digest folder together with the logs (log file validation must be on).");
  if (report.integrity && report.integrity->integrity_failed()) return kExitIntegrity;
  for (const AnalyzerStatus& a : report.analyzers)
    if (!a.error.empty() && a.enabled) return kExitPartial;
  if (out.failed()) return kExitPartial;
  return code;
}

}  // namespace aiir
