// SPDX-License-Identifier: Apache-2.0
// The invocation-content analyzer: turns what the content stage found in each
// invocation record (EventView::content: signatures, model score, hidden
// text, leakage, attachments, secrets and PII) and in CloudTrail request
// parameters (secrets) into findings, aggregated per rule, principal and hour.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <ctime>
#include <map>
#include <set>
#include <string>
#include <tuple>

#include "analyzers/common.h"
#include "analyzers/factories.h"
#include "content/content.h"
#include "content/secrets.h"
#include "scan/content_stage.h"
#include "util/time.h"

namespace aiir {
namespace {

using content::ContentResult;
using content::Role;
using content::Side;

constexpr std::int64_t kWindowMs = 3'600'000;  // aggregation window: one hour
constexpr std::size_t kMaxGroups = 50'000;
constexpr std::size_t kMaxListed = 10;
constexpr std::size_t kMaxExcerpt = 160;

std::int64_t window_of(std::int64_t ms) noexcept {
  std::int64_t w = ms / kWindowMs;
  if (ms < 0 && ms % kWindowMs != 0) --w;
  return w * kWindowMs;
}

struct RuleInfo {
  const char* rule;
  Element element;
  const char* title;
};

RuleInfo family_rule(std::string_view family) {
  if (family == "roleplay_jailbreak")
    return {"invocation.jailbreak", Element::kInvocation, "Jailbreak attempt in prompts"};
  if (family == "system_prompt_extraction")
    return {"invocation.system_prompt_extraction", Element::kInvocation, "System-prompt extraction attempt"};
  if (family == "data_exfiltration")
    return {"invocation.data_exfiltration_markup", Element::kInvocation,
            "Data-exfiltration markup (images or links carrying data in the URL)"};
  if (family == "tool_abuse") return {"invocation.tool_abuse", Element::kInvocation, "Tool or agent abuse instructions"};
  if (family == "cloud_credentials")
    return {"invocation.cloud_credential_request", Element::kInvocation,
            "Prompt reaches for cloud credentials or the instance metadata service"};
  return {"invocation.prompt_injection", Element::kInvocation, "Prompt injection (instruction override)"};
}

bool is_pii(std::string_view type) noexcept {
  return type == "credit_card" || type == "us_ssn" || type == "iban" || type == "email" || type == "phone";
}

/// The representative record of a group: highest severity, then score, then
/// earliest (time, file, record). Independent of input order.
struct Top {
  int severity = -1;
  double score = -2;
  Evidence where;
  std::string request_id, signatures, excerpt;
  bool better_than(const Top& o) const {
    if (severity != o.severity) return severity > o.severity;
    if (score != o.score) return score > o.score;
    return where < o.where;
  }
};

struct Group {
  Finding finding;
  std::map<std::string, std::uint64_t> items;   ///< signature ids, secret types, hidden kinds ...
  std::set<std::string> values;                 ///< masked secrets, decoded texts, attachment lines (capped)
  std::set<std::string> roles;
  double max_score = -1;
  Top top;
  /// The record last counted: the hits of one record (a key id and its secret)
  /// count it once. Hits of a record arrive together, in one on_event call.
  std::uint32_t last_file = UINT32_MAX, last_record = UINT32_MAX;
};

struct WindowStats {
  std::uint64_t records = 0, flagged = 0, guardrail = 0;
  std::set<std::string> families;
};

using GroupKey = std::tuple<std::string, std::string, std::string, std::int64_t>;  // rule, principal, account, window

/// Personal data in the request's system prompt: one group for the whole span.
constexpr const char* kSystemPii = "invocation.pii_in_system_prompt";
using WindowKey = std::tuple<std::string, std::string, std::int64_t>;

class InvocationContentAnalyzer final : public Analyzer {
 public:
  void on_event(const EventView& ev, FindingSink&) override {
    if (ev.content == nullptr) return;
    const ContentResult& r = *ev.content;
    if (ev.kind == EventKind::kCloudTrail) {
      on_cloudtrail(ev, r);
      return;
    }
    if (ev.kind != EventKind::kInvocation) return;
    media_.refs += r.media.refs;
    media_.missing += r.media.missing;
    media_.unreadable += r.media.unreadable;
    media_.cut += r.media.cut;
    media_.text_partial += r.media.text_partial;
    const std::int64_t w = window_of(ev.time_ms);
    WindowKey wkey(std::string(ev.actor_arn), std::string(ev.account), w);
    auto wit = windows_.find(wkey);
    if (wit == windows_.end()) {
      if (windows_.size() >= kMaxGroups) {  // bounded state: the record is not analysed, and counted
        ++dropped_;
        return;
      }
      wit = windows_.emplace(std::move(wkey), WindowStats{}).first;
    }
    WindowStats& ws = wit->second;
    ++ws.records;
    if (r.extraction.guardrail.intervened) ++ws.guardrail;
    bool flagged = r.score >= 0 && r.threshold >= 0 && r.score >= r.threshold;

    // Signatures: request side, and data-exfiltration markup in the response too.
    std::string sig_ids;
    for (const auto& h : r.hits) {
      const content::Signature& sig = r.signature(h);
      if (h.side == Side::kOutput && sig.family != "data_exfiltration") continue;
      if (!sig_ids.empty()) sig_ids += ',';
      sig_ids += sig.id;
    }
    // The system prompt is the caller's own instructions, and defensive ones
    // read like attacks ("never reveal the code you were given", "do not
    // apologize"): a hit there is low, on every call of the application.
    // Retrieved text an application puts into its system prompt is the cost.
    // A hit inside quotation marks that the text discusses is already low
    // (ContentHit::severity, content/quoted.h).
    // A quoted example in a question about the attack ("how do we defend against prompt
    // injection, e.g. a user writing '...'", ContentHit::quoted_example): one level lower,
    // not cleared, since asking what the model would do with a quoted instruction is a
    // jailbreak framing too.
    auto severity_of = [](const content::ContentHit& h) {
      const bool system = h.side == Side::kInput && h.role == Role::kSystem;
      if (system) return std::min(h.severity, Severity::kLow);
      Severity s = h.severity;
      if (h.quoted_example && s > Severity::kLow) s = static_cast<Severity>(static_cast<int>(s) - 1);
      return s;
    };
    // A record whose hits of a rule are all below medium goes to that rule's
    // low group: the hour's medium or high finding does not cite it.
    std::array<std::pair<std::string_view, Severity>, 8> rule_max{};
    std::size_t rules = 0;
    for (const auto& h : r.hits) {
      const content::Signature& sig = r.signature(h);
      if (h.side == Side::kOutput && sig.family != "data_exfiltration") continue;
      const std::string_view rule = family_rule(sig.family).rule;
      std::size_t k = 0;
      while (k < rules && rule_max[k].first != rule) ++k;
      if (k == rules) {
        if (rules == rule_max.size()) continue;  // more rules than families: cannot happen
        rule_max[rules++] = {rule, Severity::kInfo};
      }
      rule_max[k].second = std::max(rule_max[k].second, severity_of(h));
    }
    for (const auto& h : r.hits) {
      const content::Signature& sig = r.signature(h);
      if (h.side == Side::kOutput && sig.family != "data_exfiltration") continue;
      const Severity sev = severity_of(h);
      if (h.side == Side::kInput && sev >= Severity::kMedium) flagged = true;
      ws.families.insert(sig.family);
      RuleInfo ri = family_rule(sig.family);
      bool low = false;
      for (std::size_t k = 0; k < rules; ++k)
        if (rule_max[k].first == ri.rule) low = rule_max[k].second < Severity::kMedium;
      Group* g = group(ev, ri, sev, false, low ? "low" : "");
      if (g == nullptr) continue;
      ++g->items[sig.id];
      g->roles.insert(fmt::format("{} {}{}", to_string(h.side), to_string(h.role),
                                  h.quoted_example ? " (quoted example)" : ""));
      offer(*g, ev, r, sev, sig_ids, h.excerpt);
    }
    if (flagged) ++ws.flagged;

    // The model score.
    if (r.score >= 0 && r.threshold >= 0 && r.score >= r.threshold) {
      // The model alone runs at ~1% false positives: low on its own, higher
      // only for confident scores (signatures make their own findings).
      Severity s = r.score >= std::max(0.95, r.threshold)  ? Severity::kHigh
                   : r.score >= std::max(0.8, r.threshold) ? Severity::kMedium
                                                           : Severity::kLow;
      // One finding per severity band: a record scored low is not cited by a
      // medium or high finding because another record of the hour scored higher.
      // The low band (the model's ~1% false positives on ordinary traffic) is one
      // finding per principal for the whole span, not one per hour.
      Group* g = group(ev, {"invocation.prompt_attack_scored", Element::kInvocation,
                            "Prompts scored as attacks by the prompt model"},
                       s, s == Severity::kLow, to_string(s));
      if (g != nullptr) {
        g->max_score = std::max(g->max_score, r.score);
        offer(*g, ev, r, s, sig_ids, first_user_excerpt(r));
      }
    }

    on_hidden(ev, r, sig_ids);
    on_leakage(ev, r, sig_ids);
    on_guardrail_detections(ev, r, sig_ids);
    on_attachments(ev, r, sig_ids);
    on_secrets(ev, r, sig_ids);
  }

