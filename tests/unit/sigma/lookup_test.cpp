// SPDX-License-Identifier: Apache-2.0
// The engine's shortcuts must not change what rules see: the dispatch index,
// fields read from the normalizer or from the per-event member lookups, and
// the metadata a scan's load blanks.
#include <catch2/catch.hpp>

#include "event/normalize.h"
#include "sigma/detail.h"
#include "sigma_test_util.h"

using aiir::sigma::testing::ct_rule;

TEST_CASE("the dispatch index finds keys by their folded text", "[sigma]") {
  aiir::sigma::detail::Index index;
  CHECK(index.empty());
  CHECK(index.find("getobject") == nullptr);
  // Same length, first, middle and last byte: the same slot, told apart by the compare.
  index["abxcd"].push_back(1);
  index["abycd"].push_back(2);
  index[""].push_back(3);
  for (int i = 0; i < 300; ++i) index["key" + std::to_string(i)].push_back(static_cast<std::uint32_t>(100 + i));
  index["abxcd"].push_back(4);  // an existing key: its list
  REQUIRE(index.find("ABXCD") != nullptr);
  CHECK(*index.find("ABXCD") == std::vector<std::uint32_t>{1, 4});
  CHECK(*index.find("abYcd") == std::vector<std::uint32_t>{2});
  CHECK(*index.find("") == std::vector<std::uint32_t>{3});
  for (int i = 0; i < 300; ++i) {
    const auto* rules = index.find("KEY" + std::to_string(i));
    REQUIRE(rules != nullptr);
    CHECK(*rules == std::vector<std::uint32_t>{static_cast<std::uint32_t>(100 + i)});
  }
  CHECK(index.find("abzcd") == nullptr);
  CHECK(index.find("key300") == nullptr);
  CHECK(index.find("abxc") == nullptr);
}

namespace {

/// Findings of `yaml` over CloudTrail records normalized as a scan does, one engine for all.
std::vector<aiir::Finding> scan(const std::string& yaml, const std::vector<std::string>& tails) {
  const aiir::sigma::RuleSet set = aiir::sigma::RuleSet::from_string(yaml, "test.yml");
  REQUIRE(set.loaded_count() == 1);
  aiir::sigma::Engine engine(set);
  aiir::FindingList out;
  aiir::sigma::testing::scan_tails(engine, out, tails);
  engine.finish(out);
  return out.findings;
}

}  // namespace

TEST_CASE("record members are looked up again for each event", "[sigma]") {
  // errorCode is read twice per event (selection and filter), and its value
  // differs from event to event.
  const std::string yaml = ct_rule(
      "  selection:\n    eventName: DeleteTrail\n    errorCode|exists: true\n"
      "  filter:\n    errorCode: AccessDenied\n  condition: selection and not filter\n");
  const auto findings =
      scan(yaml, {R"("eventSource":"cloudtrail.amazonaws.com","eventName":"DeleteTrail","errorCode":"Throttling"})",
                  R"("eventSource":"cloudtrail.amazonaws.com","eventName":"DeleteTrail"})",
                  R"("eventSource":"cloudtrail.amazonaws.com","eventName":"DeleteTrail","errorCode":"AccessDenied"})",
                  R"("eventSource":"cloudtrail.amazonaws.com","eventName":"DeleteTrail","errorCode":"Other"})"});
  REQUIRE(findings.size() == 2);
  REQUIRE(findings[0].evidence.size() == 1);
  REQUIRE(findings[1].evidence.size() == 1);
  CHECK(findings[0].evidence[0].record == 0);
  CHECK(findings[1].evidence[0].record == 3);
}

TEST_CASE("fields the normalizer reads are seen as the record's first value", "[sigma]") {
  const std::string yaml = ct_rule(
      "  selection:\n    eventName: DeleteTrail\n    userIdentity.type: Root\n"
      "    additionalEventData.MFAUsed: 'No'\n  condition: selection\n");
  const std::string head = R"("eventSource":"cloudtrail.amazonaws.com","eventName":"DeleteTrail",)";
  CHECK(scan(yaml, {head + R"("userIdentity":{"type":"Root"},"additionalEventData":{"MFAUsed":"No"}})"}).size() == 1);
  CHECK(scan(yaml, {head + R"("userIdentity":{"type":"Root","type":"IAMUser"},"additionalEventData":{"MFAUsed":"No"}})"})
            .size() == 1);
  CHECK(scan(yaml, {head + R"("userIdentity":{"type":"IAMUser","type":"Root"},"additionalEventData":{"MFAUsed":"No"}})"})
            .empty());
  CHECK(scan(yaml, {head + R"("userIdentity":{"type":"Root"},"additionalEventData":{"MFAUsed":"No"},)"
                           R"("additionalEventData":{"MFAUsed":"Yes"}})"})
            .size() == 1);
  CHECK(scan(yaml, {head + R"("userIdentity":{"type":"Root"},"additionalEventData":{"MFAUsed":"Yes"},)"
                           R"("additionalEventData":{"MFAUsed":"No"}})"})
            .empty());
  // A value the normalizer does not keep (not a string) is still compared.
  const std::string number = ct_rule("  selection:\n    eventName: DeleteTrail\n    userIdentity.type: 7\n"
                                     "  condition: selection\n");
  CHECK(scan(number, {head + R"("userIdentity":{"type":7}})"}).size() == 1);
  CHECK(scan(number, {head + R"("userIdentity":{"type":"7"}})"}).size() == 1);
  CHECK(scan(number, {head + R"("userIdentity":{"type":8}})"}).empty());
}

