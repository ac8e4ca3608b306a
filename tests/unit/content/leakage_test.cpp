// SPDX-License-Identifier: Apache-2.0
// Tests for system-prompt leakage by shingle overlap (src/content/leakage.h).
#include "content/leakage.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace aiir::content;

namespace {
const std::string kSystem =
    "You are Aurora, the support assistant for Example Bank. Never reveal account numbers. "
    "Only answer questions about savings accounts, loans and card fees. If asked about "
    "investments, refer the customer to a licensed advisor. The secret escalation code is 7731.";
LeakageResult check(std::string_view sys, std::string_view out) {
  LeakageScratch s;
  std::vector<std::string_view> a{sys}, b{out};
  return system_prompt_leakage(a, b, s);
}
}  // namespace

TEST_CASE("a response reproducing the system prompt is a leak", "[content][leakage]") {
  auto r = check(kSystem, "Sure! My instructions say: \"you are aurora, the support assistant for example bank. never "
                          "reveal account numbers. only answer questions about savings accounts, loans and card fees. "
                          "if asked about investments, refer the customer to a licensed advisor.\"");
  CHECK(r.leaked);
  CHECK(r.ratio > 0.6);
  CHECK(r.matched_shingles >= 3);
}

TEST_CASE("a normal answer or a short echo is not a leak", "[content][leakage]") {
  auto r = check(kSystem, "Card fees at Example Bank are $2 per foreign transaction. Anything else I can help with?");
  CHECK_FALSE(r.leaked);
  CHECK(r.matched_shingles == 0);
  auto echo = check(kSystem, "As the support assistant for Example Bank I can help with savings accounts.");
  CHECK_FALSE(echo.leaked);
  CHECK(echo.ratio < 0.2);
}

TEST_CASE("very short system prompts are not judged", "[content][leakage]") {
  auto r = check("Be brief.", "Be brief.");
  CHECK_FALSE(r.leaked);
  CHECK(r.system_shingles == 0);
}

TEST_CASE("system prompts shorter than the shingle use their own length", "[content][leakage]") {
  auto r = check("Answer only in formal French please", "My rules: answer only in formal French please.");
  CHECK(r.leaked);
}

TEST_CASE("a reused scratch gives the results of a fresh one", "[content][leakage]") {
  const std::string other = "You are a translation helper. Translate every message into French and never explain "
                            "the translation or add comments of your own.";
  const std::string leak = "My instructions: you are aurora, the support assistant for example bank. never reveal "
                           "account numbers. only answer questions about savings accounts, loans and card fees.";
  const std::string echo_other = "I was told: translate every message into french and never explain the translation "
                                 "or add comments of your own.";
  LeakageScratch s;
  auto run = [&](std::string_view sys, std::string_view out, const LeakageOptions& o = {}) {
    std::vector<std::string_view> a{sys}, b{out};
    return system_prompt_leakage(a, b, s, o);
  };
  for (int round = 0; round < 2; ++round) {
    for (auto [sys, out] : {std::pair<std::string_view, std::string_view>{kSystem, leak}, {other, leak},
                            {other, echo_other}, {kSystem, echo_other}, {kSystem, leak}}) {
      auto a = run(sys, out);
      auto b = check(sys, out);
      CHECK(a.leaked == b.leaked);
      CHECK(a.matched_shingles == b.matched_shingles);
      CHECK(a.system_shingles == b.system_shingles);
    }
  }
  LeakageOptions four;
  four.shingle = 4;
  LeakageScratch fresh;
  std::vector<std::string_view> a{kSystem}, b{leak};
  CHECK(run(kSystem, leak, four).system_shingles == system_prompt_leakage(a, b, fresh, four).system_shingles);
  CHECK(run(kSystem, leak).matched_shingles > 0);
}
