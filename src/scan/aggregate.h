// SPDX-License-Identifier: Apache-2.0
// Folds single-event rule matches into one finding per (rule, principal,
// access key, account): a responder wants "60 InvokeModel calls with key X",
// not 60 findings. Findings that are already aggregates pass through.
#pragma once

#include <aiir/finding.h>

#include <map>
#include <string>
#include <tuple>

namespace aiir {

class AggregatingSink final : public FindingSink {
 public:
  explicit AggregatingSink(FindingSink& out) : out_(out) {}
  void emit(Finding finding) override;
  /// Emits the folded findings (in key order, so deterministic).
  void flush();

 private:
  struct Group {
    Finding finding;
    std::map<std::string, std::uint64_t> actions;
    std::map<std::string, std::uint64_t> regions;
  };
  FindingSink& out_;
  std::map<std::tuple<std::string, std::string, std::string, std::string>, Group> groups_;
};

}  // namespace aiir