  void finish(FindingSink& out) override {
    for (auto& [key, g] : groups_) {
      Finding& f = g.finding;
      const auto& [rule, principal, account, w] = key;
      auto wit = windows_.find(WindowKey(principal, account, w));
      std::vector<std::pair<std::string, std::string>> d;
      if (wit != windows_.end()) {
        const WindowStats& ws = wit->second;
        d.emplace_back("window_records", std::to_string(ws.records));
        d.emplace_back("window_flagged_prompts", std::to_string(ws.flagged));
        d.emplace_back("window_guardrail_interventions", std::to_string(ws.guardrail));
        d.emplace_back("window_attack_families", std::to_string(ws.families.size()));
        if (!ws.families.empty()) d.emplace_back("attack_families", join(ws.families));
      }
      if (w != 0) d.emplace_back("window", fmt::format("1h from {}", format_time(w)));
      if (!g.items.empty()) d.emplace_back("matched", join_counts(g.items));
      if (!g.roles.empty()) d.emplace_back("where", join(g.roles));
      if (!g.values.empty()) d.emplace_back("values", join(g.values, " | "));
      if (g.max_score >= 0) d.emplace_back("max_score", fmt::format("{:.3f}", g.max_score));
      if (!g.top.request_id.empty()) d.emplace_back("top_request_id", g.top.request_id);
      if (g.top.score >= 0) d.emplace_back("top_score", fmt::format("{:.3f}", g.top.score));
      if (!g.top.signatures.empty()) d.emplace_back("top_signatures", g.top.signatures);
      if (!g.top.excerpt.empty()) d.emplace_back("top_excerpt", g.top.excerpt);
      f.details = std::move(d);
      // Hourly groups name their hour; whole-span ones (w == 0) their first and last record.
      const std::string when =
          rule == kSystemPii ? std::string(" (the application's own text, sent on every call)")
          : w == 0 ? fmt::format(" from {} to {}", aiir::format_time(f.first_seen_ms), aiir::format_time(f.last_seen_ms))
                             : fmt::format(" in the hour from {}", format_time(w));
      f.summary = fmt::format("{}: {} record(s) from {}{}{}", f.title, f.count,
                              f.principal.empty() ? std::string("an unknown principal") : f.principal, when,
                              g.items.empty() ? std::string() : fmt::format(" ({})", join_counts(g.items, 3)));
      out.emit(std::move(f));
    }
    groups_.clear();
    windows_.clear();
  }

