// SPDX-License-Identifier: Apache-2.0
// Test helper: writes a signed CloudTrail digest chain (gzipped logs + digests) into a temp dir at run time.
#pragma once

#include <libdeflate.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "source/reader.h"
#include "util/sha256.h"
#include "verify/verify.h"

namespace aiir::test {

namespace fs = std::filesystem;

inline std::string gzip_bytes(const std::string& data) {
  libdeflate_compressor* c = libdeflate_alloc_compressor(6);
  std::string out(libdeflate_gzip_compress_bound(c, data.size()), '\0');
  const std::size_t n = libdeflate_gzip_compress(c, data.data(), data.size(), out.data(), out.size());
  libdeflate_free_compressor(c);
  if (n == 0) throw std::runtime_error("gzip failed");
  out.resize(n);
  return out;
}

inline std::string gunzip_bytes(const std::string& gz) {
  FileReader reader(std::uint64_t{1} << 26);
  PaddedBuffer out;
  std::string error;
  if (!reader.inflate(gz, out, error)) throw std::runtime_error("gunzip: " + error);
  return std::string(out.view());
}

inline std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void write_file(const fs::path& p, const std::string& bytes) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary | std::ios::trunc) << bytes;
}

inline std::string base64(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

/// One RSA-2048 key for the whole test run (generation takes a moment).
inline EVP_PKEY* test_key() {
  static std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_RSA_gen(2048), &EVP_PKEY_free);
  if (!key) throw std::runtime_error("RSA key generation failed");
  return key.get();
}

inline std::string sign_hex(const std::string& message) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  std::size_t len = 0;
  EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, test_key());
  EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(message.data()), message.size());
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1) {
    EVP_MD_CTX_free(ctx);
    throw std::runtime_error("sign failed");
  }
  EVP_MD_CTX_free(ctx);
  sig.resize(len);
  return to_hex(sig);
}

/// A CloudTrail export: `hours` hourly digests for one account, region and
/// trail, two log files per hour (the first one written as a two-member gzip),
/// each digest chained to the previous one and signed. Hours in `stopped`
/// have neither logs nor a digest (logging stopped); the digest after them is
/// a starting digest, as CloudTrail writes it.
class ChainFixture {
 public:
  struct Item {
    fs::path path;
    std::string key;  // S3 key
  };

  std::string account = "111122223333";
  std::string region = "us-east-1";
  std::string trail = "org_main-trail";  // '_' in the trail name on purpose
  std::string bucket = "evidence-bucket";
  std::string fingerprint;
  fs::path root;    // temp dir (removed by the destructor)
  fs::path export_dir;
  std::vector<Item> logs;
  std::vector<Item> digests;         // oldest first
  std::vector<std::string> signatures;  // per digest
  fs::path public_keys;
  fs::path signatures_file;

