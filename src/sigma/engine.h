// SPDX-License-Identifier: Apache-2.0
// Public API of aiir's Sigma engine: load rules, lint them, match events, run rule tests.
#pragma once

#include <aiir/event.h>
#include <aiir/finding.h>
#include <aiir/profile.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace aiir::sigma {

/// A problem with a rule: it failed to load (error) or loaded with a caveat
/// (warning: unsupported feature, unresolved placeholder, legacy syntax...).
struct Issue {
  std::string file;
  int line = 0;              ///< 1-based; 0 when unknown
  std::string rule_id;       ///< id, else name, else empty
  std::string message;
  bool error = false;        ///< true: the rule (or file) could not be loaded
};

enum class RuleStatus : std::uint8_t { kLoaded, kError, kUnsupported };
/// "loaded", "error", "unsupported".
std::string_view to_string(RuleStatus status) noexcept;

/// One rule as `aiir rules list` shows it.
struct RuleInfo {
  std::string id;
  std::string name;          ///< the rule's `name` (our shipped rules: "access.root_login")
  std::string finding_rule;  ///< Finding::rule of its findings: name, else "sigma.<id>"
  std::string title;
  std::string level;         ///< as written ("informational", "low", ...)
  std::string element;       ///< methodology element (aiir.* tag or ATT&CK tactic table)
  std::string file;
  int line = 0;
  RuleStatus status = RuleStatus::kLoaded;
  std::string reason;        ///< why error/unsupported
  bool correlation = false;
  bool generates = true;     ///< false for base rules of a correlation (generate: false)
  std::size_t positive_cases = 0;
  std::size_t negative_cases = 0;
};

/// Fields that are not in the raw record (the invocation-content module
/// supplies prompt_text, response_text, system_text, guardrail_action...).
struct VirtualFields {
  virtual ~VirtualFields() = default;
  /// Appends the values of `name` to `values` (views must stay valid for the
  /// current on_event call) and returns true when the field is known (even
  /// with no values); false lets the engine report the field as absent.
  virtual bool get(std::string_view name, std::vector<std::string_view>& values) const = 0;
};

struct LoadOptions {
  const Profile* profile = nullptr;  ///< placeholders for |expand; may be null
  /// Parse the `tests:` blocks (for `aiir rules test|lint|list`). A scan does
  /// not run them; they are most of the shipped pack's text, so it skips them.
  bool tests = true;
};

namespace detail {
struct RuleSetData;
class EngineState;
}  // namespace detail

/// An immutable, compiled set of rules. Loading never throws for a bad rule:
/// every problem becomes an Issue and the other rules still load.
class RuleSet {
 public:
  RuleSet();
  ~RuleSet();
  RuleSet(RuleSet&&) noexcept;
  RuleSet& operator=(RuleSet&&) noexcept;

  /// Loads every *.yml / *.yaml under the given files and folders (recursive,
  /// sorted by path). A path that does not exist is reported as an error Issue.
  static RuleSet load(const std::vector<std::string>& paths, const LoadOptions& options = {});
  /// Loads rules from YAML text (multi-document) as if read from `file`.
  static RuleSet from_string(std::string_view yaml, std::string_view file = "<string>",
                             const LoadOptions& options = {});

  /// Every load problem and lint warning, in file order.
  const std::vector<Issue>& issues() const noexcept;
  /// Every rule seen, loaded or not, in file order.
  std::vector<RuleInfo> rules() const;
  /// Number of rules that run (status loaded).
  std::size_t loaded_count() const noexcept;
  std::size_t error_count() const noexcept;

  const detail::RuleSetData& data() const noexcept { return *data_; }

 private:
  std::unique_ptr<detail::RuleSetData> data_;
};

/// Load problems and lint findings for the given rule files/folders.
std::vector<Issue> lint(const std::vector<std::string>& paths, const LoadOptions& options = {});
/// The issues of an already loaded set.
std::vector<Issue> lint(const RuleSet& rules);

