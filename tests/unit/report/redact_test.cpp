// SPDX-License-Identifier: Apache-2.0
// --redact / --redact-prompts: secrets and PII masked, prompt text withheld, JSON kept valid.
#include <simdjson.h>

#include <catch2/catch.hpp>
#include <string>

#include "report/event_writer.h"
#include "report/redact.h"
#include "support/test_events.h"

namespace {

constexpr std::string_view kKey = "AKIAQWERTYUIOPASDFGH";
constexpr std::string_view kMail = "alice.liddell@example.org";

}  // namespace

TEST_CASE("redact_text masks secrets and PII and leaves other text alone", "[redact]") {
  std::size_t n = 0;
  std::string text = "key " + std::string(kKey) + " mail " + std::string(kMail) + " done";
  std::string out = aiir::redact_text(text, &n);
  CHECK(n == 2);
  CHECK(out.find(kKey) == std::string::npos);
  CHECK(out.find(kMail) == std::string::npos);
  CHECK(out.rfind("key AKIA", 0) == 0);  // mask_secret keeps a prefix and the last 4
  CHECK(out.find("\xE2\x80\xA6") != std::string::npos);
  CHECK(out.substr(out.size() - 5) == " done");
  // Near misses: ordinary ARNs, regions, actions and ids are not PII.
  for (std::string_view keep : {"arn:aws:iam::111122223333:role/BedrockAgentRole", "us-east-1",
                                "bedrock:DeleteGuardrail", "aws-cli/2.17.20 md/awscrt#0.20.11",
                                "00000153-1d2e-4c3b-9a8f-000000000153"}) {
    INFO(keep);
    CHECK(aiir::redact_text(keep, &n) == keep);
    CHECK(n == 0);
  }
}

TEST_CASE("redact_report masks every log-derived string and marks the report", "[redact]") {
  aiir::Report r;
  aiir::Finding f;
  f.rule = "ai_changes.guardrail_deleted";
  f.title = "Guardrail deleted";
  f.summary = "by " + std::string(kMail);
  f.principal = "arn:aws:sts::111122223333:assumed-role/Dev/" + std::string(kMail);
  f.access_key_id = std::string(kKey);
  f.user_agents = {"ua " + std::string(kMail)};
  f.details = {{"parameters", "secret=" + std::string(kKey)}, {"prompt_excerpt", "please summarise the memo"}};
  r.findings.push_back(f);
  r.finding_ids.push_back("abc");
  aiir::PrincipalRow p;
  p.scope.id = f.principal;
  p.scope.keys.add(kKey, 10);
  p.scope.user_agents.add("ua " + std::string(kMail), 10);
  r.principals.push_back(p);
  r.read.warnings.push_back({aiir::WarningKind::kGzipCorrupt, "logs/" + std::string(kMail) + ".gz", "bad"});

  aiir::Report prompts_only = r;
  aiir::redact_report(prompts_only, {false, true});
  CHECK(prompts_only.findings[0].details[1].second == aiir::kPromptWithheld);
  CHECK(prompts_only.findings[0].access_key_id == kKey);  // --redact-prompts alone keeps the rest

  aiir::redact_report(r, {true, false});
  CHECK(r.redaction.secrets);
  CHECK_FALSE(r.redaction.prompts);
  CHECK(r.finding_ids[0] == "abc");
  CHECK(r.findings[0].details[1].second == "please summarise the memo");
  for (std::string text : {aiir::format_report_markdown(r), aiir::format_report_json(r), aiir::format_findings_jsonl(r)}) {
    CHECK(text.find(kKey) == std::string::npos);
    CHECK(text.find(kMail) == std::string::npos);
    CHECK(text.find("Guardrail deleted") != std::string::npos);
  }
  CHECK(aiir::format_report_markdown(r).find("Redacted report") != std::string::npos);
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(aiir::format_report_json(r));
  CHECK(bool(doc["redaction"]["redacted"]));
  CHECK(bool(doc["redaction"]["secrets_and_pii"]));
}

TEST_CASE("event redaction: fields, raw record and invocation bodies", "[redact]") {
  std::string ct = R"({"eventVersion":"1.09","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/bob",)"
                   R"("accessKeyId":"AKIAQWERTYUIOPASDFGH","userName":"alice.liddell@example.org"},)"
                   R"("eventTime":"2026-03-11T10:00:00Z","eventSource":"iam.amazonaws.com","eventName":"CreateUser",)"
                   R"("awsRegion":"us-east-1","requestParameters":{"userName":"x","tags":[{"value":"AKIAQWERTYUIOPASDFGH"}]},)"
                   R"("eventID":"e-1","recipientAccountId":"111122223333"})";
  auto fx = aiir::testing::events_from_json(ct);
  REQUIRE(fx.events.size() == 1);
  aiir::EventRedactor redactor({true, false});
  for (aiir::EventFormat format : {aiir::EventFormat::kJsonl, aiir::EventFormat::kCsv, aiir::EventFormat::kTimesketch}) {
    std::string line;
    aiir::append_event_line(line, redactor.apply(fx.events[0]), format, true, {true, false});
    CHECK(line.find(kKey) == std::string::npos);
    CHECK(line.find(kMail) == std::string::npos);
    CHECK(line.find("CreateUser") != std::string::npos);
    if (format != aiir::EventFormat::kCsv) {
      simdjson::dom::parser parser;
      simdjson::dom::element doc = parser.parse(line);
      CHECK(std::string_view(doc["raw"]["eventName"]) == "CreateUser");
      CHECK(std::string_view(doc["raw"]["requestParameters"]["tags"].at(0)["value"]).find("AKIA") == 0);
    }
  }
  // Unredacted, the key is there (the test above can fail).
  std::string plain;
  aiir::append_event_line(plain, fx.events[0], aiir::EventFormat::kJsonl, true);
  CHECK(plain.find(kKey) != std::string::npos);

  std::string inv = R"({"schemaType":"ModelInvocationLog","schemaVersion":"1.0","timestamp":"2026-03-11T10:00:00Z",)"
                    R"("accountId":"111122223333","region":"us-east-1","requestId":"r-1","operation":"Converse",)"
                    R"("modelId":"anthropic.claude-3-haiku-20240307-v1:0","identity":{"arn":"arn:aws:iam::111122223333:user/bob"},)"
                    R"("input":{"inputContentType":"application/json","inputBodyJson":{"messages":[{"role":"user","content":[{"text":"the launch code is 1234"}]}]},"inputTokenCount":5},)"
                    R"("output":{"outputContentType":"application/json","outputBodyJson":{"output":{"message":{"content":[{"text":"ok"}]}}},"outputTokenCount":1}})";
  auto ifx = aiir::testing::events_from_json(inv);
  REQUIRE(ifx.events.size() == 1);
  std::string line;
  aiir::append_event_line(line, ifx.events[0], aiir::EventFormat::kJsonl, true, {false, true});
  CHECK(line.find("launch code") == std::string::npos);
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(line);
  CHECK(std::string_view(doc["raw"]["input"]["inputBodyJson"]) == aiir::kPromptWithheld);
  CHECK(int64_t(doc["raw"]["input"]["inputTokenCount"]) == 5);
}
