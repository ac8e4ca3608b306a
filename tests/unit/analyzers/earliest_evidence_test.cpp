// SPDX-License-Identifier: Apache-2.0
// detail::EarliestEvidence: the kMaxEvidence earliest pointers whatever the input order; detail::ClientIds.
#include <catch2/catch.hpp>

#include <aiir/event.h>
#include <aiir/finding.h>

#include <algorithm>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "analyzers/ai_principals.h"

using aiir::EventView;
using aiir::Evidence;
using aiir::Finding;
using aiir::detail::EarliestEvidence;

namespace {
struct Made {
  std::string file, id, action;
  std::int64_t time_ms;
  std::uint32_t file_index, record;
};

std::vector<Evidence> feed(const std::vector<Made>& events) {
  EarliestEvidence kept;
  for (const Made& m : events) {
    EventView e;
    e.kind = aiir::EventKind::kCloudTrail;
    e.file = m.file;
    e.event_id = m.id;
    e.action = m.action;
    e.time_ms = m.time_ms;
    e.where.file = m.file_index;
    e.where.record = m.record;
    kept.add(e);
  }
  return kept.sorted();
}
}  // namespace

TEST_CASE("EarliestEvidence keeps the earliest pointers in any input order", "[analyzer][common]") {
  // 60 events over 3 files, some sharing a time (then file, then record decide),
  // one of them added twice; long strings so that reused storage matters.
  std::vector<Made> events;
  for (std::uint32_t i = 0; i < 60; ++i) {
    const std::uint32_t f = i % 3;
    events.push_back({"/evidence/AWSLogs/111122223333/CloudTrail/us-east-1/2026/03/01/file-" + std::to_string(f) +
                          ".json.gz",
                      "event-" + std::to_string(i) + "-0000-1111-2222-333344445555", "Action" + std::to_string(i),
                      1'000'000 + static_cast<std::int64_t>(i / 2) * 1000, f, i});
  }
  events.push_back(events[7]);
  std::vector<Made> expected_order = events;
  std::sort(expected_order.begin(), expected_order.end(), [](const Made& a, const Made& b) {
    return std::tie(a.time_ms, a.file_index, a.record) < std::tie(b.time_ms, b.file_index, b.record);
  });
  expected_order.resize(Finding::kMaxEvidence);

  const std::vector<Evidence> forward = feed(events);
  REQUIRE(forward.size() == Finding::kMaxEvidence);
  for (std::size_t i = 0; i < forward.size(); ++i) {
    CHECK(forward[i].event_id == expected_order[i].id);
    CHECK(forward[i].file == expected_order[i].file);
    CHECK(forward[i].action == expected_order[i].action);
    CHECK(forward[i].record == expected_order[i].record);
  }
  auto same = [&](const std::vector<Evidence>& other) {
    REQUIRE(other.size() == forward.size());
    for (std::size_t i = 0; i < other.size(); ++i) {
      CHECK(other[i].event_id == forward[i].event_id);
      CHECK(other[i].file == forward[i].file);
      CHECK(other[i].action == forward[i].action);
      CHECK(other[i].time_ms == forward[i].time_ms);
    }
  };
  std::vector<Made> reversed(events.rbegin(), events.rend());
  same(feed(reversed));
  std::mt19937 rng(7);
  for (int round = 0; round < 5; ++round) {
    std::shuffle(events.begin(), events.end(), rng);
    same(feed(events));
  }
  // Fewer events than the cap: all of them, sorted.
  std::vector<Made> few(events.begin(), events.begin() + 5);
  CHECK(feed(few).size() == 5);
}

TEST_CASE("EarliestEvidenceOf keeps the earliest `limit` events it is given, below its room", "[analyzer][common]") {
  aiir::detail::EarliestEvidenceOf<4> kept;
  const std::string file = "/evidence/AWSLogs/111122223333/CloudTrail/us-east-1/2026/03/01/one-file.json.gz";
  for (std::uint32_t record : {5u, 2u, 9u, 1u, 7u, 3u}) {
    EventView e;
    e.file = file;
    e.action = "GetObject";
    e.time_ms = 1'000'000;
    e.where.record = record;
    kept.add(e, 2);
  }
  const std::vector<Evidence> ev = kept.sorted();
  REQUIRE(ev.size() == 2);
  CHECK(ev[0].record == 1);
  CHECK(ev[1].record == 2);
  CHECK(ev[0].file == file);
  CHECK(ev[1].action == "GetObject");
}

