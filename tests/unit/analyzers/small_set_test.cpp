// SPDX-License-Identifier: Apache-2.0
// detail::SmallStrSet behaves as the std::set it replaces in capped aggregates.
#include <catch2/catch.hpp>

#include <array>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "analyzers/common.h"

using aiir::detail::insert_capped;
using aiir::detail::SmallStrSet;
using aiir::detail::StrSet;

TEST_CASE("SmallStrSet keeps the same values, in the same order, as a set", "[analyzer][common]") {
  std::mt19937 rng(11);
  // Values of a few lengths sharing prefixes, as IPs and ARNs do.
  std::vector<std::string> pool;
  for (int i = 0; i < 40; ++i) pool.push_back("10.0." + std::to_string(i % 7) + "." + std::to_string(i));
  pool.push_back("");
  pool.push_back(std::string(300, 'x'));  // cut to 256 by insert_capped
  for (std::size_t cap : {std::size_t{1}, std::size_t{5}, std::size_t{64}}) {
    SmallStrSet small;
    StrSet ref;
    for (int step = 0; step < 2000; ++step) {
      const std::string& v = pool[rng() % pool.size()];
      if (rng() % 10 == 0 && !ref.empty()) {
        // Erase the largest, as the "keep the smallest" caps do.
        ref.erase(std::prev(ref.end()));
        small.erase(std::prev(small.end()));
      } else {
        CHECK(insert_capped(small, v, cap) == insert_capped(ref, v, cap));
      }
      REQUIRE(small.size() == ref.size());
      CHECK(std::equal(small.begin(), small.end(), ref.begin()));
      CHECK((small.find(v) != small.end()) == (ref.find(v) != ref.end()));
      if (!ref.empty()) CHECK(*small.rbegin() == *ref.rbegin());
    }
  }
  SmallStrSet s;
  CHECK(s.insert("b").second);
  CHECK(s.insert("a").second);
  CHECK_FALSE(s.insert("b").second);
  CHECK(*s.begin() == "a");
  CHECK(s.find("b") != s.end());  // found through the remembered position
  s.erase(s.find("a"));
  CHECK(s.find("b") != s.end());  // after an erase moved it
  CHECK(s.find("a") == s.end());
  CHECK(s.count("b") == 1);
  // A value searched for in vain, then added, is found.
  CHECK(s.find("c") == s.end());
  CHECK(s.find("c") == s.end());  // through the remembered miss
  CHECK(s.insert("c").second);
  CHECK(s.find("c") != s.end());
}

TEST_CASE("same_text is == for every length and every differing byte", "[analyzer][common]") {
  using aiir::detail::same_text;
  // Lengths around each branch (4, 8, 16, the 8-byte loop, 128) and one byte changed anywhere.
  for (std::size_t n : {0, 1, 3, 4, 7, 8, 15, 16, 17, 23, 24, 25, 63, 64, 65, 127, 128, 129, 300}) {
    std::string a(n, 'a');
    for (std::size_t i = 0; i < n; ++i) a[i] = static_cast<char>('a' + i % 26);
    const std::string b = a;
    CHECK(same_text(a, b));
    for (std::size_t i = 0; i < n; ++i) {
      std::string c = a;
      c[i] = static_cast<char>(c[i] ^ 0x20);
      CHECK_FALSE(same_text(a, c));
    }
    CHECK_FALSE(same_text(a, a + "x"));
    if (n > 0) CHECK_FALSE(same_text(a, std::string_view(a).substr(1)));
  }
}

TEST_CASE("has_prefix and is_one_of answer as starts_with and a search of the list", "[analyzer][common]") {
  using aiir::detail::has_prefix;
  using aiir::detail::is_one_of;
  const std::string name = "InvokeModelWithResponseStream";
  for (std::size_t n = 0; n <= name.size(); ++n) {
    const std::string_view prefix = std::string_view(name).substr(0, n);
    CHECK(has_prefix(name, prefix));
    CHECK(has_prefix(prefix, name) == (n == name.size()));
  }
  CHECK_FALSE(has_prefix("InvokeAgent", "InvokeModel"));
  CHECK(has_prefix(std::string_view(), ""));  // a default view (null data) is the empty text
  CHECK_FALSE(has_prefix(std::string_view(), "bedrock"));
  static constexpr std::array<std::string_view, 3> kNames = {"PutObject", "CopyObject", "DeleteObjects"};
  for (std::string_view n : kNames) CHECK(is_one_of(n, kNames));
  for (std::string_view n : {"", "PutObjects", "DeleteObject", "putobject", "CopyObjecT"})
    CHECK_FALSE(is_one_of(n, kNames));
}

TEST_CASE("hash_text reads only the bytes of its text, also of an empty view", "[analyzer][common]") {
  using aiir::detail::hash_text;
  // A default view's data() is null: the same hash as an empty string's (and,
  // under UBSan, no null pointer handed to memcpy).
  CHECK(hash_text(std::string_view()) == hash_text(""));
  // Every length around the 8-byte loads: equal texts hash alike wherever they lie.
  const std::string text = "arn:aws:sts::111122223333:assumed-role/support-assistant-lambda-role/x";
  for (std::size_t n = 0; n <= text.size(); ++n) {
    const std::string copy = text.substr(0, n);
    CHECK(hash_text(copy) == hash_text(std::string_view(text).substr(0, n)));
  }
}

TEST_CASE("RecentActionIds asks for an id once per pair while it is recent", "[analyzer][common]") {
  aiir::detail::RecentActionIds<2> ids;
  int calls = 0;
  auto id_of = [&](std::string_view service, std::string_view action, std::uint32_t made) {
    return ids.get(service, action, [&] {
      ++calls;
      return made;
    });
  };
  CHECK(id_of("s3.amazonaws.com", "GetObject", 7) == 7);
  CHECK(id_of("s3.amazonaws.com", "GetObject", 99) == 7);  // remembered: not asked again
  CHECK(calls == 1);
  // The same name of another service is another pair.
  CHECK(id_of("ec2.amazonaws.com", "GetObject", 8) == 8);
  CHECK(calls == 2);
  // Evicted by other names in its slot, it is asked for again.
  for (int i = 0; i < 64; ++i) id_of("iam.amazonaws.com", "Action" + std::to_string(i), 1000);
  calls = 0;
  CHECK(id_of("s3.amazonaws.com", "GetObject", 7) == 7);
  CHECK(calls == 1);
}
