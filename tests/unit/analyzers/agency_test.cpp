// SPDX-License-Identifier: Apache-2.0
// Tests of the Agency analyzer: actions taken by or through AI services.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <vector>

#include "analyzers/ai_principals.h"
#include "analyzers/ai_fixtures.h"
#include "analyzers/factories.h"
#include "support/test_events.h"

namespace {

using aiir::Answer;
using aiir::Finding;
using aiir::Severity;

constexpr const char* kAcct = "111122223333";

/// An assumed-role identity; `extra` is appended inside userIdentity.
std::string role_identity(std::string_view role, std::string_view session, std::string_view extra = "") {
  return fmt::format(
      R"({{"type":"AssumedRole","principalId":"AROAX:{1}","arn":"arn:aws:sts::{0}:assumed-role/{2}/{1}",)"
      R"("accountId":"{0}","accessKeyId":"ASIAEXAMPLE{2}","sessionContext":{{"sessionIssuer":{{"type":"Role",)"
      R"("arn":"arn:aws:iam::{0}:role/{2}","userName":"{2}"}},"attributes":{{"mfaAuthenticated":"false"}}}}{3}}})",
      kAcct, session, role, extra);
}

std::string user_identity(std::string_view user) {
  return fmt::format(
      R"({{"type":"IAMUser","principalId":"AIDAX","arn":"arn:aws:iam::{0}:user/{1}","accountId":"{0}",)"
      R"("accessKeyId":"AKIAEXAMPLE","userName":"{1}"}})",
      kAcct, user);
}

/// One CloudTrail record on one line.
std::string ct(std::string_view time, std::string_view source, std::string_view name, std::string_view identity,
               std::string_view request = "null", std::string_view extra = "") {
  static int counter = 0;
  return fmt::format(
      R"({{"eventVersion":"1.10","eventTime":"{0}","eventSource":"{1}","eventName":"{2}","awsRegion":"us-east-1",)"
      R"("sourceIPAddress":"10.0.0.5","userAgent":"Boto3/1.35.0","userIdentity":{3},"requestParameters":{4},)"
      R"("eventID":"ev-{5}-{2}","requestID":"rq-{5}","eventType":"AwsApiCall","recipientAccountId":"{6}"{7}}})",
      time, source, name, identity, request, ++counter, kAcct, extra);
}

std::string lines(const std::vector<std::string>& records) {
  std::string out;
  for (const auto& r : records) out += r + "\n";
  return out;
}

struct Run {
  aiir::FindingList findings;
  std::vector<aiir::QuestionAnswer> answers;
};

/// shared: the AI principals are learned outside the analyzer, as `aiir scan`
/// does (AnalyzerConfig::ai), instead of by its own.
Run run_once(bool shared, const std::string& jsonl, const aiir::Profile& profile, aiir::Coverage coverage,
             std::int64_t baseline_until, bool reversed) {
  aiir::AnalyzerConfig config;
  config.profile = &profile;
  aiir::detail::AiPrincipals ai(profile);
  if (shared) config.ai = &ai;
  config.baseline_until_ms = baseline_until;
  auto analyzer = aiir::make_agency(config);
  auto fixture = aiir::testing::events_from_json(jsonl, "agency.jsonl");
  Run r;
  // Reversed: the same records (same file and record numbers) delivered in another order.
  if (reversed) std::reverse(fixture.events.begin(), fixture.events.end());
  for (auto& e : fixture.events) {
    if (shared) ai.learn(e);
    analyzer->on_event(e, r.findings);
  }
  // on_event never emits; everything comes out of finish(), in time order.
  REQUIRE(r.findings.findings.empty());
  if (shared) ai.resolve();
  analyzer->finish(r.findings);
  if (coverage.cloudtrail_events == 0) coverage.cloudtrail_events = fixture.events.size();
  analyzer->answer(coverage, r.answers);
  return r;
}

/// Runs the analyzer with its own AI principals and with shared ones; both
/// must give the same findings and answers.
Run run(const std::string& jsonl, const aiir::Profile& profile = {}, aiir::Coverage coverage = {},
        std::int64_t baseline_until = 0, bool reversed = false) {
  Run own = run_once(false, jsonl, profile, coverage, baseline_until, reversed);
  Run shared = run_once(true, jsonl, profile, coverage, baseline_until, reversed);
  aiir::testing::check_same_runs(own.findings, own.answers, shared.findings, shared.answers);
  return own;
}

std::vector<const Finding*> with_rule(const Run& r, std::string_view rule) {
  std::vector<const Finding*> out;
  for (const auto& f : r.findings.findings)
    if (f.rule == rule) out.push_back(&f);
  return out;
}

std::string detail(const Finding& f, std::string_view key) {
  for (const auto& [k, v] : f.details)
    if (k == key) return v;
  return {};
}

const aiir::QuestionAnswer& answer_of(const Run& r, std::string_view id) {
  for (const auto& q : r.answers)
    if (q.id == id) return q;
  FAIL("no answer " << id);
  return r.answers.front();
}

const std::string kSesRequest =
    R"({"source":"app@example.com","destination":{"toAddresses":["victim1@example.org","victim2@example.org"]}})";

}  // namespace

TEST_CASE("agency: email sent through Bedrock (invokedBy) is reported with recipients", "[analyzer][agency]") {
  auto r = run(lines({
      ct("2024-05-01T10:00:00Z", "ses.amazonaws.com", "SendEmail",
         role_identity("AppRole", "s1", R"(,"invokedBy":"bedrock.amazonaws.com")"), kSesRequest),
      ct("2024-05-01T10:01:00Z", "ses.amazonaws.com", "SendEmail",
         role_identity("AppRole", "s1", R"(,"invokedBy":"bedrock.amazonaws.com")"), kSesRequest),
  }));
  auto f = with_rule(r, "agency.email_sent_by_ai");
  REQUIRE(f.size() == 1);
  CHECK(f[0]->count == 2);
  CHECK(f[0]->severity == Severity::kMedium);
  CHECK(f[0]->element == aiir::Element::kAgency);
  CHECK(f[0]->principal == "arn:aws:iam::111122223333:role/AppRole");
  CHECK(detail(*f[0], "targets") == "victim1@example.org, victim2@example.org");
  CHECK(f[0]->summary.find("ses:SendEmail x2") != std::string::npos);
  CHECK(f[0]->evidence.size() == 2);
  CHECK(f[0]->tags.owasp_llm == std::vector<std::string>{"LLM06:2025"});
  CHECK(answer_of(r, "agency.can_act").answer == Answer::kYes);
}