TEST_CASE("a scan's load blanks metadata without changing what loads", "[sigma]") {
  const std::string detection = "logsource:\n  product: aws\n  service: cloudtrail\n"
                                "detection:\n  sel:\n    eventName: A\n  condition: sel\n";
  const std::vector<std::string> texts = {
      "title: t\nid: 1\ndescription: >-\n  a\n  b\nreferences:\n  - x\n" + detection + "level: high\n",
      // The anchor is defined in a metadata block and used in the detection.
      "title: t\nid: 2\nauthor: &who A\nlogsource:\n  product: aws\n  service: cloudtrail\n"
      "detection:\n  sel:\n    eventName: *who\n  condition: sel\nfields: [*who]\n",
      // A quoted scalar continued in column 0 (blanking its first line breaks it).
      "title: t\nid: 3\ndescription: \"a\nb\"\n" + detection + "level: high\n",
      // Broken YAML outside the metadata: the same error, at the same line.
      // (Broken metadata is the one difference: a scan does not read it.)
      "title: t\nid: 4\ndescription: ok\n" + detection + "level: [high\n",
      // A sequence item in column 0 after a metadata key.
      "title: t\nid: 6\nreferences:\n- x\n" + detection + "level: high\n",
      // Several documents.
      "title: t\nid: 7\nstatus: test\n" + detection + "---\ntitle: u\nid: 8\ndate: 2026-01-01\n" + detection,
  };
  for (const std::string& text : texts) {
    INFO(text);
    aiir::sigma::LoadOptions scan_options;
    scan_options.tests = false;
    const auto full = aiir::sigma::RuleSet::from_string(text, "t.yml");
    const auto lean = aiir::sigma::RuleSet::from_string(text, "t.yml", scan_options);
    CHECK(lean.loaded_count() == full.loaded_count());
    REQUIRE(lean.issues().size() == full.issues().size());
    for (std::size_t i = 0; i < full.issues().size(); ++i) {
      CHECK(lean.issues()[i].line == full.issues()[i].line);
      CHECK(lean.issues()[i].message == full.issues()[i].message);
    }
    const auto a = full.rules(), b = lean.rules();
    REQUIRE(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
      CHECK(a[i].line == b[i].line);
      CHECK(a[i].status == b[i].status);
      CHECK(a[i].reason == b[i].reason);
    }
  }
}

TEST_CASE("contains on an object is decided by its minified text", "[sigma]") {
  using aiir::sigma::testing::sel;
  const std::string ip = "    requestParameters|contains: '169.254.169.254'\n";
  CHECK(sel(ip, R"({"requestParameters":{"url":"http://169.254.169.254/latest"}})"));
  CHECK(sel(ip, R"({"requestParameters":{"169.254.169.254":1}})"));
  CHECK(sel(ip, R"({"requestParameters":{"a":[{"b":"X169.254.169.254"}]}})"));
  CHECK_FALSE(sel(ip, R"({"requestParameters":{"url":"http://169.254.170.2/v2"}})"));
  CHECK_FALSE(sel(ip, R"({"requestParameters":{"a":"169.254.","b":"169.254"}})"));
  // The text is escaped: a match may start inside an escape (\u0001, \n).
  CHECK(sel(ip, R"({"requestParameters":{"a":"\u000169.254.169.254"}})"));
  CHECK(sel("    requestParameters|contains: 'n169.254.169.254'\n",
            R"({"requestParameters":{"a":"\n169.254.169.254"}})"));
  CHECK_FALSE(sel("    requestParameters|contains: 'n169.254.169.254'\n",
                  R"({"requestParameters":{"a":"\t169.254.169.254"}})"));
  // Scalars as minify writes them, and patterns across keys and values.
  CHECK(sel("    requestParameters|contains: '169.2541'\n", R"({"requestParameters":{"a":169.2541}})"));
  CHECK(sel("    requestParameters|contains: 'false}'\n", R"({"requestParameters":{"a":false}})"));
  CHECK(sel("    requestParameters|contains: 'key\":\"val'\n", R"({"requestParameters":{"key":"value"}})"));
  CHECK(sel("    requestParameters|contains: 'y\":\"val'\n", R"({"requestParameters":{"key":"value"}})"));
  CHECK(sel("    requestParameters|contains: ':123456'\n", R"({"requestParameters":{"k":1234567}})"));
  CHECK(sel("    requestParameters|contains|all:\n      - 'ab.cdefg'\n      - 'xy.zwvut'\n",
            R"({"requestParameters":{"a":"AB.CDEFG","b":["xy.zwvut"]}})"));
  CHECK_FALSE(sel("    requestParameters|contains|all:\n      - 'ab.cdefg'\n      - 'xy.zwvut'\n",
                  R"({"requestParameters":{"a":"AB.CDEFG","b":["xy.zwvu"]}})"));
}
