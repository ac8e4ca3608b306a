// SPDX-License-Identifier: Apache-2.0
// Tests for `aiir verify`: a digest chain generated at run time, then tampered with in each way.
#include "verify/verify.h"

#include <aiir/error.h>
#include <catch2/catch.hpp>
#include <simdjson.h>

#include <algorithm>

#include "verify/chain_fixture.h"

using aiir::test::ChainFixture;
namespace fs = std::filesystem;

namespace {

void require_clean_counts(const aiir::VerifyResult& r) {
  CHECK(r.counts.files_modified == 0);
  CHECK(r.counts.files_missing == 0);
  CHECK(r.counts.files_unlisted == 0);
  CHECK(r.counts.digests_missing == 0);
  CHECK(r.counts.chain_breaks == 0);
  CHECK(r.counts.hours_without_digest == 0);
  CHECK(r.counts.signatures_failed == 0);
  CHECK(r.unreadable.empty());
}

/// A CloudTrail log file that no digest lists, in the same folder as the others.
fs::path add_unlisted_log(const ChainFixture& fx, const std::string& name) {
  const fs::path path = fx.logs.front().path.parent_path() / name;
  aiir::test::write_file(path, aiir::test::gzip_bytes("{\"Records\":[{\"eventName\":\"Forged\"}]}"));
  return path;
}

}  // namespace

TEST_CASE("verify: an untouched chain is all valid", "[verify]") {
  ChainFixture fx(4);
  const auto r = fx.verify();
  require_clean_counts(r);
  CHECK(r.counts.digests_found == 4);
  CHECK(r.counts.files_valid == 8);
  CHECK(r.counts.chain_starts == 1);  // the oldest digest: a start, not an error
  CHECK(r.chain_starts.at(0).path == fx.digests.front().path.string());
  CHECK_FALSE(r.signatures_enabled);
  CHECK(r.counts.signatures_checked == 0);
  CHECK_FALSE(r.integrity_failed());
  REQUIRE(r.regions.size() == 1);
  CHECK(r.regions[0].account == "111122223333");
  CHECK(r.regions[0].region == "us-east-1");
  CHECK(r.regions[0].trails == std::vector<std::string>{"org_main-trail"});
  CHECK(r.regions[0].first_digest_start == "2024-03-01T00:00:00Z");
  CHECK(r.regions[0].last_digest_end == "2024-03-01T04:00:00Z");
  CHECK(r.regions[0].counts.files_valid == 8);
}

TEST_CASE("verify: signatures of every digest verify with the public key", "[verify]") {
  ChainFixture fx(3);
  const auto r = fx.verify(true);
  require_clean_counts(r);
  CHECK(r.signatures_enabled);
  CHECK(r.counts.signatures_checked == 3);
  CHECK(r.counts.signatures_unavailable == 0);
  CHECK_FALSE(r.integrity_failed());

  // Without --signatures only the newest digest's signature is unavailable.
  fs::remove(fx.signatures_file);
  aiir::VerifyOptions options;
  options.public_keys_path = fx.public_keys.string();
  const auto partial = aiir::verify_cloudtrail({fx.export_dir.string()}, options);
  CHECK(partial.counts.signatures_checked == 2);
  CHECK(partial.counts.signatures_unavailable == 1);
  CHECK(partial.signatures_unavailable.at(0).path == fx.digests.back().path.string());
  CHECK_FALSE(partial.integrity_failed());
}

TEST_CASE("verify: one changed log byte is a modified file", "[verify]") {
  ChainFixture fx(3);
  ChainFixture::flip_byte(fx.logs[3].path, 'L', 'l');
  const auto r = fx.verify();
  CHECK(r.counts.files_modified == 1);
  CHECK(r.counts.files_valid == 5);
  REQUIRE(r.modified.size() == 1);
  CHECK(r.modified[0].path == fx.logs[3].path.string());
  CHECK(r.integrity_failed());
}

TEST_CASE("verify: hashes cover the uncompressed bytes, not the gzip stream", "[verify]") {
  ChainFixture fx(2);
  // Same content, different compression: stored bytes change, the log is still valid.
  const std::string content = aiir::test::gunzip_bytes(aiir::test::read_file(fx.logs[1].path));
  const std::string before = aiir::test::read_file(fx.logs[1].path);
  aiir::test::write_file(fx.logs[1].path, aiir::test::gzip_bytes(content) + aiir::test::gzip_bytes(""));
  REQUIRE(aiir::test::read_file(fx.logs[1].path) != before);
  const auto r = fx.verify();
  require_clean_counts(r);
  CHECK(r.counts.files_valid == 4);

  // Truncated gzip: unreadable, and as a listed file it counts as modified.
  const std::string stored = aiir::test::read_file(fx.logs[2].path);
  aiir::test::write_file(fx.logs[2].path, stored.substr(0, stored.size() - 6));
  const auto t = fx.verify();
  CHECK(t.counts.files_modified == 1);
  CHECK(t.unreadable.size() == 1);
  CHECK(t.integrity_failed());
}

