// SPDX-License-Identifier: Apache-2.0
// Tests of the infrastructure-changes analyzer: bursts, large launches, first
// region use, non-admin changes, defense evasion, quota probing, answers.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "analyzers/factories.h"
#include "support/test_events.h"
#include "util/time.h"

namespace {

constexpr std::int64_t kBase = 1730196000000;  // 2024-10-29T10:00:00Z

struct R {
  double min = 0;
  std::string name = "CreateTags";
  std::string source = "ec2.amazonaws.com";
  std::string arn = "arn:aws:iam::111122223333:user/dev";
  std::string key = "AKIAEXAMPLEDEV1";
  std::string region = "us-east-1";
  std::string error = {};
  std::string extra = {};  ///< extra top-level members, with a leading comma
  std::string read_only = "false";
};

std::string line(const R& r, int n) {
  std::string err = r.error.empty() ? "" : fmt::format(R"(,"errorCode":"{}")", r.error);
  std::string type = r.arn.find(":assumed-role/") != std::string::npos ? "AssumedRole" : "IAMUser";
  return fmt::format(
      R"({{"eventVersion":"1.09","eventTime":"{}","eventSource":"{}","eventName":"{}","awsRegion":"{}",)"
      R"("sourceIPAddress":"203.0.113.7","userAgent":"aws-cli/2.15","userIdentity":{{"type":"{}","arn":"{}",)"
      R"("accountId":"111122223333","accessKeyId":"{}"}},"recipientAccountId":"111122223333","eventType":"AwsApiCall",)"
      R"("managementEvent":true,"readOnly":{},"eventID":"ev-{}"{}{}}})",
      aiir::format_time(kBase + static_cast<std::int64_t>(r.min * 60000)), r.source, r.name, r.region, type, r.arn,
      r.key, r.read_only, n, err, r.extra);
}

std::string jsonl(const std::vector<R>& rs) {
  std::string out;
  int n = 0;
  for (const auto& r : rs) out += line(r, n++) + "\n";
  return out;
}

struct Run {
  std::vector<aiir::Finding> findings;
  std::vector<aiir::QuestionAnswer> answers;
  std::vector<const aiir::Finding*> with(std::string_view rule) const {
    std::vector<const aiir::Finding*> v;
    for (const auto& f : findings) {
      if (f.rule == rule) v.push_back(&f);
    }
    return v;
  }
  const aiir::QuestionAnswer* answer(std::string_view id) const {
    for (const auto& a : answers) {
      if (a.id == id) return &a;
    }
    return nullptr;
  }
};

Run run(const std::string& text, const aiir::Profile* profile = nullptr, std::int64_t baseline = 0,
        bool reverse = false) {
  static const aiir::Profile none{};
  aiir::AnalyzerConfig cfg;
  cfg.profile = profile ? profile : &none;
  cfg.baseline_until_ms = baseline;
  auto a = aiir::make_infrastructure(cfg);
  auto f = aiir::testing::events_from_json(text);
  aiir::FindingList sink;
  if (reverse) {
    for (auto it = f.events.rbegin(); it != f.events.rend(); ++it) a->on_event(*it, sink);
  } else {
    for (auto& e : f.events) a->on_event(e, sink);
  }
  a->finish(sink);
  Run r;
  r.findings = std::move(sink.findings);
  aiir::Coverage cov;
  cov.cloudtrail_events = f.events.size();
  cov.profile_loaded = profile && profile->loaded;
  a->answer(cov, r.answers);
  return r;
}

R launch(double min, const std::string& type, int count = 1, const std::string& region = "us-east-1") {
  R r{.min = min, .name = "RunInstances", .region = region};
  r.extra = fmt::format(
      R"(,"requestParameters":{{"instancesSet":{{"items":[{{"imageId":"ami-1","minCount":1,"maxCount":{}}}]}},"instanceType":"{}"}})"
      R"(,"responseElements":{{"instancesSet":{{"items":[{{"instanceId":"i-1","instanceType":"{}"}}]}}}})",
      count, type, type);
  return r;
}

}  // namespace

