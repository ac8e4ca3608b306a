// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include "util/time.h"

using aiir::format_time;
using aiir::parse_rfc3339;
using aiir::parse_time;

TEST_CASE("every time format seen in the logs parses to the same instant", "[util][time]") {
  const std::int64_t expected = 1730217104000;  // 2024-10-29T15:51:44Z
  const char* forms[] = {
      "2024-10-29T15:51:44Z",       "2024-10-29T15:51:44.000Z", "2024-10-29T08:51:44-07:00",
      "2024-10-29T17:51:44+0200",   "20241029T155144Z",         "2024-10-29 15:51:44",
      "2024-10-29 15:51:44.000000000", "1730217104",            "1730217104.0",
      "1730217104000",
  };
  for (const char* f : forms) {
    std::int64_t ms = 0;
    INFO(f);
    REQUIRE(parse_time(f, ms));
    CHECK(ms == expected);
  }
}

TEST_CASE("fractions and bad times", "[util][time]") {
  std::int64_t ms = 0;
  REQUIRE(parse_time("2024-10-29T15:51:44.123456Z", ms));
  CHECK(ms % 1000 == 123);
  CHECK_FALSE(parse_time("Jan 22, 2021 12:46:28 AM", ms));
  CHECK_FALSE(parse_time("", ms));
  CHECK_FALSE(parse_time("2024-13-29T15:51:44Z", ms));
  CHECK_FALSE(parse_time("2024-10-29T15:51:44Zjunk", ms));
  CHECK_FALSE(parse_time("not a time", ms));
}

TEST_CASE("RFC 3339 for --from/--to needs a zone", "[util][time]") {
  std::int64_t a = 0, b = 0;
  REQUIRE(parse_rfc3339("2026-03-10T00:00:00Z", a));
  REQUIRE(parse_rfc3339("2026-03-10T01:00:00+01:00", b));
  CHECK(a == b);
  CHECK_FALSE(parse_rfc3339("2026-03-10 00:00:00", a));
  CHECK_FALSE(parse_rfc3339("2026-03-10T00:00:00", a));
}

TEST_CASE("formatting round-trips", "[util][time]") {
  CHECK(format_time(1730217104000) == "2024-10-29T15:51:44Z");
  CHECK(format_time(1730217104123) == "2024-10-29T15:51:44.123Z");
  CHECK(format_time(0) == "1970-01-01T00:00:00Z");
  CHECK(format_time(951782400000) == "2000-02-29T00:00:00Z");
}
