// SPDX-License-Identifier: Apache-2.0
// Input discovery (pipeline stage 0): turns the user's paths into a sorted
// list of files. Folders are walked recursively; symlink loops are detected.
#pragma once

#include <aiir/diagnostics.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "source/zip.h"

namespace aiir {

struct InputFile {
  InputFile() = default;
  InputFile(std::string p, std::uint64_t bytes, bool from_stdin) : path(std::move(p)), size(bytes), is_stdin(from_stdin) {}

  std::string path;        ///< as given or joined from the walked folder; "-" is stdin
  std::uint64_t size = 0;  ///< bytes on disk (0 for stdin); a zip member's uncompressed size
  bool is_stdin = false;
  /// A member of a zip archive: `path` is "<archive>!/<member name>" and
  /// `archive` the archive's path; empty for files on disk.
  std::string archive;
  ZipMember member;
};

struct DiscoveryResult {
  std::vector<InputFile> files;   ///< sorted by path, each file once; stdin last
  std::vector<std::string> roots_missing;  ///< paths that do not exist
};

/// Walks `roots`. Unlistable folders and symlink loops are warned in `stats`.
/// Files are ordered by path (byte order) so output order never depends on
/// the file system or the thread count.
DiscoveryResult discover_inputs(const std::vector<std::string>& roots, ReadStats& stats);

/// Extracts the delivery date from an S3-layout key (`.../YYYY/MM/DD/...`
/// under CloudTrail, CloudTrail-Insight or BedrockModelInvocationLogs) as
/// epoch ms of 00:00 UTC that day; returns false when the path has none.
bool s3_key_date_ms(const std::string& path, std::int64_t& day_ms);

}  // namespace aiir
