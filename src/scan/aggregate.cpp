// SPDX-License-Identifier: Apache-2.0
// Folding of repeated single-event findings.
#include "scan/aggregate.h"

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

bool is_single_event_rule_match(const Finding& f) {
  if (f.count != 1) return false;
  return std::any_of(f.details.begin(), f.details.end(), [](const auto& kv) { return kv.first == "sigma_id"; });
}

}  // namespace

void AggregatingSink::emit(Finding f) {
  if (!is_single_event_rule_match(f)) {
    out_.emit(std::move(f));
    return;
  }
  auto key = std::make_tuple(f.rule, f.principal, f.access_key_id, f.account);
  Group& g = groups_[key];
  std::string action = f.evidence.empty() ? std::string() : f.evidence.front().action;
  if (!action.empty()) ++g.actions[action];
  if (!f.region.empty()) ++g.regions[f.region];
  if (g.finding.count == 0) {
    g.finding = std::move(f);
    return;
  }
  Finding& into = g.finding;
  for (Evidence& e : f.evidence) into.add(std::move(e));
  // Keep the distinct resource identifiers of the folded matches (a few per key).
  for (auto& kv : f.details) {
    std::size_t same_key = 0;
    bool present = false;
    for (const auto& have : into.details) {
      if (have.first != kv.first) continue;
      ++same_key;
      present = present || have.second == kv.second;
    }
    if (!present && same_key < 5) into.details.push_back(std::move(kv));
  }
  union_into(into.source_ips, f.source_ips, 50);
  union_into(into.user_agents, f.user_agents, 20);
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
}

}  // namespace aiir
