// SPDX-License-Identifier: Apache-2.0
// Limits on hostile input: nesting depth, line length, field size and
// inflated size are bounded and counted, never a crash.
#include <catch2/catch.hpp>

#include <string>

#include "content/extract.h"
#include "content/normalize_text.h"
#include "fault_support.h"
#include "pipeline/pipeline.h"
#include "support/files.h"
#include "support/test_events.h"

using namespace aiir;
using aiir::testing::CollectSink;
using aiir::testing::ct_line;
using aiir::testing::events_from_json;
using aiir::testing::has_warning;
using aiir::testing::skipped;
using aiir::testing::TempDir;
using aiir::testing::warned;

namespace {

/// A CloudTrail record whose requestParameters nest `depth` arrays deep.
std::string deep_record(const std::string& id, int depth) {
  std::string r = ct_line(id);
  r.pop_back();
  return r + ",\"requestParameters\":{\"x\":" + std::string(depth, '[') + std::string(depth, ']') + "}}";
}

std::string esc(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\';
    o += c;
  }
  return o;
}

}  // namespace

TEST_CASE("nesting depth: a record nested too deep is skipped as too deep", "[faults][limits]") {
  SECTION("JSON Lines: the deep line alone is lost") {
    auto f = events_from_json(ct_line("e1") + "\n" + deep_record("deep", 5000) + "\n" + ct_line("e3") + "\n");
    REQUIRE(f.events.size() == 2);
    CHECK(f.events[0].event_id == "e1");
    CHECK(f.events[1].event_id == "e3");
    CHECK(skipped(f.stats(), SkipReason::kTooDeep) == 1);
    CHECK(skipped(f.stats(), SkipReason::kInvalidJson) == 0);
  }
  SECTION("JSON Lines whose first line is the deep one") {
    auto f = events_from_json(deep_record("deep", 5000) + "\n" + ct_line("e2") + "\n");
    REQUIRE(f.events.size() == 1);
    CHECK(f.events[0].event_id == "e2");
    CHECK(f.batch->file.shape == FileShape::kJsonLines);
    CHECK(skipped(f.stats(), SkipReason::kTooDeep) == 1);
  }
  SECTION("one document: counted as too deep and warned") {
    auto f = events_from_json("{\"Records\":[" + ct_line("e1") + "," + deep_record("deep", 5000) + "]}");
    CHECK(f.events.empty());
    CHECK(skipped(f.stats(), SkipReason::kTooDeep) == 1);
    CHECK(f.stats().warnings_by_kind[static_cast<std::size_t>(WarningKind::kInvalidJson)] == 1);
    CHECK(f.batch->file.failed);
  }
  SECTION("JSON held in a string (lookup-events CloudTrailEvent)") {
    auto f = events_from_json(R"({"Events":[{"EventId":"x","CloudTrailEvent":")" + esc(deep_record("deep", 5000)) +
                              R"("},{"EventId":"y","CloudTrailEvent":")" + esc(ct_line("ok")) + R"("}]})");
    REQUIRE(f.events.size() == 1);
    CHECK(f.events[0].event_id == "ok");
    CHECK(skipped(f.stats(), SkipReason::kTooDeep) == 1);
  }
  SECTION("a depth the parser accepts is not skipped") {
    auto f = events_from_json(ct_line("e1") + "\n" + deep_record("deep", 500) + "\n");
    CHECK(f.events.size() == 2);
    CHECK(skipped(f.stats(), SkipReason::kTooDeep) == 0);
  }
}

TEST_CASE("line length: a long line is read whole; a file over the cap keeps the lines before it", "[faults][limits]") {
  std::string big = ct_line("big");
  big.pop_back();
  big += ",\"userAgent\":\"" + std::string(4 << 20, 'u') + "\"}";  // one 4 MiB line
  SECTION("under the cap: intact") {
    auto f = events_from_json(ct_line("e1") + "\n" + big + "\n" + ct_line("e3") + "\n");
    REQUIRE(f.events.size() == 3);
    CHECK(f.events[1].user_agent.size() == std::size_t{4} << 20);
    CHECK(f.stats().skipped_total() == 0);
  }
  SECTION("over --max-file-bytes: warned, the cut line skipped, earlier lines kept") {
    TempDir dir;
    std::string path = dir.write("a.json", ct_line("e1") + "\n" + ct_line("e2") + "\n" + big + "\n" + ct_line("e4") + "\n");
    PipelineOptions options;
    options.threads = 1;
    options.max_file_bytes = 1 << 20;
    CollectSink sink;
    ReadStats s = run_pipeline({{path, 0, false}}, options, sink);
    CHECK(sink.ids == std::vector<std::string>{"e1", "e2"});
    CHECK(has_warning(s, WarningKind::kOverCap, path));
    CHECK(skipped(s, SkipReason::kTruncated) == 1);
    CHECK(s.files_failed == 1);
    CHECK(s.bytes_inflated == std::uint64_t{1} << 20);
  }
}

TEST_CASE("field size: extracted prompt text and decoded text are capped", "[faults][limits]") {
  std::string prompt(3 << 20, 'a');
  std::string rec = R"({"schemaType":"ModelInvocationLog","operation":"Converse","modelId":"m","input":{"inputBodyJson":{"messages":[{"role":"user","content":[{"text":")" +
                    prompt + R"("}]}]}}})";
  simdjson::dom::parser parser;
  simdjson::dom::element el;
  REQUIRE(parser.parse(rec).get(el) == simdjson::SUCCESS);
  content::Extraction ex;
  content::extract_invocation(el, ex);  // default cap: 1 MiB per record
  CHECK(ex.truncated);
  CHECK(ex.text_bytes == content::ExtractOptions{}.max_text_bytes);

  // 1 MiB of base64: decoded views stay within the decode budget.
  std::string b64;
  for (int i = 0; i < (1 << 18); ++i) b64 += "aGk6";
  content::TextNormalizer normalizer;
  content::NormalizedText t = normalizer.normalize(b64);
  CHECK(t.decoded_bytes <= normalizer.options().max_decoded_bytes);
  for (const auto& h : t.hidden) CHECK(h.decoded.size() <= normalizer.options().max_hidden_bytes);
}

TEST_CASE("inflated size: a gzip bomb stops at the cap with a counted warning", "[faults][limits]") {
  TempDir dir;
  std::string bomb = testing::gzip(std::string(64 << 20, ' ') + ct_line("late"), 9);  // 64 MiB in ~64 KiB
  REQUIRE(bomb.size() < (1 << 20));
  std::string path = dir.write("bomb.json.gz", bomb);
  std::string ok = dir.write("ok.json.gz", testing::gzip(ct_line("ok")));
  PipelineOptions options;
  options.threads = 1;
  options.max_file_bytes = 4 << 20;
  CollectSink sink;
  ReadStats s = run_pipeline({{path, bomb.size(), false}, {ok, 0, false}}, options, sink);
  CHECK(sink.ids == std::vector<std::string>{"ok"});
  CHECK(warned(s, WarningKind::kOverCap) == 1);
  CHECK(has_warning(s, WarningKind::kOverCap, path));
  CHECK(s.files_failed == 1);
  REQUIRE(s.files.size() == 2);
  CHECK(s.files[0].inflated <= options.max_file_bytes);
  CHECK(s.files[0].compressed);
}
