// SPDX-License-Identifier: Apache-2.0
// Tests of the Data-store analyzer: knowledge-base bucket writes and ingestion,
// KB/agent changes per principal, unexpected retrievals, answers, order.
#include <aiir/analyzer.h>

#include <catch2/catch.hpp>

#include "analyzers/ai_fixtures.h"
#include "analyzers/factories.h"

using namespace aiir;
using namespace aiir::testing;

namespace {

constexpr const char* kKey = "AKIAEXAMPLELEAKED1";
constexpr long kDay = 86400;
constexpr std::int64_t kBaseline = 1773187200000LL;  // 2026-03-11T00:00:00Z
const char* kAdmin = "arn:aws:iam::111122223333:user/admin-alice";

std::string create_ds(long sec, std::string_view bucket = "corp-kb") {
  return ct(sec, "bedrock.amazonaws.com", "CreateDataSource", kAdmin, "ASIAADMIN", "192.0.2.10", "us-east-1",
            fmt::format(R"({{"knowledgeBaseId":"KB12345678","name":"docs","dataSourceConfiguration":{{"type":"S3","s3Configuration":{{"bucketArn":"arn:aws:s3:::{}","inclusionPrefixes":["docs/"]}}}}}})", bucket),
            R"(,"responseElements":{"dataSource":{"knowledgeBaseId":"KB12345678","dataSourceId":"DS12345678"}})");
}

std::string s3w(long sec, std::string_view name, std::string_view bucket, std::string_view key, std::string_view ip,
                std::string_view arn = kUser) {
  return ct(sec, "s3.amazonaws.com", name, arn, kKey, ip, "us-east-1",
            fmt::format(R"({{"bucketName":"{}","key":"{}"}})", bucket, key),
            R"(,"eventCategory":"Data","managementEvent":false,"readOnly":false)");
}

std::string ingest(long sec, std::string_view ip = "198.51.100.77") {
  return ct(sec, "bedrock.amazonaws.com", "StartIngestionJob", kUser, kKey, ip, "us-east-1",
            R"({"knowledgeBaseId":"KB12345678","dataSourceId":"DS12345678"})");
}

struct Run {
  Profile profile;
  AnalyzerConfig config;
  std::unique_ptr<Analyzer> analyzer;
  std::vector<Finding> findings;
  explicit Run(std::int64_t baseline = kBaseline, Profile p = {}) : profile(std::move(p)) {
    config.profile = &profile;
    config.baseline_until_ms = baseline;
    analyzer = make_data_store(config);
  }
  Run& go(const std::vector<std::string>& recs, bool shuffle = false) {
    findings = shuffle ? run_permuted(*analyzer, recs, shuffled(recs.size())) : run(*analyzer, recs);
    return *this;
  }
};

}  // namespace

