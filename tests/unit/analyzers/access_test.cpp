// SPDX-License-Identifier: Apache-2.0
// Tests of the access analyzer: each stateful detection fires on what it must,
// stays quiet on near-misses, survives malformed records and is order-independent.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <vector>

#include "analyzers/factories.h"
#include "analyzers/scope.h"
#include "support/test_events.h"
#include "util/time.h"

namespace {

constexpr std::int64_t kBase = 1730196000000;  // 2024-10-29T10:00:00Z

/// One synthetic CloudTrail record (fields as in formats.md).
struct R {
  double min = 0;  ///< minutes after kBase
  std::string name = "DescribeInstances";
  std::string source = "ec2.amazonaws.com";
  std::string arn = "arn:aws:iam::111122223333:user/dev";
  std::string type = "IAMUser";
  std::string key = "AKIAEXAMPLEDEV1";
  std::string ip = "203.0.113.7";
  std::string ua = "aws-cli/2.15";
  std::string region = "us-east-1";
  std::string error = {};
  std::string extra = {};  ///< extra top-level members, with a leading comma
  std::string read_only = "";
};

std::string line(const R& r, int n) {
  std::string err = r.error.empty() ? "" : fmt::format(R"(,"errorCode":"{}","errorMessage":"no")", r.error);
  std::string ro = r.read_only.empty() ? "" : fmt::format(R"(,"readOnly":{})", r.read_only);
  return fmt::format(
      R"({{"eventVersion":"1.09","eventTime":"{}","eventSource":"{}","eventName":"{}","awsRegion":"{}",)"
      R"("sourceIPAddress":"{}","userAgent":"{}","userIdentity":{{"type":"{}","arn":"{}","accountId":"111122223333",)"
      R"("accessKeyId":"{}","userName":"dev"}},"recipientAccountId":"111122223333","eventType":"AwsApiCall",)"
      R"("eventID":"ev-{}"{}{}{}}})",
      aiir::format_time(kBase + static_cast<std::int64_t>(r.min * 60000)), r.source, r.name, r.region, r.ip, r.ua,
      r.type, r.arn, r.key, n, err, ro, r.extra);
}

std::string login(double min, const std::string& user, bool ok, const std::string& ip, bool mfa = false) {
  static int n = 100000;
  return fmt::format(
      R"({{"eventVersion":"1.09","eventTime":"{}","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin",)"
      R"("awsRegion":"us-east-1","sourceIPAddress":"{}","userAgent":"Mozilla/5.0","eventType":"AwsConsoleSignIn",)"
      R"("userIdentity":{{"type":"IAMUser","principalId":"AIDA{}","accountId":"111122223333","userName":"{}"}},)"
      R"("responseElements":{{"ConsoleLogin":"{}"}},"additionalEventData":{{"MFAUsed":"{}"}},)"
      R"("recipientAccountId":"111122223333","eventID":"login-{}"}})",
      aiir::format_time(kBase + static_cast<std::int64_t>(min * 60000)), ip, user, user, ok ? "Success" : "Failure",
      mfa ? "Yes" : "No", n++);
}

std::string jsonl(const std::vector<R>& rs) {
  std::string out;
  int n = 0;
  for (const auto& r : rs) out += line(r, n++) + "\n";
  return out;
}

struct Run {
  std::vector<aiir::Finding> findings;
  std::vector<aiir::QuestionAnswer> answers;
  std::vector<const aiir::Finding*> with(std::string_view rule) const {
    std::vector<const aiir::Finding*> v;
    for (const auto& f : findings) {
      if (f.rule == rule) v.push_back(&f);
    }
    return v;
  }
  const aiir::QuestionAnswer* answer(std::string_view id) const {
    for (const auto& a : answers) {
      if (a.id == id) return &a;
    }
    return nullptr;
  }
};

/// `shared`: the analyzer reads a tracker fed outside it, as in `aiir scan`
/// (AnalyzerConfig::scope), instead of keeping its own.
Run run(const std::string& text, const aiir::Profile* profile = nullptr, std::int64_t baseline = 0,
        bool reverse = false, bool shared = false) {
  static const aiir::Profile none{};
  aiir::ScopeTracker tracker;
  aiir::AnalyzerConfig cfg;
  cfg.profile = profile ? profile : &none;
  cfg.baseline_until_ms = baseline;
  if (shared) cfg.scope = &tracker;
  auto a = aiir::make_access(cfg);
  auto f = aiir::testing::events_from_json(text);
  aiir::FindingList sink;
  auto feed = [&](const aiir::EventView& e) {
    if (shared && e.kind != aiir::EventKind::kInsight) tracker.on_event(e);
    a->on_event(e, sink);
  };
  if (reverse) {
    for (auto it = f.events.rbegin(); it != f.events.rend(); ++it) feed(*it);
  } else {
    for (auto& e : f.events) feed(e);
  }
  a->finish(sink);
  Run r;
  r.findings = std::move(sink.findings);
  aiir::Coverage cov;
  cov.cloudtrail_events = f.events.size();
  cov.profile_loaded = profile && profile->loaded;
  a->answer(cov, r.answers);
  return r;
}

std::vector<R> reads(double start, int distinct, double step, const std::string& source = "ec2.amazonaws.com") {
  std::vector<R> v;
  for (int i = 0; i < distinct; ++i) {
    R r;
    r.min = start + i * step;
    r.name = fmt::format("DescribeThing{}", i);
    r.source = i % 2 ? "rds.amazonaws.com" : source;
    r.read_only = "true";
    v.push_back(r);
  }
  return v;
}

/// A key used steadily for ten minutes, then an enumeration burst from another IP.
std::vector<R> ops_then_burst() {
  std::vector<R> rs;
  for (int i = 0; i < 10; ++i) rs.push_back(R{.min = i * 60.0, .arn = "arn:aws:iam::111122223333:user/ops",
                                              .key = "AKIAOPS000000001", .ip = "198.51.100.1"});
  auto burst = reads(1000, 10, 0.5);
  for (auto& b : burst) b.ip = "192.0.2.200";
  rs.insert(rs.end(), burst.begin(), burst.end());
  return rs;
}

}  // namespace

TEST_CASE("access: console login failure burst and brute-force success", "[analyzer][access]") {
  std::string text;
  for (int i = 0; i < 5; ++i) text += login(i * 2, "bob", false, "198.51.100.9") + "\n";
  SECTION("five failures in ten minutes fire") {
    auto r = run(text);
    auto f = r.with("access.console_login_failure_burst");
    REQUIRE(f.size() == 1);
    CHECK(f[0]->principal == "arn:aws:iam::111122223333:user/bob");
    CHECK(f[0]->severity == aiir::Severity::kMedium);
    CHECK(f[0]->count == 5);
    CHECK(f[0]->source_ips == std::vector<std::string>{"198.51.100.9"});
  }
  SECTION("a success without MFA afterwards is a brute-force success") {
    auto r = run(text + login(20, "bob", true, "198.51.100.9") + "\n");
    CHECK(r.with("access.console_login_failure_burst").empty());
    auto f = r.with("access.console_brute_force_success");
    REQUIRE(f.size() == 1);
    CHECK(f[0]->severity == aiir::Severity::kHigh);
    CHECK(f[0]->summary.find("without MFA") != std::string::npos);
    CHECK(!r.with("access.principal_of_interest").empty());
  }
  SECTION("near miss: four failures, or five spread over hours") {
    std::string four;
    for (int i = 0; i < 4; ++i) four += login(i, "bob", false, "198.51.100.9") + "\n";
    CHECK(run(four).findings.empty());
    std::string slow;
    for (int i = 0; i < 5; ++i) slow += login(i * 30, "bob", false, "198.51.100.9") + "\n";
    CHECK(run(slow).findings.empty());
  }
}

TEST_CASE("access: password spraying from one IP", "[analyzer][access]") {
  std::string text;
  const char* users[] = {"ann", "ben", "cat", "dan", "eve", "fay"};
  for (int i = 0; i < 6; ++i) text += login(i * 5, users[i], false, "192.0.2.66") + "\n";
  auto r = run(text);
  auto f = r.with("access.console_password_spray");
  REQUIRE(f.size() == 1);
  CHECK(f[0]->source_ips == std::vector<std::string>{"192.0.2.66"});
  CHECK(f[0]->summary.find("6 users") != std::string::npos);
  // Near miss: the same failures from six different IPs.
  std::string spread;
  for (int i = 0; i < 6; ++i) spread += login(i * 5, users[i], false, fmt::format("192.0.2.{}", i + 1)) + "\n";
  CHECK(run(spread).with("access.console_password_spray").empty());
}

