// SPDX-License-Identifier: Apache-2.0
// Rule tests: the cases embedded in rule files (`tests:`) and folders of case files.
#include <algorithm>
#include <filesystem>
#include <set>

#include "sigma/detail.h"
#include "sigma/engine.h"
#include "sigma/engine_state.h"

namespace aiir::sigma {
namespace {

namespace dom = simdjson::dom;

std::string_view str(dom::element el, std::string_view key) {
  std::string_view out;
  dom::object obj;
  if (el.get_object().get(obj) != simdjson::SUCCESS) return {};
  if (obj.at_key(key).get_string().get(out) != simdjson::SUCCESS) return {};
  return out;
}

std::string_view path_str(dom::element el, std::string_view a, std::string_view b) {
  dom::element child;
  dom::object obj;
  if (el.get_object().get(obj) != simdjson::SUCCESS) return {};
  if (obj.at_key(a).get(child) != simdjson::SUCCESS) return {};
  return str(child, b);
}

int digits(std::string_view s, std::size_t pos, std::size_t n) {
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (i >= s.size() || s[i] < '0' || s[i] > '9') return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

/// "2024-05-01T12:34:56Z" / "...56.789Z" -> epoch ms; 0 when unparsable.
std::int64_t parse_time(std::string_view s) {
  int y = digits(s, 0, 4), mo = digits(s, 5, 2), d = digits(s, 8, 2);
  int h = digits(s, 11, 2), mi = digits(s, 14, 2), se = digits(s, 17, 2);
  if (y < 0 || mo < 1 || d < 1 || h < 0 || mi < 0 || se < 0) return 0;
  y -= mo <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * static_cast<unsigned>(mo + (mo > 2 ? -3 : 9)) + 2) / 5 + static_cast<unsigned>(d) - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  std::int64_t days = static_cast<std::int64_t>(era) * 146097 + static_cast<std::int64_t>(doe) - 719468;
  std::int64_t ms = ((days * 24 + h) * 60 + mi) * 60'000 + se * 1000;
  if (s.size() > 20 && s[19] == '.') {
    int frac = digits(s, 20, 3);
    if (frac > 0) ms += frac;
  }
  return ms;
}

bool time_of(dom::element record, std::int64_t& out) {
  for (std::string_view key : {"eventTime", "timestamp"}) {
    std::string_view t = str(record, key);
    if (!t.empty()) {
      out = parse_time(t);
      return true;
    }
  }
  return false;
}

struct CaseRun {
  const detail::RuleSetData& d;
  CaseAdapter& adapter;
  bool force_emit;
  dom::parser parser;
  std::uint32_t record = 0;
  FindingList findings;
  detail::EngineState state;
  std::string error;

  CaseRun(const detail::RuleSetData& data, CaseAdapter& a, bool force)
      : d(data), adapter(a), force_emit(force), state(data, force) {}