TEST_CASE("data_store: writes to a learned KB bucket, then ingestion", "[analyzer][data_store]") {
  std::vector<std::string> base = {create_ds(3000), s3w(3600, "PutObject", "corp-kb", "docs/a.md", "192.0.2.50"),
                                   ingest(3700, "192.0.2.50")};
  SECTION("a new writer followed by an ingestion job: critical, citing both") {
    auto recs = base;
    recs.push_back(s3w(kDay + 100, "PutObject", "corp-kb", "docs/refund-policy.md", "198.51.100.77"));
    recs.push_back(s3w(kDay + 130, "DeleteObject", "corp-kb", "docs/old.md", "198.51.100.77"));
    recs.push_back(ingest(kDay + 400));
    Run r;
    r.go(recs);
    auto c = with_rule(r.findings, "data_store.kb_poisoning_ingested");
    REQUIRE(c.size() == 1);
    CHECK(c[0]->severity == Severity::kCritical);
    CHECK(c[0]->source_ips == std::vector<std::string>{"198.51.100.77"});
    std::set<std::string> acts;
    for (const auto& e : c[0]->evidence) acts.insert(e.action);
    CHECK(acts == std::set<std::string>{"PutObject", "DeleteObject", "StartIngestionJob"});
    CHECK(c[0]->summary.find("docs/refund-policy.md") != std::string::npos);
    std::map<std::string, std::string> d(c[0]->details.begin(), c[0]->details.end());
    CHECK(d["bucket"] == "corp-kb");
    CHECK(d["knowledge_base"] == "KB12345678");
    CHECK(d["objects_inside_prefixes"] == "yes");
    // The baseline writer produces no finding.
    CHECK(with_rule(r.findings, "data_store.kb_bucket_write").empty());
  }
  SECTION("a new writer without ingestion: high") {
    auto recs = base;
    recs.push_back(s3w(kDay + 100, "PutObject", "corp-kb", "docs/x.md", "198.51.100.77"));
    Run r;
    r.go(recs);
    auto w = with_rule(r.findings, "data_store.kb_bucket_write");
    REQUIRE(w.size() == 1);
    CHECK(w[0]->severity == Severity::kHigh);
    CHECK(w[0]->summary.find("source IP not seen") != std::string::npos);
  }
  SECTION("the known writer keeps writing: medium; other buckets: nothing") {
    auto recs = base;
    recs.push_back(s3w(kDay + 100, "PutObject", "corp-kb", "docs/b.md", "192.0.2.50"));
    recs.push_back(s3w(kDay + 100, "PutObject", "other-bucket", "x", "198.51.100.77"));
    recs.push_back(ingest(kDay + 200, "192.0.2.50"));
    Run r;
    r.go(recs);
    CHECK(with_rule(r.findings, "data_store.kb_poisoning_ingested").empty());
    auto w = with_rule(r.findings, "data_store.kb_bucket_write");
    REQUIRE(w.size() == 1);
    CHECK(w[0]->severity == Severity::kMedium);
  }
  SECTION("the data source appears after the writes in the input: same result") {
    std::vector<std::string> recs = {s3w(kDay + 100, "PutObject", "corp-kb", "docs/x.md", "198.51.100.77"),
                                     ingest(kDay + 400), create_ds(3000)};
    Run r;
    r.go(recs);
    CHECK(with_rule(r.findings, "data_store.kb_poisoning_ingested").size() == 1);
  }
  SECTION("an ingestion job before the write does not count as following it") {
    std::vector<std::string> recs = {create_ds(3000), ingest(kDay + 50),
                                     s3w(kDay + 100, "PutObject", "corp-kb", "docs/x.md", "198.51.100.77")};
    Run r;
    r.go(recs);
    CHECK(with_rule(r.findings, "data_store.kb_poisoning_ingested").empty());
    CHECK(with_rule(r.findings, "data_store.kb_bucket_write").size() == 1);
  }
}

TEST_CASE("data_store: KB buckets from the profile", "[analyzer][data_store]") {
  Profile p;
  p.loaded = true;
  p.kb_buckets = {"corp-kb-*"};
  Run r(kBaseline, p);
  r.go({s3w(kDay + 100, "PutObject", "corp-kb-prod", "a.md", "198.51.100.77"),
        s3w(kDay + 100, "PutObject", "unrelated", "a.md", "198.51.100.77")});
  auto w = with_rule(r.findings, "data_store.kb_bucket_write");
  REQUIRE(w.size() == 1);
  CHECK(w[0]->details.front().second == "corp-kb-prod");
}

TEST_CASE("data_store: KB and agent changes by unexpected principals", "[analyzer][data_store]") {
  std::vector<std::string> recs = {
      ct(3000, "bedrock.amazonaws.com", "UpdateKnowledgeBase", kAdmin, "ASIAADMIN", "192.0.2.10", "us-east-1",
         R"({"knowledgeBaseId":"KB12345678"})"),
      ct(kDay + 100, "bedrock.amazonaws.com", "CreateAgentActionGroup", kUser, kKey, "198.51.100.77", "us-east-1",
         R"({"agentId":"AGENT12345","actionGroupName":"exfil"})"),
      ct(kDay + 200, "bedrock.amazonaws.com", "GetKnowledgeBase", kUser, kKey, "198.51.100.77", "us-east-1",
         R"({"knowledgeBaseId":"KB12345678"})")};
  Run r;
  r.go(recs);
  auto c = with_rule(r.findings, "data_store.kb_agent_changes");
  REQUIRE(c.size() == 1);
  CHECK(c[0]->principal == kUser);
  CHECK(c[0]->severity == Severity::kMedium);  // an action group is a plugin
  CHECK(c[0]->summary.find("CreateAgentActionGroup x1") != std::string::npos);
  CHECK(c[0]->summary.find("AGENT12345") != std::string::npos);
  std::vector<QuestionAnswer> qa;
  Coverage cov;
  cov.cloudtrail_events = 3;
  r.analyzer->answer(cov, qa);
  REQUIRE(qa.size() == 1);
  CHECK(qa[0].answer == Answer::kYes);
  CHECK(qa[0].explanation.find("No S3 data events") != std::string::npos);
  CHECK(qa[0].explanation.find("UpdateKnowledgeBase") != std::string::npos);  // the admin's change, summarised
}

