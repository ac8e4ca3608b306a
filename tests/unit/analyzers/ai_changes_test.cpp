// SPDX-License-Identifier: Apache-2.0
// Tests of the AI-changes analyzer: the LLMjacking chain, enumeration across
// regions, change bursts, logging disabled then invocations, answers, order.
#include <aiir/analyzer.h>

#include <catch2/catch.hpp>

#include "analyzers/ai_fixtures.h"
#include "analyzers/factories.h"

using namespace aiir;
using namespace aiir::testing;

namespace {

constexpr const char* kKey = "AKIAEXAMPLELEAKED1";
constexpr const char* kIp = "198.51.100.23";
constexpr const char* kOpus = "anthropic.claude-3-opus-20240229-v1:0";

std::string bed(long sec, std::string_view name, std::string_view region = "us-east-1", std::string_view req = "null",
                std::string_view extra = "", std::string_view arn = kUser, std::string_view key = kKey) {
  return ct(sec, "bedrock.amazonaws.com", name, arn, key, kIp, region, req, extra);
}

std::vector<std::string> llmjacking(bool with_enablement, bool with_burst) {
  std::vector<std::string> r = {
      ct(1000, "sts.amazonaws.com", "GetCallerIdentity", kUser, kKey, kIp),
      bed(1100, "ListFoundationModels"),
      bed(1200, "GetModelInvocationLoggingConfiguration"),
      ct_invoke(1300, kUser, kKey, kIp, "anthropic.claude-v2", "probe-1", "us-east-1", "ValidationException",
                "max_tokens_to_sample: range: 1..1,000,000")};
  if (with_enablement) {
    r.push_back(bed(1400, "PutUseCaseForModelAccess", "us-east-1", R"({"formData":"e30="})"));
    r.push_back(bed(1415, "CreateFoundationModelAgreement", "us-east-1", R"({"modelId":"x"})"));
    r.push_back(bed(1420, "PutFoundationModelEntitlement", "us-east-1", R"({"modelId":"x"})"));
  }
  if (with_burst) {
    for (int i = 0; i < 8; ++i) r.push_back(ct_invoke(2000 + i * 60, kUser, kKey, kIp, kOpus, fmt::format("i{}", i)));
  }
  return r;
}

std::vector<Finding> go(const std::vector<std::string>& recs, bool shuffle = false) {
  Profile prof;
  AnalyzerConfig cfg;
  cfg.profile = &prof;
  auto a = make_ai_changes(cfg);
  if (shuffle) return run_permuted(*a, recs, shuffled(recs.size()));
  return run(*a, recs);
}

}  // namespace

