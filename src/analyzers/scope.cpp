// SPDX-License-Identifier: Apache-2.0
// Principal scope tracker and the helpers the access and infrastructure
// analyzers share (IP and wildcard matching, action classification).
#include "analyzers/scope.h"

#include <aiir/profile.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <iterator>

namespace aiir {

CountedSet::Slot* CountedSet::find_slot(std::uint64_t hash, std::string_view value) const noexcept {
  for (std::size_t i = hash & index_mask_;; i = (i + 1) & index_mask_) {
    Slot& s = index_[i];
    if (s.node == nullptr || (s.hash == hash && s.node->first == value)) return &s;
  }
}

void CountedSet::index_insert(std::uint64_t hash, Node* node) {
  if (2 * values.size() > index_mask_ + 1) {
    rebuild_index(2 * (index_mask_ + 1));  // indexes `node` too: it is in the map already
    return;
  }
  *find_slot(hash, node->first) = {hash, node};
}

void CountedSet::index_erase(Node* node) noexcept {
  std::size_t i = detail::hash_text(node->first) & index_mask_;
  while (index_[i].node != node) i = (i + 1) & index_mask_;
  // Backward-shift deletion: move later entries of the probe run into the hole
  // when their home slot does not lie between the hole and them.
  for (std::size_t j = (i + 1) & index_mask_; index_[j].node != nullptr; j = (j + 1) & index_mask_) {
    const std::size_t home = index_[j].hash & index_mask_;
    if (((j - home) & index_mask_) >= ((j - i) & index_mask_)) {
      index_[i] = index_[j];
      i = j;
    }
  }
  index_[i] = Slot{};
}

void CountedSet::rebuild_index(std::size_t slots) {
  index_ = std::make_unique<Slot[]>(slots);
  index_mask_ = slots - 1;
  for (Node& node : values) {
    const std::uint64_t hash = detail::hash_text(node.first);
    *find_slot(hash, node.first) = {hash, &node};
  }
}

void CountedSet::add_new(std::string_view value, std::size_t cap, std::uint64_t n) {
  if (cap == turned_away_cap_ && detail::same_text(turned_away_, value)) {
    overflow += n;
    return;
  }
  if (cap != 0 && values.size() >= cap) {
    // Full: a value past the largest kept one is not kept, and is turned away
    // without a search (a principal's session keys fill its set, and most of
    // its calls come with a later key).
    Node& largest = *std::prev(values.end());
    const int order = value.compare(largest.first);
    if (order > 0) {
      overflow += n;
      turned_away_.assign(value);
      turned_away_cap_ = cap;
      return;
    }
    if (order == 0) {
      largest.second += n;
      recent_[recent_slot(value)] = &largest;
      return;
    }
  }
  if (!index_ && values.size() > kIndexFrom) {
    // At most half full: a replaced or copied set starts with all its values.
    std::size_t slots = 32;
    while (slots < 4 * values.size()) slots *= 2;
    rebuild_index(slots);
  }
  std::uint64_t hash = 0;
  if (index_) {
    hash = detail::hash_text(value);
    Slot* slot = find_slot(hash, value);
    if (slot->node != nullptr) {
      slot->node->second += n;
      recent_[recent_slot(value)] = slot->node;
      return;
    }
    if (values.size() < cap) {
      Node* made = &*values.emplace_hint(values.lower_bound(value), std::string(value), n);
      recent_[recent_slot(value)] = made;
      index_insert(hash, made);
      return;
    }
  } else {
    auto it = values.lower_bound(value);
    if (it != values.end() && it->first == value) {
      it->second += n;
      recent_[recent_slot(value)] = &*it;
      return;
    }
    if (values.size() < cap) {
      recent_[recent_slot(value)] = &*values.emplace_hint(it, std::string(value), n);
      return;
    }
  }
  if (cap == 0) {
    overflow += n;
    return;
  }
  // Full: keep the `cap` smallest values, so the result is order-independent.
  auto last = std::prev(values.end());
  if (value < std::string_view(last->first)) {
    overflow += last->second;
    std::replace(recent_.begin(), recent_.end(), &*last, static_cast<Node*>(nullptr));
    if (index_) index_erase(&*last);
    values.erase(last);
    Node* made = &*values.emplace(std::string(value), n).first;
    if (index_) index_insert(hash, made);
  } else {
    overflow += n;
  }
}

std::uint64_t CountedSet::count(std::string_view value) const {
  auto it = values.find(value);
  return it == values.end() ? 0 : it->second;
}

std::vector<std::pair<std::string, std::uint64_t>> CountedSet::top(std::size_t n) const {
  std::vector<std::pair<std::string, std::uint64_t>> out(values.begin(), values.end());
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  if (out.size() > n) out.resize(n);
  return out;
}

PrincipalScope* ScopeTracker::find(std::map<std::string, PrincipalScope, std::less<>>& map, Index& index,
                                   Recent& recent, std::string_view id, std::size_t cap, std::uint64_t& dropped) {
  PrincipalScope*& cached = recent[detail::text_slot(id, kRecentBits)];
  if (cached != nullptr && detail::same_text(cached->id, id)) return cached;
  PrincipalScope* p = slot(map, index, recent, id, cap, dropped);
  if (p != nullptr) cached = p;
  return p;
}

PrincipalScope* ScopeTracker::slot(std::map<std::string, PrincipalScope, std::less<>>& map, Index& index,
                                   Recent& recent, std::string_view id, std::size_t cap, std::uint64_t& dropped) {
  if (auto hit = index.find(id); hit != index.end()) return hit->second;
  if (map.size() >= cap) {
    if (cap == 0) {
      ++dropped;
      return nullptr;
    }
    // Full: keep the `cap` smallest ids, so what is kept never depends on input order.
    auto last = std::prev(map.end());
    if (!(id < std::string_view(last->first))) {
      ++dropped;
      return nullptr;
    }
    dropped += last->second.events;
    std::replace(recent.begin(), recent.end(), &last->second, static_cast<PrincipalScope*>(nullptr));
    index.erase(std::string_view(last->first));
    map.erase(last);
  }
  auto made = map.emplace(std::string(id), PrincipalScope{}).first;
  made->second.id = std::string(id);
  index.emplace(std::string_view(made->first), &made->second);
  return &made->second;
}

void ScopeTracker::update(PrincipalScope& s, const EventView& e, bool is_key) {
  if (s.events == 0 || e.time_ms < s.first_ms) s.first_ms = e.time_ms;
  if (s.events == 0 || e.time_ms > s.last_ms) s.last_ms = e.time_ms;
  ++s.events;
  if (e.outcome == Outcome::kFailure) ++s.errors;
  const std::size_t cap = limits_.max_values;
  // The addresses counted recently passed looks_like_ip already; most events repeat one.
  if (!s.source_ips.add_if_recent(e.source_ip) && detail::looks_like_ip(e.source_ip)) s.source_ips.add(e.source_ip, cap);
  s.user_agents.add(e.user_agent, cap);
  s.regions.add(e.region, cap);
  std::string_view svc = detail::short_service(e.service);
  s.services.add(svc, cap);
  // Most calls repeat a recent action: "service:Action" is built only for the others.
  if (!e.action.empty() && !s.actions.add_if_recent(svc, e.action)) {
    scratch_.assign(svc);
    scratch_.push_back(':');
    scratch_.append(e.action);
    s.actions.add(scratch_, limits_.max_actions);
  }
  s.error_codes.add(e.error_code, cap);
  s.accounts.add(e.account, cap);
  if (is_key) {
    s.principals.add(e.actor_arn, cap);
  } else {
    s.keys.add(e.access_key_id, cap);
  }
}

void ScopeTracker::on_event(const EventView& e) {
  if (events_ == 0 || e.time_ms < first_ms_) first_ms_ = e.time_ms;
  if (events_ == 0 || e.time_ms > last_ms_) last_ms_ = e.time_ms;
  ++events_;
  if (!e.actor_arn.empty()) {
    if (PrincipalScope* p = find(principals_, principal_index_, recent_principals_, e.actor_arn,
                                 limits_.max_principals, principals_dropped_)) {
      update(*p, e, false);
    }
  }
  // Temporary (ASIA...) keys live for one session and can number one per
  // call; their activity is the session principal's, tracked above. Scope is
  // kept per key only for the other kinds (long-term AKIA keys above all).
  if (!e.access_key_id.empty() && e.access_key_id.substr(0, 4) != "ASIA") {
    if (PrincipalScope* k = find(keys_, key_index_, recent_keys_, e.access_key_id, limits_.max_keys, keys_dropped_)) {
      update(*k, e, true);
    }
  }
}

const PrincipalScope* ScopeTracker::principal(std::string_view arn) const {
  auto it = principals_.find(arn);
  return it == principals_.end() ? nullptr : &it->second;
}

const PrincipalScope* ScopeTracker::key(std::string_view id) const {
  auto it = keys_.find(id);
  return it == keys_.end() ? nullptr : &it->second;
}

std::int64_t ScopeTracker::end_slack_ms() const noexcept {
  constexpr std::int64_t kHour = 3600 * 1000;
  return std::max(kHour, (last_ms_ - first_ms_) / 50);
}

bool ScopeTracker::continues_to_end(const PrincipalScope& scope) const noexcept {
  if (events_ == 0 || scope.events == 0) return false;
  return scope.last_ms >= last_ms_ - end_slack_ms();
}

namespace detail {
namespace {


bool starts_with(std::string_view s, std::string_view p) noexcept { return s.substr(0, p.size()) == p; }

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// Dotted quad, lenient about leading zeros.
bool parse_v4(std::string_view s, std::uint8_t* out) noexcept {
  int part = 0;
  std::size_t i = 0;
  while (part < 4) {
    unsigned value = 0;
    std::size_t digits = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      value = value * 10 + static_cast<unsigned>(s[i] - '0');
      if (value > 255 || ++digits > 4) return false;
      ++i;
    }
    if (digits == 0) return false;
    out[part++] = static_cast<std::uint8_t>(value);
    if (part < 4) {
      if (i >= s.size() || s[i] != '.') return false;
      ++i;
    }
  }
  return i == s.size();
}

bool parse_v6(std::string_view s, std::uint8_t* out) noexcept {
  std::array<std::uint16_t, 8> head{};
  std::array<std::uint16_t, 8> tail{};
  int nh = 0;
  int nt = 0;
  bool gap = false;
  std::size_t i = 0;
  if (starts_with(s, "::")) {
    gap = true;
    i = 2;
  }
  while (i < s.size()) {
    // Embedded IPv4 in the last 32 bits.
    std::size_t end = s.find(':', i);
    std::string_view group = s.substr(i, end == std::string_view::npos ? std::string_view::npos : end - i);
    if (group.find('.') != std::string_view::npos) {
      std::uint8_t v4[4];
      if (end != std::string_view::npos || !parse_v4(group, v4)) return false;
      auto push = [&](std::uint16_t v) {
        if (gap) tail[static_cast<std::size_t>(nt++)] = v;
        else head[static_cast<std::size_t>(nh++)] = v;
      };
      if (nh + nt > 6) return false;
      push(static_cast<std::uint16_t>(v4[0] << 8 | v4[1]));
      push(static_cast<std::uint16_t>(v4[2] << 8 | v4[3]));
      i = s.size();
      break;
    }
    if (group.empty() || group.size() > 4) return false;
    unsigned v = 0;
    for (char c : group) {
      int h = hex_value(c);
      if (h < 0) return false;
      v = v * 16 + static_cast<unsigned>(h);
    }
    if (nh + nt >= 8) return false;
    if (gap) tail[static_cast<std::size_t>(nt++)] = static_cast<std::uint16_t>(v);
    else head[static_cast<std::size_t>(nh++)] = static_cast<std::uint16_t>(v);
    if (end == std::string_view::npos) {
      i = s.size();
      break;
    }
    i = end + 1;
    if (i < s.size() && s[i] == ':') {
      if (gap) return false;
      gap = true;
      ++i;
    } else if (i == s.size()) {
      return false;  // trailing single colon
    }
  }
  if (!gap && nh != 8) return false;
  if (gap && nh + nt > 7) return false;
  std::array<std::uint16_t, 8> words{};
  for (int k = 0; k < nh; ++k) words[static_cast<std::size_t>(k)] = head[static_cast<std::size_t>(k)];
  for (int k = 0; k < nt; ++k) words[static_cast<std::size_t>(8 - nt + k)] = tail[static_cast<std::size_t>(k)];
  for (std::size_t k = 0; k < 8; ++k) {
    out[2 * k] = static_cast<std::uint8_t>(words[k] >> 8);
    out[2 * k + 1] = static_cast<std::uint8_t>(words[k] & 0xff);
  }
  return true;
}

/// Parses an address into 16 bytes; IPv4 becomes ::ffff:a.b.c.d. Returns the
/// address family width in bits (32 or 128), 0 on failure.
int parse_ip(std::string_view s, std::uint8_t* out) noexcept {
  if (s.find(':') != std::string_view::npos) return parse_v6(s, out) ? 128 : 0;
  std::uint8_t v4[4];
  if (!parse_v4(s, v4)) return 0;
  std::fill(out, out + 10, std::uint8_t{0});
  out[10] = 0xff;
  out[11] = 0xff;
  std::copy(v4, v4 + 4, out + 12);
  return 32;
}

}  // namespace

std::string_view short_service(std::string_view src) noexcept {
  constexpr std::string_view kSuffix = ".amazonaws.com";
  if (src.size() > kSuffix.size() && src.substr(src.size() - kSuffix.size()) == kSuffix) {
    return src.substr(0, src.size() - kSuffix.size());
  }
  return src;
}

bool looks_like_ip(std::string_view text) noexcept {
  if (text.empty() || text.size() > 45) return false;
  std::uint8_t buf[16];
  return parse_ip(text, buf) != 0;
}

bool is_denied_error(std::string_view code) noexcept {
  if (starts_with(code, "Client.") || starts_with(code, "Server.")) code.remove_prefix(7);
  return code == "AccessDenied" || code == "AccessDeniedException" || code == "UnauthorizedOperation" ||
         code == "VpceAccessDenied" || code == "UnauthorizedException" || code == "UnauthorizedAccess" ||
         code == "AuthorizationError" || code == "Forbidden";
}

bool is_read_call(const EventView& e) noexcept {
  if (e.read_only == Tri::kTrue) return true;
  if (e.read_only == Tri::kFalse) return false;
  std::string_view a = e.action;
  return starts_with(a, "List") || starts_with(a, "Describe") || starts_with(a, "Get") ||
         starts_with(a, "Search") || starts_with(a, "BatchGet") || starts_with(a, "Lookup") ||
         starts_with(a, "Head");
}

bool wildcard_matches(std::string_view pattern, std::string_view text) noexcept {
  return aiir::wildcard_match(pattern, text);
}

bool ip_matches_cidr(std::string_view ip, std::string_view cidr) noexcept {
  std::string_view net = cidr;
  int prefix = -1;
  if (auto slash = cidr.find('/'); slash != std::string_view::npos) {
    net = cidr.substr(0, slash);
    std::string_view bits = cidr.substr(slash + 1);
    if (bits.empty() || bits.size() > 3) return false;
    prefix = 0;
    for (char c : bits) {
      if (c < '0' || c > '9') return false;
      prefix = prefix * 10 + (c - '0');
    }
  }
  std::uint8_t a[16];
  std::uint8_t b[16];
  int wa = parse_ip(ip, a);
  int wb = parse_ip(net, b);
  if (wa == 0 || wb == 0 || wa != wb) return false;
  if (prefix < 0) prefix = wb;
  if (prefix > wb) return false;
  int bits = prefix + (wb == 32 ? 96 : 0);
  for (int i = 0; i < 16 && bits > 0; ++i, bits -= 8) {
    std::uint8_t mask = bits >= 8 ? 0xff : static_cast<std::uint8_t>(0xff << (8 - bits));
    if ((a[i] & mask) != (b[i] & mask)) return false;
  }
  return true;
}

}  // namespace detail
}  // namespace aiir