TEST_CASE("EarliestEvidenceOf::merge keeps the earliest of both", "[analyzer][common]") {
  std::vector<std::string> actions;  // the events' views point into these
  for (std::uint32_t r = 0; r < 12; ++r) actions.push_back("Action" + std::to_string(r));
  auto event = [&](std::uint32_t record) {
    EventView e;
    e.file = "/logs/a.json.gz";
    e.action = actions[record];
    e.time_ms = 2'000'000 - static_cast<std::int64_t>(record % 4) * 1000;  // out of record order
    e.where.record = record;
    return e;
  };
  aiir::detail::EarliestEvidenceOf<3> a, b, all;
  for (std::uint32_t r = 0; r < 12; ++r) {
    const EventView e = event(r);
    (r % 2 == 0 ? a : b).add(e);
    all.add(e);
  }
  a.merge(b);
  const std::vector<Evidence> merged = a.sorted(), expected = all.sorted();
  REQUIRE(merged.size() == 3);
  for (std::size_t i = 0; i < merged.size(); ++i) {
    CHECK(merged[i].record == expected[i].record);
    CHECK(merged[i].action == expected[i].action);
    CHECK(merged[i].time_ms == expected[i].time_ms);
  }
}

TEST_CASE("interned_path: one copy of each path, whatever the thread", "[analyzer][common]") {
  using aiir::detail::interned_path;
  const std::string a = "/logs/a.json.gz", a_again = a, b = "/logs/b.json.gz";
  const std::string* first = interned_path(a);
  CHECK(*first == a);
  CHECK(interned_path(a_again) == first);  // the same text elsewhere
  CHECK(interned_path(b) != first);
  CHECK(*interned_path(b) == b);
  CHECK(interned_path(a) == first);  // not only the last one asked for
  const std::string* there = nullptr;
  std::thread([&] { there = interned_path(a); }).join();
  CHECK(there == first);
}

TEST_CASE("client ids: one id per value, the last event's ids reused, never one id for two values",
          "[analyzer][client_ids]") {
  using aiir::detail::ClientIds;
  const ClientIds first_analyzer, second_analyzer;
  std::string ip = "198.51.100.7", agent = "aws-cli/2.15", key = "AKIAEXAMPLE", account = "111122223333";
  EventView e;
  e.source_ip = ip;
  e.user_agent = agent;
  e.access_key_id = key;
  e.account = account;
  e.region = "us-east-1";
  e.where.record = 1;
  const ClientIds::Ids a = first_analyzer.of(e);
  // The next analyzer asking about the same event gets the same ids.
  CHECK(second_analyzer.of(e) == a);
  // The same event object holding another record: its other values get other ids.
  std::string other_ip = "203.0.113.9";
  e.source_ip = other_ip;
  e.where.record = 2;
  const ClientIds::Ids b = first_analyzer.of(e);
  CHECK(b[ClientIds::kIp] != a[ClientIds::kIp]);
  CHECK(b[ClientIds::kAgent] == a[ClientIds::kAgent]);
  CHECK(b[ClientIds::kRegion] == a[ClientIds::kRegion]);
  // The same text at another address (another record) keeps its id.
  std::string ip_again = ip;
  e.source_ip = ip_again;
  e.where.record = 3;
  CHECK(first_analyzer.of(e)[ClientIds::kIp] == a[ClientIds::kIp]);
  // Another thread's ids never name this thread's values.
  ClientIds::Ids there{};
  std::thread([&] {
    EventView o = e;
    o.source_ip = other_ip;
    there = second_analyzer.of(o);
  }).join();
  for (std::size_t f = 0; f < ClientIds::kFields; ++f) {
    CHECK(there[f] != a[f]);
    CHECK(there[f] != b[f]);
  }
}
