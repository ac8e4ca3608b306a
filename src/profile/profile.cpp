// SPDX-License-Identifier: Apache-2.0
// The environment profile loader (YAML) and its two matching helpers: wildcards and CIDRs.
#include <aiir/error.h>
#include <aiir/profile.h>

#include "profile/profile_detail.h"

#include <yaml-cpp/yaml.h>

#include <array>
#include <cctype>
#include <charconv>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include <arpa/inet.h>

namespace aiir {
namespace detail {

namespace {

/// An IP address in 16 bytes; IPv4 is kept in the first 4 bytes.
struct IpAddr {
  std::array<unsigned char, 16> bytes{};
  bool v6 = false;
};

/// Parses a dotted-quad IPv4, lenient about leading zeros (`035.249.253.232` is
/// read as decimal 35, never octal). Exactly four parts of 1..3 digits, each <= 255.
bool parse_ipv4(std::string_view s, IpAddr& out) noexcept {
  int part = 0;
  std::size_t i = 0;
  while (part < 4) {
    std::size_t digits = 0;
    unsigned value = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      if (++digits > 3) return false;
      value = value * 10 + static_cast<unsigned>(s[i] - '0');
      ++i;
    }
    if (digits == 0 || value > 255) return false;
    out.bytes[static_cast<std::size_t>(part)] = static_cast<unsigned char>(value);
    ++part;
    if (part < 4) {
      if (i >= s.size() || s[i] != '.') return false;
      ++i;
    }
  }
  if (i != s.size()) return false;
  out.v6 = false;
  return true;
}

bool parse_ipv6(std::string_view s, IpAddr& out) noexcept {
  // Longest IPv6 text is 45 chars; strip an optional zone id (`fe80::1%eth0`).
  auto pct = s.find('%');
  if (pct != std::string_view::npos) s = s.substr(0, pct);
  if (s.empty() || s.size() > 45 || s.find(':') == std::string_view::npos) return false;
  char buf[46];
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  if (inet_pton(AF_INET6, buf, out.bytes.data()) != 1) return false;
  out.v6 = true;
  // IPv4-mapped (::ffff:a.b.c.d) compares as IPv4.
  static constexpr unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(out.bytes.data(), kMapped, 12) == 0) {
    std::memmove(out.bytes.data(), out.bytes.data() + 12, 4);
    std::memset(out.bytes.data() + 4, 0, 12);
    out.v6 = false;
  }
  return true;
}

bool parse_ip(std::string_view s, IpAddr& out) noexcept {
  if (s.size() >= 2 && s.front() == '[' && s.back() == ']') s = s.substr(1, s.size() - 2);
  return parse_ipv4(s, out) || parse_ipv6(s, out);
}

/// Parses `addr` or `addr/len`; fills the address and the prefix length.
bool parse_cidr(std::string_view s, IpAddr& addr, int& prefix) noexcept {
  auto slash = s.find('/');
  std::string_view a = s.substr(0, slash);
  if (!parse_ip(a, addr)) return false;
  const int max_len = addr.v6 ? 128 : 32;
  if (slash == std::string_view::npos) {
    prefix = max_len;
    return true;
  }
  std::string_view len = s.substr(slash + 1);
  if (len.empty() || len.size() > 3) return false;
  int value = 0;
  auto [ptr, ec] = std::from_chars(len.data(), len.data() + len.size(), value);
  if (ec != std::errc() || ptr != len.data() + len.size()) return false;
  // An IPv4-mapped IPv6 CIDR (::ffff:10.0.0.0/104) becomes an IPv4 one.
  if (!addr.v6 && a.find(':') != std::string_view::npos) value -= 96;
  if (value < 0 || value > max_len) return false;
  prefix = value;
  return true;
}

}  // namespace

bool is_valid_cidr(std::string_view cidr) noexcept {
  IpAddr addr;
  int prefix = 0;
  return parse_cidr(cidr, addr, prefix);
}

