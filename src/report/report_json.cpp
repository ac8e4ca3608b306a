// SPDX-License-Identifier: Apache-2.0
// JSON writers of the triage report: aiir.report/1 and aiir.finding/1.
#include <map>

#include "report/json_out.h"
#include "scan/report.h"
#include "util/time.h"

namespace aiir {
namespace {

void string_array(JsonOut& j, std::string_view name, const std::vector<std::string>& values) {
  if (values.empty()) return;
  j.key(name).begin_array();
  for (const std::string& v : values) j.str(v);
  j.end_array();
}

void counted(JsonOut& j, std::string_view name, const CountedSet& set, std::size_t n) {
  if (set.values.empty()) return;
  j.key(name).begin_array();
  for (const auto& [value, count] : set.top(n)) j.begin_object().key("value").str(value).key("count").unum(count).end_object();
  j.end_array();
  if (set.overflow) j.key(std::string(name) + "_overflow").unum(set.overflow);
}

void finding_fields(JsonOut& j, const Finding& f, const std::string& id) {
  j.key("schema").str(kFindingSchema);
  j.key("id").str(id);
  j.key("rule").str(f.rule);
  j.key("element").str(to_string(f.element));
  j.key("severity").str(to_string(f.severity));
  j.field("title", f.title).field("summary", f.summary);
  if (f.count > 0) {
    j.time_field("first_seen", f.first_seen_ms);
    j.time_field("last_seen", f.last_seen_ms);
  }
  j.key("count").unum(f.count);
  j.field("account", f.account).field("region", f.region).field("principal", f.principal);
  j.field("access_key_id", f.access_key_id);
  string_array(j, "source_ips", f.source_ips);
  string_array(j, "user_agents", f.user_agents);
  if (!f.evidence.empty()) {
    j.key("evidence").begin_array();
    for (const Evidence& e : f.evidence) {
      j.begin_object();
      j.key("file").str(e.file).key("record").unum(e.record);
      j.field("event_id", e.event_id).field("request_id", e.request_id).field("action", e.action);
      j.time_field("time", e.time_ms);
      j.end_object();
    }
    j.end_array();
    j.key("evidence_total").unum(f.evidence_total);
  }
  if (!f.tags.attack.empty() || !f.tags.atlas.empty() || !f.tags.owasp_llm.empty()) {
    j.key("tags").begin_object();
    string_array(j, "attack", f.tags.attack);
    string_array(j, "atlas", f.tags.atlas);
    string_array(j, "owasp_llm", f.tags.owasp_llm);
    j.end_object();
  }
  if (!f.details.empty()) {
    // An object for jq (`.details.bucket`); repeated keys get a suffix so keys stay unique.
    j.key("details").begin_object();
    std::map<std::string, int> used;
    for (const auto& [k, v] : f.details) {
      int n = used[k]++;
      j.key_escaped(n == 0 ? k : k + "_" + std::to_string(n + 1)).str(v);
    }
    j.end_object();
  }
}

}  // namespace

void append_finding_json(std::string& out, const Finding& f, const std::string& id) {
  JsonOut j(out);
  j.begin_object();
  finding_fields(j, f, id);
  j.end_object();
}

}  // namespace aiir

