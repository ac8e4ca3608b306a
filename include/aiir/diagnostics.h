// SPDX-License-Identifier: Apache-2.0
/// Reading statistics and warnings: what was read, what was skipped and why.
/// Library code never prints; it counts here and the CLI reports.
#pragma once

#include <aiir/event.h>

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace aiir {

/// What a file turned out to be, decided by content.
enum class FileShape : std::uint8_t {
  kCloudTrailRecords,   ///< {"Records":[...]} (S3 trail object, Insights object)
  kJsonArray,           ///< top-level array of records
  kJsonLines,           ///< one value per line (incl. invocation logs)
  kSingleRecord,        ///< one record per file
  kConcatenated,        ///< several top-level values without line structure
  kLookupEvents,        ///< aws cloudtrail lookup-events output
  kCloudWatchApi,       ///< aws logs filter-log-events / get-log-events output
  kCloudWatchExport,    ///< CloudWatch Logs export to S3: "<timestamp> <json>" lines
  kSubscription,        ///< CloudWatch subscription payloads (Firehose)
  kEventBridge,         ///< EventBridge envelopes
  kCsvRecords,          ///< CSV with a column of whole records (Logs Insights @message, CloudTrailEvent)
  kCsvColumns,          ///< CSV of CloudTrail columns (Lake saved results, console Event history): flat mode
  kLakeResults,         ///< aws cloudtrail get-query-results output: flat mode
  kDigest,              ///< CloudTrail digest, Lake result_sign.json: counted, not an event
  kConfigSnapshot,      ///< AWS Config snapshot/history: counted, not an event
  kMarker,              ///< aws-logs-write-test, permission-check markers, empty files
  kUnsupported,         ///< recognised but unsupported (OCSF, Parquet, archives)
  kUnrecognised,        ///< JSON, but no shape we know
  kUnreadable,          ///< could not be read or decoded at all
};
inline constexpr int kFileShapeCount = 19;
std::string_view to_string(FileShape shape) noexcept;

/// Why a record (or part of a file) was skipped.
enum class SkipReason : std::uint8_t {
  kInvalidJson,        ///< a line or value that is not JSON
  kTruncated,          ///< the tail of a file cut off mid-value
  kNotAnObject,        ///< an array element or line that is not an object
  kUnrecognisedRecord, ///< an object that is no record we know
  kMissingTime,        ///< no parsable event time
  kDuplicate,          ///< same (eventID, recipientAccountId) seen earlier; for invocation records, same call (docs/event-schema.md)
  kOutsideWindow,      ///< --from/--to
  kTooDeep,            ///< nesting beyond the limit
  kControlMessage,     ///< CloudWatch subscription CONTROL_MESSAGE
  kRecordTooLarge,     ///< a single record beyond --max-record-bytes
};
inline constexpr int kSkipReasonCount = 10;
std::string_view to_string(SkipReason reason) noexcept;

/// A problem with a whole file or part of it, always naming the path.
enum class WarningKind : std::uint8_t {
  kOpenFailed,       ///< permission denied, vanished, not a regular file
  kReadFailed,       ///< I/O error, file changed size while read
  kGzipCorrupt,      ///< corrupt or truncated gzip; what inflated before is kept
  kOverCap,          ///< inflated size above --max-file-bytes
  kInvalidUtf8,      ///< bytes repaired to U+FFFD before parsing
  kTruncatedJson,    ///< records before the break were recovered
  kInvalidJson,      ///< nothing usable in the file
  kUnrecognised,     ///< no known shape
  kUnsupported,      ///< known but unsupported format
  kDirectoryFailed,  ///< a folder could not be listed
  kSymlinkLoop,      ///< a folder seen twice through links
};
inline constexpr int kWarningKindCount = 11;
std::string_view to_string(WarningKind kind) noexcept;

struct Warning {
  WarningKind kind;
  std::string path;
  std::string detail;
};

/// Per-file reading result, in file order (also the manifest's input list).
struct FileStats {
  std::string path;
  std::uint64_t size = 0;          ///< bytes as stored
  std::uint64_t inflated = 0;      ///< bytes after gunzip (== size when not compressed)
  bool compressed = false;
  FileShape shape = FileShape::kUnreadable;
  std::uint64_t records = 0;       ///< events produced
  std::uint64_t skipped = 0;       ///< records skipped (all reasons but duplicates and window)
  bool failed = false;             ///< some of the file could not be read (warning raised)
  bool skipped_by_window = false;  ///< not opened: S3 key date outside --from/--to
  /// SHA-256 (64 lowercase hex) of the bytes as stored, when PipelineOptions::want_sha256;
  /// empty when not asked for or when the file could not be read in full.
  std::string sha256;
};

/// A skipped-record example: file and record (or line) position.
struct SkipExample {
  std::string path;
  std::uint64_t position = 0;  ///< record index or 1-based line number (see `detail`)
  std::string detail;
};

/// Run-wide statistics. Merged from workers in file order, so identical for any --threads.
struct ReadStats {
  std::uint64_t files_total = 0;
  std::uint64_t files_failed = 0;
  std::uint64_t files_skipped_window = 0;
  std::uint64_t bytes_read = 0;
  std::uint64_t bytes_inflated = 0;
  std::array<std::uint64_t, kFileShapeCount> files_by_shape{};
  std::array<std::uint64_t, 4> events_by_kind{};
  std::array<std::uint64_t, kSkipReasonCount> skipped_by_reason{};
  std::array<std::vector<SkipExample>, kSkipReasonCount> skip_examples;
  std::vector<Warning> warnings;
  std::array<std::uint64_t, kWarningKindCount> warnings_by_kind{};
  std::vector<FileStats> files;
  /// account -> region -> [first, last] event time (ms)
  std::map<std::string, std::map<std::string, std::pair<std::int64_t, std::int64_t>>> time_ranges;
  double seconds = 0;

  static constexpr std::size_t kMaxExamples = 5;

  void skip(SkipReason reason, std::string_view path, std::uint64_t position, std::string_view detail = {});
  void warn(WarningKind kind, std::string_view path, std::string detail);
  std::uint64_t events_total() const noexcept;
  std::uint64_t skipped_total() const noexcept;
};

}  // namespace aiir