TEST_CASE("agency: the same email by a human user is not agency", "[analyzer][agency]") {
  auto r = run(lines({
      ct("2024-05-01T10:00:00Z", "ses.amazonaws.com", "SendEmail", user_identity("alice"), kSesRequest),
      // A role session with no AI link at all.
      ct("2024-05-01T10:00:00Z", "ses.amazonaws.com", "SendEmail", role_identity("MailerRole", "m1"), kSesRequest),
      // Implicit call made by another AWS service for the app role: not an action it chose.
      ct("2024-05-01T10:00:00Z", "kms.amazonaws.com", "Decrypt",
         role_identity("AppRole", "s1", R"(,"invokedBy":"s3.amazonaws.com")")),
  }));
  CHECK(r.findings.findings.empty());
  CHECK(answer_of(r, "agency.can_act").answer == Answer::kNotFound);
  CHECK(answer_of(r, "agency.unauthorized_actions").answer == Answer::kNotFound);
}

TEST_CASE("agency: sourceIPAddress of a Bedrock service marks the call", "[analyzer][agency]") {
  std::string rec = ct("2024-05-01T10:00:00Z", "sns.amazonaws.com", "Publish", role_identity("AppRole", "s1"),
                       R"({"topicArn":"arn:aws:sns:us-east-1:111122223333:alerts"})");
  // Replace the client IP by the service name.
  rec.replace(rec.find("10.0.0.5"), 8, "bedrock.amazonaws.com");
  auto r = run(lines({rec}));
  auto f = with_rule(r, "agency.sns_publish_by_ai");
  REQUIRE(f.size() == 1);
  CHECK(detail(*f[0], "targets") == "arn:aws:sns:us-east-1:111122223333:alerts");
  CHECK(detail(*f[0], "ai_link").find("sourceIPAddress") != std::string::npos);
}

TEST_CASE("agency: action-group Lambda learned later in input order makes its IAM calls agency",
          "[analyzer][agency]") {
  const std::string lambda_scope =
      R"(,"inScopeOf":{"issuerType":"AWS::Lambda::Function","credentialsIssuedTo":"arn:aws:lambda:us-east-1:111122223333:function:order-tool"})";
  auto r = run(lines({
      // The tool Lambda's role creates an access key: before the action group appears in the input.
      ct("2024-05-02T09:00:00Z", "iam.amazonaws.com", "CreateAccessKey",
         role_identity("ToolRole", "order-tool", lambda_scope), R"({"userName":"admin"})"),
      // Another Lambda (not an agent tool) doing the same: not agency.
      ct("2024-05-02T09:00:00Z", "iam.amazonaws.com", "CreateAccessKey",
         role_identity("BatchRole", "batch-job",
                       R"(,"inScopeOf":{"issuerType":"AWS::Lambda::Function","credentialsIssuedTo":"arn:aws:lambda:us-east-1:111122223333:function:batch-job"})"),
         R"({"userName":"ops"})"),
      ct("2024-05-01T08:00:00Z", "bedrock.amazonaws.com", "CreateAgentActionGroup", user_identity("builder"),
         R"({"agentId":"A1","actionGroupExecutor":{"lambda":"arn:aws:lambda:us-east-1:111122223333:function:order-tool"}})"),
  }));
  auto f = with_rule(r, "agency.iam_change_by_ai");
  REQUIRE(f.size() == 1);
  CHECK(f[0]->severity == Severity::kHigh);
  CHECK(f[0]->principal == "arn:aws:iam::111122223333:role/ToolRole");
  CHECK(detail(*f[0], "targets") == "admin");
  CHECK(detail(*f[0], "ai_link").find("order-tool") != std::string::npos);
  CHECK(answer_of(r, "agency.unauthorized_actions").answer == Answer::kYes);
}

TEST_CASE("agency: a role whose session is named after an action-group Lambda acts for the agent",
          "[analyzer][agency]") {
  auto r = run(lines({
      ct("2024-05-01T08:00:00Z", "bedrock.amazonaws.com", "UpdateAgentActionGroup", user_identity("builder"),
         R"({"actionGroupExecutor":{"lambda":"arn:aws:lambda:us-east-1:111122223333:function:mail-tool:3"}})"),
      // Older record without inScopeOf: Lambda sessions are named after the function.
      ct("2024-05-01T09:00:00Z", "ec2.amazonaws.com", "RunInstances", role_identity("MailToolRole", "mail-tool"),
         R"({"instanceType":"p4d.24xlarge"})"),
      // Same role, another session: still the tool's role.
      ct("2024-05-01T09:05:00Z", "ec2.amazonaws.com", "AuthorizeSecurityGroupIngress",
         role_identity("MailToolRole", "other"), R"({"groupId":"sg-1"})"),
  }));
  auto run_f = with_rule(r, "agency.compute_start_by_ai");
  REQUIRE(run_f.size() == 1);
  CHECK(detail(*run_f[0], "targets") == "p4d.24xlarge");
  REQUIRE(with_rule(r, "agency.network_change_by_ai").size() == 1);
}

TEST_CASE("agency: a Lambda that Bedrock invokes is the agent's tool, though no action-group change is in the logs",
          "[analyzer][agency]") {
  const std::string scope =
      R"(,"inScopeOf":{"issuerType":"AWS::Lambda::Function","credentialsIssuedTo":"arn:aws:lambda:us-east-1:111122223333:function:ops-helper"})";
  const std::string bedrock_svc =
      R"({"type":"AWSService","invokedBy":"bedrock.amazonaws.com"})";
  auto launch = ct("2024-05-01T09:00:00Z", "ec2.amazonaws.com", "RunInstances",
                   role_identity("OpsHelperRole", "ops-helper-session", scope), R"({"instanceType":"p4d.24xlarge"})");
  SECTION("invoked by Bedrock (a Lambda data event): its role acts for the agent") {
    auto r = run(lines({ct("2024-05-01T08:59:00Z", "lambda.amazonaws.com", "Invoke", bedrock_svc,
                           R"({"functionName":"arn:aws:lambda:us-east-1:111122223333:function:ops-helper"})",
                           R"(,"eventCategory":"Data","managementEvent":false)"),
                        launch}));
    auto f = with_rule(r, "agency.compute_start_by_ai");
    REQUIRE(f.size() == 1);
    CHECK(f[0]->principal == "arn:aws:iam::111122223333:role/OpsHelperRole");
  }
  SECTION("near miss: the same Lambda invoked by a person") {
    auto r = run(lines({ct("2024-05-01T08:59:00Z", "lambda.amazonaws.com", "Invoke", user_identity("dev"),
                           R"({"functionName":"ops-helper"})", R"(,"eventCategory":"Data","managementEvent":false)"),
                        launch}));
    CHECK(with_rule(r, "agency.compute_start_by_ai").empty());
  }
}

