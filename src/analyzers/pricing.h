// SPDX-License-Identifier: Apache-2.0
// The Bedrock price table: dated USD prices per 1k tokens by model-id pattern,
// loaded from rules/bedrock-prices.yaml (docs/pricing.md), overridable by a
// user file. Cost figures computed from it are estimates and labeled so.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace aiir {

/// One priced model family. Prices are USD per 1,000 tokens; a negative cache
/// price means "not given" (cache tokens are then priced as input tokens).
struct ModelPrice {
  std::string match;          ///< normalized model-id pattern, `*` and `?` wildcards
  double input_per_1k = 0;
  double output_per_1k = 0;
  double cache_read_per_1k = -1;
  double cache_write_per_1k = -1;
  std::string source;         ///< the file the entry came from (for the report)
  int line = 0;               ///< 1-based line in that file
};

/// A dated price table. Entries from later merges win over earlier ones.
class PriceTable {
 public:
  /// Loads a price file. Throws aiir::Error naming file:line on a bad file.
  static PriceTable load(const std::string& path);
  /// Parses YAML text; `name` is used in error messages. Throws aiir::Error.
  static PriceTable parse(std::string_view yaml_text, const std::string& name);
  /// The shipped table's path: $AIIR_RULES_DIR/bedrock-prices.yaml, else
  /// <exe dir>/../share/aiir/rules/bedrock-prices.yaml, else the source tree's
  /// rules/ (AIIR_SOURCE_DIR). Empty when none of them exists.
  static std::string default_path();

  /// Lays `user` over this table: its entries take precedence, and its
  /// as_of/source replace ours when set.
  void merge_over(const PriceTable& user);

  /// The entry for a model id as logged (base id, inference-profile id, ARN), or null.
  /// Exact matches win, then the longest matching pattern.
  const ModelPrice* find(std::string_view model_id) const noexcept;

  /// Estimated cost in USD of one or more calls; nullopt when the model is not
  /// priced. Negative token counts (not recorded) count as zero.
  std::optional<double> estimate(std::string_view model_id, std::int64_t tokens_in, std::int64_t tokens_out,
                                 std::int64_t cache_read = 0, std::int64_t cache_write = 0) const noexcept;

  const std::string& as_of() const noexcept { return as_of_; }
  const std::string& source_note() const noexcept { return source_note_; }
  const std::string& path() const noexcept { return path_; }
  const std::vector<ModelPrice>& entries() const noexcept { return entries_; }
  bool empty() const noexcept { return entries_.empty(); }

 private:
  std::string as_of_;
  std::string source_note_;
  std::string path_;
  std::vector<ModelPrice> entries_;  // highest precedence first
};

/// The table analyzers use: the one given to set_active_prices(), else the
/// shipped table from default_path() (loaded once, on first use), else empty.
/// Throws aiir::Error if the shipped file exists but is malformed.
std::shared_ptr<const PriceTable> active_prices();
/// Replaces the active table (the CLI calls this for `--prices FILE`, after merge_over).
void set_active_prices(std::shared_ptr<const PriceTable> table);

/// A model id reduced for price matching and display: lower case, ARN parts
/// (`arn:...:foundation-model/`, `inference-profile/`, ...) removed, geo
/// prefix (`us.`, `eu.`, `apac.`, `global.`, ...) removed and version suffix
/// (`-v1:0`, `:0`, `:28k`) removed. `anthropic.claude-3-sonnet-20240229-v1:0`
/// -> `anthropic.claude-3-sonnet-20240229`.
std::string normalize_model_id(std::string_view model_id);

/// The provider family of a model id (`anthropic`, `amazon`, `meta`, ...), or empty.
std::string model_family(std::string_view model_id);

}  // namespace aiir
