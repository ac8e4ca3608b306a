// SPDX-License-Identifier: Apache-2.0
// Tests of the principal scope tracker and the shared analyzer helpers.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <string>

#include "analyzers/scope.h"
#include "support/test_events.h"

using aiir::CountedSet;
using aiir::ScopeTracker;
namespace d = aiir::detail;

namespace {

constexpr const char* kEvents = R"(
{"eventVersion":"1.09","eventTime":"2024-10-29T10:00:00Z","eventSource":"sts.amazonaws.com","eventName":"GetCallerIdentity","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.7","userAgent":"python-urllib3/2.0.7","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/dev","accountId":"111122223333","accessKeyId":"AKIAEXAMPLE1"},"recipientAccountId":"111122223333","eventID":"e1"}
{"eventVersion":"1.09","eventTime":"2024-10-29T11:00:00Z","eventSource":"bedrock.amazonaws.com","eventName":"ListFoundationModels","awsRegion":"us-west-2","sourceIPAddress":"203.0.113.8","userAgent":"aws-cli/2","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/dev","accountId":"111122223333","accessKeyId":"AKIAEXAMPLE1"},"recipientAccountId":"111122223333","eventID":"e2","errorCode":"AccessDenied"}
{"eventVersion":"1.09","eventTime":"2024-10-29T12:00:00Z","eventSource":"bedrock.amazonaws.com","eventName":"ListFoundationModels","awsRegion":"us-west-2","sourceIPAddress":"bedrock.amazonaws.com","userAgent":"aws-cli/2","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/dev","accountId":"111122223333","accessKeyId":"AKIAEXAMPLE1"},"recipientAccountId":"111122223333","eventID":"e3"}
{"eventVersion":"1.09","eventTime":"2024-10-31T10:00:00Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.1","userAgent":"console","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/admin","accountId":"111122223333","accessKeyId":"ASIAEXAMPLE2"},"recipientAccountId":"111122223333","eventID":"e4"}
)";

}  // namespace

TEST_CASE("scope tracker keeps per-principal and per-key scope", "[analyzer][scope]") {
  auto f = aiir::testing::events_from_json(kEvents);
  REQUIRE(f.events.size() == 4);
  ScopeTracker t;
  for (auto& e : f.events) t.on_event(e);

  const auto* dev = t.principal("arn:aws:iam::111122223333:user/dev");
  REQUIRE(dev != nullptr);
  CHECK(dev->events == 3);
  CHECK(dev->errors == 1);
  CHECK(dev->source_ips.values.size() == 2);  // the service name is not an IP
  CHECK(dev->source_ips.count("203.0.113.7") == 1);
  CHECK(dev->regions.count("us-west-2") == 2);
  CHECK(dev->actions.count("bedrock:ListFoundationModels") == 2);
  CHECK(dev->actions.count("sts:GetCallerIdentity") == 1);
  CHECK(dev->services.count("bedrock") == 2);
  CHECK(dev->error_codes.count("AccessDenied") == 1);
  CHECK(dev->keys.count("AKIAEXAMPLE1") == 3);

  const auto* key = t.key("AKIAEXAMPLE1");
  REQUIRE(key != nullptr);
  CHECK(key->principals.count("arn:aws:iam::111122223333:user/dev") == 3);
  CHECK(t.key("AKIANOPE") == nullptr);
  CHECK(t.principal("arn:aws:iam::111122223333:user/nobody") == nullptr);

  // The corpus runs 48 h: slack is max(1 h, 2% of 48 h = 57.6 min) = 1 h.
  CHECK(t.end_slack_ms() == 3600 * 1000);
  CHECK_FALSE(t.continues_to_end(*dev));
  const auto* admin = t.principal("arn:aws:iam::111122223333:user/admin");
  REQUIRE(admin != nullptr);
  CHECK(t.continues_to_end(*admin));
  CHECK(t.last_event_ms() == admin->last_ms);
}

TEST_CASE("scope tracker is independent of input order", "[analyzer][scope]") {
  auto f = aiir::testing::events_from_json(kEvents);
  ScopeTracker a;
  ScopeTracker b;
  for (auto& e : f.events) a.on_event(e);
  for (auto it = f.events.rbegin(); it != f.events.rend(); ++it) b.on_event(*it);
  const auto* pa = a.principal("arn:aws:iam::111122223333:user/dev");
  const auto* pb = b.principal("arn:aws:iam::111122223333:user/dev");
  REQUIRE((pa && pb));
  CHECK(pa->first_ms == pb->first_ms);
  CHECK(pa->last_ms == pb->last_ms);
  CHECK(pa->actions.values == pb->actions.values);
  CHECK(pa->source_ips.values == pb->source_ips.values);
}

TEST_CASE("scope tracker bounds principals and keeps the smallest ids", "[analyzer][scope]") {
  auto f = aiir::testing::events_from_json(kEvents);
  ScopeTracker::Limits lim;
  lim.max_principals = 1;
  ScopeTracker fwd(lim);
  ScopeTracker rev(lim);
  for (auto& e : f.events) fwd.on_event(e);
  for (auto it = f.events.rbegin(); it != f.events.rend(); ++it) rev.on_event(*it);
  REQUIRE(fwd.principals().size() == 1);
  CHECK(fwd.principals().begin()->first == "arn:aws:iam::111122223333:user/admin");
  CHECK(rev.principals().begin()->first == "arn:aws:iam::111122223333:user/admin");
  CHECK(fwd.principals_dropped() == 3);
  CHECK(rev.principals_dropped() == 3);
}

