// SPDX-License-Identifier: Apache-2.0
/// Findings: what analyzers and rules conclude, in the `aiir.finding/1` schema
/// (docs/finding-schema.md). Findings own their data.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace aiir {

struct EventView;

/// The seven elements of the AWS CIRT methodology, in the methodology's order.
enum class Element : std::uint8_t {
  kAccess,
  kInfrastructure,
  kAiChanges,
  kDataStore,
  kInvocation,
  kPrivateData,
  kAgency,
};
inline constexpr int kElementCount = 7;

/// `access`, `infrastructure`, `ai_changes`, ... as used in JSON, rule ids and tags.
std::string_view to_string(Element element) noexcept;
/// Parses the JSON name back; returns false for an unknown name.
bool parse_element(std::string_view name, Element& out) noexcept;

enum class Severity : std::uint8_t { kInfo, kLow, kMedium, kHigh, kCritical };
std::string_view to_string(Severity severity) noexcept;
bool parse_severity(std::string_view name, Severity& out) noexcept;

/// A pointer into the evidence a responder can cite.
struct Evidence {
  std::string file;
  std::uint32_t file_index = 0;   ///< for ordering only; not written
  std::uint32_t record = 0;
  std::string event_id;           ///< CloudTrail eventID, when the record has one
  std::string request_id;         ///< request id, for invocation records
  std::string action;
  std::int64_t time_ms = 0;

  /// Copies the pointer out of an event (call inside on_event).
  static Evidence from(const EventView& event);
  /// The event id a citation of `event` names: none for an invocation record
  /// (its event id is a hash aiir made, not the log's).
  static std::string_view cited_event_id(const EventView& event) noexcept;
  /// Same as `*this = from(event)`, reusing this object's string storage.
  void assign(const EventView& event);
  /// Total order: time, file, record. Used to sort and cap evidence.
  friend bool operator<(const Evidence& a, const Evidence& b) noexcept;
};

struct Tags {
  std::vector<std::string> attack;     ///< MITRE ATT&CK technique ids, e.g. "T1078.004"
  std::vector<std::string> atlas;      ///< MITRE ATLAS ids, e.g. "AML.T0051"
  std::vector<std::string> owasp_llm;  ///< OWASP LLM Top 10 2025, e.g. "LLM01:2025"
};

/// One finding. Empty strings and empty vectors are omitted from output.
struct Finding {
  std::string rule;            ///< e.g. "ai_changes.guardrail_deleted"
  Element element = Element::kAccess;
  Severity severity = Severity::kInfo;
  std::string title;
  std::string summary;         ///< one line with the specifics
  std::int64_t first_seen_ms = 0;
  std::int64_t last_seen_ms = 0;
  std::uint64_t count = 0;
  std::string account;
  std::string region;
  std::string principal;
  std::string access_key_id;
  std::vector<std::string> source_ips;
  std::vector<std::string> user_agents;
  std::vector<Evidence> evidence;   ///< sorted, capped at kMaxEvidence
  std::uint64_t evidence_total = 0;
  Tags tags;
  /// Extra key/value facts for the report (score, model, bucket, ...); strings
  /// come from logs and are escaped by the writers.
  std::vector<std::pair<std::string, std::string>> details;

  static constexpr std::size_t kMaxEvidence = 20;
  /// Evidence later than this cannot make the earliest kMaxEvidence any more
  /// (set when the buffer is trimmed): add() then only counts it.
  std::int64_t evidence_cutoff_ms = INT64_MAX;

  /// Stable id: hex of a hash over rule, principal, access key, account,
  /// region and the first evidence pointer. Same input, same id.
  std::string id() const;

  /// Adds one piece of evidence, keeps first/last seen, count and caps.
  void add(const EventView& event);
  /// Adds an already-copied evidence pointer.
  void add(Evidence evidence);
  /// Sorts evidence and applies the cap; called by the pipeline before writing.
  void finalize();

 private:
  void keep(Evidence evidence);
};

/// Where analyzers and rules put findings. Not thread-safe: each worker owns one.
class FindingSink {
 public:
  virtual ~FindingSink() = default;
  virtual void emit(Finding finding) = 0;
  /// A resource identifier of an event ("bucketName", "my-bucket"), viewing
  /// the event's memory: valid during the call only.
  using DetailView = std::pair<std::string_view, std::string_view>;
  /// For sinks that fold repeated single-event matches (one finding per rule,
  /// principal, access key and account): counts `event` into the existing
  /// finding of `rule` for that key and returns true, so that the caller need
  /// not build a finding; false (the default) when there is none yet.
  /// `details` are the event's resource identifiers; the sink copies those it keeps.
  virtual bool fold(std::string_view rule, const EventView& event, std::span<const DetailView> details) {
    (void)rule, (void)event, (void)details;
    return false;
  }
};

/// A FindingSink that keeps everything in a vector.
class FindingList final : public FindingSink {
 public:
  void emit(Finding finding) override { findings.push_back(std::move(finding)); }
  std::vector<Finding> findings;
};

}  // namespace aiir
