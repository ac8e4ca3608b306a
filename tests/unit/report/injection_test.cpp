// SPDX-License-Identifier: Apache-2.0
// Injection safety of every writer: a record and a report whose every string
// carries terminal, Markdown, HTML, CSV-formula, bidi and invalid-UTF-8
// payloads, through every format; nothing may survive live.
#include <catch2/catch.hpp>
#include <string>

#include "report/event_writer.h"
#include "report/injection_safety.h"
#include "report/redact.h"
#include "report/stats_writer.h"
#include "scan/report.h"
#include "support/test_events.h"
#include "verify/verify.h"

using namespace aiir::testing;

namespace {

/// A JSON string literal that keeps invalid UTF-8 bytes raw (as a hostile
/// exporter would write them) and escapes only what JSON requires.
std::string lit(std::string_view s) {
  std::string out = "\"";
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '"') out += "\\\"";
    else if (c == '\\') out += "\\\\";
    else if (c < 0x20) out += fmt::format("\\u{:04x}", c);
    else out += ch;
  }
  return out + "\"";
}

std::string hostile_record(bool hostile_action) {
  auto p = hostile_payloads();
  std::size_t k = 0;
  auto next = [&] { return lit(p[k++ % p.size()]); };
  std::string name = hostile_action ? next() : lit("DeleteGuardrail");
  std::string source = hostile_action ? next() : lit("bedrock.amazonaws.com");
  return "{\"eventVersion\":\"1.09\",\"userIdentity\":{\"type\":" + next() + ",\"principalId\":" + next() +
         ",\"arn\":" + next() + ",\"accountId\":" + next() + ",\"accessKeyId\":" + next() + ",\"userName\":" +
         next() + ",\"sessionContext\":{\"sessionIssuer\":{\"arn\":" + next() + "}},\"invokedBy\":" + next() +
         ",\"inScopeOf\":{\"issuerType\":" + next() + ",\"credentialsIssuedTo\":" + next() + "}" +
         "},\"eventTime\":\"2026-03-11T10:00:00Z\",\"eventSource\":" + source + ",\"eventName\":" + name +
         ",\"awsRegion\":" + next() + ",\"sourceIPAddress\":" + next() + ",\"userAgent\":" + next() +
         ",\"requestParameters\":{\"guardrailIdentifier\":" + next() + "},\"errorMessage\":" + next() +
         ",\"requestID\":" + next() + ",\"eventID\":" + next() +
         ",\"readOnly\":false,\"eventType\":" + next() + ",\"eventCategory\":" + next() +
         ",\"managementEvent\":true,\"recipientAccountId\":" + next() + ",\"resources\":[{\"ARN\":" + next() +
         ",\"type\":" + next() + "}]}";
}

aiir::Report hostile_report() {
  auto p = hostile_payloads();
  std::size_t k = 0;
  auto next = [&] { return p[k++ % p.size()]; };
  aiir::Report r;
  r.tool_version = "0.0.0";
  r.generated_ms = 1773230400000LL;
  r.profile_loaded = true;
  r.profile_path = next();
  aiir::Finding f;
  f.rule = next();
  f.element = aiir::Element::kAiChanges;
  f.severity = aiir::Severity::kHigh;
  f.title = next();
  f.summary = next();
  f.first_seen_ms = f.last_seen_ms = 1773223200000LL;
  f.count = 1;
  f.account = next();
  f.region = next();
  f.principal = next();
  f.access_key_id = next();
  f.source_ips = {next(), next()};
  f.user_agents = {next()};
  aiir::Evidence e;
  e.file = next();
  e.event_id = next();
  e.request_id = next();
  e.action = next();
  f.evidence.push_back(e);
  f.evidence_total = 1;
  f.tags.attack = {next()};
  f.tags.atlas = {next()};
  f.tags.owasp_llm = {next()};
  f.details = {{next(), next()}, {"prompt", next()}, {next(), next()}};
  r.findings.push_back(f);
  r.finding_ids.push_back("0123456789abcdef");
  aiir::QuestionRow q;
  q.element = aiir::Element::kAiChanges;
  q.qa.id = "ai_changes.q";
  q.qa.question = next();
  q.qa.answer = aiir::Answer::kYes;
  q.qa.explanation = next();
  q.finding_ids = {"0123456789abcdef"};
  r.questions.push_back(q);
  aiir::PrincipalRow pr;
  pr.max_severity = aiir::Severity::kHigh;
  pr.scope.id = next();
  pr.scope.first_ms = pr.scope.last_ms = 1773223200000LL;
  for (aiir::CountedSet* set : {&pr.scope.source_ips, &pr.scope.user_agents, &pr.scope.regions, &pr.scope.services,
                                &pr.scope.actions, &pr.scope.error_codes, &pr.scope.accounts, &pr.scope.keys,
                                &pr.scope.principals})
    set->add(next(), 10);
  pr.finding_ids = {"0123456789abcdef"};
  r.principals.push_back(pr);
  aiir::ModelUsage u;
  aiir::ModelUsageRow row;
  row.principal = next();
  row.account = next();
  row.model = next();
  row.region = next();
  row.calls = 1;
  row.source_ips = {next()};
  u.rows.push_back(row);
  u.prices_as_of = next();
  u.prices_source = next();
  r.model_usage = u;
  r.analyzers.push_back({"ai_changes", true, next()});
  r.notes.push_back(next());
  r.read.warnings.push_back({aiir::WarningKind::kGzipCorrupt, next(), next()});
  r.read.skip_examples[0].push_back({next(), 3, next()});
  r.read.skipped_by_reason[0] = 1;
  r.coverage.accounts = {next()};
  r.coverage.regions = {next()};
  r.coverage.first_ms = 1773223200000LL;
  r.coverage.last_ms = 1773223200000LL;
  aiir::VerifyResult v;
  v.modified.push_back({next(), next()});
  v.missing.push_back({next(), next()});
  v.gaps.push_back({next(), next()});
  v.counts.files_modified = 1;
  r.integrity = v;
  return r;
}

}  // namespace

