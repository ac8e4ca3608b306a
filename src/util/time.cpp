// SPDX-License-Identifier: Apache-2.0
// Time parsing and formatting.
#include "util/time.h"


namespace aiir {
namespace {

bool digits(std::string_view s, std::size_t at, std::size_t n, int& out) noexcept {
  if (at + n > s.size()) return false;
  int v = 0;
  for (std::size_t i = at; i < at + n; ++i) {
    char c = s[i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  out = v;
  return true;
}

bool valid_fields(int y, int mo, int d, int h, int mi, int s) noexcept {
  return y >= 1970 && y <= 9999 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h >= 0 && h <= 23 &&
         mi >= 0 && mi <= 59 && s >= 0 && s <= 60;
}

std::int64_t to_ms(int y, int mo, int d, int h, int mi, int s, int millis) noexcept {
  std::int64_t days = detail::days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  return ((days * 24 + h) * 60 + mi) * 60000LL + s * 1000LL + millis;
}

/// Parses the tail after seconds: optional fraction, then Z, offset or nothing.
/// `require_zone` rejects a missing zone (RFC 3339 strictness).
bool parse_tail(std::string_view s, std::size_t i, int& millis, std::int64_t& offset_ms,
                bool require_zone) noexcept {
  millis = 0;
  offset_ms = 0;
  if (i < s.size() && (s[i] == '.' || s[i] == ',')) {
    ++i;
    int scale = 100;
    std::size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      if (scale > 0) {
        millis += (s[i] - '0') * scale;
        scale /= 10;
      }
      ++i;
    }
    if (i == start) return false;
  }
  if (i == s.size()) return !require_zone;
  if (s[i] == 'Z' || s[i] == 'z') return i + 1 == s.size();
  if (s[i] == '+' || s[i] == '-') {
    int sign = s[i] == '-' ? -1 : 1;
    int oh = 0, om = 0;
    if (!digits(s, i + 1, 2, oh)) return false;
    std::size_t j = i + 3;
    if (j < s.size() && s[j] == ':') ++j;
    if (j < s.size()) {
      if (!digits(s, j, 2, om)) return false;
      j += 2;
    }
    if (j != s.size() || oh > 23 || om > 59) return false;
    offset_ms = sign * (oh * 3600000LL + om * 60000LL);
    return true;
  }
  if (!require_zone && s.substr(i) == " UTC") return true;
  return false;
}

bool parse_extended(std::string_view s, std::int64_t& ms, bool require_zone) noexcept {
  // YYYY-MM-DD[T ]HH:MM:SS...
  int y, mo, d, h, mi, sec;
  if (s.size() < 19 || s[4] != '-' || s[7] != '-' || s[13] != ':' || s[16] != ':') return false;
  char sep = s[10];
  if (sep != 'T' && sep != 't' && (require_zone || sep != ' ')) return false;
  if (!digits(s, 0, 4, y) || !digits(s, 5, 2, mo) || !digits(s, 8, 2, d) || !digits(s, 11, 2, h) ||
      !digits(s, 14, 2, mi) || !digits(s, 17, 2, sec))
    return false;
  if (!valid_fields(y, mo, d, h, mi, sec)) return false;
  int millis;
  std::int64_t offset;
  if (!parse_tail(s, 19, millis, offset, require_zone)) return false;
  ms = to_ms(y, mo, d, h, mi, sec, millis) - offset;
  return true;
}

bool parse_basic(std::string_view s, std::int64_t& ms) noexcept {
  // YYYYMMDDTHHMMSSZ
  int y, mo, d, h, mi, sec;
  if (s.size() < 15 || s[8] != 'T') return false;
  if (!digits(s, 0, 4, y) || !digits(s, 4, 2, mo) || !digits(s, 6, 2, d) || !digits(s, 9, 2, h) ||
      !digits(s, 11, 2, mi) || !digits(s, 13, 2, sec))
    return false;
  if (!valid_fields(y, mo, d, h, mi, sec)) return false;
  int millis;
  std::int64_t offset;
  if (!parse_tail(s, 15, millis, offset, false)) return false;
  ms = to_ms(y, mo, d, h, mi, sec, millis) - offset;
  return true;
}

bool parse_epoch(std::string_view s, std::int64_t& ms) noexcept {
  std::size_t i = 0;
  std::int64_t whole = 0;
  std::size_t int_digits = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
    if (int_digits >= 16) return false;
    whole = whole * 10 + (s[i] - '0');
    ++i;
    ++int_digits;
  }
  if (int_digits == 0) return false;
  int frac_ms = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    int scale = 100;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      if (scale > 0) {
        frac_ms += (s[i] - '0') * scale;
        scale /= 10;
      }
      ++i;
    }
  }
  if (i != s.size()) return false;
  // 12+ integer digits: milliseconds (1e11 s is the year 5138); else seconds.
  if (int_digits >= 12) {
    ms = whole;
  } else {
    ms = whole * 1000 + frac_ms;
  }
  return true;
}

}  // namespace

bool parse_time(std::string_view text, std::int64_t& ms) noexcept {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  if (text.size() >= 19 && text[4] == '-') return parse_extended(text, ms, false);
  if (text.size() >= 15 && text.size() > 8 && text[8] == 'T') return parse_basic(text, ms);
  return parse_epoch(text, ms);
}

bool parse_rfc3339(std::string_view text, std::int64_t& ms) noexcept {
  return parse_extended(text, ms, true);
}

void append_time(std::string& out, std::int64_t ms) {
  std::int64_t secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
  int millis = static_cast<int>(ms - secs * 1000);
  std::int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
  std::int64_t rem = secs - days * 86400;
  // civil_from_days
  std::int64_t z = days + 719468;
  std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  unsigned doe = static_cast<unsigned>(z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  unsigned d = doy - (153 * mp + 2) / 5 + 1;
  unsigned m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
  // Hand-formatted: this runs once per event on the hot path of `aiir events`.
  char buf[32];
  auto put2 = [](char* p, unsigned v) {
    p[0] = static_cast<char>('0' + v / 10);
    p[1] = static_cast<char>('0' + v % 10);
  };
  std::size_t n = 0;
  if (y < 0 || y > 9999) {
    std::string year = std::to_string(y);
    out += year;
  } else {
    unsigned yy = static_cast<unsigned>(y);
    buf[n++] = static_cast<char>('0' + yy / 1000);
    buf[n++] = static_cast<char>('0' + yy / 100 % 10);
    put2(buf + n, yy % 100);
    n += 2;
  }
  buf[n++] = '-';
  put2(buf + n, m);
  n += 2;
  buf[n++] = '-';
  put2(buf + n, d);
  n += 2;
  buf[n++] = 'T';
  put2(buf + n, static_cast<unsigned>(rem / 3600));
  n += 2;
  buf[n++] = ':';
  put2(buf + n, static_cast<unsigned>(rem / 60 % 60));
  n += 2;
  buf[n++] = ':';
  put2(buf + n, static_cast<unsigned>(rem % 60));
  n += 2;
  if (millis != 0) {
    buf[n++] = '.';
    buf[n++] = static_cast<char>('0' + millis / 100);
    put2(buf + n, static_cast<unsigned>(millis % 100));
    n += 2;
  }
  buf[n++] = 'Z';
  out.append(buf, n);
}

std::string format_time(std::int64_t ms) {
  std::string s;
  append_time(s, ms);
  return s;
}

}  // namespace aiir
