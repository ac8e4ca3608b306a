// SPDX-License-Identifier: Apache-2.0
// CloudTrail digest validation: log file hashes, the previous-digest chain, gaps and RSA signatures.
//
// Steps: (1) read every file once, inflate it, SHA-256 the inflated bytes and
// classify it (digest / CloudTrail log / other); (2) group digests by account,
// region and trail; (3) per digest check the listed log files and the link to
// the previous digest, newest to oldest; (4) find hour gaps; (5) with public
// keys, verify each digest's signature. See docs/verify.md.
#include "verify/verify.h"

#include <aiir/error.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <tuple>
#include <simdjson.h>
#include <unordered_map>

#include "source/discover.h"
#include "source/reader.h"
#include "util/open_evidence.h"
#include "util/sha256.h"

namespace aiir {

namespace {

// ------------------------------------------------------------ small helpers

bool read_whole_file(const std::string& path, std::string& out, std::string& error) {
  out.clear();
  const int fd = open_evidence(path);
  if (fd < 0) {
    error = std::strerror(errno);
    return false;
  }
  char buf[1 << 16];
  for (;;) {
    const ssize_t got = ::read(fd, buf, sizeof buf);
    if (got < 0) {
      if (errno == EINTR) continue;
      error = std::strerror(errno);
      ::close(fd);
      return false;
    }
    if (got == 0) break;
    out.append(buf, static_cast<std::size_t>(got));
  }
  ::close(fd);
  return true;
}

std::string_view base_name(std::string_view path) {
  const std::size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

bool equal_hex(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string lower_hex(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool hex_decode(std::string_view hex, std::string& out) {
  if (hex.size() % 2 != 0) return false;
  out.clear();
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return true;
}

/// Seconds since the epoch of an ISO-8601 UTC time ("2024-03-01T05:00:00Z",
/// fractions ignored); nullopt when it does not parse.
std::optional<std::int64_t> parse_iso_utc(std::string_view s) {
  if (s.size() < 19 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':') {
    return std::nullopt;
  }
  auto num = [&](std::size_t at, std::size_t len, int& v) {
    v = 0;
    for (std::size_t i = at; i < at + len; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      v = v * 10 + (s[i] - '0');
    }
    return true;
  };
  int y, mo, d, h, mi, se;
  if (!num(0, 4, y) || !num(5, 2, mo) || !num(8, 2, d) || !num(11, 2, h) || !num(14, 2, mi) ||
      !num(17, 2, se) || mo < 1 || mo > 12 || d < 1 || d > 31) {
    return std::nullopt;
  }
  // days_from_civil (H. Hinnant).
  const int yy = y - (mo <= 2 ? 1 : 0);
  const int era = (yy >= 0 ? yy : yy - 399) / 400;
  const int yoe = yy - era * 400;
  const int doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const std::int64_t days = std::int64_t{era} * 146097 + doe - 719468;
  return days * 86400 + h * 3600 + mi * 60 + se;
}

// ------------------------------------------------------------ the file index

enum class FileKind : std::uint8_t { kOther, kLog, kDigest };

struct FileEntry {
  std::string path;
  std::string suffix;  // from AWSLogs/ on, or ""
  std::string sha256;  // of the inflated bytes; "" when unreadable
  std::string error;   // why unreadable
  FileKind kind = FileKind::kOther;
  bool listed = false;
  std::string account, region;  // for log files, from the file name
};

struct ListedLog {
  std::string key;
  std::string hash;
};

struct Digest {
  std::size_t file = 0;
  std::string account, region, trail;
  std::string bucket, object, start, end, fingerprint;
  std::int64_t start_s = 0, end_s = 0;
  std::optional<std::string> prev_object, prev_hash, prev_signature;
  std::vector<ListedLog> logs;
  std::optional<std::string> signature;  // from the successor or the signatures file
};

/// Index of the export by key suffix and by file name.
class FileIndex {
 public:
  std::vector<FileEntry> files;

  void build() {
    for (std::size_t i = 0; i < files.size(); ++i) {
      if (!files[i].suffix.empty()) by_suffix_.emplace(files[i].suffix, i);
      by_name_[std::string(base_name(files[i].path))].push_back(i);
    }
  }

  /// The file for an S3 key: by suffix from AWSLogs/, else by file name
  /// (preferring a candidate whose hash is `hint` when several share the name).
  std::optional<std::size_t> find(std::string_view key, std::string_view hint) const {
    const std::string_view suffix = detail::key_suffix(key);
    if (!suffix.empty()) {
      auto it = by_suffix_.find(std::string(suffix));
      if (it != by_suffix_.end()) return it->second;
    }
    auto it = by_name_.find(std::string(base_name(key)));
    if (it == by_name_.end() || it->second.empty()) return std::nullopt;
    for (std::size_t idx : it->second) {
      if (!hint.empty() && equal_hex(files[idx].sha256, hint)) return idx;
    }
    return it->second.front();
  }

 private:
  std::unordered_map<std::string, std::size_t> by_suffix_;
  std::unordered_map<std::string, std::vector<std::size_t>> by_name_;
};

/// `<acct>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<rand>.json.gz` (also CloudTrail-Insight).
bool parse_log_name(std::string_view name, std::string& account, std::string& region) {
  for (std::string_view marker : {std::string_view("_CloudTrail_"), std::string_view("_CloudTrail-Insight_")}) {
    const std::size_t at = name.find(marker);
    if (at == std::string_view::npos || at == 0) continue;
    const std::string_view rest = name.substr(at + marker.size());
    const std::size_t us = rest.find('_');
    if (us == std::string_view::npos) continue;
    account = std::string(name.substr(0, at));
    region = std::string(rest.substr(0, us));
    return true;
  }
  return false;
}

/// Region and trail from `<acct>_CloudTrail-Digest_<region>_<trail>_<homeRegion>_<ts>.json.gz`.
void parse_digest_name(std::string_view name, std::string& region, std::string& trail) {
  constexpr std::string_view kMarker = "_CloudTrail-Digest_";
  const std::size_t at = name.find(kMarker);
  if (at == std::string_view::npos) return;
  std::string_view rest = name.substr(at + kMarker.size());
  const std::size_t us = rest.find('_');
  if (us == std::string_view::npos) return;
  region = std::string(rest.substr(0, us));
  rest = rest.substr(us + 1);
  // Drop "_<homeRegion>_<timestamp>.json[.gz]" from the end; the trail name may contain '_'.
  std::size_t last = rest.rfind('_');
  if (last == std::string_view::npos || last == 0) return;
  const std::size_t home = rest.rfind('_', last - 1);
  if (home == std::string_view::npos) return;
  trail = std::string(rest.substr(0, home));
}

/// Region from a key: the segment after "CloudTrail-Digest/".
std::string region_from_key(std::string_view key) {
  constexpr std::string_view kMarker = "/CloudTrail-Digest/";
  const std::size_t at = key.find(kMarker);
  if (at == std::string_view::npos) return {};
  const std::string_view rest = key.substr(at + kMarker.size());
  return std::string(rest.substr(0, rest.find('/')));
}

bool looks_like_records(std::string_view text) {
  std::size_t i = 0;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") i = 3;
  while (i < text.size() && (text[i] == ' ' || text[i] == '\n' || text[i] == '\r' || text[i] == '\t')) ++i;
  if (i >= text.size() || text[i] != '{') return false;
  ++i;
  while (i < text.size() && (text[i] == ' ' || text[i] == '\n' || text[i] == '\r' || text[i] == '\t')) ++i;
  return text.substr(i, 9) == "\"Records\"";
}

std::optional<std::string> optional_string(simdjson::dom::object obj, std::string_view field) {
  std::string_view v;
  if (obj[field].get_string().get(v) != simdjson::SUCCESS) return std::nullopt;
  return std::string(v);
}

/// Parses a digest; false when the text is not a digest object.
/// `text` is padded for simdjson (a FileReader buffer): parsed in place.
bool parse_digest(simdjson::dom::parser& parser, std::string_view text, Digest& d) {
  if (text.find("\"digestStartTime\"") == std::string_view::npos) return false;
  simdjson::dom::element doc;
  if (parser.parse(text.data(), text.size(), false).get(doc) != simdjson::SUCCESS) return false;
  simdjson::dom::object obj;
  if (doc.get_object().get(obj) != simdjson::SUCCESS) return false;
  simdjson::dom::array logs;
  if (obj["logFiles"].get_array().get(logs) != simdjson::SUCCESS) return false;
  auto start = optional_string(obj, "digestStartTime");
  if (!start) return false;
  d.start = *start;
  d.end = optional_string(obj, "digestEndTime").value_or("");
  d.account = optional_string(obj, "awsAccountId").value_or("");
  d.bucket = optional_string(obj, "digestS3Bucket").value_or("");
  d.object = optional_string(obj, "digestS3Object").value_or("");
  d.fingerprint = optional_string(obj, "digestPublicKeyFingerprint").value_or("");
  d.prev_object = optional_string(obj, "previousDigestS3Object");
  d.prev_hash = optional_string(obj, "previousDigestHashValue");
  d.prev_signature = optional_string(obj, "previousDigestSignature");
  if (d.prev_object && d.prev_object->empty()) d.prev_object.reset();
  d.start_s = parse_iso_utc(d.start).value_or(0);
  d.end_s = parse_iso_utc(d.end).value_or(d.start_s);
  for (simdjson::dom::element entry : logs) {
    simdjson::dom::object lf;
    if (entry.get_object().get(lf) != simdjson::SUCCESS) continue;
    ListedLog log;
    log.key = optional_string(lf, "s3Object").value_or("");
    log.hash = optional_string(lf, "hashValue").value_or("");
    if (!log.key.empty()) d.logs.push_back(std::move(log));
  }
  return true;
}

// ------------------------------------------------------------ signatures

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

std::string base64_decode(std::string_view b64) {
  std::string clean;
  for (char c : b64) {
    if (c != '\n' && c != '\r' && c != ' ') clean.push_back(c);
  }
  if (clean.empty() || clean.size() % 4 != 0) return {};
  std::string out(clean.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(clean.data()),
                                static_cast<int>(clean.size()));
  if (n < 0) return {};
  std::size_t len = static_cast<std::size_t>(n);
  // EVP_DecodeBlock keeps the bytes of the '=' padding; drop them.
  if (clean.size() >= 1 && clean[clean.size() - 1] == '=') --len;
  if (clean.size() >= 2 && clean[clean.size() - 2] == '=') --len;
  out.resize(len);
  return out;
}

std::map<std::string, PkeyPtr> load_public_keys(const std::string& path) {
  std::string text, error;
  if (!read_whole_file(path, text, error)) throw Error(path + ": cannot read public keys: " + error);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  simdjson::dom::array list;
  if (parser.parse(text).get(doc) != simdjson::SUCCESS ||
      doc["PublicKeyList"].get_array().get(list) != simdjson::SUCCESS) {
    throw Error(path + ": not the output of `aws cloudtrail list-public-keys` (no PublicKeyList)");
  }
  std::map<std::string, PkeyPtr> keys;
  std::size_t index = 0;
  for (simdjson::dom::element entry : list) {
    std::string_view value, fingerprint;
    if (entry["Value"].get_string().get(value) != simdjson::SUCCESS ||
        entry["Fingerprint"].get_string().get(fingerprint) != simdjson::SUCCESS) {
      throw Error(path + ": PublicKeyList[" + std::to_string(index) + "] lacks Value or Fingerprint");
    }
    const std::string der = base64_decode(value);
    const auto* p = reinterpret_cast<const unsigned char*>(der.data());
    PkeyPtr key(der.empty() ? nullptr : d2i_PublicKey(EVP_PKEY_RSA, nullptr, &p, static_cast<long>(der.size())));
    if (!key) {
      throw Error(path + ": PublicKeyList[" + std::to_string(index) +
                  "].Value is not a base64 DER PKCS#1 RSA public key");
    }
    keys[lower_hex(fingerprint)] = std::move(key);
    ++index;
  }
  return keys;
}

std::map<std::string, std::string> load_signatures(const std::string& path) {
  std::map<std::string, std::string> sigs;
  if (path.empty()) return sigs;
  std::string text, error;
  if (!read_whole_file(path, text, error)) throw Error(path + ": cannot read signatures: " + error);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  simdjson::dom::object obj;
  if (parser.parse(text).get(doc) != simdjson::SUCCESS || doc.get_object().get(obj) != simdjson::SUCCESS) {
    throw Error(path + ": expected a JSON object mapping digest S3 keys to hex signatures");
  }
  for (auto field : obj) {
    std::string_view sig;
    if (field.value.get_string().get(sig) != simdjson::SUCCESS) {
      throw Error(path + ": the signature of " + std::string(field.key) + " is not a string");
    }
    sigs[std::string(field.key)] = std::string(sig);
  }
  return sigs;
}

std::optional<std::string> signature_for(const std::map<std::string, std::string>& sigs, const Digest& d,
                                         const std::string& local_path) {
  auto exact = sigs.find(d.object);
  if (exact != sigs.end()) return exact->second;
  const std::string_view want = detail::key_suffix(d.object);
  const std::string_view name = base_name(local_path);
  for (const auto& [key, sig] : sigs) {
    const std::string_view suffix = detail::key_suffix(key);
    if (!want.empty() && suffix == want) return sig;
    if (base_name(key) == name) return sig;
  }
  return std::nullopt;
}

/// RSA PKCS#1 v1.5 over SHA-256 of the signed string (formats.md §2.2).
bool verify_signature(EVP_PKEY* key, const std::string& message, const std::string& sig_hex) {
  std::string sig;
  if (!hex_decode(sig_hex, sig) || sig.empty()) return false;
  struct CtxFree {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
  };
  std::unique_ptr<EVP_MD_CTX, CtxFree> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1) return false;
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                          reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
}

std::string format_utc(std::int64_t s) {
  // "YYYY-MM-DDTHH:MM:SSZ" from epoch seconds (civil_from_days, H. Hinnant).
  const std::int64_t days = (s >= 0 ? s : s - 86399) / 86400;
  const std::int64_t rem = s - days * 86400;
  const std::int64_t z = days + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const std::int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const std::int64_t m = mp + (mp < 10 ? 3 : -9);
  const std::int64_t y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", y, m, d, rem / 3600, rem % 3600 / 60, rem % 60);
}

void add(VerifyCounts& total, const VerifyCounts& c) {
  total.digests_found += c.digests_found;
  total.chain_starts += c.chain_starts;
  total.files_valid += c.files_valid;
  total.files_modified += c.files_modified;
  total.files_missing += c.files_missing;
  total.files_unlisted += c.files_unlisted;
  total.digests_missing += c.digests_missing;
  total.chain_breaks += c.chain_breaks;
  total.hours_without_digest += c.hours_without_digest;
  total.signatures_checked += c.signatures_checked;
  total.signatures_failed += c.signatures_failed;
  total.signatures_unavailable += c.signatures_unavailable;
}

/// A gap between two digests longer than this is an hour (or more) without digest.
constexpr std::int64_t kGapToleranceSeconds = 600;

}  // namespace

bool VerifyResult::integrity_failed() const noexcept {
  return counts.files_modified != 0 || counts.files_missing != 0 || counts.digests_missing != 0 ||
         counts.chain_breaks != 0 || counts.hours_without_digest != 0 || counts.signatures_failed != 0 ||
         (unlisted_fails && counts.files_unlisted != 0);
}

VerifyResult verify_cloudtrail(const std::vector<std::string>& paths, const VerifyOptions& options) {
  VerifyResult result;
  result.unlisted_fails = options.unlisted_fails;
  std::map<std::string, PkeyPtr> keys;
  std::map<std::string, std::string> supplied_sigs;
  if (!options.public_keys_path.empty()) {
    keys = load_public_keys(options.public_keys_path);
    supplied_sigs = load_signatures(options.signatures_path);
    result.signatures_enabled = true;
  }

  // (1) Read, inflate, hash and classify every file.
  FileIndex index;
  std::vector<Digest> digests;
  {
    // The files and folders are walked, and the files read, by the same source
    // module as `aiir scan` (zip members included, gzip inflated, the evidence
    // opened read-only); a file that cannot be read whole is unreadable here.
    ReadStats walk;
    const DiscoveryResult found = discover_inputs(paths, walk);
    if (!found.roots_missing.empty()) throw Error(found.roots_missing.front() + ": no such file or directory");
    for (const Warning& w : walk.warnings) result.unreadable.push_back({w.path, "cannot list: " + w.detail});
    FileReader reader(options.max_inflated_bytes);
    simdjson::dom::parser parser;
    for (const InputFile& file : found.files) {
      if (file.is_stdin) throw Error("verify reads files and folders, not stdin");
      const std::string& path = file.path;
      FileEntry entry;
      entry.path = path;
      entry.suffix = std::string(detail::key_suffix(path));
      ++result.files_read;
      ReadStats read_stats;
      const ReadResult read = reader.read(file, read_stats);
      if (!read.ok || !read_stats.warnings.empty()) {
        const Warning* w = read_stats.warnings.empty() ? nullptr : &read_stats.warnings.front();
        if (w == nullptr) entry.error = "cannot read";
        else if (w->kind == WarningKind::kOverCap) entry.error = "inflated size above the cap";
        else if (w->kind == WarningKind::kGzipCorrupt) entry.error = "corrupt gzip";
        else entry.error = "cannot read: " + w->detail;
        result.unreadable.push_back({path, entry.error});
        index.files.push_back(std::move(entry));
        continue;
      }
      const std::string_view content = read.text;
      entry.sha256 = sha256_hex(content);
      const std::string_view name = base_name(path);
      Digest d;
      if (parse_digest(parser, content, d)) {
        entry.kind = FileKind::kDigest;
        d.file = index.files.size();
        if (d.region.empty()) d.region = region_from_key(d.object);
        std::string name_region;
        parse_digest_name(base_name(d.object.empty() ? path : d.object), name_region, d.trail);
        if (d.region.empty()) d.region = name_region;
        if (d.region.empty()) d.region = "unknown";
        if (d.account.empty()) d.account = "unknown";
        digests.push_back(std::move(d));
      } else if (looks_like_records(content)) {
        entry.kind = FileKind::kLog;
        if (!parse_log_name(name, entry.account, entry.region)) {
          entry.account = "unknown";
          entry.region = "unknown";
        }
      } else if (std::string tmp_a, tmp_r; parse_log_name(name, tmp_a, tmp_r) &&
                                           name.find("_CloudTrail-Digest_") == std::string_view::npos) {
        // Named like a log file but not {"Records":...}: still a log file for listing purposes.
        entry.kind = FileKind::kLog;
        entry.account = tmp_a;
        entry.region = tmp_r;
      }
      index.files.push_back(std::move(entry));
    }
  }
  index.build();

  // (2) Group digests by account, region, trail; newest first inside a chain.
  std::map<std::pair<std::string, std::string>, VerifyRegion> regions;
  std::map<std::tuple<std::string, std::string, std::string>, std::vector<std::size_t>> chains;
  std::unordered_map<std::size_t, std::size_t> digest_by_file;
  for (std::size_t i = 0; i < digests.size(); ++i) {
    digest_by_file.emplace(digests[i].file, i);
    chains[{digests[i].account, digests[i].region, digests[i].trail}].push_back(i);
  }

  for (auto& [chain_key, members] : chains) {
    const auto& [account, region_name, trail] = chain_key;
    VerifyRegion& region = regions[{account, region_name}];
    region.account = account;
    region.region = region_name;
    if (std::find(region.trails.begin(), region.trails.end(), trail) == region.trails.end()) {
      region.trails.push_back(trail);
    }
    VerifyCounts& c = region.counts;
    std::sort(members.begin(), members.end(), [&](std::size_t a, std::size_t b) {
      if (digests[a].end_s != digests[b].end_s) return digests[a].end_s > digests[b].end_s;
      return index.files[digests[a].file].path < index.files[digests[b].file].path;
    });

    // (3) Log files and chain links, newest to oldest.
    for (std::size_t di : members) {
      Digest& d = digests[di];
      const std::string& dpath = index.files[d.file].path;
      ++c.digests_found;
      if (region.first_digest_start.empty() || d.start < region.first_digest_start) {
        region.first_digest_start = d.start;
      }
      if (d.end > region.last_digest_end) region.last_digest_end = d.end;

      for (const ListedLog& log : d.logs) {
        const auto found = index.find(log.key, log.hash);
        if (!found) {
          ++c.files_missing;
          result.missing.push_back({log.key, "listed in " + dpath});
          continue;
        }
        FileEntry& f = index.files[*found];
        f.listed = true;
        if (!f.error.empty()) {
          ++c.files_modified;
          result.modified.push_back({f.path, f.error});
        } else if (equal_hex(f.sha256, log.hash)) {
          ++c.files_valid;
        } else {
          ++c.files_modified;
          result.modified.push_back({f.path, "SHA-256 " + f.sha256 + ", digest says " + lower_hex(log.hash)});
        }
      }

      if (!d.prev_object) {
        ++c.chain_starts;
        result.chain_starts.push_back({dpath, "starting digest (no previous digest)"});
        continue;
      }
      const auto prev = index.find(*d.prev_object, d.prev_hash.value_or(""));
      if (!prev) {
        ++c.digests_missing;
        result.digests_missing.push_back({*d.prev_object, "previous digest of " + dpath});
        continue;
      }
      const FileEntry& p = index.files[*prev];
      if (!p.error.empty()) {
        ++c.chain_breaks;
        result.chain_breaks.push_back({p.path, p.error + " (previous digest of " + dpath + ")"});
      } else if (!equal_hex(p.sha256, d.prev_hash.value_or(""))) {
        ++c.chain_breaks;
        result.chain_breaks.push_back({p.path, "SHA-256 " + p.sha256 + ", " + dpath + " says " +
                                                   lower_hex(d.prev_hash.value_or("null"))});
      }
      // Whatever the hash says, the successor carries the signature of this previous digest.
      const auto prev_digest = digest_by_file.find(*prev);
      if (prev_digest != digest_by_file.end() && d.prev_signature) {
        digests[prev_digest->second].signature = d.prev_signature;
      }
    }

    // (4) Hours without digest between the chain's first and last digest.
    std::vector<std::size_t> by_start(members.rbegin(), members.rend());
    std::sort(by_start.begin(), by_start.end(),
              [&](std::size_t a, std::size_t b) { return digests[a].start_s < digests[b].start_s; });
    for (std::size_t k = 1; k < by_start.size(); ++k) {
      const Digest& before = digests[by_start[k - 1]];
      const Digest& after = digests[by_start[k]];
      const std::int64_t gap = after.start_s - before.end_s;
      if (gap <= kGapToleranceSeconds) continue;
      const std::uint64_t hours = std::max<std::uint64_t>(1, static_cast<std::uint64_t>((gap + 1800) / 3600));
      c.hours_without_digest += hours;
      result.gaps.push_back({account + "/" + region_name + "/" + trail,
                             format_utc(before.end_s) + " to " + format_utc(after.start_s) + " (" +
                                 std::to_string(hours) + " h without digest)"});
    }

    // (5) Signatures.
    if (result.signatures_enabled) {
      for (std::size_t di : members) {
        Digest& d = digests[di];
        const FileEntry& f = index.files[d.file];
        if (!d.signature) d.signature = signature_for(supplied_sigs, d, f.path);
        if (!d.signature) {
          ++c.signatures_unavailable;
          result.signatures_unavailable.push_back({f.path, "no successor digest carries its signature and --signatures does not name it"});
          continue;
        }
        ++c.signatures_checked;
        auto key = keys.find(lower_hex(d.fingerprint));
        if (key == keys.end()) {
          ++c.signatures_failed;
          result.signature_failures.push_back({f.path, "no public key with fingerprint " + d.fingerprint});
          continue;
        }
        const std::string message = d.end + "\n" + d.bucket + "/" + d.object + "\n" + f.sha256 + "\n" +
                                    d.prev_signature.value_or("null");
        if (!verify_signature(key->second.get(), message, *d.signature)) {
          ++c.signatures_failed;
          result.signature_failures.push_back({f.path, "RSA signature does not verify"});
        }
      }
    }
  }

  // Log files present but listed in no digest.
  for (const FileEntry& f : index.files) {
    if (f.kind != FileKind::kLog || f.listed) continue;
    VerifyRegion& region = regions[{f.account, f.region}];
    region.account = f.account;
    region.region = f.region;
    ++region.counts.files_unlisted;
    result.unlisted.push_back({f.path, "log file in no digest"});
  }

  for (auto& [key, region] : regions) {
    std::sort(region.trails.begin(), region.trails.end());
    add(result.counts, region.counts);
    result.regions.push_back(std::move(region));
  }
  auto by_path = [](const VerifyProblem& a, const VerifyProblem& b) {
    return a.path != b.path ? a.path < b.path : a.detail < b.detail;
  };
  for (auto* list : {&result.modified, &result.missing, &result.unlisted, &result.digests_missing,
                     &result.chain_breaks, &result.gaps, &result.signature_failures,
                     &result.signatures_unavailable, &result.chain_starts, &result.unreadable}) {
    std::sort(list->begin(), list->end(), by_path);
  }
  return result;
}

namespace detail {

std::string_view key_suffix(std::string_view key) noexcept {
  constexpr std::string_view kMarker = "AWSLogs/";
  std::size_t at = key.rfind(kMarker);
  while (at != std::string_view::npos && at != 0 && key[at - 1] != '/') {
    at = key.rfind(kMarker, at - 1);
  }
  return at == std::string_view::npos ? std::string_view{} : key.substr(at);
}

}  // namespace detail

}  // namespace aiir
