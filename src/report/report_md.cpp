// SPDX-License-Identifier: Apache-2.0
// Markdown writer of the triage report: reads well in a terminal, pastes
// into a ticket. Every string from a log goes through the Markdown escapers
// (util/escape.h): no live links, images, HTML or table breaks.
#include <algorithm>
#include <array>
#include <cstdlib>

#include <fmt/format.h>

#include "scan/report.h"
#include "util/escape.h"
#include "util/time.h"

namespace aiir {
namespace {

constexpr std::array<std::string_view, kElementCount> kElementTitles = {
    "Access", "Infrastructure changes", "AI changes", "Data store changes", "Invocation", "Private data",
    "Agency"};

std::string_view title_of(Element e) { return kElementTitles[static_cast<std::size_t>(e)]; }

/// Log text as a code span (tables and lists).
std::string code(std::string_view text) {
  std::string out;
  if (text.empty()) return "-";
  append_markdown_code(out, text, true);
  return out;
}

/// Log text as inline prose.
std::string inline_text(std::string_view text) {
  std::string out;
  append_markdown_inline(out, text);
  return out;
}

std::string severity_badge(Severity s) {
  switch (s) {
    case Severity::kCritical: return "CRITICAL";
    case Severity::kHigh: return "HIGH";
    case Severity::kMedium: return "MEDIUM";
    case Severity::kLow: return "low";
    case Severity::kInfo: return "info";
  }
  return "?";
}

std::string join_codes(const std::vector<std::string>& values, std::size_t max) {
  std::string out;
  for (std::size_t i = 0; i < values.size() && i < max; ++i) {
    if (i) out += ", ";
    out += code(values[i]);
  }
  if (values.size() > max) out += fmt::format(" (+{} more)", values.size() - max);
  return out.empty() ? "-" : out;
}

std::string top_codes(const CountedSet& set, std::size_t n) {
  std::string out;
  for (const auto& [v, c] : set.top(n)) {
    if (!out.empty()) out += ", ";
    out += fmt::format("{} ({})", code(v), c);
  }
  std::size_t more = set.values.size() > n ? set.values.size() - n : 0;
  if (more) out += fmt::format(" (+{} more)", more);
  return out.empty() ? "-" : out;
}

std::string short_id(const std::string& id) { return "`" + id + "`"; }

void headline(std::string& o, const Report& r) {
  std::array<std::size_t, 5> by_sev{};
  for (const Finding& f : r.findings) ++by_sev[static_cast<std::size_t>(f.severity)];
  o += fmt::format("**Findings:** {} critical, {} high, {} medium, {} low, {} info.\n\n", by_sev[4], by_sev[3],
                   by_sev[2], by_sev[1], by_sev[0]);
  // The principals and keys at the top of the list, as the responder's first lead.
  std::size_t shown = 0;
  for (const PrincipalRow& p : r.principals) {
    if (p.max_severity < Severity::kHigh || shown == 5) break;
    ++shown;
    std::vector<std::string> ips;
    for (const auto& [ip, n] : p.scope.source_ips.top(5)) ips.push_back(ip);
    o += fmt::format("- {} {} ({}): active {} .. {}{}; from {}\n", p.is_key ? "Access key" : "Principal",
                     code(p.scope.id), severity_badge(p.max_severity), format_time(p.scope.first_ms),
                     format_time(p.scope.last_ms),
                     p.continues_to_end ? ", **activity continues to the end of the logs**" : "",
                     join_codes(ips, 5));
  }
  if (shown) o += '\n';
}

void questions(std::string& o, const Report& r) {
  o += "## The methodology's questions\n\n";
  o += "| Element | Question | Answer | Findings |\n|---|---|---|---|\n";
  for (const QuestionRow& q : r.questions) {
    std::string ids;
    for (std::size_t i = 0; i < q.finding_ids.size() && i < 6; ++i) ids += (i ? " " : "") + short_id(q.finding_ids[i]);
    if (q.finding_ids.size() > 6) ids += fmt::format(" +{}", q.finding_ids.size() - 6);
    o += fmt::format("| {} | {} | **{}** | {} |\n", title_of(q.element), inline_text(q.qa.question),
                     to_string(q.qa.answer), ids.empty() ? "-" : ids);
  }
  o += "\n";
  for (const QuestionRow& q : r.questions) {
    if (q.qa.explanation.empty()) continue;
    o += fmt::format("- **{}** ({}): {}\n", inline_text(q.qa.question), to_string(q.qa.answer),
                     inline_text(q.qa.explanation));
  }
  o += "\n";
}

void finding(std::string& o, const Finding& f, const std::string& id) {
  o += fmt::format("#### [{}] {}\n\n", severity_badge(f.severity), inline_text(f.title));
  if (!f.summary.empty()) o += inline_text(f.summary) + "\n\n";
  o += fmt::format("- id {} · rule {} · {} event(s)", short_id(id), code(f.rule), f.count);
  if (f.count > 0) o += fmt::format(" · {} .. {}", format_time(f.first_seen_ms), format_time(f.last_seen_ms));
  o += "\n";
  if (!f.principal.empty()) o += fmt::format("- principal {}\n", code(f.principal));
  if (!f.access_key_id.empty()) o += fmt::format("- access key {}\n", code(f.access_key_id));
  if (!f.account.empty() || !f.region.empty())
    o += fmt::format("- account {} · region {}\n", code(f.account), code(f.region));
  if (!f.source_ips.empty()) o += fmt::format("- source IPs {}\n", join_codes(f.source_ips, 10));
  if (!f.user_agents.empty()) o += fmt::format("- user agents {}\n", join_codes(f.user_agents, 3));
  for (const auto& [k, v] : f.details) o += fmt::format("- {}: {}\n", inline_text(k), code(v));
  std::vector<std::string> tags;
  for (const auto& t : f.tags.attack) tags.push_back(t);
  for (const auto& t : f.tags.atlas) tags.push_back(t);
  for (const auto& t : f.tags.owasp_llm) tags.push_back(t);
  if (!tags.empty()) o += fmt::format("- tags {}\n", join_codes(tags, 12));
  if (!f.evidence.empty()) {
    o += fmt::format("- evidence ({} of {}):\n", std::min<std::size_t>(f.evidence.size(), 5), f.evidence_total);
    for (std::size_t i = 0; i < f.evidence.size() && i < 5; ++i) {
      const Evidence& e = f.evidence[i];
      o += fmt::format("  - {} {} {}:{}", format_time(e.time_ms), code(e.action), code(e.file), e.record);
      if (!e.event_id.empty()) o += fmt::format(" eventID {}", code(e.event_id));
      else if (!e.request_id.empty()) o += fmt::format(" requestId {}", code(e.request_id));
      o += "\n";
    }
  }
  o += "\n";
}

void findings(std::string& o, const Report& r) {
  o += "## Findings by element\n\n";
  if (r.findings.empty()) o += "No findings.\n\n";
  for (int e = 0; e < kElementCount; ++e) {
    std::size_t n = 0;
    for (const Finding& f : r.findings) n += static_cast<int>(f.element) == e;
    if (n == 0) continue;
    o += fmt::format("### {} ({})\n\n", title_of(static_cast<Element>(e)), n);
    for (std::size_t i = 0; i < r.findings.size(); ++i)
      if (static_cast<int>(r.findings[i].element) == e) finding(o, r.findings[i], r.finding_ids[i]);
  }
  if (r.findings_below_min)
    o += fmt::format("({} finding(s) below --min-severity {} not shown.)\n\n", r.findings_below_min,
                     to_string(r.min_severity));
}

/// Findings at medium or above in the order they began (then by severity):
/// the attack as it unfolded, each row pointing at its finding below.
void timeline(std::string& o, const Report& r) {
  constexpr std::size_t kRows = 50;
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < r.findings.size(); ++i)
    if (r.findings[i].severity >= Severity::kMedium) order.push_back(i);
  if (order.empty()) return;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    const Finding& x = r.findings[a];
    const Finding& y = r.findings[b];
    if (x.first_seen_ms != y.first_seen_ms) return x.first_seen_ms < y.first_seen_ms;
    return x.severity > y.severity;
  });
  o += "## Timeline\n\n";
  o += "Findings at medium or above, by the time they began.\n\n";
  o += "| First seen | Last seen | Severity | Element | Finding | Principal or key | Source IPs | Id |\n";
  o += "|---|---|---|---|---|---|---|---|\n";
  for (std::size_t k = 0; k < order.size() && k < kRows; ++k) {
    const Finding& f = r.findings[order[k]];
    o += fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} |\n", format_time(f.first_seen_ms),
                     format_time(f.last_seen_ms), severity_badge(f.severity), title_of(f.element),
                     inline_text(f.title), code(f.principal.empty() ? f.access_key_id : f.principal),
                     join_codes(f.source_ips, 3), short_id(r.finding_ids[order[k]]));
  }
  if (order.size() > kRows)
    o += fmt::format("\n(+{} more at medium or above: see Findings by element.)\n", order.size() - kRows);
  o += "\n";
}

