// SPDX-License-Identifier: Apache-2.0
// Every export shape and every kind of damaged input the decoder must handle.
#include <catch2/catch.hpp>

#include <string>

#include "support/test_events.h"

using aiir::EventKind;
using aiir::FileShape;
using aiir::SkipReason;
using aiir::WarningKind;
using aiir::testing::events_from_json;

namespace {

std::string ct(const std::string& id, const std::string& name = "ListBuckets", const std::string& extra = "") {
  return R"({"eventVersion":"1.09","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333","accessKeyId":"AKIAIOSFODNN7EXAMPLE","userName":"alice"},"eventTime":"2026-03-10T10:00:00Z","eventSource":"s3.amazonaws.com","eventName":")" +
         name + R"(","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7","userAgent":"aws-cli/2.15.0","requestParameters":null,"responseElements":null,"requestID":"req-)" +
         id + R"(","eventID":")" + id + R"(","readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management")" +
         extra + "}";
}

const char* kInvocation =
    R"({"schemaType":"ModelInvocationLog","schemaVersion":"1.0","timestamp":"2026-03-10T10:02:00Z","accountId":"111122223333","identity":{"arn":"arn:aws:sts::111122223333:assumed-role/AppRole/s1"},"region":"us-east-1","requestId":"r9","operation":"Converse","modelId":"anthropic.claude-3-haiku-20240307-v1:0","input":{"inputContentType":"application/json","inputTokenCount":12,"cacheReadInputTokenCount":3},"output":{"outputContentType":"application/json","outputTokenCount":30}})";

std::string escape_json(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\';
    o += c;
  }
  return o;
}

std::uint64_t skipped(const aiir::testing::EventFixture& f, SkipReason r) {
  return f.stats().skipped_by_reason[static_cast<std::size_t>(r)];
}
std::uint64_t warned(const aiir::testing::EventFixture& f, WarningKind k) {
  return f.stats().warnings_by_kind[static_cast<std::size_t>(k)];
}

}  // namespace

TEST_CASE("CloudTrail S3 object {Records:[...]}", "[decode]") {
  auto f = events_from_json("{\"Records\":[" + ct("e1") + "," + ct("e2") + "]}");
  REQUIRE(f.events.size() == 2);
  CHECK(f.batch->file.shape == FileShape::kCloudTrailRecords);
  const auto& e = f.events[0];
  CHECK(e.kind == EventKind::kCloudTrail);
  CHECK(e.event_id == "e1");
  CHECK(e.account == "111122223333");
  CHECK(e.actor_arn == "arn:aws:iam::111122223333:user/alice");
  CHECK(e.actor_type == "IAMUser");
  CHECK(e.access_key_id == "AKIAIOSFODNN7EXAMPLE");
  CHECK(e.source_ip == "198.51.100.7");
  CHECK(e.service == "s3.amazonaws.com");
  CHECK(e.action == "ListBuckets");
  CHECK(e.read_only == aiir::Tri::kTrue);
  CHECK(e.outcome == aiir::Outcome::kSuccess);
  CHECK(e.time_ms == 1773136800000);
  CHECK(e.where.record == 0);
  CHECK(f.events[1].where.record == 1);
}

TEST_CASE("a top-level JSON array, a single record, and JSON Lines", "[decode]") {
  auto arr = events_from_json("[" + ct("a") + ",\n" + ct("b") + "]");
  CHECK(arr.events.size() == 2);
  CHECK(arr.batch->file.shape == FileShape::kJsonArray);

  auto one = events_from_json(ct("a"));
  CHECK(one.events.size() == 1);
  CHECK(one.batch->file.shape == FileShape::kSingleRecord);

  // Pretty-printed single record over several lines.
  auto pretty = events_from_json("{\n  \"eventVersion\": \"1.08\",\n  \"eventTime\": \"2026-03-10T10:00:00Z\",\n"
                                 "  \"eventSource\": \"iam.amazonaws.com\",\n  \"eventName\": \"ListUsers\"\n}\n");
  CHECK(pretty.events.size() == 1);

  auto lines = events_from_json(ct("a") + "\r\n" + ct("b") + "\r\n\r\n" + kInvocation + "\n");
  REQUIRE(lines.events.size() == 3);
  CHECK(lines.batch->file.shape == FileShape::kJsonLines);
  CHECK(lines.events[2].kind == EventKind::kInvocation);
}

TEST_CASE("lookup-events output: CloudTrailEvent strings, several pages", "[decode]") {
  std::string page = R"({"Events":[{"EventId":"x","EventName":"ListBuckets","ReadOnly":"true","EventTime":1773136800.0,"CloudTrailEvent":")" +
                     escape_json(ct("p1")) + R"("},{"EventId":"y","CloudTrailEvent":")" + escape_json(ct("p2")) +
                     R"("}],"NextToken":"abc"})";
  std::string page2 = R"({"Events":[{"EventId":"z","CloudTrailEvent":")" + escape_json(ct("p3")) + R"("}]})";
  auto f = events_from_json(page + "\n" + page2 + "\n");
  REQUIRE(f.events.size() == 3);
  CHECK(f.batch->file.shape == FileShape::kLookupEvents);
  CHECK(f.events[0].event_id == "p1");
  CHECK(f.events[2].event_id == "p3");
  // Pretty-printed pages concatenated without line structure.
  auto g = events_from_json("{\n\"Events\": [{\"CloudTrailEvent\": \"" + escape_json(ct("q1")) + "\"}]\n}\n{\n\"Events\": [{\"CloudTrailEvent\": \"" +
                            escape_json(ct("q2")) + "\"}]\n}");
  REQUIRE(g.events.size() == 2);
  CHECK(g.events[1].event_id == "q2");
}

