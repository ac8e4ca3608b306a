// SPDX-License-Identifier: Apache-2.0
// Sigma conditions: and/or/not, parentheses, 1 of / all of with patterns and them.
#include <catch2/catch.hpp>

#include "sigma_test_util.h"

using aiir::sigma::testing::ct_rule;
using aiir::sigma::testing::fires;

namespace {
const std::string kSels =
    "  sel_a:\n    a: '1'\n  sel_b:\n    b: '1'\n  filter_x:\n    x: '1'\n  filter_y:\n    y: '1'\n"
    "  _hidden:\n    h: '1'\n";
bool cond(const std::string& condition, const std::string& record) {
  return fires(ct_rule(kSels + "  condition: " + condition + "\n"), record);
}
}  // namespace

TEST_CASE("and, or, not, parentheses and precedence", "[sigma]") {
  CHECK(cond("sel_a and sel_b", R"({"a":"1","b":"1"})"));
  CHECK_FALSE(cond("sel_a and sel_b", R"({"a":"1"})"));
  CHECK(cond("sel_a or sel_b", R"({"b":"1"})"));
  CHECK(cond("sel_a and not filter_x", R"({"a":"1"})"));
  CHECK_FALSE(cond("sel_a and not filter_x", R"({"a":"1","x":"1"})"));
  // and binds tighter than or
  CHECK(cond("sel_a or sel_b and filter_x", R"({"a":"1"})"));
  CHECK_FALSE(cond("(sel_a or sel_b) and filter_x", R"({"a":"1"})"));
  CHECK(cond("(sel_a or sel_b) and filter_x", R"({"b":"1","x":"1"})"));
  CHECK(cond("not (sel_a or sel_b)", R"({"z":"1"})"));
  CHECK(cond("not not sel_a", R"({"a":"1"})"));
  // Keywords of the grammar are case-insensitive.
  CHECK(cond("sel_a AND NOT filter_x", R"({"a":"1"})"));
}

TEST_CASE("1 of / all of patterns and them", "[sigma]") {
  CHECK(cond("1 of sel_*", R"({"b":"1"})"));
  CHECK_FALSE(cond("all of sel_*", R"({"b":"1"})"));
  CHECK(cond("all of sel_*", R"({"a":"1","b":"1"})"));
  CHECK(cond("sel_a and not 1 of filter_*", R"({"a":"1"})"));
  CHECK_FALSE(cond("sel_a and not 1 of filter_*", R"({"a":"1","y":"1"})"));
  CHECK(cond("sel_a and not all of filter_*", R"({"a":"1","y":"1"})"));
  CHECK_FALSE(cond("sel_a and not all of filter_*", R"({"a":"1","x":"1","y":"1"})"));
  CHECK(cond("1 of them", R"({"y":"1"})"));
  // them excludes identifiers starting with '_'
  CHECK_FALSE(cond("1 of them", R"({"h":"1"})"));
  CHECK(cond("all of them", R"({"a":"1","b":"1","x":"1","y":"1"})"));
  CHECK(cond("1 of _hid*", R"({"h":"1"})"));
}

TEST_CASE("condition lists are OR", "[sigma]") {
  std::string rule = ct_rule(kSels + "  condition:\n    - sel_a and filter_x\n    - sel_b\n");
  CHECK(fires(rule, R"({"b":"1"})"));
  CHECK(fires(rule, R"({"a":"1","x":"1"})"));
  CHECK_FALSE(fires(rule, R"({"a":"1"})"));
}

TEST_CASE("a list of maps is OR of ANDs", "[sigma]") {
  std::string rule = ct_rule(
      "  sel:\n    - a: '1'\n      b: '1'\n    - x: '1'\n  condition: sel\n");
  CHECK(fires(rule, R"({"a":"1","b":"1"})"));
  CHECK(fires(rule, R"({"x":"1"})"));
  CHECK_FALSE(fires(rule, R"({"a":"1"})"));
}

TEST_CASE("bad conditions are load errors with a line", "[sigma]") {
  for (const char* c : {"sel_a and", "nosuch", "(sel_a", "1 of nomatch_*", "sel_a sel_b"}) {
    auto set = aiir::sigma::RuleSet::from_string(ct_rule(kSels + "  condition: " + c + "\n"), "x.yml");
    INFO(c);
    CHECK(set.loaded_count() == 0);
    REQUIRE(set.issues().size() == 1);
    CHECK(set.issues()[0].error);
    CHECK(set.issues()[0].line == 18);
  }
}
