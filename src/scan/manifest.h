// SPDX-License-Identifier: Apache-2.0
// The evidence manifest (schema aiir.manifest/1) that `aiir scan -o DIR`
// writes beside the reports: what was read (with hashes), how, by which tool
// and rules, when, and the hash of every output file. docs/manifest.md.
#pragma once

#include <aiir/diagnostics.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace aiir {

inline constexpr std::string_view kManifestSchema = "aiir.manifest/1";

/// One rule file or folder that `scan` loaded, with its content hash.
struct RuleSourceHash {
  std::string path;
  std::size_t files = 0;  ///< rule files (.yml/.yaml) hashed
  std::string sha256;     ///< rule_source_sha256(); empty when the path could not be read
};

/// One file written into the output folder.
struct OutputRecord {
  std::string name;  ///< file name inside the folder
  std::uint64_t size = 0;
  std::string sha256;
};

/// What the output says about redaction.
struct RedactionFlags {
  bool secrets = false;  ///< --redact: secrets and PII masked in log text
  bool prompts = false;  ///< --redact-prompts: prompt and response text withheld
  bool any() const noexcept { return secrets || prompts; }
};

/// The integrity result folded in by `scan --verify` (counts only).
struct ManifestIntegrity {
  bool failed = false;
  bool signatures_checked = false;
  std::uint64_t files_valid = 0, files_modified = 0, files_missing = 0, files_unlisted = 0;
  std::uint64_t digests_missing = 0, chain_breaks = 0, hours_without_digest = 0;
  std::uint64_t signatures_failed = 0;
};

struct Manifest {
  std::string tool_version;
  std::vector<std::string> argv;  ///< the exact command line, one element per argument
  std::int64_t started_ms = 0;    ///< SOURCE_DATE_EPOCH when set
  std::int64_t finished_ms = 0;   ///< SOURCE_DATE_EPOCH when set
  bool time_pinned = false;       ///< true: both times come from SOURCE_DATE_EPOCH
  std::vector<RuleSourceHash> rules;
  std::string profile_path;
  std::string profile_sha256;
  std::vector<FileStats> inputs;  ///< in read order (sorted paths)
  RedactionFlags redaction;
  std::optional<ManifestIntegrity> integrity;
  std::vector<OutputRecord> outputs;
};

/// SHA-256 over one rule source: a single file, or every .yml/.yaml file
/// under a folder. The files are sorted by their path relative to `path`
/// (byte order, '/' separators) and each contributes
/// `relpath NUL size-in-decimal NUL contents`. `files` receives the count.
/// Returns "" when the path cannot be read.
std::string rule_source_sha256(const std::string& path, std::size_t& files);

/// SHA-256 over all sources: the hex hashes of each source, in load order,
/// each followed by '\n'. Empty when there are no sources.
std::string rules_sha256(const std::vector<RuleSourceHash>& sources);

/// The manifest as one JSON object and a newline.
std::string format_manifest_json(const Manifest& manifest);

/// The current time in epoch ms, or SOURCE_DATE_EPOCH (seconds) * 1000 when
/// that is set to a valid non-negative integer. `pinned` tells which.
std::int64_t run_time_ms(bool* pinned = nullptr);

}  // namespace aiir
