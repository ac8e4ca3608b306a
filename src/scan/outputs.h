// SPDX-License-Identifier: Apache-2.0
// `aiir scan -o DIR`: the output folder (every report format plus the
// evidence manifest), written with every write checked (disk full is an
// error, never a silent short file).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "scan/manifest.h"
#include "scan/report.h"

namespace aiir {

/// Names of the files `scan -o` writes, in write order (the manifest last).
inline constexpr std::string_view kReportMdName = "report.md";
inline constexpr std::string_view kReportJsonName = "report.json";
inline constexpr std::string_view kFindingsJsonlName = "findings.jsonl";
inline constexpr std::string_view kManifestName = "manifest.json";

/// Checks the output folder before the scan starts: creates it when absent;
/// refuses (throws aiir::Error, exit 2) a path that is not a folder, an
/// existing non-empty folder unless `force`, and a folder inside one of
/// `input_paths` (the evidence is never written to).
void prepare_output_dir(const std::string& dir, bool force, const std::vector<std::string>& input_paths);

/// Writes `bytes` to `path` (created or truncated, mode 0644), checking every
/// write(), fsync() and close(). Returns false with `error` set (e.g. "No space
/// left on device") on failure; a partial file may remain.
bool write_output_file(const std::string& path, std::string_view bytes, std::string& error);

/// Writes report.md, report.json, findings.jsonl and then manifest.json into
/// `dir`, recording each file's size and SHA-256 (of the bytes written) in
/// `manifest.outputs`. Throws aiir::Error naming the file when a write fails.
void write_scan_outputs(const std::string& dir, const Report& report, Manifest& manifest);

}  // namespace aiir