/// Parses RFC 3339 (`2026-03-10T08:00:00Z`, fractional seconds, `+02:00` offsets;
/// `t`/space separator and lower-case `z` accepted) into UTC epoch milliseconds.
bool parse_rfc3339_ms(std::string_view s, std::int64_t& out) noexcept {
  auto num = [&](std::size_t pos, std::size_t n, int& v) {
    if (pos + n > s.size()) return false;
    v = 0;
    for (std::size_t k = 0; k < n; ++k) {
      char c = s[pos + k];
      if (c < '0' || c > '9') return false;
      v = v * 10 + (c - '0');
    }
    return true;
  };
  int y, mo, d, h, mi, se;
  if (!num(0, 4, y) || s.size() < 19 || s[4] != '-' || !num(5, 2, mo) || s[7] != '-' ||
      !num(8, 2, d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !num(11, 2, h) ||
      s[13] != ':' || !num(14, 2, mi) || s[16] != ':' || !num(17, 2, se)) {
    return false;
  }
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || se > 60) return false;
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (d > kDays[mo - 1] || (mo == 2 && d == 29 && !leap)) return false;
  std::size_t i = 19;
  int millis = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    std::size_t start = i;
    int scale = 100;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      millis += (s[i] - '0') * scale;
      scale /= 10;
      ++i;
    }
    if (i == start) return false;
  }
  int offset_min = 0;
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
    ++i;
  } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    int oh, om;
    if (!num(i + 1, 2, oh) || i + 3 >= s.size() || s[i + 3] != ':' || !num(i + 4, 2, om) ||
        oh > 23 || om > 59) {
      return false;
    }
    offset_min = (oh * 60 + om) * (s[i] == '-' ? -1 : 1);
    i += 6;
  } else {
    return false;  // RFC 3339 requires a zone
  }
  if (i != s.size()) return false;
  // days_from_civil (Howard Hinnant).
  int yy = y - (mo <= 2 ? 1 : 0);
  int era = (yy >= 0 ? yy : yy - 399) / 400;
  int yoe = yy - era * 400;
  int doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  std::int64_t days = static_cast<std::int64_t>(era) * 146097 + doe - 719468;
  std::int64_t secs = days * 86400 + h * 3600 + mi * 60 + se - offset_min * 60;
  out = secs * 1000 + millis;
  return true;
}

}  // namespace detail

namespace {

using detail::is_valid_cidr;
using detail::parse_rfc3339_ms;

/// Reads one profile file and turns each node into Profile fields, naming file:line on error.
class ProfileReader {
 public:
  explicit ProfileReader(std::string path) : path_(std::move(path)) {}

  Profile read() {
    std::ifstream in(path_, std::ios::binary);
    if (!in) throw Error("cannot read profile " + path_ + ": " + std::strerror(errno));
    std::ostringstream text;
    text << in.rdbuf();
    YAML::Node root;
    try {
      root = YAML::Load(text.str());
    } catch (const YAML::Exception& e) {
      throw Error(path_ + ":" + std::to_string(e.mark.line + 1) + ": invalid YAML: " + e.msg);
    }
    Profile p;
    p.loaded = true;
    p.source = path_;
    if (root.IsNull()) return p;  // an empty profile is a valid profile
    if (!root.IsMap()) fail(root, "the profile must be a mapping of keys (accounts, regions, ...)");
    std::set<std::string> seen;
    for (const auto& kv : root) {
      const std::string key = scalar(kv.first, "key");
      if (!seen.insert(key).second) fail(kv.first, "duplicate key '" + key + "'");
      const YAML::Node& v = kv.second;
      if (key == "accounts") {
        p.accounts = strings(v, key);
        for (std::size_t i = 0; i < p.accounts.size(); ++i) {
          const auto& a = p.accounts[i];
          bool ok = a.size() == 12 && a.find_first_not_of("0123456789") == std::string::npos;
          if (!ok) fail(item(v, i), "accounts: '" + a + "' is not a 12-digit account id");
        }
      } else if (key == "regions") {
        p.regions = strings(v, key);
      } else if (key == "known_cidrs") {
        p.known_cidrs = cidrs(v, key);
      } else if (key == "known_user_agents") {
        p.known_user_agents = strings(v, key);
      } else if (key == "app_principals") {
        p.app_principals = app_principals(v);
      } else if (key == "expected_models") {
        p.expected_models = strings(v, key);
      } else if (key == "kb_buckets") {
        p.kb_buckets = strings(v, key);
      } else if (key == "private_resources") {
        p.private_resources = private_resources(v);
      } else if (key == "admin_principals") {
        p.admin_principals = strings(v, key);
      } else if (key == "incident_window") {
        incident_window(v, p);
      } else if (key == "baseline_until") {
        p.baseline_until_ms = time(v, key);
      } else if (key == "bad") {
        bad(v, p);
      } else if (key == "placeholders") {
        placeholders(v, p);
      } else {
        fail(kv.first, "unknown key '" + key +
                           "' (expected accounts, regions, known_cidrs, known_user_agents, "
                           "app_principals, expected_models, kb_buckets, private_resources, "
                           "admin_principals, incident_window, baseline_until, bad, placeholders)");
      }
    }
    return p;
  }

