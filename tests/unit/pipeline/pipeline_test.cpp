// SPDX-License-Identifier: Apache-2.0
// The pipeline: order, dedup, windows, thread-count independence.
#include <catch2/catch.hpp>

#include <string>

#include "pipeline/pipeline.h"
#include "report/event_writer.h"
#include "support/files.h"

using aiir::testing::gzip;
using aiir::testing::TempDir;

namespace {

std::string rec(const std::string& id, const std::string& time, const std::string& account = "111122223333") {
  return R"({"eventVersion":"1.09","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/alice"},"eventTime":")" +
         time + R"(","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","awsRegion":"us-east-1","eventID":")" + id +
         R"(","recipientAccountId":")" + account + R"("})";
}

struct Collect final : aiir::EventSink {
  std::string out;
  void consume(const aiir::EventView& ev, std::size_t, aiir::BatchExtra*) override {
    aiir::append_event_line(out, ev, aiir::EventFormat::kJsonl, true);
  }
};

std::pair<std::string, aiir::ReadStats> run(const std::string& root, unsigned threads, std::int64_t from = INT64_MIN,
                                            std::int64_t to = INT64_MAX) {
  aiir::ReadStats disc;
  auto inputs = aiir::discover_inputs({root}, disc);
  aiir::PipelineOptions opt;
  opt.threads = threads;
  opt.from_ms = from;
  opt.to_ms = to;
  Collect sink;
  auto stats = aiir::run_pipeline(inputs.files, opt, sink);
  return {sink.out, std::move(stats)};
}

}  // namespace

TEST_CASE("output is identical for any thread count; duplicates dropped by (eventID, account)", "[pipeline]") {
  TempDir dir;
  for (int f = 0; f < 23; ++f) {
    std::string body = "{\"Records\":[";
    for (int r = 0; r < 50; ++r) {
      if (r) body += ",";
      body += rec("e" + std::to_string(f * 50 + r), "2026-03-10T10:" + std::to_string(10 + r) + ":00Z");
    }
    body += "]}";
    dir.write("AWSLogs/111122223333/CloudTrail/us-east-1/2026/03/10/f" + std::to_string(100 + f) + ".json.gz", gzip(body));
  }
  // An org-trail copy of file 0 (same events: dropped) and a shared event in another account (kept).
  dir.write("org/o-abc/f000.json", "{\"Records\":[" + rec("e0", "2026-03-10T10:10:00Z") + "," +
                                       rec("e0", "2026-03-10T10:10:00Z", "444455556666") + "]}");
  // A record repeated within one file: the second copy is dropped.
  dir.write("zz/twice.json", "{\"Records\":[" + rec("z1", "2026-03-10T11:00:00Z") + "," +
                                 rec("z1", "2026-03-10T11:00:00Z") + "]}");
  auto [one, s1] = run(dir.path(), 1);
  auto [four, s4] = run(dir.path(), 4);
  CHECK(one == four);
  CHECK(s1.events_total() == 23 * 50 + 2);
  CHECK(s1.skipped_by_reason[static_cast<std::size_t>(aiir::SkipReason::kDuplicate)] == 2);
  CHECK(s4.events_total() == s1.events_total());
  REQUIRE(s1.files.size() == 25);
  CHECK(s1.files[0].path < s1.files[1].path);
}

TEST_CASE("time window: --from/--to filter events and skip files by S3 key date before opening", "[pipeline]") {
  TempDir dir;
  dir.write("AWSLogs/1/CloudTrail/us-east-1/2026/03/01/a.json", "{\"Records\":[" + rec("old", "2026-03-01T10:00:00Z") + "]}");
  dir.write("AWSLogs/1/CloudTrail/us-east-1/2026/03/10/b.json",
            "{\"Records\":[" + rec("in", "2026-03-10T10:00:00Z") + "," + rec("late", "2026-03-10T23:00:00Z") + "]}");
  auto [out, stats] = run(dir.path(), 1, 1773100800000 /*03-10T00:00Z*/, 1773140400000 /*03-10T11:00Z*/);
  // Open-ended windows must not overflow (regression: --from alone skipped every file).
  auto [from_only, s_from] = run(dir.path(), 1, 1773100800000);
  CHECK(s_from.events_total() == 2);
  auto [to_only, s_to] = run(dir.path(), 1, INT64_MIN, 1773100800000);
  CHECK(s_to.events_total() == 1);
  CHECK(stats.events_total() == 1);
  CHECK(stats.files_skipped_window == 1);
  CHECK(stats.skipped_by_reason[static_cast<std::size_t>(aiir::SkipReason::kOutsideWindow)] == 1);
  CHECK(out.find("\"event_id\":\"in\"") != std::string::npos);
}

