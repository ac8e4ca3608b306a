// SPDX-License-Identifier: Apache-2.0
// Signature hits inside quotation marks that the text discusses (quoted.h).
#include "content/quoted.h"

#include <re2/re2.h>

#include <algorithm>
#include <string_view>

#include "content/cues.h"
#include "content/content.h"

namespace aiir::content {
namespace {

using detail::cue_options;
using detail::has;

// These run on a few hundred bytes around a quote, and only for hits.
struct QuoteCues {
  // Words around the quote that discuss it.
  RE2 discussion{
      "\\b(?:examples?|for\\s+instance|e\\.g\\.|such\\s+as|what\\s+(?:is|are|does|do|did|would|happens|makes)|"
      "why\\s+(?:does|do|is|are|would|did|can|could|might|will)|how\\s+(?:do|does|can|could|should|would|might|to)\\s+"
      "(?:(?:we|you|i|companies|organi[sz]ations|people|developers|teams|models|llms|vendors|one|they)\\s+)?"
      "(?:defend|protect|prevent|detect|stop|mitigate|block|guard|handle|spot|recogni[sz]e|catch|filter|flag|"
      "respond)|(?:is|was|are|isn['’]t)\\s+(?:this|that|it|these)\\s+(?:(?:an?|the|really|still|considered)\\s+)*"
      "(?:(?:example|case|form|kind|type|instance|sign)\\s+of|attack|injection|jailbreak|prompt\\s+injection|"
      "malicious|dangerous|safe|harmful)|(?:does|would|could|will)\\s+(?:this|that|it)\\s+(?:count|qualify|work|"
      "trick|fool)|explain\\w*|phrases?|wording|someone\\s+(?:typing|types|typed|writing|writes|wrote|saying|says|said|sending|"
      "sends|sent|entering|enters|pasting|pastes|tries|tried)|attackers?\\s+(?:use|used|type|typed|write|wrote|"
      "say|send|sent|try|tried|paste)|(?:users?|people|hackers?)\\s+(?:type|typed|types|write|wrote|writes|try|"
      "tried|use|used)|awareness|training|research|paper|article|blog|classif(?:y|ier|ication)|detectors?|"
      "guardrails?|filters?|text\\s+like|prompts?\\s+like|messages?\\s+like|inputs?\\s+like)\\b",
      cue_options()};
  // The clause before the quote orders it done (anchored at the clause start).
  RE2 order_before{
      "^\\s*(?:(?:ok(?:ay)?|now|so|and|then|please|pls|kindly|just|first|next|finally|also|from\\s+now\\s+on|"
      "you\\s+(?:must|should|will|shall)|i\\s+(?:want|need)\\s+you\\s+to)[\\s,]+)*(?:follow|obey|execute|do|run|"
      "perform|apply|carry\\s+out|act\\s+on|comply\\s+with|respond\\s+to|process|treat|repeat|say|print|output|"
      "type|reply|answer|start|begin|consider|read|use|write)\\b",
      cue_options()};
  // Text around the quote that speaks to the model as a role or a task
  // ("from now on you are ...", "act as", "you will"): a payload, not a discussion.
  RE2 addressed{
      "\\b(?:from\\s+now\\s+on|you\\s+(?:are\\s+(?:now|going\\s+to|to)|will\\s+(?:now\\s+)?(?:be|act|respond|answer|"
      "reply|provide|follow|obey|pretend|always|never)|must|shall|should\\s+(?:always|never|now)|can\\s+now)|"
      "act(?:ing)?\\s+as|pretend(?:ing)?\\s+(?:to\\s+be|you\\s+are)|stay\\s+in\\s+character|(?:answer|respond|reply|"
      "speak|talk)\\s+as|your\\s+(?:new\\s+)?(?:instructions?|task|role|rules|responses|answers|replies)\\s+(?:is|are|"
      "should|must|will)|(?:first|next|new)\\s+(?:instruction|task|command))\\b",
      cue_options()};
  // The clauses after the quote order it done.
  RE2 order_after{
      "(?:^|[.!?;,:\\n]\\s*|\\b(?:and|then|now)\\s+)(?:(?:please|now|then|just|so|and|also)\\s+)*(?:(?:do|follow|"
      "obey|execute|run|act\\s+on|comply\\s+with|carry\\s+out|apply|perform)\\s+(?:it|that|this|them|so|those|these|"
      "what\\s+it\\s+says)\\b|comply\\b|obey\\b|then\\s+(?:reveal|print|show|tell|output|give))",
      cue_options()};
};

const QuoteCues& quote_cues() {
  static const QuoteCues c;
  return c;
}


constexpr std::size_t kQuoteWindow = 400;   ///< the longest quote, and the text judged on each side
constexpr std::size_t kParityScan = 4096;   ///< straight double quotes counted before a quote to tell openers
constexpr int kMaxOccurrences = 8;          ///< matches of one signature judged per view

bool alnum(char ch) noexcept {
  const auto u = static_cast<unsigned char>(ch);
  return (u >= '0' && u <= '9') || (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || u >= 0x80;
}
bool space(char ch) noexcept { return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r'; }

enum class Quote : std::uint8_t { kNone, kDouble, kCurly, kLow, kGuillemet, kCorner, kWhiteCorner, kSingle };

bool at(std::string_view s, std::size_t i, std::string_view what) noexcept { return s.substr(i, what.size()) == what; }

/// The opening quote that starts at byte i of s (within [lo, hi)), if any.
Quote opener_at(std::string_view s, std::size_t i, std::size_t lo, std::size_t hi) noexcept {
  const char ch = s[i];
  if (ch == '"') return Quote::kDouble;
  if (ch == '\'')
    return (i == lo || !alnum(s[i - 1])) && i + 1 < hi && alnum(s[i + 1]) ? Quote::kSingle : Quote::kNone;
  if (static_cast<unsigned char>(ch) < 0x80) return Quote::kNone;
  if (at(s, i, "\xE2\x80\x9C")) return Quote::kCurly;      // “
  if (at(s, i, "\xE2\x80\x9E")) return Quote::kLow;        // „
  if (at(s, i, "\xC2\xAB")) return Quote::kGuillemet;      // «
  if (at(s, i, "\xE3\x80\x8C")) return Quote::kCorner;     // 「
  if (at(s, i, "\xE3\x80\x8E")) return Quote::kWhiteCorner;// 『
  if (at(s, i, "\xE2\x80\x98")) return Quote::kSingle;     // ‘
  return Quote::kNone;
}

/// Length of the closing quote of kind q that starts at byte i (0: none).
std::size_t closer_at(std::string_view s, std::size_t i, std::size_t lo, std::size_t hi, Quote q) noexcept {
  switch (q) {
    case Quote::kDouble: return s[i] == '"' ? 1 : 0;
    case Quote::kCurly: return at(s, i, "\xE2\x80\x9D") ? 3 : 0;
    case Quote::kLow: return at(s, i, "\xE2\x80\x9C") || at(s, i, "\xE2\x80\x9D") ? 3 : 0;
    case Quote::kGuillemet: return at(s, i, "\xC2\xBB") ? 2 : 0;
    case Quote::kCorner: return at(s, i, "\xE3\x80\x8D") ? 3 : 0;
    case Quote::kWhiteCorner: return at(s, i, "\xE3\x80\x8F") ? 3 : 0;
    case Quote::kSingle: {
      std::size_t len = s[i] == '\'' ? 1 : at(s, i, "\xE2\x80\x99") ? 3 : 0;
      if (len == 0 || i == lo || space(s[i - 1])) return 0;
      return i + len >= hi || !alnum(s[i + len]) ? len : 0;  // an apostrophe inside a word does not close
    }
    case Quote::kNone: break;
  }
  return 0;
}

/// The quotation marks around [b, e) within the piece [lo, hi): the opener's
/// start and the closer's end. False when the span is not inside one quote.
bool enclosing_quote(std::string_view s, std::size_t lo, std::size_t hi, std::size_t b, std::size_t e,
                     std::size_t& open, std::size_t& close) noexcept {
  const std::size_t floor = b > lo + kQuoteWindow ? b - kQuoteWindow : lo;
  for (std::size_t i = b; i-- > floor;) {
    const Quote q = opener_at(s, i, lo, hi);
    if (q == Quote::kNone) continue;
    // No closer of this kind between the opener and the span (else look farther out).
    std::size_t qlen = q == Quote::kDouble || s[i] == '\'' ? 1 : q == Quote::kGuillemet ? 2 : 3;
    bool closed = false;
    for (std::size_t j = i + qlen; j < b && !closed; ++j) closed = closer_at(s, j, lo, hi, q) != 0;
    if (closed) continue;
    if (q == Quote::kDouble) {
      // Straight quotes open and close alike: an opener has an even number before it.
      if (i - lo > kParityScan) return false;
      std::size_t before = static_cast<std::size_t>(std::count(s.begin() + static_cast<std::ptrdiff_t>(lo),
                                                               s.begin() + static_cast<std::ptrdiff_t>(i), '"'));
      if (before % 2 != 0) return false;
    }
    // The closer after the span, near enough.
    const std::size_t ceiling = std::min(hi, i + kQuoteWindow);
    for (std::size_t j = e; j < ceiling; ++j) {
      if (opener_at(s, j, lo, hi) == q && q != Quote::kDouble && q != Quote::kSingle) return false;  // nested
      const std::size_t len = closer_at(s, j, lo, hi, q);
      if (len == 0) continue;
      open = i;
      close = j + len;
      return true;
    }
    return false;
  }
  return false;
}

/// The last clause of `before` (after the last . ! ? ; or newline).
std::string_view last_clause(std::string_view before) noexcept {
  const std::size_t k = before.find_last_of(".!?;\n");
  return k == std::string_view::npos ? before : before.substr(k + 1);
}

/// `after` up to the end of its second sentence.
std::string_view two_sentences(std::string_view after) noexcept {
  std::size_t k = after.find_first_of(".!?\n");
  if (k == std::string_view::npos) return after;
  k = after.find_first_of(".!?\n", k + 1);
  return k == std::string_view::npos ? after : after.substr(0, k + 1);
}

/// Whether canonical [b, e) sits in a quote that the piece's text discusses
/// and does not order done.
bool quoted_and_discussed(const ContentResult& r, std::size_t b, std::size_t e) {
  const auto& starts = r.input_piece_start;
  if (starts.empty()) return false;
  const std::string_view s = r.input.canonical;
  auto it = std::upper_bound(starts.begin(), starts.end(), static_cast<std::uint32_t>(b));
  const std::size_t k = it == starts.begin() ? 0 : static_cast<std::size_t>(it - starts.begin() - 1);
  const std::string_view piece = r.input_piece_text(k);
  const std::size_t lo = static_cast<std::size_t>(piece.data() - s.data()), hi = lo + piece.size();
  if (b < lo || e > hi || b >= e) return false;
  std::size_t open = 0, close = 0;
  if (!enclosing_quote(s, lo, hi, b, e, open, close)) return false;
  const std::size_t from = open > lo + kQuoteWindow ? open - kQuoteWindow : lo;
  const std::string_view before = s.substr(from, open - from);
  const std::string_view after = s.substr(close, std::min(hi, close + kQuoteWindow) - close);
  const QuoteCues& q = quote_cues();
  // Addressed to the model: the clause before orders it, or introduces it with a colon.
  const std::string_view clause = last_clause(before);
  const std::size_t end = clause.find_last_not_of(" \t\r\n");
  if (end != std::string_view::npos && (clause[end] == ':' || clause[end] == '-')) return false;
  if (has(q.order_before, clause)) return false;
  if (has(q.order_after, two_sentences(after))) return false;
  if (has(q.addressed, before) || has(q.addressed, after)) return false;
  return has(q.discussion, before) || has(q.discussion, after);
}

}  // namespace

void lower_quoted_discussions(ContentResult& r) {
  if (r.signatures == nullptr) return;
  const NormalizedText& t = r.input;
  for (ContentHit& h : r.hits) {
    if (h.side != Side::kInput || h.role == Role::kSystem || h.severity <= Severity::kLow) continue;
    if (h.view >= 0) {
      const ViewKind kind = t.view_kinds[static_cast<std::size_t>(h.view)];
      if (kind != ViewKind::kCollapsed && kind != ViewKind::kLeet) continue;  // hidden text is no discussion
    }
    const std::string_view view = h.view < 0 ? std::string_view(t.canonical)
                                             : std::string_view(t.views[static_cast<std::size_t>(h.view)]);
    auto judged = [&](std::uint32_t b, std::uint32_t e) {
      return e > b && quoted_and_discussed(r, t.to_canonical(h.view, b), t.to_canonical(h.view, e - 1) + 1);
    };
    // The reported match first: an attack is seldom quoted, and then nothing
    // more is looked at.
    if (!judged(h.begin, h.end)) continue;
    // Then every match of the signature in the view, from its start (the set
    // reports the first pattern that matched, not the earliest match).
    std::uint32_t b = 0, e = 0;
    bool all = true;
    for (int n = 0; r.signatures->find(h.signature, view, e, b, e); ++n) {
      if (n == kMaxOccurrences || !judged(b, e)) {
        all = false;  // not quoted and discussed, or too many to judge: keep the severity
        break;
      }
    }
    if (all) {
      h.severity = std::min(h.severity, Severity::kLow);
      h.quoted = true;
    } else if (b != h.begin) {
      // The occurrence that is not under discussion is the one to show.
      h.begin = b;
      h.end = e;
      h.excerpt.assign(view.substr(b, std::min<std::size_t>(e - b, ContentHit::kMaxExcerpt)));
    }
  }
}

}  // namespace aiir::content
