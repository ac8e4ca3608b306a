// SPDX-License-Identifier: Apache-2.0
// JSON emission: escaping on the hot path of every JSON writer.
#include "report/json_out.h"

#include <cstdio>

#include <fmt/format.h>

#include "util/time.h"

namespace aiir {
namespace {

/// Length of a valid UTF-8 sequence starting at p[0], 0 when invalid.
std::size_t utf8_len(const unsigned char* p, std::size_t n) noexcept {
  unsigned char c = p[0];
  std::size_t len;
  if (c >= 0xC2 && c <= 0xDF) len = 2;
  else if (c >= 0xE0 && c <= 0xEF) len = 3;
  else if (c >= 0xF0 && c <= 0xF4) len = 4;
  else return 0;
  if (len > n) return 0;
  for (std::size_t k = 1; k < len; ++k)
    if ((p[k] & 0xC0) != 0x80) return 0;
  if (c == 0xE0 && p[1] < 0xA0) return 0;
  if (c == 0xED && p[1] > 0x9F) return 0;
  if (c == 0xF0 && p[1] < 0x90) return 0;
  if (c == 0xF4 && p[1] > 0x8F) return 0;
  return len;
}

}  // namespace

bool append_json_quoted(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  bool clean = true;
  out += '"';
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  std::size_t n = text.size(), run = 0, i = 0;
  while (i < n) {
    unsigned char c = p[i];
    if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
      ++i;
      continue;
    }
    out.append(text.data() + run, i - run);
    if (c >= 0x80) {
      std::size_t len = utf8_len(p + i, n - i);
      if (len == 0) {
        out += "\xEF\xBF\xBD";
        clean = false;
        ++i;
      } else if (len == 3 && c == 0xE2 && p[i + 1] == 0x80 && (p[i + 2] == 0xA8 || p[i + 2] == 0xA9)) {
        out += p[i + 2] == 0xA8 ? "\\u2028" : "\\u2029";  // line separators break JS consumers
        i += 3;
      } else {
        out.append(text.data() + i, len);
        i += len;
      }
      run = i;
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xf];
    }
    ++i;
    run = i;
  }
  out.append(text.data() + run, n - run);
  out += '"';
  return clean;
}

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