TEST_CASE("markers and offloaded Bedrock payloads are counted, not parsed", "[pipeline]") {
  TempDir dir;
  dir.write("aws-logs-write-test", "");
  dir.write("AWSLogs/1/BedrockModelInvocationLogs/us-east-1/2026/03/10/10/data/r1_input.json.gz", gzip("{\"x\":1}"));
  dir.write("AWSLogs/1/CloudTrail/us-east-1/2026/03/10/b.json", "{\"Records\":[" + rec("in", "2026-03-10T10:00:00Z") + "]}");
  auto [out, stats] = run(dir.path(), 2);
  CHECK(stats.files_by_shape[static_cast<std::size_t>(aiir::FileShape::kMarker)] == 2);
  CHECK(stats.events_total() == 1);
  CHECK(stats.warnings.empty());
}

TEST_CASE("invocation logs under a folder named data are logs, not offloaded payloads", "[pipeline]") {
  // Only a data/ folder inside the BedrockModelInvocationLogs tree holds offloaded bodies;
  // evidence kept under /data/cases/... or /mnt/data/... is read.
  CHECK(aiir::is_marker_file("/work/AWSLogs/1/BedrockModelInvocationLogs/us-east-1/2026/03/10/10/data/r1_input.json.gz"));
  CHECK_FALSE(aiir::is_marker_file("/data/cases/42/AWSLogs/1/BedrockModelInvocationLogs/us-east-1/2026/03/10/10/x.json.gz"));
  CHECK_FALSE(aiir::is_marker_file("/mnt/data/AWSLogs/1/BedrockModelInvocationLogs/us-east-1/2026/03/10/10/x.json.gz"));
  CHECK_FALSE(aiir::is_marker_file("/data/AWSLogs/1/CloudTrail/us-east-1/2026/03/10/x.json.gz"));
}

TEST_CASE("an invocation record delivered to S3 and to CloudWatch Logs counts once", "[pipeline]") {
  auto inv = [](const std::string& rid, int tokens_out) {
    return R"({"schemaType":"ModelInvocationLog","schemaVersion":"1.0","timestamp":"2026-03-10T10:00:00Z","accountId":"111122223333","region":"us-east-1","requestId":")" +
           rid + R"(","operation":"Converse","modelId":"anthropic.claude-3-haiku-20240307-v1:0","identity":{"arn":"arn:aws:sts::111122223333:assumed-role/app/s"},"input":{"inputContentType":"application/json","inputTokenCount":10},"output":{"outputContentType":"application/json","outputTokenCount":)" +
           std::to_string(tokens_out) + "}}";
  };
  auto quote = [](const std::string& s) {
    std::string q = "\"";
    for (char c : s) {
      if (c == '"' || c == '\\') q += '\\';
      q += c;
    }
    return q + "\"";
  };
  TempDir dir;
  // The S3 copy (JSON Lines) and a CloudWatch Logs export of the same call, plus
  // a record that shares the request id but differs (kept: not a copy).
  dir.write("AWSLogs/111122223333/BedrockModelInvocationLogs/us-east-1/2026/03/10/10/a.json.gz",
            gzip(inv("r-1", 5) + "\n" + inv("r-2", 7) + "\n"));
  dir.write("cw/export.json", R"({"events":[{"logStreamName":"aws/bedrock/modelinvocations","timestamp":1773136800000,"message":)" +
                                  quote(inv("r-1", 5)) + R"(,"ingestionTime":1773136801000,"eventId":"1"},)" +
                                  R"({"logStreamName":"aws/bedrock/modelinvocations","timestamp":1773136800000,"message":)" +
                                  quote(inv("r-2", 9)) + R"(,"ingestionTime":1773136801000,"eventId":"2"}]})");
  auto [out, stats] = run(dir.path(), 1);
  CHECK(stats.events_total() == 3);
  CHECK(stats.skipped_by_reason[static_cast<std::size_t>(aiir::SkipReason::kDuplicate)] == 1);
}
