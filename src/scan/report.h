// SPDX-License-Identifier: Apache-2.0
// The triage report model (schema aiir.report/1): everything `aiir scan`
// concluded, assembled once and handed to every writer.
#pragma once

#include <aiir/analyzer.h>
#include <aiir/diagnostics.h>
#include <aiir/finding.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "analyzers/invocation.h"
#include "analyzers/scope.h"
#include "scan/manifest.h"
#include "verify/verify.h"

namespace aiir {

inline constexpr std::string_view kReportSchema = "aiir.report/1";
inline constexpr std::string_view kFindingSchema = "aiir.finding/1";

struct QuestionRow {
  Element element = Element::kAccess;
  QuestionAnswer qa;
  std::vector<std::string> finding_ids;  ///< findings whose rule matches qa.rules
};

/// A principal or access key that a finding names, with its scope.
struct PrincipalRow {
  bool is_key = false;
  PrincipalScope scope;
  bool continues_to_end = false;
  Severity max_severity = Severity::kInfo;
  std::vector<std::string> finding_ids;
};

struct AnalyzerStatus {
  std::string id;
  bool enabled = true;
  std::string error;  ///< set when the analyzer threw and was disabled
};

struct RulesSummary {
  std::size_t files_loaded = 0;   ///< rules loaded (incl. correlations)
  std::size_t errors = 0;         ///< rules that failed to load
  std::size_t unsupported = 0;    ///< rules that use something unsupported
  std::size_t warnings = 0;
  std::vector<std::string> sources;
};

struct Report {
  std::string tool_version;
  std::int64_t generated_ms = 0;  ///< SOURCE_DATE_EPOCH when set
  ReadStats read;
  Coverage coverage;
  std::vector<QuestionRow> questions;
  std::vector<Finding> findings;       ///< finalized and sorted
  std::vector<std::string> finding_ids;  ///< parallel to findings
  std::vector<PrincipalRow> principals;
  std::optional<ModelUsage> model_usage;
  std::vector<AnalyzerStatus> analyzers;
  RulesSummary rules;
  std::vector<std::string> notes;      ///< what could not be seen, and why
  Severity min_severity = Severity::kInfo;
  std::size_t findings_below_min = 0;  ///< hidden by --min-severity
  bool profile_loaded = false;
  std::string profile_path;
  /// What redact_report() masked; the writers state it in the report.
  RedactionFlags redaction;
  /// `scan --verify`: CloudTrail integrity over the same paths (coverage section).
  std::optional<VerifyResult> integrity;
};

/// `aiir.finding/1` as one JSON object (no newline).
void append_finding_json(std::string& out, const Finding& finding, const std::string& id);

/// The whole report, `aiir.report/1`, one JSON object and a newline.
std::string format_report_json(const Report& report);
/// Findings only, one `aiir.finding/1` object per line.
std::string format_findings_jsonl(const Report& report);
/// Markdown for a terminal or a ticket; all log text escaped.
std::string format_report_markdown(const Report& report);

}  // namespace aiir