TEST_CASE("scope tracker ignores events without identity", "[analyzer][scope]") {
  auto f = aiir::testing::events_from_json(
      R"({"eventVersion":"1.07","eventTime":"2019-11-14T00:51:00Z","awsRegion":"us-east-1","eventID":"i1","eventType":"AwsCloudTrailInsight","recipientAccountId":"123456789012","insightDetails":{"state":"Start"},"eventCategory":"Insight"})");
  ScopeTracker t;
  for (auto& e : f.events) t.on_event(e);
  CHECK(t.principals().empty());
  CHECK(t.keys().empty());
}

TEST_CASE("counted set keeps the smallest values whatever the order", "[analyzer][scope]") {
  CountedSet a;
  CountedSet b;
  std::vector<std::string> vals = {"d", "a", "c", "a", "e", "b", "d", "a"};
  for (auto& v : vals) a.add(v, 3);
  std::reverse(vals.begin(), vals.end());
  for (auto& v : vals) b.add(v, 3);
  CHECK(a.values == b.values);
  CHECK(a.values.size() == 3);
  CHECK(a.count("a") == 3);
  CHECK(a.count("c") == 1);
  CHECK(a.count("d") == 0);
  CHECK(a.overflow == 3);  // d, d, e
  CHECK(b.overflow == 3);
  auto top = a.top(2);
  REQUIRE(top.size() == 2);
  CHECK(top[0].first == "a");
  CHECK(top[1].first == "b");
}

TEST_CASE("ip, cidr and wildcard helpers", "[analyzer][scope]") {
  CHECK(d::looks_like_ip("203.0.113.7"));
  CHECK(d::looks_like_ip("2001:db8::1"));
  CHECK(d::looks_like_ip("::ffff:10.0.0.1"));
  CHECK_FALSE(d::looks_like_ip("bedrock.amazonaws.com"));
  CHECK_FALSE(d::looks_like_ip("AWS Internal"));
  CHECK_FALSE(d::looks_like_ip("1.2.3"));
  CHECK_FALSE(d::looks_like_ip("1.2.3.256"));
  CHECK_FALSE(d::looks_like_ip(""));
  CHECK(d::ip_matches_cidr("10.1.2.3", "10.0.0.0/8"));
  CHECK_FALSE(d::ip_matches_cidr("11.1.2.3", "10.0.0.0/8"));
  CHECK(d::ip_matches_cidr("192.168.1.7", "192.168.1.7"));
  CHECK_FALSE(d::ip_matches_cidr("192.168.1.8", "192.168.1.7"));
  CHECK(d::ip_matches_cidr("2001:db8::5", "2001:db8::/32"));
  CHECK_FALSE(d::ip_matches_cidr("2001:db9::5", "2001:db8::/32"));
  CHECK_FALSE(d::ip_matches_cidr("10.0.0.1", "2001:db8::/32"));
  CHECK_FALSE(d::ip_matches_cidr("not-an-ip", "10.0.0.0/8"));
  CHECK_FALSE(d::ip_matches_cidr("10.0.0.1", "10.0.0.0/33"));
  CHECK(d::ip_matches_cidr("10.0.0.1", "0.0.0.0/0"));
  CHECK(d::wildcard_matches("arn:aws:iam::*:role/Admin*", "arn:aws:iam::1111:role/AdminOps"));
  CHECK(d::wildcard_matches("ARN:AWS:IAM::1111:USER/?ev", "arn:aws:iam::1111:user/dev"));
  CHECK_FALSE(d::wildcard_matches("arn:aws:iam::*:role/Admin", "arn:aws:iam::1111:role/AdminOps"));
  CHECK(d::is_denied_error("Client.UnauthorizedOperation"));
  CHECK(d::is_denied_error("AccessDenied"));
  CHECK_FALSE(d::is_denied_error("ValidationException"));
  CHECK(d::short_service("ec2.amazonaws.com") == "ec2");
  CHECK(d::icontains("Mozilla/5.0 Boto3", "boto3"));
}

TEST_CASE("icontains agrees with a plain case-insensitive search", "[scope]") {
  const auto reference = [](std::string_view hay, std::string_view needle) {
    std::string h(hay), n(needle);
    for (char& c : h) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (char& c : n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return h.find(n) != std::string::npos;
  };
  // Small alphabets make near-misses, repeats of either case and matches at both ends common.
  std::uint64_t state = 42;
  const auto next = [&] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<unsigned>(state >> 33);
  };
  const std::string_view alphabet = "cCoOnN-.1";
  int found = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string hay(next() % 24, ' '), needle(1 + next() % 4, ' ');
    for (char& c : hay) c = alphabet[next() % alphabet.size()];
    for (char& c : needle) c = alphabet[next() % alphabet.size()];
    INFO(hay << " / " << needle);
    REQUIRE(d::icontains(hay, needle) == reference(hay, needle));
    found += reference(hay, needle) ? 1 : 0;
  }
  CHECK(found > 2000);
  CHECK(d::icontains("aws-cli/2 console.AmazonAWS.com", "CONSOLE.amazonaws.com"));
  CHECK_FALSE(d::icontains("consol", "console"));
  CHECK(d::icontains("x", ""));
}