TEST_CASE("verify: a deleted log file is missing", "[verify]") {
  ChainFixture fx(3);
  fs::remove(fx.logs[2].path);
  const auto r = fx.verify();
  CHECK(r.counts.files_missing == 1);
  CHECK(r.counts.files_valid == 5);
  REQUIRE(r.missing.size() == 1);
  CHECK(r.missing[0].path == fx.logs[2].key);  // the S3 key from the digest
  CHECK(r.counts.files_modified == 0);
  CHECK(r.integrity_failed());
}

TEST_CASE("verify: a log file found by name alone still matches", "[verify]") {
  ChainFixture fx(2);
  // Flattened export (no AWSLogs/ level): match on the file name.
  const fs::path flat = fx.root / "flat";
  fs::create_directories(flat);
  for (const auto& item : fx.logs) fs::copy_file(item.path, flat / item.path.filename());
  for (const auto& item : fx.digests) fs::copy_file(item.path, flat / item.path.filename());
  const auto r = aiir::verify_cloudtrail({flat.string()}, {});
  require_clean_counts(r);
  CHECK(r.counts.files_valid == 4);
  CHECK(r.counts.digests_found == 2);
}

TEST_CASE("verify: a digest removed from the chain is a missing digest and a gap", "[verify]") {
  ChainFixture fx(4);
  fs::remove(fx.digests[1].path);
  const auto r = fx.verify(true);
  CHECK(r.counts.digests_missing == 1);
  REQUIRE(r.digests_missing.size() == 1);
  CHECK(r.digests_missing[0].path == fx.digests[1].key);
  CHECK(r.counts.hours_without_digest == 1);
  CHECK(r.counts.chain_breaks == 0);
  CHECK(r.counts.files_unlisted == 2);  // the logs only the removed digest listed
  CHECK(r.counts.files_valid == 6);
  // digest 0's signature was in the removed digest: unavailable, not failed.
  CHECK(r.counts.signatures_checked == 2);
  CHECK(r.counts.signatures_unavailable == 1);
  CHECK(r.counts.signatures_failed == 0);
  CHECK(r.integrity_failed());
}

TEST_CASE("verify: an hour with no digest is a gap, the next digest a chain start", "[verify]") {
  ChainFixture fx(4, {2});  // logging stopped during hour 2
  const auto r = fx.verify(true);
  CHECK(r.counts.hours_without_digest == 1);
  REQUIRE(r.gaps.size() == 1);
  CHECK(r.gaps[0].path == "111122223333/us-east-1/org_main-trail");
  CHECK(r.gaps[0].detail.find("2024-03-01T02:00:00Z to 2024-03-01T03:00:00Z") != std::string::npos);
  CHECK(r.counts.digests_missing == 0);
  CHECK(r.counts.chain_breaks == 0);
  CHECK(r.counts.chain_starts == 2);
  CHECK(r.counts.files_valid == 6);
  // The digest before the gap is the newest of its chain: no successor carries
  // its signature, and --signatures only names the overall newest one.
  CHECK(r.counts.signatures_checked == 2);
  CHECK(r.counts.signatures_failed == 0);
  CHECK(r.counts.signatures_unavailable == 1);
  CHECK(r.signatures_unavailable.at(0).path == fx.digests[1].path.string());
  CHECK(r.integrity_failed());

  ChainFixture contiguous(4);  // near-miss: contiguous windows are no gap
  CHECK(contiguous.verify().counts.hours_without_digest == 0);
}

TEST_CASE("verify: a present log file in no digest is unlisted", "[verify]") {
  ChainFixture fx(3);
  const fs::path extra = add_unlisted_log(fx, "111122223333_CloudTrail_us-east-1_20240301T0150Z_Forged0000000000.json.gz");
  // Near-misses: files that are not CloudTrail logs are not "unlisted".
  aiir::test::write_file(fx.export_dir / "notes.txt", "collected by IR team");
  aiir::test::write_file(fx.export_dir / "config.json", "{\"configurationItems\":[]}");
  const auto r = fx.verify();
  CHECK(r.counts.files_unlisted == 1);
  REQUIRE(r.unlisted.size() == 1);
  CHECK(r.unlisted[0].path == extra.string());
  CHECK(r.counts.files_valid == 6);
  CHECK_FALSE(r.integrity_failed());  // can be normal (after the newest digest)

  aiir::VerifyOptions strict;
  strict.unlisted_fails = true;
  CHECK(aiir::verify_cloudtrail({fx.export_dir.string()}, strict).integrity_failed());
}