TEST_CASE("infrastructure: burst of mutating control-plane calls", "[analyzer][infrastructure]") {
  std::vector<R> rs;
  const char* names[] = {"CreateTags", "AuthorizeSecurityGroupIngress", "CreateSecurityGroup", "ModifyInstanceAttribute"};
  for (int i = 0; i < 20; ++i) rs.push_back(R{.min = i * 0.5, .name = names[i % 4]});
  SECTION("twenty changes in ten minutes") {
    auto r = run(jsonl(rs));
    auto f = r.with("infrastructure.mutation_burst");
    REQUIRE(f.size() == 1);
    CHECK(f[0]->principal == "arn:aws:iam::111122223333:user/dev");
    CHECK(f[0]->access_key_id == "AKIAEXAMPLEDEV1");
    CHECK(f[0]->severity == aiir::Severity::kMedium);  // a long-term key
    CHECK(f[0]->summary.find("ec2 (20)") != std::string::npos);
    CHECK(r.answer("infrastructure.changed")->answer == aiir::Answer::kYes);
  }
  SECTION("near miss: nineteen changes, reads, failures, or changes spread out") {
    rs.pop_back();
    CHECK(run(jsonl(rs)).with("infrastructure.mutation_burst").empty());
    rs.push_back(R{.min = 9, .name = "DescribeInstances", .read_only = "true"});
    rs.push_back(R{.min = 9, .name = "CreateTags", .error = "Client.UnauthorizedOperation"});
    CHECK(run(jsonl(rs)).with("infrastructure.mutation_burst").empty());
    std::vector<R> slow;
    for (int i = 0; i < 20; ++i) slow.push_back(R{.min = i * 15.0});
    CHECK(run(jsonl(slow)).with("infrastructure.mutation_burst").empty());
  }
  SECTION("many distinct changes across services fire below the count") {
    std::vector<R> mix;
    const char* srcs[] = {"lambda.amazonaws.com", "ecs.amazonaws.com", "rds.amazonaws.com", "iam.amazonaws.com"};
    for (int i = 0; i < 8; ++i) mix.push_back(R{.min = i * 1.0, .name = fmt::format("Change{}", i), .source = srcs[i % 4]});
    CHECK(run(jsonl(mix)).with("infrastructure.mutation_burst").size() == 1);
  }
}

TEST_CASE("infrastructure: GPU and large instance launches", "[analyzer][infrastructure]") {
  SECTION("a GPU type") {
    auto r = run(jsonl({launch(0, "p4d.24xlarge")}));
    auto f = r.with("infrastructure.large_instance_launch");
    REQUIRE(f.size() == 1);
    CHECK(f[0]->summary.find("p4d.24xlarge") != std::string::npos);
    CHECK(f[0]->severity == aiir::Severity::kMedium);
    CHECK(r.answer("infrastructure.compute_launched")->answer == aiir::Answer::kYes);
  }
  SECTION("many small instances") {
    auto r = run(jsonl({launch(0, "t3.micro", 20)}));
    auto f = r.with("infrastructure.large_instance_launch");
    REQUIRE(f.size() == 1);
    CHECK(f[0]->summary.find("requested 20") != std::string::npos);
  }
  SECTION("a capacity reservation for GPUs") {
    R c{.min = 0, .name = "CreateCapacityReservation",
        .extra = R"(,"requestParameters":{"CreateCapacityReservationRequest":{"InstanceType":"g5.12xlarge","InstanceCount":4}})"};
    auto r = run(jsonl({c}));
    auto f = r.with("infrastructure.large_instance_launch");
    REQUIRE(f.size() == 1);
    CHECK(f[0]->summary.find("requested 4") != std::string::npos);
  }
  SECTION("SageMaker compute on GPU types: endpoints, training jobs") {
    R endpoint{.min = 0, .name = "CreateEndpointConfig", .source = "sagemaker.amazonaws.com",
               .extra = R"(,"requestParameters":{"endpointConfigName":"c","productionVariants":[{"variantName":"v","modelName":"m","instanceType":"ml.p4d.24xlarge","initialInstanceCount":2}]})"};
    R training{.min = 1, .name = "CreateTrainingJob", .source = "sagemaker.amazonaws.com",
               .extra = R"(,"requestParameters":{"trainingJobName":"t","resourceConfig":{"instanceType":"ml.g5.48xlarge","instanceCount":1,"volumeSizeInGB":50}})"};
    auto r = run(jsonl({endpoint, training}));
    auto f = r.with("infrastructure.large_instance_launch");
    REQUIRE(f.size() == 1);
    CHECK(f[0]->summary.find("ml.p4d.24xlarge") != std::string::npos);
    CHECK(f[0]->summary.find("ml.g5.48xlarge") != std::string::npos);
    // Near miss: a small SageMaker endpoint, and SageMaker reads.
    R small{.min = 0, .name = "CreateEndpointConfig", .source = "sagemaker.amazonaws.com",
            .extra = R"(,"requestParameters":{"productionVariants":[{"instanceType":"ml.m5.large","initialInstanceCount":1}]})"};
    R describe{.min = 1, .name = "DescribeEndpointConfig", .source = "sagemaker.amazonaws.com",
               .extra = R"(,"requestParameters":{"endpointConfigName":"c"},"responseElements":{"productionVariants":[{"instanceType":"ml.p4d.24xlarge"}]})",
               .read_only = "true"};
    CHECK(run(jsonl({small, describe})).with("infrastructure.large_instance_launch").empty());
  }
  SECTION("near miss: one small instance") {
    auto r = run(jsonl({launch(0, "t3.micro"), launch(1, "m5.xlarge", 2)}));
    CHECK(r.with("infrastructure.large_instance_launch").empty());
    CHECK(r.answer("infrastructure.compute_launched")->answer == aiir::Answer::kNotFound);
  }
}

