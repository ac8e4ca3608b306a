// SPDX-License-Identifier: Apache-2.0
// Fault-test support: a sink that copies what it receives, and stat helpers.
#pragma once

#include <aiir/diagnostics.h>

#include <string>
#include <vector>

#include "pipeline/pipeline.h"

namespace aiir::testing {

/// Keeps a copy of every event id (views die with the batch).
class CollectSink final : public EventSink {
 public:
  void consume(const EventView& event, std::size_t /*index*/, BatchExtra* /*extra*/) override {
    ids.emplace_back(event.event_id);
  }
  std::vector<std::string> ids;
};

inline std::uint64_t warned(const ReadStats& s, WarningKind k) {
  return s.warnings_by_kind[static_cast<std::size_t>(k)];
}
inline std::uint64_t skipped(const ReadStats& s, SkipReason r) { return s.skipped_by_reason[static_cast<std::size_t>(r)]; }

/// True when some warning of `kind` names `path`.
inline bool has_warning(const ReadStats& s, WarningKind kind, const std::string& path) {
  for (const Warning& w : s.warnings)
    if (w.kind == kind && w.path == path) return true;
  return false;
}

/// A minimal CloudTrail record with the given event id.
inline std::string ct_line(const std::string& id) {
  return R"({"eventVersion":"1.09","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/a","accountId":"111122223333"},"eventTime":"2026-03-10T10:00:00Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","awsRegion":"us-east-1","eventID":")" +
         id + R"(","eventType":"AwsApiCall","recipientAccountId":"111122223333"})";
}

}  // namespace aiir::testing