TEST_CASE("verify: a tampered signature fails", "[verify]") {
  ChainFixture fx(3);
  std::string sig = fx.signatures.back();
  sig[10] = sig[10] == '0' ? '1' : '0';
  fx.write_signatures(sig);
  const auto r = fx.verify(true);
  CHECK(r.counts.signatures_checked == 3);
  CHECK(r.counts.signatures_failed == 1);
  REQUIRE(r.signature_failures.size() == 1);
  CHECK(r.signature_failures[0].path == fx.digests.back().path.string());
  CHECK(r.counts.files_valid == 6);
  CHECK(r.integrity_failed());
  // Without keys the same export passes, and the report says signatures were not checked.
  const auto unchecked = fx.verify(false);
  CHECK_FALSE(unchecked.integrity_failed());
  std::string text;
  aiir::write_verify_text(unchecked, text);
  CHECK(text.find("signatures:   NOT CHECKED") != std::string::npos);
}

TEST_CASE("verify: a signature from another key fails", "[verify]") {
  ChainFixture fx(2);
  // Same fingerprint, different key: generate a second key and publish it instead.
  EVP_PKEY* other = EVP_RSA_gen(2048);
  REQUIRE(other != nullptr);
  unsigned char* der = nullptr;
  const int len = i2d_PublicKey(other, &der);
  const std::string der_bytes(reinterpret_cast<char*>(der), static_cast<std::size_t>(len));
  OPENSSL_free(der);
  EVP_PKEY_free(other);
  aiir::test::write_file(fx.public_keys, "{\"PublicKeyList\":[{\"Value\":\"" + aiir::test::base64(der_bytes) +
                                            "\",\"Fingerprint\":\"" + fx.fingerprint + "\"}]}");
  const auto r = fx.verify(true);
  CHECK(r.counts.signatures_checked == 2);
  CHECK(r.counts.signatures_failed == 2);
  CHECK(r.integrity_failed());
}

TEST_CASE("verify: a modified digest breaks the chain", "[verify]") {
  ChainFixture fx(3);
  ChainFixture::flip_byte(fx.digests[1].path, 'S', 's');  // "SHA-256" -> "sHA-256" in logFiles
  const auto r = fx.verify(true);
  CHECK(r.counts.chain_breaks == 1);
  REQUIRE(r.chain_breaks.size() == 1);
  CHECK(r.chain_breaks[0].path == fx.digests[1].path.string());
  CHECK(r.counts.files_valid == 6);  // the log hashes themselves still match
  CHECK(r.counts.signatures_failed == 1);
  CHECK(r.signature_failures.at(0).path == fx.digests[1].path.string());
  CHECK(r.integrity_failed());
}

TEST_CASE("verify: JSON output is one object with counts, problem paths and regions", "[verify]") {
  ChainFixture fx(3);
  ChainFixture::flip_byte(fx.logs[0].path, 'L', 'l');
  fs::remove(fx.logs[5].path);
  const auto r = fx.verify();
  std::string out;
  aiir::write_verify_json(r, out);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  REQUIRE(parser.parse(out).get(doc) == simdjson::SUCCESS);
  for (const char* key : {"files_valid", "files_modified", "files_missing", "files_unlisted",
                          "digests_missing", "chain_breaks", "hours_without_digest", "signatures_checked",
                          "signatures_failed"}) {
    INFO(key);
    CHECK(doc[key].is_uint64());
  }
  CHECK(uint64_t(doc["files_valid"]) == 4);
  CHECK(uint64_t(doc["files_modified"]) == 1);
  CHECK(uint64_t(doc["files_missing"]) == 1);
  CHECK(std::string_view(doc["signatures"]) == "not_checked");
  CHECK(bool(doc["integrity_failed"]));
  CHECK(std::string_view(doc["problems"]["files_modified"].at(0)["path"]) == fx.logs[0].path.string());
  CHECK(std::string_view(doc["problems"]["files_missing"].at(0)["path"]) == fx.logs[5].key);
  CHECK(std::string_view(doc["regions"].at(0)["region"]) == "us-east-1");
  CHECK(uint64_t(doc["regions"].at(0)["files_modified"]) == 1);
  CHECK(out.find('\n') == std::string::npos);
}

