// SPDX-License-Identifier: Apache-2.0
// Training and evaluation of the prompt-attack model: data loading, source-held-out split, AdaGrad, threshold, reports.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "content/model.h"

namespace aiir::model {

/// One labeled prompt (train.jsonl schema: text, label, source, family).
struct LabeledPrompt {
  std::string text;
  int label = 0;  ///< 1 = attack, 0 = benign
  std::string source;
  std::string family;
};

/// Reads a labeled JSONL file. Fills `sha256_hex` with the file's SHA-256 when
/// not null. Throws aiir::Error naming file:line on a bad row.
std::vector<LabeledPrompt> read_labeled_jsonl(const std::string& path, std::string* sha256_hex = nullptr);

/// Which part of the data a row belongs to.
enum class Part : std::uint8_t { kTrain, kValidation, kTest };
std::string_view to_string(Part part) noexcept;

/// The held-out split. Rows are grouped so that no group straddles parts:
/// near-duplicate templates (MinHash of word 5-shingles, Jaccard >= 0.5, across
/// all sources) form one group, and every row of a whole held-out source joins
/// that source's part. Remaining groups go to test / validation / train by a
/// stable hash of the group under `seed`.
struct SplitConfig {
  std::uint64_t seed = 20240501;
  std::uint32_t test_percent = 20;
  std::uint32_t validation_percent = 15;
  std::vector<std::string> test_sources = {
      "leolee99/InjecGuard:datasets/NotInject_three.json",
      "NVIDIA/garak:garak/data/dan/DUDE.json",
      "NVIDIA/garak:garak/data/dan/STAN.json",
      "NVIDIA/garak:garak/data/dan/AntiDAN.json",
  };
  std::vector<std::string> validation_sources = {
      "leolee99/InjecGuard:datasets/NotInject_two.json",
      "NVIDIA/garak:garak/data/dan/ChatGPT_Developer_Mode_v2.json",
  };
  /// Leave-one-source-out: when set, every row of this source is test and no
  /// other row is (overrides the percentages and test_sources).
  std::string leave_out_source;

  /// One line describing the split, stored in the model header.
  std::string describe() const;
};

/// Assigns each row to a part. Deterministic for a given config and data.
std::vector<Part> split_rows(const std::vector<LabeledPrompt>& rows, const SplitConfig& config);

/// Training hyperparameters.
struct TrainConfig {
  std::uint64_t seed = 7;
  std::uint32_t epochs = 12;
  double learning_rate = 0.4;   ///< AdaGrad base step
  double l2 = 3e-4;             ///< L2 penalty applied to touched weights
  bool balance_classes = true;  ///< weight positives by n_neg / n_pos
  double target_fpr = 0.01;     ///< threshold: highest validation FP rate allowed
  FeatureConfig features;

  std::string describe() const;
};

/// Picks the lowest threshold whose false-positive rate on (scores, labels) is
/// at most `target_fpr`. Returns 0.5 when there are no negatives.
double threshold_for_fpr(const std::vector<double>& scores, const std::vector<int>& labels, double target_fpr);

/// Trains on the kTrain rows, picks the threshold on the kValidation rows and
/// returns the model with its metadata filled (except training file/sha).
PromptModel train_prompt_model(const std::vector<LabeledPrompt>& rows, const std::vector<Part>& parts,
                               const TrainConfig& config, const SplitConfig& split);

/// Obfuscations the evaluation applies to every row.
enum class Obfuscation : std::uint8_t { kPlain, kZeroWidth, kTagSmuggling, kBase64, kFullwidth, kSpacedLetters };
inline constexpr int kObfuscationCount = 6;
std::string_view to_string(Obfuscation kind) noexcept;
/// Returns `text` rewritten with the obfuscation (kPlain returns it unchanged).
std::string obfuscate(std::string_view text, Obfuscation kind);

/// Detection or false-positive count for one family under one obfuscation.
struct FamilyResult {
  std::string family;
  int label = 0;
  std::uint64_t rows = 0;
  std::uint64_t flagged = 0;
  double rate() const noexcept { return rows == 0 ? 0.0 : static_cast<double>(flagged) / static_cast<double>(rows); }
};

struct EvalResult {
  Obfuscation kind = Obfuscation::kPlain;
  std::vector<FamilyResult> families;  ///< sorted by label desc, then family
  FamilyResult attacks;                ///< all label-1 rows
  FamilyResult benign;                 ///< all label-0 rows
  double tpr_at_1pct = 0.0;            ///< detection at the threshold giving <= 1% FP on these rows
  double tpr_at_01pct = 0.0;           ///< same at <= 0.1% FP
};

/// Scores the selected rows (all when `selected` is empty) under each
/// obfuscation and counts detections at the model's threshold.
std::vector<EvalResult> evaluate(const PromptModel& model, const std::vector<LabeledPrompt>& rows,
                                 const std::vector<bool>& selected);

/// Same, scoring each (obfuscated) text with `score` instead of the model's
/// feature path: the evaluation program passes the scanner's content stage
/// here, so the figures are those of `aiir scan` (bench/eval_prompt_model.cpp).
std::vector<EvalResult> evaluate(const PromptModel& model, const std::vector<LabeledPrompt>& rows,
                                 const std::vector<bool>& selected,
                                 const std::function<double(std::string_view)>& score);

/// The evaluation as a Markdown report (tables per obfuscation, plus the gap to plain).
std::string format_eval_markdown(const std::vector<EvalResult>& results, const PromptModel& model);

}  // namespace aiir::model
