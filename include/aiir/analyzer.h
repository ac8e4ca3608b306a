// SPDX-License-Identifier: Apache-2.0
/// The analyzer contract. One analyzer per methodology element; see
/// docs/adding-an-analyzer.md.
#pragma once

#include <aiir/event.h>
#include <aiir/finding.h>
#include <aiir/profile.h>

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace aiir {

/// What the run saw, for answers that depend on the evidence that exists
/// ("invocation logging was off", "no data events"). Filled by the pipeline
/// before Analyzer::answer is called.
struct Coverage {
  std::uint64_t cloudtrail_events = 0;
  std::uint64_t insight_events = 0;
  std::uint64_t invocation_records = 0;
  std::uint64_t invocation_with_text = 0;  ///< invocation records that carry a body (inline, or offloaded and read)
  /// Invocation records whose only body is offloaded to S3 (`*BodyS3Path`)
  /// and was not found in the export (its `data/` object was not collected).
  std::uint64_t invocation_bodies_unread = 0;
  std::uint64_t data_events = 0;           ///< eventCategory Data / managementEvent false
  std::uint64_t s3_data_events = 0;        ///< data events from s3.amazonaws.com
  std::uint64_t bedrock_data_events = 0;   ///< InvokeAgent, Retrieve, ... (data events)
  std::uint64_t lambda_data_events = 0;    ///< lambda Invoke data events
  std::int64_t first_ms = 0;
  std::int64_t last_ms = 0;
  std::set<std::string> accounts;
  std::set<std::string> regions;
  bool profile_loaded = false;
};

enum class Answer : std::uint8_t { kYes, kNo, kNotFound, kCannotTell };
std::string_view to_string(Answer answer) noexcept;

/// One methodology question answered by an analyzer.
struct QuestionAnswer {
  std::string id;              ///< stable, e.g. "access.unauthorized_access"
  std::string question;        ///< the methodology's question
  Answer answer = Answer::kCannotTell;
  std::string explanation;     ///< one or two sentences: why, and what would sharpen it
  std::vector<std::string> rules;  ///< rule ids (or prefixes ending in '*') whose findings back the answer
  /// False for questions where a matching finding argues for "no" (e.g. "do you
  /// still have access?" and a lock-out change): the report then says it
  /// cannot tell from the logs instead of upgrading the answer to yes.
  bool findings_mean_yes = true;
  /// The least severe finding that backs the answer (informational ones never do).
  Severity min_severity = Severity::kLow;
};

class ScopeTracker;  // src/analyzers/scope.h
namespace detail {
class AiPrincipals;  // src/analyzers/ai_principals.h
}

/// Configuration handed to every analyzer factory.
struct AnalyzerConfig {
  const Profile* profile = nullptr;  ///< never null; Profile::loaded tells whether one was given
  std::int64_t baseline_until_ms = 0;  ///< --baseline-until, 0 when not given
  /// The run's scope of every principal and key (CloudTrail and invocation
  /// records, not Insights), fed with each event before the analyzers see it:
  /// one tracker for the report's principals table and the access analyzer.
  /// Null: an analyzer that needs one keeps its own.
  const ScopeTracker* scope = nullptr;
  /// The run's AI-application principals (learned from every event before the
  /// analyzers see it, resolved before their finish()): one for the agency
  /// and private-data analyzers. Null: an analyzer that needs it keeps its own.
  const detail::AiPrincipals* ai = nullptr;
};

/// An analyzer sees every normalized event once, on one thread, in input
/// order (files by path, records by position): NOT time order. Analyzers that
/// reason over time keep compact copies and sort them in finish(), with the
/// total order (time, file, record), so results never depend on --threads.
/// Analyzers do no I/O, never print, and keep their state bounded.
class Analyzer {
 public:
  virtual ~Analyzer() = default;
  virtual void on_event(const EventView& event, FindingSink& out) = 0;
  /// Called once after the last event: flush aggregates, emit late findings.
  virtual void finish(FindingSink& /*out*/) {}
  /// The element's methodology questions, answered from what this analyzer saw.
  virtual void answer(const Coverage& /*coverage*/, std::vector<QuestionAnswer>& /*out*/) const {}
  /// What the analyzer could not keep because a cap on its state was reached:
  /// one line each (what, how many, which checks it weakens), for the report's
  /// coverage notes. Nothing when no cap was reached.
  virtual void limits(std::vector<std::string>& /*out*/) const {}
};

struct AnalyzerInfo {
  std::string_view id;           ///< kebab-case, stable: "access", "ai-changes", ...
  Element element;
  std::string_view description;  ///< one line
  std::unique_ptr<Analyzer> (*make)(const AnalyzerConfig&);
};

/// The explicit table of analyzers, in methodology order (analyzers/registry.cpp).
std::span<const AnalyzerInfo> analyzer_table() noexcept;

}  // namespace aiir
