// SPDX-License-Identifier: Apache-2.0
// Evaluation of compiled Sigma selections on one event: field lookup in the raw
// JSON record (dotted paths, any-element over arrays), virtual fields, patterns.
#include <arpa/inet.h>
#include <re2/re2.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <span>

#include "sigma/detail.h"

namespace aiir::sigma::detail {
namespace {

namespace dom = simdjson::dom;

struct Value {
  enum Kind : std::uint8_t { kString, kNumber, kBool, kNull } kind = kString;
  std::string_view text;
  double number = 0;
};

bool parse_double(std::string_view text, double& out) noexcept {
  while (!text.empty() && (text.front() == ' ' || text.front() == '+')) text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  if (text.empty()) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

/// Minified JSON text; kept between objects, so is its buffer.
using Json = simdjson::internal::string_builder<>;

bool contains(std::string_view pattern, std::string_view text, bool cased) noexcept;

/// Whether some pattern may occur in minify(el): a pattern without a core
/// (Pattern::core) may; one with a core may when its core is in the bytes of
/// a key, a string, or a scalar as minify() writes it. Most objects compared
/// as text (invocation bodies, kilobytes) are then never minified.
bool may_occur(dom::element el, std::span<const Pattern> patterns, Json& scratch) {
  auto in = [&](std::string_view text) {
    return std::any_of(patterns.begin(), patterns.end(),
                       [&](const Pattern& p) { return text.size() >= p.core.size() && contains(p.core, text, false); });
  };
  switch (el.type()) {
    case dom::element_type::ARRAY: {
      dom::array arr = el.get_array().value_unsafe();
      for (dom::element child : arr)
        if (may_occur(child, patterns, scratch)) return true;
      return false;
    }
    case dom::element_type::OBJECT: {
      dom::object obj = el.get_object().value_unsafe();
      for (auto field : obj)
        if (in(field.key) || may_occur(field.value, patterns, scratch)) return true;
      return false;
    }
    case dom::element_type::STRING: return in(el.get_string().value_unsafe());
    default:
      scratch.clear();
      scratch.append(el);
      return in(scratch.str());
  }
}

/// Calls f(value) for a value at the end of a path; arrays are flattened
/// (any element), objects are compared as their minified JSON text. f tests
/// `patterns` (empty: unknown), which may spare the minified text.
template <typename F>
bool visit_leaf(dom::element el, F& f, Json& scratch, std::span<const Pattern> patterns) {
  char buf[40];
  switch (el.type()) {
    case dom::element_type::ARRAY:
    {
      dom::array arr = el.get_array().value_unsafe();
      for (dom::element child : arr) {
        if (visit_leaf(child, f, scratch, patterns)) return true;
      }
    }
      return false;
    case dom::element_type::OBJECT: {
      const bool unbounded =
          std::any_of(patterns.begin(), patterns.end(), [](const Pattern& p) { return p.core.empty(); });
      if (!patterns.empty() && !unbounded && !may_occur(el, patterns, scratch)) return false;
      scratch.clear();
      scratch.append(el);
      return f(Value{Value::kString, scratch.str(), 0});
    }
    case dom::element_type::STRING:
      return f(Value{Value::kString, el.get_string().value_unsafe(), 0});
    case dom::element_type::INT64: {
      std::int64_t v = el.get_int64().value_unsafe();
      auto r = std::to_chars(buf, buf + sizeof buf, v);
      return f(Value{Value::kNumber, std::string_view(buf, static_cast<std::size_t>(r.ptr - buf)),
                     static_cast<double>(v)});
    }
    case dom::element_type::UINT64: {
      std::uint64_t v = el.get_uint64().value_unsafe();
      auto r = std::to_chars(buf, buf + sizeof buf, v);
      return f(Value{Value::kNumber, std::string_view(buf, static_cast<std::size_t>(r.ptr - buf)),
                     static_cast<double>(v)});
    }
    case dom::element_type::DOUBLE: {
      double v = el.get_double().value_unsafe();
      auto r = std::to_chars(buf, buf + sizeof buf, v);
      return f(Value{Value::kNumber, std::string_view(buf, static_cast<std::size_t>(r.ptr - buf)), v});
    }
    case dom::element_type::BOOL:
      return f(Value{Value::kBool, el.get_bool().value_unsafe() ? "true" : "false", 0});
    case dom::element_type::NULL_VALUE:
      return f(Value{Value::kNull, {}, 0});
  }
  return false;
}

template <typename F>
bool walk(dom::element el, const std::vector<std::string>& segs, std::size_t i, F& f, bool& found,
          Json& scratch, std::span<const Pattern> patterns) {
  if (i == segs.size()) {
    found = true;
    return visit_leaf(el, f, scratch, patterns);
  }
  if (el.is_array()) {
    dom::array arr = el.get_array().value_unsafe();
    for (dom::element child : arr) {
      if (walk(child, segs, i, f, found, scratch, patterns)) return true;
    }
    return false;
  }
  dom::object obj;
  if (el.get_object().get(obj) != simdjson::SUCCESS) return false;
  dom::element child;
  if (obj.at_key(segs[i]).get(child) != simdjson::SUCCESS) return false;
  return walk(child, segs, i + 1, f, found, scratch, patterns);
}

/// The value the normalizer copied from the record for `path`: a string, the
/// first of its key (as a lookup finds it); false when the lookup must decide.
bool normalized_text(const FieldPath& path, const EventView& ev, std::string_view& out) noexcept {
  // A repeated key leaves the last value in the EventView; an Insight's names
  // come from insightDetails; an invocation's service and identity type are made up.
  if (ev.repeated_keys) return false;
  const bool cloudtrail = ev.kind == EventKind::kCloudTrail;
  switch (path.normalized) {
    case FieldPath::Normalized::kNone: return false;
    case FieldPath::Normalized::kEventName: out = cloudtrail ? ev.action : std::string_view(); break;
    case FieldPath::Normalized::kEventSource: out = cloudtrail ? ev.service : std::string_view(); break;
    case FieldPath::Normalized::kIdentityType: out = cloudtrail ? ev.actor_type : std::string_view(); break;
    case FieldPath::Normalized::kOperation:
      out = ev.kind == EventKind::kInvocation ? ev.action : std::string_view();
      break;
  }
  // Empty: absent, null, not a string or "": the lookup tells which.
  return !out.empty();
}

enum class First : std::uint8_t { kWalk, kAbsent, kPresent };

/// The value of the path's first segment in the record, as walk() would find
/// it, without scanning the record's keys again when the normalizer or an
/// earlier rule did; kWalk when walk() must start at the record.
First first_member(const FieldPath& path, const MatchContext& ctx, dom::element& out) {
  const EventView& ev = *ctx.event;
  simdjson::simdjson_result<dom::element> value;
  switch (path.start) {
    case FieldPath::Start::kRequestParameters: value = ev.request_parameters(); break;
    case FieldPath::Start::kAdditionalEventData: value = ev.additional_event_data(); break;
    case FieldPath::Start::kRecord: {
      const auto slot = static_cast<std::size_t>(path.member);
      if (path.member < 0 || slot >= ctx.members.size() || !ev.raw.is_object()) return First::kWalk;
      MatchContext::Member& m = ctx.members[slot];
      if (m.serial != ctx.serial) {
        m.serial = ctx.serial;
        m.present = ev.raw.at_key(path.segments[0]).get(m.value) == simdjson::SUCCESS;
      }
      if (!m.present) return First::kAbsent;
      out = m.value;
      return First::kPresent;
    }
  }
  return value.get(out) == simdjson::SUCCESS ? First::kPresent : First::kAbsent;
}

/// Visits the values of a field: raw record first, then virtual fields.
/// Returns true when f stopped the walk; `found` tells whether the field exists.
template <typename F>
bool visit_field(const FieldPath& path, const MatchContext& ctx, F&& f, bool& found, Json& scratch,
                 std::vector<std::string_view>& views, std::span<const Pattern> patterns = {}) {
  found = false;
  std::string_view text;
  if (normalized_text(path, *ctx.event, text)) {
    found = true;
    return f(Value{Value::kString, text, 0});
  }
  dom::element first;
  switch (first_member(path, ctx, first)) {
    case First::kPresent:
      if (walk(first, path.segments, 1, f, found, scratch, patterns)) return true;
      break;
    case First::kAbsent: break;
    case First::kWalk:
      if (walk(ctx.event->raw, path.segments, 0, f, found, scratch, patterns)) return true;
      break;
  }
  if (!found && ctx.fields != nullptr) {
    views.clear();
    if (ctx.fields->get(path.name, views)) {
      found = true;
      for (std::string_view v : views) {
        if (f(Value{Value::kString, v, 0})) return true;
      }
    }
  }
  return false;
}

template <typename F>
bool visit_all_strings(dom::element el, F& f) {
  switch (el.type()) {
    case dom::element_type::ARRAY: {
      dom::array arr = el.get_array().value_unsafe();
      for (dom::element child : arr) {
        if (visit_all_strings(child, f)) return true;
      }
      return false;
    }
    case dom::element_type::OBJECT: {
      dom::object obj = el.get_object().value_unsafe();
      for (auto field : obj) {
        if (visit_all_strings(field.value, f)) return true;
      }
      return false;
    }
    case dom::element_type::STRING:
      return f(el.get_string().value_unsafe());
    default:
      return false;
  }
}

bool equals(std::string_view pattern, std::string_view text, bool cased) noexcept {
  if (pattern.size() != text.size()) return false;
  if (cased) return pattern == text;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (pattern[i] != fold(text[i])) return false;
  }
  return true;
}

bool starts_with(std::string_view pattern, std::string_view text, bool cased) noexcept {
  return text.size() >= pattern.size() && equals(pattern, text.substr(0, pattern.size()), cased);
}

bool ends_with(std::string_view pattern, std::string_view text, bool cased) noexcept {
  return text.size() >= pattern.size() &&
         equals(pattern, text.substr(text.size() - pattern.size()), cased);
}

bool contains(std::string_view pattern, std::string_view text, bool cased) noexcept {
  if (pattern.empty()) return true;
  if (cased) return text.find(pattern) != std::string_view::npos;
  const std::size_t m = pattern.size();
  if (text.size() < m) return false;
  // Candidates come from memchr on one byte of the (lower-cased) pattern: a
  // byte that is not a letter matches only itself; a letter needs both cases.
  // Prompts and serialized bodies are kilobytes long and meet several
  // patterns each, so the byte-at-a-time loop this replaces was the engine's
  // main cost on invocation logs.
  const char* base = text.data();
  const std::size_t last = text.size() - m;  // last possible start
  auto at = [&](std::size_t i) { return equals(pattern, text.substr(i, m), false); };
  std::size_t anchor = 0;
  while (anchor < m && pattern[anchor] >= 'a' && pattern[anchor] <= 'z') ++anchor;
  if (anchor < m) {
    const char* p = base + anchor;
    const char* end = base + last + anchor + 1;
    while (p < end) {
      const void* hit = std::memchr(p, static_cast<unsigned char>(pattern[anchor]), static_cast<std::size_t>(end - p));
      if (hit == nullptr) return false;
      const char* h = static_cast<const char*>(hit);
      if (at(static_cast<std::size_t>(h - base) - anchor)) return true;
      p = h + 1;
    }
    return false;
  }
  const char lower = pattern[0];
  const char upper = static_cast<char>(lower - 32);
  auto next = [&](char c, std::size_t from) -> std::size_t {
    if (from > last) return std::string_view::npos;
    const void* hit = std::memchr(base + from, static_cast<unsigned char>(c), last - from + 1);
    return hit == nullptr ? std::string_view::npos : static_cast<std::size_t>(static_cast<const char*>(hit) - base);
  };
  std::size_t lo = next(lower, 0), up = next(upper, 0);
  while (lo != std::string_view::npos || up != std::string_view::npos) {
    const std::size_t i = std::min(lo, up);
    if (at(i)) return true;
    if (i == lo) lo = next(lower, i + 1);
    if (i == up) up = next(upper, i + 1);
  }
  return false;
}

bool text_op(Op op, std::string_view pattern, std::string_view text, bool cased) noexcept {
  switch (op) {
    case Op::kEquals: return equals(pattern, text, cased);
    case Op::kPrefix: return starts_with(pattern, text, cased);
    case Op::kSuffix: return ends_with(pattern, text, cased);
    case Op::kContains: return contains(pattern, text, cased);
    case Op::kGlob: return glob_match(pattern, text, cased);
    default: return false;
  }
}

/// Runtime comparison of two field values (fieldref): both sides are data, so fold both.
bool ref_op(Op op, std::string_view other, std::string_view text, bool cased) noexcept {
  auto eq = [cased](std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (cased ? a[i] != b[i] : fold(a[i]) != fold(b[i])) return false;
    }
    return true;
  };
  switch (op) {
    case Op::kEquals: return eq(other, text);
    case Op::kPrefix: return text.size() >= other.size() && eq(other, text.substr(0, other.size()));
    case Op::kSuffix:
      return text.size() >= other.size() && eq(other, text.substr(text.size() - other.size()));
    case Op::kContains:
      if (other.empty()) return true;
      for (std::size_t i = 0; i + other.size() <= text.size(); ++i) {
        if (eq(other, text.substr(i, other.size()))) return true;
      }
      return false;
    default: return false;
  }
}

bool in_net(const IpNet& net, std::string_view text) noexcept {
  IpNet ip;
  if (!parse_ip(text, ip) || ip.v6 != net.v6) return false;
  int bits = net.bits;
  for (std::size_t i = 0; bits > 0; ++i, bits -= 8) {
    std::uint8_t mask = bits >= 8 ? 0xff : static_cast<std::uint8_t>(0xff << (8 - bits));
    if ((ip.addr[i] & mask) != (net.addr[i] & mask)) return false;
  }
  return true;
}

bool match_value(const Pattern& p, const Value& v, const MatchContext& ctx) {
  switch (p.op) {
    case Op::kNull:
      return v.kind == Value::kNull;
    case Op::kEquals:
    case Op::kPrefix:
    case Op::kSuffix:
    case Op::kContains:
    case Op::kGlob:
      if (v.kind == Value::kNull) return false;
      if (p.op == Op::kEquals && p.numeric && v.kind == Value::kNumber) return v.number == p.number;
      return text_op(p.op, p.text, v.text, p.cased);
    case Op::kRegex:
      if (v.kind == Value::kNull) return false;
      return RE2::PartialMatch(re2::StringPiece(v.text.data(), v.text.size()), *p.re);
    case Op::kCidr:
      return v.kind == Value::kString && in_net(p.net, v.text);
    case Op::kLt:
    case Op::kLte:
    case Op::kGt:
    case Op::kGte: {
      double x = 0;
      if (v.kind == Value::kNumber) {
        x = v.number;
      } else if (v.kind != Value::kString || !parse_double(v.text, x)) {
        return false;
      }
      switch (p.op) {
        case Op::kLt: return x < p.number;
        case Op::kLte: return x <= p.number;
        case Op::kGt: return x > p.number;
        default: return x >= p.number;
      }
    }
    case Op::kFieldRef: {
      if (v.kind == Value::kNull) return false;
      // The other field's values need their own scratch space: v may live in ctx's.
      Json scratch;
      std::vector<std::string_view> views;
      bool found = false;
      return visit_field(
          p.ref, ctx,
          [&](const Value& other) {
            return other.kind != Value::kNull && ref_op(p.ref_op, other.text, v.text, p.cased);
          },
          found, scratch, views);
    }
  }
  return false;
}

bool eval_item(const FieldItem& item, const MatchContext& ctx) {
  if (item.keyword) {
    auto one = [&](const Pattern& p) {
      auto f = [&](std::string_view s) { return match_value(p, Value{Value::kString, s, 0}, ctx); };
      return visit_all_strings(ctx.event->raw, f);
    };
    if (item.all) return std::all_of(item.patterns.begin(), item.patterns.end(), one);
    return std::any_of(item.patterns.begin(), item.patterns.end(), one);
  }
  bool found = false;
  // A record rebuilt from a table's columns lacks what the table did not
  // select: there, an absent field is unknown, and matches neither `null` nor
  // `|exists: false`.
  const bool open_world = ctx.event != nullptr && ctx.event->partial;
  if (item.exists >= 0) {
    visit_field(item.path, ctx, [](const Value&) { return true; }, found, ctx.scratch_json,
                ctx.scratch_views);
    return found ? item.exists == 1 : item.exists == 0 && !open_world;
  }
  if (item.all) {
    for (const Pattern& p : item.patterns) {
      bool hit = visit_field(item.path, ctx, [&](const Value& v) { return match_value(p, v, ctx); },
                             found, ctx.scratch_json, ctx.scratch_views, std::span(&p, 1));
      if (!hit && !(p.op == Op::kNull && !found && !open_world)) return false;
    }
    return true;
  }
  bool hit = visit_field(
      item.path, ctx,
      [&](const Value& v) {
        for (const Pattern& p : item.patterns) {
          if (match_value(p, v, ctx)) return true;
        }
        return false;
      },
      found, ctx.scratch_json, ctx.scratch_views, item.patterns);
  if (!hit && !found && !open_world) {
    hit = std::any_of(item.patterns.begin(), item.patterns.end(),
                      [](const Pattern& p) { return p.op == Op::kNull; });
  }
  if (item.neq) return found && !hit;
  return hit;
}

bool eval_selection(const Selection& sel, const MatchContext& ctx) {
  for (const auto& alt : sel.alternatives) {
    bool ok = true;
    for (const FieldItem& item : alt) {
      if (!eval_item(item, ctx)) {
        ok = false;
        break;
      }
    }
    if (ok) return true;
  }
  return false;
}

bool eval_node(const Rule& rule, int index, const MatchContext& ctx) {
  const Node& n = rule.nodes[static_cast<std::size_t>(index)];
  switch (n.type) {
    case Node::kSel:
      return eval_selection(rule.sels[static_cast<std::size_t>(n.sel)], ctx);
    case Node::kNot:
      return !eval_node(rule, n.children[0], ctx);
    case Node::kAnd:
      for (int c : n.children) {
        if (!eval_node(rule, c, ctx)) return false;
      }
      return true;
    case Node::kOr:
      for (int c : n.children) {
        if (eval_node(rule, c, ctx)) return true;
      }
      return false;
    case Node::kConst:
      return n.value;
  }
  return false;
}

int utf8_length(unsigned char c) noexcept {
  if (c < 0x80) return 1;
  if ((c >> 5) == 0x6) return 2;
  if ((c >> 4) == 0xe) return 3;
  if ((c >> 3) == 0x1e) return 4;
  return 1;
}

}  // namespace