 private:
  [[noreturn]] void fail(const YAML::Node& at, const std::string& msg) const {
    int line = at.Mark().line;
    throw Error(path_ + ":" + (line >= 0 ? std::to_string(line + 1) : std::string("?")) + ": " +
                msg);
  }

  static YAML::Node item(const YAML::Node& seq, std::size_t i) {
    if (seq.IsSequence()) return seq[i];
    return seq;
  }

  std::string scalar(const YAML::Node& n, const std::string& what) const {
    if (!n.IsScalar()) fail(n, what + ": expected a single value");
    return n.Scalar();
  }

  /// A list of strings; a single scalar is accepted as a one-element list, null as empty.
  std::vector<std::string> strings(const YAML::Node& n, const std::string& key) const {
    std::vector<std::string> out;
    if (!n || n.IsNull()) return out;
    if (n.IsScalar()) {
      out.push_back(n.Scalar());
      return out;
    }
    if (!n.IsSequence()) fail(n, key + ": expected a list of strings");
    for (const auto& e : n) {
      if (!e.IsScalar()) fail(e, key + ": expected a string, found a nested list or mapping");
      if (e.Scalar().empty()) fail(e, key + ": empty value");
      out.push_back(e.Scalar());
    }
    return out;
  }

  std::vector<std::string> cidrs(const YAML::Node& n, const std::string& key) const {
    auto out = strings(n, key);
    for (std::size_t i = 0; i < out.size(); ++i) {
      if (!is_valid_cidr(out[i])) {
        fail(item(n, i), key + ": '" + out[i] + "' is not an IP address or CIDR");
      }
    }
    return out;
  }

  void require_map(const YAML::Node& n, const std::string& key) const {
    if (!n.IsMap()) fail(n, key + ": expected a mapping");
  }

  std::vector<AppPrincipal> app_principals(const YAML::Node& n) const {
    std::vector<AppPrincipal> out;
    if (!n || n.IsNull()) return out;
    if (!n.IsSequence()) fail(n, "app_principals: expected a list of {arn, allowed_actions}");
    for (const auto& e : n) {
      require_map(e, "app_principals");
      AppPrincipal ap;
      for (const auto& kv : e) {
        const std::string k = scalar(kv.first, "app_principals key");
        if (k == "arn") {
          ap.arn = scalar(kv.second, "app_principals.arn");
        } else if (k == "allowed_actions") {
          ap.allowed_actions = strings(kv.second, "app_principals.allowed_actions");
          for (std::size_t i = 0; i < ap.allowed_actions.size(); ++i) {
            const auto& a = ap.allowed_actions[i];
            if (a != "*" && a.find(':') == std::string::npos) {
              fail(item(kv.second, i), "app_principals.allowed_actions: '" + a +
                                           "' is not a service:Action pattern");
            }
          }
        } else {
          fail(kv.first, "app_principals: unknown key '" + k + "' (expected arn, allowed_actions)");
        }
      }
      if (ap.arn.empty()) fail(e, "app_principals: entry without an arn");
      out.push_back(std::move(ap));
    }
    return out;
  }

