// SPDX-License-Identifier: Apache-2.0
// Sigma correlation rules: event_count, value_count, temporal, temporal_ordered,
// group-by, timespan, aliases, chaining, generate, and input-order independence.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>

#include "sigma_test_util.h"

using aiir::sigma::RuleSet;
using aiir::sigma::testing::run;

namespace {

const std::string kBase = R"(
title: Failed login
id: f0000000-0000-0000-0000-000000000001
name: failed_login
logsource: {product: aws, service: cloudtrail}
detection:
  sel:
    eventName: ConsoleLogin
    errorMessage: Failed authentication
  condition: sel
---
title: Successful login
id: f0000000-0000-0000-0000-000000000002
name: good_login
logsource: {product: aws, service: cloudtrail}
detection:
  sel:
    eventName: ConsoleLogin
    responseElements.ConsoleLogin: Success
  condition: sel
)";

std::string at(int seconds) {
  char t[64];
  std::snprintf(t, sizeof t, "2024-01-01T%02d:%02d:%02dZ", seconds / 3600, (seconds / 60) % 60, seconds % 60);
  return t;
}

std::string failed(int s, const std::string& user = "alice", const std::string& ip = "1.1.1.1") {
  return R"({"eventName":"ConsoleLogin","errorMessage":"Failed authentication","eventTime":")" + at(s) +
         R"(","sourceIPAddress":")" + ip + R"(","userIdentity":{"userName":")" + user +
         R"(","arn":"arn:aws:iam::1:user/)" + user + R"("}})";
}

std::string good(int s, const std::string& user = "alice") {
  return R"({"eventName":"ConsoleLogin","responseElements":{"ConsoleLogin":"Success"},"eventTime":")" + at(s) +
         R"(","userIdentity":{"userName":")" + user + R"(","arn":"arn:aws:iam::1:user/)" + user + R"("}})";
}

std::size_t count_rule(const std::vector<aiir::Finding>& fs, const std::string& rule) {
  return static_cast<std::size_t>(std::count_if(fs.begin(), fs.end(), [&](const aiir::Finding& f) { return f.rule == rule; }));
}

RuleSet load(const std::string& corr) {
  auto set = RuleSet::from_string(corr + "---" + kBase, "corr.yml");
  for (const auto& i : set.issues()) UNSCOPED_INFO(i.line << ": " << i.message);
  REQUIRE(set.error_count() == 0);
  return set;
}

}  // namespace

TEST_CASE("event_count with group-by, timespan and gte", "[sigma]") {
  auto set = load(R"(title: Brute force
name: brute
level: high
correlation:
  type: event_count
  rules: [failed_login]
  group-by: [userIdentity.userName]
  timespan: 5m
  condition: {gte: 3}
)");
  CHECK(count_rule(run(set, {failed(0), failed(60), failed(120)}), "brute") == 1);
  CHECK(count_rule(run(set, {failed(0), failed(60)}), "brute") == 0);
  // Outside the timespan.
  CHECK(count_rule(run(set, {failed(0), failed(200), failed(400)}), "brute") == 0);
  // Different users are different groups.
  CHECK(count_rule(run(set, {failed(0, "a"), failed(10, "b"), failed(20, "a")}), "brute") == 0);
  // Base rules referenced with generate: false (default) emit nothing themselves.
  auto fs = run(set, {failed(0), failed(60), failed(120)});
  CHECK(count_rule(fs, "failed_login") == 0);
  REQUIRE(fs.size() == 1);
  CHECK(fs[0].count == 3);
  CHECK(fs[0].severity == aiir::Severity::kHigh);
  CHECK(fs[0].principal == "arn:aws:iam::1:user/alice");
  CHECK(fs[0].evidence.size() == 3);
}

TEST_CASE("event_count: gt, lt, eq ranges", "[sigma]") {
  auto make = [](const std::string& cond) {
    return load("title: c\nname: c\ncorrelation:\n  type: event_count\n  rules: [failed_login]\n"
                "  group-by: [userIdentity.userName]\n  timespan: 1h\n  condition: " + cond + "\n");
  };
  std::vector<std::string> three = {failed(0), failed(1), failed(2)};
  CHECK(count_rule(run(make("{gt: 2}"), three), "c") == 1);
  CHECK(count_rule(run(make("{gt: 3}"), three), "c") == 0);
  CHECK(count_rule(run(make("{eq: 3}"), three), "c") == 1);
  CHECK(count_rule(run(make("{lt: 3}"), three), "c") == 0);
  CHECK(count_rule(run(make("{gt: 1, lte: 3}"), three), "c") == 1);
}

TEST_CASE("value_count counts distinct values", "[sigma]") {
  auto set = load(R"(title: Spray
name: spray
correlation:
  type: value_count
  rules: [failed_login]
  group-by: [sourceIPAddress]
  timespan: 10m
  condition: {field: userIdentity.userName, gte: 3}
)");
  CHECK(count_rule(run(set, {failed(0, "a"), failed(1, "b"), failed(2, "c")}), "spray") == 1);
  CHECK(count_rule(run(set, {failed(0, "a"), failed(1, "b"), failed(2, "a"), failed(3, "b")}), "spray") == 0);
  CHECK(count_rule(run(set, {failed(0, "a", "1.1.1.1"), failed(1, "b", "2.2.2.2"), failed(2, "c", "1.1.1.1")}),
                   "spray") == 0);
}