TEST_CASE("CloudWatch filter-log-events output and S3 export lines", "[decode]") {
  std::string api = R"({"events":[{"logStreamName":"111122223333_CloudTrail_us-east-1","timestamp":1773136801000,"ingestionTime":1773136802000,"eventId":"1","message":")" +
                    escape_json(ct("c1")) + R"("},{"timestamp":1773136803000,"message":")" + escape_json(kInvocation) +
                    R"("},{"timestamp":1,"message":"plain text, not JSON"}],"searchedLogStreams":[]})";
  auto f = events_from_json(api);
  REQUIRE(f.events.size() == 2);
  CHECK(f.batch->file.shape == FileShape::kCloudWatchApi);
  CHECK(f.events[0].ingest_time_ms == 1773136801000);
  CHECK(f.events[1].kind == EventKind::kInvocation);
  CHECK(skipped(f, SkipReason::kInvalidJson) == 1);

  auto x = events_from_json("2026-03-10T10:00:01.000Z " + ct("x1") + "\n1773136802000 " + ct("x2") + "\n");
  REQUIRE(x.events.size() == 2);
  CHECK(x.batch->file.shape == FileShape::kCloudWatchExport);
  CHECK(x.events[0].ingest_time_ms == 1773136801000);
  CHECK(x.events[1].ingest_time_ms == 1773136802000);
}

TEST_CASE("EventBridge envelope and subscription payloads", "[decode]") {
  auto eb = events_from_json(R"({"version":"0","id":"1","detail-type":"AWS API Call via CloudTrail","source":"aws.bedrock","account":"111122223333","time":"2026-03-10T10:00:00Z","region":"us-east-1","resources":[],"detail":)" +
                             ct("eb1") + "}");
  REQUIRE(eb.events.size() == 1);
  CHECK(eb.batch->file.shape == FileShape::kEventBridge);
  CHECK(eb.events[0].event_id == "eb1");

  std::string data = R"({"messageType":"DATA_MESSAGE","owner":"111122223333","logGroup":"g","logStream":"s","subscriptionFilters":["f"],"logEvents":[{"id":"1","timestamp":1773136800000,"message":")" +
                     escape_json(ct("s1")) + R"("}]})";
  std::string control = R"({"messageType":"CONTROL_MESSAGE","owner":"CloudwatchLogs","logGroup":"","logStream":"","subscriptionFilters":[],"logEvents":[{"id":"","timestamp":1,"message":"CWL CONTROL MESSAGE"}]})";
  auto sub = events_from_json(data + control + data);  // glued together, no separator
  REQUIRE(sub.events.size() == 2);
  CHECK(sub.batch->file.shape == FileShape::kSubscription);
  CHECK(skipped(sub, SkipReason::kControlMessage) == 1);
}

TEST_CASE("Bedrock invocation records, digests, config snapshots, Insights", "[decode]") {
  auto inv = events_from_json(kInvocation);
  REQUIRE(inv.events.size() == 1);
  const auto& e = inv.events[0];
  CHECK(e.kind == EventKind::kInvocation);
  CHECK(e.action == "Converse");
  CHECK(e.model_id == "anthropic.claude-3-haiku-20240307-v1:0");
  CHECK(e.tokens_in == 12);
  CHECK(e.tokens_out == 30);
  CHECK(e.tokens_cache_read == 3);
  CHECK(e.actor_type == "AssumedRole");
  CHECK(e.session_issuer == "arn:aws:iam::111122223333:role/AppRole");
  CHECK(e.request_id == "r9");
  CHECK(e.event_id.size() == 16);

  auto digest = events_from_json(R"({"awsAccountId":"111122223333","digestStartTime":"2026-03-10T09:00:00Z","digestEndTime":"2026-03-10T10:00:00Z","logFiles":[]})");
  CHECK(digest.events.empty());
  CHECK(digest.batch->file.shape == FileShape::kDigest);

  auto config = events_from_json(R"({"fileVersion":"1.0","configSnapshotId":"abc","configurationItems":[]})");
  CHECK(config.events.empty());
  CHECK(config.batch->file.shape == FileShape::kConfigSnapshot);

  auto insight = events_from_json(R"({"Records":[{"eventVersion":"1.07","eventTime":"2026-03-10T00:51:00Z","awsRegion":"us-east-1","eventID":"i1","eventType":"AwsCloudTrailInsight","recipientAccountId":"111122223333","sharedEventID":"s","insightDetails":{"state":"Start","eventSource":"ssm.amazonaws.com","eventName":"UpdateInstanceInformation","insightType":"ApiCallRateInsight"},"eventCategory":"Insight"}]})");
  REQUIRE(insight.events.size() == 1);
  CHECK(insight.events[0].kind == EventKind::kInsight);
  CHECK(insight.events[0].action == "UpdateInstanceInformation");
}

