// SPDX-License-Identifier: Apache-2.0
// Rule metadata to findings (element, severity, tags), rule listing, embedded
// tests, case folders, dispatch and issue locations.
#include <catch2/catch.hpp>

#include <map>

#include "sigma_test_util.h"

using aiir::sigma::RuleSet;
using aiir::sigma::RuleStatus;

namespace {
const std::string kData = AIIR_TEST_DATA "/sigma";
}

TEST_CASE("findings carry name, severity, element and mapped tags", "[sigma]") {
  auto set = RuleSet::load({kData + "/rules/root_login.yml"});
  auto fs = aiir::sigma::testing::run(
      set, {R"({"eventName":"ConsoleLogin","userIdentity":{"type":"Root","arn":"arn:aws:iam::1:root","accessKeyId":"AKIA1"},
               "recipientAccountId":"1","awsRegion":"us-east-1","sourceIPAddress":"9.9.9.9","userAgent":"ua",
               "eventTime":"2024-01-01T00:00:00Z","eventID":"e1"})"});
  REQUIRE(fs.size() == 1);
  const aiir::Finding& f = fs[0];
  CHECK(f.rule == "test.root_login");
  CHECK(f.severity == aiir::Severity::kHigh);
  CHECK(f.element == aiir::Element::kAccess);
  CHECK(f.tags.attack == std::vector<std::string>{"T1078.004"});
  CHECK(f.principal == "arn:aws:iam::1:root");
  CHECK(f.access_key_id == "AKIA1");
  CHECK(f.account == "1");
  CHECK(f.region == "us-east-1");
  CHECK(f.source_ips == std::vector<std::string>{"9.9.9.9"});
  CHECK(f.user_agents == std::vector<std::string>{"ua"});
  REQUIRE(f.evidence.size() == 1);
  CHECK(f.evidence[0].event_id == "e1");
  CHECK(f.details == std::vector<std::pair<std::string, std::string>>{{"sigma_id", "6c2e2a0e-5c7b-4a53-9d1e-0a6f3e1b2c01"}});
}