bool glob_match(std::string_view g, std::string_view t, bool cased) noexcept {
  std::size_t gi = 0, ti = 0, star = std::string_view::npos, mark = 0;
  while (ti < t.size()) {
    if (gi < g.size() && g[gi] == kStar) {
      star = gi++;
      mark = ti;
      continue;
    }
    if (gi < g.size() && g[gi] == kQuestion) {
      ++gi;
      ti = std::min(t.size(), ti + static_cast<std::size_t>(utf8_length(static_cast<unsigned char>(t[ti]))));
      continue;
    }
    if (gi < g.size() && (cased ? g[gi] == t[ti] : g[gi] == fold(t[ti]))) {
      ++gi;
      ++ti;
      continue;
    }
    if (star != std::string_view::npos) {
      gi = star + 1;
      ti = ++mark;
      continue;
    }
    return false;
  }
  while (gi < g.size() && g[gi] == kStar) ++gi;
  return gi == g.size();
}

bool parse_ip(std::string_view text, IpNet& out) noexcept {
  char buf[64];
  if (text.empty() || text.size() >= sizeof buf) return false;
  if (text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  if (text.find(':') == std::string_view::npos) {
    out.v6 = false;
    out.bits = 32;
    out.addr.fill(0);
    return inet_pton(AF_INET, buf, out.addr.data()) == 1;
  }
  out.v6 = true;
  out.bits = 128;
  return inet_pton(AF_INET6, buf, out.addr.data()) == 1;
}

bool applies(Source source, EventKind kind) noexcept {
  switch (source) {
    case Source::kCloudTrail: return kind == EventKind::kCloudTrail || kind == EventKind::kInsight;
    case Source::kInvocation: return kind == EventKind::kInvocation;
    case Source::kAny: return true;
  }
  return false;
}

bool eval_rule(const Rule& rule, const MatchContext& ctx) {
  if (rule.root < 0) return false;
  return eval_node(rule, rule.root, ctx);
}

std::string first_value(const FieldPath& path, const MatchContext& ctx) {
  std::string out;
  Json scratch;
  std::vector<std::string_view> views;
  bool found = false;
  visit_field(
      path, ctx,
      [&](const Value& v) {
        if (v.kind == Value::kNull) return false;
        out.assign(v.text);
        return true;
      },
      found, scratch, views);
  return out;
}

}  // namespace aiir::sigma::detail
