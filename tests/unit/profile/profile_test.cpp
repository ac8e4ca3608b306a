// SPDX-License-Identifier: Apache-2.0
// Tests of the environment-profile loader, wildcard matching and CIDR matching.
#include <aiir/error.h>
#include <aiir/profile.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>

#include "profile/profile_detail.h"

namespace {

namespace fs = std::filesystem;

/// Writes `text` to a fresh file under the temp folder and returns its path.
std::string write_temp(const std::string& name, const std::string& text) {
  fs::path dir = fs::temp_directory_path() / "aiir_profile_test";
  fs::create_directories(dir);
  fs::path p = dir / name;
  std::ofstream(p, std::ios::binary) << text;
  return p.string();
}

/// Returns the message of the aiir::Error that loading `text` throws ("" when none).
std::string load_error(const std::string& name, const std::string& text) {
  try {
    aiir::load_profile(write_temp(name, text));
  } catch (const aiir::Error& e) {
    return e.what();
  }
  return "";
}

// The full example of docs/profile.md.
const char* const kFullExample = R"(# Environment profile for the support-assistant workload
accounts: ["111122223333"]
regions: [us-east-1, us-west-2]
known_cidrs:
  - 192.0.2.0/24
  - 2001:db8:1234::/48
known_user_agents:
  - "exec-env/AWS_Lambda_python3.12"
  - "terraform-provider-aws/"
app_principals:
  - arn: arn:aws:iam::111122223333:role/support-assistant-lambda-role
    allowed_actions: [bedrock:Converse, bedrock:Retrieve, "s3:Get*", "logs:*"]
  - arn: "arn:aws:iam::111122223333:role/service-role/AmazonBedrockExecutionRoleForKnowledgeBase_*"
    allowed_actions:
      - s3:GetObject
      - s3:ListBucket
expected_models:
  - anthropic.claude-3-5-sonnet-20240620-v1:0
  - "amazon.titan-embed-text-v2*"
kb_buckets: [examplecorp-support-kb]
private_resources:
  - {kind: s3, name: examplecorp-customer-records}
  - {kind: dynamodb, name: customer-orders}
  - {kind: secretsmanager, name: "prod/payments/*"}
  - {kind: ssm, name: /prod/billing/*}
  - {kind: rds, name: billing-db}
admin_principals:
  - arn:aws:iam::111122223333:user/admin-alice
  - arn:aws:iam::111122223333:user/ci-deployer
incident_window:
  start: 2026-03-11T14:00:00Z
  end: 2026-03-12T12:00:00+01:00
baseline_until: 2026-03-11T00:00:00.500Z
bad:
  access_keys: [AKIA3EXAMPLELEAKD7Q2]
  ips: [198.51.100.23, 203.0.113.0/24]
  principals: [arn:aws:iam::111122223333:user/ml-pipeline]
placeholders:
  admin_users: [admin-alice, ci-deployer]
  trusted_account: "444455556666"
)";

}  // namespace

TEST_CASE("load_profile reads every key of the full example", "[profile]") {
  const std::string path = write_temp("full.yaml", kFullExample);
  const aiir::Profile p = aiir::load_profile(path);
  CHECK(p.loaded);
  CHECK(p.source == path);
  CHECK(p.accounts == std::vector<std::string>{"111122223333"});
  CHECK(p.regions == std::vector<std::string>{"us-east-1", "us-west-2"});
  CHECK(p.known_cidrs == std::vector<std::string>{"192.0.2.0/24", "2001:db8:1234::/48"});
  CHECK(p.known_user_agents.size() == 2);
  REQUIRE(p.app_principals.size() == 2);
  CHECK(p.app_principals[0].arn == "arn:aws:iam::111122223333:role/support-assistant-lambda-role");
  CHECK(p.app_principals[0].allowed_actions ==
        std::vector<std::string>{"bedrock:Converse", "bedrock:Retrieve", "s3:Get*", "logs:*"});
  CHECK(p.app_principals[1].allowed_actions ==
        std::vector<std::string>{"s3:GetObject", "s3:ListBucket"});
  CHECK(p.expected_models.size() == 2);
  CHECK(p.kb_buckets == std::vector<std::string>{"examplecorp-support-kb"});
  REQUIRE(p.private_resources.size() == 5);
  CHECK(p.private_resources[2].kind == "secretsmanager");
  CHECK(p.private_resources[2].name == "prod/payments/*");
  CHECK(p.private_resources[3].name == "/prod/billing/*");
  CHECK(p.admin_principals.size() == 2);
  // 2026-03-11T14:00:00Z = 1773237600 s.
  CHECK(p.incident_start_ms == 1773237600000LL);
  // 12:00+01:00 is 11:00Z on 2026-03-12.
  CHECK(p.incident_end_ms == 1773237600000LL + (21 * 3600) * 1000LL);
  CHECK(p.baseline_until_ms == 1773187200500LL);
  CHECK(p.bad_access_keys == std::vector<std::string>{"AKIA3EXAMPLELEAKD7Q2"});
  CHECK(p.bad_ips == std::vector<std::string>{"198.51.100.23", "203.0.113.0/24"});
  CHECK(p.bad_principals.size() == 1);
  REQUIRE(p.placeholders.size() == 2);
  CHECK(p.placeholders[0].first == "admin_users");
  CHECK(p.placeholders[0].second == std::vector<std::string>{"admin-alice", "ci-deployer"});
  CHECK(p.placeholders[1].first == "trusted_account");
  CHECK(p.placeholders[1].second == std::vector<std::string>{"444455556666"});
}

TEST_CASE("load_profile: the bundled example profile loads", "[profile]") {
  const aiir::Profile p =
      aiir::load_profile(std::string(AIIR_SOURCE_DIR) + "/examples/profile.yaml");
  CHECK(p.accounts == std::vector<std::string>{"111122223333"});
  CHECK(!p.app_principals.empty());
  CHECK(p.kb_buckets == std::vector<std::string>{"examplecorp-support-kb"});
  CHECK(p.baseline_until_ms > 0);
}

TEST_CASE("load_profile: empty file and comments only give an empty loaded profile", "[profile]") {
  const aiir::Profile p = aiir::load_profile(write_temp("empty.yaml", "# nothing yet\n"));
  CHECK(p.loaded);
  CHECK(p.accounts.empty());
  CHECK(p.incident_start_ms == 0);
}

TEST_CASE("load_profile: errors name the file and the line", "[profile]") {
  SECTION("missing file") {
    try {
      aiir::load_profile("/nonexistent/aiir/profile.yaml");
      FAIL("no error");
    } catch (const aiir::Error& e) {
      CHECK_THAT(e.what(), Catch::Contains("/nonexistent/aiir/profile.yaml"));
    }
  }
  SECTION("invalid YAML") {
    auto msg = load_error("syntax.yaml", "accounts: [\"111122223333\"\nregions: [us-east-1\n");
    CHECK_THAT(msg, Catch::Contains("syntax.yaml:"));
    CHECK_THAT(msg, Catch::Contains("invalid YAML"));
  }
  SECTION("unknown key, with its line") {
    auto msg = load_error("unknown.yaml", "accounts: [\"111122223333\"]\n\nregoins: [us-east-1]\n");
    CHECK_THAT(msg, Catch::Contains("unknown.yaml:3:"));
    CHECK_THAT(msg, Catch::Contains("regoins"));
  }
  SECTION("bad CIDR in a list points at the item's line") {
    auto msg = load_error("cidr.yaml", "known_cidrs:\n  - 192.0.2.0/24\n  - 10.0.0/8\n");
    CHECK_THAT(msg, Catch::Contains("cidr.yaml:3:"));
    CHECK_THAT(msg, Catch::Contains("10.0.0/8"));
  }
  SECTION("prefix too long") {
    CHECK_THAT(load_error("len.yaml", "bad:\n  ips: [10.0.0.0/33]\n"),
               Catch::Contains("len.yaml:2:"));
  }
  SECTION("time without a zone") {
    auto msg = load_error("time.yaml", "regions: [us-east-1]\nbaseline_until: 2026-03-11T00:00:00\n");
    CHECK_THAT(msg, Catch::Contains("time.yaml:2:"));
    CHECK_THAT(msg, Catch::Contains("RFC 3339"));
  }
  SECTION("impossible date") {
    CHECK_THAT(load_error("feb.yaml", "baseline_until: 2026-02-30T00:00:00Z\n"),
               Catch::Contains("feb.yaml:1:"));
  }
  SECTION("window end before start") {
    auto msg = load_error("window.yaml",
                          "incident_window:\n  start: 2026-03-12T00:00:00Z\n  end: 2026-03-11T00:00:00Z\n");
    CHECK_THAT(msg, Catch::Contains("window.yaml:2:"));
    CHECK_THAT(msg, Catch::Contains("before start"));
  }
  SECTION("account id that is not 12 digits") {
    CHECK_THAT(load_error("acct.yaml", "accounts:\n  - \"11112222333\"\n"),
               Catch::Contains("acct.yaml:2:"));
  }
  SECTION("app principal without arn") {
    CHECK_THAT(load_error("app.yaml", "app_principals:\n  - allowed_actions: [bedrock:Converse]\n"),
               Catch::Contains("app.yaml:2:"));
  }
  SECTION("action that is not service:Action") {
    CHECK_THAT(load_error("act.yaml",
                          "app_principals:\n  - arn: arn:aws:iam::1:role/r\n    allowed_actions:\n"
                          "      - Converse\n"),
               Catch::Contains("act.yaml:4:"));
  }
  SECTION("unknown private resource kind") {
    auto msg = load_error("kind.yaml", "private_resources:\n  - {kind: efs, name: x}\n");
    CHECK_THAT(msg, Catch::Contains("kind.yaml:2:"));
    CHECK_THAT(msg, Catch::Contains("efs"));
  }
  SECTION("a mapping where a list is expected") {
    CHECK_THAT(load_error("type.yaml", "regions:\n  east: us-east-1\n"), Catch::Contains("type.yaml:2:"));
  }
  SECTION("duplicate key") {
    CHECK_THAT(load_error("dup.yaml", "regions: [us-east-1]\nregions: [us-west-2]\n"),
               Catch::Contains("dup.yaml:2:"));
  }
  SECTION("top level that is a list") {
    CHECK_THAT(load_error("list.yaml", "- accounts\n"), Catch::Contains("list.yaml:1:"));
  }
}

TEST_CASE("load_profile accepts a single value where a list is expected", "[profile]") {
  const aiir::Profile p = aiir::load_profile(write_temp("scalar.yaml", "regions: us-east-1\n"));
  CHECK(p.regions == std::vector<std::string>{"us-east-1"});
}

TEST_CASE("wildcard_match", "[profile]") {
  using aiir::wildcard_match;
  CHECK(wildcard_match("anthropic.claude-3-haiku*", "anthropic.claude-3-haiku-20240307-v1:0"));
  CHECK_FALSE(wildcard_match("anthropic.claude-3-haiku*", "anthropic.claude-3-opus-20240229-v1:0"));
  CHECK(wildcard_match("s3:Get*", "s3:GetObject"));
  CHECK(wildcard_match("S3:get*", "s3:GetObject"));  // case-insensitive
  CHECK_FALSE(wildcard_match("s3:Get*", "s3:PutObject"));
  CHECK(wildcard_match("*", ""));
  CHECK(wildcard_match("", ""));
  CHECK_FALSE(wildcard_match("", "a"));
  CHECK_FALSE(wildcard_match("a", ""));
  CHECK(wildcard_match("a?c", "abc"));
  CHECK_FALSE(wildcard_match("a?c", "ac"));
  CHECK_FALSE(wildcard_match("a?c", "abbc"));
  CHECK(wildcard_match("*role/app-*/*", "arn:aws:sts::1:assumed-role/app-web/i-0abc"));
  CHECK_FALSE(wildcard_match("*role/app-*/*", "arn:aws:sts::1:assumed-role/admin/i-0abc"));
  CHECK(wildcard_match("a*b*c", "aXXbYYc"));
  CHECK_FALSE(wildcard_match("a*b*c", "aXXbYYcd"));
  CHECK(wildcard_match("exact", "EXACT"));
  CHECK_FALSE(wildcard_match("exact", "exactly"));
  CHECK(wildcard_match("**a**", "bab"));
  CHECK(wildcard_match("*?", "x"));
  CHECK_FALSE(wildcard_match("*?", ""));
}

TEST_CASE("wildcard_match has no catastrophic backtracking", "[profile]") {
  const std::string text(100000, 'a');
  std::string pattern;
  for (int i = 0; i < 12; ++i) pattern += "*a";
  pattern += "*b";
  // A backtracking matcher needs ~100000^12 steps here and never returns: the
  // test then fails on ctest's timeout, not on a clock read inside the test.
  CHECK_FALSE(aiir::wildcard_match(pattern, text));
  CHECK(aiir::wildcard_match(pattern.substr(0, pattern.size() - 1), text));
}

TEST_CASE("ip_in_cidr: IPv4", "[profile]") {
  using aiir::ip_in_cidr;
  CHECK(ip_in_cidr("192.0.2.10", "192.0.2.0/24"));
  CHECK_FALSE(ip_in_cidr("192.0.3.10", "192.0.2.0/24"));
  CHECK(ip_in_cidr("10.255.1.1", "10.0.0.0/8"));
  CHECK_FALSE(ip_in_cidr("11.0.0.1", "10.0.0.0/8"));
  CHECK(ip_in_cidr("172.31.200.4", "172.16.0.0/12"));
  CHECK_FALSE(ip_in_cidr("172.32.0.1", "172.16.0.0/12"));
  CHECK(ip_in_cidr("198.51.100.23", "198.51.100.23"));  // bare address = /32
  CHECK_FALSE(ip_in_cidr("198.51.100.24", "198.51.100.23"));
  CHECK(ip_in_cidr("1.2.3.4", "0.0.0.0/0"));
  CHECK(ip_in_cidr("203.0.113.77", "203.0.113.64/26"));
  CHECK_FALSE(ip_in_cidr("203.0.113.63", "203.0.113.64/26"));
  // Leading zeros as in anonymised samples: decimal, never octal.
  CHECK(ip_in_cidr("035.249.253.232", "35.249.253.0/24"));
  CHECK(ip_in_cidr("35.249.253.232", "035.249.253.000/24"));
  CHECK_FALSE(ip_in_cidr("010.0.0.1", "8.0.0.0/8"));
  CHECK(ip_in_cidr("010.0.0.1", "10.0.0.0/8"));
}

TEST_CASE("ip_in_cidr: IPv6 and mapped IPv4", "[profile]") {
  using aiir::ip_in_cidr;
  CHECK(ip_in_cidr("2001:db8:1234:5::1", "2001:db8:1234::/48"));
  CHECK_FALSE(ip_in_cidr("2001:db8:1235::1", "2001:db8:1234::/48"));
  CHECK(ip_in_cidr("2001:DB8::1", "2001:db8::/32"));
  CHECK(ip_in_cidr("::1", "::1"));
  CHECK(ip_in_cidr("fe80::1%eth0", "fe80::/10"));
  CHECK(ip_in_cidr("2001:db8::ff", "2001:db8::80/121"));
  CHECK_FALSE(ip_in_cidr("2001:db8::7f", "2001:db8::80/121"));
  CHECK(ip_in_cidr("::ffff:192.0.2.7", "192.0.2.0/24"));
  CHECK(ip_in_cidr("192.0.2.7", "::ffff:192.0.2.0/120"));
  CHECK_FALSE(ip_in_cidr("192.0.2.7", "2001:db8::/32"));  // families never mix
  CHECK_FALSE(ip_in_cidr("2001:db8::1", "0.0.0.0/0"));
}

TEST_CASE("ip_in_cidr: non-IP strings never match", "[profile]") {
  using aiir::ip_in_cidr;
  CHECK_FALSE(ip_in_cidr("AWS Internal", "0.0.0.0/0"));
  CHECK_FALSE(ip_in_cidr("lambda.amazonaws.com", "0.0.0.0/0"));
  CHECK_FALSE(ip_in_cidr("bedrock.amazonaws.com", "::/0"));
  CHECK_FALSE(ip_in_cidr("", "0.0.0.0/0"));
  CHECK_FALSE(ip_in_cidr("1.2.3", "0.0.0.0/0"));
  CHECK_FALSE(ip_in_cidr("1.2.3.4.5", "0.0.0.0/0"));
  CHECK_FALSE(ip_in_cidr("256.1.1.1", "0.0.0.0/0"));
  CHECK_FALSE(ip_in_cidr("1.2.3.4 ", "0.0.0.0/0"));
  CHECK_FALSE(ip_in_cidr("0001.2.3.4", "0.0.0.0/0"));
  CHECK_FALSE(ip_in_cidr("1.2.3.4", "not-a-cidr"));
  CHECK_FALSE(ip_in_cidr("1.2.3.4", "1.2.3.0/"));
  CHECK_FALSE(ip_in_cidr("1.2.3.4", "1.2.3.0/x"));
  CHECK_FALSE(ip_in_cidr("1.2.3.4", "1.2.3.0/-1"));
  CHECK_FALSE(ip_in_cidr("2001:db8::1", "2001:db8::/129"));
}

TEST_CASE("parse_rfc3339_ms", "[profile]") {
  std::int64_t ms = 0;
  CHECK(aiir::detail::parse_rfc3339_ms("1970-01-01T00:00:00Z", ms));
  CHECK(ms == 0);
  CHECK(aiir::detail::parse_rfc3339_ms("2026-03-10T08:30:15.25Z", ms));
  CHECK(ms == 1773131415250LL);
  CHECK(aiir::detail::parse_rfc3339_ms("2026-03-10T10:30:15-02:00", ms));
  CHECK(ms == 1773145815000LL);
  CHECK(aiir::detail::parse_rfc3339_ms("2024-02-29T00:00:00Z", ms));
  CHECK_FALSE(aiir::detail::parse_rfc3339_ms("2026-03-10", ms));
  CHECK_FALSE(aiir::detail::parse_rfc3339_ms("2026-03-10T08:30:15", ms));
  CHECK_FALSE(aiir::detail::parse_rfc3339_ms("2026-03-10T08:30:15Zjunk", ms));
  CHECK_FALSE(aiir::detail::parse_rfc3339_ms("2026-13-10T08:30:15Z", ms));
  CHECK_FALSE(aiir::detail::parse_rfc3339_ms("2026-03-10T08:30:15+0200", ms));
}
