// SPDX-License-Identifier: Apache-2.0
// Flat mode (formats.md §2.5): CloudTrail as a table of columns, not records.
// CloudTrail Lake query results (`aws cloudtrail get-query-results` JSON, the
// saved result_N.csv.gz) and CSV with CloudTrail columns (the console's Event
// history download) carry the fields the query selected, as text. Each row is
// rebuilt as a CloudTrail record from the columns it names, so that the rest
// of aiir reads it like any other record. What the table did not select is
// absent, not invented.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace aiir {

/// One cell of a row: the column's name as the table gives it, and its text.
struct FlatCell {
  std::string_view column;
  std::string_view value;
};

/// True when `column` names a CloudTrail field flat mode maps ("eventName",
/// "Event name", "userIdentity.arn", "requestParameters", ...).
bool flat_column_known(std::string_view column);

/// Appends the row as one JSON object, a CloudTrail record, to `out`; returns
/// the number of cells that were mapped (0: nothing was appended).
///
/// Column names are matched without case, spaces, '_' or '-'; a dotted name
/// (`userIdentity.sessionContext.sessionIssuer.arn`) sets that nested field.
/// Lake renders structs and maps as `{key=value, key={...}}` and arrays as
/// `[a, b]`: those are parsed back (struct field names of userIdentity and
/// resources get CloudTrail's spelling); a value that is itself JSON is kept
/// as JSON; anything else stays a string. Empty cells and `null` are absent.
std::size_t flat_to_record(std::span<const FlatCell> row, std::string& out);

}  // namespace aiir
