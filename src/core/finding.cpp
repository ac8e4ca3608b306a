// SPDX-License-Identifier: Apache-2.0
// Finding bookkeeping: evidence, first/last seen, stable ids.
#include <aiir/event.h>
#include <aiir/finding.h>

#include <algorithm>
#include <tuple>

#include "util/hash.h"

namespace aiir {

Evidence Evidence::from(const EventView& event) {
  Evidence e;
  e.assign(event);
  return e;
}

void Evidence::assign(const EventView& event) {
  file.assign(event.file);
  file_index = event.where.file;
  record = event.where.record;
  event_id.assign(cited_event_id(event));
  request_id.assign(event.request_id);
  action.assign(event.action);
  time_ms = event.time_ms;
}

std::string_view Evidence::cited_event_id(const EventView& event) noexcept {
  return event.kind == EventKind::kInvocation ? std::string_view() : event.event_id;
}

bool operator<(const Evidence& a, const Evidence& b) noexcept {
  return std::tie(a.time_ms, a.file_index, a.record) < std::tie(b.time_ms, b.file_index, b.record);
}

namespace {
/// Counts one event at `time_ms`; true when its evidence could still be kept.
bool count_one(Finding& f, std::int64_t time_ms) {
  if (f.count == 0 || time_ms < f.first_seen_ms) f.first_seen_ms = time_ms;
  if (f.count == 0 || time_ms > f.last_seen_ms) f.last_seen_ms = time_ms;
  ++f.count;
  ++f.evidence_total;
  return time_ms <= f.evidence_cutoff_ms;
}
}  // namespace

void Finding::add(const EventView& event) {
  // Long bursts (every AssumeRole of a day) add thousands of events to one
  // finding: skip copying the strings of those that cannot be kept.
  if (count_one(*this, event.time_ms)) keep(Evidence::from(event));
}

void Finding::add(Evidence e) {
  if (count_one(*this, e.time_ms)) keep(std::move(e));
}

namespace {
/// Sorts `v` and drops second citations of one record (a record added twice,
/// by overlapping windows or two roles in one finding); returns how many.
std::size_t sort_unique_records(std::vector<Evidence>& v) {
  std::sort(v.begin(), v.end());
  auto same = [](const Evidence& a, const Evidence& b) {
    return a.time_ms == b.time_ms && a.file_index == b.file_index && a.record == b.record && a.file == b.file &&
           a.event_id == b.event_id && a.request_id == b.request_id;
  };
  const std::size_t before = v.size();
  v.erase(std::unique(v.begin(), v.end(), same), v.end());
  return before - v.size();
}
}  // namespace

void Finding::keep(Evidence e) {
  evidence.push_back(std::move(e));
  // Keep memory bounded on long bursts: trim to the earliest entries now and
  // then. The latest kept time only goes down from here on.
  if (evidence.size() >= 2 * kMaxEvidence) {
    const std::size_t repeated = sort_unique_records(evidence);
    evidence_total -= std::min<std::uint64_t>(evidence_total, repeated);
    if (evidence.size() > kMaxEvidence) {
      evidence.resize(kMaxEvidence);
      evidence_cutoff_ms = evidence.back().time_ms;
    }
  }
}

void Finding::finalize() {
  const std::size_t repeated = sort_unique_records(evidence);
  evidence_total -= std::min<std::uint64_t>(evidence_total, repeated);
  if (evidence.size() > kMaxEvidence) evidence.resize(kMaxEvidence);
  auto sort_unique = [](std::vector<std::string>& v) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    v.erase(std::remove(v.begin(), v.end(), std::string()), v.end());
  };
  sort_unique(source_ips);
  sort_unique(user_agents);
  sort_unique(tags.attack);
  sort_unique(tags.atlas);
  sort_unique(tags.owasp_llm);
  if (evidence_total < evidence.size()) evidence_total = evidence.size();
}

std::string Finding::id() const {
  detail::StableHash h;
  h.add(rule).add(principal).add(access_key_id).add(account).add(region);
  if (!evidence.empty()) {
    const Evidence& first = *std::min_element(evidence.begin(), evidence.end());
    h.add(first.file).add(std::uint64_t{first.record}).add(first.event_id).add(first.request_id);
  } else {
    h.add(summary);
  }
  return h.hex();
}

}  // namespace aiir
