// SPDX-License-Identifier: Apache-2.0
// Folds single-event rule matches into one finding per (rule, principal,
// access key, account): a responder wants "60 InvokeModel calls with key X",
// not 60 findings. Findings that are already aggregates pass through.
#pragma once

#include <aiir/finding.h>

#include <map>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

namespace aiir {

class AggregatingSink final : public FindingSink {
 public:
  explicit AggregatingSink(FindingSink& out) : out_(out) {}
  void emit(Finding finding) override;
  bool fold(std::string_view rule, const EventView& event, std::span<const DetailView> details) override;
  /// Emits the folded findings (in key order, so deterministic).
  void flush();

 private:
  struct Group {
    Finding finding;
    std::map<std::string, std::uint64_t, std::less<>> actions;
    std::map<std::string, std::uint64_t, std::less<>> regions;
  };
  using Key = std::tuple<std::string, std::string, std::string, std::string>;
  void merge(Group& g, std::string_view action, std::string_view region, const EventView* event, Finding* f,
             std::span<const DetailView> details);
  const std::string& flat_key(std::string_view rule, std::string_view principal, std::string_view key,
                              std::string_view account);

  FindingSink& out_;
  std::map<Key, Group> groups_;
  /// The same groups by their four parts joined with '\0', for fold().
  std::unordered_map<std::string, Group*> index_;
  std::string scratch_;
};

}  // namespace aiir
