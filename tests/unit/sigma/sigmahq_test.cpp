// SPDX-License-Identifier: Apache-2.0
// The SigmaHQ AWS rules (shared/sigma-aws): all 57 load; the legacy aggregations run as correlations.
#include <catch2/catch.hpp>

#include <filesystem>

#include "sigma_test_util.h"

namespace {
// shared/ sits next to the source tree (AIIR_SOURCE_DIR/../shared); from a git
// worktree under wt/ it is one level further up.
std::string shared_dir() {
  for (const char* candidate : {AIIR_SOURCE_DIR "/../shared/sigma-aws", AIIR_SOURCE_DIR "/../../shared/sigma-aws"}) {
    if (std::filesystem::is_directory(candidate)) return candidate;
  }
  return AIIR_SOURCE_DIR "/../shared/sigma-aws";
}
const std::string kShared = shared_dir();
}  // namespace

TEST_CASE("all 57 SigmaHQ AWS rules load with zero errors", "[sigma]") {
  if (!std::filesystem::is_directory(kShared + "/rules")) {
    WARN("skipped: " << kShared << "/rules not found");
    return;
  }
  auto set = aiir::sigma::RuleSet::load({kShared + "/rules"});
  for (const auto& issue : set.issues()) {
    UNSCOPED_INFO(issue.file << ":" << issue.line << " " << issue.message);
  }
  CHECK(set.error_count() == 0);
  CHECK(set.rules().size() == 57);
  CHECK(set.loaded_count() == 57);
  for (const auto& info : set.rules()) {
    CHECK(info.finding_rule == "sigma." + info.id);
  }
}

TEST_CASE("SigmaHQ rules fire on what they describe", "[sigma]") {
  if (!std::filesystem::is_directory(kShared + "/rules")) {
    WARN("skipped: " << kShared << "/rules not found");
    return;
  }
  auto set = aiir::sigma::RuleSet::load({kShared + "/rules"});
  auto fired = [&](const std::string& record) {
    std::set<std::string> ids;
    for (const auto& f : aiir::sigma::testing::run(set, {record})) {
      for (const auto& [k, v] : f.details) if (k == "sigma_id") ids.insert(v);
    }
    return ids;
  };
  // Guardrail deleted.
  auto ids = fired(R"({"eventSource":"bedrock.amazonaws.com","eventName":"DeleteGuardrail","eventTime":"2024-01-01T00:00:00Z"})");
  CHECK(ids.count("") == 0);
  CHECK(ids.size() >= 1);
  // A root console login.
  auto root = fired(R"({"eventName":"ConsoleLogin","eventSource":"signin.amazonaws.com","eventType":"AwsConsoleSignIn",
                        "userIdentity":{"type":"Root","arn":"arn:aws:iam::1:root"},"responseElements":{"ConsoleLogin":"Success"},
                        "additionalEventData":{"MFAUsed":"No"}})");
  CHECK(root.size() >= 2);
  // An unrelated read fires nothing.
  CHECK(fired(R"({"eventSource":"s3.amazonaws.com","eventName":"GetObject","userIdentity":{"type":"IAMUser"}})").empty());
  // Update login profile on someone else: fires; on self (fieldref): the rule's filter compares arn with userName.
  auto other = fired(R"({"eventSource":"iam.amazonaws.com","eventName":"UpdateLoginProfile",
      "userIdentity":{"arn":"arn:aws:iam::1:user/admin"},"requestParameters":{"userName":"bob"}})");
  CHECK(other.count("055fb148-60f8-462d-ad16-26926ce050f1") == 1);
}

TEST_CASE("SigmaHQ unsupported/ rules: legacy count() runs as event_count", "[sigma]") {
  if (!std::filesystem::is_directory(kShared + "/unsupported")) {
    WARN("skipped: " << kShared << "/unsupported not found");
    return;
  }
  auto set = aiir::sigma::RuleSet::load({kShared + "/unsupported"});
  CHECK(set.error_count() == 0);
  std::map<std::string, aiir::sigma::RuleStatus> status;
  for (const auto& info : set.rules()) status[aiir::sigma::testing::file_name(info.file)] = info.status;
  using aiir::sigma::RuleStatus;
  CHECK(status["aws_ec2_download_userdata.yml"] == RuleStatus::kLoaded);
  CHECK(status["aws_enum_backup.yml"] == RuleStatus::kLoaded);
  CHECK(status["aws_enum_listing.yml"] == RuleStatus::kLoaded);
  CHECK(status["aws_enum_network.yml"] == RuleStatus::kLoaded);
  CHECK(status["aws_enum_storage.yml"] == RuleStatus::kLoaded);
  CHECK(status["aws_macic_evasion.yml"] == RuleStatus::kLoaded);
  // `near` without a timeframe cannot be correlated: reported, not run.
  CHECK(status["aws_lambda_function_created_or_invoked.yml"] == RuleStatus::kUnsupported);
  // Loads (as a single-event rule), with warnings: the timeframe is ignored, the condition can never match.
  CHECK(status["aws_ses_messaging_enabled.yml"] == RuleStatus::kLoaded);
  std::size_t ses_warnings = 0;
  for (const auto& issue : set.issues()) {
    if (issue.file.find("ses_messaging") != std::string::npos) ++ses_warnings;
  }
  CHECK(ses_warnings == 2);

  // aws_macic_evasion: count() by sourceIPAddress > 5 in 10m.
  auto macie = [](int n, const char* ip, int step_s) {
    std::vector<std::string> out;
    for (int i = 0; i < n; ++i) {
      int s = i * step_s;
      char t[64];
      std::snprintf(t, sizeof t, "2024-01-01T00:%02d:%02dZ", s / 60, s % 60);
      out.push_back(std::string(R"({"eventName":"DisableMacie","sourceIPAddress":")") + ip +
                    R"(","eventTime":")" + t + "\"}");
    }
    return out;
  };
  auto findings = aiir::sigma::testing::run(set, macie(6, "1.2.3.4", 30));
  REQUIRE(findings.size() == 1);
  CHECK(findings[0].rule == "sigma.91f6a16c-ef71-437a-99ac-0b070e3ad221");
  CHECK(findings[0].count == 6);
  CHECK(aiir::sigma::testing::run(set, macie(5, "1.2.3.4", 30)).empty());
  // Same count, spread over more than 10 minutes: no match.
  CHECK(aiir::sigma::testing::run(set, macie(6, "1.2.3.4", 150)).empty());
  // Six events split over two IPs: no match.
  auto split = macie(3, "1.1.1.1", 30);
  for (auto& r : macie(3, "2.2.2.2", 30)) split.push_back(r);
  CHECK(aiir::sigma::testing::run(set, split).empty());
}
