// SPDX-License-Identifier: Apache-2.0
// Normalization (pipeline stage 3): one JSON record -> one EventView, in one
// pass over the record's fields (formats.md §6, docs/event-schema.md).
#pragma once

#include <aiir/diagnostics.h>
#include <aiir/event.h>
#include <simdjson.h>

#include <deque>
#include <string>
#include <vector>

namespace aiir {

/// What kind of record a JSON object is, decided from its keys.
enum class RecordType : std::uint8_t { kCloudTrail, kInsight, kInvocation, kKnowledgeBaseLog, kUnknown };

/// Classifies one object as a record (not as a container such as {"Records":[...]}).
RecordType classify_record(simdjson::dom::object obj) noexcept;

/// Storage for what normalization derives rather than finds (derived ARNs,
/// synthetic ids) and for resource lists. Lives as long as the events that
/// point into it; cleared per file.
struct NormalizeArena {
  std::vector<ResourceView> resources;
  std::deque<std::string> strings;
  /// The last assumed-role ARN an invocation record named and its role's ARN
  /// (in `strings`): a file's records mostly share their caller, so the role
  /// ARN is derived and kept once per run of them.
  std::string_view assumed_arn, role_arn;
  std::string_view keep(std::string s) { return strings.emplace_back(std::move(s)); }
  void clear() {
    resources.clear();
    strings.clear();
    assumed_arn = role_arn = {};
  }
};

/// Fills `ev` from `record` (an object of type `type`). Resources are appended
/// to `arena.resources`; `ev.resources` is left empty and the caller binds it
/// from [resource_begin, arena.resources.size()) once the arena stops growing.
/// Returns false with `why` when the record cannot be an event (no usable time).
bool normalize_record(simdjson::dom::element record, RecordType type, NormalizeArena& arena, EventView& ev,
                      std::size_t& resource_begin, SkipReason& why);

/// Parses a JSON boolean or a boolean-ish string ("true", "Yes", "false", "no").
Tri parse_tri(simdjson::dom::element value) noexcept;

/// The IAM role ARN behind an STS assumed-role ARN
/// (`arn:aws:sts::A:assumed-role/R/S` -> `arn:aws:iam::A:role/R`), or empty.
std::string role_arn_from_assumed(std::string_view arn);

/// "IAMUser", "AssumedRole", "Root", ... derived from an ARN (invocation logs carry only the ARN).
std::string_view actor_type_from_arn(std::string_view arn) noexcept;

}  // namespace aiir
