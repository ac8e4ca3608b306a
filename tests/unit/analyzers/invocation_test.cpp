// SPDX-License-Identifier: Apache-2.0
// Tests of the Invocation analyzer: join, usage table, first-seen, bursts,
// probes, guardrail interventions, token spikes, answers, input-order independence.
#include <aiir/analyzer.h>

#include <catch2/catch.hpp>

#include <algorithm>

#include "analyzers/ai_fixtures.h"
#include "analyzers/factories.h"
#include "analyzers/invocation.h"
#include "analyzers/pricing.h"

using namespace aiir;
using namespace aiir::testing;

namespace {

std::shared_ptr<const PriceTable> test_prices() {
  return std::make_shared<const PriceTable>(PriceTable::parse(R"(
as_of: "2025-06-01"
source: test prices
models:
  - {match: "anthropic.claude-3-opus*", input: 0.015, output: 0.075}
  - {match: "anthropic.claude-3-haiku*", input: 0.00025, output: 0.00125}
)", "test-prices.yaml"));
}

constexpr const char* kOpus = "anthropic.claude-3-opus-20240229-v1:0";
constexpr const char* kHaiku = "anthropic.claude-3-haiku-20240307-v1:0";
constexpr long kDay = 86400;

struct Run {
  Profile profile;
  AnalyzerConfig config;
  std::unique_ptr<Analyzer> analyzer;
  std::vector<Finding> findings;
  explicit Run(std::int64_t baseline_ms = 0, Profile p = {}) : profile(std::move(p)) {
    config.profile = &profile;
    config.baseline_until_ms = baseline_ms;
    analyzer = make_invocation_with_prices(config, test_prices());
  }
  Run& go(const std::vector<std::string>& records, bool shuffle = false) {
    findings = shuffle ? run_permuted(*analyzer, records, shuffled(records.size())) : run(*analyzer, records);
    return *this;
  }
};

// 2026-03-11T00:00:00Z: the end of day one.
constexpr std::int64_t kBaseline = 1773187200000LL;

std::string detail_of(const Finding& f, std::string_view key) {
  for (const auto& [k, v] : f.details)
    if (k == key) return v;
  return {};
}

}  // namespace

TEST_CASE("invocation: CloudTrail and invocation logs join on request id", "[analyzer][invocation]") {
  CHECK(kBaseline == 1773187200000LL);
  Run r;
  r.go({ct_invoke(100, kUser, "AKIAEXAMPLE1", "198.51.100.23", kOpus, "req-1"),
        inv(102, kUser, kOpus, "req-1", 1000, 2000),
        // Same request id but 10 minutes away: not the same call.
        inv(100 + 600, kUser, kOpus, "req-1", 10, 10),
        // Only in invocation logs.
        inv(200, kUser, kOpus, "req-2", 1000, 0)});
  const ModelUsage* u = model_usage(*r.analyzer);
  REQUIRE(u != nullptr);
  REQUIRE(u->rows.size() == 1);
  const ModelUsageRow& row = u->rows[0];
  CHECK(row.principal == kUser);
  CHECK(row.model == kOpus);
  CHECK(row.model_normalized == "anthropic.claude-3-opus-20240229");
  CHECK(row.region == "us-east-1");
  CHECK(row.calls == 3);
  CHECK(row.joined == 1);
  CHECK(row.cloudtrail_calls == 1);
  CHECK(row.invocation_log_calls == 3);
  CHECK(row.tokens_in == 2010);
  CHECK(row.tokens_out == 2010);
  REQUIRE(row.cost_known);
  CHECK(row.cost_usd == Approx((2010 * 0.015 + 2010 * 0.075) / 1000));
  REQUIRE(row.source_ips.size() == 1);
  CHECK(row.source_ips[0] == "198.51.100.23");
  CHECK(u->prices_as_of == "2025-06-01");

  // Not the invocation analyzer: no usage.
  auto other = make_invocation_with_prices(r.config, nullptr);
  CHECK(model_usage(*other) != nullptr);
  CHECK(model_usage(*other)->rows.empty());
}

TEST_CASE("invocation: CloudTrail tokens of joined calls count once", "[analyzer][invocation]") {
  Run r;
  std::string with_tokens = ct_invoke(100, kUser, "AKIAEXAMPLE1", "198.51.100.23", kOpus, "req-9");
  with_tokens.insert(with_tokens.size() - 1, R"(,"additionalEventData":{"inputTokens":1000,"outputTokens":2000})");
  r.go({inv(101, kUser, kOpus, "req-9", 1000, 2000), with_tokens});
  const ModelUsageRow& row = model_usage(*r.analyzer)->rows.at(0);
  CHECK(row.calls == 1);
  CHECK(row.tokens_in == 1000);
  CHECK(row.tokens_out == 2000);
}

TEST_CASE("invocation: thousands of pending calls join their partners", "[analyzer][invocation]") {
  // Enough calls waiting at once to grow the join table several times; the
  // joins in between free places that later calls reuse, and empty slots that
  // the calls probing past them move back into.
  constexpr int kCalls = 3000;
  std::vector<std::string> records;
  for (int i = 0; i < kCalls; ++i)
    records.push_back(ct_invoke(100 + i, kUser, "AKIAEXAMPLE1", "198.51.100.23", kOpus, "req-" + std::to_string(i)));
  for (int i = 0; i < kCalls; i += 2) records.push_back(inv(101 + i, kUser, kOpus, "req-" + std::to_string(i), 1, 1));
  for (int i = 0; i < kCalls; ++i)
    records.push_back(ct_invoke(100 + i, kUser, "AKIAEXAMPLE1", "198.51.100.23", kOpus, "new-" + std::to_string(i)));
  // Every odd CloudTrail call's partner, and one more for a call already joined.
  for (int i = 1; i < kCalls; i += 2) records.push_back(inv(101 + i, kUser, kOpus, "req-" + std::to_string(i), 1, 1));
  records.push_back(inv(101, kUser, kOpus, "req-0", 1, 1));
  Run r;
  r.go(records);
  const ModelUsageRow& row = model_usage(*r.analyzer)->rows.at(0);
  CHECK(row.joined == kCalls);
  CHECK(row.cloudtrail_calls == 2 * kCalls);
  CHECK(row.invocation_log_calls == kCalls + 1);
  CHECK(row.calls == 2 * kCalls + 1);
}

TEST_CASE("invocation: volume burst against the principal's baseline", "[analyzer][invocation]") {
  std::vector<std::string> recs;
  // Baseline (day one): 3 calls per 10 minutes for an hour.
  for (int i = 0; i < 18; ++i) recs.push_back(ct_invoke(36000 + i * 200, kAppRole, "ASIAX", "10.0.0.5", kHaiku, fmt::format("b{}", i)));
  SECTION("40 calls in 10 minutes after the baseline fire") {
    for (int i = 0; i < 40; ++i) recs.push_back(ct_invoke(kDay + 36000 + i * 10, kAppRole, "ASIAX", "10.0.0.5", kHaiku, fmt::format("x{}", i)));
    Run r(kBaseline);
    r.go(recs);
    auto b = with_rule(r.findings, "invocation.volume_burst");
    REQUIRE(b.size() == 1);
    CHECK(b[0]->severity == Severity::kMedium);
    CHECK(b[0]->count == 40);
    CHECK(b[0]->principal == "arn:aws:iam::111122223333:role/app-role");  // sessions grouped by role
    CHECK(b[0]->summary.find("baseline peak was 3") != std::string::npos);
    CHECK_FALSE(b[0]->evidence.empty());
  }
  SECTION("the burst names its own key and addresses, not the role's first ones") {
    // The role's usual client keeps calling at its pace; a copy of a later key bursts from elsewhere.
    for (int i = 0; i < 40; ++i)
      recs.push_back(ct_invoke(kDay + 36000 + i * 10, kAppRole, "ASIASTOLEN", "198.51.100.19", kHaiku, fmt::format("x{}", i)));
    recs.push_back(ct_invoke(kDay + 50000, kAppRole, "ASIANEXT", "10.0.0.5", kHaiku, "own"));
    Run r(kBaseline);
    r.go(recs);
    auto b = with_rule(r.findings, "invocation.volume_burst");
    REQUIRE(b.size() == 1);
    CHECK(b[0]->access_key_id == "ASIASTOLEN");
    CHECK(b[0]->source_ips == std::vector<std::string>{"198.51.100.19"});
  }
  SECTION("25 calls in 10 minutes stay quiet (below the minimum)") {
    for (int i = 0; i < 25; ++i) recs.push_back(ct_invoke(kDay + 36000 + i * 10, kAppRole, "ASIAX", "10.0.0.5", kHaiku, fmt::format("x{}", i)));
    Run r(kBaseline);
    r.go(recs);
    CHECK(with_rule(r.findings, "invocation.volume_burst").empty());
  }
  SECTION("a steady rate after the baseline stays quiet") {
    for (int i = 0; i < 200; ++i) recs.push_back(ct_invoke(kDay + 36000 + i * 200, kAppRole, "ASIAX", "10.0.0.5", kHaiku, fmt::format("x{}", i)));
    Run r(kBaseline);
    r.go(recs);
    CHECK(with_rule(r.findings, "invocation.volume_burst").empty());
    CHECK(with_rule(r.findings, "invocation.new_principal").empty());
    CHECK(with_rule(r.findings, "invocation.new_model").empty());
  }
}

TEST_CASE("invocation: async and bidirectional-stream invocations are model calls", "[analyzer][invocation]") {
  // Data events (formats.md 3.1): StartAsyncInvoke (video and other long jobs)
  // and InvokeModelWithBidirectionalStream (speech) use models like InvokeModel.
  Run r;
  r.go({ct_invoke(100, kUser, "AKIAEXAMPLE1", "198.51.100.23", "amazon.nova-reel-v1:1", "a1", "us-east-1", "", "",
                  "StartAsyncInvoke"),
        ct_invoke(200, kUser, "AKIAEXAMPLE1", "198.51.100.23", "amazon.nova-sonic-v1:0", "b1", "us-east-1", "", "",
                  "InvokeModelWithBidirectionalStream"),
        // Reads of async jobs and token counting are not model calls.
        ct_invoke(300, kUser, "AKIAEXAMPLE1", "198.51.100.23", "amazon.nova-reel-v1:1", "a2", "us-east-1", "", "",
                  "GetAsyncInvoke"),
        ct_invoke(400, kUser, "AKIAEXAMPLE1", "198.51.100.23", kOpus, "c1", "us-east-1", "", "", "CountTokens")});
  const ModelUsage* u = model_usage(*r.analyzer);
  REQUIRE(u != nullptr);
  std::vector<std::string> models;
  for (const ModelUsageRow& row : u->rows) {
    models.push_back(row.model);
    CHECK(row.cloudtrail_calls == 1);
  }
  std::sort(models.begin(), models.end());
  CHECK(models == std::vector<std::string>{"amazon.nova-reel-v1:1", "amazon.nova-sonic-v1:0"});
}

TEST_CASE("invocation: probes with ValidationException and AccessDenied", "[analyzer][invocation]") {
  SECTION("the LLMjacking probe pattern fires") {
    Run r(kBaseline);
    r.go({ct_invoke(kDay + 100, kUser, "AKIAEXAMPLE1", "198.51.100.23", "anthropic.claude-v2", "p1", "us-east-1",
                    "ValidationException", "max_tokens_to_sample: range: 1..1,000,000"),
          ct_invoke(kDay + 104, kUser, "AKIAEXAMPLE1", "198.51.100.23", "anthropic.claude-v2", "p2", "us-west-2",
                    "ValidationException", "max_tokens_to_sample: range: 1..1,000,000"),
          // The same probe in the invocation log: joined, not counted twice.
          inv(kDay + 100, kUser, "anthropic.claude-v2", "p1", 0, 0, "us-east-1", "", "ValidationException", "InvokeModel")});
    auto p = with_rule(r.findings, "invocation.probe_errors");
    REQUIRE(p.size() == 1);
    CHECK(p[0]->count == 2);
    CHECK(p[0]->access_key_id == "AKIAEXAMPLE1");
    CHECK(p[0]->summary.find("max_tokens_to_sample") != std::string::npos);
    CHECK(p[0]->source_ips == std::vector<std::string>{"198.51.100.23"});
  }
  SECTION("one honest ValidationException stays quiet") {
    Run r(kBaseline);
    r.go({ct_invoke(kDay + 100, kAppRole, "ASIAX", "10.0.0.5", kHaiku, "p1", "us-east-1", "ValidationException",
                    "Malformed input request"),
          ct_invoke(kDay + 200, kAppRole, "ASIAX", "10.0.0.5", kHaiku, "p2")});
    CHECK(with_rule(r.findings, "invocation.probe_errors").empty());
  }
}

TEST_CASE("invocation: repeated guardrail interventions", "[analyzer][invocation]") {
  const char* conv = R"({"stopReason":"guardrail_intervened","output":{"message":{"role":"assistant","content":[{"text":"Sorry."}]}}})";
  const char* chunks = R"([{"type":"message_start"},"[DONE]",{"type":"message_stop","amazon-bedrock-guardrailAction":"INTERVENED"}])";
  const char* fine = R"({"stopReason":"end_turn"})";
  SECTION("three interventions fire, with the IP from the joined CloudTrail record") {
    Run r;
    r.go({inv(100, kAppRole, kHaiku, "g1", 10, 0, "us-east-1", conv), inv(200, kAppRole, kHaiku, "g2", 10, 0, "us-east-1", conv),
          inv(300, kAppRole, kHaiku, "g3", 10, 0, "us-east-1", chunks, "", "InvokeModelWithResponseStream"),
          inv(400, kAppRole, kHaiku, "g4", 10, 5, "us-east-1", fine),
          ct_invoke(301, kAppRole, "ASIAX", "203.0.113.9", kHaiku, "g3", "us-east-1", "", "", "InvokeModelWithResponseStream")});
    auto g = with_rule(r.findings, "invocation.guardrail_interventions");
    REQUIRE(g.size() == 1);
    CHECK(g[0]->count == 3);
    CHECK(g[0]->source_ips == std::vector<std::string>{"203.0.113.9"});
    CHECK(g[0]->tags.owasp_llm == std::vector<std::string>{"LLM01:2025"});
  }
  SECTION("two interventions stay quiet") {
    Run r;
    r.go({inv(100, kAppRole, kHaiku, "g1", 10, 0, "us-east-1", conv), inv(200, kAppRole, kHaiku, "g2", 10, 0, "us-east-1", conv),
          inv(400, kAppRole, kHaiku, "g4", 10, 5, "us-east-1", fine)});
    CHECK(with_rule(r.findings, "invocation.guardrail_interventions").empty());
  }
}

TEST_CASE("invocation: first-seen principals, models and regions without a profile", "[analyzer][invocation]") {
  std::vector<std::string> recs = {
      ct_invoke(36000, kAppRole, "ASIAX", "10.0.0.5", kHaiku, "a1"),
      ct_invoke(kDay + 36000, kAppRole, "ASIAX", "10.0.0.5", kHaiku, "a2")};
  for (int i = 0; i < 25; ++i) {
    recs.push_back(ct_invoke(kDay + 50000 + i * 60, kUser, "AKIAEXAMPLE1", "198.51.100.141", kOpus, fmt::format("o{}", i),
                             "eu-west-3"));
  }
  Run r(kBaseline);
  r.go(recs);
  auto p = with_rule(r.findings, "invocation.new_principal");
  REQUIRE(p.size() == 1);
  CHECK(p[0]->principal == kUser);
  CHECK(p[0]->severity == Severity::kHigh);  // 25 successful calls
  CHECK(p[0]->summary.find("estimated $") != std::string::npos);
  auto m = with_rule(r.findings, "invocation.new_model");
  REQUIRE(m.size() == 1);
  CHECK(m[0]->summary.find(kOpus) != std::string::npos);
  auto g = with_rule(r.findings, "invocation.new_region");
  REQUIRE(g.size() == 1);
  CHECK(g[0]->region == "eu-west-3");
  // The app role and haiku were seen in the baseline.
  for (const auto& f : r.findings) CHECK(f.principal != "arn:aws:iam::111122223333:role/app-role");
}

TEST_CASE("invocation: a call in both sources is one call in the first-seen findings", "[analyzer][invocation]") {
  std::vector<std::string> recs = {ct_invoke(36000, kAppRole, "ASIAX", "10.0.0.5", kHaiku, "a1"),
                                   ct_invoke(kDay + 36000, kAppRole, "ASIAX", "10.0.0.5", kHaiku, "a2")};
  for (int i = 0; i < 10; ++i) {
    const std::string id = fmt::format("o{}", i);
    recs.push_back(ct_invoke(kDay + 50000 + i * 60, kUser, "AKIAEXAMPLE1", "198.51.100.141", kOpus, id, "eu-west-3"));
    recs.push_back(inv(kDay + 50000 + i * 60, kUser, kOpus, id, 100, 100, "eu-west-3"));
  }
  for (bool shuffle : {false, true}) {
    Run r(kBaseline);
    r.go(recs, shuffle);
    CHECK(model_usage(*r.analyzer)->rows.size() == 2);
    for (const char* rule : {"invocation.new_principal", "invocation.new_model", "invocation.new_region"}) {
      INFO(rule);
      auto f = with_rule(r.findings, rule);
      REQUIRE(f.size() == 1);
      CHECK(f[0]->count == 10);
      const bool principal = std::string_view(rule) == "invocation.new_principal";
      CHECK(f[0]->summary.find(principal ? "10 successful calls" : "10 calls (10 successful)") != std::string::npos);
    }
  }
}

TEST_CASE("invocation: the profile's app principals, expected models and regions", "[analyzer][invocation]") {
  Profile prof;
  prof.loaded = true;
  prof.app_principals = {{"arn:aws:iam::111122223333:role/app-role", {"bedrock:InvokeModel"}}};
  prof.expected_models = {"anthropic.claude-3-haiku*"};
  prof.regions = {"us-east-1", "us-west-2"};
  Run r(0, prof);
  r.go({ct_invoke(100, kAppRole, "ASIAX", "10.0.0.5", kHaiku, "a1"),
        ct_invoke(200, kAppRole, "ASIAX", "10.0.0.5", "us.anthropic.claude-3-haiku-20240307-v1:0", "a2", "us-west-2"),
        ct_invoke(300, kUser, "AKIAEXAMPLE1", "198.51.100.23", kOpus, "o1", "us-east-1"),
        inv(400, kUser, kOpus, "o2", 5000, 3000, "ap-northeast-1")});
  auto p = with_rule(r.findings, "invocation.unexpected_principal");
  REQUIRE(p.size() == 1);
  CHECK(p[0]->principal == kUser);
  CHECK(p[0]->severity == Severity::kMedium);
  auto m = with_rule(r.findings, "invocation.unexpected_model");
  REQUIRE(m.size() == 1);
  CHECK(m[0]->details.front().second == kOpus);
  auto g = with_rule(r.findings, "invocation.unexpected_region");
  REQUIRE(g.size() == 1);
  CHECK(g[0]->region == "ap-northeast-1");
  CHECK(with_rule(r.findings, "invocation.new_principal").empty());
}

TEST_CASE("invocation: token spikes against the principal's baseline", "[analyzer][invocation]") {
  std::vector<std::string> recs = {inv(36000, kAppRole, kHaiku, "t1", 900, 100), inv(36100, kAppRole, kHaiku, "t2", 1500, 200)};
  SECTION("a 50k-token call fires") {
    recs.push_back(inv(kDay + 100, kAppRole, kHaiku, "t3", 45000, 5000));
    Run r(kBaseline);
    r.go(recs);
    auto s = with_rule(r.findings, "invocation.token_spike");
    REQUIRE(s.size() == 1);
    CHECK(s[0]->severity == Severity::kLow);
    CHECK(s[0]->summary.find("50000") != std::string::npos);
  }
  SECTION("a 5k-token call stays quiet") {
    recs.push_back(inv(kDay + 100, kAppRole, kHaiku, "t3", 4000, 1000));
    Run r(kBaseline);
    r.go(recs);
    CHECK(with_rule(r.findings, "invocation.token_spike").empty());
  }
}

TEST_CASE("invocation: malformed records do not break it", "[analyzer][invocation]") {
  Run r;
  r.go({R"({"schemaType":"ModelInvocationLog","timestamp":"2026-03-10T00:01:00Z","operation":"Converse","modelId":7,"identity":"x","input":[],"output":{"outputBodyJson":"oops","outputTokenCount":"abc"}})",
        R"({"schemaType":"ModelInvocationLog","timestamp":"2026-03-10T00:02:00Z","operation":"InvokeModel","output":{"outputBodyJson":[1,2,null]}})",
        R"({"eventVersion":"1.10","eventSource":"bedrock.amazonaws.com","eventName":"InvokeModel","eventTime":"2026-03-10T00:03:00Z","requestParameters":{"modelId":["a"]},"userIdentity":null,"requestID":5})",
        R"({"eventVersion":"1.10","eventSource":"bedrock.amazonaws.com","eventName":"Converse","eventTime":"2026-03-10T00:04:00Z"})"});
  const ModelUsage* u = model_usage(*r.analyzer);
  REQUIRE(u != nullptr);
  std::uint64_t calls = 0;
  for (const auto& row : u->rows) calls += row.calls;
  CHECK(calls == 4);
  for (const auto& f : r.findings) CHECK(f.severity < Severity::kHigh);
}

TEST_CASE("invocation: results do not depend on input order", "[analyzer][invocation]") {
  std::vector<std::string> recs;
  for (int i = 0; i < 6; ++i) recs.push_back(ct_invoke(36000 + i * 300, kAppRole, "ASIAX", "10.0.0.5", kHaiku, fmt::format("b{}", i)));
  for (int i = 0; i < 45; ++i) {
    recs.push_back(ct_invoke(kDay + 36000 + i * 10, kUser, "AKIAEXAMPLE1", "198.51.100.23", kOpus, fmt::format("x{}", i)));
    recs.push_back(inv(kDay + 36001 + i * 10, kUser, kOpus, fmt::format("x{}", i), 900 + i, 12000,
                       "us-east-1", i % 2 ? R"({"stopReason":"guardrail_intervened"})" : ""));
  }
  recs.push_back(ct_invoke(kDay + 100, kUser, "AKIAEXAMPLE1", "198.51.100.23", "anthropic.claude-v2", "p1", "us-east-1",
                           "ValidationException", "max_tokens_to_sample: range: 1..1,000,000"));
  recs.push_back(ct_invoke(kDay + 104, kUser, "AKIAEXAMPLE1", "198.51.100.23", "anthropic.claude-v2", "p2", "us-west-2",
                           "ValidationException", "max_tokens_to_sample: range: 1..1,000,000"));
  Run a(kBaseline), b(kBaseline);
  a.go(recs);
  b.go(recs, true);
  CHECK(signature(a.findings) == signature(b.findings));
  CHECK(with_rule(a.findings, "invocation.volume_burst").size() == 1);
  CHECK(with_rule(a.findings, "invocation.guardrail_interventions").size() == 1);
  CHECK(with_rule(a.findings, "invocation.probe_errors").size() == 1);
  const auto& ua = model_usage(*a.analyzer)->rows;
  const auto& ub = model_usage(*b.analyzer)->rows;
  REQUIRE(ua.size() == ub.size());
  for (std::size_t i = 0; i < ua.size(); ++i) {
    CHECK(ua[i].principal == ub[i].principal);
    CHECK(ua[i].calls == ub[i].calls);
    CHECK(ua[i].tokens_in == ub[i].tokens_in);
    CHECK(ua[i].cost_usd == Approx(ub[i].cost_usd));
    CHECK(ua[i].first_ms == ub[i].first_ms);
  }
}

TEST_CASE("invocation: answers say what missing invocation logs leave unknown", "[analyzer][invocation]") {
  Run r;
  r.go({ct_invoke(100, kUser, "AKIAEXAMPLE1", "198.51.100.23", kOpus, "req-1")});
  Coverage cov;
  cov.cloudtrail_events = 1;
  std::vector<QuestionAnswer> qa;
  r.analyzer->answer(cov, qa);
  REQUIRE(qa.size() == 4);
  CHECK(qa[1].id == "invocation.prompts");
  CHECK(qa[1].answer == Answer::kCannotTell);
  CHECK(qa[1].explanation.find("off by default") != std::string::npos);
  CHECK(qa[3].answer == Answer::kNotFound);

  cov.invocation_records = 10;
  cov.invocation_with_text = 0;
  qa.clear();
  r.analyzer->answer(cov, qa);
  CHECK(qa[0].answer == Answer::kCannotTell);
  CHECK(qa[0].explanation.find("text data delivery") != std::string::npos);
  CHECK(qa[0].explanation.find("us-east-1") != std::string::npos);  // CloudTrail region without invocation logs

  cov.invocation_with_text = 10;
  qa.clear();
  r.analyzer->answer(cov, qa);
  CHECK(qa[2].answer == Answer::kYes);
  // Each question lists only the content rules that answer it, never "invocation.*"
  // (which would attach probes and first-seen models to "what responses were produced").
  for (const auto& q : qa) {
    CHECK(std::find(q.rules.begin(), q.rules.end(), "invocation.*") == q.rules.end());
    const bool lists_new_model = std::find(q.rules.begin(), q.rules.end(), "invocation.new_model") != q.rules.end();
    CHECK((!lists_new_model || q.id == "invocation.abuse"));
  }
  CHECK(std::find(qa[2].rules.begin(), qa[2].rules.end(), "private_data.secret_in_response") != qa[2].rules.end());
}

TEST_CASE("invocation: the abuse answer rests on abuse findings and names what flagged roles invoked",
          "[analyzer][invocation]") {
  Coverage cov;
  cov.cloudtrail_events = 1;
  cov.invocation_records = 4;
  cov.invocation_with_text = 4;
  auto abuse_of = [&](Run& r) {
    std::vector<QuestionAnswer> qa;
    r.analyzer->answer(cov, qa);
    for (const auto& q : qa)
      if (q.id == "invocation.abuse") return q;
    FAIL("no abuse answer");
    return QuestionAnswer{};
  };
  SECTION("guardrail blocks alone do not answer yes") {
    const char* conv = R"({"stopReason":"guardrail_intervened","output":{"message":{"role":"assistant","content":[{"text":"Sorry."}]}}})";
    Run r;
    r.go({inv(100, kAppRole, kHaiku, "g1", 10, 0, "us-east-1", conv), inv(200, kAppRole, kHaiku, "g2", 10, 0, "us-east-1", conv),
          inv(300, kAppRole, kHaiku, "g3", 10, 0, "us-east-1", conv)});
    REQUIRE(with_rule(r.findings, "invocation.guardrail_interventions").size() == 1);
    CHECK(abuse_of(r).answer != Answer::kYes);
  }
  SECTION("a role session's new calls: the role is named with its model") {
    const char* session = "arn:aws:sts::111122223333:assumed-role/ThiefRole/s-9";
    Run r(kBaseline);
    r.go({ct_invoke(100, kUser, "AKIAEXAMPLE1", "192.0.2.10", kHaiku, "b1"),
          ct_invoke(kDay + 100, session, "ASIATHIEF", "203.0.113.5", kOpus, "t1"),
          ct_invoke(kDay + 200, session, "ASIATHIEF", "203.0.113.5", kOpus, "t2")});
    REQUIRE(!with_rule(r.findings, "invocation.new_principal").empty());
    const QuestionAnswer q = abuse_of(r);
    CHECK(q.answer == Answer::kYes);
    CHECK(q.explanation.find("ThiefRole") != std::string::npos);
    CHECK(q.explanation.find(kOpus) != std::string::npos);
  }
}

TEST_CASE("invocation: role sessions are one principal; profile role paths match", "[analyzer][invocation]") {
  const char* s1 = "arn:aws:sts::111122223333:assumed-role/KbRole/Session-1111";
  const char* s2 = "arn:aws:sts::111122223333:assumed-role/KbRole/Session-2222";
  SECTION("a new session name of a baseline role is not a new principal") {
    Run r(kBaseline);
    r.go({inv(36000, s1, "amazon.titan-embed-text-v2:0", "e1", 100, 0),
          inv(kDay + 36000, s2, "amazon.titan-embed-text-v2:0", "e2", 100, 0)});
    CHECK(with_rule(r.findings, "invocation.new_principal").empty());
    CHECK(model_usage(*r.analyzer)->rows.size() == 2);  // the table keeps the session ARNs
  }
  SECTION("a profile role with a path matches its sessions") {
    Profile prof;
    prof.loaded = true;
    prof.app_principals = {{"arn:aws:iam::111122223333:role/service-role/KbRole", {}}};
    Run r(0, prof);
    r.go({inv(100, s1, "amazon.titan-embed-text-v2:0", "e1", 100, 0),
          inv(200, "arn:aws:sts::111122223333:assumed-role/OtherRole/x", "amazon.titan-embed-text-v2:0", "e3", 100, 0)});
    auto u = with_rule(r.findings, "invocation.unexpected_principal");
    REQUIRE(u.size() == 1);
    CHECK(u[0]->principal == "arn:aws:iam::111122223333:role/OtherRole");
  }
}

TEST_CASE("invocation: IAM Identity Center sessions are people, not one role", "[analyzer][invocation]") {
  const std::string role = "AWSReservedSSO_AdministratorAccess_0a1b2c3d4e5f6789";
  const std::string carol = "arn:aws:sts::111122223333:assumed-role/" + role + "/carol@example.com";
  const std::string dave = "arn:aws:sts::111122223333:assumed-role/" + role + "/dave@example.com";
  Run r(kBaseline);
  r.go({inv(36000, carol, kHaiku, "c1", 100, 100), inv(kDay + 36000, carol, kHaiku, "c2", 100, 100),
        inv(kDay + 40000, dave, kHaiku, "d1", 100, 100)});
  // Carol used models in the baseline; Dave did not: a new principal, named as the person.
  auto p = with_rule(r.findings, "invocation.new_principal");
  REQUIRE(p.size() == 1);
  CHECK(p[0]->principal == dave);
  // A profile that names the permission set's role still covers its sessions.
  Profile prof;
  prof.loaded = true;
  prof.app_principals = {{"arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/" + role, {}}};
  Run q(0, prof);
  q.go({inv(100, dave, kHaiku, "d1", 100, 100)});
  CHECK(with_rule(q.findings, "invocation.unexpected_principal").empty());
}

TEST_CASE("invocation: SageMaker endpoint invocations are model calls", "[analyzer][invocation]") {
  auto endpoint_call = [](long sec, std::string_view arn, std::string_view ip, std::string_view endpoint,
                          std::string_view action = "InvokeEndpoint") {
    return ct(sec, "sagemaker.amazonaws.com", action, arn, "ASIAEXAMPLE1", ip, "us-east-1",
              fmt::format(R"({{"endpointName":"{}","contentType":"application/json"}})", endpoint),
              R"(,"eventCategory":"Data","readOnly":false)");
  };
  std::vector<std::string> recs = {ct_invoke(36000, kAppRole, "ASIAX", "10.0.0.5", kHaiku, "a1"),
                                   ct_invoke(kDay + 36000, kAppRole, "ASIAX", "10.0.0.5", kHaiku, "a2"),
                                   // Near miss: the endpoint's creation is a change, not a call.
                                   endpoint_call(kDay + 40000, kUser, "198.51.100.141", "llm-chat-mixtral", "CreateEndpoint")};
  for (int i = 0; i < 25; ++i)
    recs.push_back(endpoint_call(kDay + 50000 + i * 60, kUser, "198.51.100.141", "llm-chat-mixtral"));
  Run r(kBaseline);
  r.go(recs);
  auto p = with_rule(r.findings, "invocation.new_principal");
  REQUIRE(p.size() == 1);
  CHECK(p[0]->principal == kUser);
  CHECK(p[0]->count == 25);
  CHECK(p[0]->evidence.front().action == "InvokeEndpoint");
  auto m = with_rule(r.findings, "invocation.new_model");
  REQUIRE(m.size() == 1);
  CHECK(m[0]->summary.find("sagemaker-endpoint/llm-chat-mixtral") != std::string::npos);
  // In the usage table, under the endpoint.
  const ModelUsage* usage = model_usage(*r.analyzer);
  REQUIRE(usage != nullptr);
  bool row = false;
  for (const auto& u : usage->rows) row = row || (u.model == "sagemaker-endpoint/llm-chat-mixtral" && u.calls == 25);
  CHECK(row);
}

TEST_CASE("invocation: an application inference profile is priced as what it copies; cross-region inference is listed",
          "[analyzer][invocation]") {
  const std::string profile = "arn:aws:bedrock:us-east-1:111122223333:application-inference-profile/abc123";
  const std::string system = "arn:aws:bedrock:us-east-1:111122223333:inference-profile/us." + std::string(kOpus);
  // CreateInferenceProfile: the request names what it copies, the response the new profile's ARN.
  auto create = [&](long sec, bool ok) {
    return fmt::format(
        R"({{"eventVersion":"1.10","userIdentity":{{"type":"IAMUser","arn":"{}","accountId":"111122223333",)"
        R"("accessKeyId":"AKIAEXAMPLE1"}},"eventTime":"{}","eventSource":"bedrock.amazonaws.com",)"
        R"("eventName":"CreateInferenceProfile","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.23",)"
        R"("userAgent":"ua/1.0","requestParameters":{{"inferenceProfileName":"p","modelSource":{{"copyFrom":"{}"}}}},)"
        R"("responseElements":{},"requestID":"cp-{}","eventID":"cp-{}","eventType":"AwsApiCall",)"
        R"("recipientAccountId":"111122223333"{}}})",
        kUser, t_at(sec), system,
        ok ? R"({"inferenceProfileArn":")" + profile + R"(","status":"ACTIVE"})" : std::string("null"), sec, sec,
        ok ? "" : R"(,"errorCode":"ValidationException","errorMessage":"no")");
  };
  auto served = [](std::string rec, std::string_view region) {
    rec.insert(rec.size() - 1, fmt::format(R"(,"additionalEventData":{{"inferenceRegion":"{}","inputTokens":1000,)"
                                           R"("outputTokens":1000}})", region));
    return rec;
  };
  std::string logged = inv(kDay + 401, kUser, profile, "p-2", 2000, 1000);
  const std::string at = R"("region":"us-east-1",)";
  logged.replace(logged.find(at), at.size(), R"("region":"us-east-1","inferenceRegion":"us-west-2",)");
  const std::vector<std::string> calls{
      served(ct_invoke(kDay + 300, kUser, "AKIAEXAMPLE1", "198.51.100.23", profile, "p-1"), "us-east-2"), logged,
      // Served where it was called: not cross-region.
      served(ct_invoke(kDay + 500, kUser, "AKIAEXAMPLE1", "198.51.100.23", kHaiku, "h-1"), "us-east-1")};
  auto row_of = [](const ModelUsage* u, const std::string& model) -> const ModelUsageRow* {
    for (const auto& row : u->rows)
      if (row.model == model) return &row;
    return nullptr;
  };
  for (bool shuffle : {false, true}) {
    std::vector<std::string> recs = calls;
    recs.push_back(create(kDay + 100, true));
    Run r(kBaseline);
    r.go(recs, shuffle);
    const ModelUsage* u = model_usage(*r.analyzer);
    REQUIRE(u != nullptr);
    const ModelUsageRow* p = row_of(u, profile);
    REQUIRE(p != nullptr);
    CHECK(p->resolved_model == system);
    REQUIRE(p->cost_known);
    CHECK(p->cost_usd == Approx((3000 * 0.015 + 2000 * 0.075) / 1000));
    CHECK(p->inference_regions == std::vector<std::string>{"us-east-2", "us-west-2"});
    const ModelUsageRow* h = row_of(u, kHaiku);
    REQUIRE(h != nullptr);
    CHECK(h->resolved_model.empty());
    CHECK(h->inference_regions.empty());
    auto np = with_rule(r.findings, "invocation.new_principal");
    REQUIRE(np.size() == 1);
    CHECK(std::find(np[0]->details.begin(), np[0]->details.end(),
                    std::pair<std::string, std::string>{"cross_region_inference", "served in us-east-2, us-west-2"}) !=
          np[0]->details.end());
  }
  SECTION("near miss: a profile whose creation failed, or is not in the logs, stays unpriced") {
    for (bool with_failed : {false, true}) {
      std::vector<std::string> recs = calls;
      if (with_failed) recs.push_back(create(kDay + 100, false));
      Run r(kBaseline);
      r.go(recs);
      const ModelUsageRow* p = row_of(model_usage(*r.analyzer), profile);
      REQUIRE(p != nullptr);
      CHECK(p->resolved_model.empty());
      CHECK(!p->cost_known);
    }
  }
}

TEST_CASE("invocation: a model's base id and its inference profile are one model", "[analyzer][invocation]") {
  // The application calls Haiku through the us. inference profile all along; an engineer
  // tries the same model by its base id (the console playground) after the baseline.
  const char* profile_id = "us.anthropic.claude-3-5-haiku-20241022-v1:0";
  const char* base_id = "anthropic.claude-3-5-haiku-20241022-v1:0";
  const char* arn_id = "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-5-haiku-20241022-v1:0";
  Run r(kBaseline);
  r.go({ct_invoke(36000, kAppRole, "ASIAX", "10.0.0.5", profile_id, "a1"),
        ct_invoke(kDay + 36000, kAppRole, "ASIAX", "10.0.0.5", profile_id, "a2"),
        ct_invoke(kDay + 40000, kAppRole, "ASIAX", "10.0.0.5", base_id, "b1"),
        ct_invoke(kDay + 40100, kAppRole, "ASIAX", "10.0.0.5", arn_id, "b2"),
        // Still new: another model, and another version of the same family.
        ct_invoke(kDay + 41000, kAppRole, "ASIAX", "10.0.0.5", kOpus, "o1"),
        ct_invoke(kDay + 42000, kAppRole, "ASIAX", "10.0.0.5", "us.anthropic.claude-3-5-sonnet-20241022-v2:0", "s1")});
  auto m = with_rule(r.findings, "invocation.new_model");
  std::vector<std::string> models;
  for (const auto* f : m) models.push_back(f->details.front().second);
  std::sort(models.begin(), models.end());
  CHECK(models == std::vector<std::string>{kOpus, "us.anthropic.claude-3-5-sonnet-20241022-v2:0"});
}

TEST_CASE("invocation: guardrail interventions spread over a busy day are low", "[analyzer][invocation]") {
  const char* conv = R"({"stopReason":"guardrail_intervened","output":{"message":{"role":"assistant","content":[{"text":"Sorry."}]}}})";
  const char* fine = R"({"stopReason":"end_turn"})";
  std::vector<std::string> recs;
  // 300 ordinary calls, and three interventions hours apart: angry customers, not a campaign.
  for (int i = 0; i < 300; ++i) recs.push_back(inv(100 + i * 200, kAppRole, kHaiku, fmt::format("ok{}", i), 10, 5, "us-east-1", fine));
  for (long t : {3000L, 20000L, 50000L}) recs.push_back(inv(t, kAppRole, kHaiku, fmt::format("g{}", t), 10, 0, "us-east-1", conv));
  SECTION("three over the day, 1% of the calls not reached: low, and the summary says why") {
    Run r;
    r.go(recs);
    auto g = with_rule(r.findings, "invocation.guardrail_interventions");
    REQUIRE(g.size() == 1);
    CHECK(g[0]->severity == Severity::kLow);
    CHECK(g[0]->summary.find("never 3 within an hour") != std::string::npos);
  }
  SECTION("three within an hour: medium") {
    recs.push_back(inv(50600, kAppRole, kHaiku, "g-close1", 10, 0, "us-east-1", conv));
    recs.push_back(inv(51200, kAppRole, kHaiku, "g-close2", 10, 0, "us-east-1", conv));
    Run r;
    r.go(recs);
    auto g = with_rule(r.findings, "invocation.guardrail_interventions");
    REQUIRE(g.size() == 1);
    CHECK(g[0]->severity == Severity::kMedium);
  }
  SECTION("spread out but at least 1% of the principal's calls: medium") {
    std::vector<std::string> few(recs.begin(), recs.begin() + 100);  // 100 ordinary calls
    few.insert(few.end(), recs.end() - 3, recs.end());
    Run r;
    r.go(few);
    auto g = with_rule(r.findings, "invocation.guardrail_interventions");
    REQUIRE(g.size() == 1);
    CHECK(g[0]->severity == Severity::kMedium);
  }
}

TEST_CASE("invocation: a new principal on the account's own networks is not high", "[analyzer][invocation]") {
  const char* bot = "arn:aws:sts::111122223333:assumed-role/slack-bot-role/slack-bot";
  std::vector<std::string> recs = {ct_invoke(36000, kAppRole, "ASIAX", "52.20.144.17", kHaiku, "a1"),
                                   ct_invoke(kDay + 36000, kAppRole, "ASIAX", "52.20.144.17", kHaiku, "a2")};
  SECTION("every call from the NAT the application used in the baseline: medium, saying so") {
    for (int i = 0; i < 25; ++i)
      recs.push_back(ct_invoke(kDay + 50000 + i * 60, bot, "ASIAB", "52.20.144.17", kHaiku, fmt::format("b{}", i)));
    Run r(kBaseline);
    r.go(recs);
    auto p = with_rule(r.findings, "invocation.new_principal");
    REQUIRE(p.size() == 1);
    CHECK(p[0]->severity == Severity::kMedium);
    CHECK(detail_of(*p[0], "networks").find("before the baseline end") != std::string::npos);
  }
  SECTION("one call from an address never seen before the baseline: high") {
    for (int i = 0; i < 24; ++i)
      recs.push_back(ct_invoke(kDay + 50000 + i * 60, bot, "ASIAB", "52.20.144.17", kHaiku, fmt::format("b{}", i)));
    recs.push_back(ct_invoke(kDay + 52000, bot, "ASIAB", "198.51.100.141", kHaiku, "b-out"));
    Run r(kBaseline);
    r.go(recs);
    auto p = with_rule(r.findings, "invocation.new_principal");
    REQUIRE(p.size() == 1);
    CHECK(p[0]->severity == Severity::kHigh);
  }
  SECTION("an address first used after the baseline (by anyone) is not known: high") {
    recs.push_back(ct(kDay + 40000, "s3.amazonaws.com", "ListBuckets", kUser, "AKIAEXAMPLE1", "203.0.113.9"));
    for (int i = 0; i < 25; ++i)
      recs.push_back(ct_invoke(kDay + 50000 + i * 60, bot, "ASIAB", "203.0.113.9", kHaiku, fmt::format("b{}", i)));
    Run r(kBaseline);
    r.go(recs);
    auto p = with_rule(r.findings, "invocation.new_principal");
    REQUIRE(p.size() == 1);
    CHECK(p[0]->severity == Severity::kHigh);
  }
}