TEST_CASE("infrastructure: first use of a region", "[analyzer][infrastructure]") {
  std::vector<R> rs;
  for (int i = 0; i < 5; ++i) rs.push_back(R{.min = i * 60.0});
  rs.push_back(launch(700, "t3.micro", 1, "ap-southeast-3"));
  const std::int64_t baseline = kBase + 600 * 60000;
  SECTION("after the baseline") {
    auto r = run(jsonl(rs), nullptr, baseline);
    auto f = r.with("infrastructure.first_region_use");
    REQUIRE(f.size() == 1);
    CHECK(f[0]->region == "ap-southeast-3");
    CHECK(f[0]->account == "111122223333");
    CHECK(f[0]->severity == aiir::Severity::kMedium);
  }
  SECTION("near miss: the region was used in the baseline") {
    rs.push_back(R{.min = 10, .name = "DescribeInstances", .region = "ap-southeast-3", .read_only = "true"});
    CHECK(run(jsonl(rs), nullptr, baseline).with("infrastructure.first_region_use").empty());
  }
  SECTION("with a profile: regions outside the expected ones") {
    aiir::Profile p;
    p.loaded = true;
    p.regions = {"us-east-1"};
    CHECK(run(jsonl(rs), &p).with("infrastructure.first_region_use").size() == 1);
    p.regions = {"us-east-1", "ap-southeast-3"};
    CHECK(run(jsonl(rs), &p).with("infrastructure.first_region_use").empty());
  }
}

TEST_CASE("infrastructure: changes by principals that are not administrators", "[analyzer][infrastructure]") {
  aiir::Profile p;
  p.loaded = true;
  p.admin_principals = {"arn:aws:iam::*:role/Admin"};
  p.app_principals = {aiir::AppPrincipal{"arn:aws:iam::111122223333:role/App", {"lambda:Update*"}}};
  std::vector<R> rs{R{.min = 0, .name = "CreateStack", .source = "cloudformation.amazonaws.com"},
                    R{.min = 1, .name = "DeleteDBInstance", .source = "rds.amazonaws.com",
                      .arn = "arn:aws:sts::111122223333:assumed-role/Admin/alice", .key = "ASIAADMIN0000001"},
                    R{.min = 2, .name = "UpdateFunctionCode20150331v2", .source = "lambda.amazonaws.com",
                      .arn = "arn:aws:sts::111122223333:assumed-role/App/s1", .key = "ASIAAPP000000001"}};
  auto r = run(jsonl(rs), &p);
  auto f = r.with("infrastructure.change_by_non_admin");
  REQUIRE(f.size() == 1);
  CHECK(f[0]->principal == "arn:aws:iam::111122223333:user/dev");
  CHECK(f[0]->summary.find("cloudformation:CreateStack") != std::string::npos);
  // Without admin principals in the profile there is no such finding.
  CHECK(run(jsonl(rs)).with("infrastructure.change_by_non_admin").empty());
}