TEST_CASE("every event format keeps hostile record fields inert", "[injection]") {
  for (bool hostile_action : {false, true}) {
    std::string json = hostile_record(hostile_action);
    auto fx = events_from_json(json, "AWSLogs/" + hostile_payloads()[0] + "/x.json");
    REQUIRE(fx.events.size() == 1);
    const aiir::EventView& ev = fx.events[0];
    CHECK(ev.user_agent.find("\x1b") != std::string_view::npos);  // the payload really reached the event
    for (bool raw : {false, true}) {
      for (aiir::RawRedaction red : {aiir::RawRedaction{}, aiir::RawRedaction{true, true}}) {
        std::string jsonl, ts, csv = aiir::event_csv_header(raw);
        aiir::append_event_line(jsonl, ev, aiir::EventFormat::kJsonl, raw, red);
        aiir::append_event_line(ts, ev, aiir::EventFormat::kTimesketch, raw, red);
        aiir::append_event_line(csv, ev, aiir::EventFormat::kCsv, raw, red);
        check_jsonl(jsonl, "events jsonl");
        check_jsonl(ts, "events timesketch");
        check_csv(csv, raw ? 26 : 25);
        CHECK(jsonl.find("<script>") != std::string::npos);  // kept as data, JSON-escaped where needed
      }
    }
    aiir::EventRedactor redactor({true, false});
    std::string line;
    aiir::append_event_line(line, redactor.apply(ev), aiir::EventFormat::kCsv, false);
    check_csv(aiir::event_csv_header(false) + line, 25);
  }
}

TEST_CASE("report Markdown, JSON and JSONL keep every hostile string inert", "[injection]") {
  aiir::Report r = hostile_report();
  for (int redacted = 0; redacted < 2; ++redacted) {
    if (redacted) aiir::redact_report(r, {true, true});
    std::string md = aiir::format_report_markdown(r);
    check_markdown_inert(md);
    CHECK(md.find("fdp.exe") != std::string::npos);  // log text is shown, escaped, not dropped
    check_json_document(aiir::format_report_json(r), "report json");
    check_jsonl(aiir::format_findings_jsonl(r), "findings jsonl");
  }
}

TEST_CASE("reading summary, --stats and verify output keep hostile paths inert", "[injection]") {
  aiir::Report r = hostile_report();
  aiir::ReadStats s = r.read;
  s.time_ranges[hostile_payloads()[1]][hostile_payloads()[2]] = {1, 2};
  aiir::FileStats f;
  f.path = hostile_payloads()[3];
  s.files.push_back(f);
  check_no_live_bytes(aiir::format_read_summary(s), "reading summary");
  check_json_document(aiir::format_read_stats_json(s), "--stats");
  aiir::VerifyResult v = *r.integrity;
  aiir::VerifyRegion region;
  region.account = hostile_payloads()[4];
  region.region = hostile_payloads()[5];
  region.trails = {hostile_payloads()[6]};
  region.first_digest_start = hostile_payloads()[7];
  region.last_digest_end = hostile_payloads()[8];
  v.regions.push_back(region);
  std::string text, json;
  aiir::write_verify_text(v, text);
  aiir::write_verify_json(v, json);
  check_no_live_bytes(text, "verify text");
  check_json_document(json, "verify json");
}