TEST_CASE("data_store: Amazon Q Business plugins and data sources are data-store changes", "[analyzer][data_store]") {
  std::vector<std::string> recs = {
      ct(3000, "qbusiness.amazonaws.com", "UpdateDataSource", kAdmin, "ASIAADMIN", "192.0.2.10", "us-east-1",
         R"({"applicationId":"app-1","indexId":"idx-1","dataSourceId":"ds-1"})"),
      ct(kDay + 100, "qbusiness.amazonaws.com", "CreatePlugin", kUser, kKey, "198.51.100.77", "us-east-1",
         R"({"applicationId":"app-1","displayName":"helper","type":"CUSTOM","serverUrl":"https://203.0.113.9/api"})"),
      ct(kDay + 200, "qbusiness.amazonaws.com", "UpdateDataSource", kUser, kKey, "198.51.100.77", "us-east-1",
         R"({"applicationId":"app-1","indexId":"idx-1","dataSourceId":"ds-1"})"),
      // Near miss: chats are use, not changes.
      ct(kDay + 300, "qbusiness.amazonaws.com", "ChatSync", kUser, kKey, "198.51.100.77", "us-east-1",
         R"({"applicationId":"app-1"})")};
  Run r;
  r.go(recs);
  auto c = with_rule(r.findings, "data_store.kb_agent_changes");
  REQUIRE(c.size() == 1);
  CHECK(c[0]->principal == kUser);
  CHECK(c[0]->severity == Severity::kMedium);  // a plugin
  CHECK(c[0]->summary.find("CreatePlugin x1") != std::string::npos);
  CHECK(c[0]->summary.find("ChatSync") == std::string::npos);
  CHECK(c[0]->summary.find("app-1") != std::string::npos);
}

TEST_CASE("data_store: retrievals by principals outside the app roles", "[analyzer][data_store]") {
  Profile p;
  p.loaded = true;
  p.app_principals = {{"arn:aws:iam::111122223333:role/app-role", {"bedrock:Retrieve"}}};
  std::string extra = R"(,"eventCategory":"Data","managementEvent":false)";
  Run r(kBaseline, p);
  r.go({ct(100, "bedrock.amazonaws.com", "Retrieve", kAppRole, "ASIAX", "10.0.0.5", "us-east-1",
           R"({"knowledgeBaseId":"KB12345678"})", extra),
        ct(200, "bedrock.amazonaws.com", "RetrieveAndGenerate", kUser, kKey, "198.51.100.77", "us-east-1", "{}", extra),
        ct(300, "bedrock.amazonaws.com", "InvokeAgent", kUser, kKey, "198.51.100.77", "us-east-1",
           R"({"agentId":"AGENT12345","agentAliasId":"ALIAS1","sessionId":"s"})", extra)});
  auto u = with_rule(r.findings, "data_store.unexpected_retrieval");
  REQUIRE(u.size() == 1);
  CHECK(u[0]->principal == kUser);
  CHECK(u[0]->count == 2);
}

TEST_CASE("data_store: model training on data from a new source or another account's bucket",
          "[analyzer][data_store]") {
  const char* eng = "arn:aws:sts::111122223333:assumed-role/MLEngineer/priya";
  const char* ci = "arn:aws:sts::111122223333:assumed-role/MLOpsDeployRole/gitlab-ml";
  auto job = [](long sec, const char* arn, std::string_view uri, std::string_view ip = "192.0.2.10",
                std::string_view error = "") {
    return ct(sec, "bedrock.amazonaws.com", "CreateModelCustomizationJob", arn, "ASIAJOB", ip, "us-east-1",
              fmt::format(R"({{"jobName":"j{}","customModelName":"m{}","baseModelIdentifier":"amazon.titan-text-express-v1",)"
                          R"("trainingDataConfig":{{"s3Uri":"{}"}},"outputDataConfig":{{"s3Uri":"s3://ml-out/"}}}})",
                          sec, sec, uri),
              error.empty() ? std::string() : fmt::format(R"(,"errorCode":"{}")", error));
  };
  SECTION("a bucket named for an account that is not in the logs: high, naming the URI") {
    std::vector<std::string> r = {job(1000, eng, "s3://ml-training-111122223333/v1/train.jsonl"),
                                  job(9000, ci, "s3://ml-datasets-444455556666/t.jsonl", "203.0.113.200")};
    for (bool shuffle : {false, true}) {
      Run run;
      auto fs = with_rule(run.go(r, shuffle).findings, "data_store.training_data_new_source");
      REQUIRE(fs.size() == 1);
      CHECK(fs[0]->severity == Severity::kHigh);
      CHECK(fs[0]->principal == ci);
      CHECK(fs[0]->summary.find("s3://ml-datasets-444455556666/t.jsonl") != std::string::npos);
      CHECK(fs[0]->summary.find("444455556666") != std::string::npos);
      CHECK(fs[0]->source_ips == std::vector<std::string>{"203.0.113.200"});
    }
    Run first;  // another account's bucket needs no earlier job to compare with
    auto fs = with_rule(first.go({job(9000, ci, "s3://ml-datasets-444455556666/t.jsonl")}).findings,
                        "data_store.training_data_new_source");
    REQUIRE(fs.size() == 1);
    CHECK(fs[0]->severity == Severity::kHigh);
  }
  SECTION("a bucket no earlier job used: medium") {
    Run run;
    auto fs = with_rule(run.go({job(1000, eng, "s3://ml-training/v1/train.jsonl"),
                                job(9000, ci, "s3://scratch-data/t.jsonl")})
                            .findings,
                        "data_store.training_data_new_source");
    REQUIRE(fs.size() == 1);
    CHECK(fs[0]->severity == Severity::kMedium);
  }
  SECTION("near misses: the same bucket again, the first job in the logs, a refused job, the logs' own account") {
    Run a, b, c, d;
    CHECK(count_rule(a.go({job(1000, eng, "s3://ml-training/v1/a.jsonl"), job(9000, ci, "s3://ml-training/v2/b.jsonl")})
                         .findings,
                     "data_store.training_data_new_source") == 0);
    CHECK(count_rule(b.go({job(1000, eng, "s3://ml-training/v1/a.jsonl")}).findings,
                     "data_store.training_data_new_source") == 0);
    CHECK(count_rule(c.go({job(1000, eng, "s3://ml-training/v1/a.jsonl"),
                           job(9000, ci, "s3://ml-datasets-444455556666/t.jsonl", "203.0.113.200", "AccessDenied")})
                         .findings,
                     "data_store.training_data_new_source") == 0);
    CHECK(count_rule(d.go({job(1000, eng, "s3://ml-training-111122223333/a.jsonl")}).findings,
                     "data_store.training_data_new_source") == 0);
  }
}

TEST_CASE("data_store: malformed records are tolerated", "[analyzer][data_store]") {
  Profile p;
  p.loaded = true;
  p.kb_buckets = {"corp-kb"};
  Run r(kBaseline, p);
  r.go({R"({"eventVersion":"1.10","eventSource":"s3.amazonaws.com","eventName":"PutObject","eventTime":"2026-03-11T00:00:01Z","requestParameters":{"bucketName":5}})",
        R"({"eventVersion":"1.10","eventSource":"s3.amazonaws.com","eventName":"PutObject","eventTime":"2026-03-11T00:00:01Z","requestParameters":"corp-kb"})",
        R"({"eventVersion":"1.10","eventSource":"bedrock.amazonaws.com","eventName":"CreateDataSource","eventTime":"2026-03-10T00:00:01Z","requestParameters":{"dataSourceConfiguration":{"s3Configuration":{"bucketArn":7,"inclusionPrefixes":"docs/"}}}})",
        R"({"eventVersion":"1.10","eventSource":"bedrock.amazonaws.com","eventName":"StartIngestionJob","eventTime":"2026-03-10T00:00:01Z","requestParameters":null})"});
  for (const auto& f : r.findings) CHECK(f.severity < Severity::kHigh);
}

TEST_CASE("data_store: results do not depend on input order", "[analyzer][data_store]") {
  std::vector<std::string> recs = {create_ds(3000), s3w(3600, "PutObject", "corp-kb", "docs/a.md", "192.0.2.50"),
                                   s3w(kDay + 100, "PutObject", "corp-kb", "docs/refund-policy.md", "198.51.100.77"),
                                   s3w(kDay + 110, "PutObject", "corp-kb", "docs/b.md", "192.0.2.50"),
                                   ingest(kDay + 400),
                                   ct(kDay + 500, "bedrock.amazonaws.com", "DeleteAgentAlias", kUser, kKey,
                                      "198.51.100.77", "us-east-1", R"({"agentId":"AGENT12345"})")};
  Run a, b;
  a.go(recs);
  b.go(recs, true);
  CHECK(signature(a.findings) == signature(b.findings));
  CHECK(a.findings.size() == 3);
}
