// SPDX-License-Identifier: Apache-2.0
// Regression tests for decoder bugs found by fuzzing (tests/fuzz/decode_fuzz.cpp).
#include <catch2/catch.hpp>

#include <string>

#include "support/test_events.h"

using aiir::FileShape;
using aiir::WarningKind;
using aiir::testing::events_from_json;

namespace {

std::string ct_record(const std::string& id, const std::string& user, const std::string& pad = "") {
  return R"({"eventVersion":"1.09","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/x","accountId":"111122223333","userName":")" +
         user + R"("},"eventTime":"2026-03-10T10:00:00Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","awsRegion":"us-east-1","eventID":")" +
         id + R"(","eventType":"AwsApiCall","recipientAccountId":"111122223333","pad":")" + pad + R"("})";
}

}  // namespace

// decode_damaged joined the values of a concatenated file into batch.main_text
// while they still pointed into it (the UTF-8-repaired text lives there):
// overlapping memcpy, and a use-after-free when the buffer had to grow.
TEST_CASE("concatenated values with invalid UTF-8 decode from a stable buffer", "[faults][decode]") {
  // Two values on one line (not JSON Lines), one with a bad byte so the text is repaired first.
  std::string first = "{\"Records\":[" + ct_record("e1", "al\xFFice") + "]}";
  std::string second = "{\"Records\":[" + ct_record("e2", "bob") + "]}";
  // Size the repaired text so the joined array no longer fits the buffer (forces it to grow).
  std::size_t repaired = first.size() + 2 + second.size();
  std::size_t target = (std::size_t{1} << 17) - 1;
  REQUIRE(repaired < target);
  second = "{\"Records\":[" + ct_record("e2", "bob", std::string(target - repaired, 'p')) + "]}";
  auto f = events_from_json(first + second);
  REQUIRE(f.events.size() == 2);
  CHECK(f.batch->file.shape == FileShape::kCloudTrailRecords);  // the first value's shape
  CHECK(f.events[0].user_name == "al\xEF\xBF\xBDice");
  CHECK(f.events[1].user_name == "bob");
  CHECK(f.events[1].event_id == "e2");
  CHECK(f.stats().warnings_by_kind[static_cast<std::size_t>(WarningKind::kInvalidUtf8)] == 1);
}

// An object with eventType AwsCloudTrailInsight but no insightDetails made the
// normalizer query a default-constructed simdjson element (null document).
TEST_CASE("Insight record without insightDetails", "[faults][decode]") {
  auto f = events_from_json(
      R"({"Records":[{"eventVersion":"1.07","eventTime":"2026-03-10T00:51:00Z","awsRegion":"us-east-1","eventID":"i1","eventType":"AwsCloudTrailInsight","recipientAccountId":"111122223333","insigXtDetails":{"state":"Start"},"eventCategory":"Insight"}]})");
  REQUIRE(f.events.size() == 1);
  CHECK(f.events[0].kind == aiir::EventKind::kInsight);
  CHECK(f.events[0].service.empty());
  CHECK(f.events[0].action.empty());
  CHECK(f.events[0].event_id == "i1");
}

// A numeric event time beyond int64 (parsed as a double) was cast to int64:
// undefined behaviour. Out-of-range numbers are now no time at all.
TEST_CASE("numeric event times outside years 1..9999 are no time", "[faults][decode]") {
  auto kb = [](const std::string& ts) {
    return R"({"event_timestamp":)" + ts +
           R"(,"event":{"ingestion_job_id":"j1","knowledge_base_arn":"arn:aws:bedrock:us-east-1:111122223333:knowledge-base/KB1","status":"FAILED"},"event_version":"1.0","event_type":"StartIngestionJob.ResourceStatusChanged","level":"INFO"})";
  };
  for (std::string bad : {"17364456000045600000", "-9223372036854775807", "1e300", "-1e300", "253402300800000"}) {
    auto f = events_from_json(kb(bad));
    INFO(bad);
    CHECK(f.events.empty());
    CHECK(f.stats().skipped_by_reason[static_cast<std::size_t>(aiir::SkipReason::kMissingTime)] == 1);
  }
  // Near misses: milliseconds, seconds and fractional seconds still read.
  for (auto [ts, ms] : {std::pair<std::string, std::int64_t>{"1736445600000", 1736445600000},
                        {"1736445600", 1736445600000},
                        {"1736445600.5", 1736445600500}}) {
    auto f = events_from_json(kb(ts));
    INFO(ts);
    REQUIRE(f.events.size() == 1);
    CHECK(f.events[0].time_ms == ms);
  }
}

// A CloudTrail Lake row (get-query-results) whose column objects hold several
// non-string values: their JSON text was kept in a vector reserved for one per
// column, and the cells' views into it dangled once it grew (a use after free).
TEST_CASE("Lake rows with several non-string values per column keep their views valid", "[faults][decode]") {
  std::string row = R"([{"eventID":"e1"},{"eventTime":"2026-03-10 10:00:00.000"},)"
                    R"({"eventSource":"s3.amazonaws.com"},{"eventName":"ListBuckets"},)"
                    R"({"awsRegion":"us-east-1","readOnly":true,"errorCode":null)";
  // Many non-string values in one column object: the text of each must outlive the row's end.
  for (int i = 0; i < 40; ++i) row += ",\"extra" + std::to_string(i) + "\":{\"n\":" + std::to_string(i) + "}";
  row += R"(,"sourceIPAddress":{"ip":"203.0.113.9"}}])";
  auto f = events_from_json(R"({"QueryStatus":"FINISHED","QueryResultRows":[)" + row + "]}");
  REQUIRE(f.events.size() == 1);
  CHECK(f.events[0].event_id == "e1");
  CHECK(f.events[0].action == "ListBuckets");
  CHECK(f.events[0].region == "us-east-1");
}

// `QueryResultRows` that is not an array was iterated as a default-constructed
// simdjson array (no document: undefined behaviour). Not an array: no rows.
TEST_CASE("Lake results whose rows are not an array give no rows", "[faults][decode]") {
  for (const char* rows : {"1736445600000", "\"rows\"", "{\"a\":1}", "null"}) {
    auto f = events_from_json(std::string(R"({"QueryStatus":"FINISHED","QueryResultRows":)") + rows + "}");
    CHECK(f.events.empty());
  }
}