namespace aiir {

std::string format_findings_jsonl(const Report& r) {
  std::string out;
  for (std::size_t i = 0; i < r.findings.size(); ++i) {
    append_finding_json(out, r.findings[i], r.finding_ids[i]);
    out += '\n';
  }
  return out;
}

std::string format_report_json(const Report& r) {
  std::string out;
  JsonOut j(out);
  j.begin_object();
  j.key("schema").str(kReportSchema);
  j.key("tool").begin_object().key("name").str("aiir").key("version").str(r.tool_version).end_object();
  j.time_field("generated_at", r.generated_ms);
  j.field("profile", r.profile_path);
  j.key("redaction").begin_object().key("redacted").boolean(r.redaction.any());
  j.key("secrets_and_pii").boolean(r.redaction.secrets).key("prompts").boolean(r.redaction.prompts).end_object();

  const ReadStats& s = r.read;
  j.key("inputs").begin_object();
  j.key("files").unum(s.files_total).key("files_failed").unum(s.files_failed);
  j.key("files_outside_window").unum(s.files_skipped_window);
  j.key("bytes_read").unum(s.bytes_read).key("bytes_inflated").unum(s.bytes_inflated);
  j.key("files_by_shape").begin_object();
  for (int i = 0; i < kFileShapeCount; ++i)
    if (s.files_by_shape[static_cast<std::size_t>(i)])
      j.key(to_string(static_cast<FileShape>(i))).unum(s.files_by_shape[static_cast<std::size_t>(i)]);
  j.end_object();
  j.key("events").unum(s.events_total());
  j.key("skipped").begin_object();
  for (int i = 0; i < kSkipReasonCount; ++i)
    if (s.skipped_by_reason[static_cast<std::size_t>(i)])
      j.key(to_string(static_cast<SkipReason>(i))).unum(s.skipped_by_reason[static_cast<std::size_t>(i)]);
  j.end_object();
  j.key("warnings").unum(s.warnings.size());
  j.end_object();

  const Coverage& c = r.coverage;
  j.key("coverage").begin_object();
  j.key("cloudtrail_events").unum(c.cloudtrail_events).key("insight_events").unum(c.insight_events);
  j.key("invocation_records").unum(c.invocation_records).key("invocation_with_text").unum(c.invocation_with_text);
  j.key("invocation_bodies_unread").unum(c.invocation_bodies_unread);
  j.key("data_events").unum(c.data_events).key("s3_data_events").unum(c.s3_data_events);
  j.key("bedrock_data_events").unum(c.bedrock_data_events).key("lambda_data_events").unum(c.lambda_data_events);
  j.key("accounts").begin_array();
  for (const std::string& a : c.accounts) j.str(a);
  j.end_array();
  j.key("regions").begin_array();
  for (const std::string& a : c.regions) j.str(a);
  j.end_array();
  j.key("notes").begin_array();
  for (const std::string& n : r.notes) j.str(n);
  j.end_array();
  if (r.integrity) {
    std::string integrity;
    write_verify_json(*r.integrity, integrity);
    j.key("integrity").raw(integrity);
  }
  j.end_object();

  if (c.last_ms != 0) {
    j.key("time_range").begin_object().time_field("first", c.first_ms).time_field("last", c.last_ms).end_object();
  }

  j.key("questions").begin_array();
  for (const QuestionRow& q : r.questions) {
    j.begin_object();
    j.key("element").str(to_string(q.element)).key("id").str(q.qa.id).key("question").str(q.qa.question);
    j.key("answer").str(to_string(q.qa.answer)).field("explanation", q.qa.explanation);
    j.key("findings").begin_array();
    for (const std::string& id : q.finding_ids) j.str(id);
    j.end_array();
    j.end_object();
  }
  j.end_array();

  j.key("findings").begin_array();
  for (std::size_t i = 0; i < r.findings.size(); ++i) {
    j.begin_object();
    finding_fields(j, r.findings[i], r.finding_ids[i]);
    j.end_object();
  }
  j.end_array();
  if (r.findings_below_min) j.key("findings_below_min_severity").unum(r.findings_below_min);

  j.key("principals").begin_array();
  for (const PrincipalRow& p : r.principals) {
    const PrincipalScope& sc = p.scope;
    j.begin_object();
    j.key(p.is_key ? "access_key_id" : "principal").str(sc.id);
    j.key("max_severity").str(to_string(p.max_severity));
    j.time_field("first_seen", sc.first_ms).time_field("last_seen", sc.last_ms);
    j.key("continues_to_end_of_logs").boolean(p.continues_to_end);
    j.key("events").unum(sc.events).key("errors").unum(sc.errors);
    counted(j, "source_ips", sc.source_ips, 50);
    counted(j, "user_agents", sc.user_agents, 20);
    counted(j, "regions", sc.regions, 50);
    counted(j, "services", sc.services, 50);
    counted(j, "actions", sc.actions, 100);
    counted(j, "error_codes", sc.error_codes, 20);
    counted(j, p.is_key ? "principals" : "access_keys", p.is_key ? sc.principals : sc.keys, 20);
    j.key("findings").begin_array();
    for (const std::string& id : p.finding_ids) j.str(id);
    j.end_array();
    j.end_object();
  }
  j.end_array();

  if (r.model_usage) {
    const ModelUsage& u = *r.model_usage;
    j.key("model_usage").begin_object();
    j.field("prices_as_of", u.prices_as_of).field("prices_source", u.prices_source);
    j.key("rows").begin_array();
    double total = 0;
    for (const ModelUsageRow& row : u.rows) {
      j.begin_object();
      j.field("principal", row.principal).field("account", row.account).field("model", row.model);
      if (!row.resolved_model.empty()) j.field("resolved_model", row.resolved_model);
      j.field("region", row.region);
      string_array(j, "inference_regions", row.inference_regions);
      j.key("calls").unum(row.calls).key("errors").unum(row.errors);
      j.key("cloudtrail_calls").unum(row.cloudtrail_calls).key("invocation_log_calls").unum(row.invocation_log_calls);
      j.key("tokens_in").num(row.tokens_in).key("tokens_out").num(row.tokens_out);
      j.key("tokens_cache_read").num(row.tokens_cache_read).key("tokens_cache_write").num(row.tokens_cache_write);
      if (row.cost_known) {
        j.key("estimated_cost_usd").dbl(row.cost_usd);
        total += row.cost_usd;
      }
      j.time_field("first_seen", row.first_ms).time_field("last_seen", row.last_ms);
      string_array(j, "source_ips", row.source_ips);
      j.end_object();
    }
    j.end_array();
    j.key("estimated_cost_usd_total").dbl(total);
    j.end_object();
  }

  j.key("analyzers").begin_array();
  for (const AnalyzerStatus& a : r.analyzers)
    j.begin_object().key("id").str(a.id).key("enabled").boolean(a.enabled).field("error", a.error).end_object();
  j.end_array();
  j.key("rules").begin_object();
  j.key("loaded").unum(r.rules.files_loaded).key("errors").unum(r.rules.errors);
  j.key("unsupported").unum(r.rules.unsupported).key("warnings").unum(r.rules.warnings);
  j.end_object();
  j.end_object();
  out += '\n';
  return out;
}

}  // namespace aiir
