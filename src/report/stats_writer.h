// SPDX-License-Identifier: Apache-2.0
// The reading summary: what was read, skipped and why (stderr text and
// machine-readable JSON for --stats).
#pragma once

#include <aiir/diagnostics.h>

#include <string>

namespace aiir {

/// Human-readable summary for stderr; every log-derived string escaped for a terminal.
std::string format_read_summary(const ReadStats& stats);

/// One JSON object, schema `aiir.stats/1` (docs/event-schema.md).
std::string format_read_stats_json(const ReadStats& stats);

/// Renders control characters, escape sequences and invisible format
/// characters visible (for terminal output of attacker-controlled text).
std::string terminal_safe(std::string_view text);

}  // namespace aiir