TEST_CASE("agency: the tool-named session is found among interleaved roles and sessions", "[analyzer][agency]") {
  auto r = run(lines({
      ct("2024-05-01T08:00:00Z", "bedrock.amazonaws.com", "UpdateAgentActionGroup", user_identity("builder"),
         R"({"actionGroupExecutor":{"lambda":"arn:aws:lambda:us-east-1:111122223333:function:mail-tool:3"}})"),
      ct("2024-05-01T09:00:00Z", "ec2.amazonaws.com", "RunInstances", role_identity("MailToolRole", "s2"),
         R"({"instanceType":"p4d.24xlarge"})"),
      // Near miss: another role, whose sessions are not named after a tool.
      ct("2024-05-01T09:01:00Z", "ec2.amazonaws.com", "RunInstances", role_identity("OpsRole", "s12"),
         R"({"instanceType":"p4d.24xlarge"})"),
      // The sessions, the tool-named one among others of both roles.
      ct("2024-05-01T09:10:00Z", "sts.amazonaws.com", "GetCallerIdentity", role_identity("MailToolRole", "s1"), "{}"),
      ct("2024-05-01T09:11:00Z", "sts.amazonaws.com", "GetCallerIdentity", role_identity("OpsRole", "s9"), "{}"),
      ct("2024-05-01T09:12:00Z", "sts.amazonaws.com", "GetCallerIdentity", role_identity("OpsRole", "s10"), "{}"),
      ct("2024-05-01T09:13:00Z", "sts.amazonaws.com", "GetCallerIdentity", role_identity("MailToolRole", "mail-tool"),
         "{}"),
      ct("2024-05-01T09:14:00Z", "sts.amazonaws.com", "GetCallerIdentity", role_identity("OpsRole", "s11"), "{}"),
  }));
  auto run_f = with_rule(r, "agency.compute_start_by_ai");
  REQUIRE(run_f.size() == 1);
  CHECK(run_f[0]->principal.find("MailToolRole") != std::string::npos);
}

TEST_CASE("agency: profile allowed_actions split allowed from unauthorized", "[analyzer][agency]") {
  aiir::Profile profile;
  profile.loaded = true;
  profile.app_principals.push_back({"arn:aws:iam::111122223333:role/App*", {"bedrock:Invoke*", "ses:SendEmail"}});
  auto r = run(lines({
                   ct("2024-05-01T10:00:00Z", "ses.amazonaws.com", "SendEmail", role_identity("AppRole", "s1"),
                      kSesRequest),
                   ct("2024-05-01T10:05:00Z", "iam.amazonaws.com", "CreateUser", role_identity("AppRole", "s1"),
                      R"({"userName":"backdoor"})"),
                   ct("2024-05-01T10:06:00Z", "lambda.amazonaws.com", "UpdateFunctionCode20150331v2",
                      role_identity("AppRole", "s1"), R"({"functionName":"f1"})",
                      R"(,"errorCode":"AccessDenied","errorMessage":"no")"),
                   // Near-miss: another role with the same call is not an app principal.
                   ct("2024-05-01T10:05:00Z", "iam.amazonaws.com", "CreateUser", role_identity("Ops", "s2"),
                      R"({"userName":"x"})"),
               }),
               profile);
  auto allowed = with_rule(r, "agency.allowed_action_by_ai");
  REQUIRE(allowed.size() == 1);
  CHECK(allowed[0]->severity == Severity::kInfo);
  CHECK(with_rule(r, "agency.email_sent_by_ai").empty());
  auto outside = with_rule(r, "agency.action_outside_allowed");
  REQUIRE(outside.size() == 2);
  std::sort(outside.begin(), outside.end(),
            [](const Finding* a, const Finding* b) { return detail(*a, "family") < detail(*b, "family"); });
  CHECK(detail(*outside[0], "family") == "iam_change");
  CHECK(outside[0]->severity == Severity::kHigh);
  CHECK(outside[0]->principal == "arn:aws:iam::111122223333:role/AppRole");
  CHECK(detail(*outside[1], "family") == "lambda_change");
  CHECK(outside[1]->severity == Severity::kMedium);  // every call was denied
  CHECK(outside[1]->summary.find("lambda:UpdateFunctionCode20150331v2") == std::string::npos);
  CHECK(outside[1]->summary.find("lambda:UpdateFunctionCode x1 (1 failed)") != std::string::npos);
  CHECK(answer_of(r, "agency.unauthorized_actions").answer == Answer::kYes);
}

TEST_CASE("agency: allowed-only activity answers no when coverage is complete", "[analyzer][agency]") {
  aiir::Profile profile;
  profile.loaded = true;
  profile.app_principals.push_back({"arn:aws:iam::111122223333:role/AppRole", {"ses:Send*"}});
  aiir::Coverage cov;
  cov.cloudtrail_events = 10;
  cov.lambda_data_events = 3;
  cov.s3_data_events = 3;
  cov.profile_loaded = true;
  auto r = run(lines({ct("2024-05-01T10:00:00Z", "ses.amazonaws.com", "SendEmail", role_identity("AppRole", "s1"),
                         kSesRequest)}),
               profile, cov);
  CHECK(answer_of(r, "agency.unauthorized_actions").answer == Answer::kNo);
  cov.lambda_data_events = 0;
  auto r2 = run(lines({ct("2024-05-01T10:00:00Z", "ses.amazonaws.com", "SendEmail", role_identity("AppRole", "s1"),
                          kSesRequest)}),
                profile, cov);
  const auto& q = answer_of(r2, "agency.unauthorized_actions");
  CHECK(q.answer == Answer::kNotFound);
  CHECK(q.explanation.find("Lambda data events") != std::string::npos);
}

