// SPDX-License-Identifier: Apache-2.0
// The Markdown report's timeline: findings at medium or above in the order
// they began, so a responder reads the attack as it happened.
#include <catch2/catch.hpp>

#include <string>

#include "scan/report.h"

namespace {

aiir::Finding make(const std::string& title, aiir::Severity sev, std::int64_t first_ms, const std::string& principal) {
  aiir::Finding f;
  f.rule = "access.x";
  f.element = aiir::Element::kAccess;
  f.severity = sev;
  f.title = title;
  f.principal = principal;
  f.first_seen_ms = first_ms;
  f.last_seen_ms = first_ms + 60000;
  f.count = 1;
  f.source_ips = {"198.51.100.23"};
  return f;
}

}  // namespace

TEST_CASE("the Markdown timeline lists medium-or-higher findings by first seen", "[report]") {
  aiir::Report r;
  r.tool_version = "0.0.0";
  constexpr std::int64_t t = 1773223200000LL;  // 2026-03-11T10:00:00Z
  r.findings = {make("Guardrail deleted", aiir::Severity::kHigh, t + 3600000, "arn:aws:iam::1:user/ml"),
                make("Routine low thing", aiir::Severity::kLow, t, "arn:aws:iam::1:user/ops"),
                make("Recon then enumeration", aiir::Severity::kMedium, t + 60000, "arn:aws:iam::1:user/ml"),
                make("Leak | [x](http://evil)", aiir::Severity::kCritical, t + 7200000, "arn:aws:iam::1:user/ml")};
  r.finding_ids = {"aaaaaaaaaaaaaaa1", "aaaaaaaaaaaaaaa2", "aaaaaaaaaaaaaaa3", "aaaaaaaaaaaaaaa4"};
  const std::string md = aiir::format_report_markdown(r);
  const auto at = md.find("## Timeline");
  REQUIRE(at != std::string::npos);
  const std::string section = md.substr(at, md.find("\n## ", at + 1) - at);
  const auto recon = section.find("aaaaaaaaaaaaaaa3");
  const auto guardrail = section.find("aaaaaaaaaaaaaaa1");
  const auto leak = section.find("aaaaaaaaaaaaaaa4");
  REQUIRE(recon != std::string::npos);
  REQUIRE(guardrail != std::string::npos);
  REQUIRE(leak != std::string::npos);
  CHECK(recon < guardrail);
  CHECK(guardrail < leak);
  CHECK(section.find("aaaaaaaaaaaaaaa2") == std::string::npos);  // low: not in the timeline
  CHECK(section.find("2026-03-11T10:01:00Z") != std::string::npos);
  CHECK(section.find("](http") == std::string::npos);  // titles are escaped
  // Without findings at medium or above there is no timeline.
  r.findings = {make("Routine low thing", aiir::Severity::kLow, t, "p")};
  r.finding_ids = {"aaaaaaaaaaaaaaa2"};
  CHECK(aiir::format_report_markdown(r).find("## Timeline") == std::string::npos);
}