// ---- Top prompts (invocation-content findings, issue 5) ----
/// The most serious prompt of each invocation-content finding (details
/// top_request_id / top_score / top_signatures / top_excerpt), ranked by
/// severity then score, one row per request id. Excerpts are masked by the
/// analyzer and escaped here.
void top_prompts(std::string& o, const Report& r) {
  struct Row {
    Severity severity;
    double score = -1;
    const Finding* f;
    std::string_view request_id, signatures, excerpt;
  };
  std::vector<Row> rows;
  for (const Finding& f : r.findings) {
    Row row{f.severity, -1, &f, {}, {}, {}};
    for (const auto& [k, v] : f.details) {
      if (k == "top_request_id") row.request_id = v;
      else if (k == "top_score") row.score = std::atof(v.c_str());
      else if (k == "top_signatures") row.signatures = v;
      else if (k == "top_excerpt") row.excerpt = v;
    }
    if (!row.request_id.empty() && f.severity >= Severity::kLow) rows.push_back(row);
  }
  if (rows.empty()) return;
  std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    if (a.severity != b.severity) return a.severity > b.severity;
    return a.score > b.score;
  });
  o += "## Top prompts\n\n";
  o += "| severity | score | rule | request id | principal | signatures | excerpt |\n";
  o += "|---|---|---|---|---|---|---|\n";
  std::vector<std::string_view> shown;
  for (const Row& row : rows) {
    if (std::find(shown.begin(), shown.end(), row.request_id) != shown.end()) continue;
    if (shown.size() == 10) break;
    shown.push_back(row.request_id);
    o += fmt::format("| {} | {} | {} | {} | {} | {} | {} |\n", severity_badge(row.severity),
                     row.score >= 0 ? fmt::format("{:.3f}", row.score) : std::string("-"), code(row.f->rule),
                     code(row.request_id), code(row.f->principal), code(row.signatures), code(row.excerpt));
  }
  o += "\n";
}
// ---- end Top prompts ----

