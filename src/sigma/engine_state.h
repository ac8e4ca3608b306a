// SPDX-License-Identifier: Apache-2.0
// Internal run-time state of the Sigma engine: dispatch scratch and correlation hits.
#pragma once

#include <span>
#include <deque>
#include <string>
#include <unordered_map>
#include <vector>

#include "sigma/detail.h"

namespace aiir::sigma::detail {

/// A compact copy of one base-rule match kept for a correlation.
struct Hit {
  std::int64_t time = 0;
  std::uint32_t file = 0;
  std::uint32_t record = 0;
  std::uint16_t position = 0;        ///< which of the correlation's rules matched
  std::string value;                 ///< value_count field value
  std::vector<Evidence> evidence;    ///< one for an event; several for a chained match
  std::string principal, access_key, account, region, source_ip, user_agent;
};

struct Group {
  std::vector<std::string> values;   ///< group-by values
  std::vector<Hit> hits;
  std::uint64_t dropped = 0;
};

struct CorrState {
  std::unordered_map<std::string, Group> groups;
  std::uint64_t total = 0;
  std::uint64_t dropped = 0;
};

inline constexpr std::size_t kMaxHitsPerGroup = 10'000;
inline constexpr std::size_t kMaxGroups = 100'000;
inline constexpr std::uint64_t kMaxHitsPerCorrelation = 500'000;

class EngineState {
 public:
  /// force_emit: every matching rule emits, also base rules that do not
  /// generate (used by the rule-test runner).
  EngineState(const RuleSetData& data, bool force_emit);

  void on_event(const EventView& event, FindingSink& out, const VirtualFields* fields);
  /// The evaluation half of on_event (no state but scratch): appends the
  /// index of every single-event rule that matches `event`, in on_event's order.
  void match(const EventView& event, const VirtualFields* fields, std::vector<std::uint32_t>& out);
  /// The stateful half: findings and correlation hits for the rules match() found.
  void apply(const EventView& event, std::span<const std::uint32_t> matched_rules, FindingSink& out,
             const VirtualFields* fields);
  void finish(FindingSink& out);
  const EngineStats& stats() const noexcept { return stats_; }

 private:
  void candidates(const EventView& event, const Dispatch& dispatch,
                  const std::vector<std::uint32_t>*& by_name,
                  const std::vector<std::uint32_t>*& by_source,
                  const std::vector<std::uint32_t>*& by_identity_type);
  void matched(const Rule& rule, const EventView& event, FindingSink& out);
  void add_hit(std::uint32_t corr, std::vector<std::string> values, Hit hit);
  void evaluate(std::size_t corr, Group& group, FindingSink& out);
  void emit(std::size_t corr, const Group& group, std::size_t begin, std::size_t end, std::int64_t count,
            FindingSink& out);

  const RuleSetData& d_;
  bool force_emit_;
  std::vector<CorrState> corr_;
  EngineStats stats_;
  MatchContext ctx_;
  std::vector<FindingSink::DetailView> details_;  ///< scratch for fold()
  std::deque<std::string> detail_text_;           ///< what details_ views that the event does not hold (joined lists)
  std::vector<std::uint32_t> matched_;            ///< scratch for on_event()
};

}  // namespace aiir::sigma::detail