TEST_CASE("ai_changes: the LLMjacking chain is one finding citing each step", "[analyzer][ai_changes]") {
  SECTION("enablement and a burst: critical") {
    auto fs = go(llmjacking(true, true));
    auto c = with_rule(fs, "ai_changes.llmjacking_chain");
    REQUIRE(c.size() == 1);
    const Finding& f = *c[0];
    CHECK(f.severity == Severity::kCritical);
    CHECK(f.access_key_id == kKey);
    CHECK(f.principal == kUser);
    CHECK(f.source_ips == std::vector<std::string>{kIp});
    std::set<std::string> actions;
    for (const auto& e : f.evidence) actions.insert(e.action);
    for (const char* a : {"GetCallerIdentity", "ListFoundationModels", "GetModelInvocationLoggingConfiguration",
                          "InvokeModel", "PutUseCaseForModelAccess", "PutFoundationModelEntitlement"}) {
      INFO(a);
      CHECK(actions.count(a) == 1);
    }
    std::map<std::string, std::string> d(f.details.begin(), f.details.end());
    CHECK(d.count("step.recon") == 1);
    CHECK(d.count("step.logging_check") == 1);
    CHECK(d.count("step.probe") == 1);
    CHECK(d.count("step.model_enablement") == 1);
    CHECK(d.count("step.invocation_burst") == 1);
    CHECK(d["step.recon"].find("first 2026-03-10T00:16:40Z") != std::string::npos);
  }
  SECTION("without enablement: high") {
    auto fs_c = go(llmjacking(false, true));
    auto c = with_rule(fs_c, "ai_changes.llmjacking_chain");
    REQUIRE(c.size() == 1);
    CHECK(c[0]->severity == Severity::kHigh);
  }
  SECTION("near miss: recon and a few invocations only") {
    std::vector<std::string> r = {ct(1000, "sts.amazonaws.com", "GetCallerIdentity", kUser, kKey, kIp),
                                  bed(1100, "ListFoundationModels")};
    for (int i = 0; i < 8; ++i) r.push_back(ct_invoke(2000 + i * 60, kUser, kKey, kIp, kOpus, fmt::format("i{}", i)));
    CHECK(count_rule(go(r), "ai_changes.llmjacking_chain") == 0);
  }
  SECTION("near miss: the steps spread over different keys") {
    auto r = llmjacking(true, true);
    for (auto& rec : r) {
      static int n = 0;
      auto at = rec.find(kKey);
      if (at != std::string::npos) rec.replace(at, std::strlen(kKey), fmt::format("AKIAOTHER{:09}", n++));
    }
    CHECK(count_rule(go(r), "ai_changes.llmjacking_chain") == 0);
  }
  SECTION("near miss: steps more than a day apart") {
    std::vector<std::string> r = {ct(1000, "sts.amazonaws.com", "GetCallerIdentity", kUser, kKey, kIp),
                                  bed(1000 + 2 * 86400, "GetModelInvocationLoggingConfiguration"),
                                  ct_invoke(1000 + 4 * 86400, kUser, kKey, kIp, "anthropic.claude-v2", "p", "us-east-1",
                                            "ValidationException", "bad")};
    CHECK(count_rule(go(r), "ai_changes.llmjacking_chain") == 0);
  }
}

TEST_CASE("ai_changes: the same steps through the console are an administrator's, low", "[analyzer][ai_changes]") {
  auto console = [](std::vector<std::string> recs) {
    for (auto& r : recs) {
      r.pop_back();
      r += R"(,"sessionCredentialFromConsole":"true"})";
    }
    return recs;
  };
  auto fs = go(console(llmjacking(true, true)));
  auto c = with_rule(fs, "ai_changes.llmjacking_chain");
  REQUIRE(c.size() == 1);
  CHECK(c[0]->severity == Severity::kLow);
  CHECK(c[0]->summary.find("console") != std::string::npos);
  // Near miss: one step outside the console keeps the chain's weight.
  auto mixed = console(llmjacking(true, true));
  mixed.push_back(ct_invoke(2600, kUser, kKey, kIp, kOpus, "cli-1"));
  const auto mixed_fs = go(mixed);
  auto m = with_rule(mixed_fs, "ai_changes.llmjacking_chain");
  REQUIRE(m.size() == 1);
  CHECK(m[0]->severity == Severity::kCritical);
}

TEST_CASE("ai_changes: enumeration across many regions", "[analyzer][ai_changes]") {
  std::vector<std::string> r;
  const char* regions[] = {"us-east-1", "us-west-2", "eu-west-3", "eu-central-1", "ap-northeast-1"};
  SECTION("five regions in minutes fire") {
    for (int i = 0; i < 5; ++i) r.push_back(bed(5000 + i * 9, "ListFoundationModels", regions[i]));
    auto fs_e = go(r);
    auto e = with_rule(fs_e, "ai_changes.model_enumeration_regions");
    REQUIRE(e.size() == 1);
    CHECK(e[0]->severity == Severity::kMedium);
    CHECK(e[0]->evidence.size() == 5);
    CHECK(e[0]->summary.find("5 regions") != std::string::npos);
  }
  SECTION("three regions stay quiet, and so do four regions days apart") {
    for (int i = 0; i < 3; ++i) r.push_back(bed(5000 + i * 9, "ListFoundationModels", regions[i]));
    r.push_back(bed(5000 + 3 * 86400, "ListGuardrails", regions[3]));
    CHECK(count_rule(go(r), "ai_changes.model_enumeration_regions") == 0);
  }
}

