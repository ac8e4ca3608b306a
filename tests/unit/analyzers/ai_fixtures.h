// SPDX-License-Identifier: Apache-2.0
// Test helpers for the AI-changes, data-store and invocation analyzer tests:
// tiny synthetic CloudTrail and invocation-log records as JSON Lines.
#pragma once

#include <aiir/analyzer.h>
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "support/test_events.h"

namespace aiir::testing {

/// RFC 3339 time `sec` seconds after 2026-03-10T00:00:00Z (up to 19 days).
inline std::string t_at(long sec) {
  long day = 10 + sec / 86400, rem = sec % 86400;
  return fmt::format("2026-03-{:02}T{:02}:{:02}:{:02}Z", day, rem / 3600, (rem % 3600) / 60, rem % 60);
}

inline const char* kUser = "arn:aws:iam::111122223333:user/ml-pipeline";
inline const char* kAppRole = "arn:aws:sts::111122223333:assumed-role/app-role/i-0abc";

/// One CloudTrail record. `extra` is appended inside the object (leading comma included by caller).
inline std::string ct(long sec, std::string_view source, std::string_view name, std::string_view arn,
                      std::string_view key, std::string_view ip, std::string_view region = "us-east-1",
                      std::string_view req = "null", std::string_view extra = "", std::string_view rid = "") {
  std::string type = arn.find(":assumed-role/") != std::string_view::npos ? "AssumedRole" : "IAMUser";
  return fmt::format(
      R"({{"eventVersion":"1.10","userIdentity":{{"type":"{}","arn":"{}","accountId":"111122223333","accessKeyId":"{}"}},)"
      R"("eventTime":"{}","eventSource":"{}","eventName":"{}","awsRegion":"{}","sourceIPAddress":"{}",)"
      R"("userAgent":"ua/1.0","requestParameters":{},"responseElements":null,"requestID":"{}","eventID":"ev-{}-{}-{}",)"
      R"("eventType":"AwsApiCall","recipientAccountId":"111122223333"{}}})",
      type, arn, key, t_at(sec), source, name, region, ip, req, rid.empty() ? fmt::format("r-{}-{}", sec, name) : std::string(rid),
      sec, name, ip, extra);
}

/// A CloudTrail Bedrock runtime call.
inline std::string ct_invoke(long sec, std::string_view arn, std::string_view key, std::string_view ip,
                             std::string_view model, std::string_view rid, std::string_view region = "us-east-1",
                             std::string_view error = "", std::string_view message = "",
                             std::string_view op = "InvokeModel") {
  std::string extra;
  if (!error.empty()) extra = fmt::format(R"(,"errorCode":"{}","errorMessage":"{}")", error, message);
  return ct(sec, "bedrock.amazonaws.com", op, arn, key, ip, region, fmt::format(R"({{"modelId":"{}"}})", model),
            extra, rid);
}

/// A Bedrock invocation-log record. `output` is the raw JSON of outputBodyJson ("" for none).
inline std::string inv(long sec, std::string_view arn, std::string_view model, std::string_view rid, long tin,
                       long tout, std::string_view region = "us-east-1", std::string_view output = "",
                       std::string_view error = "", std::string_view op = "Converse") {
  std::string out = output.empty() ? fmt::format(R"({{"outputTokenCount":{}}})", tout)
                                   : fmt::format(R"({{"outputTokenCount":{},"outputBodyJson":{}}})", tout, output);
  std::string err = error.empty() ? std::string() : fmt::format(R"("errorCode":"{}",)", error);
  return fmt::format(
      R"({{"schemaType":"ModelInvocationLog","schemaVersion":"1.0","timestamp":"{}","accountId":"111122223333",)"
      R"("identity":{{"arn":"{}"}},"region":"{}","requestId":"{}","operation":"{}","modelId":"{}",{})"
      R"("input":{{"inputContentType":"application/json","inputTokenCount":{}}},"output":{}}})",
      t_at(sec), arn, region, rid, op, model, err, tin, out);
}

inline std::string lines(const std::vector<std::string>& records) {
  std::string s;
  for (const auto& r : records) s += r + "\n";
  return s;
}

/// Runs an analyzer over records (in the given order) and returns its finalized findings.
inline std::vector<Finding> run(Analyzer& a, const std::vector<std::string>& records) {
  auto f = events_from_json(lines(records));
  FindingList out;
  for (auto& e : f.events) a.on_event(e, out);
  a.finish(out);
  for (auto& x : out.findings) x.finalize();
  return std::move(out.findings);
}

/// Decodes `records` once and feeds the events in the order `perm` gives
/// (indices into the records): same events and record pointers, other order.
inline std::vector<Finding> run_permuted(Analyzer& a, const std::vector<std::string>& records,
                                         const std::vector<std::size_t>& perm) {
  auto f = events_from_json(lines(records));
  FindingList out;
  for (std::size_t i : perm) a.on_event(f.events.at(i), out);
  a.finish(out);
  for (auto& x : out.findings) x.finalize();
  return std::move(out.findings);
}

/// A fixed, non-trivial permutation of n indices (reverse, then rotate by a third).
inline std::vector<std::size_t> shuffled(std::size_t n) {
  std::vector<std::size_t> p(n);
  for (std::size_t i = 0; i < n; ++i) p[i] = n - 1 - i;
  if (n > 2) std::rotate(p.begin(), p.begin() + static_cast<std::ptrdiff_t>(n / 3), p.end());
  return p;
}

/// Pointers into `fs` (keep `fs` alive while using them).
inline std::vector<const Finding*> with_rule(std::vector<Finding>&& fs, std::string_view rule) = delete;
inline std::vector<const Finding*> with_rule(const std::vector<Finding>& fs, std::string_view rule) {
  std::vector<const Finding*> v;
  for (const auto& f : fs) {
    if (f.rule == rule) v.push_back(&f);
  }
  return v;
}

/// How many findings of `fs` have `rule` (safe on temporaries).
inline std::size_t count_rule(const std::vector<Finding>& fs, std::string_view rule) {
  std::size_t n = 0;
  for (const auto& f : fs) n += f.rule == rule ? 1 : 0;
  return n;
}

/// "rule|severity|id|count" of every finding, sorted: equal for equal results.
inline std::vector<std::string> signature(const std::vector<Finding>& fs) {
  std::vector<std::string> v;
  for (const auto& f : fs) {
    v.push_back(fmt::format("{}|{}|{}|{}|{}|{}", f.rule, static_cast<int>(f.severity), f.id(), f.count, f.summary,
                            f.evidence.size()));
  }
  std::sort(v.begin(), v.end());
  return v;
}

/// Two runs of an analyzer (e.g. with its own shared state and with the
/// scan's) gave the same findings and answers.
inline void check_same_runs(const FindingList& a, const std::vector<QuestionAnswer>& a_answers, const FindingList& b,
                            const std::vector<QuestionAnswer>& b_answers) {
  REQUIRE(a.findings.size() == b.findings.size());
  for (std::size_t i = 0; i < a.findings.size(); ++i) {
    CHECK(a.findings[i].rule == b.findings[i].rule);
    CHECK(a.findings[i].summary == b.findings[i].summary);
    CHECK(a.findings[i].details == b.findings[i].details);
  }
  REQUIRE(a_answers.size() == b_answers.size());
  for (std::size_t i = 0; i < a_answers.size(); ++i) CHECK(a_answers[i].explanation == b_answers[i].explanation);
}

}  // namespace aiir::testing