TEST_CASE("access: long-term key used from a new IP or user agent", "[analyzer][access]") {
  std::vector<R> rs;
  for (int i = 0; i < 10; ++i) rs.push_back(R{.min = i * 60.0});  // baseline from 203.0.113.7
  R late{.min = 700, .ip = "192.0.2.200", .ua = "python-urllib3/2.0.7"};
  rs.push_back(late);
  const std::int64_t baseline = kBase + 600 * 60000;
  SECTION("after --baseline-until") {
    auto r = run(jsonl(rs), nullptr, baseline);
    auto ip = r.with("access.long_term_key_new_ip");
    REQUIRE(ip.size() == 1);
    CHECK(ip[0]->access_key_id == "AKIAEXAMPLEDEV1");
    CHECK(ip[0]->source_ips == std::vector<std::string>{"192.0.2.200"});
    CHECK(ip[0]->severity == aiir::Severity::kMedium);
    auto ua = r.with("access.long_term_key_new_user_agent");
    REQUIRE(ua.size() == 1);
    CHECK(ua[0]->user_agents == std::vector<std::string>{"python-urllib3/2.0.7"});
  }
  SECTION("near miss: the IP was already used in the baseline") {
    rs.push_back(R{.min = 30, .ip = "192.0.2.200", .ua = "python-urllib3/2.0.7"});
    auto r = run(jsonl(rs), nullptr, baseline);
    CHECK(r.with("access.long_term_key_new_ip").empty());
    CHECK(r.with("access.long_term_key_new_user_agent").empty());
  }
  SECTION("near miss: temporary (ASIA) keys are not long-term keys") {
    for (auto& x : rs) x.key = "ASIAEXAMPLETMP1";
    CHECK(run(jsonl(rs), nullptr, baseline).with("access.long_term_key_new_ip").empty());
  }
  SECTION("with a profile: IPs outside the known CIDRs") {
    aiir::Profile p;
    p.loaded = true;
    p.known_cidrs = {"203.0.113.0/24"};
    auto r = run(jsonl(rs), &p);
    auto ip = r.with("access.long_term_key_new_ip");
    REQUIRE(ip.size() == 1);
    CHECK(ip[0]->source_ips == std::vector<std::string>{"192.0.2.200"});
    p.known_cidrs = {"203.0.113.0/24", "192.0.2.0/24"};
    CHECK(run(jsonl(rs), &p).with("access.long_term_key_new_ip").empty());
  }
}

TEST_CASE("access: enumeration burst", "[analyzer][access]") {
  SECTION("ten distinct read actions in five minutes") {
    auto r = run(jsonl(reads(0, 10, 0.5)));
    auto f = r.with("access.enumeration_burst");
    REQUIRE(f.size() == 1);
    CHECK(f[0]->principal == "arn:aws:iam::111122223333:user/dev");
    CHECK(f[0]->access_key_id == "AKIAEXAMPLEDEV1");
    CHECK(f[0]->summary.find("10 distinct") != std::string::npos);
    CHECK(!f[0]->evidence.empty());
  }
  SECTION("the burst names the addresses and agents it came from, not the key's others") {
    std::vector<R> rs;
    for (int i = 0; i < 5; ++i)  // the key's usual client, hours before
      rs.push_back(R{.min = i * 1.0, .name = "ListBuckets", .source = "s3.amazonaws.com", .ip = "192.0.2.50",
                     .ua = "terraform/1.7", .read_only = "true"});
    for (R r : reads(300, 10, 0.5)) {
      r.ip = "203.0.113.66";
      r.ua = "aws-cli/2.15.0";
      rs.push_back(r);
    }
    auto r = run(jsonl(rs));
    auto f = r.with("access.enumeration_burst");
    REQUIRE(f.size() == 1);
    CHECK(f[0]->source_ips == std::vector<std::string>{"203.0.113.66"});
    CHECK(f[0]->user_agents == std::vector<std::string>{"aws-cli/2.15.0"});
  }
  SECTION("near miss: nine distinct, or ten spread over an hour and a half") {
    CHECK(run(jsonl(reads(0, 9, 0.5))).with("access.enumeration_burst").empty());
    CHECK(run(jsonl(reads(0, 10, 10))).with("access.enumeration_burst").empty());
  }
  SECTION("near miss: the same action repeated") {
    std::vector<R> rs;
    for (int i = 0; i < 30; ++i) rs.push_back(R{.min = i * 0.1, .read_only = "true"});
    CHECK(run(jsonl(rs)).with("access.enumeration_burst").empty());
  }
  SECTION("the same sweep every hour from the start of the logs is routine: low") {
    // An inventory job: the same ten reads at the top of every hour for two days.
    std::vector<R> rs;
    for (int h = 0; h < 48; ++h)
      for (R r : reads(h * 60.0, 10, 0.5)) rs.push_back(r);
    auto r = run(jsonl(rs));  // kept: the findings live in it
    auto f = r.with("access.enumeration_burst");
    REQUIRE(f.size() == 1);
    CHECK(f[0]->severity == aiir::Severity::kLow);
    INFO(f[0]->summary);
    CHECK(f[0]->summary.find("routine") != std::string::npos);
  }
  SECTION("a sweep like that which starts after the baseline is not routine") {
    // Quiet use for two days, then the same hourly sweeps in the last few hours.
    std::vector<R> rs;
    for (int h = 0; h < 40; ++h) rs.push_back(R{.min = h * 60.0, .source = "s3.amazonaws.com", .read_only = "true"});
    for (int h = 40; h < 48; ++h)
      for (R r : reads(h * 60.0, 10, 0.5, "iam.amazonaws.com")) rs.push_back(r);
    auto r = run(jsonl(rs));  // kept: the findings live in it
    auto f = r.with("access.enumeration_burst");
    REQUIRE(f.size() == 1);
    CHECK(f[0]->severity == aiir::Severity::kMedium);
    CHECK(f[0]->summary.find("routine") == std::string::npos);
  }
}

TEST_CASE("access: GetCallerIdentity followed by enumeration", "[analyzer][access]") {
  std::vector<R> rs{R{.min = 0, .name = "GetCallerIdentity", .source = "sts.amazonaws.com", .read_only = "true"}};
  auto after = reads(5, 5, 5);
  SECTION("five distinct reads in three services within the hour: medium") {
    after[4].source = "iam.amazonaws.com";  // ec2, rds, iam
    rs.insert(rs.end(), after.begin(), after.end());
    auto r = run(jsonl(rs));
    auto f = r.with("access.recon_then_enumeration");
    REQUIRE(f.size() == 1);
    CHECK(f[0]->severity == aiir::Severity::kMedium);
    CHECK(f[0]->evidence.front().action == "GetCallerIdentity");
  }
  SECTION("near miss: automation checking its identity, then describing two services, stays low") {
    rs.insert(rs.end(), after.begin(), after.end());  // ec2 and rds only
    auto result = run(jsonl(rs));  // keep the findings alive while `f` points into them
    auto f = result.with("access.recon_then_enumeration");
    REQUIRE(f.size() == 1);
    CHECK(f[0]->severity == aiir::Severity::kLow);
    CHECK(run(jsonl(rs)).with("access.principal_of_interest").empty());
  }
  SECTION("near miss: the reads came two hours earlier") {
    auto before = reads(-130, 5, 5);
    rs.insert(rs.end(), before.begin(), before.end());
    CHECK(run(jsonl(rs)).with("access.recon_then_enumeration").empty());
  }
}

TEST_CASE("access: access-denied burst", "[analyzer][access]") {
  std::vector<R> rs;
  for (int i = 0; i < 10; ++i) {
    rs.push_back(R{.min = i * 0.5, .name = fmt::format("CreateThing{}", i % 3), .error = "AccessDenied"});
  }
  auto r = run(jsonl(rs));
  auto f = r.with("access.access_denied_burst");
  REQUIRE(f.size() == 1);
  CHECK(f[0]->summary.find("10 access-denied") != std::string::npos);
  rs.pop_back();
  CHECK(run(jsonl(rs)).with("access.access_denied_burst").empty());
  // Other errors are not denials.
  for (auto& x : rs) x.error = "ValidationException";
  rs.push_back(rs.front());
  CHECK(run(jsonl(rs)).with("access.access_denied_burst").empty());
}

TEST_CASE("access: profile bad indicators", "[analyzer][access]") {
  std::vector<R> rs{R{.min = 0}, R{.min = 1, .key = "AKIABADKEY000001", .ip = "198.51.100.50"},
                    R{.min = 2, .arn = "arn:aws:iam::111122223333:user/other", .key = "AKIAOTHER0000001",
                      .ip = "192.0.2.10"}};
  aiir::Profile p;
  p.loaded = true;
  p.bad_access_keys = {"AKIABADKEY000001"};
  p.bad_ips = {"192.0.2.0/28"};
  auto r = run(jsonl(rs), &p);
  auto f = r.with("access.known_bad_indicator");
  REQUIRE(f.size() == 2);
  CHECK(f[0]->severity == aiir::Severity::kHigh);
  std::vector<std::string> keys{f[0]->access_key_id, f[1]->access_key_id};
  std::sort(keys.begin(), keys.end());
  CHECK(keys == std::vector<std::string>{"AKIABADKEY000001", "AKIAOTHER0000001"});
  // Without the profile nothing is known-bad.
  CHECK(run(jsonl(rs)).with("access.known_bad_indicator").empty());
}

TEST_CASE("access: principal in regions it did not use before", "[analyzer][access]") {
  std::vector<R> rs;
  for (int i = 0; i < 5; ++i) rs.push_back(R{.min = i * 60.0});
  rs.push_back(R{.min = 700, .region = "ap-south-1"});
  rs.push_back(R{.min = 710, .region = "sa-east-1"});
  const std::int64_t baseline = kBase + 600 * 60000;
  auto r = run(jsonl(rs), nullptr, baseline);
  auto f = r.with("access.principal_new_regions");
  REQUIRE(f.size() == 1);
  CHECK(f[0]->severity == aiir::Severity::kLow);
  CHECK(f[0]->summary.find("ap-south-1, sa-east-1") != std::string::npos);
  rs.pop_back();  // one new region is not unusual
  CHECK(run(jsonl(rs), nullptr, baseline).with("access.principal_new_regions").empty());
}

