// SPDX-License-Identifier: Apache-2.0
// CountedSet: counts and the kept values do not depend on its lookup caches.
#include <catch2/catch.hpp>

#include <map>
#include <random>
#include <string>
#include <vector>

#include "analyzers/scope.h"

using aiir::CountedSet;

namespace {
/// The contract, written plainly: the `cap` smallest values with their counts.
struct Reference {
  std::map<std::string, std::uint64_t, std::less<>> values;
  std::uint64_t overflow = 0;
  void add(const std::string& v, std::size_t cap, std::uint64_t n) {
    if (v.empty() || n == 0) return;
    if (auto it = values.find(v); it != values.end()) {
      it->second += n;
      return;
    }
    if (values.size() < cap) {
      values.emplace(v, n);
      return;
    }
    if (cap == 0 || !(v < std::prev(values.end())->first)) {
      overflow += n;
      return;
    }
    overflow += std::prev(values.end())->second;
    values.erase(std::prev(values.end()));
    values.emplace(v, n);
  }
};
}  // namespace

TEST_CASE("CountedSet counts as its contract says through its caches", "[analyzer][scope]") {
  std::vector<std::string> pool;
  for (int i = 0; i < 60; ++i) pool.push_back("ec2:Describe" + std::to_string(i * 7919 % 101));
  pool.push_back("");
  std::mt19937 rng(5);
  for (std::size_t cap : {std::size_t{0}, std::size_t{3}, std::size_t{10}, std::size_t{200}}) {
    CountedSet set;
    Reference ref;
    for (int step = 0; step < 5000; ++step) {
      // Runs of a few alternating values, as a principal's actions come.
      const std::string& v = pool[(step % 7 == 0 ? rng() : rng() % 6) % pool.size()];
      const std::uint64_t n = 1 + rng() % 3;
      set.add(v, cap, n);
      ref.add(v, cap, n);
      if (step % 500 == 0) {
        REQUIRE(set.values == ref.values);
        CHECK(set.overflow == ref.overflow);
      }
    }
    CHECK(set.values == ref.values);
    CHECK(set.overflow == ref.overflow);
    for (const auto& [v, c] : ref.values) CHECK(set.count(v) == c);
    // After the values are replaced (redaction), counting starts from them.
    std::map<std::string, std::uint64_t, std::less<>> next;
    for (const auto& [v, c] : set.values) next["x" + v] += c;
    set.replace(next);
    if (!next.empty()) {
      const std::string first = next.begin()->first;
      set.add(first, 1000, 1);
      CHECK(set.count(first) == next.begin()->second + 1);
      CHECK(set.count(pool[0]) == 0);
    }
  }
}

TEST_CASE("CountedSet counts a joined value found recently by its two parts", "[analyzer][scope]") {
  // As the scope tracker counts "service:Action": by the parts, else built and added.
  const std::vector<std::pair<std::string, std::string>> calls = {
      {"ec2", "DescribeInstances"}, {"iam", "ListRoles"},      {"ec2", "DescribeInstances"}, {"s3", "GetObject"},
      {"ec2", "DescribeVpcs"},      {"iam", "ListRoles"},      {"ec", "2:DescribeVpcs"},     {"ec2:DescribeVpc", "s"},
      {"sts", "GetCallerIdentity"}, {"ec2", "DescribeVpcs"},   {"iam", "ListRoles"},         {"s3", "GetObject"}};
  std::mt19937 rng(7);
  for (std::size_t cap : {std::size_t{0}, std::size_t{2}, std::size_t{200}}) {
    CountedSet set;
    Reference ref;
    for (int step = 0; step < 2000; ++step) {
      const auto& [service, action] = calls[rng() % calls.size()];
      const std::string joined = service + ":" + action;
      if (!set.add_if_recent(service, action)) set.add(joined, cap);
      ref.add(joined, cap, 1);
    }
    CHECK(set.values == ref.values);
    CHECK(set.overflow == ref.overflow);
  }
  CountedSet set;
  CHECK_FALSE(set.add_if_recent("ec2", ""));
  set.add("ec2:", 10);
  CHECK_FALSE(set.add_if_recent("ec2", ""));
  CHECK(set.count("ec2:") == 1);
}
