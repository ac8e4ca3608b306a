// SPDX-License-Identifier: Apache-2.0
// Tests for secrets and PII detection: each type with hits, checksum failures and near misses.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "content/secrets.h"

using namespace aiir;
using namespace aiir::secrets;

namespace {

std::vector<SecretHit> scan(std::string_view text, Side side = Side::kInput) {
  std::vector<SecretHit> out;
  find_secrets(text, out, side, Role::kUser);
  return out;
}

int count_type(const std::vector<SecretHit>& hits, std::string_view type) {
  int n = 0;
  for (const auto& h : hits) n += h.type == type ? 1 : 0;
  return n;
}

const SecretHit* first_of(const std::vector<SecretHit>& hits, std::string_view type) {
  for (const auto& h : hits) {
    if (h.type == type) return &h;
  }
  return nullptr;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("mask_secret keeps a short prefix and the last 4, never the whole value", "[secrets]") {
  CHECK(mask_secret("AKIA2OGYBAH6RPXQWXYZ") == "AKIA…WXYZ");
  CHECK(mask_secret("4111 1111 1111 1111") == "4111…1111");
  CHECK(mask_secret("abcd") == "…");
  CHECK(mask_secret("") == "…");
  const std::string short_value = "abcdefgh";
  const std::string masked = mask_secret(short_value);
  CHECK(masked.find(short_value) == std::string::npos);
  CHECK(masked.size() < short_value.size() + 3);
  // Never cuts inside a UTF-8 sequence: "é" is two bytes.
  const std::string m2 = mask_secret("ééééééééééééééé");
  CHECK(m2.find("…") != std::string::npos);
  CHECK(m2.substr(0, 2) == "é");
}

TEST_CASE("AWS access key ids: format, word bounds, entropy, example key", "[secrets]") {
  auto hits = scan("use key AKIA2OGYBAH6RPXQWXYZ for the job");
  REQUIRE(count_type(hits, "aws_access_key_id") == 1);
  const SecretHit* h = first_of(hits, "aws_access_key_id");
  CHECK(h->masked == "AKIA…WXYZ");
  CHECK(h->offset == 8);
  CHECK(h->length == 20);
  CHECK_FALSE(h->example);
  CHECK(count_type(scan("ASIAZ2Y3X4W5V6U7T6SQ"), "aws_access_key_id") == 1);
  CHECK(count_type(scan("ABIAZ2Y3X4W5V6U7T6SQ and ACCAZ2Y3X4W5V6U7T6SQ"), "aws_access_key_id") == 2);

  // The documented example key is a format match, marked as an example.
  hits = scan("aws_access_key_id = AKIAIOSFODNN7EXAMPLE");
  REQUIRE(count_type(hits, "aws_access_key_id") == 1);
  CHECK(first_of(hits, "aws_access_key_id")->example);
  CHECK(first_of(hits, "aws_access_key_id")->severity == Severity::kInfo);

  // Near misses.
  CHECK(count_type(scan("AKIA2OGYBAH6RPXQWXY"), "aws_access_key_id") == 0);     // 15 chars
  CHECK(count_type(scan("AKIA2OGYBAH6RPXQWXYZQ"), "aws_access_key_id") == 0);   // 17 chars
  CHECK(count_type(scan("xAKIA2OGYBAH6RPXQWXYZ"), "aws_access_key_id") == 0);   // not word-bounded
  CHECK(count_type(scan("AKIA0OGYBAH1RPXQWXYZ"), "aws_access_key_id") == 0);   // 0 and 1 are not base32
  CHECK(count_type(scan("akia2ogybah6rpxqwxyz"), "aws_access_key_id") == 0);   // lower case
  CHECK(count_type(scan("AKIAAAAAAAAAAAAAAAAA"), "aws_access_key_id") == 0);   // entropy too low
  CHECK(count_type(scan("AGPAZ2Y3X4W5V6U7T6SQ"), "aws_access_key_id") == 0);   // a group id, not a key
}

TEST_CASE("AWS secret access keys need context and entropy; hashes are not keys", "[secrets]") {
  const std::string secret = "gtD7fGUOv8fwNfBb0jXxUJR4QQAAabVVloZaXZxm";
  auto hits = scan("aws_secret_access_key = " + secret + "\n");
  REQUIRE(count_type(hits, "aws_secret_access_key") == 1);
  CHECK(first_of(hits, "aws_secret_access_key")->masked == "gtD7…XZxm");
  CHECK(count_type(scan("\"SecretAccessKey\": \"" + secret + "\""), "aws_secret_access_key") == 1);
  // Within a short distance after an access key id.
  hits = scan("AKIA2OGYBAH6RPXQWXYZ " + secret);
  CHECK(count_type(hits, "aws_access_key_id") == 1);
  CHECK(count_type(hits, "aws_secret_access_key") == 1);
  // The documented example secret is marked as an example.
  hits = scan("aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
  REQUIRE(count_type(hits, "aws_secret_access_key") == 1);
  CHECK(first_of(hits, "aws_secret_access_key")->example);

  // Near misses: no context; a 40-hex git SHA even with context; 41 chars; low entropy.
  CHECK(scan("value " + secret + " end").empty());
  CHECK(scan("commit 3f786850e387550fdab836ed7e6dc881de23001b").empty());
  CHECK(count_type(scan("aws_secret_access_key = 3f786850e387550fdab836ed7e6dc881de23001b"),
                   "aws_secret_access_key") == 0);
  CHECK(count_type(scan("aws_secret_access_key = " + secret + "Q"), "aws_secret_access_key") == 0);
  CHECK(count_type(scan("aws_secret_access_key = AAAAAAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBBBBB"),
                   "aws_secret_access_key") == 0);
}

TEST_CASE("Bedrock API keys", "[secrets]") {
  const std::string key =
      "ABSKQmVkcm9ja0FQSUtleS03eHFrLWF0LTEyMzQ1Njc4OTAxMjpuUXZXeXM4MXZwN2hCMWR4OFBwRDVLSFhlM1BZaUdrUEF1"
      "TmFSTDYzeFlLd3pFSW5uY0lJQTNBTnhOOUs=";
  auto hits = scan("export AWS_BEARER_TOKEN_BEDROCK=" + key + "\n");
  REQUIRE(count_type(hits, "bedrock_api_key") == 1);
  CHECK(first_of(hits, "bedrock_api_key")->masked == "ABSK…OUs=");
  CHECK(count_type(hits, "generic_secret") == 0);  // the specific type wins the overlap
  // Short-lived form.
  CHECK(count_type(scan("bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29tLz9BY3Rpb249Q2FsbFdpdGhCZWFyZXJUb2tlbg=="),
                   "bedrock_api_key") == 1);
  // Near misses: too short; ABSK inside a word.
  CHECK(count_type(scan("ABSKQmVkcm9ja0FQSUtleS03eHFr"), "bedrock_api_key") == 0);
  CHECK(count_type(scan("XABSK" + key.substr(4)), "bedrock_api_key") == 0);
}

namespace {
/// `n` characters from `alphabet`, pseudo-random but fixed (a made-up token body).
std::string body(std::size_t n, std::string_view alphabet, unsigned seed) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    seed = seed * 1103515245u + 12345u;
    out += alphabet[(seed >> 16) % alphabet.size()];
  }
  return out;
}
constexpr std::string_view kAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
constexpr std::string_view kLetters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
}  // namespace

TEST_CASE("Provider API tokens: GitHub, GitLab, Slack, OpenAI, Anthropic, Hugging Face, Google, Stripe",
          "[secrets]") {
  const std::vector<std::string> tokens = {
      "ghp_" + body(36, kAlnum, 1),
      "github_pat_" + body(22, kAlnum, 2) + "_" + body(59, kAlnum, 3),
      "glpat-" + body(20, kAlnum, 4),
      "xoxb-" + body(11, "0123456789", 5) + "-" + body(13, "0123456789", 6) + "-" + body(24, kAlnum, 7),
      "sk-proj-" + body(74, kAlnum, 8) + "T3BlbkFJ" + body(74, kAlnum, 9),
      "sk-" + body(20, kAlnum, 10) + "T3BlbkFJ" + body(20, kAlnum, 11),
      "sk-ant-api03-" + body(93, kAlnum, 12) + "AA",
      "hf_" + body(34, kLetters, 13),
      "AIza" + body(35, kAlnum, 14),
      "sk_live_" + body(24, kAlnum, 15),
  };
  for (const std::string& t : tokens) {
    INFO(t);
    auto hits = scan("the config has " + t + " in it", Side::kOutput);
    REQUIRE(hits.size() == 1);
    CHECK(hits[0].type == "api_token");
    CHECK(hits[0].length == t.size());
    CHECK(hits[0].severity == Severity::kCritical);
    CHECK(hits[0].masked.find(t) == std::string::npos);
    CHECK(severity_for("api_token", Side::kInput) == Severity::kHigh);
    // After a context word it is still one api_token, not a generic secret.
    auto assigned = scan("OPENAI_API_KEY=" + t);
    REQUIRE(assigned.size() == 1);
    CHECK(assigned[0].type == "api_token");
  }
  // Near misses: placeholders, short bodies, wrong alphabets, a prefix inside a word.
  for (std::string_view miss :
       {"ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "ghp_short", "sk-1234567890", "sk-ant-api03-short",
        "hf_abc", "AIzaSyShort", "xoxb-your-token-here", "glpat-example-token-0001",
        "notghp_abcdefghijklmnopqrstuvwxyz0123456789", "sk_test_4eC39HqLyjWDarjtT1zdp7dc"}) {
    INFO(miss);
    CHECK(count_type(scan(miss), "api_token") == 0);
  }
}

TEST_CASE("Private key blocks need a body", "[secrets]") {
  const std::string pem =
      "-----BEGIN RSA PRIVATE KEY-----\n"
      "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0/Iz\n"
      "W7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxKLxoS2tFczGkPLPgizskuemMghRniWaoL\n"
      "-----END RSA PRIVATE KEY-----\n";
  auto hits = scan("here is my key\n" + pem);
  REQUIRE(count_type(hits, "private_key") == 1);
  const SecretHit* h = first_of(hits, "private_key");
  CHECK(h->masked.find("MIIEowIBAAKCAQEAu1SU1") == std::string::npos);
  CHECK(count_type(scan("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAABlwAAAAdzc2gtcnNhAAAAAwEAAQAAAYEA"),
                   "private_key") == 1);  // truncated, still a key body
  // Near misses: public key; header without a body.
  CHECK(count_type(scan("-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRge\n-----END PUBLIC KEY-----"),
                   "private_key") == 0);
  CHECK(count_type(scan("A PEM file starts with -----BEGIN PRIVATE KEY----- and ends with -----END PRIVATE KEY-----"),
                   "private_key") == 0);
}

TEST_CASE("JWTs: the header must decode to JSON with alg", "[secrets]") {
  const std::string jwt =
      "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ."
      "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
  auto hits = scan("Authorization: " + jwt);
  REQUIRE(count_type(hits, "jwt") == 1);
  CHECK(first_of(hits, "jwt")->masked == "eyJh…sw5c");
  CHECK(jwt_header_valid("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"));
  // Near miss: header is JSON but has no "alg".
  CHECK_FALSE(jwt_header_valid("eyJ0eXAiOiJKV1QiLCJraWQiOiJrMSJ9"));
  CHECK(count_type(scan("eyJ0eXAiOiJKV1QiLCJraWQiOiJrMSJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV"),
                   "jwt") == 0);
  // Near miss: not base64url JSON at all.
  CHECK_FALSE(jwt_header_valid("eyZZZZZZZZZZZZ"));
}

TEST_CASE("Generic high-entropy tokens need a context word", "[secrets]") {
  auto hits = scan("api_key: 3KSU9Mi4roNL89sM995YTBXaK7JQEVT0");
  REQUIRE(count_type(hits, "generic_secret") == 1);
  CHECK(first_of(hits, "generic_secret")->masked == "3KSU…EVT0");
  CHECK(count_type(scan("Authorization: Bearer 3KSU9Mi4roNL89sM995YTBXaK7JQEVT0"), "generic_secret") == 1);
  CHECK(count_type(scan("password=\"Xk9#mQ2$vL7pR4tZ8wN1\""), "generic_secret") == 1);
  // Near misses: no context word; low entropy; a plain word; a short value.
  CHECK(scan("the value 3KSU9Mi4roNL89sM995YTBXaK7JQEVT0 here").empty());
  CHECK(count_type(scan("token: aaaaaaaaaaaaaaaaaaaaaaaa"), "generic_secret") == 0);
  CHECK(count_type(scan("password: correcthorsebatterystaple"), "generic_secret") == 0);
  CHECK(count_type(scan("secret: x7Yq2"), "generic_secret") == 0);
  CHECK(count_type(scan("the token is expired, please refresh the session"), "generic_secret") == 0);
}

TEST_CASE("Credit cards: Luhn, issuer ranges, consistent separators", "[secrets]") {
  CHECK(luhn_valid("4111111111111111"));
  CHECK_FALSE(luhn_valid("1234567812345678"));
  CHECK(card_iin_valid("4111111111111111"));
  CHECK(card_iin_valid("378282246310005"));
  CHECK_FALSE(card_iin_valid("9999999999999995"));
  CHECK_FALSE(card_iin_valid("37828224631000"));  // Amex is 15 digits

  auto hits = scan("card 4111 1111 1111 1111 exp 12/29");
  REQUIRE(count_type(hits, "credit_card") == 1);
  CHECK(first_of(hits, "credit_card")->masked == "4111…1111");
  CHECK(count_type(scan("5500-0000-0000-0004"), "credit_card") == 1);
  CHECK(count_type(scan("amex 378282246310005."), "credit_card") == 1);
  CHECK(count_type(scan("discover 6011111111111117"), "credit_card") == 1);
  // Near misses.
  CHECK(count_type(scan("order number 1234567812345678"), "credit_card") == 0);      // fails Luhn
  CHECK(count_type(scan("ref 9999999999999995"), "credit_card") == 0);               // Luhn ok, no issuer
  CHECK(count_type(scan("ref 1000000000000008"), "credit_card") == 0);               // Luhn ok, no issuer
  CHECK(count_type(scan("4111-1111 1111-1111"), "credit_card") == 0);                // mixed separators
  CHECK(count_type(scan("id 41111111111111110000"), "credit_card") == 0);            // too long a run
}

TEST_CASE("US SSNs: area, group and serial rules", "[secrets]") {
  CHECK(ssn_valid("536", "22", "8745"));
  CHECK_FALSE(ssn_valid("000", "12", "3456"));
  CHECK_FALSE(ssn_valid("666", "12", "3456"));
  CHECK_FALSE(ssn_valid("912", "34", "5678"));
  CHECK_FALSE(ssn_valid("536", "00", "8745"));
  CHECK_FALSE(ssn_valid("536", "22", "0000"));

  auto hits = scan("SSN: 536-22-8745");
  REQUIRE(count_type(hits, "us_ssn") == 1);
  CHECK(first_of(hits, "us_ssn")->masked == "…8745");
  CHECK(count_type(scan("SSN: 000-12-3456"), "us_ssn") == 0);
  CHECK(count_type(scan("SSN: 666-12-3456"), "us_ssn") == 0);
  CHECK(count_type(scan("SSN: 912-34-5678"), "us_ssn") == 0);
  CHECK(count_type(scan("SSN: 536-00-8745"), "us_ssn") == 0);
  CHECK(count_type(scan("SSN: 536-22-0000"), "us_ssn") == 0);
  CHECK(count_type(scan("part 1536-22-87451"), "us_ssn") == 0);  // not bounded
  CHECK(count_type(scan("date 2024-01-15"), "us_ssn") == 0);
}

TEST_CASE("IBAN: country length table and mod-97", "[secrets]") {
  CHECK(iban_valid("GB82WEST12345698765432"));
  CHECK(iban_valid("DE89370400440532013000"));
  CHECK_FALSE(iban_valid("GB82WEST12345698765433"));  // checksum
  CHECK_FALSE(iban_valid("DE8937040044053201300"));   // length for DE is 22
  CHECK_FALSE(iban_valid("XX82WEST12345698765432"));  // unknown country

  CHECK(count_type(scan("pay to GB82 WEST 1234 5698 7654 32 please"), "iban") == 1);
  CHECK(count_type(scan("IBAN DE89370400440532013000"), "iban") == 1);
  CHECK(count_type(scan("pay to GB82 WEST 1234 5698 7654 33 please"), "iban") == 0);
  CHECK(count_type(scan("IBAN DE89 3704 0044 0532 0130"), "iban") == 0);
}

TEST_CASE("Emails and phone numbers are low severity", "[secrets]") {
  auto hits = scan("write to alice.smith@example.com or call +1 415 555 2671");
  REQUIRE(count_type(hits, "email") == 1);
  REQUIRE(count_type(hits, "phone") == 1);
  CHECK(first_of(hits, "email")->severity == Severity::kLow);
  CHECK(first_of(hits, "phone")->severity == Severity::kLow);
  CHECK(count_type(scan("call (415) 555-2671 today"), "phone") == 1);
  CHECK(count_type(scan("call +44 20 7946 0958"), "phone") == 1);
  CHECK(count_type(scan("+1 415 555 2671"), "phone") == 1);  // at the very start
  // Near misses.
  CHECK(count_type(scan("alice@localhost"), "email") == 0);
  CHECK(count_type(scan("call 415-555-267"), "phone") == 0);
  CHECK(count_type(scan("on 2024-01-15 at 10:30"), "phone") == 0);
  CHECK(count_type(scan("version 1.2.3"), "phone") == 0);
}

TEST_CASE("Direction: a secret in a response is worse than in a request", "[secrets]") {
  for (int t = 0; t < kSecretTypeCount; ++t) {
    const auto type = static_cast<SecretType>(t);
    CHECK(severity_for(type, Side::kOutput) >= severity_for(type, Side::kInput));
    SecretType back{};
    REQUIRE(parse_secret_type(to_string(type), back));
    CHECK(back == type);
  }
  CHECK(severity_for(SecretType::kAwsSecretAccessKey, Side::kOutput) >
        severity_for(SecretType::kAwsSecretAccessKey, Side::kInput));
  CHECK(severity_for(SecretType::kPrivateKey, Side::kOutput) == Severity::kCritical);
  CHECK(severity_for("email", Side::kInput) == Severity::kLow);
  auto hits = scan("key AKIA2OGYBAH6RPXQWXYZ", Side::kOutput);
  REQUIRE(hits.size() == 1);
  CHECK(hits[0].side == Side::kOutput);
  CHECK(hits[0].role == Role::kUser);
  CHECK(hits[0].severity == severity_for(SecretType::kAwsAccessKeyId, Side::kOutput));
}

TEST_CASE("Masked values never contain the matched value; fixture file", "[secrets]") {
  const std::string text = read_file(std::string(AIIR_TEST_DATA) + "/secrets/mixed.txt");
  REQUIRE_FALSE(text.empty());
  std::vector<SecretHit> hits;
  find_secrets(text, hits);
  // The fixture lists one of each type plus near misses; see its comments.
  CHECK(count_type(hits, "aws_access_key_id") == 1);
  CHECK(count_type(hits, "aws_secret_access_key") == 1);
  CHECK(count_type(hits, "private_key") == 1);
  CHECK(count_type(hits, "jwt") == 1);
  CHECK(count_type(hits, "credit_card") == 1);
  CHECK(count_type(hits, "us_ssn") == 1);
  CHECK(count_type(hits, "iban") == 1);
  CHECK(count_type(hits, "email") == 1);
  CHECK(count_type(hits, "phone") == 1);
  for (std::size_t i = 0; i < hits.size(); ++i) {
    const auto& h = hits[i];
    const std::string value = text.substr(h.offset, h.length);
    CHECK(h.masked.find(value) == std::string::npos);
    if (i > 0) CHECK(hits[i - 1].offset + hits[i - 1].length <= h.offset);  // ordered, disjoint
  }
}

TEST_CASE("Adversarial inputs scan without blowing up", "[secrets]") {
  std::string digits;
  for (int i = 0; i < 200000; ++i) digits += "4 ";
  std::string b64(300000, 'A');
  std::string mixed;
  for (int i = 0; i < 20000; ++i) mixed += "token: eyJ.";
  std::vector<SecretHit> out;
  find_secrets(digits, out);
  find_secrets(b64, out);
  find_secrets(mixed, out);
  find_secrets(std::string_view("\xff\xfe\x00 AKIA", 9), out);
  CHECK(out.empty());
}

TEST_CASE("the prefilter skips prose and never hides a match", "[secrets]") {
  using aiir::secrets::may_hold_secret;
  CHECK_FALSE(may_hold_secret("Customers can return most items within 30 days of delivery for a full refund."));
  CHECK_FALSE(may_hold_secret("Call 555 1234 at 8 pm; order 12-34-56 shipped."));
  CHECK_FALSE(may_hold_secret("Tokens and secrets are explained in chapter two of the manual for new staff. Summary: read it."));
  for (std::string_view s :
       {"x@y.io", "+33 1 23 45 67 89", "-----BEGIN RSA PRIVATE KEY-----", "a.eyJhbGciOi", "AKIA", "ASIA", "ABSK",
        "bedrock-api-key-", "SECRET=", "my_Token: ", "PASSWD =", "pwd:", "Credential\" : ", "auth=", "x-API-KEY: ", "Bearer",
        "DE89 3704", "4111 1111 1111 1111", "078-05-1120", "(212) 555-0100", "ghp_", "github_pat_", "glpat-",
        "xoxb-", "sk-", "hf_", "AIza", "sk_live_"})
    CHECK(may_hold_secret(s));
  // Texts of 16 bytes or more are read a block at a time (64 bytes with
  // AVX-512), a stop that needs a neighbour a candidate only next to it: each
  // trigger at every offset, across block edges and in the last, overlapping
  // block, for both prefilters.
  for (std::string_view s :
       {"a.eyJhbGciOi", "AKIA", "ASIA", "ABSK", "ABIA", "ACCA", "AIza", "-----BEGIN", "bedrock-api-key-", "glpat-",
        "sk-", "xoxb-", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_", "hf_", "sk_live_", "rk_live_",
        "secret=", "SECRET: "}) {
    for (std::size_t at = 0; at <= 140; ++at) {
      std::string text(at, 'o');
      text.append(s);
      text.append(140 - at, ',');
      CHECK(may_hold_secret(text));
      CHECK(may_hold_secret(text.substr(0, at + s.size())));
      CHECK(aiir::secrets::may_hold_credential(text));
      CHECK(aiir::secrets::may_hold_credential(text.substr(0, at + s.size())));
    }
  }
  for (std::string_view s : {"Bearer", "bearer", "x@y", "+1", "pwd:"})
    for (std::size_t at = 0; at <= 140; ++at)
      CHECK(may_hold_secret(std::string(at, 'o') + std::string(s) + std::string(140 - at, ',')));
  CHECK_FALSE(may_hold_secret("the. Be bold, but be brief. Absolutely, obviously: a bee. A well-known my_var."));
  CHECK_FALSE(aiir::secrets::may_hold_credential("2026-03-03T10:00:00Z my-bucket/a_b.txt A note."));
  // Every valid value of the fixture is still found (the fixture tests above
  // run through the prefilter too); a value behind a near-miss is not.
  CHECK(scan("call (212) 555-0100 now").size() == 1);
}

TEST_CASE("a credentials scan finds exactly the full scan's credentials", "[secrets]") {
  using aiir::secrets::may_hold_credential;
  const auto credentials = [](std::string_view text) {
    std::vector<SecretHit> out;
    SecretScanner::instance().scan(text, out, Side::kInput, Role::kUser, SecretScope::kCredentials);
    return out;
  };
  const auto full_credentials = [](std::string_view text) {
    std::vector<SecretHit> out;
    for (SecretHit& h : scan(text))
      if (h.type == "private_key" || h.type == "aws_secret_access_key" || h.type == "bedrock_api_key" ||
          h.type == "api_token" || h.type == "jwt")
        out.push_back(std::move(h));
    return out;
  };
  const auto same = [](const std::vector<SecretHit>& a, const std::vector<SecretHit>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
      if (a[i].type != b[i].type || a[i].offset != b[i].offset || a[i].length != b[i].length ||
          a[i].masked != b[i].masked || a[i].severity != b[i].severity)
        return false;
    return true;
  };
  // Every line of the fixture, every pair of lines, and the whole file.
  const std::string text = read_file(std::string(AIIR_TEST_DATA) + "/secrets/mixed.txt");
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  std::vector<std::string> cases = {text,
                                    // a secret after a key id, with no "secret" word
                                    "AKIA2OGYBAH6RPXQWXYZ gtD7fGUOv8fwNfBb0jXxUJR4QQAAabVVloZaXZxm",
                                    "{\"SecretString\":\"aws_secret_access_key: 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\"}"};
  for (const std::string& a : lines)
    for (const std::string& b : lines) cases.push_back(a + " " + b);
  int with_credentials = 0;
  for (const std::string& c : cases) {
    const auto got = credentials(c);
    with_credentials += got.empty() ? 0 : 1;
    INFO(c);
    CHECK(same(got, full_credentials(c)));
    for (const SecretHit& h : got) CHECK(h.type != "aws_access_key_id");
  }
  CHECK(with_credentials > 20);
  CHECK(credentials("AKIA2OGYBAH6RPXQWXYZ gtD7fGUOv8fwNfBb0jXxUJR4QQAAabVVloZaXZxm").size() == 1);

  // The prefilter skips what only PII, key ids or generic assignments would need.
  CHECK_FALSE(may_hold_credential("card 4242 4242 4242 4242, bob@example.org, +33 1 23 45 67 89"));
  CHECK_FALSE(may_hold_credential("api_key=abcdefghijklmnop Bearer abcdefghijklmnop 2026-03-01T10:00:00Z"));
  for (std::string_view s : {"-----BEGIN RSA PRIVATE KEY-----", "a.eyJhbGciOi", "AKIA", "ABSK", "bedrock-api-key-",
                             "AWS_SECRET=", "Secret_Access_Key: "})
    CHECK(may_hold_credential(s));
}