TEST_CASE("access: created access key then used; session tokens by a flagged key", "[analyzer][access]") {
  std::vector<R> rs{
      R{.min = 0, .name = "CreateAccessKey", .source = "iam.amazonaws.com",
        .extra = R"(,"requestParameters":{"userName":"svc"},"responseElements":{"accessKey":{"accessKeyId":"AKIANEWKEY000001","userName":"svc","status":"Active"}})"},
      R{.min = 5, .arn = "arn:aws:iam::111122223333:user/svc", .key = "AKIANEWKEY000001", .ip = "192.0.2.99"},
      R{.min = 6, .name = "GetSessionToken", .source = "sts.amazonaws.com",
        .arn = "arn:aws:iam::111122223333:user/svc", .key = "AKIANEWKEY000001", .ip = "192.0.2.99",
        .extra = R"(,"responseElements":{"credentials":{"accessKeyId":"ASIASESSION00001"}})"}};
  auto r = run(jsonl(rs));
  auto f = r.with("access.created_key_used");
  REQUIRE(f.size() == 1);
  CHECK(f[0]->access_key_id == "AKIANEWKEY000001");
  CHECK(f[0]->summary.find("(another user)") != std::string::npos);
  CHECK(f[0]->source_ips == std::vector<std::string>{"192.0.2.99"});
  auto s = r.with("access.session_credentials_by_flagged_principal");
  REQUIRE(s.size() == 1);
  CHECK(s[0]->summary.find("ASIASESSION00001") != std::string::npos);
  CHECK(s[0]->source_ips == std::vector<std::string>{"192.0.2.99"});
  // Near miss: the created key never shows up.
  rs.resize(1);
  auto r2 = run(jsonl(rs));
  CHECK(r2.with("access.created_key_used").empty());
  CHECK(r2.with("access.session_credentials_by_flagged_principal").empty());
}

TEST_CASE("access: continued activity and answers", "[analyzer][access]") {
  std::vector<R> rs = ops_then_burst();
  const std::int64_t baseline = kBase + 600 * 60000;
  SECTION("the flagged key is active at the end") {
    auto r = run(jsonl(rs), nullptr, baseline);
    REQUIRE(!r.with("access.principal_of_interest").empty());
    REQUIRE(r.with("access.activity_continues").size() == 1);
    auto* a = r.answer("access.continued_unauthorized_access");
    REQUIRE(a != nullptr);
    CHECK(a->answer == aiir::Answer::kYes);
    CHECK(a->explanation.find("AKIAEXAMPLEDEV1") != std::string::npos);
    CHECK(r.answer("access.unauthorized_scope")->answer == aiir::Answer::kYes);
    CHECK(r.answer("access.still_have_access") != nullptr);
  }
  SECTION("the flagged key stops long before the end") {
    for (int i = 0; i < 5; ++i) rs.push_back(R{.min = 3000.0 + i * 60, .arn = "arn:aws:iam::111122223333:user/ops",
                                               .key = "AKIAOPS000000001", .ip = "198.51.100.1"});
    auto r = run(jsonl(rs), nullptr, baseline);
    CHECK(r.with("access.activity_continues").empty());
    CHECK(r.answer("access.continued_unauthorized_access")->answer == aiir::Answer::kNo);
  }
  SECTION("nothing flagged: not found without a profile, cannot tell without CloudTrail") {
    auto r = run(jsonl({R{.min = 0}}));
    CHECK(r.answer("access.continued_unauthorized_access")->answer == aiir::Answer::kNotFound);
    auto r2 = run("\n");  // (an empty string crashes PaddedBuffer::append: reported)
    CHECK(r2.answer("access.continued_unauthorized_access")->answer == aiir::Answer::kCannotTell);
  }
}

TEST_CASE("access: a shared scope tracker gives the findings and answers of its own", "[analyzer][access]") {
  const std::vector<R> rs = ops_then_burst();
  std::string text = jsonl(rs);
  for (int i = 0; i < 5; ++i) text += login(1100 + i, "bob", false, "192.0.2.200") + "\n";
  const std::int64_t baseline = kBase + 600 * 60000;
  const Run own = run(text, nullptr, baseline);
  const Run shared = run(text, nullptr, baseline, false, true);
  REQUIRE(own.findings.size() >= 3);
  REQUIRE(own.findings.size() == shared.findings.size());
  for (std::size_t i = 0; i < own.findings.size(); ++i) {
    CHECK(own.findings[i].rule == shared.findings[i].rule);
    CHECK(own.findings[i].summary == shared.findings[i].summary);
    CHECK(own.findings[i].count == shared.findings[i].count);
  }
  REQUIRE(own.answers.size() == shared.answers.size());
  for (std::size_t i = 0; i < own.answers.size(); ++i) {
    CHECK(own.answers[i].answer == shared.answers[i].answer);
    CHECK(own.answers[i].explanation == shared.answers[i].explanation);
  }
}

TEST_CASE("access: malformed records do not break the analyzer", "[analyzer][access]") {
  const char* text = R"({"eventTime":"2024-10-29T10:00:00Z","eventName":"ConsoleLogin","eventSource":"signin.amazonaws.com","userIdentity":"oops","responseElements":[1,2]}
{"eventTime":"2024-10-29T10:01:00Z","eventName":"CreateAccessKey","eventSource":"iam.amazonaws.com","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/x","accessKeyId":5},"responseElements":{"accessKey":"nope"}}
{"eventTime":"2024-10-29T10:02:00Z","eventName":"AssumeRole","eventSource":"sts.amazonaws.com","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/r/s"},"requestParameters":{"roleArn":7},"responseElements":null}
{"eventTime":"2024-10-29T10:03:00Z","eventName":"CheckMfa","eventSource":"signin.amazonaws.com","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/x"},"responseElements":{"CheckMfa":{"a":1}}}
{"eventTime":"2024-10-29T10:04:00Z","eventName":"ListUsers","sourceIPAddress":["1.2.3.4"],"userIdentity":{"arn":""}}
)";
  auto r = run(text);
  for (const auto& f : r.findings) CHECK(f.severity < aiir::Severity::kMedium);
  CHECK(r.answers.size() == 3);
}

