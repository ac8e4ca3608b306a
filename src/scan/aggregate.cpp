// SPDX-License-Identifier: Apache-2.0
// Folding of repeated single-event findings.
#include "scan/aggregate.h"

#include <aiir/event.h>

#include <algorithm>

#include <fmt/format.h>

namespace aiir {
namespace {

void union_into(std::vector<std::string>& into, const std::vector<std::string>& from, std::size_t cap) {
  for (const std::string& v : from) {
    if (into.size() >= cap) return;
    if (std::find(into.begin(), into.end(), v) == into.end()) into.push_back(v);
  }
}

void add_capped(std::vector<std::string>& into, std::string_view v, std::size_t cap) {
  if (v.empty() || into.size() >= cap) return;
  if (std::find(into.begin(), into.end(), v) == into.end()) into.emplace_back(v);
}

/// One more occurrence of `k` (empty keys are not counted).
void bump(std::map<std::string, std::uint64_t, std::less<>>& m, std::string_view k) {
  if (k.empty()) return;
  auto at = m.find(k);
  if (at == m.end()) at = m.emplace(std::string(k), 0).first;
  ++at->second;
}

bool is_single_event_rule_match(const Finding& f) {
  if (f.count != 1) return false;
  return std::any_of(f.details.begin(), f.details.end(), [](const auto& kv) { return kv.first == "sigma_id"; });
}

}  // namespace

const std::string& AggregatingSink::flat_key(std::string_view rule, std::string_view principal, std::string_view key,
                                             std::string_view account) {
  scratch_.clear();
  for (std::string_view part : {rule, principal, key, account}) {
    scratch_.append(part);
    scratch_.push_back('\0');
  }
  return scratch_;
}

void AggregatingSink::emit(Finding f) {
  if (!is_single_event_rule_match(f)) {
    out_.emit(std::move(f));
    return;
  }
  auto [it, inserted] = groups_.try_emplace(Key{f.rule, f.principal, f.access_key_id, f.account});
  Group& g = it->second;
  if (inserted) index_.emplace(flat_key(f.rule, f.principal, f.access_key_id, f.account), &g);
  const std::string action = f.evidence.empty() ? std::string() : f.evidence.front().action;
  const std::string region = f.region;
  if (g.finding.count == 0) {
    bump(g.actions, action);
    bump(g.regions, region);
    g.finding = std::move(f);
    return;
  }
  std::vector<DetailView> details(f.details.begin(), f.details.end());
  merge(g, action, region, nullptr, &f, details);
}

bool AggregatingSink::fold(std::string_view rule, const EventView& event, std::span<const DetailView> details) {
  auto it = index_.find(flat_key(rule, event.actor_arn, event.access_key_id, event.account));
  if (it == index_.end()) return false;
  merge(*it->second, event.action, event.region, &event, nullptr, details);
  return true;
}

/// Counts one more match into `g`: from a whole finding `f` (emit) or
/// straight from the event (fold), whichever is given.
void AggregatingSink::merge(Group& g, std::string_view action, std::string_view region, const EventView* event,
                            Finding* f, std::span<const DetailView> details) {
  bump(g.actions, action);
  bump(g.regions, region);
  Finding& into = g.finding;
  if (f != nullptr) {
    for (Evidence& e : f->evidence) into.add(std::move(e));
    union_into(into.source_ips, f->source_ips, 50);
    union_into(into.user_agents, f->user_agents, 20);
  } else {
    into.add(*event);
    add_capped(into.source_ips, event->source_ip, 50);
    add_capped(into.user_agents, event->user_agent, 20);
  }
  // Keep the distinct resource identifiers of the folded matches (a few per key).
  for (const auto& [key, value] : details) {
    std::size_t same_key = 0;
    bool present = false;
    for (const auto& have : into.details) {
      if (have.first != key) continue;
      ++same_key;
      present = present || have.second == value;
    }
    if (!present && same_key < 5) into.details.emplace_back(key, value);
  }
}

void AggregatingSink::flush() {
  for (auto& [key, g] : groups_) {
    Finding& f = g.finding;
    if (f.count > 1) {
      std::string actions;
      for (const auto& [a, n] : g.actions) actions += fmt::format("{}{} x{}", actions.empty() ? "" : ", ", a, n);
      f.summary = fmt::format("{}: {} matching events{}{}", f.title, f.count,
                              f.principal.empty() ? std::string() : " by " + f.principal,
                              actions.empty() ? std::string() : " (" + actions + ")");
      if (g.regions.size() > 1) {
        std::string regions;
        for (const auto& [r, n] : g.regions) regions += fmt::format("{}{} x{}", regions.empty() ? "" : ", ", r, n);
        f.region.clear();
        f.details.emplace_back("regions", regions);
      }
    }
    out_.emit(std::move(f));
  }
  groups_.clear();
  index_.clear();
}

}  // namespace aiir