namespace {
/// Baseline: 2 publishes per hour for 10 hours; then `burst` publishes in one hour.
std::vector<std::string> publish_series(int burst) {
  std::vector<std::string> recs;
  const std::string id = role_identity("AppRole", "s1", R"(,"invokedBy":"bedrock.amazonaws.com")");
  for (int h = 0; h < 10; ++h)
    for (int i = 0; i < 2; ++i)
      recs.push_back(ct(fmt::format("2024-05-01T{:02}:{:02}:00Z", h, i * 10), "sns.amazonaws.com", "Publish", id,
                        R"({"topicArn":"arn:aws:sns:us-east-1:111122223333:t"})"));
  for (int i = 0; i < burst; ++i)
    recs.push_back(ct(fmt::format("2024-05-03T12:{:02}:{:02}Z", i / 60, i % 60), "sns.amazonaws.com", "Publish", id,
                      R"({"topicArn":"arn:aws:sns:us-east-1:111122223333:t"})"));
  return recs;
}
}  // namespace

TEST_CASE("agency: burst of actions against the principal's own baseline", "[analyzer][agency]") {
  auto r = run(lines(publish_series(60)));
  auto f = with_rule(r, "agency.action_burst");
  REQUIRE(f.size() == 1);
  CHECK(f[0]->count == 60);
  CHECK(f[0]->severity == Severity::kHigh);
  CHECK(detail(*f[0], "baseline_peak_per_hour") == "2");
  CHECK(detail(*f[0], "family") == "sns_publish");
  CHECK(f[0]->first_seen_ms < f[0]->last_seen_ms);

  auto quiet = run(lines(publish_series(8)));  // near-miss: busier, but no burst
  CHECK(with_rule(quiet, "agency.action_burst").empty());
}

TEST_CASE("agency: first-time action types after the baseline", "[analyzer][agency]") {
  const std::string id = role_identity("AppRole", "s1", R"(,"invokedBy":"bedrock.amazonaws.com")");
  std::vector<std::string> recs;
  for (int d = 1; d <= 9; ++d)
    recs.push_back(ct(fmt::format("2024-05-0{}T10:00:00Z", d), "dynamodb.amazonaws.com", "GetItem", id,
                      R"({"tableName":"orders"})"));
  recs.push_back(ct("2024-05-09T11:00:00Z", "sqs.amazonaws.com", "SendMessage", id));
  auto r = run(lines(recs));
  auto f = with_rule(r, "agency.new_action_after_baseline");
  REQUIRE(f.size() == 1);
  CHECK(detail(*f[0], "family") == "other:sqs");
  CHECK(f[0]->severity == Severity::kInfo);  // a new ordinary action type is information, not an answer

  // Near-miss: the same action already used during the baseline.
  recs.push_back(ct("2024-05-01T11:00:00Z", "sqs.amazonaws.com", "SendMessage", id));
  auto r2 = run(lines(recs));
  CHECK(with_rule(r2, "agency.new_action_after_baseline").empty());
}

TEST_CASE("agency: a tool attached to an agent after the baseline acts for the first time", "[analyzer][agency]") {
  // The agent's lookup tool since day 1; on day 9 its action group is re-pointed
  // at a Lambda that e-mails; that Lambda's role then sends mail.
  std::vector<std::string> recs;
  recs.push_back(ct("2024-05-01T08:00:00Z", "bedrock.amazonaws.com", "CreateAgentActionGroup", user_identity("builder"),
                    R"({"actionGroupExecutor":{"lambda":"arn:aws:lambda:us-east-1:111122223333:function:lookup"}})"));
  for (int d = 1; d <= 9; ++d)
    recs.push_back(ct(fmt::format("2024-05-0{}T10:00:00Z", d), "dynamodb.amazonaws.com", "GetItem",
                      role_identity("LookupRole", "lookup"), R"({"tableName":"orders"})"));
  auto repoint = [&](std::string_view time) {
    return ct(time, "bedrock.amazonaws.com", "UpdateAgentActionGroup", user_identity("svc-kb-sync"),
              R"({"actionGroupExecutor":{"lambda":"arn:aws:lambda:us-east-1:111122223333:function:ses-notify"}})");
  };
  auto mail = ct("2024-05-09T12:00:00Z", "ses.amazonaws.com", "SendEmail", role_identity("NotifyRole", "ses-notify"),
                 R"({"source":"hr@example.com","destination":{"toAddresses":["hr-archive@example.net"]}})");
  SECTION("attached after the baseline: the new tool's e-mail answers the unauthorized-actions question") {
    std::vector<std::string> all = recs;
    all.push_back(repoint("2024-05-09T11:00:00Z"));
    all.push_back(mail);
    for (bool reversed : {false, true}) {
      auto r = run(lines(all), {}, {}, 0, reversed);
      auto f = with_rule(r, "agency.new_action_after_baseline");
      REQUIRE(f.size() == 1);
      CHECK(f[0]->principal == "arn:aws:iam::111122223333:role/NotifyRole");
      CHECK(f[0]->severity >= Severity::kMedium);
      CHECK(f[0]->summary.find("ses-notify") != std::string::npos);
      CHECK(answer_of(r, "agency.unauthorized_actions").answer == Answer::kYes);
    }
  }
  SECTION("near miss: the same tool attached during the baseline") {
    std::vector<std::string> all = recs;
    all.push_back(repoint("2024-05-01T09:00:00Z"));
    all.push_back(mail);
    auto r = run(lines(all));
    CHECK(with_rule(r, "agency.new_action_after_baseline").empty());
  }
}

TEST_CASE("agency: model invocations are not actions", "[analyzer][agency]") {
  auto r = run(lines({ct("2024-05-01T10:00:00Z", "bedrock.amazonaws.com", "InvokeModel",
                         role_identity("AmazonBedrockExecutionRoleForAgents_X", "s"),
                         R"({"modelId":"anthropic.claude-3-haiku"})")}));
  CHECK(r.findings.findings.empty());
}

TEST_CASE("agency: agent invoking its own action-group Lambda is info", "[analyzer][agency]") {
  auto r = run(lines({
      ct("2024-05-01T08:00:00Z", "bedrock.amazonaws.com", "CreateAgentActionGroup", user_identity("builder"),
         R"({"actionGroupExecutor":{"lambda":"arn:aws:lambda:us-east-1:111122223333:function:order-tool"}})"),
      ct("2024-05-01T09:00:00Z", "lambda.amazonaws.com", "Invoke",
         R"({"type":"AWSService","invokedBy":"bedrock.amazonaws.com"})",
         R"({"functionName":"arn:aws:lambda:us-east-1:111122223333:function:order-tool"})",
         R"(,"eventCategory":"Data","managementEvent":false)"),
      ct("2024-05-01T09:00:00Z", "lambda.amazonaws.com", "Invoke",
         R"({"type":"AWSService","invokedBy":"bedrock-agentcore.amazonaws.com"})",
         R"({"functionName":"arn:aws:lambda:us-east-1:111122223333:function:payments"})",
         R"(,"eventCategory":"Data","managementEvent":false)"),
  }));
  auto f = with_rule(r, "agency.lambda_invoke_by_ai");
  REQUIRE(f.size() == 2);
  std::sort(f.begin(), f.end(), [](const Finding* a, const Finding* b) { return a->principal < b->principal; });
  CHECK(f[0]->principal == "bedrock-agentcore.amazonaws.com");
  CHECK(f[0]->severity == Severity::kLow);
  CHECK(detail(*f[0], "targets") == "payments");
  CHECK(f[1]->principal == "bedrock.amazonaws.com");
  CHECK(f[1]->severity == Severity::kInfo);
}

