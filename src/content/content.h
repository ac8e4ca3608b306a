// SPDX-License-Identifier: Apache-2.0
// The content stage of the Invocation and Private data analyzers: one call per
// invocation record runs extraction, normalization, signatures, attachments and
// system-prompt leakage; the secrets scanner and the scored model plug in as
// ContentStage hooks (src/scan/content_stage.h).
#pragma once

#include <aiir/finding.h>
#include <simdjson.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "content/attachments.h"
#include "content/conversation.h"
#include "content/quoted.h"
#include "content/extract.h"
#include "content/leakage.h"
#include "content/normalize_text.h"
#include "content/pdf_text.h"
#include "content/signatures.h"
#include "source/reader.h"

namespace aiir::content {

/// A secret or PII value found by the secrets scanner (secrets.h, which uses
/// this type). `masked` only: the full value is never stored here; with
/// --no-redact the content stage (src/scan/content_stage.h) puts the full
/// value in `masked` instead.
struct SecretHit {
  std::string type;      ///< e.g. "aws_access_key_id", "credit_card", "email"
  std::string masked;    ///< e.g. "AKIA…WXYZ"
  Side side = Side::kInput;   ///< kInput: request/prompt; kOutput: response
  Role role = Role::kUser;
  Severity severity = Severity::kLow;
  std::uint32_t piece = 0;    ///< index into Extraction::pieces (content stage only)
  std::size_t offset = 0;     ///< byte offset of the value in the scanned text
  std::size_t length = 0;     ///< byte length of the value
  bool example = false;       ///< a documented example value (AKIAIOSFODNN7EXAMPLE, ...)
  /// (An e-mail address or phone number in a response) the caller's own: the same value is
  /// in the request's user text (the model repeating the customer's own contact details), or
  /// an address at the domain of one in the system prompt (the application's own contacts).
  bool echoed = false;
};

/// Sets SecretHit::echoed on the response-side hits of `hits` (found in `pieces`).
void mark_echoed(const std::vector<TextPiece>& pieces, std::vector<SecretHit>& hits);

/// Whether [begin, end) of `text` (a canonical view) is a quoted example of an attack that
/// the text discusses: an opening quote at most 40 bytes before `begin` (after a space,
/// colon or bracket, so not an apostrophe), its closing quote at most 200 bytes after
/// `end` (before a space or punctuation), and outside the quotation a topic phrase
/// (prompt injection, jailbreak, OWASP, red team, ...).
bool quoted_example(std::string_view text, std::size_t begin, std::size_t end) noexcept;

/// A signature hit resolved to its side and role, with the matched text.
struct ContentHit {
  std::uint32_t signature = 0;   ///< index into ContentResult::signatures->signatures()
  Side side = Side::kInput;
  Role role = Role::kUser;
  std::string_view view_kind;    ///< "canonical", "collapsed", "leet", "rot13", "decoded"
  int view = -1;                 ///< view index in the side's NormalizedText (-1 canonical)
  std::uint32_t begin = 0;       ///< span in that view
  std::uint32_t end = 0;
  /// The hit's severity: the signature's, or low when the hit sits inside
  /// quotation marks that the text discusses (`quoted`, quoted.h).
  Severity severity = Severity::kMedium;
  bool quoted = false;
  /// Copy of the matched normalized text (capped at kMaxExcerpt bytes).
  /// Attacker-controlled: escape or mask when writing.
  std::string excerpt;
  static constexpr std::size_t kMaxExcerpt = 200;
  /// The match lies inside a quotation ('...', "...", `...`, curly quotes) in a request
  /// that names the attack as its topic outside the quotation ("how do we defend
  /// against prompt injection, e.g. a user writing '...'"): an example under discussion.
  /// Hypothetical framing is also a jailbreak technique, so this lowers, never clears.
  bool quoted_example = false;
};

/// A hidden text with its side and role.
struct ContentHidden {
  Side side = Side::kInput;
  Role role = Role::kUser;
  const HiddenText* text = nullptr;  ///< points into ContentResult::input/output
};

/// What happened to the record's attachments whose bytes live in S3
/// (`source.s3Uri`, `source.s3Location.uri`: the media objects Bedrock writes
/// under the hour's `data/` folder) and to the text read from attachments.
/// Summed over a run, these are the report's notes on what was not read.
struct MediaCounts {
  std::uint32_t refs = 0;          ///< S3-only attachments (no inline bytes)
  std::uint32_t read = 0;          ///< of them, read from the export
  std::uint32_t missing = 0;       ///< not in the export (or no export to look in: stdin)
  std::uint32_t unreadable = 0;    ///< in the export but could not be read, or past the per-record count cap
  std::uint32_t cut = 0;           ///< larger than the read cap: only their first bytes were sniffed and read
  std::uint32_t text_partial = 0;  ///< documents whose text was read only in part (PdfTextStats, text caps)
  void clear() noexcept { *this = MediaCounts{}; }
};

/// Everything the content stage knows of one record. Views point into the
/// record's DOM (valid while it is) or into this object. Reuse one per
/// thread; analyze() clears it.
struct ContentResult {
  Extraction extraction;
  NormalizedText input;                 ///< all input pieces, appended in order
  NormalizedText output;                ///< all output pieces
  std::vector<std::uint32_t> input_piece_start;   ///< canonical offset of each input piece
  std::vector<std::uint32_t> input_piece_index;   ///< its index in extraction.pieces
  std::vector<std::uint32_t> output_piece_start;
  std::vector<std::uint32_t> output_piece_index;
  std::vector<ContentHit> hits;
  std::vector<ContentHidden> hidden;    ///< input then output hidden texts, with roles
  std::vector<AttachmentInfo> attachments;
  LeakageResult leakage;
  bool eicar_in_text = false;           ///< the EICAR test string inside prompt or response text
  const SignatureSet* signatures = nullptr;
  /// Bodies read from the export's `data/` objects (`*BodyS3Path`); the
  /// extraction's views into them stay valid until the next clear().
  std::vector<std::unique_ptr<simdjson::dom::document>> offloaded;
  std::size_t offloaded_used = 0;
  /// `*BodyS3Path` references of the record, and how many of them were read.
  std::uint32_t body_refs = 0, body_refs_read = 0;
  /// S3 media objects of the record's attachments, and attachment text limits.
  MediaCounts media;