  explicit ChainFixture(int hours, std::set<int> stopped = {}) {
    std::string tmpl = (fs::temp_directory_path() / "aiir-verify-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp");
    root = tmpl;
    export_dir = root / "export";
    unsigned char* der = nullptr;
    const int der_len = i2d_PublicKey(test_key(), &der);
    const std::string der_bytes(reinterpret_cast<char*>(der), static_cast<std::size_t>(der_len));
    OPENSSL_free(der);
    fingerprint = sha256_hex(der_bytes).substr(0, 32);

    std::string prev_key, prev_hash, prev_sig;
    bool have_prev = false;
    for (int h = 0; h < hours; ++h) {
      if (stopped.count(h) != 0) {
        have_prev = false;
        continue;
      }
      std::string listed;
      for (int k = 0; k < 2; ++k) {
        const std::string stamp = fmt_time(h, k == 0 ? 5 : 35, 0);
        const std::string name = account + "_CloudTrail_" + region + "_" + compact(h, k == 0 ? 5 : 35) +
                                 "Z_AbCdEfGh" + std::to_string(h) + std::to_string(k) + "xyz.json.gz";
        const std::string key = "prefix/AWSLogs/" + account + "/CloudTrail/" + region + "/2024/03/01/" + name;
        const std::string content = "{\"Records\":[{\"eventVersion\":\"1.08\",\"eventTime\":\"" + stamp +
                                    "\",\"eventName\":\"ListBuckets\",\"n\":" + std::to_string(h * 10 + k) +
                                    "}]}";
        std::string stored;
        if (k == 0) {  // two gzip members
          stored = gzip_bytes(content.substr(0, content.size() / 2)) +
                   gzip_bytes(content.substr(content.size() / 2));
        } else {
          stored = gzip_bytes(content);
        }
        write_file(export_dir / bucket / key, stored);
        logs.push_back({export_dir / bucket / key, key});
        if (!listed.empty()) listed += ',';
        listed += "{\"s3Bucket\":\"" + bucket + "\",\"s3Object\":\"" + key + "\",\"hashValue\":\"" +
                  sha256_hex(content) + "\",\"hashAlgorithm\":\"SHA-256\",\"newestEventTime\":\"" + stamp +
                  "\",\"oldestEventTime\":\"" + stamp + "\"}";
      }
      const std::string end = fmt_time(h + 1, 0, 0);
      const std::string name = account + "_CloudTrail-Digest_" + region + "_" + trail + "_" + region + "_" +
                               compact(h + 1, 0) + "00Z.json.gz";
      const std::string key =
          "prefix/AWSLogs/" + account + "/CloudTrail-Digest/" + region + "/2024/03/01/" + name;
      auto q = [](const std::string& s) { return "\"" + s + "\""; };
      const std::string json =
          "{\"awsAccountId\":" + q(account) + ",\"digestStartTime\":" + q(fmt_time(h, 0, 0)) +
          ",\"digestEndTime\":" + q(end) + ",\"digestS3Bucket\":" + q(bucket) + ",\"digestS3Object\":" + q(key) +
          ",\"digestPublicKeyFingerprint\":" + q(fingerprint) +
          ",\"digestSignatureAlgorithm\":\"SHA256withRSA\",\"newestEventTime\":" + q(fmt_time(h, 35, 0)) +
          ",\"oldestEventTime\":" + q(fmt_time(h, 5, 0)) +
          ",\"previousDigestS3Bucket\":" + (have_prev ? q(bucket) : "null") +
          ",\"previousDigestS3Object\":" + (have_prev ? q(prev_key) : "null") +
          ",\"previousDigestHashValue\":" + (have_prev ? q(prev_hash) : "null") +
          ",\"previousDigestHashAlgorithm\":" + (have_prev ? q("SHA-256") : "null") +
          ",\"previousDigestSignature\":" + (have_prev ? q(prev_sig) : "null") + ",\"logFiles\":[" + listed +
          "]}";
      const std::string hash = sha256_hex(json);
      const std::string sig = sign_hex(end + "\n" + bucket + "/" + key + "\n" + hash + "\n" +
                                       (have_prev ? prev_sig : std::string("null")));
      write_file(export_dir / bucket / key, gzip_bytes(json));
      digests.push_back({export_dir / bucket / key, key});
      signatures.push_back(sig);
      prev_key = key;
      prev_hash = hash;
      prev_sig = sig;
      have_prev = true;
    }

    public_keys = root / "public-keys.json";
    write_file(public_keys, "{\"PublicKeyList\":[{\"Value\":\"" + base64(der_bytes) +
                                "\",\"ValidityStartTime\":\"2024-01-01T00:00:00Z\","
                                "\"ValidityEndTime\":\"2025-01-01T00:00:00Z\",\"Fingerprint\":\"" +
                                fingerprint + "\"}]}");
    signatures_file = root / "signatures.json";
    write_signatures(signatures.back());
  }

  ~ChainFixture() {
    std::error_code ec;
    fs::remove_all(root, ec);
  }
  ChainFixture(const ChainFixture&) = delete;
  ChainFixture& operator=(const ChainFixture&) = delete;

  /// The signatures file: the newest digest's key -> `sig`.
  void write_signatures(const std::string& sig) {
    write_file(signatures_file, "{\"" + digests.back().key + "\":\"" + sig + "\"}");
  }

  /// Changes one byte of the uncompressed content of `file` and re-gzips it.
  static void flip_byte(const fs::path& file, char from, char to) {
    std::string content = gunzip_bytes(read_file(file));
    const auto at = content.rfind(from);
    if (at == std::string::npos) throw std::runtime_error("byte not found");
    content[at] = to;
    write_file(file, gzip_bytes(content));
  }

  VerifyResult verify(bool with_keys = false) const {
    VerifyOptions options;
    if (with_keys) {
      options.public_keys_path = public_keys.string();
      options.signatures_path = signatures_file.string();
    }
    return verify_cloudtrail({export_dir.string()}, options);
  }

 private:
  static std::string two(int v) {
    std::string s = std::to_string(v);
    if (s.size() < 2) s.insert(s.begin(), '0');
    return s;
  }
  static std::string fmt_time(int h, int m, int s) {
    return "2024-03-01T" + two(h) + ":" + two(m) + ":" + two(s) + "Z";
  }
  static std::string compact(int h, int m) { return "20240301T" + two(h) + two(m); }
};

}  // namespace aiir::test