TEST_CASE("verify: hostile file names cannot drive the terminal or break the JSON", "[verify]") {
  ChainFixture fx(2);
  add_unlisted_log(fx, "111122223333_CloudTrail_us-east-1_\x1b]8;;http:evil\x07\x1b[31m\"_x.json.gz");
  const auto r = fx.verify();
  REQUIRE(r.counts.files_unlisted == 1);
  std::string text;
  aiir::write_verify_text(r, text);
  CHECK(text.find('\x1b') == std::string::npos);
  CHECK(text.find('\x07') == std::string::npos);
  CHECK(text.find("\\e[31m") != std::string::npos);
  std::string json;
  aiir::write_verify_json(r, json);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  REQUIRE(parser.parse(json).get(doc) == simdjson::SUCCESS);
  CHECK(std::string_view(doc["problems"]["files_unlisted"].at(0)["path"]) == r.unlisted[0].path);
}

TEST_CASE("verify: setup errors throw, per-file problems do not", "[verify]") {
  CHECK_THROWS_AS(aiir::verify_cloudtrail({"/nonexistent/aiir/export"}, {}), aiir::Error);
  ChainFixture fx(1);
  aiir::test::write_file(fx.public_keys, "{\"keys\":[]}");
  aiir::VerifyOptions options;
  options.public_keys_path = fx.public_keys.string();
  CHECK_THROWS_AS(aiir::verify_cloudtrail({fx.export_dir.string()}, options), aiir::Error);
  aiir::test::write_file(fx.public_keys, "{\"PublicKeyList\":[{\"Value\":\"bm90IGEga2V5\",\"Fingerprint\":\"ab\"}]}");
  CHECK_THROWS_AS(aiir::verify_cloudtrail({fx.export_dir.string()}, options), aiir::Error);
  // A garbage .gz in the export is unreadable, not fatal.
  aiir::test::write_file(fx.export_dir / "junk.json.gz", std::string("\x1f\x8b\x08garbage", 10));
  const auto r = aiir::verify_cloudtrail({fx.export_dir.string()}, {});
  CHECK(r.unreadable.size() == 1);
  CHECK_FALSE(r.integrity_failed());
}

TEST_CASE("verify helpers: key suffix", "[verify]") {
  using aiir::detail::key_suffix;
  CHECK(key_suffix("bucket/prefix/AWSLogs/1/CloudTrail/x.gz") == "AWSLogs/1/CloudTrail/x.gz");
  CHECK(key_suffix("/AWSLogs/a/AWSLogs/b") == "AWSLogs/b");
  CHECK(key_suffix("prefix/MyAWSLogs/1/x.gz").empty());  // near-miss: not a path component
  CHECK(key_suffix("AWSLogs/1/x").size() == 11);
  CHECK(key_suffix("export.zip!/AWSLogs/1/x") == "AWSLogs/1/x");  // a zip member's input name
}

TEST_CASE("verify: files are read like the scan's: damaged, over the cap or stdin", "[verify]") {
  ChainFixture fx(2);
  // A log cut short: what inflated is not the file the digest hashed. It is unreadable,
  // and as a listed file it fails the check as modified, with the reason.
  const std::string gz = aiir::test::read_file(fx.logs[1].path);
  aiir::test::write_file(fx.logs[1].path, gz.substr(0, gz.size() - 6));
  aiir::VerifyResult r = fx.verify();
  REQUIRE(r.unreadable.size() == 1);
  CHECK(r.unreadable[0].path == fx.logs[1].path.string());
  CHECK(r.unreadable[0].detail == "corrupt gzip");
  REQUIRE(r.modified.size() == 1);
  CHECK(r.modified[0].detail == "corrupt gzip");
  CHECK(r.integrity_failed());
  aiir::test::write_file(fx.logs[1].path, gz);
  aiir::VerifyOptions small;
  small.max_inflated_bytes = 64;  // every file is larger
  r = aiir::verify_cloudtrail({fx.export_dir.string()}, small);
  CHECK(r.unreadable.size() == r.files_read);
  CHECK(std::all_of(r.unreadable.begin(), r.unreadable.end(),
                    [](const aiir::VerifyProblem& p) { return p.detail == "inflated size above the cap"; }));
  CHECK_THROWS_AS(aiir::verify_cloudtrail({"-"}, {}), aiir::Error);
}
