// SPDX-License-Identifier: Apache-2.0
// The Invocation analyzer's public face: the model-usage aggregate (principal
// x model x region) that the report prints as its model-usage table.
#pragma once

#include <aiir/analyzer.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace aiir {

class PriceTable;

/// One line of the model-usage table: calls by one principal to one model in
/// one region, from CloudTrail runtime calls and invocation-log records joined
/// on request id (a call in both sources counts once).
struct ModelUsageRow {
  std::string principal;        ///< caller ARN
  std::string account;
  std::string model;            ///< model id as logged (base id, profile id or ARN)
  std::string model_normalized; ///< see normalize_model_id()
  std::string region;           ///< awsRegion / region of the call
  std::uint64_t calls = 0;      ///< distinct calls
  std::uint64_t errors = 0;     ///< calls with an error code
  std::uint64_t cloudtrail_calls = 0;   ///< calls seen in CloudTrail
  std::uint64_t invocation_log_calls = 0;  ///< calls seen in invocation logs
  std::uint64_t joined = 0;     ///< calls seen in both (joined on request id, +-5 min)
  std::int64_t tokens_in = 0;
  std::int64_t tokens_out = 0;
  std::int64_t tokens_cache_read = 0;
  std::int64_t tokens_cache_write = 0;
  double cost_usd = 0;          ///< ESTIMATE from the price table; 0 with cost_known false when unpriced
  bool cost_known = false;
  std::int64_t first_ms = 0;
  std::int64_t last_ms = 0;
  std::vector<std::string> source_ips;  ///< from CloudTrail (invocation logs have none), sorted, capped at 20
  /// For an application inference profile (its ARN as the model): what it copies, from its
  /// CreateInferenceProfile in these logs (a model, or a cross-region profile); "" when unknown.
  std::string resolved_model;
  /// Regions that served the calls (`inferenceRegion` in either source), sorted, capped at 20;
  /// empty unless one of them differs from `region` (cross-region inference).
  std::vector<std::string> inference_regions;
};

/// The whole aggregate, valid after finish().
struct ModelUsage {
  std::vector<ModelUsageRow> rows;   ///< sorted by principal, model, region
  std::string prices_as_of;          ///< the price table's date ("" when no table)
  std::string prices_source;         ///< the price table's path and source note
  std::uint64_t rows_dropped = 0;    ///< calls not aggregated because the row cap was hit
  std::uint64_t join_overflow = 0;   ///< calls not joined because the join table was full
};

/// The model-usage aggregate of an Invocation analyzer (after finish()), or
/// null when `analyzer` is not one.
const ModelUsage* model_usage(const Analyzer& analyzer) noexcept;

/// make_invocation() with an explicit price table (tests, embedders).
std::unique_ptr<Analyzer> make_invocation_with_prices(const AnalyzerConfig& config,
                                                      std::shared_ptr<const PriceTable> prices);

}  // namespace aiir