TEST_CASE("ai_changes: bursts of AI control-plane changes", "[analyzer][ai_changes]") {
  std::vector<std::string> r;
  SECTION("twelve changes in an hour fire") {
    for (int i = 0; i < 12; ++i) r.push_back(bed(7000 + i * 120, i % 2 ? "UpdateGuardrail" : "CreateGuardrailVersion"));
    auto fs_b = go(r);
    auto b = with_rule(fs_b, "ai_changes.change_burst");
    REQUIRE(b.size() == 1);
    CHECK(b[0]->count == 12);
  }
  SECTION("reads and a handful of changes stay quiet") {
    for (int i = 0; i < 30; ++i) r.push_back(bed(7000 + i * 60, "GetGuardrail"));
    for (int i = 0; i < 5; ++i) r.push_back(bed(7000 + i * 60, "UpdateGuardrail"));
    CHECK(count_rule(go(r), "ai_changes.change_burst") == 0);
  }
}

TEST_CASE("ai_changes: async invocations are model calls, not changes", "[analyzer][ai_changes]") {
  std::vector<std::string> r;
  // Twelve StartAsyncInvoke calls in an hour: model use ("Start..." is no change).
  for (int i = 0; i < 12; ++i)
    r.push_back(ct_invoke(7000 + i * 120, kUser, kKey, kIp, "amazon.nova-reel-v1:1", fmt::format("v{}", i), "us-east-1",
                          "", "", "StartAsyncInvoke"));
  auto fs = go(r);
  CHECK(count_rule(fs, "ai_changes.change_burst") == 0);
  // After invocation logging was deleted, they are invocations like any other.
  auto after = go({bed(9000, "DeleteModelInvocationLoggingConfiguration"),
                   ct_invoke(9600, kUser, kKey, kIp, "amazon.nova-reel-v1:1", "a1", "us-east-1", "", "", "StartAsyncInvoke"),
                   ct_invoke(9700, kUser, kKey, kIp, "amazon.nova-sonic-v1:0", "a2", "us-east-1", "", "",
                             "InvokeModelWithBidirectionalStream")});
  CHECK(with_rule(after, "ai_changes.logging_disabled_then_invoked").size() == 1);
}

TEST_CASE("ai_changes: agent, retrieval and guardrail runtime calls are use, not changes", "[analyzer][ai_changes]") {
  // Recorded with readOnly false (they act on input), yet they change nothing.
  std::vector<std::string> r;
  const char* calls[] = {"InvokeAgent", "RetrieveAndGenerate", "Retrieve", "InvokeInlineAgent", "InvokeFlow",
                         "ApplyGuardrail"};
  for (int i = 0; i < 12; ++i)
    r.push_back(ct(7000 + i * 120, "bedrock.amazonaws.com", calls[i % 6], kUser, kKey, kIp, "us-east-1", "{}",
                   R"(,"readOnly":false)"));
  r.push_back(ct(9000, "bedrock-agentcore.amazonaws.com", "InvokeAgentRuntime", kUser, kKey, kIp, "us-east-1", "{}",
                 R"(,"readOnly":false)"));
  for (int i = 0; i < 12; ++i) {  // SageMaker endpoints and Q Business chats likewise
    r.push_back(ct(12000 + i * 60, "sagemaker.amazonaws.com", "InvokeEndpoint", kUser, kKey, kIp, "us-east-1", "{}",
                   R"(,"readOnly":false)"));
    r.push_back(ct(12010 + i * 60, "qbusiness.amazonaws.com", "ChatSync", kUser, kKey, kIp, "us-east-1", "{}",
                   R"(,"readOnly":false)"));
  }
  auto fs = go(r);
  CHECK(count_rule(fs, "ai_changes.change_burst") == 0);
  // Near miss: the same number of real changes, recorded the same way, fire.
  r.clear();
  for (int i = 0; i < 12; ++i)
    r.push_back(ct(7000 + i * 120, "bedrock.amazonaws.com", "UpdateAgent", kUser, kKey, kIp, "us-east-1", "{}",
                   R"(,"readOnly":false)"));
  CHECK(count_rule(go(r), "ai_changes.change_burst") == 1);
}