TEST_CASE("unrecognised JSON is counted with its path, never dropped silently", "[decode]") {
  auto f = events_from_json(R"({"hello":"world","n":1})", "notes.json");
  CHECK(f.events.empty());
  CHECK(f.batch->file.shape == FileShape::kUnrecognised);
  CHECK(warned(f, WarningKind::kUnrecognised) == 1);
  CHECK(f.stats().warnings[0].path == "notes.json");

  auto lines = events_from_json(ct("a") + "\n" + R"({"foo":1})" + "\n[1,2]\n");
  CHECK(lines.events.size() == 1);
  CHECK(skipped(lines, SkipReason::kUnrecognisedRecord) == 1);
  CHECK(skipped(lines, SkipReason::kNotAnObject) == 2);
}

TEST_CASE("null and absent alike; booleans as strings; MFA", "[decode][event]") {
  auto f = events_from_json(R"({"eventVersion":"1.08","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/R/s","accessKeyId":"ASIAX","sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::111122223333:role/R"},"attributes":{"mfaAuthenticated":"true","creationDate":"20131102T010628Z"}}},"eventTime":"2026-03-10T10:00:00Z","eventSource":"ec2.amazonaws.com","eventName":"DescribeInstances","awsRegion":null,"sourceIPAddress":null,"readOnly":"true","managementEvent":"false","errorCode":"Client.UnauthorizedOperation","resources":[{"accountId":"1","type":"AWS::EC2::Instance","arn":"arn:aws:ec2:us-east-1:1:instance/i-1"}]})");
  REQUIRE(f.events.size() == 1);
  const auto& e = f.events[0];
  CHECK(e.region.empty());
  CHECK(e.source_ip.empty());
  CHECK(e.read_only == aiir::Tri::kTrue);
  CHECK(e.management == aiir::Tri::kFalse);
  CHECK(e.mfa == aiir::Tri::kTrue);
  CHECK(e.session_issuer == "arn:aws:iam::111122223333:role/R");
  CHECK(e.outcome == aiir::Outcome::kFailure);
  CHECK(e.error_code == "Client.UnauthorizedOperation");
  REQUIRE(e.resources.size() == 1);
  CHECK(e.resources[0].arn == "arn:aws:ec2:us-east-1:1:instance/i-1");

  auto login = events_from_json(R"({"eventVersion":"1.08","userIdentity":{"type":"IAMUser","accountId":"111122223333","userName":"bob"},"eventTime":"2026-03-10T10:00:00Z","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","eventType":"AwsConsoleSignIn","responseElements":{"ConsoleLogin":"Failure"},"additionalEventData":{"MFAUsed":"YES"}})");
  REQUIRE(login.events.size() == 1);
  CHECK(login.events[0].outcome == aiir::Outcome::kFailure);
  CHECK(login.events[0].mfa == aiir::Tri::kTrue);
  CHECK(login.events[0].actor_arn == "arn:aws:iam::111122223333:user/bob");
}

TEST_CASE("S3 data events' bracketed user agent is the client's", "[decode][event]") {
  auto with_ua = [](const std::string& id, const std::string& ua) {
    std::string r = ct(id, "GetObject");
    r.replace(r.find("aws-cli/2.15.0"), 14, ua);
    return r;
  };
  auto f = events_from_json("[" + with_ua("u1", "[aws-cli/2.15.0 Python/3.11.6]") + "," +
                            with_ua("u2", "[S3Console/0.4]x") + "]");
  REQUIRE(f.events.size() == 2);
  CHECK(f.events[0].user_agent == "aws-cli/2.15.0 Python/3.11.6");
  CHECK(f.events[1].user_agent == "[S3Console/0.4]x");  // not a wrapped agent: as it is
}

TEST_CASE("the resource credentials were issued to (userIdentity.inScopeOf)", "[decode][event]") {
  auto f = events_from_json(R"({"eventVersion":"1.09","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/fn-role/fn","accessKeyId":"ASIAX","inScopeOf":{"issuerType":"AWS::Lambda::Function","credentialsIssuedTo":"arn:aws:lambda:us-east-1:111122223333:function:fn"},"sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::111122223333:role/fn-role"}}},"eventTime":"2026-03-10T10:00:00Z","eventSource":"ses.amazonaws.com","eventName":"SendEmail","awsRegion":"us-east-1"})"
                            "\n" + ct("plain") + "\n" +
                            R"({"eventVersion":"1.09","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/r/s","inScopeOf":"not an object"},"eventTime":"2026-03-10T10:00:00Z","eventSource":"ses.amazonaws.com","eventName":"SendEmail"})");
  REQUIRE(f.events.size() == 3);
  CHECK(f.events[0].issuer_type == "AWS::Lambda::Function");
  CHECK(f.events[0].issued_to == "arn:aws:lambda:us-east-1:111122223333:function:fn");
  CHECK(f.events[0].session_issuer == "arn:aws:iam::111122223333:role/fn-role");
  for (std::size_t i : {1, 2}) {
    CHECK(f.events[i].issuer_type.empty());
    CHECK(f.events[i].issued_to.empty());
  }
}