TEST_CASE("infrastructure: defense-evasion aggregate", "[analyzer][infrastructure]") {
  R stop{.min = 0, .name = "StopLogging", .source = "cloudtrail.amazonaws.com"};
  R detector{.min = 1, .name = "DeleteDetector", .source = "guardduty.amazonaws.com"};
  R loggroup{.min = 2, .name = "DeleteLogGroup", .source = "logs.amazonaws.com"};
  SECTION("two strong actions: high, with the weak one listed") {
    auto r = run(jsonl({stop, detector, loggroup}));
    auto f = r.with("infrastructure.defense_evasion");
    REQUIRE(f.size() == 1);
    CHECK(f[0]->severity == aiir::Severity::kHigh);
    CHECK(f[0]->summary.find("3 action(s) across 3 service(s)") != std::string::npos);
    CHECK(r.answer("infrastructure.logging_tampered")->answer == aiir::Answer::kYes);
  }
  SECTION("one strong action alone: medium; with a GPU launch: high") {
    auto r = run(jsonl({stop}));
    REQUIRE(r.with("infrastructure.defense_evasion").size() == 1);
    CHECK(r.with("infrastructure.defense_evasion")[0]->severity == aiir::Severity::kMedium);
    auto r2 = run(jsonl({stop, launch(5, "g5.xlarge")}));
    auto f = r2.with("infrastructure.defense_evasion");
    REQUIRE(f.size() == 1);
    CHECK(f[0]->severity == aiir::Severity::kHigh);
    CHECK(f[0]->summary.find("GPU/large launches") != std::string::npos);
  }
  SECTION("near miss: only routine log-group deletion, or a failed attempt") {
    auto r = run(jsonl({loggroup}));
    CHECK(r.with("infrastructure.defense_evasion").empty());
    stop.error = "AccessDenied";
    CHECK(run(jsonl({stop})).with("infrastructure.defense_evasion").empty());
  }
  SECTION("invocation logs: turned off is strong; redirected is weak, and with a stopped trail high") {
    R off{.min = 0, .name = "PutModelInvocationLoggingConfiguration", .source = "bedrock.amazonaws.com",
          .extra = R"(,"requestParameters":{"loggingConfig":{"s3Config":{"bucketName":"b"},"textDataDeliveryEnabled":false}})"};
    auto r = run(jsonl({off}));
    REQUIRE(r.with("infrastructure.defense_evasion").size() == 1);
    CHECK(r.with("infrastructure.defense_evasion")[0]->severity == aiir::Severity::kMedium);
    R moved = off;
    moved.extra = R"(,"requestParameters":{"loggingConfig":{"s3Config":{"bucketName":"archive-444455556666"},"textDataDeliveryEnabled":true}})";
    CHECK(run(jsonl({moved})).with("infrastructure.defense_evasion").empty());  // weak alone: a routine change
    auto both = run(jsonl({stop, moved}));
    auto f = both.with("infrastructure.defense_evasion");
    REQUIRE(f.size() == 1);
    CHECK(f[0]->severity == aiir::Severity::kHigh);  // two logging planes touched by one principal
    CHECK(f[0]->summary.find("bedrock:PutModelInvocationLoggingConfiguration") != std::string::npos);
  }
  SECTION("near miss: a strong action and a weak one of the same service stay medium") {
    R selectors{.min = 1, .name = "PutInsightSelectors", .source = "cloudtrail.amazonaws.com"};
    auto r = run(jsonl({stop, selectors}));
    REQUIRE(r.with("infrastructure.defense_evasion").size() == 1);
    CHECK(r.with("infrastructure.defense_evasion")[0]->severity == aiir::Severity::kMedium);
  }
  SECTION("event selectors that drop management events are strong") {
    R sel{.min = 0, .name = "PutEventSelectors", .source = "cloudtrail.amazonaws.com",
          .extra = R"(,"requestParameters":{"trailName":"t","eventSelectors":[{"readWriteType":"All","includeManagementEvents":false}]})"};
    CHECK(run(jsonl({sel})).with("infrastructure.defense_evasion").size() == 1);
    sel.extra = R"(,"requestParameters":{"trailName":"t","eventSelectors":[{"readWriteType":"All","includeManagementEvents":true}]})";
    CHECK(run(jsonl({sel})).with("infrastructure.defense_evasion").empty());
  }
}

