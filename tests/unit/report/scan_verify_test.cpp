// SPDX-License-Identifier: Apache-2.0
// `aiir scan --verify`: CloudTrail integrity folded into the report's coverage, exit code 4 and its precedence.
#include <simdjson.h>

#include <catch2/catch.hpp>
#include <string>

#include "app/commands.h"
#include "support/files.h"
#include "verify/chain_fixture.h"

namespace {

// A guardrail deletion: a high finding, so --fail-on has something to act on.
constexpr std::string_view kDelete =
    R"({"Records":[{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE",)"
    R"("arn":"arn:aws:iam::111122223333:user/mallory","accountId":"111122223333","userName":"mallory"},)"
    R"("eventTime":"2024-03-01T00:30:00Z","eventSource":"bedrock.amazonaws.com","eventName":"DeleteGuardrail",)"
    R"("awsRegion":"us-east-1","sourceIPAddress":"203.0.113.7","userAgent":"aws-cli/2.17.20",)"
    R"("requestParameters":{"guardrailIdentifier":"gr-1"},"requestID":"req-1","eventID":"ev-1",)"
    R"("readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333"}]})";

struct ScanRun {
  int code;
  std::string json, md;
};

ScanRun scan(const std::string& input, const std::string& out, bool verify, std::string fail_on = "") {
  aiir::ScanOptions o;
  o.read.paths = {input};
  o.read.threads = 2;
  o.read.quiet = true;
  o.output_dir = out;
  o.verify = verify;
  o.fail_on = std::move(fail_on);
  o.argv = {"aiir", "scan"};
  ScanRun r;
  r.code = aiir::run_scan(o);
  r.json = aiir::test::read_file(out + "/report.json");
  r.md = aiir::test::read_file(out + "/report.md");
  return r;
}

}  // namespace

TEST_CASE("scan --verify folds CloudTrail integrity into coverage; exit 4 on failure, 1 wins with --fail-on",
          "[scan_verify]") {
  aiir::test::ChainFixture chain(3);
  aiir::test::write_file(chain.export_dir / "extra" / "delete.json", std::string(kDelete));
  aiir::testing::TempDir out;
  const std::string input = chain.export_dir.string();

  ScanRun plain = scan(input, out.file("plain"), false);
  CHECK(plain.code == 0);
  CHECK(plain.json.find("\"integrity\"") == std::string::npos);
  CHECK(plain.md.find("CloudTrail integrity") == std::string::npos);

  ScanRun ok = scan(input, out.file("ok"), true);
  CHECK(ok.code == 0);
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(ok.json);
  simdjson::dom::element integrity = doc["coverage"]["integrity"];
  CHECK(uint64_t(integrity["files_valid"]) == 6);
  CHECK(uint64_t(integrity["files_modified"]) == 0);
  CHECK(std::string_view(integrity["signatures"]) == "not_checked");
  CHECK_FALSE(bool(integrity["integrity_failed"]));
  CHECK(ok.md.find("CloudTrail integrity (`--verify`): **holds**") != std::string::npos);
  CHECK(ok.md.find("signatures not checked") != std::string::npos);
  simdjson::dom::parser mparser;
  simdjson::dom::element manifest = mparser.parse(aiir::test::read_file(out.file("ok/manifest.json")));
  CHECK_FALSE(bool(manifest["integrity"]["failed"]));
  CHECK(uint64_t(manifest["integrity"]["files_valid"]) == 6);

  // One log file altered after export.
  std::string text = aiir::test::gunzip_bytes(aiir::test::read_file(chain.logs[1].path));
  REQUIRE(text.find("ListBuckets") != std::string::npos);
  text.replace(text.find("ListBuckets"), 11, "ListBucketz");  // still valid JSON: only the hash tells
  aiir::test::write_file(chain.logs[1].path, aiir::test::gzip_bytes(text));
  ScanRun bad = scan(input, out.file("bad"), true);
  CHECK(bad.code == aiir::kExitIntegrity);
  doc = parser.parse(bad.json);
  CHECK(uint64_t(doc["coverage"]["integrity"]["files_modified"]) == 1);
  CHECK(bool(doc["coverage"]["integrity"]["integrity_failed"]));
  CHECK(bad.md.find("**FAILED**") != std::string::npos);
  CHECK(bad.md.find("modified `") != std::string::npos);
  // A --fail-on finding takes precedence over the integrity failure.
  CHECK(scan(input, out.file("failon"), true, "high").code == aiir::kExitFindings);
  // No digests at all: said plainly, not "holds".
  aiir::testing::TempDir nodigest;
  nodigest.write("a/delete.json", std::string(kDelete));
  ScanRun none = scan(nodigest.file("a"), out.file("none"), true);
  CHECK(none.code == 0);
  CHECK(none.md.find("**not verifiable**: no digest files") != std::string::npos);
  CHECK(none.md.find("**holds**") == std::string::npos);
  CHECK(none.md.find("no CloudTrail digest files") != std::string::npos);
  // Without --verify the same input is not judged.
  CHECK(scan(input, out.file("noverify"), false).code == 0);
}
