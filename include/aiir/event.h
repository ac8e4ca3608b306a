// SPDX-License-Identifier: Apache-2.0
/// The normalized event: what every analyzer, writer and rule sees of one log
/// record, whatever export shape it arrived in (docs/event-schema.md).
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <span>
#include <string_view>

namespace aiir::content {
struct ContentResult;  // src/content/content.h
}  // namespace aiir::content

namespace aiir {

/// What a record is. Digests, config snapshots and markers are file shapes,
/// not events, and never reach analyzers.
enum class EventKind : std::uint8_t {
  kCloudTrail,         ///< a CloudTrail record (management, data, network activity)
  kInsight,            ///< a CloudTrail Insights record (no identity, no eventName)
  kInvocation,         ///< an Amazon Bedrock model-invocation log record
  kKnowledgeBaseLog,   ///< a Bedrock knowledge-base ingestion log record
};

std::string_view to_string(EventKind kind) noexcept;

/// A three-valued flag: booleans in logs arrive as JSON bools, as strings
/// ("true", "Yes") or not at all.
enum class Tri : std::uint8_t { kUnknown, kFalse, kTrue };

enum class Outcome : std::uint8_t { kSuccess, kFailure };

/// Where a record came from: the input file (index into the run's file list,
/// which is sorted by path) and the record's 0-based index within that file.
struct RecordRef {
  std::uint32_t file = 0;
  std::uint32_t record = 0;
};

/// One entry of CloudTrail `resources[]` (or a model reference for invocation logs).
struct ResourceView {
  std::string_view type;
  std::string_view arn;
};

/// Non-owning view of one normalized log record.
///
/// Every string_view points into the decoded document of the file the record
/// came from, and `raw` is an element of that document. All of it is valid
/// only while the analyzer or writer that receives the event is running
/// (Analyzer::on_event, a writer's write call); anything kept must be copied.
/// Absent and JSON-null fields are both an empty view.
struct EventView {
  EventKind kind = EventKind::kCloudTrail;
  std::int64_t time_ms = 0;          ///< event time, UTC epoch milliseconds
  std::int64_t ingest_time_ms = 0;   ///< CloudWatch timestamp prefix or event timestamp, 0 if none

  std::string_view account;          ///< recipientAccountId (fallback userIdentity.accountId) / accountId
  std::string_view region;           ///< awsRegion / region
  std::string_view inference_region; ///< additionalEventData.inferenceRegion / inferenceRegion

  std::string_view actor_arn;        ///< userIdentity.arn or a derived key (docs/event-schema.md)
  std::string_view actor_type;       ///< userIdentity.type ("IAMUser", "AssumedRole", ...)
  std::string_view principal_id;     ///< userIdentity.principalId
  std::string_view user_name;        ///< userIdentity.userName
  std::string_view actor_account;    ///< userIdentity.accountId (caller's account)
  std::string_view session_issuer;   ///< userIdentity.sessionContext.sessionIssuer.arn
  std::string_view access_key_id;    ///< userIdentity.accessKeyId
  std::string_view invoked_by;       ///< userIdentity.invokedBy
  std::string_view issuer_type;      ///< userIdentity.inScopeOf.issuerType ("AWS::Lambda::Function", ...)
  std::string_view issued_to;        ///< userIdentity.inScopeOf.credentialsIssuedTo (the function's ARN, ...)
  Tri mfa = Tri::kUnknown;           ///< mfaAuthenticated / additionalEventData.MFAUsed

  std::string_view source_ip;        ///< sourceIPAddress (CloudTrail only)
  std::string_view user_agent;       ///< userAgent (CloudTrail only)

  std::string_view service;          ///< eventSource; "bedrock.amazonaws.com" for invocation logs
  std::string_view action;           ///< eventName; operation for invocation logs
  /// The record names eventSource, eventName, userIdentity or its type (or an
  /// invocation's operation) more than once: `service`, `action` and
  /// `actor_type` hold the last value, while lookups in `raw` (Sigma rules)
  /// find the first. Consumers that must agree with raw lookups read raw when
  /// this is set.
  bool repeated_keys = false;
  /// Rebuilt from a table's columns (flat mode, docs/event-schema.md §3.1): a
  /// field the table did not select is absent, so absence proves nothing.
  bool partial = false;
  std::string_view event_type;       ///< eventType ("AwsApiCall", "AwsConsoleSignIn", ...)
  std::string_view event_category;   ///< eventCategory ("Management", "Data", ...)
  Tri read_only = Tri::kUnknown;
  Tri management = Tri::kUnknown;

  Outcome outcome = Outcome::kSuccess;
  std::string_view error_code;
  std::string_view error_message;

  std::string_view request_id;       ///< requestID / requestId: the join key between the sources
  std::string_view event_id;         ///< eventID; for invocation logs a stable hash (see decode)
  /// What repeated copies of a record share, for the pipeline to drop them: a
  /// hash of event_id and account, taken by the normalizer while the record is
  /// in the caches. 0: not deduplicated (no event id, or neither CloudTrail nor invocation).
  std::uint64_t dedup_key = 0;
  std::string_view model_id;         ///< requestParameters.modelId / modelId

  std::int64_t tokens_in = -1;       ///< -1: not recorded
  std::int64_t tokens_out = -1;
  std::int64_t tokens_cache_read = -1;
  std::int64_t tokens_cache_write = -1;

  std::span<const ResourceView> resources;

  std::string_view file;             ///< path of the input file, as given or discovered
  RecordRef where;
  simdjson::dom::element raw;        ///< the original record (request parameters, bodies, ...)

  /// A top-level member of a CloudTrail record that the normalizer notes in its
  /// one pass over the record's keys (the first one, as a raw lookup finds it);
  /// kUnknown for events built another way. Analyzers read these members when
  /// the record is mostly out of cache: found here, its keys are not scanned again.
  enum class Found : std::uint8_t { kUnknown, kAbsent, kPresent };
  struct Member {
    Found found = Found::kUnknown;
    simdjson::dom::element value;  ///< valid when kPresent
  };
  Member request_parameters_member, additional_event_data_member, from_console_member;

  /// `raw["requestParameters"]`: most analyzers read it.
  simdjson::simdjson_result<simdjson::dom::element> request_parameters() const noexcept {
    return member(request_parameters_member, "requestParameters");
  }
  /// `raw["additionalEventData"]` (bytes transferred, MFA, token counts).
  simdjson::simdjson_result<simdjson::dom::element> additional_event_data() const noexcept {
    return member(additional_event_data_member, "additionalEventData");
  }
  /// `raw["sessionCredentialFromConsole"]` is the string "true": a call made with
  /// console credentials.
  bool from_console() const noexcept {
    std::string_view v;
    return member(from_console_member, "sessionCredentialFromConsole").get_string().get(v) == simdjson::SUCCESS &&
           v == "true";
  }
  simdjson::simdjson_result<simdjson::dom::element> member(const Member& m, std::string_view key) const noexcept {
    switch (m.found) {
      case Found::kPresent: return simdjson::dom::element(m.value);
      case Found::kAbsent: return simdjson::NO_SUCH_FIELD;
      case Found::kUnknown: break;
    }
    return raw[key];
  }
  /// What the content stage found (src/scan/content_stage.h): set for
  /// invocation records, and for CloudTrail records whose request parameters
  /// hold a secret, when the command runs the stage; null otherwise. Valid as
  /// long as the event.
  const content::ContentResult* content = nullptr;
};

}  // namespace aiir
