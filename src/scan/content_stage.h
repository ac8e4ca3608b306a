// SPDX-License-Identifier: Apache-2.0
// The content stage of `aiir scan` and `aiir prompts`: on worker threads, each
// invocation record goes through src/content (extraction, normalization,
// signatures, attachments, leakage), the secrets scanner and the prompt model;
// CloudTrail request parameters go through the secrets scanner only. Results
// live in the batch's extra and are pointed to by EventView::content.
#pragma once

#include <aiir/event.h>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "content/content.h"
#include "content/model.h"
#include "content/secrets.h"
#include "content/signatures.h"
#include "decode/decoder.h"
#include "pipeline/pipeline.h"
#include "sigma/engine.h"

namespace aiir {

/// What the content stage does. Defaults are what `aiir scan` uses.
struct ContentStageOptions {
  /// false (--no-redact): secrets are kept in full in SecretHit::masked.
  bool redact = true;
  /// The model scores the last user-role request piece typed in a message
  /// (the newest turn) and, apart, the newest documents' names and texts.
  /// Raw cap on each text: the first
  /// `score_head_bytes` and the last `score_tail_bytes` (UTF-8 boundaries).
  /// It bounds normalization cost; the model then scores at most
  /// model::kScoreHeadBytes + kScoreTailBytes of the normalized text. Raw caps
  /// are 4x larger so that 4-byte obfuscations (tag characters) keep as much
  /// text as plain prompts.
  std::size_t score_head_bytes = 4 * model::kScoreHeadBytes;
  std::size_t score_tail_bytes = 4 * model::kScoreTailBytes;
  /// Scan string values of CloudTrail requestParameters for secrets.
  bool cloudtrail_secrets = true;
  /// Run the model (false: score stays -1).
  bool score = true;
  std::string signatures_path;  ///< empty: the shipped rules/prompt-signatures.yaml
  std::string model_path;       ///< empty: the shipped rules/prompt-model.bin
  /// The paths being read: `*BodyS3Path` bodies are looked up under them
  /// (the `data/` objects of an exported bucket). Stdin ("-") is skipped.
  std::vector<std::string> offload_roots;
};

/// The model scores only user text of at least this many words (fewer: score
/// stays -1, "not scored"); short prompts are left to the signatures.
inline constexpr std::size_t kMinScoredWords = 8;
/// The model also scores the last this many document names and texts read
/// from documents (TextPiece::from_attachment) of the request, each on its
/// own; the record's score is the highest.
inline constexpr std::size_t kMaxScoredAttachmentTexts = 4;
/// The model also scores the last this many retrieved texts of the request:
/// tool results (Converse `toolResult`, Anthropic `tool_result`, `tool`-role
/// messages) and retrieved documents (Command R `documents`, document text,
/// grounding sources), each on its own, where indirect injections arrive.
/// Tool descriptions and the model's own tool calls are not scored.
inline constexpr std::size_t kMaxScoredRetrievedTexts = 4;
/// And at most this many views of hidden text that read as prose (the ROT13
/// of the newest user turn, text under a right-to-left override as displayed,
/// decoded hex or URL escapes), by what they decode to.
inline constexpr std::size_t kMaxScoredViews = 4;

/// Read-only resources shared by every worker: the signature set, the model
/// and the secrets scanner. Build once per run (setup; throws aiir::Error).
class ContentShared {
 public:
  explicit ContentShared(ContentStageOptions options);
  const ContentStageOptions& options() const noexcept { return options_; }
  const content::SignatureSet& signatures() const noexcept { return *signatures_; }
  const model::PromptModel& model() const noexcept { return model_; }
  /// The model's flag threshold (from the weights file).
  double threshold() const noexcept { return model_.info().threshold; }
  /// Exported objects for offloaded bodies (null when there are no roots).
  const content::S3ObjectIndex* offloaded() const noexcept { return offloaded_.get(); }

 private:
  ContentStageOptions options_;
  std::unique_ptr<content::S3ObjectIndex> offloaded_;
  std::unique_ptr<content::SignatureSet> signatures_;
  model::PromptModel model_;
};

/// Per-thread worker: one ContentAnalyzer (ICU handles, scratch) and the
/// secrets and model hooks.
class ContentWorker {
 public:
  explicit ContentWorker(const ContentShared& shared);
  ~ContentWorker();
  ContentWorker(const ContentWorker&) = delete;
  ContentWorker& operator=(const ContentWorker&) = delete;

  /// Runs the stage for one event into `out`. Returns true when the result
  /// is worth attaching: every invocation record, and CloudTrail records
  /// whose request parameters hold a secret. Never throws.
  bool run(const EventView& event, content::ContentResult& out) noexcept;

  /// The text the model scores for a result: the last user-role request
  /// piece, capped as ContentStageOptions says. Exposed for tests and `aiir prompts --text`.
  std::string_view scored_text(const content::ContentResult& result);
  /// `text` cut as the scored text is (head and tail): `text` itself when it
  /// fits, else a cut in the worker's scratch, valid until the next call of
  /// this or scored_text().
  std::string_view capped_for_model(std::string_view text);

  const ContentShared& shared() const noexcept { return shared_; }

 private:
  struct Hooks;
  const ContentShared& shared_;
  std::unique_ptr<Hooks> hooks_;
  std::unique_ptr<content::ContentAnalyzer> analyzer_;
};

/// A BatchExtra holding one worker and the results of one batch. Results are
/// pooled and reused across batches.
struct ContentBatch final : BatchExtra {
  explicit ContentBatch(const ContentShared& shared) : worker(shared) {}
  /// Runs the stage over events [begin, end) of `batch` and sets their
  /// `content` (in order over the batch: begin 0 starts it).
  void prepare(DecodedBatch& batch, std::size_t begin, std::size_t end);

  ContentWorker worker;
  std::vector<std::unique_ptr<content::ContentResult>> pool;
  std::size_t used = 0;

 private:
  void run_one(EventView& ev);
  std::vector<simdjson::dom::element> params_;  ///< prepare(): a block's CloudTrail request parameters
};

/// True when a record is flagged: the model score reaches the threshold, or a
/// signature of medium severity or higher fired (issue 5 item 9).
bool prompt_flagged(const content::ContentResult& result, double threshold) noexcept;

/// `text` with the secrets the scanner finds in it replaced by their masked
/// form, cut to `max_bytes` (0: no cap) on a UTF-8 boundary with "…". For
/// texts shown in findings and prompt lines (decoded payloads, excerpts).
std::string mask_secrets_in(std::string_view text, std::size_t max_bytes = 0);

/// Sigma virtual fields over an event's content: `prompt_text` (user and
/// document request text), `system_text`, `response_text` (assistant
/// output), `tool_text` (tool inputs and results), `guardrail_action`
/// (INTERVENED / NONE, or "INTERVENED" when the stop reason says so),
/// `prompt_signatures` (ids of the prompt signatures that fired),
/// `prompt_score` (the model score, as text with 3 decimals). Fields are
/// known only for invocation records that went through the stage.
class ContentVirtualFields final : public sigma::VirtualFields {
 public:
  /// Points the fields at `event` (call before Engine::on_event).
  void reset(const EventView& event) noexcept { event_ = &event; }
  bool get(std::string_view name, std::vector<std::string_view>& values) const override;

 private:
  const EventView* event_ = nullptr;
  mutable std::string scratch_;
};

}  // namespace aiir