TEST_CASE("ai_changes: invocation logging disabled, then invocations", "[analyzer][ai_changes]") {
  const char* off = R"({"loggingConfig":{"s3Config":{"bucketName":"logs"},"textDataDeliveryEnabled":false}})";
  const char* on = R"({"loggingConfig":{"s3Config":{"bucketName":"logs"},"textDataDeliveryEnabled":true}})";
  SECTION("delete then invoke fires") {
    auto fs = go({bed(9000, "DeleteModelInvocationLoggingConfiguration"),
                  ct_invoke(9600, kUser, kKey, kIp, kOpus, "a1"), ct_invoke(9700, kUser, kKey, kIp, kOpus, "a2")});
    auto l = with_rule(fs, "ai_changes.logging_disabled_then_invoked");
    REQUIRE(l.size() == 1);
    CHECK(l[0]->severity == Severity::kHigh);
    CHECK(l[0]->evidence.size() == 3);
    CHECK(l[0]->evidence.front().action == "DeleteModelInvocationLoggingConfiguration");
  }
  SECTION("a put that disables text delivery counts too") {
    auto fs = go({ct_invoke(9600, kUser, kKey, kIp, kOpus, "a1"),
                  bed(9000, "PutModelInvocationLoggingConfiguration", "us-east-1", off)});
    CHECK(with_rule(fs, "ai_changes.logging_disabled_then_invoked").size() == 1);
  }
  SECTION("near misses: logging kept on, invocations only before, or by someone else") {
    CHECK(count_rule(go({bed(9000, "PutModelInvocationLoggingConfiguration", "us-east-1", on),
                        ct_invoke(9600, kUser, kKey, kIp, kOpus, "a1")}),
                    "ai_changes.logging_disabled_then_invoked")
              == 0);
    CHECK(count_rule(go({ct_invoke(8000, kUser, kKey, kIp, kOpus, "a1"),
                        bed(9000, "DeleteModelInvocationLoggingConfiguration")}),
                    "ai_changes.logging_disabled_then_invoked")
              == 0);
    CHECK(count_rule(go({bed(9000, "DeleteModelInvocationLoggingConfiguration"),
                        ct_invoke(9600, kAppRole, "ASIAX", "10.0.0.5", kOpus, "a1")}),
                    "ai_changes.logging_disabled_then_invoked")
              == 0);
  }
}

TEST_CASE("ai_changes: malformed records are tolerated", "[analyzer][ai_changes]") {
  auto fs = go({R"({"eventVersion":"1.10","eventSource":"bedrock.amazonaws.com","eventName":"PutModelInvocationLoggingConfiguration","eventTime":"2026-03-10T00:00:01Z","requestParameters":{"loggingConfig":"off"}})",
                R"({"eventVersion":"1.10","eventSource":"bedrock.amazonaws.com","eventName":"ListFoundationModels","eventTime":"2026-03-10T00:00:02Z","userIdentity":{"type":"IAMUser"}})",
                R"({"eventVersion":"1.10","eventSource":"sts.amazonaws.com","eventName":"GetCallerIdentity","eventTime":"2026-03-10T00:00:03Z","userIdentity":7})",
                R"({"eventVersion":"1.10","eventSource":"bedrock.amazonaws.com","eventName":"PutModelInvocationLoggingConfiguration","eventTime":"2026-03-10T00:00:04Z","requestParameters":{"loggingConfig":{"textDataDeliveryEnabled":"maybe","s3Config":3}}})"});
  CHECK(fs.empty());
}