TEST_CASE("access: findings do not depend on input order", "[analyzer][access]") {
  std::vector<R> rs;
  for (int i = 0; i < 10; ++i) rs.push_back(R{.min = i * 60.0});
  rs.push_back(R{.min = 650, .name = "GetCallerIdentity", .source = "sts.amazonaws.com", .ip = "192.0.2.200",
                 .ua = "python-urllib3/2.0.7", .read_only = "true"});
  auto b = reads(655, 12, 0.5);
  for (auto& x : b) x.ip = "192.0.2.200";
  rs.insert(rs.end(), b.begin(), b.end());
  for (int i = 0; i < 12; ++i) {
    rs.push_back(R{.min = 700 + i * 0.2, .name = "PutBucketPolicy", .source = "s3.amazonaws.com",
                   .ip = "192.0.2.200", .error = "AccessDenied"});
  }
  rs.push_back(R{.min = 720, .ip = "192.0.2.200", .region = "eu-north-1"});
  rs.push_back(R{.min = 721, .ip = "192.0.2.200", .region = "ap-east-1"});
  std::string text = jsonl(rs);
  for (int i = 0; i < 5; ++i) text += login(800 + i, "bob", false, "192.0.2.200") + "\n";
  const std::int64_t baseline = kBase + 600 * 60000;
  auto fwd = run(text, nullptr, baseline, false);
  auto rev = run(text, nullptr, baseline, true);
  REQUIRE(fwd.findings.size() >= 6);
  auto key = [](const std::vector<aiir::Finding>& v) {
    std::vector<std::string> out;
    for (const auto& f : v) {
      std::string d;
      for (const auto& [k, val] : f.details) d += k + "=" + val + ";";
      out.push_back(f.id() + " " + f.rule + " " + f.summary + " " + d + " " + std::to_string(f.evidence.size()));
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  CHECK(key(fwd.findings) == key(rev.findings));
  std::set<std::string> rules;
  for (const auto& f : fwd.findings) rules.insert(f.rule);
  CHECK(rules.count("access.long_term_key_new_ip"));
  CHECK(rules.count("access.enumeration_burst"));
  CHECK(rules.count("access.recon_then_enumeration"));
  CHECK(rules.count("access.access_denied_burst"));
  CHECK(rules.count("access.principal_new_regions"));
  CHECK(rules.count("access.console_login_failure_burst"));
  CHECK(rules.count("access.principal_of_interest"));
}

namespace {

/// A leaked key (ml, normally from 192.0.2.60) used by an attacker after the
/// baseline, who mints a key for another user (svc) and uses it; optionally an
/// administrator then disables both keys.
std::vector<R> leaked_key_story(bool contained) {
  const std::string ml = "arn:aws:iam::111122223333:user/ml";
  const std::string svc = "arn:aws:iam::111122223333:user/svc";
  std::vector<R> rs;
  for (int i = 0; i < 10; ++i) {
    rs.push_back(R{.min = i * 60.0, .arn = ml, .key = "AKIALEAKEDKEY0001", .ip = "192.0.2.60", .ua = "Boto3/1.34"});
    rs.push_back(R{.min = i * 60.0 + 1, .arn = svc, .key = "AKIASVCOLDKEY0001", .ip = "192.0.2.50"});
  }
  rs.push_back(R{.min = 700, .name = "GetCallerIdentity", .source = "sts.amazonaws.com", .arn = ml,
                 .key = "AKIALEAKEDKEY0001", .ip = "198.51.100.23", .read_only = "true"});
  const char* names[] = {"ListUsers", "ListRoles", "ListBuckets", "DescribeRegions", "ListFoundationModels"};
  const char* sources[] = {"iam.amazonaws.com", "iam.amazonaws.com", "s3.amazonaws.com", "ec2.amazonaws.com",
                           "bedrock.amazonaws.com"};
  for (int i = 0; i < 5; ++i)
    rs.push_back(R{.min = 701.0 + i, .name = names[i], .source = sources[i], .arn = ml, .key = "AKIALEAKEDKEY0001",
                   .ip = "198.51.100.23", .read_only = "true"});
  rs.push_back(R{.min = 740, .name = "CreateAccessKey", .source = "iam.amazonaws.com", .arn = ml,
                 .key = "AKIALEAKEDKEY0001", .ip = "203.0.113.77",
                 .extra = R"(,"requestParameters":{"userName":"svc"},"responseElements":{"accessKey":{"accessKeyId":"AKIAPERSISTKEY001","userName":"svc","status":"Active"}})"});
  rs.push_back(R{.min = 800, .name = "ListBuckets", .source = "s3.amazonaws.com", .arn = svc,
                 .key = "AKIAPERSISTKEY001", .ip = "203.0.113.77", .read_only = "true"});
  if (contained) {
    const std::string admin = "arn:aws:iam::111122223333:user/admin";
    rs.push_back(R{.min = 900, .name = "UpdateAccessKey", .source = "iam.amazonaws.com", .arn = admin,
                   .key = "AKIAADMINKEY00001", .ip = "192.0.2.10",
                   .extra = R"(,"requestParameters":{"accessKeyId":"AKIALEAKEDKEY0001","status":"Inactive","userName":"ml"})"});
    rs.push_back(R{.min = 901, .name = "DeleteAccessKey", .source = "iam.amazonaws.com", .arn = admin,
                   .key = "AKIAADMINKEY00001", .ip = "192.0.2.10",
                   .extra = R"(,"requestParameters":{"accessKeyId":"AKIAPERSISTKEY001","userName":"svc"})"});
  }
  // Normal activity goes on to the end of the logs.
  for (int i = 0; i < 5; ++i)
    rs.push_back(R{.min = 1500.0 + i * 60, .arn = svc, .key = "AKIASVCOLDKEY0001", .ip = "192.0.2.50"});
  return rs;
}

}  // namespace

TEST_CASE("access: persistence key used from the attacker's IP is high; the answer names keys and next steps",
          "[analyzer][access][quality]") {
  const std::int64_t baseline = kBase + 600 * 60000;
  SECTION("contained in the logs") {
    auto r = run(jsonl(leaked_key_story(true)), nullptr, baseline);
    auto used = r.with("access.created_key_used");
    REQUIRE(used.size() == 1);
    CHECK(used[0]->severity == aiir::Severity::kHigh);
    auto poi = r.with("access.principal_of_interest");
    bool leaked = false;
    for (const auto* f : poi) {
      if (f->access_key_id != "AKIALEAKEDKEY0001") continue;
      leaked = true;
      CHECK(f->summary.find("first use from a new IP 198.51.100.23") != std::string::npos);
      CHECK(f->summary.find("key deactivated") != std::string::npos);
    }
    CHECK(leaked);
    const auto* q = r.answer("access.continued_unauthorized_access");
    REQUIRE(q != nullptr);
    CHECK(q->answer == aiir::Answer::kNo);
    CHECK(q->explanation.find("AKIALEAKEDKEY0001") != std::string::npos);
    CHECK(q->explanation.find("Persistence was used: AKIAPERSISTKEY001 created for svc") != std::string::npos);
    CHECK(q->explanation.find("deleted at") != std::string::npos);
    CHECK(q->explanation.find("Next step: keep access key(s) AKIALEAKEDKEY0001, AKIAPERSISTKEY001 disabled") !=
          std::string::npos);
    // The legitimate IP of the leaked key is not listed as the attacker's.
    CHECK(q->explanation.find("suspicious use from") != std::string::npos);
    const auto* still = r.answer("access.still_have_access");
    REQUIRE(still != nullptr);
    CHECK(still->rules.end() == std::find(still->rules.begin(), still->rules.end(), "access.access_key*"));
  }
  SECTION("not contained: the next step is to deactivate the keys") {
    auto r = run(jsonl(leaked_key_story(false)), nullptr, baseline);
    const auto* q = r.answer("access.continued_unauthorized_access");
    REQUIRE(q != nullptr);
    CHECK(q->explanation.find("Next step: deactivate access key(s) AKIALEAKEDKEY0001, AKIAPERSISTKEY001") !=
          std::string::npos);
  }
  SECTION("near miss: an administrator provisions a key that the user's own host then uses") {
    std::vector<R> rs;
    for (int i = 0; i < 10; ++i)
      rs.push_back(R{.min = i * 60.0, .arn = "arn:aws:iam::111122223333:user/svc", .key = "AKIASVCOLDKEY0001",
                     .ip = "192.0.2.50"});
    rs.push_back(R{.min = 700, .name = "CreateAccessKey", .source = "iam.amazonaws.com",
                   .arn = "arn:aws:iam::111122223333:user/admin", .key = "AKIAADMINKEY00001", .ip = "192.0.2.10",
                   .extra = R"(,"requestParameters":{"userName":"svc"},"responseElements":{"accessKey":{"accessKeyId":"AKIASVCNEWKEY0001","userName":"svc","status":"Active"}})"});
    rs.push_back(R{.min = 710, .arn = "arn:aws:iam::111122223333:user/svc", .key = "AKIASVCNEWKEY0001",
                   .ip = "192.0.2.50"});
    auto result = run(jsonl(rs), nullptr, baseline);  // keep the findings alive while `used` points into them
    auto used = result.with("access.created_key_used");
    REQUIRE(used.size() == 1);
    CHECK(used[0]->severity == aiir::Severity::kMedium);
  }
}

TEST_CASE("access: a role session's key used from another network by another client", "[analyzer][access]") {
  const std::string ci = "arn:aws:sts::111122223333:assumed-role/MLOpsDeployRole/gitlab-ml-20260320";
  const std::string ci_ua = "Boto3/1.34.0 md/Botocore#1.34.0 ua/2.0 os/linux#5.10 lang/python#3.11";
  std::vector<R> rs;
  for (int i = 0; i < 4; ++i)
    rs.push_back(R{.min = i * 5.0, .name = "ListCustomModels", .source = "bedrock.amazonaws.com", .arn = ci,
                   .type = "AssumedRole", .key = "ASIA3MLCI8SESSION2ZQ", .ip = "192.0.2.50", .ua = ci_ua,
                   .read_only = "true"});
  SECTION("five hours later, another network and another SDK: medium") {
    for (int i = 0; i < 3; ++i)
      rs.push_back(R{.min = 300.0 + i, .name = "CreateModelCustomizationJob", .source = "bedrock.amazonaws.com",
                     .arn = ci, .type = "AssumedRole", .key = "ASIA3MLCI8SESSION2ZQ", .ip = "203.0.113.200",
                     .ua = "aws-sdk-go-v2/1.30.0 os/linux lang/go#1.22"});
    for (bool reverse : {false, true}) {
      auto r = run(jsonl(rs), nullptr, 0, reverse);
      auto f = r.with("access.session_credentials_used_elsewhere");
      REQUIRE(f.size() == 1);
      CHECK(f[0]->severity == aiir::Severity::kMedium);
      CHECK(f[0]->access_key_id == "ASIA3MLCI8SESSION2ZQ");
      CHECK(f[0]->principal == ci);
      CHECK(f[0]->source_ips == std::vector<std::string>{"203.0.113.200"});
      CHECK(f[0]->count == 3);
      CHECK(f[0]->summary.find("192.0.2.50") != std::string::npos);  // where the session started
      std::vector<std::string> ids;  // the other client's first use, and the session's first
      for (const auto& ev : f[0]->evidence) ids.push_back(ev.event_id);
      CHECK(ids == std::vector<std::string>{"ev-0", "ev-4"});
      CHECK(r.with("access.compute_credentials_used_elsewhere").empty());
    }
  }
  SECTION("near miss: the same client from another network (a laptop changing networks)") {
    rs.push_back(R{.min = 300, .name = "ListCustomModels", .source = "bedrock.amazonaws.com", .arn = ci,
                   .type = "AssumedRole", .key = "ASIA3MLCI8SESSION2ZQ", .ip = "203.0.113.200", .ua = ci_ua,
                   .read_only = "true"});
    CHECK(run(jsonl(rs)).with("access.session_credentials_used_elsewhere").empty());
  }
  SECTION("near miss: another client from the same network (two tools on one host)") {
    rs.push_back(R{.min = 300, .name = "ListCustomModels", .source = "bedrock.amazonaws.com", .arn = ci,
                   .type = "AssumedRole", .key = "ASIA3MLCI8SESSION2ZQ", .ip = "192.0.2.51",
                   .ua = "aws-cli/2.15.0 Python/3.11", .read_only = "true"});
    CHECK(run(jsonl(rs)).with("access.session_credentials_used_elsewhere").empty());
  }
  SECTION("near miss: a console session, also used by CloudShell from AWS's network") {
    const std::string user = "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/sam";
    std::vector<R> console;
    console.push_back(R{.min = 0, .name = "DescribeInstances", .source = "ec2.amazonaws.com", .arn = user,
                        .type = "AssumedRole", .key = "ASIACONSOLESESS0001", .ip = "198.51.100.30",
                        .ua = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)",
                        .read_only = "true"});
    console.push_back(R{.min = 5, .name = "ListBuckets", .source = "s3.amazonaws.com", .arn = user,
                        .type = "AssumedRole", .key = "ASIACONSOLESESS0001", .ip = "3.91.10.20",
                        .ua = "aws-cli/2.15.0 Python/3.11 exec-env/CloudShell", .read_only = "true"});
    CHECK(run(jsonl(console)).with("access.session_credentials_used_elsewhere").empty());
  }
}

TEST_CASE("access: a role's concurrent session keys are followed apart", "[analyzer][access]") {
  // A role's tasks call with a dozen keys at once, interleaved (more than the
  // principal's cache of recent keys holds): each key keeps its own uses.
  const std::string role = "arn:aws:sts::111122223333:assumed-role/order-task-role/order-task";
  const std::string ecs_ua = "aws-sdk-java/2.25.11 Linux/5.10 exec-env/AWS_ECS_FARGATE io/sync";
  auto key = [](int k) { return fmt::format("ASIAORDERTASKKEY{:04}", k); };
  std::vector<R> rs;
  for (int i = 0; i < 60; ++i)
    rs.push_back(R{.min = i * 1.0, .name = "GetItem", .source = "dynamodb.amazonaws.com", .arn = role,
                   .type = "AssumedRole", .key = key(i % 12), .ip = "3.5.140." + std::to_string(i % 3), .ua = ecs_ua});
  rs.push_back(R{.min = 61, .name = "GetCallerIdentity", .source = "sts.amazonaws.com", .arn = role,
                 .type = "AssumedRole", .key = key(5), .ip = "198.51.100.23", .ua = "aws-cli/2.15.0 Python/3.11",
                 .read_only = "true"});
  rs.push_back(R{.min = 62, .name = "ListBuckets", .source = "s3.amazonaws.com", .arn = role, .type = "AssumedRole",
                 .key = key(5), .ip = "198.51.100.23", .ua = "aws-cli/2.15.0 Python/3.11", .read_only = "true"});
  for (bool reverse : {false, true}) {
    auto r = run(jsonl(rs), nullptr, 0, reverse);
    auto f = r.with("access.compute_credentials_used_elsewhere");
    REQUIRE(f.size() == 1);
    CHECK(f[0]->access_key_id == key(5));
    CHECK(f[0]->source_ips == std::vector<std::string>{"198.51.100.23"});
    CHECK(f[0]->count == 2);
  }
}

TEST_CASE("access: compute credentials (Lambda, EC2 instance role) used outside their runtime or host",
          "[analyzer][access]") {
  const std::string fn = "arn:aws:sts::111122223333:assumed-role/support-bot-role/support-bot";
  const std::string lambda_ua = "Boto3/1.34.0 md/Botocore#1.34.0 ua/2.0 os/linux#5.10 lang/python#3.12 "
                                "exec-env/AWS_Lambda_python3.12 cfg/retry-mode#legacy";
  std::vector<R> rs;
  for (int i = 0; i < 6; ++i)
    rs.push_back(R{.min = i * 5.0, .name = "SendEmail", .source = "ses.amazonaws.com", .arn = fn, .type = "AssumedRole",
                   .key = "ASIALAMBDAKEY0001", .ip = "3.5.140.2", .ua = lambda_ua});
  SECTION("the runtime's key, also used by another client from another IP: high") {
    rs.push_back(R{.min = 40, .name = "GetCallerIdentity", .source = "sts.amazonaws.com", .arn = fn,
                   .type = "AssumedRole", .key = "ASIALAMBDAKEY0001", .ip = "198.51.100.23",
                   .ua = "aws-cli/2.15.0 Python/3.11", .read_only = "true"});
    rs.push_back(R{.min = 41, .name = "ListBuckets", .source = "s3.amazonaws.com", .arn = fn, .type = "AssumedRole",
                   .key = "ASIALAMBDAKEY0001", .ip = "198.51.100.23", .ua = "aws-cli/2.15.0 Python/3.11",
                   .read_only = "true"});
    for (bool reverse : {false, true}) {
      auto r = run(jsonl(rs), nullptr, 0, reverse);
      auto f = r.with("access.compute_credentials_used_elsewhere");
      REQUIRE(f.size() == 1);
      CHECK(f[0]->severity == aiir::Severity::kHigh);
      CHECK(f[0]->access_key_id == "ASIALAMBDAKEY0001");
      CHECK(f[0]->principal == fn);
      CHECK(f[0]->source_ips == std::vector<std::string>{"198.51.100.23"});
      CHECK(f[0]->user_agents == std::vector<std::string>{"aws-cli/2.15.0 Python/3.11"});
      CHECK(f[0]->count == 2);
      CHECK(f[0]->summary.find("3.5.140.2") != std::string::npos);  // where the runtime used it
      std::vector<std::string> ids;  // the other client's first use, and the runtime's first
      for (const auto& ev : f[0]->evidence) ids.push_back(ev.event_id);
      CHECK(ids == std::vector<std::string>{"ev-0", "ev-6"});
      CHECK(std::find(f[0]->tags.attack.begin(), f[0]->tags.attack.end(), "T1552.005") != f[0]->tags.attack.end());
    }
  }
  SECTION("near miss: another client of the same key from the runtime's own IP") {
    rs.push_back(R{.min = 40, .name = "ListBuckets", .source = "s3.amazonaws.com", .arn = fn, .type = "AssumedRole",
                   .key = "ASIALAMBDAKEY0001", .ip = "3.5.140.2", .ua = "custom-signer/1.0", .read_only = "true"});
    CHECK(run(jsonl(rs)).with("access.compute_credentials_used_elsewhere").empty());
  }
  SECTION("near miss: the runtime from several IPs, and another session's key elsewhere") {
    rs.push_back(R{.min = 40, .name = "SendEmail", .source = "ses.amazonaws.com", .arn = fn, .type = "AssumedRole",
                   .key = "ASIALAMBDAKEY0001", .ip = "3.5.140.9", .ua = lambda_ua});
    rs.push_back(R{.min = 41, .name = "ListBuckets", .source = "s3.amazonaws.com", .arn = fn, .type = "AssumedRole",
                   .key = "ASIAOTHERKEY00001", .ip = "198.51.100.23", .ua = "aws-cli/2.15.0", .read_only = "true"});
    CHECK(run(jsonl(rs)).with("access.compute_credentials_used_elsewhere").empty());
  }
  SECTION("an EC2 instance-role key from two networks: high; one network (or a private address too): quiet") {
    const std::string inst = "arn:aws:sts::111122223333:assumed-role/web-role/i-0123456789abcdef0";
    std::vector<R> ec2;
    for (int i = 0; i < 4; ++i)
      ec2.push_back(R{.min = i * 5.0, .name = "UpdateInstanceInformation", .source = "ssm.amazonaws.com", .arn = inst,
                      .type = "AssumedRole", .key = "ASIAINSTANCEKEY01", .ip = "54.210.1.10",
                      .ua = "aws-sdk-go/1.44 (go1.20; linux; amd64) amazon-ssm-agent/3.2"});
    ec2.push_back(R{.min = 30, .name = "ListRoles", .source = "iam.amazonaws.com", .arn = inst, .type = "AssumedRole",
                    .key = "ASIAINSTANCEKEY01", .ip = "10.0.3.7", .ua = "aws-cli/2.15.0", .read_only = "true"});
    CHECK(run(jsonl(ec2)).with("access.compute_credentials_used_elsewhere").empty());
    ec2.push_back(R{.min = 31, .name = "GetCallerIdentity", .source = "sts.amazonaws.com", .arn = inst,
                    .type = "AssumedRole", .key = "ASIAINSTANCEKEY01", .ip = "198.51.100.23",
                    .ua = "aws-sdk-go-v2/1.21", .read_only = "true"});
    auto r = run(jsonl(ec2));
    auto f = r.with("access.compute_credentials_used_elsewhere");
    REQUIRE(f.size() == 1);
    CHECK(f[0]->severity == aiir::Severity::kHigh);
    CHECK(f[0]->access_key_id == "ASIAINSTANCEKEY01");
    CHECK(f[0]->source_ips == std::vector<std::string>{"198.51.100.23", "54.210.1.10"});
    // The stolen key's use ends; the instance goes on with its next key to the
    // end of the logs: the stolen key is not said to be still active.
    std::vector<R> later = ec2;
    for (int i = 0; i < 40; ++i)
      later.push_back(R{.min = 60 + i * 30.0, .name = "UpdateInstanceInformation", .source = "ssm.amazonaws.com",
                        .arn = inst, .type = "AssumedRole", .key = "ASIAINSTANCEKEY02", .ip = "54.210.1.10",
                        .ua = "aws-sdk-go/1.44 (go1.20; linux; amd64) amazon-ssm-agent/3.2"});
    auto rl = run(jsonl(later));
    CHECK(rl.with("access.activity_continues").empty());
    auto poi = rl.with("access.principal_of_interest");
    REQUIRE(poi.size() == 1);
    CHECK(poi[0]->access_key_id == "ASIAINSTANCEKEY01");
    CHECK(poi[0]->summary.find("activity stopped before the end of the logs") != std::string::npos);
    // A role session that is not an instance's, from two networks: not this rule.
    for (auto& x : ec2) x.arn = "arn:aws:sts::111122223333:assumed-role/web-role/alice";
    CHECK(run(jsonl(ec2)).with("access.compute_credentials_used_elsewhere").empty());
  }
}

namespace {

/// A call made in account 111122223333 by a principal of `caller_account`.
std::string foreign(double min, const std::string& caller_account, const std::string& name, int n,
                    const std::string& type = "AWSAccount", const std::string& extra = "") {
  return fmt::format(
      R"({{"eventVersion":"1.09","eventTime":"{}","eventSource":"sts.amazonaws.com","eventName":"{}",)"
      R"("awsRegion":"us-east-1","sourceIPAddress":"198.51.100.99","userAgent":"aws-cli/2.15.0",)"
      R"("userIdentity":{{"type":"{}","principalId":"AIDAEXTERNAL0001","accountId":"{}"}},)"
      R"("requestParameters":{{"roleArn":"arn:aws:iam::111122223333:role/backdoor","roleSessionName":"x"}},)"
      R"("recipientAccountId":"111122223333","eventType":"AwsApiCall","eventID":"x-{}"{}}})",
      aiir::format_time(kBase + static_cast<std::int64_t>(min * 60000)), name, type, caller_account, n, extra);
}

}  // namespace

TEST_CASE("access: another account acting in ours, first after the baseline or outside the profile",
          "[analyzer][access]") {
  std::vector<R> rs;
  for (int i = 0; i < 10; ++i) rs.push_back(R{.min = i * 60.0});
  const std::string base = jsonl(rs);
  const std::int64_t baseline = kBase + 600 * 60000;
  const std::string rule = "access.external_account_activity";
  SECTION("a role assumed from an account whose logs are not here, after the baseline: high") {
    const std::string text = base + foreign(700, "999988887777", "AssumeRole", 1) + "\n" +
                             foreign(701, "999988887777", "AssumeRole", 2) + "\n";
    for (bool reverse : {false, true}) {
      auto r = run(text, nullptr, baseline, reverse);
      auto f = r.with(rule);
      REQUIRE(f.size() == 1);
      CHECK(f[0]->severity == aiir::Severity::kHigh);
      CHECK(f[0]->account == "111122223333");
      CHECK(f[0]->source_ips == std::vector<std::string>{"198.51.100.99"});
      CHECK(f[0]->count == 2);
      CHECK(f[0]->summary.find("999988887777") != std::string::npos);
      CHECK(f[0]->summary.find("arn:aws:iam::111122223333:role/backdoor") != std::string::npos);
      REQUIRE(!f[0]->evidence.empty());
      CHECK(f[0]->evidence[0].event_id == "x-1");
    }
  }
  SECTION("near misses: active in the baseline too; its own logs are here; a service; anonymous") {
    CHECK(run(base + foreign(30, "999988887777", "AssumeRole", 1) + "\n" + foreign(700, "999988887777", "AssumeRole", 2) +
                  "\n",
              nullptr, baseline)
              .with(rule)
              .empty());
    std::vector<R> other = {R{.min = 5, .arn = "arn:aws:iam::999988887777:user/ops"}};
    std::string own = jsonl(other);
    const std::string ours = "\"recipientAccountId\":\"111122223333\"";
    own.replace(own.find(ours), ours.size(), "\"recipientAccountId\":\"999988887777\"");
    CHECK(run(base + own + foreign(700, "999988887777", "AssumeRole", 1) + "\n", nullptr, baseline).with(rule).empty());
    CHECK(run(base + foreign(700, "999988887777", "AssumeRole", 1, "AWSService",
                             R"(,"invokedBy":"ec2.amazonaws.com")") + "\n",
              nullptr, baseline)
              .with(rule)
              .empty());
    CHECK(run(base + foreign(700, "anonymous", "GetObject", 1) + "\n", nullptr, baseline).with(rule).empty());
  }
  SECTION("with a profile: any account outside its list, even in the baseline") {
    aiir::Profile p;
    p.loaded = true;
    p.accounts = {"111122223333"};
    const std::string text = base + foreign(30, "999988887777", "AssumeRole", 1) + "\n";
    auto r = run(text, &p);
    auto f = r.with(rule);
    REQUIRE(f.size() == 1);
    CHECK(f[0]->summary.find("profile") != std::string::npos);
    p.accounts.push_back("999988887777");
    CHECK(run(text, &p).with(rule).empty());
  }
}

TEST_CASE("access: calls from a penetration-testing system or an attack-simulation tool", "[analyzer][access]") {
  const std::string rule = "access.offensive_platform_user_agent";
  const std::string kali =
      "aws-cli/2.13.25 Python/3.11.5 Linux/6.5.0-kali3-amd64 exe/x86_64.kali.2023 prompt/off command/sts.get-caller-identity";
  const std::string parrot = "Boto3/1.34.50 md/Botocore#1.34.50 ua/2.0 os/linux#6.6.9-13parrot1-amd64 md/arch#x86_64";
  const std::string stratus = "stratus-red-team_4f3c2a1e-8d7b-4c2a-9e1f-123456789abc";
  std::vector<R> rs;
  for (int i = 0; i < 5; ++i) rs.push_back(R{.min = i * 10.0});
  rs.push_back(R{.min = 60, .name = "GetCallerIdentity", .source = "sts.amazonaws.com", .ip = "198.51.100.23", .ua = kali});
  rs.push_back(R{.min = 61, .ip = "198.51.100.23", .ua = kali});
  rs.push_back(R{.min = 62, .arn = "arn:aws:iam::111122223333:user/ops", .key = "AKIAOPS000000001", .ua = parrot});
  rs.push_back(R{.min = 63, .name = "PutFoundationModelEntitlement", .source = "bedrock.amazonaws.com",
                 .arn = "arn:aws:sts::111122223333:assumed-role/stratus-role/stratus", .type = "AssumedRole",
                 .key = "ASIASTRATUS0000001", .ua = stratus});
  // Near misses: an Ubuntu CLI, a product name that contains "kali".
  rs.push_back(R{.min = 64, .arn = "arn:aws:iam::111122223333:user/dev2", .key = "AKIADEV200000001",
                 .ua = "aws-cli/2.13.25 Python/3.11.5 Linux/6.5.0-1016-aws exe/x86_64.ubuntu.22"});
  rs.push_back(R{.min = 65, .arn = "arn:aws:iam::111122223333:user/dev3", .key = "AKIADEV300000001",
                 .ua = "kalimba-player/3.1 parrot-sdk/2.0"});
  for (bool reverse : {false, true}) {
    auto r = run(jsonl(rs), nullptr, 0, reverse);
    auto f = r.with(rule);
    REQUIRE(f.size() == 3);
    std::sort(f.begin(), f.end(), [](const auto* a, const auto* b) { return a->principal < b->principal; });
    CHECK(f[0]->principal == "arn:aws:iam::111122223333:user/dev");
    CHECK(f[0]->count == 2);
    CHECK(f[0]->severity == aiir::Severity::kMedium);
    CHECK(f[0]->user_agents == std::vector<std::string>{kali});
    CHECK(f[0]->summary.find("Kali") != std::string::npos);
    CHECK(f[0]->evidence.size() == 1);
    CHECK(f[0]->evidence[0].event_id == "ev-5");
    CHECK(f[1]->principal == "arn:aws:iam::111122223333:user/ops");
    CHECK(f[1]->summary.find("Parrot") != std::string::npos);
    CHECK(f[2]->principal == "arn:aws:sts::111122223333:assumed-role/stratus-role/stratus");
    CHECK(f[2]->summary.find("Stratus Red Team") != std::string::npos);
  }
}

TEST_CASE("access: caps reached are reported as limits, not silently", "[analyzer][access]") {
  aiir::AnalyzerConfig cfg;
  static const aiir::Profile none{};
  cfg.profile = &none;
  auto a = aiir::make_access(cfg);
  std::vector<std::string> lines;
  a->limits(lines);
  CHECK(lines.empty());  // nothing reached yet
  // 50,005 temporary keys, one call each: the last five are past the 50,000 followed.
  std::string text;
  text.reserve(50'005 * 420);
  for (int i = 0; i < 50'005; ++i) {
    R r{.min = i * 0.001, .arn = "arn:aws:sts::111122223333:assumed-role/app/s", .type = "AssumedRole",
        .key = fmt::format("ASIA{:016d}", i)};
    text += line(r, i) + "\n";
  }
  auto f = aiir::testing::events_from_json(text);
  REQUIRE(f.events.size() == 50'005);
  aiir::FindingList sink;
  for (const auto& e : f.events) a->on_event(e, sink);
  a->finish(sink);
  a->limits(lines);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find("5 call(s) with temporary keys") == 0);
}

namespace {

/// `extra` for an AssumeRole of `role` that returned `key` for the session `session`.
std::string assumed(const std::string& role, const std::string& session, const std::string& key) {
  return fmt::format(
      R"(,"requestParameters":{{"roleArn":"arn:aws:iam::111122223333:role/{}","roleSessionName":"{}"}},)"
      R"("responseElements":{{"credentials":{{"accessKeyId":"{}"}},)"
      R"("assumedRoleUser":{{"arn":"arn:aws:sts::111122223333:assumed-role/{}/{}"}}}})",
      role, session, key, role, session);
}

}  // namespace

TEST_CASE("access: sessions opened with flagged credentials are flagged, along the chain", "[analyzer][access]") {
  const std::string rule = "access.session_from_flagged_credentials";
  const std::string sandbox_x = "arn:aws:sts::111122223333:assumed-role/sandbox/x";
  const std::string ops_y = "arn:aws:sts::111122223333:assumed-role/ops/y";
  std::vector<R> rs;
  for (int i = 0; i < 10; ++i) rs.push_back(R{.min = i * 60.0});
  // The owner's own session, from the key's usual address, in the baseline.
  rs.push_back(R{.min = 100, .name = "AssumeRole", .source = "sts.amazonaws.com",
                 .extra = assumed("sandbox", "owner", "ASIAOWNER0000001")});
  rs.push_back(R{.min = 101, .arn = "arn:aws:sts::111122223333:assumed-role/sandbox/owner", .type = "AssumedRole",
                 .key = "ASIAOWNER0000001"});
  // The key from a new address: a session, which assumes another role (role chaining).
  rs.push_back(R{.min = 700, .ip = "192.0.2.200"});
  rs.push_back(R{.min = 701, .name = "AssumeRole", .source = "sts.amazonaws.com", .ip = "192.0.2.200",
                 .extra = assumed("sandbox", "x", "ASIAATTACK000001")});
  rs.push_back(R{.min = 702, .name = "AssumeRole", .source = "sts.amazonaws.com", .arn = sandbox_x,
                 .type = "AssumedRole", .key = "ASIAATTACK000001", .ip = "192.0.2.200",
                 .extra = assumed("ops", "y", "ASIACHAIN0000001")});
  for (int i = 0; i < 5; ++i)
    rs.push_back(R{.min = 703.0 + i, .name = "ListFoundationModels", .source = "bedrock.amazonaws.com", .arn = ops_y,
                   .type = "AssumedRole", .key = "ASIACHAIN0000001", .ip = "198.51.100.5"});
  const std::int64_t baseline = kBase + 600 * 60000;
  for (bool reverse : {false, true}) {
    auto r = run(jsonl(rs), nullptr, baseline, reverse);
    auto f = r.with(rule);
    REQUIRE(f.size() == 2);
    std::sort(f.begin(), f.end(), [](const auto* a, const auto* b) { return a->first_seen_ms < b->first_seen_ms; });
    CHECK(f[0]->principal == sandbox_x);
    CHECK(f[0]->access_key_id == "ASIAATTACK000001");
    CHECK(f[0]->severity == aiir::Severity::kMedium);
    CHECK(f[0]->source_ips == std::vector<std::string>{"192.0.2.200"});
    CHECK(f[0]->summary.find("opened by arn:aws:iam::111122223333:user/dev (key AKIAEXAMPLEDEV1)") != std::string::npos);
    CHECK(f[1]->principal == ops_y);
    CHECK(f[1]->access_key_id == "ASIACHAIN0000001");
    CHECK(f[1]->summary.find("(role chaining)") != std::string::npos);
    // The chain leads from the key through the first session to the second.
    const std::string chain = "arn:aws:iam::111122223333:user/dev (key AKIAEXAMPLEDEV1) -> " + sandbox_x +
                              " (key ASIAATTACK000001) -> " + ops_y + " (key ASIACHAIN0000001)";
    CHECK(std::find(f[1]->details.begin(), f[1]->details.end(), std::pair<std::string, std::string>{"chain", chain}) !=
          f[1]->details.end());
    // The chained session goes on to the end: its roll-up says where it came from.
    auto poi = r.with("access.principal_of_interest");
    auto y = std::find_if(poi.begin(), poi.end(), [&](const auto* p) { return p->principal == ops_y; });
    REQUIRE(y != poi.end());
    CHECK((*y)->summary.find("chain: " + chain) != std::string::npos);
    bool continues = false;
    for (const auto* c : r.with("access.activity_continues")) continues = continues || c->principal == ops_y;
    CHECK(continues);
    // Near miss: the owner's own session from before the key's first use from the new address.
    for (const auto& x : r.findings) {
      CHECK(x.principal != "arn:aws:sts::111122223333:assumed-role/sandbox/owner");
      CHECK(x.summary.find("ASIAOWNER0000001") == std::string::npos);
    }
    auto s = r.with("access.session_credentials_by_flagged_principal");
    REQUIRE(s.size() == 2);  // the key's AssumeRole, and the first session's
    for (const auto* x : s) CHECK(x->source_ips == std::vector<std::string>{"192.0.2.200"});
  }
  SECTION("near miss: a credential flagged only at low opens no flagged session") {
    std::vector<R> low = rs;
    low.resize(12);
    for (auto& x : low) x.ip = "203.0.113.7";
    low.push_back(R{.min = 700, .ua = "Boto3/1.34"});  // a new user agent only (low)
    low.push_back(R{.min = 701, .name = "AssumeRole", .source = "sts.amazonaws.com", .ua = "Boto3/1.34",
                    .extra = assumed("sandbox", "x", "ASIAATTACK000001")});
    auto r = run(jsonl(low), nullptr, baseline);
    CHECK(!r.with("access.long_term_key_new_user_agent").empty());
    CHECK(r.with(rule).empty());
  }
}

TEST_CASE("access: another account's principal is named with its account; the session it opened is followed",
          "[analyzer][access]") {
  std::vector<R> rs;
  for (int i = 0; i < 10; ++i) rs.push_back(R{.min = i * 60.0});
  const std::string extra =
      R"(,"responseElements":{"credentials":{"accessKeyId":"ASIAFOREIGN00001"},)"
      R"("assumedRoleUser":{"arn":"arn:aws:sts::111122223333:assumed-role/backdoor/x"}})";
  std::string text = jsonl(rs) + foreign(700, "999988887777", "AssumeRole", 1, "AWSAccount", extra) + "\n";
  std::vector<R> later;
  for (int i = 0; i < 3; ++i)
    later.push_back(R{.min = 701.0 + i, .name = "ListFoundationModels", .source = "bedrock.amazonaws.com",
                      .arn = "arn:aws:sts::111122223333:assumed-role/backdoor/x", .type = "AssumedRole",
                      .key = "ASIAFOREIGN00001", .ip = "198.51.100.99"});
  std::string tail;
  for (std::size_t i = 0; i < later.size(); ++i) tail += line(later[i], 500 + static_cast<int>(i)) + "\n";
  auto r = run(text + tail, nullptr, kBase + 600 * 60000);
  auto f = r.with("access.session_from_flagged_credentials");
  REQUIRE(f.size() == 1);
  CHECK(f[0]->principal == "arn:aws:sts::111122223333:assumed-role/backdoor/x");
  CHECK(f[0]->severity == aiir::Severity::kHigh);  // the external activity is high
  CHECK(f[0]->summary.find("AWSAccount:AIDAEXTERNAL0001 of account 999988887777") != std::string::npos);
  bool named = false;
  for (const auto* p : r.with("access.principal_of_interest"))
    named = named || (p->principal == "AWSAccount:AIDAEXTERNAL0001" &&
                      p->summary.find("of account 999988887777") != std::string::npos);
  CHECK(named);
  auto* a = r.answer("access.continued_unauthorized_access");
  REQUIRE(a != nullptr);
  CHECK(a->answer == aiir::Answer::kYes);
}

TEST_CASE("access: a role's trust opened to an account whose logs are not here", "[analyzer][access]") {
  const std::string rule = "access.role_trusts_external_account";
  auto trust = [](double min, const std::string& name, const std::string& field, const std::string& principals, int n) {
    R r{.min = min, .name = name, .source = "iam.amazonaws.com", .read_only = "false"};
    r.extra = fmt::format(R"(,"requestParameters":{{"roleName":"web-app-role","{}":"{{\"Version\":\"2012-10-17\",)"
                          R"(\"Statement\":[{{\"Effect\":\"Allow\",\"Principal\":{},\"Action\":\"sts:AssumeRole\"}}]}}"}})",
                          field, principals);
    std::string l = line(r, n);
    return l;
  };
  const std::string base = jsonl({R{.min = 0}, R{.min = 10}});
  SECTION("another account, by ARN or bare id; created or updated: high") {
    const std::string text =
        base + trust(20, "UpdateAssumeRolePolicy", "policyDocument", R"({\"AWS\":\"arn:aws:iam::999988887777:root\"})", 7) +
        "\n" + trust(30, "CreateRole", "assumeRolePolicyDocument", R"({\"AWS\":[\"888877776666\"]})", 8) + "\n";
    for (bool reverse : {false, true}) {
      auto r = run(text, nullptr, 0, reverse);
      auto f = r.with(rule);
      REQUIRE(f.size() == 2);
      std::sort(f.begin(), f.end(), [](const auto* a, const auto* b) { return a->first_seen_ms < b->first_seen_ms; });
      CHECK(f[0]->severity == aiir::Severity::kHigh);
      CHECK(f[0]->summary.find("999988887777") != std::string::npos);
      CHECK(f[0]->summary.find("web-app-role") != std::string::npos);
      CHECK(f[0]->evidence[0].event_id == "ev-7");
      CHECK(f[1]->summary.find("888877776666") != std::string::npos);
    }
  }
  SECTION("near misses: its own account, a service, a logged account, a profile account") {
    std::string own = trust(20, "UpdateAssumeRolePolicy", "policyDocument", R"({\"AWS\":\"arn:aws:iam::111122223333:root\"})", 7);
    std::string svc = trust(21, "UpdateAssumeRolePolicy", "policyDocument", R"({\"Service\":\"lambda.amazonaws.com\"})", 8);
    CHECK(run(base + own + "\n" + svc + "\n").with(rule).empty());
    std::vector<R> other = {R{.min = 5}};
    std::string logged = jsonl(other);
    const std::string ours = "\"recipientAccountId\":\"111122223333\"";
    logged.replace(logged.find(ours), ours.size(), "\"recipientAccountId\":\"999988887777\"");
    std::string to_logged =
        trust(20, "UpdateAssumeRolePolicy", "policyDocument", R"({\"AWS\":\"arn:aws:iam::999988887777:root\"})", 9);
    CHECK(run(base + logged + to_logged + "\n").with(rule).empty());
    aiir::Profile p;
    p.loaded = true;
    p.accounts = {"111122223333", "999988887777"};
    CHECK(run(base + to_logged + "\n", &p).with(rule).empty());
  }
}

TEST_CASE("access: an infrastructure-as-code refresh reads named resources", "[analyzer][access]") {
  // A CI role session (temporary key, no console): twelve reads over four services.
  auto ci = [](double min, std::string name, std::string source, std::string req) {
    return R{.min = min, .name = std::move(name), .source = std::move(source),
             .arn = "arn:aws:sts::111122223333:assumed-role/deploy/GitHubActions", .type = "AssumedRole",
             .key = "ASIAEXAMPLECI0001", .ua = "terraform-provider-aws/5.53.0", .extra = ",\"requestParameters\":" + req,
             .read_only = "true"};
  };
  SECTION("reads by name (roles, clusters, buckets, keys, group ids in EC2's item sets): low, saying so") {
    std::vector<R> rs{
        ci(0.1, "GetRole", "iam.amazonaws.com", R"({"roleName":"app"})"),
        ci(0.2, "ListRolePolicies", "iam.amazonaws.com", R"({"roleName":"app"})"),
        ci(0.3, "GetRolePolicy", "iam.amazonaws.com", R"({"roleName":"app","policyName":"p"})"),
        ci(0.4, "DescribeServices", "ecs.amazonaws.com", R"({"cluster":"prod","services":["app"]})"),
        ci(0.5, "DescribeTaskDefinition", "ecs.amazonaws.com", R"({"taskDefinition":"app:41"})"),
        ci(0.6, "DescribeSecurityGroups", "ec2.amazonaws.com",
           R"({"securityGroupIdSet":{"items":[{"groupId":"sg-0123"}]}})"),
        ci(0.7, "DescribeVpcs", "ec2.amazonaws.com", R"({"vpcSet":{"items":[{"vpcId":"vpc-0123"}]}})"),
        ci(0.8, "GetBucketPolicy", "s3.amazonaws.com", R"({"bucketName":"b","Host":"b.s3.amazonaws.com"})"),
        ci(0.9, "GetBucketVersioning", "s3.amazonaws.com", R"({"bucketName":"b"})"),
        ci(1.0, "DescribeKey", "kms.amazonaws.com", R"({"keyId":"arn:aws:kms:us-east-1:111122223333:key/k"})"),
        ci(1.1, "GetKeyRotationStatus", "kms.amazonaws.com", R"({"keyId":"k"})"),
        ci(1.2, "DescribeSubnets", "ec2.amazonaws.com", R"({"filterSet":{}})")};  // one names nothing
    auto r = run(jsonl(rs));
    auto f = r.with("access.enumeration_burst");
    REQUIRE(f.size() == 1);
    CHECK(f[0]->severity == aiir::Severity::kLow);
    CHECK(f[0]->summary.find("named resources") != std::string::npos);
  }
  SECTION("discovery (list what exists, then read it) is still an enumeration: medium") {
    std::vector<R> rs{
        ci(0.1, "ListKnowledgeBases", "bedrock.amazonaws.com", "{}"),
        ci(0.2, "GetKnowledgeBase", "bedrock.amazonaws.com", R"({"knowledgeBaseId":"KB1"})"),
        ci(0.3, "ListDataSources", "bedrock.amazonaws.com", R"({"knowledgeBaseId":"KB1"})"),
        ci(0.4, "GetDataSource", "bedrock.amazonaws.com", R"({"knowledgeBaseId":"KB1","dataSourceId":"DS1"})"),
        ci(0.5, "ListAgents", "bedrock.amazonaws.com", "{}"),
        ci(0.6, "GetAgent", "bedrock.amazonaws.com", R"({"agentId":"A1"})"),
        ci(0.7, "ListAgentAliases", "bedrock.amazonaws.com", R"({"agentId":"A1"})"),
        ci(0.8, "ListAgentActionGroups", "bedrock.amazonaws.com", R"({"agentId":"A1","agentVersion":"DRAFT"})"),
        ci(0.9, "GetAgentActionGroup", "bedrock.amazonaws.com", R"({"agentId":"A1","actionGroupId":"G1"})"),
        ci(1.0, "ListRoles", "iam.amazonaws.com", R"({"maxItems":100})"),
        ci(1.1, "ListObjects", "s3.amazonaws.com", R"({"bucketName":"kb"})"),
        ci(1.2, "DescribeInstances", "ec2.amazonaws.com", R"({"instancesSet":{},"filterSet":{}})")};
    auto r = run(jsonl(rs));
    auto f = r.with("access.enumeration_burst");
    REQUIRE(f.size() == 1);
    CHECK(f[0]->severity == aiir::Severity::kMedium);
    CHECK(f[0]->summary.find("named resources") == std::string::npos);
  }
}

TEST_CASE("access: a bucket with more distinct reads than it keeps", "[analyzer][access]") {
  // 80 distinct reads in five minutes, each named and then again: the 64 smallest
  // names are kept, and the second calls of ten of them name nothing (sweeps).
  // Action ids follow first calls, so ids 64 and up (no bit in the bucket) are
  // among both the kept reads' evictions and the sweeps.
  auto call = [](int i, double min, bool named) {
    return R{.min = min, .name = fmt::format("DescribeThing{:02}", i),
             .extra = named ? R"(,"requestParameters":{"instanceId":"i-1"})" : R"(,"requestParameters":{})",
             .read_only = "true"};
  };
  std::vector<R> rs;
  for (int i = 0; i < 80; ++i) rs.push_back(call(i, i * 0.02, true));
  for (int i = 79; i >= 0; --i) rs.push_back(call(i, 2 + (79 - i) * 0.02, i < 60 || i >= 70));
  for (bool reverse : {false, true}) {
    auto r = run(jsonl(rs), nullptr, 0, reverse);
    auto f = r.with("access.enumeration_burst");
    REQUIRE(f.size() == 1);
    INFO(f[0]->summary);
    CHECK(f[0]->summary.find("called 64 distinct") != std::string::npos);
    CHECK(f[0]->summary.find("only 10 of 64 actions listed or named nothing") != std::string::npos);
  }
}

TEST_CASE("access: a user rotating its own access key", "[analyzer][access]") {
  const std::string user = "arn:aws:iam::111122223333:user/svc";
  const std::string create_new =
      R"(,"requestParameters":{"userName":"svc"},"responseElements":{"accessKey":{"accessKeyId":"AKIANEWKEY000002","userName":"svc","status":"Active"}})";
  std::vector<R> rs;
  for (int h = 0; h < 10; ++h)  // the old key's usual host, hours before
    rs.push_back(R{.min = h * 60.0, .name = "PutObject", .source = "s3.amazonaws.com", .arn = user,
                   .key = "AKIAOLDKEY0000001", .ip = "192.0.2.60"});
  rs.push_back(R{.min = 600, .name = "CreateAccessKey", .source = "iam.amazonaws.com", .arn = user,
                 .key = "AKIAOLDKEY0000001", .ip = "192.0.2.60", .extra = create_new});
  rs.push_back(R{.min = 601, .name = "PutObject", .source = "s3.amazonaws.com", .arn = user,
                 .key = "AKIANEWKEY000002", .ip = "192.0.2.60"});
  const R deactivate{.min = 602, .name = "UpdateAccessKey", .source = "iam.amazonaws.com", .arn = user,
                     .key = "AKIANEWKEY000002", .ip = "192.0.2.60",
                     .extra = R"(,"requestParameters":{"userName":"svc","accessKeyId":"AKIAOLDKEY0000001","status":"Inactive"})"};
  const std::int64_t baseline = kBase + 300 * 60000;
  SECTION("the old key retired, the new one used only where the old one was: low, a rotation") {
    rs.push_back(deactivate);
    auto r = run(jsonl(rs), nullptr, baseline);
    auto f = r.with("access.created_key_used");
    REQUIRE(f.size() == 1);
    CHECK(f[0]->severity == aiir::Severity::kLow);
    bool rotation = false;
    for (const auto& [k, v] : f[0]->details) rotation = rotation || (k == "rotation" && v.find("AKIAOLDKEY0000001") != std::string::npos);
    CHECK(rotation);
    CHECK(r.with("access.principal_of_interest").empty());
  }
  SECTION("the old key kept: a second key for the same user, medium") {
    auto r = run(jsonl(rs), nullptr, baseline);
    auto f = r.with("access.created_key_used");
    REQUIRE(f.size() == 1);
    CHECK(f[0]->severity == aiir::Severity::kMedium);
  }
  SECTION("the new key used from an address the old one never used: medium") {
    rs.push_back(deactivate);
    rs.push_back(R{.min = 700, .name = "ListBuckets", .source = "s3.amazonaws.com", .arn = user,
                   .key = "AKIANEWKEY000002", .ip = "203.0.113.66"});
    auto r = run(jsonl(rs), nullptr, baseline);
    auto f = r.with("access.created_key_used");
    REQUIRE(f.size() == 1);
    CHECK(f[0]->severity == aiir::Severity::kMedium);
  }
  SECTION("the old key's address first used after the baseline (a thief's): medium") {
    for (auto& x : rs) x.ip = x.min >= 590 ? "203.0.113.66" : x.ip;
    rs.insert(rs.begin() + 10, R{.min = 595, .name = "GetCallerIdentity", .source = "sts.amazonaws.com", .arn = user,
                                 .key = "AKIAOLDKEY0000001", .ip = "203.0.113.66"});
    R off = deactivate;
    off.ip = "203.0.113.66";
    rs.push_back(off);
    auto r = run(jsonl(rs), nullptr, baseline);
    auto f = r.with("access.created_key_used");
    REQUIRE(f.size() == 1);
    CHECK(f[0]->severity == aiir::Severity::kMedium);
  }
}

TEST_CASE("access: unauthorized scope is backed by medium findings and above", "[analyzer][access]") {
  auto r = run(jsonl(reads(0, 10, 0.5)));
  const aiir::QuestionAnswer* q = r.answer("access.unauthorized_scope");
  REQUIRE(q != nullptr);
  CHECK(q->min_severity == aiir::Severity::kMedium);
}
