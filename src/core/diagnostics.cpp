// SPDX-License-Identifier: Apache-2.0
// Counting of skipped records and warnings (include/aiir/diagnostics.h).
#include <aiir/diagnostics.h>

#include <numeric>

namespace aiir {

void ReadStats::skip(SkipReason reason, std::string_view path, std::uint64_t position,
                     std::string_view detail) {
  auto i = static_cast<std::size_t>(reason);
  ++skipped_by_reason[i];
  if (skip_examples[i].size() < kMaxExamples) {
    skip_examples[i].push_back({std::string(path), position, std::string(detail)});
  }
}

void ReadStats::warn(WarningKind kind, std::string_view path, std::string detail) {
  ++warnings_by_kind[static_cast<std::size_t>(kind)];
  warnings.push_back({kind, std::string(path), std::move(detail)});
}

std::uint64_t ReadStats::events_total() const noexcept {
  return std::accumulate(events_by_kind.begin(), events_by_kind.end(), std::uint64_t{0});
}

std::uint64_t ReadStats::skipped_total() const noexcept {
  return std::accumulate(skipped_by_reason.begin(), skipped_by_reason.end(), std::uint64_t{0});
}

}  // namespace aiir