TEST_CASE("temporal: all rules within the timespan, any order", "[sigma]") {
  auto set = load(R"(title: Fail and success
name: t
correlation:
  type: temporal
  rules: [failed_login, good_login]
  group-by: [userIdentity.userName]
  timespan: 5m
)");
  CHECK(count_rule(run(set, {failed(0), good(60)}), "t") == 1);
  CHECK(count_rule(run(set, {good(0), failed(60)}), "t") == 1);
  CHECK(count_rule(run(set, {failed(0), good(600)}), "t") == 0);
  CHECK(count_rule(run(set, {failed(0, "a"), good(60, "b")}), "t") == 0);
  CHECK(count_rule(run(set, {failed(0), failed(60)}), "t") == 0);
}

TEST_CASE("temporal_ordered: the rules in the given order", "[sigma]") {
  auto set = load(R"(title: Fail then success
name: o
correlation:
  type: temporal_ordered
  rules: [failed_login, good_login]
  group-by: [userIdentity.userName]
  timespan: 5m
)");
  CHECK(count_rule(run(set, {failed(0), good(60)}), "o") == 1);
  CHECK(count_rule(run(set, {good(0), failed(60)}), "o") == 0);
  CHECK(count_rule(run(set, {good(0), failed(60), good(120)}), "o") == 1);
  CHECK(count_rule(run(set, {failed(0), good(301)}), "o") == 0);
}

TEST_CASE("correlation results do not depend on input order", "[sigma]") {
  auto set = load(R"(title: Fail then success
name: o
correlation:
  type: temporal_ordered
  rules: [failed_login, good_login]
  group-by: [userIdentity.userName]
  timespan: 5m
)");
  // Events arrive in file order, not time order: the success (t=60) is read first.
  auto fs = run(set, {good(60), failed(0)});
  REQUIRE(count_rule(fs, "o") == 1);
  CHECK(fs[0].first_seen_ms < fs[0].last_seen_ms);
  auto brute = load("title: c\nname: c\ncorrelation:\n  type: event_count\n  rules: [failed_login]\n"
                    "  group-by: [userIdentity.userName]\n  timespan: 2m\n  condition: {gte: 3}\n");
  std::vector<std::string> events = {failed(300), failed(0), failed(60), failed(330), failed(120), failed(360)};
  auto a = run(brute, events);
  std::reverse(events.begin(), events.end());
  auto b = run(brute, events);
  REQUIRE(a.size() == 2);
  REQUIRE(b.size() == 2);
  for (std::size_t i = 0; i < a.size(); ++i) {
    CHECK(a[i].first_seen_ms == b[i].first_seen_ms);
    CHECK(a[i].count == b[i].count);
  }
}

TEST_CASE("aliases map group-by fields per rule", "[sigma]") {
  auto set = load(R"(title: Same user
name: a
correlation:
  type: temporal
  rules: [failed_login, good_login]
  group-by: [who]
  timespan: 5m
  aliases:
    who:
      failed_login: sourceIPAddress
      good_login: userIdentity.userName
)");
  // failed: ip "alice" (odd on purpose) ; good: user alice
  CHECK(count_rule(run(set, {failed(0, "x", "alice"), good(10, "alice")}), "a") == 1);
  CHECK(count_rule(run(set, {failed(0, "alice", "1.1.1.1"), good(10, "alice")}), "a") == 0);
}

TEST_CASE("chained correlations: many failures then a success", "[sigma]") {
  auto set = load(R"(title: Brute force then success
name: chain
level: critical
correlation:
  type: temporal_ordered
  rules: [many_failed, good_login]
  group-by: [userIdentity.userName]
  timespan: 10m
---
title: Many failed
name: many_failed
correlation:
  type: event_count
  rules: [failed_login]
  group-by: [userIdentity.userName]
  timespan: 10m
  condition: {gte: 3}
)");
  auto fs = run(set, {failed(0), failed(10), failed(20), good(30)});
  CHECK(count_rule(fs, "chain") == 1);
  CHECK(count_rule(fs, "many_failed") == 0);  // inner correlation does not generate
  CHECK(count_rule(run(set, {failed(0), failed(10), good(30)}), "chain") == 0);
  CHECK(count_rule(run(set, {good(0), failed(10), failed(20), failed(30)}), "chain") == 0);
}

TEST_CASE("generate: true keeps the base rules' own findings", "[sigma]") {
  auto set = load("title: c\nname: c\ngenerate: true\ncorrelation:\n  type: event_count\n  rules: [failed_login]\n"
                  "  group-by: [userIdentity.userName]\n  timespan: 2m\n  condition: {gte: 2}\n");
  auto fs = run(set, {failed(0), failed(1)});
  CHECK(count_rule(fs, "failed_login") == 2);
  CHECK(count_rule(fs, "c") == 1);
}

TEST_CASE("correlation load problems are reported", "[sigma]") {
  auto unknown = RuleSet::from_string(
      "title: c\ncorrelation:\n  type: event_count\n  rules: [nosuch]\n  timespan: 2m\n  condition: {gte: 2}\n", "c.yml");
  REQUIRE(unknown.issues().size() == 1);
  CHECK(unknown.issues()[0].error);
  CHECK(unknown.issues()[0].message.find("nosuch") != std::string::npos);
  auto bad_span = RuleSet::from_string(
      "title: c\ncorrelation:\n  type: event_count\n  rules: [x]\n  timespan: 2w\n  condition: {gte: 2}\n", "c.yml");
  REQUIRE(bad_span.issues().size() == 1);
  CHECK(bad_span.issues()[0].line == 5);
  auto sum = RuleSet::from_string(
      "title: c\ncorrelation:\n  type: value_sum\n  rules: [x]\n  timespan: 2m\n  condition: {gte: 2}\n", "c.yml");
  REQUIRE(sum.issues().size() == 1);
  CHECK_FALSE(sum.issues()[0].error);
  CHECK(sum.rules()[0].status == aiir::sigma::RuleStatus::kUnsupported);
}