  void limits(std::vector<std::string>& out) const override {
    detail::caps_line(out, dropped_);
    // Attachments whose bytes were not read, or read in part (docs/content.md).
    detail::limit_line(out, media_.missing,
                       "{} document or image object(s) that invocation records reference by S3 URI (source.s3Uri or "
                       "s3Location) are not in the export (their data/ objects were not collected): their type and text "
                       "were not checked.");
    detail::limit_line(out, media_.unreadable,
                       "{} document or image object(s) in the export could not be read, or were past the 16 read per "
                       "record: their type and text were not checked.");
    detail::limit_line(out, media_.cut,
                       "{} document or image object(s) were larger than the 8 MiB read cap: only their start was "
                       "sniffed and read, and they have no SHA-256.");
    detail::limit_line(out, media_.text_partial,
                       "{} document(s) had their text read only in part (PDF streams with filters other than "
                       "FlateDecode, damaged or encrypted PDFs, the inflate caps, or the 256 KiB text cap per "
                       "document): text in the rest was not scanned.");
  }
  void answer(const Coverage&, std::vector<QuestionAnswer>&) const override {
    // The Invocation (invocation.*) and Private data (private_data.leaked_in_responses)
    // answers already name this analyzer's rules; nothing to add.
  }

 private:
  /// The finding of (rule, principal, account, hour window); `whole_span`: one
  /// window for the whole of the logs (what repeats on every call).
  /// `band`: groups of one rule apart by it (the model score's severity band).
  Group* group(const EventView& ev, const RuleInfo& ri, Severity sev, bool whole_span = false,
               std::string_view band = {}) {
    std::string key_rule(ri.rule);
    if (!band.empty()) key_rule.append("#").append(band);
    GroupKey key(std::move(key_rule), std::string(ev.actor_arn), std::string(ev.account),
                 whole_span ? 0 : window_of(ev.time_ms));
    auto it = groups_.find(key);
    if (it == groups_.end()) {
      if (groups_.size() >= kMaxGroups) {
        ++dropped_;
        return nullptr;
      }
      it = groups_.emplace(std::move(key), Group{}).first;
      Finding& f = it->second.finding;
      f.rule = ri.rule;
      f.element = ri.element;
      f.title = ri.title;
      f.principal = std::string(ev.actor_arn);
      f.account = std::string(ev.account);
      f.region = std::string(ev.region);
      f.access_key_id = std::string(ev.access_key_id);  // an identifier: kept in full
      tag(f);
    }
    Group& g = it->second;
    g.finding.severity = std::max(g.finding.severity, sev);
    if (g.last_file != ev.where.file || g.last_record != ev.where.record) {
      g.finding.add(ev);
      g.last_file = ev.where.file;
      g.last_record = ev.where.record;
    }
    return &g;
  }