TEST_CASE("agency: a foreign Lambda after twenty own ones is not the agent's own tool", "[analyzer][agency]") {
  // As many targets as an action keeps (20), all the agent's own tools: info.
  // One more, not an action-group Lambda, must count even though the cap
  // leaves it out of the list.
  auto invoke = [](std::string_view fn) {
    return ct("2024-05-01T09:00:00Z", "lambda.amazonaws.com", "Invoke",
              R"({"type":"AWSService","invokedBy":"bedrock.amazonaws.com"})",
              fmt::format(R"({{"functionName":"arn:aws:lambda:us-east-1:111122223333:function:{}"}})", fn),
              R"(,"eventCategory":"Data","managementEvent":false)");
  };
  std::vector<std::string> recs;
  for (int i = 0; i < 20; ++i) {
    const std::string fn = fmt::format("tool-{:02}", i);
    recs.push_back(ct("2024-05-01T08:00:00Z", "bedrock.amazonaws.com", "CreateAgentActionGroup", user_identity("builder"),
                      fmt::format(R"({{"actionGroupExecutor":{{"lambda":"arn:aws:lambda:us-east-1:111122223333:function:{}"}}}})", fn)));
    recs.push_back(invoke(fn));
  }
  auto own = run(lines(recs));
  auto f = with_rule(own, "agency.lambda_invoke_by_ai");
  REQUIRE(f.size() == 1);
  CHECK(f[0]->severity == Severity::kInfo);  // near miss: all 20 are the agent's own tools
  CHECK(detail(*f[0], "targets_truncated").empty());
  recs.push_back(invoke("payments"));
  auto mixed = run(lines(recs));
  f = with_rule(mixed, "agency.lambda_invoke_by_ai");
  REQUIRE(f.size() == 1);
  CHECK(f[0]->severity > Severity::kInfo);
  CHECK(detail(*f[0], "targets_truncated") == "true");
}

TEST_CASE("agency: malformed fields do not break the analyzer", "[analyzer][agency]") {
  auto r = run(lines({
      // destination is a string, toAddresses a number, inScopeOf a number.
      ct("2024-05-01T10:00:00Z", "ses.amazonaws.com", "SendEmail",
         role_identity("AppRole", "s1", R"(,"invokedBy":"bedrock.amazonaws.com","inScopeOf":7)"),
         R"({"destination":"oops","destinations":[1,null,"x@example.org"]})"),
      // actionGroupExecutor of the wrong type.
      ct("2024-05-01T08:00:00Z", "bedrock.amazonaws.com", "CreateAgentActionGroup", user_identity("b"),
         R"({"actionGroupExecutor":["arn"]})"),
      // No userIdentity at all, and a userIdentity that is a string.
      R"({"eventTime":"2024-05-01T10:00:00Z","eventSource":"iam.amazonaws.com","eventName":"CreateUser"})",
      R"({"eventTime":"2024-05-01T10:00:00Z","eventSource":"iam.amazonaws.com","eventName":"CreateUser","userIdentity":"x"})",
  }));
  auto f = with_rule(r, "agency.email_sent_by_ai");
  REQUIRE(f.size() == 1);
  CHECK(detail(*f[0], "targets") == "x@example.org");
  CHECK(r.findings.findings.size() == 1);
}

TEST_CASE("agency: results do not depend on input order", "[analyzer][agency]") {
  auto recs = publish_series(40);
  recs.push_back(ct("2024-05-01T08:00:00Z", "bedrock.amazonaws.com", "CreateAgentActionGroup",
                    user_identity("builder"),
                    R"({"actionGroupExecutor":{"lambda":"arn:aws:lambda:us-east-1:111122223333:function:t"}})"));
  recs.push_back(ct("2024-05-04T08:00:00Z", "iam.amazonaws.com", "AttachRolePolicy", role_identity("TRole", "t"),
                    R"({"roleName":"TRole","policyArn":"arn:aws:iam::aws:policy/AdministratorAccess"})"));
  recs.push_back(ct("2024-05-04T08:00:00Z", "ses.amazonaws.com", "SendRawEmail", role_identity("TRole", "t"),
                    R"({"destinations":["a@example.org"]})"));
  auto forward = run(lines(recs));
  auto backward = run(lines(recs), {}, {}, 0, true);
  auto digest = [](const Run& r) {
    std::vector<std::string> out;
    for (const auto& f : r.findings.findings)
      out.push_back(fmt::format("{}|{}|{}|{}|{}|{}", f.id(), f.rule, f.summary, f.count, f.first_seen_ms,
                                f.evidence.size()));
    std::sort(out.begin(), out.end());
    return out;
  };
  REQUIRE(forward.findings.findings.size() >= 4);
  CHECK(digest(forward) == digest(backward));
}

TEST_CASE("agency: answers without CloudTrail cannot tell", "[analyzer][agency]") {
  aiir::Profile profile;
  aiir::AnalyzerConfig config;
  config.profile = &profile;
  auto analyzer = aiir::make_agency(config);
  aiir::FindingList sink;
  analyzer->finish(sink);
  std::vector<aiir::QuestionAnswer> answers;
  aiir::Coverage cov;
  cov.invocation_records = 5;
  analyzer->answer(cov, answers);
  REQUIRE(answers.size() == 2);
  for (const auto& q : answers) {
    CHECK(q.answer == Answer::kCannotTell);
    CHECK_FALSE(q.rules.empty());
    CHECK(q.id.starts_with("agency."));
  }
}

