// SPDX-License-Identifier: Apache-2.0
// Redaction for reports that leave the response team (`--redact`,
// `--redact-prompts`): secrets and PII in log text masked, prompt text withheld.
#pragma once

#include <aiir/event.h>

#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "scan/report.h"

namespace aiir {

/// Placeholder written instead of prompt or response text under --redact-prompts.
inline constexpr std::string_view kPromptWithheld = "[prompt text withheld: --redact-prompts]";

/// Returns `text` with every secret and PII value that content/secrets.h
/// finds (keys, tokens, private keys, cards, SSNs, IBANs, e-mail addresses,
/// phone numbers) replaced by its mask_secret() form ("AKIA…WXYZ").
/// Thread-safe. `masked` (when given) counts the replacements.
std::string redact_text(std::string_view text, std::size_t* masked = nullptr);

/// True for finding-detail keys that carry prompt or response text.
bool is_prompt_detail_key(std::string_view key) noexcept;

/// Applies `flags` to every log-derived string of `report` (findings,
/// principals, model usage, warnings, notes) and records the flags in
/// report.redaction. Finding ids are kept (computed before redaction), so a
/// redacted and an unredacted report of the same run cross-reference.
void redact_report(Report& report, RedactionFlags flags);

/// Redacted copies of an event's string fields, for the event writers.
/// The returned view points into this object; valid until the next call.
class EventRedactor {
 public:
  explicit EventRedactor(RedactionFlags flags) : flags_(flags) {}
  const EventView& apply(const EventView& event);
  RedactionFlags flags() const noexcept { return flags_; }

 private:
  std::string_view keep(std::string_view text);
  RedactionFlags flags_;
  EventView view_;
  std::deque<std::string> strings_;
  std::vector<ResourceView> resources_;
};

}  // namespace aiir