  static void tag(Finding& f) {
    if (f.element == Element::kPrivateData || f.rule.find("secret") != std::string::npos ||
        f.rule.find("pii") != std::string::npos) {
      f.tags.atlas = {"AML.T0057"};
      f.tags.owasp_llm = {"LLM02:2025"};
      if (f.rule.find("secret") != std::string::npos) f.tags.attack = {"T1552"};
      return;
    }
    if (f.rule == "invocation.system_prompt_leakage" || f.rule == "invocation.system_prompt_extraction") {
      f.tags.atlas = {"AML.T0056"};
      f.tags.owasp_llm = {"LLM07:2025"};
      return;
    }
    if (f.rule == "invocation.jailbreak") f.tags.atlas = {"AML.T0054"};
    else f.tags.atlas = {"AML.T0051"};
    if (f.rule == "invocation.suspicious_attachment") f.tags.atlas = {"AML.T0011"};
    if (f.rule == "invocation.data_exfiltration_markup") f.tags.atlas = {"AML.T0051", "AML.T0077"};
    f.tags.owasp_llm = {"LLM01:2025"};
    if (f.rule == "invocation.tool_abuse") f.tags.owasp_llm = {"LLM01:2025", "LLM06:2025"};
  }

  static std::string first_user_excerpt(const ContentResult& r) {
    for (const auto& p : r.extraction.pieces)
      if (p.side == Side::kInput && p.role == Role::kUser) return cut(p.text);
    return {};
  }

