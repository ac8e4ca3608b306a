// SPDX-License-Identifier: Apache-2.0
// `aiir rules list | lint | test`: every rule's status, every load problem
// with file:line, and the embedded test cases run through the real normalizer.
#include <aiir/error.h>

#include <cstdio>

#include <fmt/format.h>

#include "app/commands.h"
#include "core/paths.h"
#include "event/normalize.h"
#include "report/json_out.h"
#include "report/stats_writer.h"
#include "sigma/engine.h"

namespace aiir {
namespace {

/// Test records become events exactly as the pipeline makes them.
class NormalizingAdapter final : public sigma::CaseAdapter {
 public:
  bool make_event(simdjson::dom::element record, EventKind kind, EventView& out, std::string& error) override {
    simdjson::dom::object obj;
    if (record.get_object().get(obj) != simdjson::SUCCESS) {
      error = "test record is not a JSON object";
      return false;
    }
    RecordType type = classify_record(obj);
    if (type == RecordType::kUnknown)
      type = kind == EventKind::kInvocation ? RecordType::kInvocation : RecordType::kCloudTrail;
    arena_.clear();
    std::size_t begin = 0;
    SkipReason why{};
    if (!normalize_record(record, type, arena_, out, begin, why)) {
      error = fmt::format("the normalizer skips this record ({})", to_string(why));
      return false;
    }
    out.resources = std::span<const ResourceView>(arena_.resources.data() + begin, arena_.resources.size() - begin);
    out.file = "(rule test)";
    return true;
  }

 private:
  NormalizeArena arena_;
};

std::vector<std::string> rule_paths(const RulesOptions& o) {
  std::vector<std::string> paths;
  if (!o.no_default_rules) {
    std::string pack = find_rules_path("sigma");
    if (pack.empty()) throw Error("the shipped rule pack (rules/sigma) was not found; set AIIR_RULES_DIR");
    paths.push_back(pack);
  }
  for (const auto& r : o.rules) paths.push_back(r);
  if (paths.empty()) throw Error("no rules: give --rules DIR or drop --no-default-rules");
  return paths;
}

}  // namespace

int run_rules(const RulesOptions& o) {
  Profile profile;
  if (!o.profile.empty()) profile = load_profile(o.profile);
  sigma::LoadOptions load;
  load.profile = &profile;
  sigma::RuleSet rules = sigma::RuleSet::load(rule_paths(o), load);
  std::string out;
  if (o.action == "list") {
    if (o.format == "json") {
      for (const sigma::RuleInfo& r : rules.rules()) {
        JsonOut j(out);
        j.begin_object().field("id", r.id).field("name", r.name).field("rule", r.finding_rule).field("title", r.title);
        j.field("level", r.level).field("element", r.element).field("file", r.file).key("line").num(r.line);
        j.key("status").str(sigma::to_string(r.status)).field("reason", r.reason);
        j.key("correlation").boolean(r.correlation);
        j.key("positive_cases").unum(r.positive_cases).key("negative_cases").unum(r.negative_cases).end_object();
        out += '\n';
      }
    } else {
      for (const sigma::RuleInfo& r : rules.rules()) {
        // level and element come from the rule file as written: a rule pack is input too.
        out += fmt::format("{:<11} {:<13} {:<15} {:<48} {} ({}:{}){}{}\n", sigma::to_string(r.status),
                           terminal_safe(r.level), terminal_safe(r.element), terminal_safe(r.finding_rule), terminal_safe(r.title), terminal_safe(r.file),
                           r.line, r.positive_cases + r.negative_cases ? fmt::format(" tests {}+/{}-", r.positive_cases, r.negative_cases) : " untested",
                           r.reason.empty() ? "" : " — " + terminal_safe(r.reason));
      }
    }
    std::fputs(out.c_str(), stdout);
    std::fprintf(stderr, "aiir: %zu rule(s): %zu loaded, %zu failed\n", rules.rules().size(), rules.loaded_count(),
                 rules.error_count());
    return kExitOk;
  }
  if (o.action == "lint") {
    std::size_t errors = 0, warnings = 0;
    for (const sigma::Issue& i : sigma::lint(rules)) {
      (i.error ? errors : warnings)++;
      out += fmt::format("{}:{}: {}: {}{}\n", terminal_safe(i.file), i.line, i.error ? "error" : "warning",
                         i.rule_id.empty() ? "" : terminal_safe(i.rule_id) + ": ", terminal_safe(i.message));
    }
    out += fmt::format("{} rule(s) loaded, {} error(s), {} warning(s)\n", rules.loaded_count(), errors, warnings);
    std::fputs(out.c_str(), stdout);
    return errors > 0 ? kExitUsage : kExitOk;
  }
  if (o.action == "test") {
    NormalizingAdapter adapter;
    sigma::TestReport report = o.cases.empty() ? sigma::run_tests(rules, &adapter)
                                               : sigma::run_case_dir(rules, o.cases, &adapter);
    for (const sigma::CaseResult& c : report.results) {
      if (c.passed) continue;
      out += fmt::format("FAIL {} ({}:{}): expected {}: {}\n", terminal_safe(c.rule), terminal_safe(c.file), c.line,
                         c.expected_match ? "a match" : "no match", terminal_safe(c.message));
    }
    out += fmt::format("{} passed, {} failed\n", report.passed, report.failed);
    if (o.cases.empty())
      out += fmt::format("rules tested: {}; without a positive case: {}; without a negative case: {}\n",
                         report.rules_tested, report.rules_without_positive, report.rules_without_negative);
    std::fputs(out.c_str(), stdout);
    return report.ok() ? kExitOk : kExitFindings;
  }
  throw Error(fmt::format("unknown rules action '{}' (list, lint, test)", o.action));
}

}  // namespace aiir
