// SPDX-License-Identifier: Apache-2.0
// The evidence manifest: rule-pack hashing and the aiir.manifest/1 writer.
#include "scan/manifest.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "report/json_out.h"
#include "util/escape.h"
#include "util/sha256.h"

namespace aiir {
namespace {

bool is_rule_file(const std::filesystem::path& p) {
  std::string ext = p.extension().string();
  return ext == ".yml" || ext == ".yaml";
}

bool read_file(const std::filesystem::path& p, std::string& out) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return false;
  out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return !in.bad();
}

/// POSIX shell quoting, so the command line can be pasted back.
std::string shell_quote(const std::string& arg) {
  if (!arg.empty() && arg.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                                            "@%+=:,./-_") == std::string::npos)
    return arg;
  std::string out = "'";
  for (char c : arg) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  out += '\'';
  return out;
}

}  // namespace

std::string rule_source_sha256(const std::string& path, std::size_t& files) {
  namespace fs = std::filesystem;
  files = 0;
  std::error_code ec;
  std::vector<std::pair<std::string, fs::path>> found;  // (relative path, full path)
  if (fs::is_directory(path, ec)) {
    fs::recursive_directory_iterator it(path, fs::directory_options::skip_permission_denied, ec), end;
    if (ec) return {};
    for (; it != end; it.increment(ec)) {
      if (ec) return {};
      if (it->is_regular_file(ec) && is_rule_file(it->path()))
        found.emplace_back(it->path().lexically_relative(path).generic_string(), it->path());
    }
  } else if (fs::is_regular_file(path, ec)) {
    found.emplace_back(fs::path(path).filename().generic_string(), fs::path(path));
  } else {
    return {};
  }
  std::sort(found.begin(), found.end());
  Sha256 h;
  std::string text;
  for (const auto& [rel, full] : found) {
    if (!read_file(full, text)) return {};
    h.update(rel);
    h.update(std::string_view("\0", 1));
    h.update(std::to_string(text.size()));
    h.update(std::string_view("\0", 1));
    h.update(text);
  }
  files = found.size();
  return h.final_hex();
}

std::string rules_sha256(const std::vector<RuleSourceHash>& sources) {
  if (sources.empty()) return {};
  Sha256 h;
  for (const RuleSourceHash& s : sources) {
    h.update(s.sha256);
    h.update("\n");
  }
  return h.final_hex();
}

std::int64_t run_time_ms(bool* pinned) {
  if (pinned) *pinned = false;
  if (const char* sde = std::getenv("SOURCE_DATE_EPOCH"); sde != nullptr && *sde != '\0') {
    char* end = nullptr;
    long long v = std::strtoll(sde, &end, 10);
    if (end != nullptr && *end == '\0' && v >= 0) {
      if (pinned) *pinned = true;
      return v * 1000;
    }
  }
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string format_manifest_json(const Manifest& m) {
  std::string out;
  JsonOut j(out);
  j.begin_object();
  j.key("schema").str(kManifestSchema);
  j.key("tool").begin_object().key("name").str("aiir").key("version").str(m.tool_version).end_object();
  std::string command;
  for (const std::string& a : m.argv) command += (command.empty() ? "" : " ") + shell_quote(a);
  j.key("command").str(command);
  j.key("argv").begin_array();
  for (const std::string& a : m.argv) j.str(a);
  j.end_array();
  j.time_field("started_at", m.started_ms).time_field("finished_at", m.finished_ms);
  j.key("time_source").str(m.time_pinned ? "SOURCE_DATE_EPOCH" : "clock");
  j.key("redaction").begin_object();
  j.key("redacted").boolean(m.redaction.any());
  j.key("secrets_and_pii").boolean(m.redaction.secrets).key("prompts").boolean(m.redaction.prompts);
  j.end_object();

  j.key("rules").begin_object();
  j.key("sha256");
  std::string all = rules_sha256(m.rules);
  if (all.empty()) j.null();
  else j.str(all);
  j.key("sources").begin_array();
  for (const RuleSourceHash& r : m.rules) {
    j.begin_object().key("path").str(r.path).key("files").unum(r.files).key("sha256");
    if (r.sha256.empty()) j.null();
    else j.str(r.sha256);
    j.end_object();
  }
  j.end_array().end_object();

  if (!m.profile_path.empty()) {
    j.key("profile").begin_object().key("path").str(m.profile_path).key("sha256");
    if (m.profile_sha256.empty()) j.null();
    else j.str(m.profile_sha256);
    j.end_object();
  }

  std::uint64_t records = 0, skipped = 0, bytes = 0;
  for (const FileStats& f : m.inputs) records += f.records, skipped += f.skipped, bytes += f.size;
  j.key("inputs").begin_object();
  j.key("files").unum(m.inputs.size()).key("bytes").unum(bytes);
  j.key("records").unum(records).key("records_skipped").unum(skipped);
  j.key("list").begin_array();
  for (const FileStats& f : m.inputs) {
    j.begin_object().key("path").str(f.path);
    // A file name that is not UTF-8 is written with U+FFFD in `path`; the
    // exact bytes stay recoverable (and the replacement is marked) here.
    if (!is_valid_utf8(f.path)) j.key("path_bytes_hex").str(to_hex(f.path));
    j.key("size").unum(f.size).key("sha256");
    if (f.sha256.empty()) j.null();
    else j.str(f.sha256);
    j.key("compressed").boolean(f.compressed).key("inflated").unum(f.inflated);
    j.key("shape").str(f.skipped_by_window ? "not_opened_outside_window" : to_string(f.shape));
    j.key("records").unum(f.records).key("records_skipped").unum(f.skipped);
    j.key("failed").boolean(f.failed);
    j.end_object();
  }
  j.end_array().end_object();

  if (m.integrity) {
    const ManifestIntegrity& v = *m.integrity;
    j.key("integrity").begin_object();
    j.key("failed").boolean(v.failed);
    j.key("signatures").str(v.signatures_checked ? "checked" : "not_checked");
    j.key("files_valid").unum(v.files_valid).key("files_modified").unum(v.files_modified);
    j.key("files_missing").unum(v.files_missing).key("files_unlisted").unum(v.files_unlisted);
    j.key("digests_missing").unum(v.digests_missing).key("chain_breaks").unum(v.chain_breaks);
    j.key("hours_without_digest").unum(v.hours_without_digest).key("signatures_failed").unum(v.signatures_failed);
    j.end_object();
  }

  j.key("outputs").begin_array();
  for (const OutputRecord& o : m.outputs)
    j.begin_object().key("name").str(o.name).key("size").unum(o.size).key("sha256").str(o.sha256).end_object();
  j.end_array();
  j.end_object();
  out += '\n';
  return out;
}

}  // namespace aiir