TEST_CASE("requestParameters, additionalEventData, sessionCredentialFromConsole and repeated identity keys as raw lookups see them", "[decode][event]") {
  auto f = events_from_json(
      R"({"eventVersion":"1.09","userIdentity":{"type":"Root","type":"IAMUser"},"eventTime":"2026-03-10T10:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","requestParameters":{"key":"a"},"requestParameters":{"key":"b"},"additionalEventData":{"bytesTransferredOut":7},"additionalEventData":{},"sessionCredentialFromConsole":"true","sessionCredentialFromConsole":"false"})"
      "\n" R"({"eventVersion":"1.09","userIdentity":{"type":"IAMUser"},"userIdentity":{"type":"Root"},"eventTime":"2026-03-10T10:00:00Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","sessionCredentialFromConsole":true})"
      "\n" + ct("plain"));
  REQUIRE(f.events.size() == 3);
  CHECK(f.events[0].repeated_keys);
  CHECK(f.events[1].repeated_keys);
  CHECK_FALSE(f.events[2].repeated_keys);
  // The first requestParameters, as raw["requestParameters"] finds it.
  std::string_view key;
  REQUIRE(f.events[0].request_parameters()["key"].get_string().get(key) == simdjson::SUCCESS);
  CHECK(key == "a");
  CHECK(f.events[1].request_parameters().error() == simdjson::NO_SUCH_FIELD);
  std::int64_t bytes = 0;
  REQUIRE(f.events[0].additional_event_data()["bytesTransferredOut"].get_int64().get(bytes) == simdjson::SUCCESS);
  CHECK(bytes == 7);
  CHECK(f.events[1].additional_event_data().error() == simdjson::NO_SUCH_FIELD);
  CHECK(f.events[0].from_console());
  CHECK_FALSE(f.events[1].from_console());  // a boolean, not the string CloudTrail writes
  CHECK_FALSE(f.events[2].from_console());  // absent
  aiir::EventView built;  // not normalized: looked up in raw
  built.raw = f.events[0].raw;
  REQUIRE(built.request_parameters()["key"].get_string().get(key) == simdjson::SUCCESS);
  CHECK(key == "a");
  REQUIRE(built.additional_event_data()["bytesTransferredOut"].get_int64().get(bytes) == simdjson::SUCCESS);
  CHECK(built.from_console());
}

TEST_CASE("a record without a usable time is skipped with a reason", "[decode]") {
  auto f = events_from_json("{\"Records\":[" + ct("a") + R"(,{"eventVersion":"1.08","eventSource":"s3.amazonaws.com","eventName":"X","eventTime":"yesterday"}]})");
  CHECK(f.events.size() == 1);
  CHECK(skipped(f, SkipReason::kMissingTime) == 1);
  CHECK(f.stats().skip_examples[static_cast<std::size_t>(SkipReason::kMissingTime)][0].position == 1);
}

TEST_CASE("damaged input: truncated documents, broken lines, invalid UTF-8, junk, empty", "[decode]") {
  std::string full = "{\"Records\":[" + ct("a") + "," + ct("b") + "," + ct("c") + "]}";
  auto cut = events_from_json(full.substr(0, full.size() - 40));
  CHECK(cut.events.size() == 2);
  CHECK(warned(cut, WarningKind::kTruncatedJson) == 1);
  CHECK(cut.batch->file.failed);

  auto lines = events_from_json(ct("a") + "\n{\"broken\": \n" + ct("b") + "\n" + ct("c").substr(0, 50));
  REQUIRE(lines.events.size() == 2);
  CHECK(lines.events[0].where.record == 0);
  CHECK(lines.events[1].where.record == 2);  // the broken line keeps its place
  CHECK(skipped(lines, SkipReason::kInvalidJson) == 1);
  CHECK(skipped(lines, SkipReason::kTruncated) == 1);

  std::string bad_utf8 = ct("u", "ListBuckets", ",\"userAgent2\":\"caf\xff\xfe\"");
  auto u = events_from_json("{\"Records\":[" + bad_utf8 + "]}");
  CHECK(u.events.size() == 1);
  CHECK(warned(u, WarningKind::kInvalidUtf8) == 1);

  auto junk = events_from_json(std::string("\x7f" "ELF\x01\x02\x00\x00garbage", 16));
  CHECK(junk.events.empty());
  CHECK(junk.batch->file.shape == FileShape::kUnrecognised);
  CHECK(warned(junk, WarningKind::kUnrecognised) == 1);

  auto broken = events_from_json("{\"Records\": [ {\"eventVersion\": tru");
  CHECK(broken.events.empty());
  CHECK(broken.batch->file.failed);

  auto empty = events_from_json("  \n\n");
  CHECK(empty.events.empty());
  CHECK(warned(empty, WarningKind::kUnrecognised) == 1);

  auto bom = events_from_json("\xEF\xBB\xBF" + ct("bom"));
  CHECK(bom.events.size() == 1);
}

namespace {
/// `utf8` as UTF-16 with a byte order mark (what Windows PowerShell 5's `>` writes).
std::string utf16(const std::string& utf8, bool big_endian) {
  std::string out = big_endian ? std::string("\xFE\xFF", 2) : std::string("\xFF\xFE", 2);
  auto unit = [&](unsigned u) {
    const char hi = static_cast<char>(u >> 8), lo = static_cast<char>(u & 0xFF);
    out += big_endian ? hi : lo;
    out += big_endian ? lo : hi;
  };
  for (std::size_t i = 0; i < utf8.size();) {
    const auto c = static_cast<unsigned char>(utf8[i]);
    unsigned cp = c;
    std::size_t len = 1;
    if (c >= 0xF0) cp = c & 0x07, len = 4;
    else if (c >= 0xE0) cp = c & 0x0F, len = 3;
    else if (c >= 0xC0) cp = c & 0x1F, len = 2;
    for (std::size_t k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(utf8[i + k]) & 0x3F);
    i += len;
    if (cp >= 0x10000) {
      unit(0xD800 + ((cp - 0x10000) >> 10));
      unit(0xDC00 + ((cp - 0x10000) & 0x3FF));
    } else {
      unit(cp);
    }
  }
  return out;
}
}  // namespace

