// SPDX-License-Identifier: Apache-2.0
// Helpers for the Sigma tests: rules from YAML text, events from JSON text.
#pragma once

#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "event/normalize.h"
#include "sigma/engine.h"

namespace aiir::sigma::testing {

/// A CloudTrail rule with the given detection block (indented by 2 spaces in the text).
inline std::string ct_rule(const std::string& detection, const std::string& extra = "") {
  return "title: test rule\nid: 11111111-2222-3333-4444-555555555555\nlevel: high\n"
         "logsource:\n  product: aws\n  service: cloudtrail\ndetection:\n" +
         detection + extra;
}

/// Turns each record (a JSON object) into an event the way rule tests do and
/// hands it to `f`, in order (record numbers 0, 1, ...; file "test.json").
template <class F>
void for_each_event(const std::vector<std::string>& records, EventKind kind, F&& f) {
  CaseAdapter adapter;
  std::uint32_t n = 0;
  for (const auto& json : records) {
    simdjson::dom::parser parser;
    simdjson::dom::element el;
    REQUIRE(parser.parse(json).get(el) == simdjson::SUCCESS);
    EventView ev;
    std::string error;
    REQUIRE(adapter.make_event(el, kind, ev, error));
    ev.where.record = n++;
    ev.file = "test.json";
    f(ev);
  }
}

/// Hands CloudTrail records to `engine` normalized as a scan does (the
/// normalizer's values and members, not the rule-test adapter's): a common
/// head, then each tail (the rest of the object); records numbered 0, 1, ...
inline void scan_tails(Engine& engine, FindingList& out, const std::vector<std::string>& tails) {
  simdjson::dom::parser parser;
  std::uint32_t record = 0;
  for (const std::string& tail : tails) {
    const std::string json = R"({"eventVersion":"1.08","eventTime":"2026-03-01T00:00:00Z","awsRegion":"us-east-1",)"
                             R"("eventID":"e1",)" + tail;
    simdjson::dom::element el;
    REQUIRE(parser.parse(json).get(el) == simdjson::SUCCESS);
    NormalizeArena arena;
    EventView ev;
    std::size_t begin = 0;
    SkipReason why{};
    REQUIRE(normalize_record(el, classify_record(el.get_object().value()), arena, ev, begin, why));
    ev.file = "test.json";
    ev.where.record = record++;
    engine.on_event(ev, out, nullptr);
  }
}

/// Runs all records (JSON objects) of one kind through a fresh engine and returns the findings.
inline std::vector<Finding> run(const RuleSet& set, const std::vector<std::string>& records,
                                EventKind kind = EventKind::kCloudTrail,
                                const VirtualFields* fields = nullptr) {
  Engine engine(set);
  FindingList out;
  for_each_event(records, kind, [&](const EventView& ev) { engine.on_event(ev, out, fields); });
  engine.finish(out);
  return out.findings;
}

/// Loads `yaml` (must load without issues) and tells whether it fires on `record`.
inline bool fires(const std::string& yaml, const std::string& record,
                  EventKind kind = EventKind::kCloudTrail, const VirtualFields* fields = nullptr) {
  RuleSet set = RuleSet::from_string(yaml, "test.yml");
  for (const auto& issue : set.issues()) INFO(issue.line << ": " << issue.message);
  REQUIRE(set.error_count() == 0);
  REQUIRE(set.loaded_count() >= 1);
  return !run(set, {record}, kind, fields).empty();
}

inline bool sel(const std::string& selection_body, const std::string& record,
                const std::string& condition = "sel") {
  return fires(ct_rule("  sel:\n" + selection_body + "  condition: " + condition + "\n"), record);
}

inline std::string file_name(const std::string& path) {
  auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace aiir::sigma::testing