TEST_CASE("ai_changes: results do not depend on input order", "[analyzer][ai_changes]") {
  auto r = llmjacking(true, true);
  const char* regions[] = {"us-east-1", "us-west-2", "eu-west-3", "eu-central-1"};
  for (int i = 0; i < 4; ++i) r.push_back(bed(1150 + i, "ListFoundationModels", regions[i]));
  for (int i = 0; i < 11; ++i) r.push_back(bed(3000 + i, "DeleteGuardrail"));
  r.push_back(bed(3100, "DeleteModelInvocationLoggingConfiguration"));
  r.push_back(ct_invoke(3200, kUser, kKey, kIp, kOpus, "late"));
  auto a = go(r);
  auto b = go(r, true);
  CHECK(signature(a) == signature(b));
  CHECK(a.size() == 4);
}

TEST_CASE("ai_changes: the answer", "[analyzer][ai_changes]") {
  Profile prof;
  AnalyzerConfig cfg;
  cfg.profile = &prof;
  Coverage cov;
  {
    auto a = make_ai_changes(cfg);
    run(*a, {bed(100, "ListGuardrails")});
    std::vector<QuestionAnswer> qa;
    a->answer(cov, qa);
    REQUIRE(qa.size() == 1);
    CHECK(qa[0].answer == Answer::kCannotTell);
    cov.cloudtrail_events = 1;
    qa.clear();
    a->answer(cov, qa);
    CHECK(qa[0].answer == Answer::kNo);
    CHECK(qa[0].rules == std::vector<std::string>{"ai_changes.*"});
  }
  {
    auto a = make_ai_changes(cfg);
    run(*a, llmjacking(true, true));
    std::vector<QuestionAnswer> qa;
    a->answer(cov, qa);
    CHECK(qa[0].answer == Answer::kYes);
    CHECK(qa[0].explanation.find("PutUseCaseForModelAccess") != std::string::npos);
  }
  {
    // AgentCore (its own event source) is an AI source: its changes count, its reads do not.
    cov.cloudtrail_events = 2;
    auto a = make_ai_changes(cfg);
    run(*a, {ct(100, "bedrock-agentcore.amazonaws.com", "CreateAgentRuntime", kUser, kKey, kIp),
             ct(200, "bedrock-agentcore.amazonaws.com", "GetAgentRuntime", kUser, kKey, kIp)});
    std::vector<QuestionAnswer> qa;
    a->answer(cov, qa);
    CHECK(qa[0].answer == Answer::kNotFound);  // a change to review, no stateful pattern
    CHECK(qa[0].explanation.find("2 bedrock/agentcore/sagemaker/qbusiness/q events, 1 of them control-plane "
                                 "changes: CreateAgentRuntime x1") != std::string::npos);
    CHECK(qa[0].explanation.find("GetAgentRuntime") == std::string::npos);
  }
}

TEST_CASE("ai_changes: the chain falls back to the principal when there is no access key", "[analyzer][ai_changes]") {
  std::vector<std::string> r = {
      ct(1000, "sts.amazonaws.com", "GetCallerIdentity", kUser, "", kIp),
      bed(1200, "GetModelInvocationLoggingConfiguration", "us-east-1", "null", "", kUser, ""),
      ct_invoke(1300, kUser, "", kIp, "anthropic.claude-v2", "probe-1", "us-east-1", "AccessDeniedException",
                "You don't have access to the model with the specified model ID.")};
  auto fs_c = go(r);
    auto c = with_rule(fs_c, "ai_changes.llmjacking_chain");
  REQUIRE(c.size() == 1);
  CHECK(c[0]->access_key_id.empty());
  INFO(c[0]->summary);
  CHECK(c[0]->summary.find("Principal " + std::string(kUser)) != std::string::npos);
  CHECK(c[0]->severity == Severity::kHigh);
}