TEST_CASE("UTF-16 files (PowerShell `>` output) are read as the same events", "[decode]") {
  const std::string doc = "{\"Records\":[" + ct("u1", "ListBuckets", ",\"userAgent2\":\"caf\xC3\xA9 \xF0\x9F\x98\x80\"") + "," +
                          ct("u2") + "]}\r\n";
  for (bool be : {false, true}) {
    auto f = events_from_json(utf16(doc, be));
    REQUIRE(f.events.size() == 2);
    CHECK(f.batch->file.shape == FileShape::kCloudTrailRecords);
    CHECK(f.events[0].event_id == "u1");
    std::string_view agent;
    REQUIRE(f.events[0].raw["userAgent2"].get_string().get(agent) == simdjson::SUCCESS);
    CHECK(agent == "caf\xC3\xA9 \xF0\x9F\x98\x80");
    CHECK_FALSE(f.batch->file.failed);
    CHECK(f.stats().warnings.empty());
  }
  auto lines = events_from_json(utf16(ct("l1") + "\r\n" + ct("l2") + "\r\n", false));
  REQUIRE(lines.events.size() == 2);
  CHECK(lines.events[1].where.record == 1);

  // A lone surrogate: replaced by U+FFFD and warned, the record kept.
  const std::string record = ct("d1");
  std::string damaged = utf16("{\"Records\":[" + record.substr(0, record.size() - 1) + ",\"x\":\"A", false);
  damaged += std::string("\x00\xD8", 2);  // a high surrogate without its low half
  damaged += utf16("\"}]}", false).substr(2);
  auto d = events_from_json(damaged);
  REQUIRE(d.events.size() == 1);
  CHECK(warned(d, WarningKind::kInvalidUtf8) == 1);
  CHECK(d.stats().warnings[0].detail.find("UTF-16") != std::string::npos);
  // An odd byte count (a cut-off file): no crash, the complete records kept.
  auto odd = events_from_json(utf16("{\"Records\":[" + ct("o1") + "," + ct("o2").substr(0, 50), false) + "\x7B");
  CHECK(odd.events.size() == 1);
  CHECK(odd.batch->file.failed);
}

TEST_CASE("archives and other compressions are named, not guessed at", "[decode]") {
  struct Case {
    std::string bytes;
    const char* name;
  };
  std::string tar(512, '\0');
  tar.replace(0, 9, "logs.json");
  tar.replace(257, 6, std::string("ustar\0", 6));
  const Case cases[] = {
      {std::string("PK\x03\x04\x14\x00\x00\x00", 8) + "junk", "zip"},
      {"BZh91AY&SY junk", "bzip2"},
      {std::string("\xFD" "7zXZ\x00\x00", 7) + "junk", "xz"},
      {std::string("\x28\xB5\x2F\xFD", 4) + "junk", "zstd"},
      {std::string("7z\xBC\xAF\x27\x1C", 6) + "junk", "7-Zip"},
      {tar, "tar"},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    auto f = events_from_json(c.bytes, "export.bin");
    CHECK(f.events.empty());
    CHECK(f.batch->file.shape == FileShape::kUnsupported);
    REQUIRE(warned(f, WarningKind::kUnsupported) == 1);
    CHECK(f.stats().warnings[0].detail.find(c.name) != std::string::npos);
    CHECK(f.stats().warnings[0].detail.find("not opened") != std::string::npos);
  }
}

namespace {
/// `json` as one RFC 4180 CSV field: quoted, inner quotes doubled.
std::string csv_field(const std::string& json) {
  std::string out = "\"";
  for (char c : json) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}
}  // namespace

TEST_CASE("exports that hold each record as a string: Logs Insights, jq'd lookup-events and CloudWatch arrays",
          "[decode]") {
  const std::string a = ct("s1"), b = ct("s2");
  auto insights = events_from_json("[{\"@timestamp\":\"2026-03-10 10:00:00.000\",\"@message\":\"" + escape_json(a) +
                                   "\"},{\"@timestamp\":\"2026-03-10 10:00:00.000\",\"@message\":\"" + escape_json(b) +
                                   "\"}]");
  REQUIRE(insights.events.size() == 2);
  CHECK(insights.events[1].event_id == "s2");
  CHECK(insights.events[1].where.record == 1);
  CHECK(insights.stats().skipped_total() == 0);

  // `aws cloudtrail lookup-events | jq .Events` and `aws logs filter-log-events | jq .events`.
  auto lookup = events_from_json("[{\"EventId\":\"s1\",\"EventName\":\"ListBuckets\",\"ReadOnly\":\"true\",\"CloudTrailEvent\":\"" +
                                 escape_json(a) + "\"}]");
  REQUIRE(lookup.events.size() == 1);
  CHECK(lookup.events[0].event_id == "s1");
  auto cw = events_from_json("[{\"logStreamName\":\"111122223333_CloudTrail_us-east-1\",\"timestamp\":1773136800000,"
                             "\"message\":\"" + escape_json(b) + "\",\"ingestionTime\":1773136801000}]");
  REQUIRE(cw.events.size() == 1);
  CHECK(cw.events[0].event_id == "s2");

  // Near miss: an unknown object whose message is prose stays unrecognised.
  auto prose = events_from_json(R"([{"level":"info","message":"service started"}])");
  CHECK(prose.events.empty());
  CHECK(skipped(prose, SkipReason::kUnrecognisedRecord) == 1);
}