void principals(std::string& o, const Report& r) {
  if (r.principals.empty()) return;
  o += "## Principals and keys of interest\n\n";
  o += "Scope from all events in the logs, for every principal or key that a finding names.\n\n";
  o += "| Principal or key | Max severity | First seen | Last seen | Continues to end | Source IPs | Regions | Top actions | Errors |\n";
  o += "|---|---|---|---|---|---|---|---|---|\n";
  for (const PrincipalRow& p : r.principals) {
    const PrincipalScope& s = p.scope;
    o += fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} | {} |\n", code(s.id), severity_badge(p.max_severity),
                     format_time(s.first_ms), format_time(s.last_ms), p.continues_to_end ? "**yes**" : "no",
                     top_codes(s.source_ips, 5), top_codes(s.regions, 5), top_codes(s.actions, 6), s.errors);
  }
  o += "\n";
}

void usage(std::string& o, const Report& r) {
  if (!r.model_usage || r.model_usage->rows.empty()) return;
  const ModelUsage& u = *r.model_usage;
  o += "## Model usage and estimated cost\n\n";
  o += "| Principal | Model | Region | Calls | Errors | Tokens in | Tokens out | Est. cost (USD) | First | Last | Source IPs |\n";
  o += "|---|---|---|---|---|---|---|---|---|---|---|\n";
  double total = 0;
  for (const ModelUsageRow& row : u.rows) {
    if (row.cost_known) total += row.cost_usd;
    std::string model = code(row.model);
    if (!row.resolved_model.empty()) model += " copies " + code(row.resolved_model);
    std::string region = code(row.region);
    if (!row.inference_regions.empty()) region += " (served in " + join_codes(row.inference_regions, 5) + ")";
    o += fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n", code(row.principal), model,
                     region, row.calls, row.errors, row.tokens_in, row.tokens_out,
                     row.cost_known ? fmt::format("{:.2f}", row.cost_usd) : std::string("?"),
                     format_time(row.first_ms), format_time(row.last_ms), join_codes(row.source_ips, 3));
  }
  o += fmt::format("\nEstimated total: **{:.2f} USD** (an estimate from the price table dated {}; tokens that the "
                   "logs do not record are not counted).\n\n",
                   total, u.prices_as_of.empty() ? "?" : inline_text(u.prices_as_of));
}

