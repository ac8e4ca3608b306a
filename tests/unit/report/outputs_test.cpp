// SPDX-License-Identifier: Apache-2.0
// `scan -o DIR`: folder checks, checked writes (disk full), the manifest, input hashing.
#include <aiir/error.h>
#include <simdjson.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "pipeline/pipeline.h"
#include "scan/manifest.h"
#include "scan/outputs.h"
#include "support/files.h"
#include "util/sha256.h"

using aiir::testing::gzip;
using aiir::testing::TempDir;

namespace {

std::string rec(const std::string& id) {
  return R"({"eventVersion":"1.09","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/alice"},)"
         R"("eventTime":"2026-03-11T10:00:00Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets",)"
         R"("awsRegion":"us-east-1","eventID":")" + id + R"(","recipientAccountId":"111122223333"})";
}

struct Null final : aiir::EventSink {
  void consume(const aiir::EventView&, std::size_t, aiir::BatchExtra*) override {}
};

struct StatSnap {
  std::int64_t mtime_ns, atime_ns;
  std::string content;
};

StatSnap snap(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  std::ifstream in(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return {st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec, st.st_atim.tv_sec * 1000000000LL + st.st_atim.tv_nsec,
          text};
}

}  // namespace

TEST_CASE("write_output_file reports disk full instead of leaving a short file silently", "[outputs]") {
  std::string error;
  REQUIRE(std::filesystem::exists("/dev/full"));
  CHECK_FALSE(aiir::write_output_file("/dev/full", std::string(100000, 'x'), error));
  CHECK(error.find("No space left") != std::string::npos);
  TempDir dir;
  error.clear();
  CHECK_FALSE(aiir::write_output_file(dir.file("no/such/folder/report.md"), "x", error));
  CHECK_FALSE(error.empty());
  std::string path = dir.file("ok.txt");
  REQUIRE(aiir::write_output_file(path, "hello\n", error));
  CHECK(snap(path).content == "hello\n");
  REQUIRE(aiir::write_output_file(path, "x", error));  // truncates
  CHECK(snap(path).content == "x");
}

TEST_CASE("prepare_output_dir: new folders are created, non-empty ones need --force, evidence is off limits",
          "[outputs]") {
  TempDir dir;
  std::string evidence = dir.write("evidence/a.json", rec("e1"));
  std::string out = dir.file("out/nested");
  aiir::prepare_output_dir(out, false, {dir.file("evidence")});
  CHECK(std::filesystem::is_directory(out));
  aiir::prepare_output_dir(out, false, {dir.file("evidence")});  // exists but empty: fine
  dir.write("out/nested/old.txt", "x");
  CHECK_THROWS_WITH(aiir::prepare_output_dir(out, false, {dir.file("evidence")}),
                    Catch::Contains("not empty") && Catch::Contains("--force"));
  CHECK_NOTHROW(aiir::prepare_output_dir(out, true, {dir.file("evidence")}));
  // Inside the input folder, even with --force.
  CHECK_THROWS_WITH(aiir::prepare_output_dir(dir.file("evidence/report"), true, {dir.file("evidence")}),
                    Catch::Contains("input"));
  CHECK_THROWS_WITH(aiir::prepare_output_dir(dir.file("evidence"), true, {dir.file("evidence")}),
                    Catch::Contains("input"));
  // An input file that would be overwritten by one of our outputs.
  std::string clash = dir.write("other/report.json", "{}");
  CHECK_THROWS_WITH(aiir::prepare_output_dir(dir.file("other"), true, {clash}), Catch::Contains("input"));
  // A sibling folder with a shared name prefix is not "inside".
  CHECK_NOTHROW(aiir::prepare_output_dir(dir.file("evidence2"), false, {dir.file("evidence")}));
  // A path that is a file.
  CHECK_THROWS_WITH(aiir::prepare_output_dir(evidence, true, {}), Catch::Contains("not a folder"));
}

TEST_CASE("rule pack hash covers relative paths and contents, independent of listing order", "[manifest]") {
  TempDir a, b;
  a.write("x/one.yml", "title: one\n");
  a.write("two.yaml", "title: two\n");
  a.write("README.md", "not a rule");
  b.write("two.yaml", "title: two\n");  // created in the other order
  b.write("x/one.yml", "title: one\n");
  std::size_t na = 0, nb = 0;
  std::string ha = aiir::rule_source_sha256(a.path(), na);
  std::string hb = aiir::rule_source_sha256(b.path(), nb);
  CHECK(na == 2);
  CHECK(ha.size() == 64);
  CHECK(ha == hb);
  b.write("README.md", "other non-rule text");  // non-rule files do not count
  CHECK(aiir::rule_source_sha256(b.path(), nb) == ha);
  b.write("x/one.yml", "title: one!\n");  // one byte of content
  CHECK(aiir::rule_source_sha256(b.path(), nb) != ha);
  TempDir c;
  c.write("y/one.yml", "title: one\n");  // same content, other path
  c.write("two.yaml", "title: two\n");
  CHECK(aiir::rule_source_sha256(c.path(), nb) != ha);
  CHECK(aiir::rule_source_sha256(a.file("missing"), nb).empty());
  // A single file source.
  std::size_t n1 = 0;
  CHECK(aiir::rule_source_sha256(a.file("two.yaml"), n1).size() == 64);
  CHECK(n1 == 1);
}

TEST_CASE("run_time_ms follows SOURCE_DATE_EPOCH", "[manifest]") {
  ::setenv("SOURCE_DATE_EPOCH", "1773230400", 1);
  bool pinned = false;
  CHECK(aiir::run_time_ms(&pinned) == 1773230400000LL);
  CHECK(pinned);
  ::setenv("SOURCE_DATE_EPOCH", "12abc", 1);
  CHECK(aiir::run_time_ms(&pinned) > 1700000000000LL);
  CHECK_FALSE(pinned);
  ::unsetenv("SOURCE_DATE_EPOCH");
}

TEST_CASE("the pipeline hashes inputs as stored, read-only, without changing them", "[manifest]") {
  TempDir dir;
  std::string plain = dir.write("AWSLogs/a.json", "{\"Records\":[" + rec("p1") + "]}");
  std::string gz = dir.write("AWSLogs/b.json.gz", gzip("{\"Records\":[" + rec("g1") + "]}"));
  std::string marker = dir.write("AWSLogs/aws-logs-write-test", "marker");
  ::chmod(plain.c_str(), 0444);  // read-only evidence still reads
  StatSnap before_plain = snap(plain), before_gz = snap(gz);
  aiir::ReadStats disc;
  auto inputs = aiir::discover_inputs({dir.path()}, disc);
  for (unsigned threads : {1u, 3u}) {
    aiir::PipelineOptions opt;
    opt.threads = threads;
    opt.want_sha256 = true;
    Null sink;
    aiir::ReadStats stats = aiir::run_pipeline(inputs.files, opt, sink);
    REQUIRE(stats.files.size() == 3);
    for (const aiir::FileStats& f : stats.files) {
      INFO(f.path);
      CHECK(f.sha256 == aiir::sha256_file_hex(f.path));
    }
    const aiir::FileStats* gzs = nullptr;
    for (const aiir::FileStats& f : stats.files)
      if (f.path == gz) gzs = &f;
    REQUIRE(gzs != nullptr);
    CHECK(gzs->compressed);  // hashed as stored, compressed
    CHECK(gzs->sha256 == aiir::sha256_hex(snap(gz).content));
    CHECK(gzs->records == 1);
  }
  aiir::PipelineOptions off;
  Null sink;
  CHECK(aiir::run_pipeline(inputs.files, off, sink).files[0].sha256.empty());
  StatSnap after_plain = snap(plain), after_gz = snap(gz);
  CHECK(after_plain.mtime_ns == before_plain.mtime_ns);
  CHECK(after_plain.content == before_plain.content);
  CHECK(after_gz.mtime_ns == before_gz.mtime_ns);
  CHECK(after_gz.content == before_gz.content);
  (void)marker;
}

TEST_CASE("a file over --max-file-bytes is still hashed in full", "[manifest]") {
  TempDir dir;
  std::string big = dir.write("big.json", "{\"Records\":[" + rec("b1") + "," + rec("b2") + "]}");
  aiir::ReadStats disc;
  auto inputs = aiir::discover_inputs({big}, disc);
  aiir::PipelineOptions opt;
  opt.threads = 1;
  opt.max_file_bytes = 64;
  opt.want_sha256 = true;
  Null sink;
  aiir::ReadStats stats = aiir::run_pipeline(inputs.files, opt, sink);
  REQUIRE(stats.files.size() == 1);
  CHECK(stats.files[0].sha256 == aiir::sha256_file_hex(big));
}

TEST_CASE("manifest JSON: schema, inputs, rules, outputs, redaction", "[manifest]") {
  aiir::Manifest m;
  m.tool_version = "9.9.9";
  m.argv = {"aiir", "scan", "-o", "out dir", "it's"};
  m.started_ms = 1773230400000LL;
  m.finished_ms = 1773230401000LL;
  m.time_pinned = true;
  m.rules.push_back({"/rules/sigma", 3, std::string(64, 'a')});
  aiir::FileStats f;
  f.path = "logs/\x1b[31mx.json";
  f.size = 10;
  f.sha256 = std::string(64, 'b');
  f.shape = aiir::FileShape::kCloudTrailRecords;
  f.records = 7;
  f.skipped = 1;
  m.inputs.push_back(f);
  aiir::FileStats g;
  g.path = "logs/unread.json";
  g.skipped_by_window = true;
  m.inputs.push_back(g);
  m.redaction.secrets = true;
  m.outputs.push_back({"report.md", 5, std::string(64, 'c')});
  std::string text = aiir::format_manifest_json(m);
  REQUIRE(text.back() == '\n');
  CHECK(text.find('\x1b') == std::string::npos);
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(text);
  CHECK(std::string_view(doc["schema"]) == "aiir.manifest/1");
  CHECK(std::string_view(doc["tool"]["version"]) == "9.9.9");
  CHECK(std::string_view(doc["command"]) == "aiir scan -o 'out dir' 'it'\\''s'");
  CHECK(doc["argv"].get_array().size() == 5);
  CHECK(std::string_view(doc["started_at"]) == "2026-03-11T12:00:00Z");
  CHECK(std::string_view(doc["time_source"]) == "SOURCE_DATE_EPOCH");
  CHECK(bool(doc["redaction"]["redacted"]));
  CHECK(bool(doc["redaction"]["secrets_and_pii"]));
  CHECK_FALSE(bool(doc["redaction"]["prompts"]));
  CHECK(std::string_view(doc["rules"]["sha256"]) == aiir::rules_sha256(m.rules));
  CHECK(uint64_t(doc["inputs"]["files"]) == 2);
  CHECK(uint64_t(doc["inputs"]["records"]) == 7);
  CHECK(uint64_t(doc["inputs"]["records_skipped"]) == 1);
  CHECK(std::string_view(doc["inputs"]["list"].at(0)["path"]) == "logs/\x1b[31mx.json");
  CHECK(std::string_view(doc["inputs"]["list"].at(0)["shape"]) == "cloudtrail_records");
  CHECK(doc["inputs"]["list"].at(1)["sha256"].is_null());
  CHECK(std::string_view(doc["inputs"]["list"].at(1)["shape"]) == "not_opened_outside_window");
  CHECK(std::string_view(doc["outputs"].at(0)["name"]) == "report.md");
  CHECK(doc["integrity"].error() == simdjson::NO_SUCH_FIELD);
}