TEST_CASE("CSV exports: a column of whole records is read; a summary without one is named unsupported", "[decode]") {
  const std::string a = ct("c1"), b = ct("c2");
  // Logs Insights "Export results → CSV": quoted, inner quotes doubled, CRLF, a bad row.
  auto csv = events_from_json("@timestamp,@message\r\n2026-03-10 10:00:00.000," + csv_field(a) +
                              "\r\n2026-03-10 10:00:01.000,not json\r\n2026-03-10 10:00:02.000," + csv_field(b) + "\r\n",
                              "insights.csv");
  REQUIRE(csv.events.size() == 2);
  CHECK(csv.batch->file.shape == FileShape::kCsvRecords);
  CHECK(csv.events[0].event_id == "c1");
  CHECK(csv.events[1].event_id == "c2");
  CHECK(csv.events[1].where.record == 2);  // the row, counted from the first data row
  CHECK(skipped(csv, SkipReason::kInvalidJson) == 1);

  // A quoted header, the record column not last, a field with an embedded newline.
  auto quoted = events_from_json("\"Event ID\",\"CloudTrailEvent\",\"Note\"\n\"c1\"," + csv_field(a) +
                                 ",\"two\nlines\"\n");
  REQUIRE(quoted.events.size() == 1);
  CHECK(quoted.events[0].event_id == "c1");

  // Console Event history download: CloudTrail columns without the record, read in flat mode.
  auto history = events_from_json("Event ID,Event time,User name,Event name,Resources,Event source,AWS access key,"
                                  "Source IP address,Error code\nc1,2026-03-10T10:00:00Z,alice,ListBuckets,,"
                                  "s3.amazonaws.com,AKIAIOSFODNN7EXAMPLE,198.51.100.7,\n"
                                  "c2,2026-03-10T10:00:05Z,alice,GetObject,,s3.amazonaws.com,AKIAIOSFODNN7EXAMPLE,"
                                  "198.51.100.7,AccessDenied\n",
                                  "event_history.csv");
  CHECK(history.batch->file.shape == FileShape::kCsvColumns);
  REQUIRE(history.events.size() == 2);
  CHECK(history.events[0].event_id == "c1");
  CHECK(history.events[0].action == "ListBuckets");
  CHECK(history.events[0].service == "s3.amazonaws.com");
  CHECK(history.events[0].access_key_id == "AKIAIOSFODNN7EXAMPLE");
  CHECK(history.events[0].user_name == "alice");
  CHECK(history.events[0].source_ip == "198.51.100.7");
  CHECK(history.events[1].outcome == aiir::Outcome::kFailure);
  CHECK(history.events[1].error_code == "AccessDenied");
  CHECK(history.stats().warnings.empty());

  // CloudTrail Lake's saved result_1.csv: time as Lake renders it, userIdentity as a struct.
  auto lake_csv = events_from_json(
      "eventID,eventTime,eventSource,eventName,awsRegion,sourceIPAddress,userIdentity,recipientAccountId\n"
      "l1,2026-03-10 10:00:00.000,bedrock.amazonaws.com,ListFoundationModels,us-east-1,203.0.113.9,"
      "\"{type=IAMUser, principalid=AIDAEXAMPLE, arn=arn:aws:iam::111122223333:user/dev, accountid=111122223333, "
      "accesskeyid=AKIAEXAMPLEKEY000001, username=dev}\",111122223333\n"
      "l2,not a time,bedrock.amazonaws.com,GetFoundationModel,us-east-1,203.0.113.9,,111122223333\n",
      "result_1.csv");
  CHECK(lake_csv.batch->file.shape == FileShape::kCsvColumns);
  REQUIRE(lake_csv.events.size() == 1);
  CHECK(lake_csv.events[0].time_ms == 1773136800000);
  CHECK(lake_csv.events[0].actor_arn == "arn:aws:iam::111122223333:user/dev");
  CHECK(lake_csv.events[0].actor_type == "IAMUser");
  CHECK(lake_csv.events[0].access_key_id == "AKIAEXAMPLEKEY000001");
  CHECK(lake_csv.events[0].account == "111122223333");
  CHECK(skipped(lake_csv, SkipReason::kMissingTime) == 1);  // the bad row is counted, not lost

  // Logs Insights "Export results → CSV" of a query that selected fields, not @message.
  auto insights_fields = events_from_json("@timestamp,eventName,eventSource,userIdentity.arn,sourceIPAddress\n"
                                          "2026-03-10 10:00:00.000,ListBuckets,s3.amazonaws.com,"
                                          "arn:aws:iam::111122223333:user/dev,203.0.113.9\n",
                                          "logs-insights-results.csv");
  CHECK(insights_fields.batch->file.shape == FileShape::kCsvColumns);
  REQUIRE(insights_fields.events.size() == 1);
  CHECK(insights_fields.events[0].time_ms == 1773136800000);
  CHECK(insights_fields.events[0].actor_arn == "arn:aws:iam::111122223333:user/dev");

  // Some CloudTrail columns, but not the time and the call: named, not guessed at.
  auto summary = events_from_json("Event ID,User name,AWS access key\nc1,alice,AKIAIOSFODNN7EXAMPLE\n", "keys.csv");
  CHECK(summary.events.empty());
  CHECK(summary.batch->file.shape == FileShape::kUnsupported);
  REQUIRE(warned(summary, WarningKind::kUnsupported) == 1);
  CHECK(summary.stats().warnings[0].detail.find("CSV") != std::string::npos);

  // Near miss: an IAM credential report names an arn column but is no log.
  auto report = events_from_json("user,arn,user_creation_time,password_enabled\nbob,arn:aws:iam::1:user/bob,"
                                 "2026-01-01T00:00:00+00:00,true\n",
                                 "credential_report.csv");
  CHECK(report.events.empty());
  CHECK(report.batch->file.shape == FileShape::kUnsupported);

  // Near miss: CSV that is not about CloudTrail stays unrecognised text.
  auto other = events_from_json("name,age\nbob,3\n", "people.csv");
  CHECK(other.batch->file.shape == FileShape::kUnrecognised);
}