  static std::string cut(std::string_view s, std::size_t max = kMaxExcerpt) {
    if (s.size() <= max) return std::string(s);
    std::size_t n = max;
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
    return std::string(s.substr(0, n)) + "\xE2\x80\xA6";
  }

  /// Masks secrets inside a text shown in a finding (decoded payloads, excerpts).
  static std::string masked(std::string_view text) { return mask_secrets_in(text, kMaxExcerpt); }

  void offer(Group& g, const EventView& ev, const ContentResult& r, Severity sev, const std::string& sigs,
             std::string_view excerpt) {
    Top t;
    t.severity = static_cast<int>(sev);
    t.score = r.score;
    t.where = Evidence::from(ev);
    if (!g.top.request_id.empty() && !t.better_than(g.top)) return;
    t.request_id = std::string(ev.request_id);
    t.signatures = sigs;
    t.excerpt = masked(excerpt.empty() ? std::string_view(first_user_excerpt(r)) : excerpt);
    g.top = std::move(t);
  }

  void add_value(Group& g, std::string v) {
    if (g.values.size() < kMaxListed) g.values.insert(std::move(v));
  }

  void on_hidden(const EventView& ev, const ContentResult& r, const std::string& sigs) {
    bool decoded_hit[2] = {false, false};
    for (const auto& h : r.hits)
      if (h.view_kind == "decoded" || h.view_kind == "rot13") decoded_hit[static_cast<int>(h.side)] = true;
    for (const auto& h : r.hidden) {
      std::string_view kind = h.text->kind;
      Severity s;
      if (kind == "tag_smuggling" || kind == "sneaky_bits" || kind == "variation_selector")
        s = h.side == Side::kInput ? Severity::kHigh : Severity::kMedium;
      else if (kind == "bidi") s = Severity::kMedium;
      else if (kind == "zero_width" || kind == "homoglyph" || kind == "private_use") s = Severity::kLow;
      else if (decoded_hit[static_cast<int>(h.side)]) s = Severity::kMedium;  // encoded text that decodes to an attack
      else continue;  // base64/hex/URL text with nothing behind it is ordinary
      Group* g = group(ev, {"invocation.hidden_text", Element::kInvocation,
                            "Hidden or encoded text in prompts or responses"},
                       s);
      if (g == nullptr) continue;
      ++g->items[std::string(kind)];
      g->roles.insert(fmt::format("{} {}", to_string(h.side), to_string(h.role)));
      if (!h.text->decoded.empty()) add_value(*g, fmt::format("{}: {}", kind, masked(h.text->decoded)));
      offer(*g, ev, r, s, sigs, h.text->decoded);
    }
  }

  void on_leakage(const EventView& ev, const ContentResult& r, const std::string& sigs) {
    // A code, password or key defined in the system prompt, repeated in the
    // response (the user never typed it): high; inside a URL it also leaves
    // by an image or link.
    for (const auto& s : r.leakage.secrets) {
      Group* g = group(ev, {"invocation.system_prompt_leakage", Element::kInvocation,
                            "Response reproduces the system prompt"},
                       Severity::kHigh);
      if (g == nullptr) break;
      ++g->items["system_secret"];
      g->roles.insert("output assistant");
      add_value(*g, fmt::format("secret value of the system prompt {} ({})", s.masked, s.how));
      offer(*g, ev, r, Severity::kHigh, sigs, {});
      if (!s.in_url) continue;
      Group* x = group(ev, family_rule("data_exfiltration"), Severity::kHigh);
      if (x == nullptr) continue;
      ++x->items["system_secret_in_url"];
      x->roles.insert("output assistant");
      add_value(*x, fmt::format("secret value of the system prompt {} in a URL of the response", s.masked));
      offer(*x, ev, r, Severity::kHigh, sigs, {});
    }
    if (!r.leakage.leaked) return;
    Severity s = r.leakage.ratio >= 0.8 ? Severity::kHigh : Severity::kMedium;
    Group* g = group(ev, {"invocation.system_prompt_leakage", Element::kInvocation,
                          "Response reproduces the system prompt"},
                     s);
    if (g == nullptr) return;
    add_value(*g, fmt::format("{:.0f}% of {} system-prompt shingles", 100 * r.leakage.ratio, r.leakage.system_shingles));
    offer(*g, ev, r, s, sigs, {});
  }