TEST_CASE("ai_changes: the answer names the deleted guardrail and the model access granted",
          "[analyzer][ai_changes][quality]") {
  Profile prof;
  AnalyzerConfig cfg;
  cfg.profile = &prof;
  Coverage cov;
  cov.cloudtrail_events = 3;
  auto a = make_ai_changes(cfg);
  run(*a, {bed(100, "DeleteGuardrail", "us-east-1", R"({"guardrailIdentifier":"h7k2m9p4q1zx"})"),
           bed(50, "PutFoundationModelEntitlement", "us-east-1",
               R"({"modelId":"anthropic.claude-3-opus-20240229-v1:0"})"),
           // Near miss: a failed deletion is not a deletion.
           bed(200, "DeleteGuardrail", "us-east-1", R"({"guardrailIdentifier":"other00000001"})",
               R"(,"errorCode":"AccessDeniedException","errorMessage":"no")")});
  std::vector<QuestionAnswer> qa;
  a->answer(cov, qa);
  REQUIRE(qa.size() == 1);
  INFO(qa[0].explanation);
  CHECK(qa[0].explanation.find("Guardrail h7k2m9p4q1zx deleted at") != std::string::npos);
  CHECK(qa[0].explanation.find(std::string("(key ") + kKey + ")") != std::string::npos);
  CHECK(qa[0].explanation.find("Access to model anthropic.claude-3-opus-20240229-v1:0 enabled") != std::string::npos);
  CHECK(qa[0].explanation.find("other00000001") == std::string::npos);
}

namespace {

/// A successful Bedrock control-plane call with request and response elements.
std::string gr_call(long sec, std::string_view name, std::string_view req, std::string_view resp = "null",
                    std::string_view arn = kUser) {
  return fmt::format(
      R"({{"eventVersion":"1.10","userIdentity":{{"type":"IAMUser","arn":"{}","accountId":"111122223333","accessKeyId":"{}"}},)"
      R"("eventTime":"{}","eventSource":"bedrock.amazonaws.com","eventName":"{}","awsRegion":"us-east-1",)"
      R"("sourceIPAddress":"{}","userAgent":"ua/1.0","requestParameters":{},"responseElements":{},)"
      R"("requestID":"r-{}-{}","eventID":"ev-{}-{}","readOnly":false,"eventType":"AwsApiCall",)"
      R"("recipientAccountId":"111122223333"}})",
      arn, kKey, t_at(sec), name, kIp, req, resp, sec, name, sec, name);
}

constexpr const char* kFullPolicy =
    R"("contentPolicyConfig":{"filtersConfig":[{"type":"PROMPT_ATTACK","inputStrength":"HIGH","outputStrength":"NONE"},)"
    R"({"type":"HATE","inputStrength":"HIGH","outputStrength":"HIGH"}]},)"
    R"("topicPolicyConfig":{"topicsConfig":[{"name":"competitors","type":"DENY"}]},)"
    R"("contextualGroundingPolicyConfig":{"filtersConfig":[{"type":"GROUNDING","threshold":0.8}]})";

std::string update_guardrail(long sec, std::string_view body, std::string_view id = "gr7x2kq9ab1c") {
  return gr_call(sec, "UpdateGuardrail", fmt::format(R"({{"guardrailIdentifier":"{}","name":"g",{}}})", id, body));
}

std::string create_version(long sec, std::string_view version, std::string_view id = "gr7x2kq9ab1c") {
  return gr_call(sec, "CreateGuardrailVersion", fmt::format(R"({{"guardrailIdentifier":"{}"}})", id),
                 fmt::format(R"({{"guardrailId":"{}","version":"{}"}})", id, version));
}

std::string update_agent(long sec, std::string_view guardrail, std::string_view version) {
  return gr_call(sec, "UpdateAgent",
                 fmt::format(R"({{"agentId":"DQAGENT7XK","agentName":"docqa","guardrailConfiguration":)"
                             R"({{"guardrailIdentifier":"{}","guardrailVersion":"{}"}}}})",
                             guardrail, version));
}

}  // namespace