TEST_CASE("infrastructure: service quota probing across regions", "[analyzer][infrastructure]") {
  std::vector<R> rs;
  const char* regions[] = {"us-east-1", "us-west-2", "eu-west-1", "ap-south-1", "sa-east-1"};
  for (int i = 0; i < 5; ++i) {
    rs.push_back(R{.min = i * 1.0, .name = "GetServiceQuota", .source = "servicequotas.amazonaws.com",
                   .region = regions[i], .read_only = "true"});
  }
  CHECK(run(jsonl(rs)).with("infrastructure.quota_probing").size() == 1);
  rs.pop_back();
  CHECK(run(jsonl(rs)).with("infrastructure.quota_probing").empty());
}

TEST_CASE("infrastructure: answers without CloudTrail and with reads only", "[analyzer][infrastructure]") {
  auto empty = run("\n");
  for (const auto& a : empty.answers) CHECK(a.answer == aiir::Answer::kCannotTell);
  CHECK(empty.answers.size() == 3);
  auto reads = run(jsonl({R{.min = 0, .name = "DescribeInstances", .read_only = "true"}}));
  CHECK(reads.answer("infrastructure.changed")->answer == aiir::Answer::kNo);
  CHECK(reads.answer("infrastructure.logging_tampered")->answer == aiir::Answer::kNo);
}

TEST_CASE("infrastructure: malformed records", "[analyzer][infrastructure]") {
  const char* text = R"({"eventTime":"2024-10-29T10:00:00Z","eventName":"RunInstances","eventSource":"ec2.amazonaws.com","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/x"},"requestParameters":{"instanceType":5,"instancesSet":"nope","maxCount":"abc"},"responseElements":{"instancesSet":{"items":"x"}}}
{"eventTime":"2024-10-29T10:01:00Z","eventName":"UpdateDetector","eventSource":"guardduty.amazonaws.com","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/x"},"requestParameters":{"enable":"no"}}
{"eventTime":"2024-10-29T10:02:00Z","eventName":"PutEventSelectors","eventSource":"cloudtrail.amazonaws.com","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/x"},"requestParameters":{"eventSelectors":{"a":1}}}
{"eventTime":"2024-10-29T10:03:00Z","eventName":"CreateFleet","eventSource":"ec2.amazonaws.com","userIdentity":"oops","requestParameters":[[[[[[[[[[1]]]]]]]]]]}
)";
  auto r = run(text);
  CHECK(r.with("infrastructure.defense_evasion").empty());
  CHECK(r.with("infrastructure.large_instance_launch").empty());
  CHECK(r.answers.size() == 3);
}