  // ---- filled by the hooks (src/scan/content_stage.h) -------------------
  double score = -1;                    ///< model score 0..1; -1: no scorer ran
  double threshold = -1;                ///< the scorer's flag threshold; -1: no scorer ran
  std::size_t scored_bytes = 0;         ///< bytes of user text the scorer saw (capped)
  std::vector<SecretHit> secrets;

  void clear() noexcept;
  /// Highest severity among hits (ContentHit::severity; kInfo if none).
  Severity max_hit_severity() const noexcept;
  const Signature& signature(const ContentHit& hit) const { return signatures->signatures()[hit.signature]; }
  /// The canonical text of input piece k (an index into input_piece_start;
  /// the '\n' that joins it to the next piece excluded).
  std::string_view input_piece_text(std::size_t k) const noexcept;
  /// Role of the piece holding canonical offset `offset` of a side.
  Role role_at(Side side, std::uint32_t offset) const noexcept;
};

/// A later stage over a filled ContentResult (secrets scan, model score).
/// Implementations must not throw and must not keep references past run().
class ContentStage {
 public:
  virtual ~ContentStage() = default;
  virtual void run(ContentResult& result) noexcept = 0;
};

struct ContentOptions {
  const SignatureSet* signatures = nullptr;  ///< null: no signature matching
  ExtractOptions extract;
  NormalizeOptions normalize;
  LeakageOptions leakage;
  bool attachments = true;
  // Hooks for the secrets/model owner: run in this order after the built-in
  // stages. Null: skipped (score stays -1, secrets empty).
  ContentStage* secrets = nullptr;
  ContentStage* scorer = nullptr;
  /// Resolves `*BodyS3Path` references against the exported folders (bodies
  /// offloaded to S3, formats.md §4.3); null: they stay unread references.
  const S3ObjectIndex* offloaded = nullptr;
  std::size_t max_offloaded_bytes = 16u << 20;  ///< inflated size cap per offloaded body
  /// Media objects (`source.s3Uri` / `s3Location.uri` of documents, images,
  /// videos) are looked up in the same index and read as stored, at most this
  /// many bytes each (Bedrock accepts documents of 4.5 MB and images of 3.75 MB).
  std::size_t max_media_bytes = 8u << 20;
  std::size_t max_media_objects = 16;              ///< media objects read per record
  /// Text read from one attachment's bytes (PDF text, plain-text documents).
  std::size_t max_attachment_text_bytes = 256u << 10;
  PdfTextLimits pdf;                               ///< PDF extraction caps (max_text_bytes is set from the above)
};

/// Per-thread analyzer: owns the normalizer and scratch buffers.
class ContentAnalyzer {
 public:
  explicit ContentAnalyzer(ContentOptions options);
  /// Analyses one invocation record (EventView::raw). Never throws.
  void analyze(const simdjson::dom::element& record, ContentResult& out);
  const ContentOptions& options() const noexcept { return options_; }
  TextNormalizer& normalizer() noexcept { return normalizer_; }

 private:
  ContentOptions options_;
  TextNormalizer normalizer_;
  LeakageScratch leak_;
  std::vector<std::uint8_t> seen_;
  std::vector<int> set_scratch_;
  std::vector<SignatureHit> raw_hits_;
  std::string decode_;
  std::vector<std::string_view> sys_texts_, out_texts_, req_texts_, out_views_;
  std::unique_ptr<FileReader> offload_reader_;
  std::unique_ptr<FileReader> zip_inflater_;  ///< media objects inside zip archives
  simdjson::dom::parser offload_parser_;
  std::unique_ptr<PdfTextExtractor> pdf_;
  std::string media_;                 ///< bytes of the current S3 media object
  std::string attachment_text_;       ///< text read from the current attachment
  std::vector<std::pair<std::uint32_t, TextPiece>> inserts_;
  std::vector<TextPiece> merged_;

  void read_offloaded(ContentResult& out);
  /// A media object held in a zip archive: its first max_media_bytes into
  /// `out`, its size into `size` (as read_s3_object_prefix does for a file).
  bool read_zip_prefix(const InputFile& member, std::string& out, std::uint64_t& size);
  /// Sniffs every attachment (inline bytes, or its exported S3 object) and
  /// inserts the text read from documents among the record's pieces.
  void read_attachments(ContentResult& out);
  /// The text of a document's bytes (PDF, plain text) into attachment_text_.
  void attachment_text(std::string_view bytes, AttachmentInfo& info);
};

/// Convenience for tests and one-off use: builds a ContentAnalyzer per call.
/// The hot path should keep one ContentAnalyzer per thread instead.
ContentResult analyze_invocation(const simdjson::dom::element& record, const ContentOptions& options);

}  // namespace aiir::content
