// SPDX-License-Identifier: Apache-2.0
// Time parsing and formatting: every time format that appears in the logs.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace aiir {

/// Parses a time in any format seen in CloudTrail, Bedrock and CLI exports:
/// RFC 3339 / ISO 8601 with `Z` or a numeric offset, with or without fractional
/// seconds, basic form `YYYYMMDDTHHMMSSZ`, space-separated
/// `YYYY-MM-DD HH:MM:SS[.fff]` (taken as UTC), epoch seconds (integer or
/// float) and epoch milliseconds (integer of 12+ digits).
/// Returns false, leaving `ms` untouched, when the text is none of these.
bool parse_time(std::string_view text, std::int64_t& ms) noexcept;

/// Parses RFC 3339 strictly: a date-time with `Z` or an offset (for --from/--to).
bool parse_rfc3339(std::string_view text, std::int64_t& ms) noexcept;

/// Formats epoch ms as RFC 3339 UTC: `2024-10-29T15:51:44Z`, or with `.mmm`
/// when the milliseconds are not zero.
std::string format_time(std::int64_t ms);
/// Appends the same to `out` without allocating a temporary.
void append_time(std::string& out, std::int64_t ms);

namespace detail {
/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}
}  // namespace detail

}  // namespace aiir
