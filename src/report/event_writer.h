// SPDX-License-Identifier: Apache-2.0
// Writers for `aiir events`: normalized events as JSON Lines (aiir.event/1),
// CSV or Timesketch JSON Lines. One call appends one line.
#pragma once

#include <aiir/event.h>

#include <string>
#include <string_view>

namespace aiir {

enum class EventFormat { kJsonl, kCsv, kTimesketch };

inline constexpr std::string_view kEventSchema = "aiir.event/1";

/// Appends one event as a line (with '\n'). `raw` adds the original record.
void append_event_line(std::string& out, const EventView& event, EventFormat format, bool raw);

/// How the raw record is written under redaction.
struct RawRedaction {
  bool secrets = false;  ///< every string value through redact_text()
  bool prompts = false;  ///< inputBodyJson / outputBodyJson values withheld
};

/// As above, with the raw record rewritten per `redaction` (always valid JSON).
void append_event_line(std::string& out, const EventView& event, EventFormat format, bool raw,
                       RawRedaction redaction);

/// Appends `value` as minified JSON with the string values (not keys)
/// redacted per `redaction`.
void append_redacted_json(std::string& out, simdjson::dom::element value, RawRedaction redaction);

/// The CSV header line (with '\n'); `raw` adds the raw column.
std::string event_csv_header(bool raw);

}  // namespace aiir
