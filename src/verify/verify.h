// SPDX-License-Identifier: Apache-2.0
// Offline CloudTrail log file integrity validation (`aiir verify`): digests, hash chain, signatures.
//
// Sits beside the scan pipeline, not in it: it reads an exported folder
// itself, finds digest files by content, and checks what formats.md §2.2 says
// can be checked without AWS access. Library code: never prints, never exits.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace aiir {

/// What `aiir verify` needs besides the paths.
struct VerifyOptions {
  /// Saved output of `aws cloudtrail list-public-keys`. Empty: signatures are not checked.
  std::string public_keys_path;
  /// JSON object mapping digest S3 keys to the hex `x-amz-meta-signature` of
  /// each digest (needed only for the newest digest of each chain; older ones
  /// are signed in their successor's `previousDigestSignature`). Optional.
  std::string signatures_path;
  /// Inflated-size cap per file; a larger file counts as unreadable.
  std::uint64_t max_inflated_bytes = std::uint64_t{1} << 30;
  /// Whether log files present but listed in no digest fail the check
  /// (off by default: files delivered after the newest digest, or while
  /// validation was off, are normal).
  bool unlisted_fails = false;
};

/// One problem: the local path (or, for absent files, the S3 key) and what is wrong.
struct VerifyProblem {
  std::string path;
  std::string detail;
};

/// Counters shared by the run total and the per account/region breakdown.
struct VerifyCounts {
  std::uint64_t digests_found = 0;         ///< digest files read and parsed
  std::uint64_t chain_starts = 0;          ///< digests with a null previous digest (not an error)
  std::uint64_t files_valid = 0;           ///< listed log files whose hash matches
  std::uint64_t files_modified = 0;        ///< listed log files whose hash differs (or unreadable)
  std::uint64_t files_missing = 0;         ///< listed log files absent from the export
  std::uint64_t files_unlisted = 0;        ///< log files present but listed in no digest
  std::uint64_t digests_missing = 0;       ///< previous digests referenced but absent
  std::uint64_t chain_breaks = 0;          ///< previous digests present with a different hash
  std::uint64_t hours_without_digest = 0;  ///< hours between a region's first and last digest with none
  std::uint64_t signatures_checked = 0;    ///< digest signatures verified (passed or failed)
  std::uint64_t signatures_failed = 0;     ///< signatures that did not verify (or no key for them)
  std::uint64_t signatures_unavailable = 0;  ///< digests whose signature was not supplied
};

/// Per account and region. A region can hold several trails; each trail's
/// chain is walked on its own and the counts are summed here.
struct VerifyRegion {
  std::string account;
  std::string region;
  std::vector<std::string> trails;  ///< sorted trail names seen in digest file names
  std::string first_digest_start;   ///< earliest digestStartTime
  std::string last_digest_end;      ///< latest digestEndTime
  VerifyCounts counts;
};

/// The outcome of verify_cloudtrail(). All lists are sorted by path.
struct VerifyResult {
  VerifyCounts counts;
  bool signatures_enabled = false;  ///< false: the report must say signatures were not checked
  bool unlisted_fails = false;
  std::uint64_t files_read = 0;     ///< files walked and opened
  std::vector<VerifyProblem> modified;
  std::vector<VerifyProblem> missing;          ///< path = S3 key from the digest
  std::vector<VerifyProblem> unlisted;
  std::vector<VerifyProblem> digests_missing;  ///< path = S3 key of the absent previous digest
  std::vector<VerifyProblem> chain_breaks;
  std::vector<VerifyProblem> gaps;             ///< path = "account/region/trail", detail = time range
  std::vector<VerifyProblem> signature_failures;
  std::vector<VerifyProblem> signatures_unavailable;
  std::vector<VerifyProblem> chain_starts;
  std::vector<VerifyProblem> unreadable;       ///< files that could not be read or inflated
  std::vector<VerifyRegion> regions;           ///< sorted by (account, region)

  /// True when the evidence cannot be trusted as exported: a modified, missing
  /// or unreadable listed file, a missing digest, a chain break, an hour
  /// without digest, a failed signature (and unlisted files with unlisted_fails).
  /// The CLI maps this to exit code 4.
  bool integrity_failed() const noexcept;
};

/// Walks `paths` (files and folders, recursively, in sorted order), finds the
/// digest files by content, and validates log files, chain and (when keys are
/// given) signatures. Throws aiir::Error for setup problems: an input path that
/// does not exist, an unreadable or malformed public-keys or signatures file.
/// Per-file problems never throw: they are counted in the result.
VerifyResult verify_cloudtrail(const std::vector<std::string>& paths, const VerifyOptions& options);

/// Appends the result as ONE JSON object (no trailing newline): the counts at
/// top level, `integrity_failed`, `signatures` ("checked"/"not_checked"),
/// `problems` (one list of {path, detail} per problem kind) and `regions`.
void write_verify_json(const VerifyResult& result, std::string& out);

/// Appends a human-readable report. Every path and detail goes through
/// append_terminal, so names from the export cannot drive the terminal.
void write_verify_text(const VerifyResult& result, std::string& out);

namespace detail {

/// The part of an S3 key or local path from the last `AWSLogs/` component on,
/// or "" when there is none.
std::string_view key_suffix(std::string_view key) noexcept;

}  // namespace detail

}  // namespace aiir
