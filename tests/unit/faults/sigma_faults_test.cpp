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