  bool feed(dom::element el, EventKind kind, std::string_view file) {
    EventView ev;
    if (!adapter.make_event(el, kind, ev, error)) return false;
    ev.file = file;
    ev.where.record = record++;
    state.on_event(ev, findings, adapter.virtual_fields(ev));
    return true;
  }
  bool feed_json(const std::string& json, EventKind kind, std::string_view file) {
    dom::element el;
    if (parser.parse(json).get(el) != simdjson::SUCCESS) {
      error = "case is not valid JSON";
      return false;
    }
    return feed(el, kind, file);
  }
};

}  // namespace

bool CaseAdapter::make_event(simdjson::dom::element record, EventKind kind, EventView& out, std::string& error) {
  if (!record.is_object()) {
    error = "a case record must be a JSON object";
    return false;
  }
  out = EventView{};
  out.kind = kind;
  out.raw = record;
  time_of(record, out.time_ms);
  if (kind == EventKind::kInvocation) {
    out.service = "bedrock.amazonaws.com";
    out.action = str(record, "operation");
    out.account = str(record, "accountId");
    out.region = str(record, "region");
    out.actor_arn = path_str(record, "identity", "arn");
    out.request_id = str(record, "requestId");
    out.model_id = str(record, "modelId");
  } else {
    out.service = str(record, "eventSource");
    out.action = str(record, "eventName");
    out.account = str(record, "recipientAccountId");
    if (out.account.empty()) out.account = path_str(record, "userIdentity", "accountId");
    out.region = str(record, "awsRegion");
    out.actor_arn = path_str(record, "userIdentity", "arn");
    out.actor_type = path_str(record, "userIdentity", "type");
    out.access_key_id = path_str(record, "userIdentity", "accessKeyId");
    out.source_ip = str(record, "sourceIPAddress");
    out.user_agent = str(record, "userAgent");
    out.event_id = str(record, "eventID");
    out.request_id = str(record, "requestID");
    out.error_code = str(record, "errorCode");
    if (!out.error_code.empty()) out.outcome = Outcome::kFailure;
  }
  return true;
}

TestReport run_tests(const RuleSet& rules, CaseAdapter* adapter) {
  CaseAdapter fallback;
  CaseAdapter& a = adapter != nullptr ? *adapter : fallback;
  const detail::RuleSetData& d = rules.data();
  TestReport report;
  for (std::size_t i = 0; i < d.infos.size(); ++i) {
    const RuleInfo& info = d.infos[i];
    if (info.status != RuleStatus::kLoaded) continue;
    if (info.generates || d.tests[i].size() > 0) {
      ++report.rules_tested;
      if (info.positive_cases == 0) ++report.rules_without_positive;
      if (info.negative_cases == 0) ++report.rules_without_negative;
    }
    for (const detail::TestCase& tc : d.tests[i]) {
      CaseResult r;
      r.rule = info.finding_rule;
      r.file = info.file;
      r.line = tc.line;
      r.expected_match = tc.match;
      CaseRun run(d, a, true);
      bool ok = true;
      for (const std::string& json : tc.records) {
        if (!run.feed_json(json, tc.kind, info.file)) {
          ok = false;
          break;
        }
      }
      if (!ok) {
        r.message = run.error;
      } else {
        run.state.finish(run.findings);
        bool fired = std::any_of(run.findings.findings.begin(), run.findings.findings.end(),
                                 [&](const Finding& f) { return f.rule == info.finding_rule; });
        r.passed = fired == tc.match;
        if (!r.passed) r.message = tc.match ? "expected a match, got none" : "expected no match, but the rule fired";
      }
      (r.passed ? report.passed : report.failed)++;
      report.results.push_back(std::move(r));
    }
  }
  return report;
}

TestReport run_case_dir(const RuleSet& rules, const std::string& dir, CaseAdapter* adapter) {
  namespace fs = std::filesystem;
  CaseAdapter fallback;
  CaseAdapter& a = adapter != nullptr ? *adapter : fallback;
  TestReport report;
  std::vector<std::string> files;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file() && it->path().extension() == ".json") files.push_back(it->path().string());
  }
  if (ec || (files.empty() && !fs::is_directory(dir))) {
    report.results.push_back({dir, dir, 0, false, false, "cannot read case folder"});
    ++report.failed;
    return report;
  }
  std::sort(files.begin(), files.end());
  for (const std::string& file : files) {
    CaseResult r;
    r.rule = file;
    r.file = file;
    CaseRun run(rules.data(), a, false);
    dom::element doc;
    auto fail = [&](std::string message) {
      r.message = std::move(message);
      ++report.failed;
      report.results.push_back(r);
    };
    if (run.parser.load(file).get(doc) != simdjson::SUCCESS || !doc.is_object()) {
      fail("not a JSON object");
      continue;
    }
    EventKind kind = str(doc, "kind") == "invocation" ? EventKind::kInvocation : EventKind::kCloudTrail;
    dom::array records;
    if (doc["records"].get_array().get(records) != simdjson::SUCCESS) {
      fail("no \"records\" array");
      continue;
    }
    auto names = [&](std::string_view key) {
      std::vector<std::string> out;
      dom::array arr;
      if (doc[key].get_array().get(arr) == simdjson::SUCCESS) {
        for (dom::element e : arr) {
          std::string_view s;
          if (e.get_string().get(s) == simdjson::SUCCESS) out.emplace_back(s);
        }
      }
      return out;
    };
    std::vector<std::string> expect = names("expect");
    std::vector<std::string> expect_not = names("expect_not");
    bool exact = false;
    if (doc["exact"].get_bool().get(exact) != simdjson::SUCCESS) exact = false;
    r.expected_match = !expect.empty();
    bool ok = true;
    for (dom::element rec : records) {
      if (!run.feed(rec, kind, file)) {
        ok = false;
        break;
      }
    }
    if (!ok) {
      fail(run.error);
      continue;
    }
    run.state.finish(run.findings);
    std::set<std::string> fired;
    for (const Finding& f : run.findings.findings) {
      fired.insert(f.rule);
      for (const auto& [k, v] : f.details) {
        if (k == "sigma_id") fired.insert(v);
      }
    }
    std::string problems;
    for (const auto& e : expect) {
      if (fired.count(e) == 0) problems += " missing " + e + ";";
    }
    for (const auto& e : expect_not) {
      if (fired.count(e) != 0) problems += " unexpected " + e + ";";
    }
    if (exact) {
      for (const Finding& f : run.findings.findings) {
        bool listed = std::find(expect.begin(), expect.end(), f.rule) != expect.end();
        for (const auto& [k, v] : f.details) {
          if (k == "sigma_id" && std::find(expect.begin(), expect.end(), v) != expect.end()) listed = true;
        }
        if (!listed) problems += " unexpected " + f.rule + ";";
      }
    }
    r.passed = problems.empty();
    r.message = problems;
    (r.passed ? report.passed : report.failed)++;
    report.results.push_back(std::move(r));
  }
  return report;
}

}  // namespace aiir::sigma
