// SPDX-License-Identifier: Apache-2.0
// JSON emission: escaping on the hot path of every JSON writer.
#include "report/json_out.h"

#include <cstdio>

#include <fmt/format.h>

#include "util/escape.h"
#include "util/time.h"

namespace aiir {
bool append_json_quoted(std::string& out, std::string_view text) { return !append_json_string(out, text); }

JsonOut& JsonOut::num(std::int64_t value) {
  sep();
  char buf[24];
  auto r = fmt::format_to_n(buf, sizeof buf, "{}", value);
  out_.append(buf, r.size);
  return *this;
}

JsonOut& JsonOut::unum(std::uint64_t value) {
  sep();
  char buf[24];
  auto r = fmt::format_to_n(buf, sizeof buf, "{}", value);
  out_.append(buf, r.size);
  return *this;
}

JsonOut& JsonOut::dbl(double value) {
  sep();
  char buf[32];
  auto r = fmt::format_to_n(buf, sizeof buf, "{:.6g}", value);
  out_.append(buf, r.size);
  return *this;
}

JsonOut& JsonOut::time_field(std::string_view name, std::int64_t ms) {
  key(name);
  sep();
  out_ += '"';
  append_time(out_, ms);
  out_ += '"';
  return *this;
}

}  // namespace aiir