TEST_CASE("agency: service-linked roles created by Bedrock are not IAM changes", "[analyzer][agency]") {
  auto r = run(lines({ct("2024-05-01T10:00:00Z", "iam.amazonaws.com", "CreateServiceLinkedRole",
                         R"({"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/admin","invokedBy":"bedrock.amazonaws.com"})",
                         R"({"aWSServiceName":"bedrock.amazonaws.com"})")}));
  CHECK(with_rule(r, "agency.iam_change_by_ai").empty());
  for (const auto& f : r.findings.findings) CHECK(f.severity < Severity::kHigh);
}

namespace {

/// An application role that uses a model every day (the baseline), then sends
/// one e-mail to `to` on the last day.
std::vector<std::string> app_role_then_email(std::string_view role, std::string_view to, bool converse = true) {
  const std::string id = role_identity(role, "handler");
  std::vector<std::string> recs;
  for (int d = 1; d <= 9; ++d)
    recs.push_back(ct(fmt::format("2024-05-0{}T10:00:00Z", d), "bedrock.amazonaws.com",
                      converse ? "Converse" : "DescribeThing", id,
                      R"({"modelId":"anthropic.claude-3-5-sonnet-20240620-v1:0"})"));
  recs.push_back(ct("2024-05-09T16:09:05Z", "ses.amazonaws.com", "SendEmail", id,
                    fmt::format(R"({{"fromEmailAddress":"support@example.com","destination":{{"toAddresses":["{}"]}}}})",
                                to)));
  return recs;
}

}  // namespace

TEST_CASE("agency: without a profile, a role that calls the Bedrock runtime is an AI principal",
          "[analyzer][agency][quality]") {
  auto r = run(lines(app_role_then_email("support-assistant-lambda-role", "acct-review@billing-verify.example")));
  auto f = with_rule(r, "agency.new_action_after_baseline");
  REQUIRE(f.size() == 1);
  CHECK(f[0]->severity == Severity::kHigh);  // e-mail never sent before: the application's behaviour changed
  CHECK(f[0]->principal == "arn:aws:iam::111122223333:role/support-assistant-lambda-role");
  CHECK(detail(*f[0], "family") == "email");
  CHECK(detail(*f[0], "external_recipients") == "acct-review@billing-verify.example");
  CHECK(f[0]->summary.find("acct-review@billing-verify.example") != std::string::npos);
  CHECK(detail(*f[0], "ai_link").find("Bedrock runtime") != std::string::npos);
  // No second finding for the same e-mail under the family rule.
  CHECK(with_rule(r, "agency.email_sent_by_ai").empty());
  const auto& can = answer_of(r, "agency.can_act");
  CHECK(can.answer == Answer::kYes);
  CHECK(can.explanation.find("Bedrock runtime") != std::string::npos);
  const auto& unauth = answer_of(r, "agency.unauthorized_actions");
  CHECK(unauth.answer == Answer::kYes);
  CHECK(unauth.explanation.find("acct-review@billing-verify.example") != std::string::npos);
  CHECK(std::find(unauth.rules.begin(), unauth.rules.end(), "agency.new_action_after_baseline") != unauth.rules.end());

  // Near miss: a role that never uses the Bedrock runtime is not an AI principal.
  auto quiet = run(lines(app_role_then_email("billing-batch-role", "a@billing-verify.example", false)));
  CHECK(with_rule(quiet, "agency.new_action_after_baseline").empty());
  CHECK(with_rule(quiet, "agency.email_sent_by_ai").empty());

  // Near miss: a person's Identity Center permission-set role trying a model
  // (a red team's tool, the console playground) is not an application.
  auto person = run(lines(app_role_then_email("AWSReservedSSO_PurpleTeam_0123456789abcdef", "a@billing-verify.example")));
  CHECK(with_rule(person, "agency.new_action_after_baseline").empty());
  CHECK(with_rule(person, "agency.email_sent_by_ai").empty());
  // Near miss: the same role's model calls made from the console.
  std::vector<std::string> console = app_role_then_email("DataScientist", "a@billing-verify.example");
  for (std::size_t i = 0; i + 1 < console.size(); ++i) {
    console[i].pop_back();
    console[i] += R"(,"sessionCredentialFromConsole":"true"})";
  }
  auto playground = run(lines(console));
  CHECK(with_rule(playground, "agency.new_action_after_baseline").empty());

  // Near miss: a recipient in the sender's own domain is not "external".
  auto internal = run(lines(app_role_then_email("support-assistant-lambda-role", "billing@mail.example.com")));
  auto fi = with_rule(internal, "agency.new_action_after_baseline");
  REQUIRE(fi.size() == 1);
  CHECK(detail(*fi[0], "external_recipients").empty());
}

TEST_CASE("agency: a role whose model calls all came from the AWS CLI is a person's, not an AI application",
          "[analyzer][agency][quality]") {
  const std::string sdk = R"("userAgent":"Boto3/1.35.0")";
  const std::string cli = R"("userAgent":"aws-cli/2.17.20 md/command#bedrock-runtime.converse")";
  // The role's Converse calls made with the AWS CLI (the e-mail with the SDK, not a model call).
  auto with_cli = [&](std::vector<std::string> recs) {
    for (std::size_t i = 0; i + 1 < recs.size(); ++i) recs[i].replace(recs[i].find(sdk), sdk.size(), cli);
    return recs;
  };
  // The same calls as the invocation logs record them (no client there).
  auto logged = [](std::string_view role) {
    std::vector<std::string> recs;
    for (int d = 1; d <= 9; ++d)
      recs.push_back(fmt::format(
          R"({{"schemaType":"ModelInvocationLog","schemaVersion":"1.0","timestamp":"2024-05-0{}T10:00:01Z",)"
          R"("accountId":"{}","identity":{{"arn":"arn:aws:sts::{}:assumed-role/{}/handler"}},"region":"us-east-1",)"
          R"("requestId":"rq-log-{}","operation":"Converse","modelId":"anthropic.claude-3-5-sonnet-20240620-v1:0",)"
          R"("input":{{"inputTokenCount":10}},"output":{{"outputTokenCount":10}}}})",
          d, kAcct, kAcct, role, d));
    return recs;
  };
  SECTION("near miss: the AWS CLI, in CloudTrail alone or with the invocation logs") {
    auto cli_only = with_cli(app_role_then_email("ml-sandbox-access", "a@billing-verify.example"));
    auto r = run(lines(cli_only));
    CHECK(with_rule(r, "agency.new_action_after_baseline").empty());
    CHECK(with_rule(r, "agency.email_sent_by_ai").empty());
    auto both = cli_only;
    for (auto& x : logged("ml-sandbox-access")) both.push_back(x);
    auto r2 = run(lines(both));
    CHECK(with_rule(r2, "agency.new_action_after_baseline").empty());
    CHECK(with_rule(r2, "agency.email_sent_by_ai").empty());
  }
  SECTION("an application: an SDK's calls, also beside a person's CLI calls, or invocation logs alone") {
    auto mixed = with_cli(app_role_then_email("support-assistant-lambda-role", "acct-review@billing-verify.example"));
    mixed.front().replace(mixed.front().find(cli), cli.size(), sdk);  // one call from the application
    CHECK(with_rule(run(lines(mixed)), "agency.new_action_after_baseline").size() == 1);
    std::vector<std::string> only_logs = logged("support-assistant-lambda-role");
    only_logs.push_back(app_role_then_email("support-assistant-lambda-role", "acct-review@billing-verify.example").back());
    auto r = run(lines(only_logs));  // one CloudTrail record: no baseline, so the family rule reports it
    CHECK(with_rule(r, "agency.new_action_after_baseline").size() + with_rule(r, "agency.email_sent_by_ai").size() == 1);
  }
}

