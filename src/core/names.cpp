// SPDX-License-Identifier: Apache-2.0
// Printable names of the enums in include/aiir: one place for each spelling.
#include <aiir/analyzer.h>
#include <aiir/diagnostics.h>
#include <aiir/event.h>
#include <aiir/finding.h>

#include <array>

namespace aiir {
namespace {
constexpr std::array<std::string_view, 4> kKindNames = {"cloudtrail", "cloudtrail_insight",
                                                        "bedrock_invocation", "bedrock_kb_log"};
constexpr std::array<std::string_view, kElementCount> kElementNames = {
    "access", "infrastructure", "ai_changes", "data_store", "invocation", "private_data", "agency"};
constexpr std::array<std::string_view, 5> kSeverityNames = {"info", "low", "medium", "high",
                                                            "critical"};
constexpr std::array<std::string_view, kFileShapeCount> kShapeNames = {
    "cloudtrail_records", "json_array",     "json_lines",      "single_record",
    "concatenated_json",  "lookup_events",  "cloudwatch_api",  "cloudwatch_export",
    "cloudwatch_subscription", "eventbridge", "csv_records", "csv_columns", "lake_results", "cloudtrail_digest",
    "config_snapshot",
    "marker",             "unsupported",    "unrecognised",    "unreadable"};
constexpr std::array<std::string_view, kSkipReasonCount> kSkipNames = {
    "invalid_json",   "truncated",       "not_an_object", "unrecognised_record", "missing_time",
    "duplicate",      "outside_window",  "too_deep",      "control_message",     "record_too_large"};
constexpr std::array<std::string_view, kWarningKindCount> kWarningNames = {
    "open_failed",  "read_failed",    "gzip_corrupt", "over_cap",        "invalid_utf8",
    "truncated_json", "invalid_json", "unrecognised", "unsupported",     "directory_failed",
    "symlink_loop"};
constexpr std::array<std::string_view, 4> kAnswerNames = {"yes", "no", "not found",
                                                          "cannot tell from these logs"};

template <typename E, std::size_t N>
std::string_view name_of(const std::array<std::string_view, N>& names, E value) noexcept {
  auto i = static_cast<std::size_t>(value);
  return i < N ? names[i] : std::string_view("?");
}

template <typename E, std::size_t N>
bool parse_name(const std::array<std::string_view, N>& names, std::string_view text, E& out) noexcept {
  for (std::size_t i = 0; i < N; ++i) {
    if (names[i] == text) {
      out = static_cast<E>(i);
      return true;
    }
  }
  return false;
}
}  // namespace

std::string_view to_string(EventKind kind) noexcept { return name_of(kKindNames, kind); }
std::string_view to_string(Element element) noexcept { return name_of(kElementNames, element); }
std::string_view to_string(Severity severity) noexcept { return name_of(kSeverityNames, severity); }
std::string_view to_string(FileShape shape) noexcept { return name_of(kShapeNames, shape); }
std::string_view to_string(SkipReason reason) noexcept { return name_of(kSkipNames, reason); }
std::string_view to_string(WarningKind kind) noexcept { return name_of(kWarningNames, kind); }
std::string_view to_string(Answer answer) noexcept { return name_of(kAnswerNames, answer); }
bool parse_element(std::string_view name, Element& out) noexcept {
  return parse_name(kElementNames, name, out);
}
bool parse_severity(std::string_view name, Severity& out) noexcept {
  return parse_name(kSeverityNames, name, out);
}

}  // namespace aiir
