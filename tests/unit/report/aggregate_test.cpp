// SPDX-License-Identifier: Apache-2.0
// Folding of single-event rule matches: one finding per rule, principal, key
// and account, the same whether the engine folds events directly or hands
// over whole findings.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include <fmt/format.h>

#include "../sigma/sigma_test_util.h"
#include "scan/aggregate.h"

namespace {

using aiir::EventKind;
using aiir::EventView;
using aiir::Finding;
using aiir::FindingList;
using aiir::FindingSink;

/// Passes findings on but never folds: the engine builds a finding per match.
class NoFold final : public FindingSink {
 public:
  explicit NoFold(FindingSink& out) : out_(out) {}
  void emit(Finding f) override { out_.emit(std::move(f)); }

 private:
  FindingSink& out_;
};

std::string record(int i, const std::string& who, const std::string& region, const std::string& role) {
  // Times go down then up, so that the kept evidence is not simply the first seen.
  const int minute = (i * 37) % 60;
  return fmt::format(
      R"({{"eventVersion":"1.08","eventTime":"2026-03-01T10:{:02d}:{:02d}Z","eventSource":"sts.amazonaws.com",)"
      R"("eventName":"AssumeRole","awsRegion":"{}","sourceIPAddress":"10.0.0.{}","userAgent":"ua-{}",)"
      R"("userIdentity":{{"type":"AssumedRole","arn":"{}","accessKeyId":"ASIAEXAMPLE","accountId":"111122223333"}},)"
      R"("requestParameters":{{"roleName":"{}"}},"eventID":"e-{}","recipientAccountId":"111122223333"}})",
      minute, i % 60, region, i % 70, i % 3, who, role, i);
}

std::vector<Finding> scan(bool fold, const std::vector<std::string>& records) {
  const aiir::sigma::RuleSet set = aiir::sigma::RuleSet::from_string(
      aiir::sigma::testing::ct_rule("  sel:\n    eventName: AssumeRole\n  condition: sel\n"), "t.yml");
  REQUIRE(set.loaded_count() == 1);
  aiir::sigma::Engine engine(set);
  FindingList list;
  aiir::AggregatingSink agg(list);
  NoFold nofold(agg);
  FindingSink& sink = fold ? static_cast<FindingSink&>(agg) : nofold;
  aiir::sigma::testing::for_each_event(records, EventKind::kCloudTrail,
                                       [&](const EventView& ev) { engine.on_event(ev, sink, nullptr); });
  agg.flush();
  for (Finding& f : list.findings) f.finalize();
  return list.findings;
}

}  // namespace

TEST_CASE("folded rule matches: one finding per principal, same with or without fold()", "[aggregate]") {
  std::vector<std::string> records;
  const std::string alice = "arn:aws:sts::111122223333:assumed-role/app/alice";
  const std::string bob = "arn:aws:sts::111122223333:assumed-role/app/bob";
  for (int i = 0; i < 300; ++i)
    records.push_back(record(i, alice, i % 2 ? "us-east-1" : "eu-west-1", i % 7 == 0 ? "admin" : "reader"));
  records.push_back(record(999, bob, "us-east-1", "reader"));

  const std::vector<Finding> folded = scan(true, records);
  const std::vector<Finding> plain = scan(false, records);
  REQUIRE(folded.size() == 2);
  REQUIRE(plain.size() == 2);
  for (std::size_t k = 0; k < 2; ++k) {
    const Finding& a = folded[k];
    const Finding& b = plain[k];
    CHECK(a.principal == b.principal);
    CHECK(a.count == b.count);
    CHECK(a.evidence_total == b.evidence_total);
    CHECK(a.first_seen_ms == b.first_seen_ms);
    CHECK(a.last_seen_ms == b.last_seen_ms);
    CHECK(a.summary == b.summary);
    CHECK(a.source_ips == b.source_ips);
    CHECK(a.user_agents == b.user_agents);
    CHECK(a.details == b.details);
    REQUIRE(a.evidence.size() == b.evidence.size());
    for (std::size_t e = 0; e < a.evidence.size(); ++e) CHECK(a.evidence[e].event_id == b.evidence[e].event_id);
    CHECK(a.id() == b.id());
  }
  const Finding& f = folded[0].principal == alice ? folded[0] : folded[1];
  CHECK(f.count == 300);
  CHECK(f.evidence.size() == Finding::kMaxEvidence);
  // The earliest events are kept, whatever order they came in.
  CHECK(f.evidence.front().time_ms == f.first_seen_ms);
  for (std::size_t e = 1; e < f.evidence.size(); ++e) CHECK(f.evidence[e - 1].time_ms <= f.evidence[e].time_ms);
  CHECK(f.source_ips.size() == 50);  // capped
  CHECK(f.user_agents.size() == 3);
  bool both_roles = false, regions = false;
  for (const auto& [k, v] : f.details) {
    if (k == "roleName" && v == "reader") both_roles = true;
    if (k == "regions") regions = v.find("eu-west-1 x150") != std::string::npos && v.find("us-east-1 x150") != std::string::npos;
  }
  CHECK(both_roles);
  CHECK(regions);
}

TEST_CASE("evidence keeps the earliest events of a long burst in any arrival order", "[aggregate]") {
  Finding f;
  for (int i = 0; i < 1000; ++i) {
    aiir::Evidence e;
    e.time_ms = (static_cast<std::int64_t>(i) * 7919) % 1000;  // a permutation of 0..999
    e.record = static_cast<std::uint32_t>(i);
    f.add(std::move(e));
  }
  f.finalize();
  CHECK(f.count == 1000);
  CHECK(f.first_seen_ms == 0);
  CHECK(f.last_seen_ms == 999);
  REQUIRE(f.evidence.size() == Finding::kMaxEvidence);
  for (std::size_t k = 0; k < f.evidence.size(); ++k) CHECK(f.evidence[k].time_ms == static_cast<std::int64_t>(k));
}

TEST_CASE("a record added twice to a finding is cited once", "[aggregate]") {
  Finding f;
  for (int pass = 0; pass < 2; ++pass) {
    for (int i = 0; i < 30; ++i) {  // past 2 x kMaxEvidence adds: the trim runs too
      aiir::Evidence e;
      e.file = "a.json";
      e.time_ms = 1000 + i;
      e.record = static_cast<std::uint32_t>(i);
      f.add(std::move(e));
    }
  }
  // Same time and file, another record: kept.
  aiir::Evidence other;
  other.file = "a.json";
  other.time_ms = 1000;
  other.record = 99;
  f.add(std::move(other));
  f.finalize();
  REQUIRE(f.evidence.size() == Finding::kMaxEvidence);
  for (std::size_t k = 1; k < f.evidence.size(); ++k)
    CHECK(std::tie(f.evidence[k - 1].time_ms, f.evidence[k - 1].record) != std::tie(f.evidence[k].time_ms, f.evidence[k].record));
  CHECK(f.evidence[0].record == 0);
  CHECK(f.evidence[1].record == 99);
  CHECK(f.evidence_total >= Finding::kMaxEvidence);
  // Few enough to be kept: the total is exact.
  Finding g;
  for (int pass = 0; pass < 2; ++pass)
    for (int i = 0; i < 5; ++i) {
      aiir::Evidence e;
      e.file = "b.json";
      e.time_ms = 1000 + i;
      e.record = static_cast<std::uint32_t>(i);
      g.add(std::move(e));
    }
  g.finalize();
  CHECK(g.evidence.size() == 5);
  CHECK(g.evidence_total == 5);
}
