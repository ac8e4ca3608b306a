// SPDX-License-Identifier: Apache-2.0
// JSON and text renderings of a VerifyResult; every path and detail is escaped for its target.
#include <fmt/format.h>

#include "util/escape.h"
#include "verify/verify.h"

namespace aiir {

namespace {

struct ProblemList {
  std::string_view name;   // JSON key
  std::string_view label;  // text label
  const std::vector<VerifyProblem>* list;
};

std::vector<ProblemList> problem_lists(const VerifyResult& r) {
  return {
      {"files_modified", "MODIFIED", &r.modified},
      {"files_missing", "MISSING", &r.missing},
      {"files_unlisted", "UNLISTED", &r.unlisted},
      {"digests_missing", "DIGEST MISSING", &r.digests_missing},
      {"chain_breaks", "CHAIN BREAK", &r.chain_breaks},
      {"hours_without_digest", "NO DIGEST", &r.gaps},
      {"signatures_failed", "BAD SIGNATURE", &r.signature_failures},
      {"signatures_unavailable", "NO SIGNATURE", &r.signatures_unavailable},
      {"files_unreadable", "UNREADABLE", &r.unreadable},
      {"chain_starts", "CHAIN START", &r.chain_starts},
  };
}

void json_key(std::string& out, std::string_view key) {
  out += '"';
  out += key;
  out += "\":";
}

void json_counts(std::string& out, const VerifyCounts& c) {
  out += fmt::format(
      "\"files_valid\":{},\"files_modified\":{},\"files_missing\":{},\"files_unlisted\":{},"
      "\"digests_missing\":{},\"chain_breaks\":{},\"hours_without_digest\":{},"
      "\"signatures_checked\":{},\"signatures_failed\":{},\"signatures_unavailable\":{},"
      "\"digests_found\":{},\"chain_starts\":{}",
      c.files_valid, c.files_modified, c.files_missing, c.files_unlisted, c.digests_missing,
      c.chain_breaks, c.hours_without_digest, c.signatures_checked, c.signatures_failed,
      c.signatures_unavailable, c.digests_found, c.chain_starts);
}

}  // namespace

void write_verify_json(const VerifyResult& r, std::string& out) {
  out += '{';
  json_counts(out, r.counts);
  out += fmt::format(",\"files_read\":{},\"files_unreadable\":{},", r.files_read, r.unreadable.size());
  json_key(out, "signatures");
  out += r.signatures_enabled ? "\"checked\"" : "\"not_checked\"";
  out += ',';
  json_key(out, "integrity_failed");
  out += r.integrity_failed() ? "true" : "false";
  out += ',';
  json_key(out, "problems");
  out += '{';
  bool first_list = true;
  for (const auto& pl : problem_lists(r)) {
    if (!first_list) out += ',';
    first_list = false;
    json_key(out, pl.name);
    out += '[';
    bool first = true;
    for (const auto& p : *pl.list) {
      if (!first) out += ',';
      first = false;
      out += "{\"path\":";
      append_json_string(out, p.path);
      out += ",\"detail\":";
      append_json_string(out, p.detail);
      out += '}';
    }
    out += ']';
  }
  out += "},";
  json_key(out, "regions");
  out += '[';
  bool first_region = true;
  for (const auto& region : r.regions) {
    if (!first_region) out += ',';
    first_region = false;
    out += "{\"account\":";
    append_json_string(out, region.account);
    out += ",\"region\":";
    append_json_string(out, region.region);
    out += ",\"trails\":[";
    for (std::size_t i = 0; i < region.trails.size(); ++i) {
      if (i != 0) out += ',';
      append_json_string(out, region.trails[i]);
    }
    out += "],\"first_digest_start\":";
    append_json_string(out, region.first_digest_start);
    out += ",\"last_digest_end\":";
    append_json_string(out, region.last_digest_end);
    out += ',';
    json_counts(out, region.counts);
    out += '}';
  }
  out += "]}";
}

void write_verify_text(const VerifyResult& r, std::string& out) {
  const VerifyCounts& c = r.counts;
  out += "CloudTrail log file integrity (offline validation)\n";
  out += fmt::format("  files read:   {} ({} unreadable)\n", r.files_read, r.unreadable.size());
  out += fmt::format("  digests:      {} read, {} chain start(s)\n", c.digests_found, c.chain_starts);
  out += fmt::format("  log files:    {} valid, {} modified, {} missing, {} unlisted\n", c.files_valid,
                     c.files_modified, c.files_missing, c.files_unlisted);
  out += fmt::format("  chain:        {} digest(s) missing, {} break(s), {} hour(s) without digest\n",
                     c.digests_missing, c.chain_breaks, c.hours_without_digest);
  if (r.signatures_enabled) {
    out += fmt::format("  signatures:   {} checked, {} failed, {} not available\n", c.signatures_checked,
                       c.signatures_failed, c.signatures_unavailable);
  } else {
    out += "  signatures:   NOT CHECKED (give --public-keys, and --signatures for the newest digests)\n";
  }
  if (!r.regions.empty()) out += "\nPer account and region:\n";
  for (const auto& region : r.regions) {
    out += "  ";
    append_terminal(out, region.account);
    out += ' ';
    append_terminal(out, region.region);
    if (!region.trails.empty()) {
      out += " (trail";
      for (const auto& t : region.trails) {
        out += ' ';
        append_terminal(out, t);
      }
      out += ')';
    }
    const VerifyCounts& rc = region.counts;
    out += fmt::format(
        ": {} digest(s), {} valid, {} modified, {} missing, {} unlisted, {} digest(s) missing, "
        "{} break(s), {} hour(s) without digest",
        rc.digests_found, rc.files_valid, rc.files_modified, rc.files_missing, rc.files_unlisted,
        rc.digests_missing, rc.chain_breaks, rc.hours_without_digest);
    if (r.signatures_enabled) {
      out += fmt::format(", signatures {} checked / {} failed", rc.signatures_checked, rc.signatures_failed);
    }
    if (!region.first_digest_start.empty()) {
      out += ", ";
      append_terminal(out, region.first_digest_start);
      out += " to ";
      append_terminal(out, region.last_digest_end);
    }
    out += '\n';
  }
  bool header = false;
  for (const auto& pl : problem_lists(r)) {
    for (const auto& p : *pl.list) {
      if (!header) {
        out += "\nDetails:\n";
        header = true;
      }
      out += fmt::format("  {:<14} ", pl.label);
      append_terminal(out, p.path);
      if (!p.detail.empty()) {
        out += "  (";
        append_terminal(out, p.detail);
        out += ')';
      }
      out += '\n';
    }
  }
  out += r.integrity_failed() ? "\nResult: INTEGRITY FAILED\n" : "\nResult: integrity OK\n";
}

}  // namespace aiir