  std::vector<PrivateResource> private_resources(const YAML::Node& n) const {
    static const std::set<std::string> kKinds = {"s3", "dynamodb", "rds", "secretsmanager", "ssm"};
    std::vector<PrivateResource> out;
    if (!n || n.IsNull()) return out;
    if (!n.IsSequence()) fail(n, "private_resources: expected a list of {kind, name}");
    for (const auto& e : n) {
      require_map(e, "private_resources");
      PrivateResource r;
      for (const auto& kv : e) {
        const std::string k = scalar(kv.first, "private_resources key");
        if (k == "kind") {
          r.kind = scalar(kv.second, "private_resources.kind");
          if (!kKinds.count(r.kind)) {
            fail(kv.second, "private_resources.kind: '" + r.kind +
                                "' is not one of s3, dynamodb, rds, secretsmanager, ssm");
          }
        } else if (k == "name") {
          r.name = scalar(kv.second, "private_resources.name");
        } else {
          fail(kv.first, "private_resources: unknown key '" + k + "' (expected kind, name)");
        }
      }
      if (r.kind.empty() || r.name.empty()) fail(e, "private_resources: entry needs kind and name");
      out.push_back(std::move(r));
    }
    return out;
  }

  std::int64_t time(const YAML::Node& n, const std::string& key) const {
    const std::string s = scalar(n, key);
    std::int64_t ms = 0;
    if (!parse_rfc3339_ms(s, ms)) {
      fail(n, key + ": '" + s + "' is not an RFC 3339 time (e.g. 2026-03-10T08:00:00Z)");
    }
    return ms;
  }

  void incident_window(const YAML::Node& n, Profile& p) const {
    require_map(n, "incident_window");
    for (const auto& kv : n) {
      const std::string k = scalar(kv.first, "incident_window key");
      if (k == "start") {
        p.incident_start_ms = time(kv.second, "incident_window.start");
      } else if (k == "end") {
        p.incident_end_ms = time(kv.second, "incident_window.end");
      } else {
        fail(kv.first, "incident_window: unknown key '" + k + "' (expected start, end)");
      }
    }
    if (p.incident_start_ms && p.incident_end_ms && p.incident_end_ms < p.incident_start_ms) {
      fail(n, "incident_window: end is before start");
    }
  }

  void bad(const YAML::Node& n, Profile& p) const {
    require_map(n, "bad");
    for (const auto& kv : n) {
      const std::string k = scalar(kv.first, "bad key");
      if (k == "access_keys") {
        p.bad_access_keys = strings(kv.second, "bad.access_keys");
      } else if (k == "ips") {
        p.bad_ips = cidrs(kv.second, "bad.ips");
      } else if (k == "principals") {
        p.bad_principals = strings(kv.second, "bad.principals");
      } else {
        fail(kv.first, "bad: unknown key '" + k + "' (expected access_keys, ips, principals)");
      }
    }
  }

  void placeholders(const YAML::Node& n, Profile& p) const {
    require_map(n, "placeholders");
    for (const auto& kv : n) {
      const std::string name = scalar(kv.first, "placeholder name");
      for (const auto& existing : p.placeholders) {
        if (existing.first == name) fail(kv.first, "placeholders: duplicate name '" + name + "'");
      }
      p.placeholders.emplace_back(name, strings(kv.second, "placeholders." + name));
    }
  }

  std::string path_;
};

inline char lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

}  // namespace

Profile load_profile(const std::string& path) { return ProfileReader(path).read(); }

bool wildcard_match(std::string_view pattern, std::string_view text) noexcept {
  // Greedy matching that remembers only the last `*`: O(|pattern| * |text|) at worst,
  // never exponential, no recursion.
  std::size_t p = 0, t = 0;
  std::size_t star = std::string_view::npos, star_t = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || lower(pattern[p]) == lower(text[t])) &&
        pattern[p] != '*') {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      star_t = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++star_t;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool ip_in_cidr(std::string_view ip, std::string_view cidr) noexcept {
  detail::IpAddr addr, net;
  int prefix = 0;
  if (!detail::parse_ip(ip, addr) || !detail::parse_cidr(cidr, net, prefix)) return false;
  if (addr.v6 != net.v6) return false;
  int full = prefix / 8, rest = prefix % 8;
  if (std::memcmp(addr.bytes.data(), net.bytes.data(), static_cast<std::size_t>(full)) != 0) {
    return false;
  }
  if (rest == 0) return true;
  auto mask = static_cast<unsigned char>(0xff << (8 - rest));
  return (addr.bytes[static_cast<std::size_t>(full)] & mask) ==
         (net.bytes[static_cast<std::size_t>(full)] & mask);
}

}  // namespace aiir
