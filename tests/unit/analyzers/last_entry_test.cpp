// SPDX-License-Identifier: Apache-2.0
// detail::LastEntry: the map lookup-or-add that remembers its last entry.
#include <catch2/catch.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>

#include "analyzers/common.h"

using aiir::detail::LastEntry;

TEST_CASE("LastEntry adds once, finds again, and stops at the cap", "[analyzer][common]") {
  std::map<std::string, int, std::less<>> m;
  LastEntry<std::map<std::string, int, std::less<>>> at;
  int inits = 0;
  auto init = [&](int& v) {
    ++inits;
    v = 100;
  };
  int* a = at.find_or_add(m, std::string_view("alpha"), 2, init);
  REQUIRE(a != nullptr);
  *a += 1;
  CHECK(at.find_or_add(m, std::string_view("alpha"), 2, init) == a);  // the remembered entry
  int* b = at.find_or_add(m, std::string_view("beta"), 2, init);
  REQUIRE(b != nullptr);
  CHECK(at.find_or_add(m, std::string_view("alpha"), 2, init) == a);  // found by search after a switch
  CHECK(*a == 101);
  CHECK(inits == 2);
  CHECK(at.find_or_add(m, std::string_view("gamma"), 2, init) == nullptr);  // full: the caller counts it
  CHECK(m.size() == 2);
  CHECK(at.find_or_add(m, std::string_view("beta"), 2, init) == b);  // full maps still find what they hold
}

TEST_CASE("LastEntry cuts long keys and never re-initializes their entry", "[analyzer][common]") {
  std::map<std::string, int, std::less<>> m;
  LastEntry<std::map<std::string, int, std::less<>>> at;
  int inits = 0;
  auto init = [&](int& v) {
    ++inits;
    v = 7;
  };
  const std::string long_key(40, 'k');
  int* e = at.find_or_add(m, std::string_view(long_key), 10, init, 16);
  REQUIRE(e != nullptr);
  *e = 42;
  CHECK(m.begin()->first.size() == 16);
  at.find_or_add(m, std::string_view("other"), 10, init, 16);  // forget the last entry
  CHECK(at.find_or_add(m, std::string_view(long_key), 10, init, 16) == e);
  CHECK(*e == 42);
  CHECK(inits == 2);
}

TEST_CASE("LastEntry tells maps apart and works with integer keys", "[analyzer][common]") {
  std::unordered_map<std::uint64_t, int> m1, m2;
  LastEntry<std::unordered_map<std::uint64_t, int>> at;
  int* x = at.find_or_add(m1, std::uint64_t{5}, 10, [](int& v) { v = 1; });
  int* y = at.find_or_add(m2, std::uint64_t{5}, 10, [](int& v) { v = 2; });  // same key, other map
  REQUIRE(x != nullptr);
  REQUIRE(y != nullptr);
  CHECK(x != y);
  CHECK(*x == 1);
  CHECK(*y == 2);
  for (std::uint64_t k = 0; k < 1000; ++k) at.find_or_add(m1, k, 2000, [](int&) {});  // rehashes
  CHECK(at.find_or_add(m1, std::uint64_t{5}, 2000, [](int& v) { v = 9; }) == x);  // nodes stay put
  CHECK(*x == 1);
}