TEST_CASE("agency: an external recipient after many internal ones is named", "[analyzer][agency]") {
  // 25 mails through Bedrock to colleagues (more than the 20 recipients an
  // action lists), then one to an outside address: that one is the evidence.
  auto mail = [](int minute, std::string_view to) {
    return ct(fmt::format("2024-05-01T10:{:02}:00Z", minute), "ses.amazonaws.com", "SendEmail",
              role_identity("AppRole", "s1", R"(,"invokedBy":"bedrock.amazonaws.com")"),
              fmt::format(R"({{"source":"app@example.com","destination":{{"toAddresses":["{}"]}}}})", to));
  };
  std::vector<std::string> recs;
  for (int i = 0; i < 25; ++i) recs.push_back(mail(i, fmt::format("staff{:02}@example.com", i)));
  auto internal = run(lines(recs));
  auto f = with_rule(internal, "agency.email_sent_by_ai");
  REQUIRE(f.size() == 1);
  CHECK(detail(*f[0], "external_recipients").empty());  // near miss: all in the sender's domain
  recs.push_back(mail(30, "drop@exfil.example.net"));
  auto r = run(lines(recs));
  f = with_rule(r, "agency.email_sent_by_ai");
  REQUIRE(f.size() == 1);
  CHECK(detail(*f[0], "external_recipients") == "drop@exfil.example.net");
}

TEST_CASE("agency: roles seen only in invocation logs are AI principals too", "[analyzer][agency][quality]") {
  std::vector<std::string> recs;
  const std::string id = role_identity("chat-role", "s");
  for (int d = 1; d <= 9; ++d)
    recs.push_back(ct(fmt::format("2024-05-0{}T10:00:00Z", d), "dynamodb.amazonaws.com", "GetItem", id,
                      R"({"tableName":"orders"})"));
  recs.push_back(
      R"({"schemaType":"ModelInvocationLog","schemaVersion":"1.0","timestamp":"2024-05-01T10:00:01Z","accountId":"111122223333",)"
      R"("identity":{"arn":"arn:aws:sts::111122223333:assumed-role/chat-role/s"},"region":"us-east-1","requestId":"r-1",)"
      R"("operation":"Converse","modelId":"anthropic.claude-3-haiku-20240307-v1:0"})");
  recs.push_back(ct("2024-05-09T12:00:00Z", "sns.amazonaws.com", "Publish", id,
                    R"({"topicArn":"arn:aws:sns:us-east-1:111122223333:alerts"})"));
  auto r = run(lines(recs));
  auto f = with_rule(r, "agency.new_action_after_baseline");
  REQUIRE(f.size() == 1);
  CHECK(detail(*f[0], "family") == "sns_publish");
  CHECK(f[0]->severity == Severity::kHigh);
}

TEST_CASE("agency: with allowed_actions, an action outside them is reported once", "[analyzer][agency][quality]") {
  aiir::Profile p;
  p.loaded = true;
  p.app_principals.push_back({"arn:aws:iam::111122223333:role/support-assistant-lambda-role", {"bedrock:Converse"}});
  auto r = run(lines(app_role_then_email("support-assistant-lambda-role", "acct-review@billing-verify.example")), p);
  auto out = with_rule(r, "agency.action_outside_allowed");
  REQUIRE(out.size() == 1);
  CHECK(out[0]->severity == Severity::kHigh);
  CHECK(detail(*out[0], "external_recipients") == "acct-review@billing-verify.example");
  // The novelty finding would say the same thing again.
  for (const Finding* n : with_rule(r, "agency.new_action_after_baseline")) CHECK(n->severity == Severity::kInfo);
}

TEST_CASE("app principals: one matching for every analyzer (sessions, role paths, wildcards)", "[analyzer][agency]") {
  aiir::Profile p;
  p.loaded = true;
  aiir::AppPrincipal app;
  app.arn = "arn:aws:iam::111122223333:role/service-role/AppRole";
  p.app_principals.push_back(app);
  aiir::AppPrincipal wild;
  wild.arn = "arn:aws:iam::111122223333:role/Agent*";
  p.app_principals.push_back(wild);
  using aiir::detail::find_app_principal;
  CHECK(find_app_principal(p, "arn:aws:iam::111122223333:role/service-role/AppRole") == &p.app_principals[0]);
  CHECK(find_app_principal(p, "arn:aws:iam::111122223333:role/AppRole") == &p.app_principals[0]);  // no path
  CHECK(find_app_principal(p, "arn:aws:sts::111122223333:assumed-role/AppRole/session-1") == &p.app_principals[0]);
  CHECK(find_app_principal(p, "arn:aws:sts::111122223333:assumed-role/AgentRunner/s") == &p.app_principals[1]);
  CHECK(find_app_principal(p, "arn:aws:iam::111122223333:role/OtherRole") == nullptr);
  CHECK(find_app_principal(p, "arn:aws:iam::999999999999:role/AppRole") == nullptr);
  CHECK(find_app_principal(p, "") == nullptr);
  aiir::detail::AiPrincipals ai(p);
  CHECK(ai.app_principal("arn:aws:sts::111122223333:assumed-role/AppRole/session-1") == &p.app_principals[0]);
}

