// SPDX-License-Identifier: Apache-2.0
// Regression tests for Sigma loading bugs found by fuzzing (tests/fuzz/sigma_fuzz.cpp).
#include <catch2/catch.hpp>

#include <string>

#include "sigma/engine.h"

using aiir::sigma::RuleSet;

// yaml-cpp 0.7's LoadAll never returns on this text (empty documents at the
// same position, memory growing without end). It must be a load error.
TEST_CASE("YAML on which yaml-cpp makes no progress is a load error, not a hang", "[faults][sigma]") {
  for (std::string yaml : {std::string("[]--\n,"), std::string("title: x\n---\n[]--\n,")}) {
    RuleSet set = RuleSet::from_string(yaml, "bad.yml");
    CHECK(set.loaded_count() == 0);
    REQUIRE(set.error_count() == 1);
    REQUIRE_FALSE(set.issues().empty());
    CHECK(set.issues()[0].error);
    CHECK(set.issues()[0].message.find("YAML error") != std::string::npos);
  }
  // Near miss: empty documents and separators are fine.
  RuleSet ok = RuleSet::from_string(
      "---\n---\ntitle: t\nid: 11111111-2222-3333-4444-555555555555\nlevel: low\n"
      "logsource:\n  product: aws\n  service: cloudtrail\ndetection:\n  sel:\n    eventName: X\n  condition: sel\n---\n",
      "ok.yml");
  CHECK(ok.error_count() == 0);
  CHECK(ok.loaded_count() == 1);
}

// A huge correlation timespan overflowed n * 60000 (signed overflow, UB).
TEST_CASE("a correlation timespan too large to represent is a rule error", "[faults][sigma]") {
  auto rules = [](const std::string& span) {
    return "title: base\nname: failed_login\nlogsource:\n  product: aws\n  service: cloudtrail\n"
           "detection:\n  sel:\n    eventName: ConsoleLogin\n  condition: sel\n---\n"
           "title: many\nname: many_failed\ncorrelation:\n  type: event_count\n  rules: [failed_login]\n"
           "  group-by: [userIdentity.userName]\n  timespan: " + span + "\n  condition: {gte: 3}\n";
  };
  RuleSet bad = RuleSet::from_string(rules("8375319363688624583m"), "bad.yml");
  CHECK(bad.error_count() == 1);
  bool said = false;
  for (const auto& issue : bad.issues()) said |= issue.message.find("timespan") != std::string::npos;
  CHECK(said);
  // Near misses: a long but sane window loads, and so does the usual one.
  CHECK(RuleSet::from_string(rules("3650d"), "ok.yml").error_count() == 0);
  CHECK(RuleSet::from_string(rules("10m"), "ok.yml").error_count() == 0);
}