TEST_CASE("infrastructure: findings do not depend on input order", "[analyzer][infrastructure]") {
  std::vector<R> rs;
  for (int i = 0; i < 5; ++i) rs.push_back(R{.min = i * 60.0, .name = "DescribeInstances", .read_only = "true"});
  for (int i = 0; i < 22; ++i) rs.push_back(R{.min = 700 + i * 0.3, .name = fmt::format("Create{}", i % 5)});
  rs.push_back(launch(710, "p5.48xlarge", 2, "eu-north-1"));
  rs.push_back(launch(711, "p5.48xlarge", 2, "eu-north-1"));
  rs.push_back(R{.min = 712, .name = "StopLogging", .source = "cloudtrail.amazonaws.com"});
  rs.push_back(R{.min = 713, .name = "DeleteFlowLogs"});
  const char* regions[] = {"us-east-1", "us-west-2", "eu-west-1", "ap-south-1", "sa-east-1"};
  for (int i = 0; i < 5; ++i) {
    rs.push_back(R{.min = 705.0 + i, .name = "ListServiceQuotas", .source = "servicequotas.amazonaws.com",
                   .region = regions[i], .read_only = "true"});
  }
  const std::int64_t baseline = kBase + 600 * 60000;
  auto fwd = run(jsonl(rs), nullptr, baseline, false);
  auto rev = run(jsonl(rs), nullptr, baseline, true);
  auto key = [](const std::vector<aiir::Finding>& v) {
    std::vector<std::string> out;
    for (const auto& f : v) {
      std::string d;
      for (const auto& [k, val] : f.details) d += k + "=" + val + ";";
      out.push_back(f.id() + " " + f.rule + " " + f.summary + " " + d);
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  CHECK(key(fwd.findings) == key(rev.findings));
  std::set<std::string> rules;
  for (const auto& f : fwd.findings) rules.insert(f.rule);
  CHECK(rules == std::set<std::string>{"infrastructure.defense_evasion", "infrastructure.first_region_use",
                                       "infrastructure.large_instance_launch", "infrastructure.mutation_burst",
                                       "infrastructure.quota_probing"});
}

TEST_CASE("infrastructure: the compute answer lists launch rules only", "[analyzer][infrastructure][quality]") {
  // Denied probes in a new region (no launch): the region finding must not
  // turn "were compute resources started?" into a yes.
  std::vector<R> rs;
  for (int i = 0; i < 5; ++i) rs.push_back(R{.min = i * 60.0});
  rs.push_back(R{.min = 700, .name = "ListFoundationModels", .source = "bedrock.amazonaws.com",
                 .region = "eu-west-3", .error = "AccessDeniedException", .read_only = "true"});
  auto r = run(jsonl(rs), nullptr, kBase + 600 * 60000);
  REQUIRE(r.with("infrastructure.first_region_use").size() == 1);
  const auto* q = r.answer("infrastructure.compute_launched");
  REQUIRE(q != nullptr);
  CHECK(q->answer == aiir::Answer::kNo);  // no launch call at all
  for (const auto& rule : q->rules) CHECK(rule.find("first_region_use") == std::string::npos);
  CHECK(std::find(q->rules.begin(), q->rules.end(), "infrastructure.gpu_instance_launched") != q->rules.end());
  // The logging question must not take security-group rules.
  const auto* l = r.answer("infrastructure.logging_tampered");
  REQUIRE(l != nullptr);
  for (const auto& rule : l->rules) CHECK(rule != "infrastructure.security*");
  CHECK(std::find(l->rules.begin(), l->rules.end(), "infrastructure.security_group_opened_to_internet") ==
        l->rules.end());
}

TEST_CASE("infrastructure: an existing instance started again is compute started", "[analyzer][infrastructure]") {
  // Stop, new user data, start: no launch, but the instance runs the new boot script.
  std::vector<R> rs;
  for (int i = 0; i < 5; ++i) rs.push_back(R{.min = i * 60.0});
  rs.push_back(R{.min = 700, .name = "StopInstances",
                 .extra = R"(,"requestParameters":{"instancesSet":{"items":[{"instanceId":"i-0b5d1e7f3a9c2e461"}]}})"});
  rs.push_back(R{.min = 702, .name = "ModifyInstanceAttribute",
                 .extra = R"(,"requestParameters":{"instanceId":"i-0b5d1e7f3a9c2e461","userData":"<sensitiveDataRemoved>"})"});
  rs.push_back(R{.min = 704, .name = "StartInstances",
                 .extra = R"(,"requestParameters":{"instancesSet":{"items":[{"instanceId":"i-0b5d1e7f3a9c2e461"}]}})"});
  auto r = run(jsonl(rs), nullptr, kBase + 600 * 60000);
  const auto* q = r.answer("infrastructure.compute_launched");
  REQUIRE(q != nullptr);
  CHECK(q->answer == aiir::Answer::kNotFound);
  INFO(q->explanation);
  CHECK(q->explanation.find("no compute was started") == std::string::npos);
  CHECK(q->explanation.find("i-0b5d1e7f3a9c2e461") != std::string::npos);
  // Near miss: a failed start starts nothing.
  rs.back().error = "UnauthorizedOperation";
  auto r2 = run(jsonl(rs), nullptr, kBase + 600 * 60000);
  CHECK(r2.answer("infrastructure.compute_launched")->answer == aiir::Answer::kNo);
}

TEST_CASE("infrastructure: the span a trail was off is stated", "[analyzer][infrastructure]") {
  std::vector<R> rs;
  for (int i = 0; i < 5; ++i) rs.push_back(R{.min = i * 60.0});
  rs.push_back(R{.min = 700, .name = "StopLogging", .source = "cloudtrail.amazonaws.com",
                 .extra = R"(,"requestParameters":{"name":"arn:aws:cloudtrail:us-east-1:111122223333:trail/management-events"})"});
  rs.push_back(R{.min = 725, .name = "StartLogging", .source = "cloudtrail.amazonaws.com",
                 .arn = "arn:aws:iam::111122223333:user/admin",
                 .extra = R"(,"requestParameters":{"name":"management-events"})"});
  auto r = run(jsonl(rs), nullptr, kBase + 600 * 60000);
  auto f = r.with("infrastructure.defense_evasion");
  REQUIRE(f.size() == 1);
  INFO(f[0]->summary);
  CHECK(f[0]->summary.find("trail management-events was not logging from") != std::string::npos);
  CHECK(f[0]->summary.find("until StartLogging") != std::string::npos);
  CHECK(f[0]->summary.find("25 minute(s)") != std::string::npos);
  const auto* q = r.answer("infrastructure.logging_tampered");
  REQUIRE(q != nullptr);
  CHECK(q->explanation.find("user/admin") != std::string::npos);
  // Never restarted: off to the end of the logs.
  rs.pop_back();
  auto r_open = run(jsonl(rs), nullptr, kBase + 600 * 60000);
  auto open = r_open.with("infrastructure.defense_evasion");
  REQUIRE(open.size() == 1);
  CHECK(open[0]->summary.find("to the end of these logs") != std::string::npos);
}

TEST_CASE("infrastructure: admin principals with a role path; agent check-ins are no change",
          "[analyzer][infrastructure]") {
  aiir::Profile p;
  p.loaded = true;
  // As the IAM console shows the permission set's role: with its path.
  p.admin_principals = {"arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_*"};
  const std::string admin = "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_7c1e/frank@example.com";
  const std::string web = "arn:aws:sts::111122223333:assumed-role/web-instance-role/i-0abc";
  std::vector<R> rs{R{.min = 0, .name = "UpdateService", .source = "ecs.amazonaws.com", .arn = admin,
                      .key = "ASIAADMIN0000001"},
                    R{.min = 1, .name = "StartQuery", .source = "logs.amazonaws.com", .arn = admin,
                      .key = "ASIAADMIN0000001"}};
  for (int h = 0; h < 5; ++h)  // the SSM agent of a web instance checks in
    rs.push_back(R{.min = 60.0 * h, .name = "UpdateInstanceInformation", .source = "ssm.amazonaws.com", .arn = web,
                   .key = "ASIAWEB000000001"});
  rs.push_back(R{.min = 10, .name = "PutInventory", .source = "ssm.amazonaws.com", .arn = web, .key = "ASIAWEB000000001"});
  auto r = run(jsonl(rs), &p);
  CHECK(r.with("infrastructure.change_by_non_admin").empty());
  const aiir::QuestionAnswer* q = r.answer("infrastructure.changed");
  REQUIRE(q != nullptr);
  CHECK(q->explanation.find("ssm (") == std::string::npos);
  CHECK(q->explanation.find("logs (") == std::string::npos);
  // Still a change: the web role sending a command, or deleting a parameter.
  rs.push_back(R{.min = 20, .name = "SendCommand", .source = "ssm.amazonaws.com", .arn = web, .key = "ASIAWEB000000001"});
  Run with_command = run(jsonl(rs), &p);  // kept: the findings live in it
  auto c = with_command.with("infrastructure.change_by_non_admin");
  REQUIRE(c.size() == 1);
  CHECK(c[0]->principal == web);
  CHECK(c[0]->summary.find("ssm:SendCommand (1)") != std::string::npos);
  CHECK(c[0]->summary.find("UpdateInstanceInformation") == std::string::npos);
  // Another permission set is not an administrator.
  p.admin_principals = {"arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_ReadOnly_*"};
  CHECK(run(jsonl(rs), &p).with("infrastructure.change_by_non_admin").size() == 2);
}
