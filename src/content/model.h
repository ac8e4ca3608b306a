// SPDX-License-Identifier: Apache-2.0
// Scored prompt-attack detector: logistic regression over hashed word and character n-grams.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace aiir::model {

/// How text becomes features. Stored in the weights file header; a model only
/// scores with the configuration it was trained with.
struct FeatureConfig {
  std::uint32_t bucket_bits = 18;      ///< 2^bucket_bits hashed buckets
  std::uint64_t hash_seed = 0x61696972706d3031ULL;  ///< "aiirpm01"
  std::uint32_t word_ngram_max = 2;    ///< word 1..N-grams
  /// Character (byte) n-grams of the normalized, space-collapsed text. 4..4
  /// since the scanner integration: one bump per byte instead of three, about
  /// 2.5x faster scoring for the same evaluation figures (docs/prompt-model.md).
  std::uint32_t char_ngram_min = 4;
  std::uint32_t char_ngram_max = 4;

  std::uint32_t buckets() const noexcept { return 1u << bucket_bits; }
  friend bool operator==(const FeatureConfig&, const FeatureConfig&) = default;
};

/// One non-zero feature: a bucket index and its value (1 + log count, L2-normalized).
struct Feature {
  std::uint32_t index = 0;
  float value = 0.0f;
};

/// Stable 64-bit hash of a feature string under a seed (FNV-1a 64 with a
/// murmur finalizer; never std::hash). Exposed so tests can pin values.
std::uint64_t feature_hash(std::uint64_t seed, std::string_view kind, std::string_view text) noexcept;

/// The model-side normalization used for training and scoring until the shared
/// normalizer (src/content/normalize_text.h) lands: decodes Unicode tag
/// characters to ASCII, drops zero-width, bidi and variation-selector
/// characters, decodes base64 runs (>= 20 chars, printable result, depth 2),
/// applies ICU NFKC_Casefold and collapses spaced-out letters ("i g n o r e").
std::string normalize_for_model(std::string_view text);

/// The model sees at most the first kScoreHeadBytes and the last
/// kScoreTailBytes of the normalized text (joined by a newline, cut on UTF-8
/// boundaries): attacks sit at the start or the end of a prompt, and scoring
/// cost is linear in the text. Training, evaluation and the scanner all apply it.
inline constexpr std::size_t kScoreHeadBytes = 2048;
inline constexpr std::size_t kScoreTailBytes = 1024;

/// Cuts already-normalized text to the scoring cap (a view of `text` when it
/// fits, else of `scratch`).
std::string_view cap_for_scoring(std::string_view normalized, std::string& scratch);

/// THE model text: normalize_for_model(text), capped by cap_for_scoring.
std::string model_text(std::string_view text);

/// True when model_text(text) is `text` with its ASCII capitals lowercased
/// (plain ASCII with nothing to decode or join, within the scoring cap): the
/// features read capitals as lowercase, so `text` may be scored as it is,
/// without the copy (most prompts).
bool model_text_is_lowercase(std::string_view text) noexcept;

/// Hashed features of text that is already normalized (sorted by index).
void hashed_features(std::string_view normalized_text, const FeatureConfig& config, std::vector<Feature>& out);

/// THE feature pipeline: model_text() (normalize, cap) then hashed_features().
/// Training, evaluation and scoring all go through it.
void features_for(std::string_view text, const FeatureConfig& config, std::vector<Feature>& out);

/// Metadata kept in the weights file header.
struct ModelInfo {
  std::uint32_t version = 1;
  double threshold = 0.5;          ///< flag when score >= threshold
  double target_fpr = 0.02;        ///< validation false-positive rate the threshold was chosen for
  double validation_fpr = 0.0;     ///< achieved on the validation part
  double validation_tpr = 0.0;
  std::string training_sha256;     ///< of the training JSONL file
  std::string training_file;       ///< name only, for the record
  std::string split;               ///< how held-out data was chosen
  std::string trainer;             ///< algorithm and hyperparameters
  std::uint64_t train_rows = 0;
};

/// A loaded model. Immutable after load; score() is const and thread-safe.
class PromptModel {
 public:
  PromptModel() = default;
  PromptModel(FeatureConfig config, std::vector<float> weights, float bias, ModelInfo info);

  /// Loads a weights file written by save(). Throws aiir::Error with the path
  /// and the reason on a missing, truncated or inconsistent file.
  static PromptModel load(const std::string& path);
  /// Writes the header and the float32 little-endian weights. Throws aiir::Error.
  void save(const std::string& path) const;
  /// The header alone, as written at the top of the weights file.
  std::string header_text() const;

  /// Probability in [0,1] that the already-normalized text is an attack
  /// (ASCII capitals are read as lowercase).
  double score(std::string_view normalized_text) const;
  /// score(model_text(text)): for raw, attacker-controlled text.
  double score_text(std::string_view text) const;
  /// Score of a precomputed feature vector.
  double score_features(const std::vector<Feature>& features) const noexcept;
  /// score_text(text) >= threshold.
  bool flagged(std::string_view text) const { return score_text(text) >= info_.threshold; }

  const FeatureConfig& config() const noexcept { return config_; }
  const ModelInfo& info() const noexcept { return info_; }
  ModelInfo& info() noexcept { return info_; }
  const std::vector<float>& weights() const noexcept { return weights_; }
  float bias() const noexcept { return bias_; }
  bool empty() const noexcept { return weights_.empty(); }

 private:
  FeatureConfig config_;
  std::vector<float> weights_;
  float bias_ = 0.0f;
  ModelInfo info_;
};

/// Path of the committed model (`rules/prompt-model.bin` under the source tree).
std::string default_model_path();

}  // namespace aiir::model