/// `scan --verify`: CloudTrail's own integrity chain over the same paths.
void integrity(std::string& o, const VerifyResult& v) {
  const VerifyCounts& c = v.counts;
  if (c.digests_found == 0 && !v.integrity_failed()) {
    o += fmt::format("- CloudTrail integrity (`--verify`): **not verifiable**: no digest files among {} file(s) "
                     "read ({} log file(s) listed in no digest)\n",
                     v.files_read, c.files_unlisted);
    return;
  }
  o += fmt::format("- CloudTrail integrity (`--verify`): **{}**; {} digest(s) read; log files {} valid, {} modified, "
                   "{} missing, {} unlisted; {} digest(s) missing, {} chain break(s), {} hour(s) without digest; ",
                   v.integrity_failed() ? "FAILED" : "holds", c.digests_found, c.files_valid, c.files_modified,
                   c.files_missing, c.files_unlisted, c.digests_missing, c.chain_breaks, c.hours_without_digest);
  if (v.signatures_enabled)
    o += fmt::format("signatures {} checked, {} failed, {} not available\n", c.signatures_checked, c.signatures_failed,
                     c.signatures_unavailable);
  else
    o += "**signatures not checked** (`aiir verify --public-keys --signatures` checks them)\n";
  struct Kind {
    std::string_view label;
    const std::vector<VerifyProblem>* list;
  };
  std::size_t shown = 0, total = 0;
  for (const Kind& k : {Kind{"modified", &v.modified}, Kind{"missing", &v.missing}, Kind{"digest missing", &v.digests_missing},
                        Kind{"chain break", &v.chain_breaks}, Kind{"no digest", &v.gaps},
                        Kind{"bad signature", &v.signature_failures}, Kind{"unreadable", &v.unreadable}}) {
    for (const VerifyProblem& p : *k.list) {
      ++total;
      if (shown == 10) continue;
      ++shown;
      o += fmt::format("  - {} {}{}\n", k.label, code(p.path), p.detail.empty() ? "" : " " + code(p.detail));
    }
  }
  if (total > shown) o += fmt::format("  - ... {} more (`aiir verify` lists all)\n", total - shown);
}