TEST_CASE("CloudTrail Lake get-query-results: rows of one-key objects, read in flat mode", "[decode]") {
  // Two pages concatenated (a loop over NextToken appending to one file), and the sign file.
  const std::string page1 =
      R"({"QueryStatus":"FINISHED","QueryStatistics":{"ResultsCount":2},"QueryResultRows":[)"
      R"([{"eventID":"q1"},{"eventTime":"2026-03-10 10:00:00.000"},{"eventSource":"bedrock.amazonaws.com"},)"
      R"({"eventName":"InvokeModel"},{"awsRegion":"us-east-1"},{"sourceIPAddress":"203.0.113.9"},)"
      R"({"userIdentity":"{type=IAMUser, arn=arn:aws:iam::111122223333:user/dev, accesskeyid=AKIAEXAMPLEKEY000001}"},)"
      R"({"requestParameters":"{modelId=anthropic.claude-3-sonnet-20240229-v1:0}"},{"readOnly":"true"},)"
      R"({"recipientAccountId":"111122223333"}],)"
      R"([{"eventID":"q2"},{"eventTime":"2026-03-10 10:00:01.000"},{"eventName":"InvokeModel"},)"
      R"({"eventSource":"bedrock.amazonaws.com"},{"errorCode":"AccessDeniedException"},{"count":3}],)"
      R"("not a row",[{"note":"no CloudTrail column"}]],"NextToken":"abc"})";
  const std::string page2 =
      R"({"QueryStatus":"FINISHED","QueryResultRows":[[{"eventID":"q3"},{"eventTime":"2026-03-10 10:00:02.000"},)"
      R"({"eventName":"Converse"},{"eventSource":"bedrock.amazonaws.com"}]]})";
  auto lake = events_from_json(page1 + "\n" + page2, "query-results.json");
  CHECK(lake.batch->file.shape == FileShape::kLakeResults);
  REQUIRE(lake.events.size() == 3);
  CHECK(lake.events[0].event_id == "q1");
  CHECK(lake.events[0].kind == EventKind::kCloudTrail);
  CHECK(lake.events[0].action == "InvokeModel");
  CHECK(lake.events[0].model_id == "anthropic.claude-3-sonnet-20240229-v1:0");
  CHECK(lake.events[0].actor_arn == "arn:aws:iam::111122223333:user/dev");
  CHECK(lake.events[0].read_only == aiir::Tri::kTrue);
  CHECK(lake.events[1].outcome == aiir::Outcome::kFailure);
  CHECK(lake.events[2].event_id == "q3");
  CHECK(lake.events[2].where.record == 4);  // rows numbered across the pages
  CHECK(skipped(lake, SkipReason::kNotAnObject) == 1);
  CHECK(skipped(lake, SkipReason::kUnrecognisedRecord) == 1);

  auto sign = events_from_json(R"({"version":"1.0","region":"us-east-1","files":[{"fileHashValue":"ab","fileName":"result_1.csv.gz"}],)"
                               R"("hashAlgorithm":"SHA-256","signatureAlgorithm":"SHA256withRSA","queryCompleteTime":"2026-03-10T10:00:00Z",)"
                               R"("hashSignature":"cd","publicKeyFingerprint":"ef"})",
                               "result_sign.json");
  CHECK(sign.events.empty());
  CHECK(sign.batch->file.shape == FileShape::kDigest);
  CHECK(sign.stats().warnings.empty());
}

TEST_CASE("a 50 MB single line record is read", "[decode][large]") {
  std::string big(50u << 20, 'x');
  auto f = events_from_json(ct("big", "PutObject", ",\"requestParameters2\":{\"blob\":\"" + big + "\"}"));
  REQUIRE(f.events.size() == 1);
  CHECK(f.events[0].action == "PutObject");
}