TEST_CASE("agency: allowed_actions are IAM actions (s3:ListBucket allows ListObjects)", "[analyzer][agency]") {
  aiir::Profile profile;
  profile.loaded = true;
  profile.app_principals.push_back(
      {"arn:aws:iam::111122223333:role/service-role/AmazonBedrockExecutionRoleForKnowledgeBase_kb",
       {"s3:GetObject", "s3:ListBucket", "bedrock:InvokeModel"}});
  const std::string kb = role_identity("AmazonBedrockExecutionRoleForKnowledgeBase_kb", "s1",
                                       R"(,"invokedBy":"bedrock.amazonaws.com")");
  std::vector<std::string> recs = {
      ct("2024-05-01T10:00:00Z", "s3.amazonaws.com", "ListObjects", kb, R"({"bucketName":"kb"})"),
      ct("2024-05-01T10:00:01Z", "s3.amazonaws.com", "ListObjectsV2", kb, R"({"bucketName":"kb"})"),
      ct("2024-05-01T10:00:02Z", "s3.amazonaws.com", "HeadObject", kb, R"({"bucketName":"kb","key":"a"})"),
      ct("2024-05-01T10:00:03Z", "s3.amazonaws.com", "GetObject", kb, R"({"bucketName":"kb","key":"a"})")};
  auto r = run(lines(recs), profile);
  CHECK(with_rule(r, "agency.action_outside_allowed").empty());
  // Still outside: a write the profile does not allow.
  recs.push_back(ct("2024-05-01T10:00:04Z", "s3.amazonaws.com", "PutObject", kb, R"({"bucketName":"kb","key":"b"})"));
  auto w = run(lines(recs), profile);
  auto outside = with_rule(w, "agency.action_outside_allowed");
  REQUIRE(outside.size() == 1);
  CHECK(outside[0]->summary.find("s3:PutObject") != std::string::npos);
  CHECK(outside[0]->summary.find("ListObjects") == std::string::npos);
  // The event name as CloudTrail writes it is accepted too.
  profile.app_principals[0].allowed_actions = {"s3:ListObjects*", "s3:HeadObject", "s3:GetObject"};
  CHECK(with_rule(run(lines(recs), profile), "agency.action_outside_allowed").size() == 1);  // PutObject only
}

TEST_CASE("agency: a task reading its secret as it starts is its start-up, not a new action", "[analyzer][agency]") {
  // An ECS service's tasks call the Bedrock runtime; the tasks of the baseline started before
  // the logs. After the baseline a new task starts and reads its secret first thing.
  const auto task = [](std::string_view s) { return role_identity("app-task-role", s); };
  std::vector<std::string> recs;
  for (int d = 1; d <= 4; ++d)
    recs.push_back(ct(fmt::format("2024-05-0{}T10:00:00Z", d), "bedrock.amazonaws.com", "InvokeModel", task("task-a"),
                      R"({"modelId":"anthropic.claude-3-haiku-20240307-v1:0"})"));
  const std::int64_t baseline = 1714557600000;  // 2024-05-01T10:00:00Z
  const std::string read_b = ct("2024-05-03T15:00:05Z", "secretsmanager.amazonaws.com", "GetSecretValue",
                                task("task-b"), R"({"secretId":"prod/app/partner"})");
  const std::string model_b = ct("2024-05-03T15:00:30Z", "bedrock.amazonaws.com", "InvokeModel", task("task-b"),
                                 R"({"modelId":"anthropic.claude-3-haiku-20240307-v1:0"})");
  SECTION("at the new session's start, from the role's usual address: low, saying why") {
    recs.push_back(read_b);
    recs.push_back(model_b);
    auto r = run(lines(recs), {}, {}, baseline);
    auto f = with_rule(r, "agency.new_action_after_baseline");
    REQUIRE(f.size() == 1);
    CHECK(f[0]->severity == Severity::kLow);
    CHECK(detail(*f[0], "at_session_start").find("first event") != std::string::npos);
    CHECK(answer_of(r, "agency.unauthorized_actions").answer != Answer::kYes);
  }
  SECTION("mid-session (the running task, hijacked): medium") {
    recs.push_back(ct("2024-05-03T15:00:05Z", "secretsmanager.amazonaws.com", "GetSecretValue", task("task-a"),
                      R"({"secretId":"prod/app/partner"})"));
    auto r = run(lines(recs), {}, {}, baseline);
    auto f = with_rule(r, "agency.new_action_after_baseline");
    REQUIRE(f.size() == 1);
    CHECK(f[0]->severity == Severity::kMedium);
    CHECK(detail(*f[0], "at_session_start").empty());
  }
  SECTION("a new session from an address the role never used: medium") {
    std::string elsewhere = read_b;
    elsewhere.replace(elsewhere.find("10.0.0.5"), 8, "203.0.113.9");
    recs.push_back(elsewhere);
    recs.push_back(model_b);
    auto r = run(lines(recs), {}, {}, baseline);
    auto f = with_rule(r, "agency.new_action_after_baseline");
    REQUIRE(f.size() == 1);
    CHECK(f[0]->severity == Severity::kMedium);
  }
  SECTION("a session that goes on reading after its start: medium") {
    recs.push_back(read_b);
    recs.push_back(model_b);
    recs.push_back(ct("2024-05-03T15:30:00Z", "secretsmanager.amazonaws.com", "GetSecretValue", task("task-b"),
                      R"({"secretId":"prod/payments/db"})"));
    auto r = run(lines(recs), {}, {}, baseline);
    auto f = with_rule(r, "agency.new_action_after_baseline");
    REQUIRE(f.size() == 1);
    CHECK(f[0]->severity == Severity::kMedium);
  }
}

TEST_CASE("app principals: admin and app ARNs with a role path match the role's sessions", "[analyzer][agency]") {
  using aiir::detail::profile_arn_matches;
  const std::string sso = "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123*";
  CHECK(profile_arn_matches(sso, "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0123abcd/frank@example.com"));
  CHECK(profile_arn_matches(sso, "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123abcd"));
  CHECK(profile_arn_matches(sso, "arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_0123abcd"));
  CHECK_FALSE(profile_arn_matches(sso, "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_ReadOnly_9/erin@example.com"));
  CHECK_FALSE(profile_arn_matches(sso, "arn:aws:sts::999999999999:assumed-role/AWSReservedSSO_Admin_0123abcd/x"));
  CHECK(profile_arn_matches("arn:aws:iam::111122223333:user/ci", "arn:aws:iam::111122223333:user/ci"));
  CHECK_FALSE(profile_arn_matches("arn:aws:iam::111122223333:user/ci", "arn:aws:iam::111122223333:user/cid"));
  CHECK_FALSE(profile_arn_matches("", "arn:aws:iam::111122223333:user/ci"));
}