/// Runtime counters for the summary.
struct EngineStats {
  std::uint64_t events = 0;
  std::uint64_t candidates = 0;        ///< (event, rule) pairs evaluated after dispatch
  std::uint64_t matches = 0;           ///< single-event rule matches
  std::uint64_t correlation_hits = 0;  ///< base-rule hits kept for correlations
  std::uint64_t correlation_dropped = 0;  ///< hits dropped by the memory caps
};

/// Matches events against a RuleSet. Holds the correlation state of one run;
/// one Engine per thread of analysis (the RuleSet can be shared, and must
/// outlive the Engine).
class Engine {
 public:
  explicit Engine(const RuleSet& rules);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  /// Evaluates one event. Does not throw; no allocation unless a rule matches
  /// (or a rule compares a whole JSON object as text).
  void on_event(const EventView& event, FindingSink& out, const VirtualFields* fields = nullptr);
  /// The second half of on_event when a Matcher (on another thread) did the
  /// first: findings and correlation hits for the rules it found for `event`.
  /// Events must still come in input order; `fields` as for on_event
  /// (correlation group-by fields may be virtual).
  void on_matched(const EventView& event, std::span<const std::uint32_t> matched, FindingSink& out,
                  const VirtualFields* fields = nullptr);
  /// Evaluates the correlation rules over the hits kept, in (time, file, record) order.
  void finish(FindingSink& out);
  const EngineStats& stats() const noexcept;

 private:
  std::unique_ptr<detail::EngineState> state_;
};

/// The stateless first half of Engine::on_event, for worker threads: which
/// single-event rules match an event (indexes for Engine::on_matched). One
/// per thread; the RuleSet must outlive it.
class Matcher {
 public:
  explicit Matcher(const RuleSet& rules);
  ~Matcher();
  Matcher(const Matcher&) = delete;
  Matcher& operator=(const Matcher&) = delete;
  /// Appends the matching rules' indexes to `out`.
  void match(const EventView& event, std::vector<std::uint32_t>& out, const VirtualFields* fields = nullptr);

 private:
  std::unique_ptr<detail::EngineState> state_;
};

/// True when the single-event rule `finding_rule_or_id` (by name or id) matches.
/// For tests and tools; slow path (looks the rule up).
bool rule_matches(const RuleSet& rules, std::string_view rule, const EventView& event,
                  const VirtualFields* fields = nullptr);

// ----------------------------------------------------------------------------
// Rule tests

/// How a test record becomes an event. The default fills raw, kind, service,
/// action, time and the identity fields from the raw record; the pipeline's
/// normalizer can be plugged in instead.
class CaseAdapter {
 public:
  virtual ~CaseAdapter() = default;
  /// Fills `out` from `record`; `out.raw` must be `record`. Returns false with
  /// a message when the record is not usable.
  virtual bool make_event(simdjson::dom::element record, EventKind kind, EventView& out,
                          std::string& error);
  /// Virtual fields for an event made by make_event (null: none).
  virtual const VirtualFields* virtual_fields(const EventView& /*event*/) { return nullptr; }
};

struct CaseResult {
  std::string rule;      ///< finding_rule of the rule tested, or the case file for --cases
  std::string file;
  int line = 0;
  bool expected_match = false;
  bool passed = false;
  std::string message;   ///< why it failed
};

struct TestReport {
  std::vector<CaseResult> results;
  std::size_t passed = 0;
  std::size_t failed = 0;
  std::size_t rules_tested = 0;
  std::size_t rules_without_positive = 0;
  std::size_t rules_without_negative = 0;
  bool ok() const noexcept { return failed == 0; }
};

/// Runs the `tests:` cases embedded in the rules (see docs/sigma.md).
TestReport run_tests(const RuleSet& rules, CaseAdapter* adapter = nullptr);
/// Runs a folder of case files (`*.json`, format in docs/sigma.md) through all rules.
TestReport run_case_dir(const RuleSet& rules, const std::string& dir, CaseAdapter* adapter = nullptr);

}  // namespace aiir::sigma