void coverage(std::string& o, const Report& r) {
  const ReadStats& s = r.read;
  const Coverage& c = r.coverage;
  o += "## Coverage: what was read, and what could not be seen\n\n";
  o += fmt::format("- {} file(s) read ({:.1f} MB stored, {:.1f} MB inflated), {} with problems, {} not opened "
                   "(outside --from/--to)\n",
                   s.files_total, static_cast<double>(s.bytes_read) / 1e6, static_cast<double>(s.bytes_inflated) / 1e6,
                   s.files_failed, s.files_skipped_window);
  o += fmt::format("- {} CloudTrail events ({} data events, {} S3), {} Insights, {} invocation-log records ({} with a "
                   "body{})\n",
                   c.cloudtrail_events, c.data_events, c.s3_data_events, c.insight_events, c.invocation_records,
                   c.invocation_with_text,
                   c.invocation_bodies_unread
                       ? fmt::format("; {} whose body was offloaded to S3 and is not in the export", c.invocation_bodies_unread)
                       : std::string());
  if (c.last_ms) o += fmt::format("- time range {} .. {}\n", format_time(c.first_ms), format_time(c.last_ms));
  std::string accounts, regions;
  for (const auto& a : c.accounts) accounts += (accounts.empty() ? "" : ", ") + code(a);
  for (const auto& a : c.regions) regions += (regions.empty() ? "" : ", ") + code(a);
  o += fmt::format("- accounts {} · regions {}\n", accounts.empty() ? "-" : accounts, regions.empty() ? "-" : regions);
  std::uint64_t skipped = s.skipped_total();
  if (skipped) {
    o += fmt::format("- {} record(s) skipped:", skipped);
    for (int i = 0; i < kSkipReasonCount; ++i)
      if (s.skipped_by_reason[static_cast<std::size_t>(i)])
        o += fmt::format(" {} {};", to_string(static_cast<SkipReason>(i)), s.skipped_by_reason[static_cast<std::size_t>(i)]);
    o += "\n";
  }
  for (std::size_t i = 0; i < s.warnings.size() && i < 10; ++i)
    o += fmt::format("- warning {}: {}: {}\n", to_string(s.warnings[i].kind), code(s.warnings[i].path),
                     inline_text(s.warnings[i].detail));
  if (s.warnings.size() > 10) o += fmt::format("- ... {} more warnings (`--stats FILE` lists all)\n", s.warnings.size() - 10);
  o += fmt::format("- rules: {} loaded, {} failed to load, {} unsupported\n", r.rules.files_loaded, r.rules.errors,
                   r.rules.unsupported);
  for (const AnalyzerStatus& a : r.analyzers)
    if (!a.enabled || !a.error.empty())
      o += fmt::format("- analyzer {}: {}\n", a.id, a.error.empty() ? "not run" : inline_text(a.error));
  if (r.integrity) integrity(o, *r.integrity);
  o += "\n";
  for (const std::string& n : r.notes) o += fmt::format("> {}\n>\n", inline_text(n));
  o += "\n";
}

}  // namespace

std::string format_report_markdown(const Report& r) {
  std::string o;
  o += "# aiir triage report\n\n";
  o += fmt::format("aiir {} · generated {}", r.tool_version, format_time(r.generated_ms));
  if (r.coverage.last_ms)
    o += fmt::format(" · logs from {} to {}", format_time(r.coverage.first_ms), format_time(r.coverage.last_ms));
  o += fmt::format(" · {} events", r.read.events_total());
  if (r.profile_loaded) o += fmt::format(" · profile {}", code(r.profile_path));
  o += "\n\n";
  if (r.redaction.any())
    o += fmt::format("**Redacted report:** {}{}{}.\n\n", r.redaction.secrets ? "secrets and personal data in log text are masked" : "",
                     r.redaction.secrets && r.redaction.prompts ? "; " : "",
                     r.redaction.prompts ? "prompt and response text is withheld" : "");
  headline(o, r);
  questions(o, r);
  principals(o, r);
  timeline(o, r);
  top_prompts(o, r);
  findings(o, r);
  usage(o, r);
  coverage(o, r);
  return o;
}

}  // namespace aiir