TEST_CASE("findings name what the request acted on: lists joined, nested identifiers", "[sigma]") {
  using aiir::sigma::testing::ct_rule;
  auto set = RuleSet::from_string(ct_rule("  sel:\n    eventName: [CreateResourceShare, CreateModelCustomizationJob, "
                                          "UpdateAgentActionGroup]\n  condition: sel\n"),
                                  "t.yml");
  auto rec = [](const std::string& name, const std::string& params) {
    return R"({"eventVersion":"1.09","eventTime":"2026-03-20T10:00:00Z","eventSource":"x.amazonaws.com","eventName":")" +
           name + R"(","userIdentity":{"arn":"arn:aws:iam::111122223333:user/a"},"requestParameters":)" + params + "}";
  };
  auto details_of = [&](const std::string& record) {
    auto fs = aiir::sigma::testing::run(set, {record});
    REQUIRE(fs.size() == 1);
    std::map<std::string, std::string> d(fs[0].details.begin(), fs[0].details.end());
    return d;
  };
  auto share = details_of(rec("CreateResourceShare",
                              R"({"name":"m","principals":["444455556666"],"allowExternalPrincipals":true,)"
                              R"("resourceArns":["arn:aws:bedrock:us-east-1:111122223333:custom-model/a","b","c","d","e","f"]})"));
  CHECK(share["principals"] == "444455556666");
  CHECK(share["resourceArns"] == "arn:aws:bedrock:us-east-1:111122223333:custom-model/a, b, c, d, e, ... (6 in all)");
  CHECK(share["name"] == "m");
  auto job = details_of(rec("CreateModelCustomizationJob",
                            R"({"jobName":"j","trainingDataConfig":{"s3Uri":"s3://ml-datasets-444455556666/t.jsonl"},)"
                            R"("outputDataConfig":{"s3Uri":"s3://out/"},"baseModelIdentifier":"amazon.titan-text-express-v1"})"));
  CHECK(job["trainingDataConfig.s3Uri"] == "s3://ml-datasets-444455556666/t.jsonl");
  CHECK(job["outputDataConfig.s3Uri"] == "s3://out/");
  CHECK(job["baseModelIdentifier"] == "amazon.titan-text-express-v1");
  auto group = details_of(rec("UpdateAgentActionGroup",
                              R"({"agentId":"A1","actionGroupExecutor":{"lambda":"arn:aws:lambda:us-east-1:111122223333:function:ses-notify"}})"));
  CHECK(group["actionGroupExecutor.lambda"] == "arn:aws:lambda:us-east-1:111122223333:function:ses-notify");
  CHECK(group["agentId"] == "A1");
  // UpdateGuardrail replaces the draft: the policies it leaves out are named.
  auto guard = aiir::sigma::RuleSet::from_string(ct_rule("  sel:\n    eventName: UpdateGuardrail\n  condition: sel\n"), "g.yml");
  auto fs = aiir::sigma::testing::run(
      guard, {rec("UpdateGuardrail", R"({"guardrailIdentifier":"gr1","contentPolicyConfig":{"filtersConfig":[]},)"
                                     R"("sensitiveInformationPolicyConfig":{"piiEntitiesConfig":[]}})")});
  REQUIRE(fs.size() == 1);
  std::map<std::string, std::string> d(fs[0].details.begin(), fs[0].details.end());
  CHECK(d["policies_not_in_update"] ==
        "topicPolicyConfig, wordPolicyConfig, contextualGroundingPolicyConfig, automatedReasoningPolicyConfig");
  CHECK(d["guardrailIdentifier"] == "gr1");
  // Snapshot and image shares name what is shared and with whom.
  auto shares = aiir::sigma::RuleSet::from_string(
      ct_rule("  sel:\n    eventName: [ModifySnapshotAttribute, ModifyImageAttribute, ModifyDBSnapshotAttribute]\n"
              "  condition: sel\n"),
      "s.yml");
  auto shared = [&](const std::string& record) {
    auto found = aiir::sigma::testing::run(shares, {record});
    REQUIRE(found.size() == 1);
    return std::map<std::string, std::string>(found[0].details.begin(), found[0].details.end());
  };
  auto ebs = shared(rec("ModifySnapshotAttribute",
                        R"({"snapshotId":"snap-0a9b","createVolumePermission":{"add":{"items":[{"userId":"908027385716"},)"
                        R"({"group":"all"}]}},"attributeType":"CREATE_VOLUME_PERMISSION"})"));
  CHECK(ebs["snapshotId"] == "snap-0a9b");
  CHECK(ebs["shared_with"] == "908027385716, all");
  auto ami = shared(rec("ModifyImageAttribute",
                        R"({"imageId":"ami-1","launchPermission":{"add":{"items":[{"userId":"444455556666"}]}}})"));
  CHECK(ami["imageId"] == "ami-1");
  CHECK(ami["shared_with"] == "444455556666");
  // Removing a share names no recipient.
  auto unshare = shared(rec("ModifySnapshotAttribute",
                            R"({"snapshotId":"snap-0a9b","createVolumePermission":{"remove":{"items":[{"userId":"9"}]}}})"));
  CHECK(unshare.count("shared_with") == 0);
  auto rds = shared(rec("ModifyDBSnapshotAttribute",
                        R"({"dBSnapshotIdentifier":"db-snap","attributeName":"restore","valuesToAdd":["908027385716"]})"));
  CHECK(rds["dBSnapshotIdentifier"] == "db-snap");
  CHECK(rds["valuesToAdd"] == "908027385716");
}

TEST_CASE("element from aiir tag, else from the ATT&CK tactic; ATLAS and OWASP tags", "[sigma]") {
  auto set = RuleSet::load({kData + "/rules/root_login.yml"});
  auto rules = set.rules();
  REQUIRE(rules.size() == 3);
  CHECK(rules[1].element == "ai_changes");
  CHECK(rules[1].correlation);
  auto fs = aiir::sigma::testing::run(set, {
      R"({"eventName":"DeleteGuardrail","eventSource":"bedrock.amazonaws.com","eventTime":"2024-01-01T00:00:00Z","userIdentity":{"arn":"a"}})",
      R"({"eventName":"DeleteGuardrail","eventSource":"bedrock.amazonaws.com","eventTime":"2024-01-01T00:01:00Z","userIdentity":{"arn":"a"}})"});
  REQUIRE(fs.size() == 1);
  CHECK(fs[0].tags.atlas == std::vector<std::string>{"AML.T0054"});
  CHECK(fs[0].tags.owasp_llm == std::vector<std::string>{"LLM01:2025"});
  CHECK(fs[0].severity == aiir::Severity::kCritical);

  auto tactic = [](const std::string& tag) {
    auto s = RuleSet::from_string(aiir::sigma::testing::ct_rule("  sel: {eventName: X}\n  condition: sel\n",
                                                                "tags: [" + tag + "]\n"));
    return s.rules().at(0).element;
  };
  CHECK(tactic("attack.exfiltration") == "private_data");
  CHECK(tactic("attack.defense-evasion") == "infrastructure");
  CHECK(tactic("attack.credential_access") == "access");
  CHECK(tactic("attack.execution") == "agency");
  CHECK(tactic("aiir.agency") == "agency");
}

TEST_CASE("rule list: status, file, line, case counts", "[sigma]") {
  auto set = RuleSet::load({kData + "/rules"});
  auto rules = set.rules();
  REQUIRE(rules.size() == 4);
  // Sorted by path: broken.yml first.
  CHECK(rules[0].file.find("broken.yml") != std::string::npos);
  CHECK(rules[1].finding_rule == "test.root_login");
  CHECK(rules[1].line == 1);
  CHECK(rules[1].positive_cases == 2);
  CHECK(rules[1].negative_cases == 2);
  CHECK(rules[2].line == 30);
  CHECK(rules[3].generates == false);
  for (const auto& r : rules) CHECK(r.status == RuleStatus::kLoaded);
}

TEST_CASE("embedded rule tests run and report failures", "[sigma]") {
  auto set = RuleSet::load({kData + "/rules"});
  auto report = aiir::sigma::run_tests(set);
  CHECK(report.passed == 8);
  REQUIRE(report.failed == 1);
  for (const auto& r : report.results) {
    if (!r.passed) {
      CHECK(r.file.find("broken.yml") != std::string::npos);
      CHECK(r.line == 10);
      CHECK(r.expected_match);
    }
  }
  CHECK(report.rules_without_negative == 1);
}

TEST_CASE("a folder of case files with expected rules", "[sigma]") {
  auto set = RuleSet::load({kData + "/rules"});
  auto report = aiir::sigma::run_case_dir(set, kData + "/cases");
  for (const auto& r : report.results) INFO(r.file << ": " << r.message);
  CHECK(report.passed == 2);
  CHECK(report.failed == 0);
  auto missing = aiir::sigma::run_case_dir(set, kData + "/no-such-dir");
  CHECK(missing.failed == 1);
}

TEST_CASE("dispatch: only rules that could match are evaluated", "[sigma]") {
  auto set = RuleSet::load({kData + "/rules"});
  aiir::sigma::Engine engine(set);
  aiir::FindingList out;
  simdjson::dom::parser parser;
  aiir::EventView ev;
  ev.raw = parser.parse(std::string(R"({"eventName":"DescribeInstances","eventSource":"ec2.amazonaws.com"})")).value();
  engine.on_event(ev, out);
  CHECK(engine.stats().candidates == 0);
  ev.raw = parser.parse(std::string(R"({"eventName":"consolelogin"})")).value();
  engine.on_event(ev, out);
  CHECK(engine.stats().candidates == 1);
  CHECK(out.findings.empty());
}

TEST_CASE("dispatch: a rule about the identity type runs only on that type", "[sigma]") {
  using aiir::sigma::testing::ct_rule;
  auto set = RuleSet::from_string(
      ct_rule("  sel:\n    userIdentity.type: Root\n  filter:\n    eventType: AwsServiceEvent\n"
              "  condition: sel and not filter\n"),
      "root.yml");
  aiir::sigma::Engine engine(set);
  aiir::FindingList out;
  simdjson::dom::parser parser;
  aiir::EventView ev;
  auto feed = [&](const char* json) {
    ev.raw = parser.parse(std::string(json)).value();
    engine.on_event(ev, out);
  };
  feed(R"({"eventName":"ListBuckets","userIdentity":{"type":"IAMUser"}})");
  feed(R"({"eventName":"ListBuckets"})");
  CHECK(engine.stats().candidates == 0);
  CHECK(out.findings.empty());
  // Matched as the rule's own lookup is: case-insensitive, the first "type" key.
  feed(R"({"eventName":"ListBuckets","userIdentity":{"type":"root","type":"IAMUser"}})");
  CHECK(engine.stats().candidates == 1);
  CHECK(out.findings.size() == 1);
}

TEST_CASE("load problems name file and line; other rules still load", "[sigma]") {
  auto set = RuleSet::from_string(R"(title: ok
id: a
logsource: {product: aws, service: cloudtrail}
detection:
  sel: {eventName: X}
  condition: sel
---
title: bad
id: b
logsource: {product: aws, service: cloudtrail}
detection:
  sel: {eventName|re: '(?<=x)y'}
  condition: sel
---
title: windows
id: c
logsource: {product: windows, service: security}
detection:
  sel: {EventID: 4624}
  condition: sel
)", "multi.yml");
  CHECK(set.loaded_count() == 1);
  REQUIRE(set.issues().size() == 2);
  CHECK(set.issues()[0].file == "multi.yml");
  CHECK(set.issues()[0].line == 12);
  CHECK(set.issues()[0].rule_id == "b");
  CHECK(set.issues()[1].line == 17);
  CHECK(set.rules()[2].status == RuleStatus::kUnsupported);
  auto yaml = RuleSet::from_string("title: [unclosed\n", "y.yml");
  REQUIRE(yaml.issues().size() == 1);
  CHECK(yaml.issues()[0].error);
  auto none = RuleSet::load({kData + "/no-such-folder"});
  CHECK(none.error_count() == 1);
}

TEST_CASE("a scan skips tests: blocks; rules, lines and issues stay the same", "[sigma]") {
  aiir::sigma::LoadOptions no_tests;
  no_tests.tests = false;
  auto with = RuleSet::load({kData + "/rules"});
  auto without = RuleSet::load({kData + "/rules"}, no_tests);
  REQUIRE(with.rules().size() == without.rules().size());
  for (std::size_t i = 0; i < with.rules().size(); ++i) {
    CHECK(with.rules()[i].finding_rule == without.rules()[i].finding_rule);
    CHECK(with.rules()[i].line == without.rules()[i].line);
    CHECK(with.rules()[i].status == without.rules()[i].status);
    CHECK(without.rules()[i].positive_cases + without.rules()[i].negative_cases == 0);
  }
  CHECK(aiir::sigma::run_tests(without).passed == 0);

  // A second document after a tests block: still loaded, its problems on their own lines.
  const std::string yaml =
      "title: a\nid: 11111111-2222-3333-4444-555555555555\nlogsource:\n  product: aws\n  service: cloudtrail\n"
      "detection:\n  sel:\n    eventName: A\n  condition: sel\ntests:\n  match:\n    - {\"eventName\": \"A\"}\n"
      "  # a comment\n\n  nomatch:\n    - {\"eventName\": \"B\"}\n"
      "level: high\n---\n"
      "title: b\nid: 21111111-2222-3333-4444-555555555555\nlogsource:\n  product: aws\n  service: cloudtrail\n"
      "detection:\n  sel:\n    eventName|nosuchmodifier: A\n  condition: sel\n";
  auto a = RuleSet::from_string(yaml, "two.yml");
  auto b = RuleSet::from_string(yaml, "two.yml", no_tests);
  REQUIRE(a.rules().size() == 2);
  REQUIRE(b.rules().size() == 2);
  CHECK(b.rules()[0].status == RuleStatus::kLoaded);
  CHECK(b.rules()[0].level == a.rules()[0].level);
  CHECK(a.rules()[0].positive_cases == 1);
  CHECK(b.rules()[0].positive_cases == 0);
  REQUIRE(a.issues().size() == b.issues().size());
  for (std::size_t i = 0; i < a.issues().size(); ++i) CHECK(a.issues()[i].line == b.issues()[i].line);
  CHECK(!b.issues().empty());
}

TEST_CASE("Matcher + on_matched give what on_event gives (the scan's worker split)", "[sigma]") {
  // The shipped pack, over events that match some of its rules and not others.
  auto set = RuleSet::load({std::string(AIIR_SOURCE_DIR) + "/rules/sigma"});
  REQUIRE(set.loaded_count() > 50);
  const std::vector<std::string> records = {
      R"({"eventVersion":"1.08","eventTime":"2026-03-01T10:00:00Z","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.9","userAgent":"Mozilla","userIdentity":{"type":"Root","arn":"arn:aws:iam::111122223333:root","accountId":"111122223333"},"responseElements":{"ConsoleLogin":"Success"},"additionalEventData":{"MFAUsed":"No"},"eventID":"e1","recipientAccountId":"111122223333"})",
      R"({"eventVersion":"1.08","eventTime":"2026-03-01T10:01:00Z","eventSource":"bedrock.amazonaws.com","eventName":"DeleteGuardrail","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.9","userAgent":"aws-cli/2","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/dev","accountId":"111122223333","accessKeyId":"AKIAEXAMPLE"},"requestParameters":{"guardrailIdentifier":"gr-1"},"eventID":"e2","recipientAccountId":"111122223333"})",
      R"({"eventVersion":"1.08","eventTime":"2026-03-01T10:02:00Z","eventSource":"ec2.amazonaws.com","eventName":"DescribeInstances","awsRegion":"us-east-1","sourceIPAddress":"10.0.0.1","userAgent":"aws-sdk","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/app/x","accountId":"111122223333"},"eventID":"e3","recipientAccountId":"111122223333"})",
      R"({"eventVersion":"1.08","eventTime":"2026-03-01T10:03:00Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.9","userAgent":"aws-cli/2","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/dev","accountId":"111122223333","accessKeyId":"AKIAEXAMPLE"},"requestParameters":{"name":"trail"},"eventID":"e4","recipientAccountId":"111122223333"})"};
  aiir::sigma::Engine whole(set), split(set);
  aiir::sigma::Matcher matcher(set);
  aiir::FindingList a, b;
  std::vector<std::uint32_t> matches;
  aiir::sigma::testing::for_each_event(records, aiir::EventKind::kCloudTrail, [&](const aiir::EventView& ev) {
    whole.on_event(ev, a);
    matches.clear();
    matcher.match(ev, matches);
    split.on_matched(ev, matches, b);
  });
  whole.finish(a);
  split.finish(b);
  REQUIRE(a.findings.size() >= 3);
  REQUIRE(a.findings.size() == b.findings.size());
  for (std::size_t i = 0; i < a.findings.size(); ++i) {
    CHECK(a.findings[i].rule == b.findings[i].rule);
    CHECK(a.findings[i].id() == b.findings[i].id());
    CHECK(a.findings[i].details == b.findings[i].details);
  }
}

TEST_CASE("a test case whose alias refers to itself is an issue, not a crash", "[sigma]") {
  // "&a" anchors a map that contains "*a": a cycle (found by sigma_fuzz).
  const std::string yaml =
      "title: a\nid: 11111111-2222-3333-4444-555555555555\nlogsource:\n  product: aws\n  service: cloudtrail\n"
      "detection:\n  sel:\n    eventName: A\n  condition: sel\ntests:\n  match:\n"
      "    - eventName: A\n      userIdentity: &id001\n        type: IAMUser\n        inner: *id001\n"
      "    - {\"eventName\": \"A\"}\n";
  auto set = RuleSet::from_string(yaml, "cycle.yml");
  REQUIRE(set.rules().size() == 1);
  CHECK(set.rules()[0].positive_cases == 1);  // the well-formed case still counts
  bool reported = false;
  for (const auto& i : set.issues()) reported = reported || i.message.find("nests too deep") != std::string::npos;
  CHECK(reported);
}
