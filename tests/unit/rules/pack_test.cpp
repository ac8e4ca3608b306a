// SPDX-License-Identifier: Apache-2.0
// The shipped Sigma pack (rules/sigma): loads cleanly, follows the conventions, passes its cases.
#include <catch2/catch.hpp>

#include <set>
#include <string>

#include "sigma/engine.h"

namespace {

const std::string kPack = AIIR_TEST_DATA "/../../rules/sigma";

const std::set<std::string> kElements = {"access",        "infrastructure", "ai_changes", "data_store",
                                         "invocation",    "private_data",   "agency"};

/// "rules/sigma/access/x.yml" -> "access".
std::string folder_of(const std::string& file) {
  const std::string marker = "rules/sigma/";
  std::size_t at = file.rfind(marker);
  if (at == std::string::npos) return {};
  std::string rest = file.substr(at + marker.size());
  return rest.substr(0, rest.find('/'));
}

}  // namespace

TEST_CASE("the shipped pack loads without errors or warnings", "[rules]") {
  auto set = aiir::sigma::RuleSet::load({kPack});
  for (const auto& issue : set.issues()) {
    UNSCOPED_INFO(issue.file << ":" << issue.line << " " << issue.rule_id << ": " << issue.message);
  }
  CHECK(set.issues().empty());
  CHECK(set.error_count() == 0);
  CHECK(set.loaded_count() >= 40);
}

TEST_CASE("every shipped rule follows the pack conventions", "[rules]") {
  auto set = aiir::sigma::RuleSet::load({kPack});
  std::set<std::string> names;
  std::set<std::string> ids;
  for (const auto& r : set.rules()) {
    INFO(r.file << " " << r.name);
    CHECK(r.status == aiir::sigma::RuleStatus::kLoaded);
    const std::string folder = folder_of(r.file);
    CHECK(kElements.count(folder) == 1);
    // name is <element>.<snake_name>, matching the folder and the aiir.<element> tag.
    CHECK(r.name.rfind(folder + ".", 0) == 0);
    CHECK(r.element == folder);
    CHECK(r.finding_rule == r.name);
    CHECK(names.insert(r.name).second);
    CHECK(r.id.size() == 36);
    CHECK(ids.insert(r.id).second);
    CHECK(r.positive_cases >= 1);
    CHECK(r.negative_cases >= 1);
    const std::set<std::string> levels = {"informational", "low", "medium", "high", "critical"};
    CHECK(levels.count(r.level) == 1);
  }
}

TEST_CASE("every embedded case of the shipped pack passes", "[rules]") {
  auto set = aiir::sigma::RuleSet::load({kPack});
  auto report = aiir::sigma::run_tests(set);
  for (const auto& r : report.results) {
    if (!r.passed) UNSCOPED_INFO(r.file << ":" << r.line << " " << r.rule << ": " << r.message);
  }
  CHECK(report.failed == 0);
  CHECK(report.passed > 0);
  CHECK(report.rules_without_positive == 0);
  CHECK(report.rules_without_negative == 0);
}