  /// Guardrail policies that detected something but took no action (action
  /// NONE: a policy in detect mode, or a guardrail that only reports): the
  /// model got the text. Prompt attacks (and topics named for jailbreaks or
  /// injection) are medium unless the filter's confidence is LOW; the rest low.
  void on_guardrail_detections(const EventView& ev, const ContentResult& r, const std::string& sigs) {
    // A side another policy blocked or masked was not let through.
    bool acted[2] = {false, false};
    for (const auto& b : r.extraction.guardrail.blocks)
      if (!b.action.empty() && b.action != "NONE") acted[static_cast<int>(b.side)] = true;
    for (const auto& b : r.extraction.guardrail.blocks) {
      if (!b.detected || b.action != "NONE" || acted[static_cast<int>(b.side)]) continue;
      const bool attack = b.type == "PROMPT_ATTACK" || detail::icontains(b.type, "jailbreak") ||
                          detail::icontains(b.type, "injection") || detail::icontains(b.type, "prompt attack") ||
                          detail::icontains(b.type, "prompt_attack");
      const Severity s = attack && b.confidence != "LOW" ? Severity::kMedium : Severity::kLow;
      Group* g = group(ev, {"invocation.guardrail_detected_not_blocked", Element::kInvocation,
                            "Guardrail detected a policy violation but did not block it"},
                       s);
      if (g == nullptr) continue;
      const std::string type = b.type.empty() ? std::string("unnamed") : cut(b.type, 60);
      ++g->items[fmt::format("{} {}", b.policy, type)];
      g->roles.insert(b.side == Side::kInput ? "input" : "output");
      if (!b.confidence.empty()) add_value(*g, fmt::format("{} {} confidence {}", b.policy, type, cut(b.confidence, 16)));
      offer(*g, ev, r, s, sigs, {});
    }
  }

  void on_attachments(const EventView& ev, const ContentResult& r, const std::string& sigs) {
    for (const auto& a : r.attachments) {
      if (!a.flagged()) continue;
      Severity s = (a.executable || a.eicar) ? Severity::kHigh : Severity::kMedium;
      Group* g = group(ev, {"invocation.suspicious_attachment", Element::kInvocation,
                            "Executable, script, archive or test-virus file sent to a model"},
                       s);
      if (g == nullptr) continue;
      std::string what = a.eicar         ? "eicar"
                         : a.executable  ? "executable"
                         : a.script      ? "script"
                         : a.archive     ? "archive"
                         : a.active_pdf  ? "active_pdf"
                                         : "executable_name";
      ++g->items[what];
      const std::string name = a.ref.name.empty() ? std::string() : " name=" + cut(a.ref.name, 80);
      if (a.have_bytes)
        add_value(*g, fmt::format("{} {} ({} bytes{}) sha256:{}{}{}", what, to_string(a.type), a.size,
                                  a.cut ? ", start read" : "", a.sha256.empty() ? std::string("unknown") : a.sha256,
                                  a.from_s3 ? " from data/" : "", name));
      else
        add_value(*g, fmt::format("{} (bytes not in the logs or the export){}", what, name));
      offer(*g, ev, r, s, sigs, {});
    }
    if (r.eicar_in_text) {
      Group* g = group(ev, {"invocation.suspicious_attachment", Element::kInvocation,
                            "Executable, script, archive or test-virus file sent to a model"},
                       Severity::kHigh);
      if (g != nullptr) {
        ++g->items["eicar_text"];
        offer(*g, ev, r, Severity::kHigh, sigs, {});
      }
    }
  }