TEST_CASE("a table's user name and key, and a model named only in resources[]", "[decode][event]") {
  // What the console's Event history keeps: no identity type, ARN or account.
  auto f = events_from_json(
      R"({"eventVersion":"1.09","eventTime":"2026-03-10T10:00:00Z","eventSource":"bedrock.amazonaws.com","eventName":"InvokeModel","userIdentity":{"userName":"svc-reporting","accessKeyId":"AKIA5SVCREPORTLEAK01"},"resources":[{"type":"AWS::Bedrock::Model","ARN":"arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-opus-20240229-v1:0"}]})"
      "\n"
      R"({"eventVersion":"1.09","eventTime":"2026-03-10T10:00:00Z","eventSource":"bedrock.amazonaws.com","eventName":"InvokeModel","userIdentity":{"userName":"alice@example.com","accessKeyId":"ASIAX"},"resources":[{"type":"AWS::Bedrock::InferenceProfile","ARN":"arn:aws:bedrock:us-east-1:111122223333:inference-profile/us.anthropic.claude-3-5-sonnet"}]})"
      "\n"
      R"({"eventVersion":"1.09","eventTime":"2026-03-10T10:00:00Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","userIdentity":{"accessKeyId":"AKIAONLYKEY"}})"
      "\n"
      // The request's model wins over resources[].
      R"({"eventVersion":"1.09","eventTime":"2026-03-10T10:00:00Z","eventSource":"bedrock.amazonaws.com","eventName":"InvokeModel","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/u"},"requestParameters":{"modelId":"amazon.titan-text-express-v1"},"resources":[{"type":"AWS::Bedrock::Model","ARN":"arn:aws:bedrock:us-east-1::foundation-model/other"}]})");
  REQUIRE(f.events.size() == 4);
  CHECK(f.events[0].actor_arn == "IAMUser:svc-reporting");
  CHECK(f.events[0].model_id == "anthropic.claude-3-opus-20240229-v1:0");
  CHECK(f.events[1].actor_arn.empty());  // a role session's name: new with every session
  CHECK(f.events[1].model_id == "arn:aws:bedrock:us-east-1:111122223333:inference-profile/us.anthropic.claude-3-5-sonnet");
  CHECK(f.events[2].actor_arn == "AccessKey:AKIAONLYKEY");
  CHECK(f.events[3].actor_arn == "arn:aws:iam::1:user/u");
  CHECK(f.events[3].model_id == "amazon.titan-text-express-v1");
}

TEST_CASE("JSON Lines decoded in place read as the same events as from a copy", "[decode]") {
  // Starting at the buffer's first byte and without a newline at the end: the
  // brackets go into the buffer's slack and padding; the second fills the
  // buffer's first allocation (64 KiB) to its last byte.
  const std::string two = ct("a") + "\n" + ct("b");
  const std::string texts[] = {ct("a") + "\r\n" + ct("b") + "\n\n  " + kInvocation,
                               ct("a") + "\n" + std::string(65536 - two.size(), ' ') + ct("b"),
                               two + "\n",
                               ct("a") + "\n{\"broken\": \n" + ct("b"),
                               std::string("\xEF\xBB\xBF") + two};
  for (const std::string& text : texts) {
    auto copied = events_from_json(text);
    aiir::DecodedBatch batch;
    batch.path = "test.json";
    aiir::PaddedBuffer buf;
    buf.append(text);
    aiir::Decoder decoder;
    decoder.decode(buf, batch);
    CHECK(batch.file.shape == copied.batch->file.shape);
    CHECK(batch.file.skipped == copied.batch->file.skipped);
    REQUIRE(batch.events.size() == copied.events.size());
    for (std::size_t i = 0; i < batch.events.size(); ++i) {
      CHECK(batch.events[i].event_id == copied.events[i].event_id);
      CHECK(batch.events[i].where.record == copied.events[i].where.record);
      CHECK(batch.events[i].kind == copied.events[i].kind);
    }
  }
}

TEST_CASE("JSON Lines whose first line is longer than 64 KiB are still lines", "[decode]") {
  // Tried as one document first (no newline near the start), which fails.
  const std::string pad(70 << 10, 'x');
  auto f = events_from_json(ct("a", "ListBuckets", ",\"pad\":\"" + pad + "\"") + "\n" + ct("b"));
  REQUIRE(f.events.size() == 2);
  CHECK(f.batch->file.shape == FileShape::kJsonLines);
  CHECK(f.events[1].event_id == "b");
}

TEST_CASE("invocation records of changing callers name each one's role", "[decode][event]") {
  // The role ARN is derived once per run of records of one caller.
  std::string other = kInvocation;
  other.replace(other.find("AppRole/s1"), 10, "Other/s2");
  auto f = events_from_json(std::string(kInvocation) + "\n" + kInvocation + "\n" + other + "\n" + kInvocation);
  REQUIRE(f.events.size() == 4);
  CHECK(f.events[0].session_issuer == "arn:aws:iam::111122223333:role/AppRole");
  CHECK(f.events[1].session_issuer == "arn:aws:iam::111122223333:role/AppRole");
  CHECK(f.events[2].session_issuer == "arn:aws:iam::111122223333:role/Other");
  CHECK(f.events[3].session_issuer == "arn:aws:iam::111122223333:role/AppRole");
}
