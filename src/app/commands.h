// SPDX-License-Identifier: Apache-2.0
// The subcommands as library functions: each takes its options and returns
// the process exit code. main.cpp only parses flags and calls these.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "app/event_filter.h"
#include "pipeline/pipeline.h"
#include "report/event_writer.h"

namespace aiir {

/// Exit codes (documented in --help and README).
inline constexpr int kExitOk = 0;          ///< all input read
inline constexpr int kExitFindings = 1;    ///< --fail-on threshold reached (scan)
inline constexpr int kExitUsage = 2;       ///< usage error, or nothing readable matched
inline constexpr int kExitPartial = 3;     ///< finished, but some input could not be read
inline constexpr int kExitIntegrity = 4;   ///< verify: integrity check failed

/// Options every reading command shares.
struct ReadOptions {
  std::vector<std::string> paths;
  unsigned threads = 0;
  std::uint64_t max_file_bytes = std::uint64_t{1} << 30;
  std::string from;        ///< RFC 3339, empty: open
  std::string to;
  bool quiet = false;      ///< no progress line, no summary
  std::string stats_file;  ///< --stats FILE: machine-readable summary
};

struct EventsOptions {
  ReadOptions read;
  EventFormat format = EventFormat::kJsonl;
  bool raw = false;
  bool sort = false;
  bool redact = false;          ///< --redact: secrets and PII masked in every field and the raw record
  bool redact_prompts = false;  ///< --redact-prompts: invocation bodies withheld from the raw record
  EventFilter filter;           ///< --principal, --key, --ip, --action
};

int run_events(const EventsOptions& options);

enum class ReportFormat { kMarkdown, kJson, kJsonl };

struct ScanOptions {
  ReadOptions read;
  ReportFormat format = ReportFormat::kMarkdown;
  std::string min_severity = "info";
  std::string fail_on;                      ///< empty: never exit 1 for findings
  std::vector<std::string> analyzers;       ///< --analyzers (empty: all)
  std::vector<std::string> skip;            ///< --skip
  std::string profile;                      ///< --profile env.yaml
  std::string baseline_until;               ///< RFC 3339
  std::vector<std::string> rules;           ///< --rules DIR (repeatable), in addition to the shipped pack
  bool no_default_rules = false;            ///< --no-default-rules
  std::string prices;                       ///< --prices FILE over the shipped price table
  std::string command_line;                 ///< the command line joined by spaces (logs)
  std::vector<std::string> argv;            ///< the exact command line, for the manifest
  std::string output_dir;                   ///< -o DIR: every format plus manifest.json
  bool force = false;                       ///< --force: -o may be an existing non-empty folder
  bool verify = false;                      ///< --verify: CloudTrail integrity into the coverage section
  bool redact = false;                      ///< --redact: secrets and PII masked
  bool redact_prompts = false;              ///< --redact-prompts: prompt/response text withheld
  bool no_redact = false;                   ///< --no-redact: secrets found in content shown in full
};

int run_scan(const ScanOptions& options);

/// `aiir prompts`: one `aiir.prompt/1` JSON line per invocation record (prompts_cmd.cpp).
struct PromptsOptions {
  ReadOptions read;
  bool flagged_only = false;  ///< --flagged
  bool text = false;          ///< --text: include the extracted prompt (escaped, secrets masked)
  bool no_redact = false;     ///< --no-redact: secrets in full
};
int run_prompts(const PromptsOptions& options);

/// `aiir analyzers`: the table, one line each.
int run_list_analyzers();

struct RulesOptions {
  std::string action;                ///< list | lint | test
  std::vector<std::string> rules;    ///< --rules DIR (repeatable)
  bool no_default_rules = false;
  std::string cases;                 ///< --cases DIR (test)
  std::string profile;               ///< for |expand placeholders
  std::string format = "text";       ///< text | json (list)
};
int run_rules(const RulesOptions& options);

struct VerifyCliOptions {
  std::vector<std::string> paths;
  std::string format = "text";
  std::string public_keys;
  std::string signatures;
  bool strict = false;               ///< unlisted log files fail too
};
int run_verify(const VerifyCliOptions& options);

/// Resolves ReadOptions into pipeline options and the discovered inputs.
/// Throws aiir::Error (exit 2) on bad times or missing paths.
struct PreparedRead {
  PipelineOptions pipeline;
  DiscoveryResult inputs;
  ReadStats discovery_stats;  ///< warnings raised while walking folders
};
PreparedRead prepare_read(const ReadOptions& options);

/// Moves the warnings raised while walking folders into `stats` (once).
void merge_discovery(PreparedRead& prepared, ReadStats& stats);

/// Merges discovery warnings, prints the reading summary (unless quiet),
/// writes --stats, and returns the exit code the read alone deserves.
int finish_read(const ReadOptions& options, PreparedRead& prepared, ReadStats& stats);

}  // namespace aiir