  void on_secrets(const EventView& ev, const ContentResult& r, const std::string& sigs) {
    for (const auto& h : r.secrets) {
      if (h.example) continue;  // documented example values are not findings
      const bool pii = is_pii(h.type);
      // The model repeating the customer's own contact details, or giving the application's
      // own contact address, leaks nothing (docs/content.md).
      if (pii && h.side == Side::kOutput && h.echoed) continue;
      // Personal data in the request's system prompt is the application's own
      // text (a contact address), sent on every call: one info finding per
      // principal that says the model sees it, not one per hour.
      if (pii && h.side == Side::kInput && h.role == Role::kSystem) {
        Group* g = group(ev, {kSystemPii, Element::kInvocation, "Personal data in system prompts"},
                         Severity::kInfo, true);
        if (g == nullptr) continue;
        ++g->items[h.type];
        g->roles.insert("input system");
        add_value(*g, fmt::format("{} {}", h.type, h.masked));
        continue;  // no prompt excerpt: the user's text is not where the data is
      }
      RuleInfo ri = h.side == Side::kOutput
                        ? (pii ? RuleInfo{"private_data.pii_in_response", Element::kPrivateData,
                                          "Personal data in model responses"}
                               : RuleInfo{"private_data.secret_in_response", Element::kPrivateData,
                                          "Secrets in model responses"})
                        : (pii ? RuleInfo{"invocation.pii_in_prompt", Element::kInvocation, "Personal data in prompts"}
                               : RuleInfo{"invocation.secret_in_prompt", Element::kInvocation, "Secrets in prompts"});
      // Personal data of low severity in prompts (an e-mail address, a phone
      // number: what customers type about themselves to a support application)
      // is routine: one low finding per principal for the whole span, not one
      // per hour; higher severities stay hourly.
      const bool routine = pii && h.side == Side::kInput && h.severity <= Severity::kLow;
      Group* g = group(ev, ri, h.severity, routine, routine ? "low" : "");
      if (g == nullptr) continue;
      ++g->items[h.type];
      g->roles.insert(fmt::format("{} {}", to_string(h.side), to_string(h.role)));
      add_value(*g, fmt::format("{} {}", h.type, h.masked));
      offer(*g, ev, r, h.severity, sigs, {});
    }
  }

  void on_cloudtrail(const EventView& ev, const ContentResult& r) {
    for (const auto& h : r.secrets) {
      if (h.example) continue;
      Group* g = group(ev, {"private_data.secret_in_request_parameters", Element::kPrivateData,
                            "Secrets in CloudTrail request parameters"},
                       std::max(h.severity, Severity::kHigh));
      if (g == nullptr) continue;
      ++g->items[h.type];
      add_value(*g, fmt::format("{} {} ({})", h.type, h.masked, ev.action));
      offer(*g, ev, r, h.severity, {}, {});
    }
  }

  static std::string join(const std::set<std::string>& s, std::string_view sep = ", ") {
    std::string out;
    for (const auto& v : s) {
      if (!out.empty()) out += sep;
      out += v;
    }
    return out;
  }
  static std::string join_counts(const std::map<std::string, std::uint64_t>& m, std::size_t max = 20) {
    std::vector<std::pair<std::uint64_t, std::string>> v;
    for (const auto& [k, n] : m) v.emplace_back(n, k);
    std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    std::string out;
    for (std::size_t i = 0; i < v.size() && i < max; ++i) {
      if (!out.empty()) out += ", ";
      out += fmt::format("{} x{}", v[i].second, v[i].first);
    }
    if (v.size() > max) out += fmt::format(", +{} more", v.size() - max);
    return out;
  }
  /// The hour of `ms`, as hourly groups name it ("2026-03-10T11:00Z").
  static std::string format_time(std::int64_t ms) {
    std::time_t t = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&t, &tm);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:00Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour);
  }

  std::map<GroupKey, Group> groups_;
  std::map<WindowKey, WindowStats> windows_;
  std::uint64_t dropped_ = 0;
  struct {
    std::uint64_t refs = 0, missing = 0, unreadable = 0, cut = 0, text_partial = 0;
  } media_;  ///< content::MediaCounts over the run
};

}  // namespace

std::unique_ptr<Analyzer> make_invocation_content(const AnalyzerConfig&) {
  return std::make_unique<InvocationContentAnalyzer>();
}

}  // namespace aiir