TEST_CASE("ai_changes: a weakened guardrail published and put in front of an agent", "[analyzer][ai_changes]") {
  const std::string weak =
      R"("contentPolicyConfig":{"filtersConfig":[{"type":"PROMPT_ATTACK","inputStrength":"NONE","outputStrength":"NONE"},)"
      R"({"type":"HATE","inputStrength":"NONE","outputStrength":"NONE"}]})";
  SECTION("weakened, published, the agent switched to the version: high, each step cited") {
    std::vector<std::string> recs = {gr_call(10, "CreateGuardrail", fmt::format(R"({{"name":"g",{}}})", kFullPolicy),
                                             R"({"guardrailId":"gr7x2kq9ab1c","version":"DRAFT"})"),
                                     update_guardrail(1000, weak), create_version(1100, "4"),
                                     // The agent by ARN, as the console does.
                                     update_agent(1200, "arn:aws:bedrock:us-east-1:111122223333:guardrail/gr7x2kq9ab1c", "4")};
    for (bool shuffle : {false, true}) {
      auto fs = go(recs, shuffle);
      auto c = with_rule(fs, "ai_changes.weakened_guardrail_deployed");
      REQUIRE(c.size() == 1);
      const Finding& f = *c[0];
      CHECK(f.severity == Severity::kHigh);
      CHECK(f.principal == kUser);
      CHECK(f.access_key_id == kKey);
      std::set<std::string> actions;
      for (const auto& e : f.evidence) actions.insert(e.action);
      CHECK(actions == std::set<std::string>{"UpdateGuardrail", "CreateGuardrailVersion", "UpdateAgent"});
      INFO(f.summary);
      CHECK(f.summary.find("gr7x2kq9ab1c") != std::string::npos);
      CHECK(f.summary.find("version 4") != std::string::npos);
      CHECK(f.summary.find("DQAGENT7XK") != std::string::npos);
      CHECK(f.summary.find("PROMPT_ATTACK") != std::string::npos);
      // What the update left out, against the configuration created earlier.
      CHECK(f.summary.find("topicPolicyConfig") != std::string::npos);
      CHECK(f.summary.find("contextualGroundingPolicyConfig") != std::string::npos);
    }
  }
  SECTION("weakened and published, no agent seen: medium") {
    auto fs = go({update_guardrail(1000, weak), create_version(1100, "4")});
    auto c = with_rule(fs, "ai_changes.weakened_guardrail_deployed");
    REQUIRE(c.size() == 1);
    CHECK(c[0]->severity == Severity::kMedium);
  }
  SECTION("an agent on the DRAFT of a guardrail weakened later: high") {
    auto fs = go({update_agent(500, "gr7x2kq9ab1c", "DRAFT"), update_guardrail(1000, weak)});
    auto c = with_rule(fs, "ai_changes.weakened_guardrail_deployed");
    REQUIRE(c.size() == 1);
    CHECK(c[0]->severity == Severity::kHigh);
  }
  SECTION("near misses") {
    auto none = [](const std::vector<std::string>& recs) {
      const auto fs = go(recs);
      return with_rule(fs, "ai_changes.weakened_guardrail_deployed").empty();
    };
    // A strengthening update, published and deployed.
    CHECK(none({update_guardrail(1000, kFullPolicy), create_version(1100, "4"), update_agent(1200, "gr7x2kq9ab1c", "4")}));
    // Weakened, but the version was published before the weakening and the agent uses it.
    CHECK(none({create_version(900, "3"), update_guardrail(1000, weak), update_agent(1200, "gr7x2kq9ab1c", "3")}));
    // Another guardrail weakened.
    CHECK(none({update_guardrail(1000, weak, "other0000001"), create_version(1100, "4"), update_agent(1200, "gr7x2kq9ab1c", "4")}));
    // Weakened, never published nor deployed: the single-event rules cover it.
    CHECK(none({update_guardrail(1000, weak)}));
  }
}
