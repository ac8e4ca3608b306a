// SPDX-License-Identifier: Apache-2.0
// Redaction of log text in reports and event output (--redact, --redact-prompts).
#include "report/redact.h"

#include <algorithm>

#include "content/secrets.h"

namespace aiir {
namespace {

void redact_in_place(std::string& s) {
  if (!s.empty()) s = redact_text(s);
}

void redact_all(std::vector<std::string>& values) {
  for (std::string& v : values) redact_in_place(v);
}

void redact_set(CountedSet& set) {
  std::map<std::string, std::uint64_t, std::less<>> next;
  for (const auto& [value, count] : set.values) next[redact_text(value)] += count;
  set.replace(std::move(next));
}

void redact_scope(PrincipalScope& s) {
  redact_in_place(s.id);
  for (CountedSet* set : {&s.source_ips, &s.user_agents, &s.regions, &s.services, &s.actions, &s.error_codes,
                          &s.accounts, &s.keys, &s.principals})
    redact_set(*set);
}

}  // namespace

std::string redact_text(std::string_view text, std::size_t* masked) {
  if (masked) *masked = 0;
  std::vector<secrets::SecretHit> hits;
  secrets::find_secrets(text, hits);
  if (hits.empty()) return std::string(text);
  std::sort(hits.begin(), hits.end(), [](const auto& a, const auto& b) { return a.offset < b.offset; });
  std::string out;
  out.reserve(text.size());
  std::size_t at = 0;
  for (const secrets::SecretHit& h : hits) {
    if (h.offset < at || h.offset + h.length > text.size()) continue;  // overlap: already masked
    out.append(text.substr(at, h.offset - at));
    out += secrets::mask_secret(text.substr(h.offset, h.length));
    at = h.offset + h.length;
    if (masked) ++*masked;
  }
  out.append(text.substr(at));
  return out;
}

bool is_prompt_detail_key(std::string_view key) noexcept {
  for (std::string_view k : {"prompt", "prompts", "response", "responses", "completion", "excerpt", "snippet",
                             "text", "system_prompt", "input_text", "output_text", "message", "sample"}) {
    if (key == k) return true;
  }
  // "prompt_excerpt", "response_snippet", "top_prompt_1", ...
  return key.find("prompt") != std::string_view::npos || key.find("excerpt") != std::string_view::npos ||
         key.find("snippet") != std::string_view::npos;
}

void redact_report(Report& r, RedactionFlags flags) {
  r.redaction = flags;
  if (flags.prompts) {
    for (Finding& f : r.findings)
      for (auto& [k, v] : f.details)
        if (is_prompt_detail_key(k)) v = std::string(kPromptWithheld);
  }
  if (!flags.secrets) return;
  for (Finding& f : r.findings) {
    redact_in_place(f.title);
    redact_in_place(f.summary);
    redact_in_place(f.principal);
    redact_in_place(f.access_key_id);
    redact_all(f.source_ips);
    redact_all(f.user_agents);
    for (auto& [k, v] : f.details) redact_in_place(v);
    for (Evidence& e : f.evidence) {
      redact_in_place(e.file);
      redact_in_place(e.event_id);
      redact_in_place(e.request_id);
      redact_in_place(e.action);
    }
  }
  for (PrincipalRow& p : r.principals) redact_scope(p.scope);
  for (QuestionRow& q : r.questions) redact_in_place(q.qa.explanation);
  if (r.model_usage) {
    for (ModelUsageRow& row : r.model_usage->rows) {
      redact_in_place(row.principal);
      redact_all(row.source_ips);
    }
  }
  for (Warning& w : r.read.warnings) {
    redact_in_place(w.path);
    redact_in_place(w.detail);
  }
  for (auto& examples : r.read.skip_examples)
    for (SkipExample& e : examples) {
      redact_in_place(e.path);
      redact_in_place(e.detail);
    }
  for (AnalyzerStatus& a : r.analyzers) redact_in_place(a.error);
  redact_all(r.notes);
  std::set<std::string> accounts;
  for (const std::string& a : r.coverage.accounts) accounts.insert(redact_text(a));
  r.coverage.accounts = std::move(accounts);
}

std::string_view EventRedactor::keep(std::string_view text) {
  if (text.empty() || !flags_.secrets) return text;
  std::size_t masked = 0;
  std::string out = redact_text(text, &masked);
  if (masked == 0) return text;
  strings_.push_back(std::move(out));
  return strings_.back();
}

const EventView& EventRedactor::apply(const EventView& e) {
  strings_.clear();
  view_ = e;
  for (std::string_view EventView::*field :
       {&EventView::account, &EventView::region, &EventView::inference_region, &EventView::actor_arn,
        &EventView::actor_type, &EventView::principal_id, &EventView::user_name, &EventView::actor_account,
        &EventView::session_issuer, &EventView::access_key_id, &EventView::invoked_by, &EventView::issuer_type,
        &EventView::issued_to, &EventView::source_ip,
        &EventView::user_agent, &EventView::service, &EventView::action, &EventView::event_type,
        &EventView::event_category, &EventView::error_code, &EventView::error_message, &EventView::request_id,
        &EventView::event_id, &EventView::model_id, &EventView::file})
    view_.*field = keep(e.*field);
  resources_.assign(e.resources.begin(), e.resources.end());
  for (ResourceView& res : resources_) {
    res.type = keep(res.type);
    res.arn = keep(res.arn);
  }
  view_.resources = std::span<const ResourceView>(resources_.data(), resources_.size());
  return view_;
}

}  // namespace aiir
